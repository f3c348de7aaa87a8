"""The columns of a batch spreadsheet, from the policy's `batch` section and its facts.

A column is either one of the applicant's own columns (the organisation's key and name, the
application date) or a fact. Reading a cell turns what a spreadsheet holds (text, a number, a
date, a 是/否) into the raw value the generated evaluator reads, or into a Chinese reason why it
cannot; the evaluator's own checks (units, bounds) come after, and their messages are mapped
back to the column.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from compiler.model.batch_section import Batch
from compiler.model.policy import Policy
from compiler.source.diagnostics import Diagnostic, PolicyError

KEY, NAME, TIME, FACT = "key", "name", "time", "fact"
NOTES_MARK = "【填写说明】"  # the template's notes row starts with this; a reader skips it
LISTS_SHEET = "可选值"  # the template's hidden sheet of drop-down values; a reader ignores it
TYPE_ZH = {"bool": "是/否", "number": "数值", "date": "日期", "text": "文字", "enum": "单选", "set": "多选"}
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_SPLIT_EXTRA = re.compile(r"[、，,；;\n]")


@dataclass(frozen=True)
class Column:
    header: str
    role: str  # KEY, NAME, TIME or FACT
    fact: str | None = None
    type: str = "text"  # the fact's type (bool, number, date, text, enum, set)
    values: tuple[str, ...] | None = None  # an enumeration's values
    required: bool = True
    label: str | None = None
    unit: str | None = None

    def hint(self) -> str:
        """The input hint printed in the template's notes row and its drop-down prompt."""
        need = "必填" if self.required else "选填"
        kind = TYPE_ZH.get(self.type, "文字")
        if self.role == KEY:
            return f"{need}；18位统一社会信用代码，同一单位各行相同"
        if self.role == NAME:
            return f"{need}；申报单位全称（公示时使用）"
        if self.role == TIME:
            return f"{need}；日期，如 2026-06-01"
        unit = f"，单位：{self.unit}" if self.unit else ""
        extra = "；多项用「、」分隔" if self.type == "set" else ""
        return f"{need}（{kind}{unit}）；{self.label or self.fact}{extra}"


@dataclass(frozen=True)
class Layout:
    batch: Batch
    columns: tuple[Column, ...]  # in the template's order: key, name, time, then the facts
    claims: Column | None = None  # the claims sheet's column (batch.claims_sheet), a set fact

    def by_header(self) -> dict[str, Column]:
        return {c.header: c for c in self.columns}


def layout(policy: Policy) -> Layout:
    """The columns a policy declares; a column naming an unknown fact is reported where written."""
    batch = policy.batch
    if batch is None:
        raise PolicyError([Diagnostic(
            "E801", f"政策「{policy.policy_id}」没有 batch 部分，无法批量评价", policy.tree.span,
            hint="在政策文件中加上 batch: {sheet, key, name, columns}（见 docs/policy-format.md）",
        )])
    columns = [Column(batch.key, KEY), Column(batch.name, NAME)]
    if batch.time is not None:
        columns.append(Column(batch.time, TIME, type="date", required="application_time" in batch.order))
    errors: list[Diagnostic] = []
    if "application_time" in batch.order and batch.time is None:
        errors.append(Diagnostic("E802", "batch.order 使用 application_time，但没有声明申报日期列 batch.time",
                                 batch.span, hint="加上 time: 申报日期"))
    for col in batch.columns:
        fact = policy.facts.get(col.fact)
        if fact is None:
            guess = difflib.get_close_matches(col.fact, list(policy.facts), n=1, cutoff=0.5)
            errors.append(Diagnostic("E803", f"batch.columns 中的列「{col.header}」对应的事实「{col.fact}」不存在",
                                     col.span, hint=f"你是不是想写「{guess[0]}」？" if guess else "写 facts 中声明的事实名"))
            continue
        values = tuple(policy.qualifications()) if fact.values_from_qualifications else fact.values
        required = not (fact.optional or fact.has_default)
        columns.append(Column(col.header, FACT, col.fact, fact.type, values, required, fact.label,
                              fact.unit.name if fact.unit else None))
    claims = None
    sheet = batch.claims_sheet
    if sheet is not None:
        fact = policy.facts.get(sheet.fact)
        if fact is None or fact.type != "set":
            errors.append(Diagnostic("E805", f"batch.claims_sheet 的事实「{sheet.fact}」应为已声明的 set 类型事实",
                                     sheet.span, hint="写申报资格这类多选事实的名称"))
        else:
            values = tuple(policy.qualifications()) if fact.values_from_qualifications else fact.values
            claims = Column(sheet.column, FACT, sheet.fact, "set", values, False, fact.label)
    if errors:
        raise PolicyError(errors)
    return Layout(batch, tuple(columns), claims)


class CellError(ValueError):
    """A cell that cannot be read; the message is the Chinese reason."""


def read_cell(column: Column, value: Any, separator: str) -> Any:
    """A spreadsheet value → the raw fact value (None for an empty cell); raises CellError."""
    if isinstance(value, str):
        value = value.strip()
        if value == "":
            value = None
    if value is None:
        if column.required:
            raise CellError("必填，不能为空")
        return None
    kind = column.type
    if kind == "date":
        return _date(value)
    if kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).upper()
        if text in ("是", "TRUE", "Y"):
            return True
        if text in ("否", "FALSE", "N"):
            return False
        raise CellError(f"应填「是」或「否」，实际是「{value}」")
    if kind == "number":
        if isinstance(value, bool) or isinstance(value, dt.date):
            raise CellError(f"应填数值，实际是「{value}」")
        if isinstance(value, float):
            # openpyxl parses a number cell into a float; its shortest repr is the decimal text
            # the cell holds, so the value is exact from here on (never computed as a float).
            return Decimal(repr(value))
        if isinstance(value, int | Decimal):
            return Decimal(value)
        return str(value)  # "20万元", "3": the evaluator reads numbers with units
    if isinstance(value, dt.datetime | dt.date) or isinstance(value, bool):
        raise CellError(f"应填文字，实际是「{value}」")
    if kind == "set":
        items = [s.strip() for s in _SPLIT_EXTRA.sub(separator, _text(value)).split(separator)]
        items = [s for s in items if s]
        for item in items:
            _check_value(column, item)
        return items
    text = _text(value)
    if kind == "enum":
        _check_value(column, text)
    return text


def _text(value: Any) -> str:
    if isinstance(value, float):
        return repr(value).removesuffix(".0")
    return str(value)


def _check_value(column: Column, text: str) -> None:
    if column.values is not None and text not in column.values:
        guess = difflib.get_close_matches(text, column.values, n=1, cutoff=0.5)
        listed = "、".join(column.values) if len(column.values) <= 10 else f"共{len(column.values)}项，见模板的填写说明或申报指南"
        tip = f"；你是不是想写「{guess[0]}」？" if guess else f"；可选：{listed}"
        raise CellError(f"「{text}」不是可选的取值{tip}")


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float | Decimal):
        raise CellError(f"日期列中填了数字「{_text(value)}」；应填日期，如 2026-06-01（单元格格式设为日期或文本）")
    m = _DATE_RE.fullmatch(str(value))
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            pass
    raise CellError(f"「{value}」不是有效日期；应填日期，如 2026-06-01")


def parse_amount(text: str) -> Decimal:
    """"300万元" / "3000000" / "3000000元" → Decimal 元; raises ValueError."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(万元|元)?\s*", text)
    if not m:
        raise ValueError(text)
    try:
        value = Decimal(m.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern admits numbers only
        raise ValueError(text) from None
    return value * 10000 if m.group(2) == "万元" else value
