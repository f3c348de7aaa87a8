"""Units of measure: every amount keeps its unit (元, 万元, 元/吨, %, 个自然日 …) through the pipeline.

A unit is a scale to its base unit plus a dimension (a sorted tuple of base dimensions and
powers). Quantities are computed in base units (元, a ratio, 吨 …) with `Decimal`; the unit a
drafter wrote is kept for display. Counting words (项, 个, 家 …) are dimensionless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

Dims = tuple[tuple[str, int], ...]

# Simple units: name → (scale to base, base dimension or None for dimensionless).
_SIMPLE: dict[str, tuple[Decimal, str | None]] = {
    "亿元": (Decimal(100_000_000), "money"),
    "万元": (Decimal(10_000), "money"),
    "千元": (Decimal(1_000), "money"),
    "元": (Decimal(1), "money"),
    # Mass is one dimension with the kilogram as base, so 吨 × 元/公斤 is money.
    "万吨": (Decimal(10_000_000), "kg"),
    "吨": (Decimal(1_000), "kg"),
    "公斤": (Decimal(1), "kg"),
    "千克": (Decimal(1), "kg"),
    "千瓦时": (Decimal(1), "kwh"),
    "升": (Decimal(1), "litre"),
    "度": (Decimal(1), "kwh"),
    "人": (Decimal(1), "person"),
    "年": (Decimal(1), "year"),
    "个月": (Decimal(1), "month"),
    "月": (Decimal(1), "month"),
    "个自然日": (Decimal(1), "day"),
    "自然日": (Decimal(1), "day"),
    "日": (Decimal(1), "day"),
    "天": (Decimal(1), "day"),
    "个工作日": (Decimal(1), "workday"),
    "工作日": (Decimal(1), "workday"),
    "小时": (Decimal(1), "hour"),
    "个百分点": (Decimal("0.01"), None),
    "%": (Decimal("0.01"), None),
    "％": (Decimal("0.01"), None),
    "‰": (Decimal("0.001"), None),
    "倍": (Decimal(1), None),
    "项": (Decimal(1), None),
    "个": (Decimal(1), None),
    "家": (Decimal(1), None),
    "次": (Decimal(1), None),
    "件": (Decimal(1), None),
    "支": (Decimal(1), "yarn"),  # yarn count (纱支): compared only with other counts in 支
    "名": (Decimal(1), None),
    "户": (Decimal(1), None),
    "届": (Decimal(1), None),
}

# Longest names first, so that 个工作日 wins over 个 and 万元 over 元 when lexing.
SIMPLE_UNIT_NAMES: list[str] = sorted(_SIMPLE, key=len, reverse=True)
UNIT_PATTERN = "(?:" + "|".join(re.escape(u) for u in SIMPLE_UNIT_NAMES) + ")"
COMPOUND_UNIT_PATTERN = f"{UNIT_PATTERN}(?:/{UNIT_PATTERN})*"

_DIM_NAMES = {
    "money": "金额",
    "kg": "重量",
    "yarn": "纱支",
    "kwh": "电量",
    "litre": "容量（升）",
    "person": "人数",
    "year": "年",
    "month": "月",
    "day": "自然日",
    "workday": "工作日",
    "hour": "小时",
}


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as written (`name`), its scale to base units and its dimension."""

    name: str
    scale: Decimal
    dims: Dims

    def describe(self) -> str:
        return describe_dims(self.dims)


DIMENSIONLESS: Dims = ()


def _combine(a: Dims, b: Dims, sign: int) -> Dims:
    acc: dict[str, int] = dict(a)
    for name, power in b:
        acc[name] = acc.get(name, 0) + sign * power
    return tuple(sorted((k, v) for k, v in acc.items() if v != 0))


def multiply_dims(a: Dims, b: Dims) -> Dims:
    return _combine(a, b, 1)


def divide_dims(a: Dims, b: Dims) -> Dims:
    return _combine(a, b, -1)


def parse_unit(name: str) -> Unit:
    """Parse a unit such as 万元, 元/吨 or 元/公斤/年; raises ValueError if unknown."""
    parts = name.split("/")
    scale = Decimal(1)
    dims: Dims = ()
    for i, part in enumerate(parts):
        if part not in _SIMPLE:
            raise ValueError(part)
        part_scale, dim = _SIMPLE[part]
        part_dims: Dims = ((dim, 1),) if dim else ()
        if i == 0:
            scale, dims = part_scale, part_dims
        else:
            scale, dims = scale / part_scale, divide_dims(dims, part_dims)
    return Unit(name, scale, dims)


def known_units() -> list[str]:
    return list(SIMPLE_UNIT_NAMES)


def describe_dims(dims: Dims) -> str:
    """Chinese description of a dimension, e.g. 金额, 金额/重量（吨）, 无量纲数."""
    if not dims:
        return "无量纲数（比例、个数）"
    num = [(_DIM_NAMES.get(n, n), p) for n, p in dims if p > 0]
    den = [(_DIM_NAMES.get(n, n), -p) for n, p in dims if p < 0]

    def fmt(items: list[tuple[str, int]]) -> str:
        return "×".join(n if p == 1 else f"{n}^{p}" for n, p in items)

    if not den:
        return fmt(num)
    return f"{fmt(num) or '1'}/{fmt(den)}"


MONEY: Dims = (("money", 1),)
DURATION_DIMS: dict[Dims, str] = {(("year", 1),): "years", (("month", 1),): "months", (("day", 1),): "days"}
