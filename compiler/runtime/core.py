"""Evaluation runtime shared by the tree-walking interpreter and the generated evaluators.

Standard library only: `codegen` copies this module's source (below the marker) into every
generated module, so input checking, date arithmetic and money rounding have one implementation
and the generated evaluator still imports nothing but the standard library.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

# --- runtime: inlined into generated modules from here on ---

RESULT_FORMAT = "policyc-result/1"
CENT = Decimal("0.01")


class FactSpec:
    """What an application may give for one fact: its kind (bool, num, date, text, set), unit and
    the units accepted for it (scale to the base unit), admitted values, default (in base units),
    whether it may be empty, for numbers its domain (whole numbers, bounds in base units), and for
    sets whether items may name the subject they are about."""

    __slots__ = ("kind", "unit", "units", "values", "has_default", "default", "optional", "whole", "minimum",
                 "maximum", "subjects")  # fmt: skip

    def __init__(
        self, kind: str, *, unit: str | None = None, units: dict[str, Decimal] | None = None,
        values: frozenset[str] | None = None, has_default: bool = False, default: Any = None,
        optional: bool = False, whole: bool = False, minimum: Decimal | None = None,
        maximum: Decimal | None = None, subjects: bool = False,
    ) -> None:
        self.kind, self.unit, self.units, self.values = kind, unit, units, values
        self.has_default, self.default, self.optional = has_default, default, optional
        self.whole, self.minimum, self.maximum = whole, minimum, maximum
        self.subjects = subjects  # a set whose items may name their subject: {资格: …, 对象: …}


class FactsError(Exception):
    """The application's facts are incomplete or invalid: nothing was evaluated."""

    def __init__(
        self,
        missing: list[str],
        invalid: list[tuple[str, str]],
        unknown: list[tuple[str, str | None]],
    ) -> None:
        self.missing = missing
        self.invalid = invalid
        self.unknown = unknown
        parts = []
        if missing:
            parts.append("缺少必需的事实：" + "、".join(missing))
        for name, why in invalid:
            parts.append(f"事实「{name}」{why}")
        for name, guess in unknown:
            parts.append(f"未知的事实「{name}」" + (f"（你是不是想写「{guess}」？）" if guess else ""))
        super().__init__("；".join(parts))


class EvaluationError(Exception):
    """A rule could not be evaluated (e.g. an optional fact was empty, or division by zero).
    `rule` is the rule's expression as written, when the error belongs to one."""

    def __init__(self, cite: str, message: str, rule: str | None = None) -> None:
        super().__init__(f"{cite}：{message}")
        self.cite = cite
        self.message = message
        self.rule = rule


class RecordsError(Exception):
    """A record is invalid (a field missing or wrong, out of order, outside the 办法's validity):
    `kind` is the record kind, `index` its position (0-based) in the input, `field` the field.
    Shared by every procedure that reads records (computation, compliance)."""

    def __init__(self, kind: str, index: int, field: str | None, message: str) -> None:
        super().__init__(f"第 {index + 1} 条「{kind}」记录：{message}")
        self.kind, self.index, self.field, self.message = kind, index, field, message


_DATE_RE = re.compile(r"(\d{4})(?:-|年)(\d{1,2})(?:-|月)(\d{1,2})日?")
_NUM_RE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(\S*)\s*")


def require_date(as_of: Any) -> dt.date:
    """The evaluation date checked at the entry of `evaluate`: a datetime.date, not a string."""
    if isinstance(as_of, dt.datetime):  # a datetime is a date subclass; its time would be ignored
        raise TypeError(f"评价日期 as_of 应为 datetime.date，不是带时刻的 datetime：{as_of!r}（用 .date()）")
    if not isinstance(as_of, dt.date):
        raise TypeError(
            f"评价日期 as_of 应为 datetime.date，实际是 {type(as_of).__name__}：{as_of!r}"
            "（字符串请先转换，例如 datetime.date.fromisoformat(\"2026-06-01\")）"
        )
    return as_of


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    m = _DATE_RE.fullmatch(str(value).strip())
    if not m:
        raise ValueError(f"「{value}」不是日期（应写作 2026-06-01 或 2026年6月1日）")
    try:
        return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValueError(f"「{value}」不是有效的日期") from None


def _coerce_one(spec: FactSpec, value: Any) -> Any:
    kind, unit_name, units, values = spec.kind, spec.unit, spec.units, spec.values
    if value is None:
        if spec.optional:
            return None
        raise ValueError("不能为空")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if value in ("是", "否"):
            return value == "是"
        raise ValueError(f"应为 true/false（是/否），实际是「{value}」")
    if kind == "num":
        if isinstance(value, bool) or isinstance(value, float):
            raise ValueError(f"应为数值（写成整数、小数字符串或带单位的「20万元」），实际是 {value!r}")
        if isinstance(value, int | Decimal):
            number, unit = Decimal(value), unit_name
        else:
            m = _NUM_RE.fullmatch(str(value))
            if not m:
                raise ValueError(f"应为数值（如 20{unit_name or ''}），实际是「{value}」")
            try:
                number = Decimal(m.group(1))
            except InvalidOperation:  # pragma: no cover - the regex admits only numbers
                raise ValueError(f"「{value}」不是数值") from None
            unit = m.group(2) or unit_name
        assert units is not None
        if unit not in units:
            raise ValueError(f"单位「{unit}」不适用；可用：{'、'.join(units)}")
        if not number.is_finite():
            raise ValueError(f"应为有限的数值，实际是「{value}」")
        return _in_domain(spec, number * units[unit], value)
    if kind == "date":
        return parse_date(value)
    if kind == "text":
        text = str(value)
        if values is not None and text not in values:
            raise ValueError(f"取值「{text}」无效；可选：{'、'.join(sorted(values))}")
        return text
    if kind == "set":
        if isinstance(value, str) or not hasattr(value, "__iter__"):
            raise ValueError("应为列表")
        if spec.subjects:
            return _claims(value, values)
        items = [str(v) for v in value]
        if values is not None:
            bad = [v for v in items if v not in values]
            if bad:
                guess = difflib.get_close_matches(bad[0], sorted(values), n=1, cutoff=0.5)
                tip = f"（你是不是想写「{guess[0]}」？）" if guess else ""
                raise ValueError(f"包含无效的取值「{bad[0]}」{tip}")
        return frozenset(items)
    raise ValueError(f"未知的事实类型 {kind}")  # pragma: no cover


class Claims(frozenset[str]):
    """A set of qualifications that also knows the subject each was claimed for: as a set it
    holds the qualification names (so conditions such as 以往取得资格 包含 "…" read it as any
    set); `subjects` lists (qualification, subject or None) in the order given, once each."""

    subjects: tuple[tuple[str, str | None], ...]

    def __new__(cls, subjects: tuple[tuple[str, str | None], ...]) -> Claims:
        made = super().__new__(cls, (q for q, _ in subjects))
        made.subjects = subjects
        return made

    def held(self, qualification: str, subject: str | None) -> bool:
        """Whether this qualification is held for this subject; one held with no subject named
        counts for every subject, and any subject counts when none is asked about."""
        if subject is None:
            return qualification in self
        return (qualification, subject) in self.subjects or (qualification, None) in self.subjects


SUBJECT_KEYS = ("对象", "subject")
QUALIFICATION_KEYS = ("资格", "qualification")


def _claims(value: Any, values: frozenset[str] | None) -> Claims:
    """A claims list whose items are qualification names or {资格: …, 对象: …} records."""
    pairs: dict[tuple[str, str | None], None] = {}
    for item in value:
        if isinstance(item, Mapping):
            unknown = [str(k) for k in item if k not in (*SUBJECT_KEYS, *QUALIFICATION_KEYS)]
            qualification = next((item[k] for k in QUALIFICATION_KEYS if k in item), None)
            subject = next((item[k] for k in SUBJECT_KEYS if k in item), None)
            if unknown or qualification is None:
                raise ValueError(f"的每一项应为资格名称，或写作 {{资格: …, 对象: …}}，实际是 {dict(item)!r}")
            pair = (str(qualification), str(subject) if subject is not None and str(subject).strip() else None)
        else:
            pair = (str(item), None)
        if values is not None and pair[0] not in values:
            guess = difflib.get_close_matches(pair[0], sorted(values), n=1, cutoff=0.5)
            tip = f"（你是不是想写「{guess[0]}」？）" if guess else ""
            raise ValueError(f"包含无效的取值「{pair[0]}」{tip}")
        pairs[pair] = None
    return Claims(tuple(pairs))


def _in_domain(spec: FactSpec, number: Decimal, given: Any) -> Decimal:
    """A number checked against the fact's declared domain (whole numbers, bounds)."""
    if spec.whole and number != number.to_integral_value():
        raise ValueError(f"应为整数，实际是「{given}」")
    unit = spec.unit or ""
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(f"不能小于{_plain_number(spec.minimum)}{unit}，实际是「{given}」")
    if spec.maximum is not None and number > spec.maximum:
        raise ValueError(f"不能大于{_plain_number(spec.maximum)}{unit}，实际是「{given}」")
    return number


def _plain_number(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral_value() else f"{value:f}"


def coerce_facts(spec: Mapping[str, FactSpec], raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check and convert an application's facts into base units; raises FactsError listing
    every missing, invalid and unknown fact at once."""
    out: dict[str, Any] = {}
    missing: list[str] = []
    invalid: list[tuple[str, str]] = []
    for name, fact in spec.items():
        if name in raw:
            try:
                out[name] = _coerce_one(fact, raw[name])
            except ValueError as exc:
                invalid.append((name, str(exc)))
        elif fact.has_default:
            out[name] = fact.default
        elif fact.optional:
            out[name] = None
        else:
            missing.append(name)
    unknown: list[tuple[str, str | None]] = []
    for name in raw:
        if name not in spec:
            close = difflib.get_close_matches(name, list(spec), n=1, cutoff=0.5)
            unknown.append((name, close[0] if close else None))
    if missing or invalid or unknown:
        raise FactsError(missing, invalid, unknown)
    return out


class CalendarError(ArithmeticError):
    """Calendar arithmetic without an answer: a fractional number of years, months or days, or a
    date outside 公元1年…9999年 (what datetime.date can hold)."""


DATE_RANGE = "得到的日期超出公元1年至9999年"


def _year_in_range(year: int) -> int:
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise CalendarError(DATE_RANGE)
    return year


def add_years(day: dt.date, years: Decimal) -> dt.date:
    """Calendar years; 29 February becomes 28 February in a common year (rounded down)."""
    n = int(years)
    if n != years:
        raise CalendarError("年数必须是整数")
    year = _year_in_range(day.year + n)
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def add_months(day: dt.date, months: Decimal) -> dt.date:
    """Calendar months; a day past the end of the target month becomes its last day."""
    n = int(months)
    if n != months:
        raise CalendarError("月数必须是整数")
    index = day.year * 12 + day.month - 1 + n
    year, month = divmod(index, 12)
    _year_in_range(year)
    month += 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError("invalid date")  # pragma: no cover


def add_days(day: dt.date, days: Decimal) -> dt.date:
    n = int(days)
    if n != days:
        raise CalendarError("天数必须是整数")
    try:
        return day + dt.timedelta(days=n)
    except OverflowError:
        raise CalendarError(DATE_RANGE) from None


def zh_date(day: dt.date) -> str:
    """2026-06-01 → 2026年6月1日 (how Chinese documents write dates)."""
    return f"{day.year}年{day.month}月{day.day}日"


def floor(value: Any) -> Any:
    """向下取整 (e.g. 每50名职工1个名额: floor(人数 ÷ 50人))."""
    return Decimal(value).to_integral_value(rounding=ROUND_FLOOR)


def ceil(value: Any) -> Any:
    """向上取整."""
    return Decimal(value).to_integral_value(rounding=ROUND_CEILING)


def divide(x: Any, y: Any) -> Decimal:
    """x ÷ y as a Decimal (also for two ints); division by zero raises ZeroDivisionError."""
    if not y:
        raise ZeroDivisionError
    quotient: Decimal = Decimal(x) / y
    return quotient


def money(value: Decimal) -> Decimal:
    """Round an amount in 元 to 分, half up (四舍五入). An amount too large to hold to the 分 in
    28 significant digits raises decimal.InvalidOperation (an ArithmeticError)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


OUT_OF_RANGE = "的结果超出可精确计算的范围（金额精确到分不能超过28位有效数字），请核对事实的取值"


def money_text(value: Decimal) -> str:
    """600000 → 60万元; 3000 → 3000元; 12.5 → 12.50元."""
    if value != 0 and value % 10000 == 0:
        # Strip zeros only after a decimal point: 600000 / 10000 is Decimal("6E+1") → "60".
        wan = f"{value / 10000:f}"
        return (wan.rstrip("0").rstrip(".") if "." in wan else wan) + "万元"
    if value == value.to_integral_value():
        return f"{int(value)}元"
    return f"{value.quantize(CENT)}元"


def amount_json(value: Decimal) -> str:
    """An amount in 元 for JSON: integers without decimals, otherwise two decimals."""
    if not value:
        return "0"  # most amounts of a settlement are (a day surgery is not an ordinary visit)
    if value == value.to_integral_value():
        return str(int(value))
    return str(value.quantize(CENT))


def rule_error(
    cite: str, text: str, exc: BaseException, f: Mapping[str, Any], optional: tuple[str, ...]
) -> EvaluationError:
    """The EvaluationError for a rule `text` (at clause `cite`) that raised `exc`; `optional` are
    the optional facts the rule uses, in the order written, for the message about empty facts."""
    if isinstance(exc, ZeroDivisionError):
        return EvaluationError(cite, f"「{text}」中出现除以零", text)
    if isinstance(exc, CalendarError):
        return EvaluationError(cite, f"「{text}」{exc}，请核对事实的取值", text)
    if isinstance(exc, ArithmeticError):  # decimal.InvalidOperation: beyond 28 significant digits
        return EvaluationError(cite, f"「{text}」{OUT_OF_RANGE}", text)
    empty = [name for name in optional if f.get(name) is None]
    if not empty:  # pragma: no cover - a TypeError that no empty fact explains is a bug
        raise exc
    names = "、".join(f"「{name}」" for name in empty)
    return EvaluationError(cite, f"事实{names}为空，无法计算「{text}」", text)


def dated_value(name: str, cite: str, on: dt.date | None, starts: tuple[dt.date, ...]) -> int:
    """Which value of a dated parameter applies on `on`: the position of the last start ≤ on."""
    if on is None:
        raise EvaluationError(cite, f"参数「{name}」所依据的日期为空")
    chosen = -1
    for i, start in enumerate(starts):
        if start <= on:
            chosen = i
    if chosen < 0:
        raise EvaluationError(cite, f"参数「{name}」在 {on.isoformat()} 尚无适用的值")
    return chosen
