"""Working days (工作日) and calendar days (自然日) for the deadlines a guide prints.

A 工作日 is a day that is not a weekend day and not a public holiday, or a weekend day that the
State Council's annual notice makes a working day (调休上班). The schedule of each year is taken
from, in order of precedence:

1. a drafter-supplied `calendars/<year>.yaml` (schema `holidays`), copied from that year's
   国务院办公厅 notice — a new year's schedule is published each November, long before the
   package that carries it is released;
2. the `chinese-calendar` package (1.11.0 covers 2004–2026).

A day in a year that neither covers is an error naming the year — never a silent guess that
Monday to Friday are working days.

Periods: a period of N days *beginning* on a day includes that day (公示期 2027年5月10日起
7个自然日 = 5月10日至5月16日); for 工作日 the period begins on the first working day on or after
that day. `after_*` counts N days *after* a day (开始的当日不计入, 民法典 第二百零一条).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.source.diagnostics import Collector, Diagnostic, PolicyError, Span
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import locate

CALENDAR_DIR = "calendars"
PACKAGE = "chinese-calendar"
_ONE_DAY = dt.timedelta(days=1)


class CalendarError(Exception):
    """A date in a year for which no holiday schedule is known."""

    def __init__(self, year: int, first: int | None, last: int | None) -> None:
        self.year = year
        covered = f"{PACKAGE} 只收录了 {first}–{last} 年" if first and last else f"没有安装 {PACKAGE}"
        self.message = (
            f"{year}年的法定节假日与调休安排尚未收录（{covered}），无法计算工作日"
        )
        self.hint = (
            f"国务院办公厅公布{year}年节假日安排后，在 {CALENDAR_DIR}/{year}.yaml 中照录放假与调休上班日期"
            "（格式见 docs/guides.md）；或改用自然日期限"
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class YearSchedule:
    """One year's schedule from a drafter's file: days off on weekdays and 调休 working days."""

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: str  # the notice it was copied from
    file: str  # as printed
    path: Path


def _package() -> Any:
    try:
        import chinese_calendar  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return chinese_calendar


def package_years() -> tuple[int, int] | None:
    """The first and last year the installed chinese-calendar covers (None when absent)."""
    cc = _package()
    if cc is None:  # pragma: no cover
        return None
    years = sorted({d.year for d in cc.holidays})
    return years[0], years[-1]


@dataclass
class WorkCalendar:
    schedules: Mapping[int, YearSchedule] = field(default_factory=dict)
    use_package: bool = True
    # Which schedule files / package were consulted: printed in a guide's provenance.
    consulted: set[str] = field(default_factory=set)

    def session(self) -> WorkCalendar:
        """The same schedules with an empty record of what was consulted."""
        return WorkCalendar(self.schedules, self.use_package)

    def covers(self, year: int) -> bool:
        if year in self.schedules:
            return True
        span = package_years() if self.use_package else None
        return span is not None and span[0] <= year <= span[1]

    def require(self, year: int) -> None:
        if not self.covers(year):
            span = package_years() if self.use_package else None
            raise CalendarError(year, span[0] if span else None, span[1] if span else None)

    def is_workday(self, day: dt.date) -> bool:
        # An explicit entry in any drafter file wins (元旦 blocks can start in the year before).
        for sched in self.schedules.values():
            if day in sched.holidays or day in sched.workdays:
                self.consulted.add(sched.file)
                return day in sched.workdays
        if day.year in self.schedules:
            self.consulted.add(self.schedules[day.year].file)
            return day.weekday() < 5
        self.require(day.year)
        cc = _package()
        self.consulted.add(PACKAGE)
        return bool(cc.is_workday(day))

    def period_end(self, start: dt.date, days: int, *, workdays: bool) -> dt.date:
        """Last day of a period of `days` days that begins on `start` (the start day counts)."""
        if days < 1:
            raise ValueError("期限至少为1日")
        if not workdays:
            return start + dt.timedelta(days=days - 1)
        day, counted = start, 0
        while True:
            if self.is_workday(day):
                counted += 1
                if counted == days:
                    return day
            day += _ONE_DAY

    def after(self, day: dt.date, days: int, *, workdays: bool) -> dt.date:
        """The day `days` days after `day` (the day itself does not count)."""
        return self.period_end(day + _ONE_DAY, days, workdays=workdays)

    def first_workday(self, day: dt.date) -> dt.date:
        while not self.is_workday(day):
            day += _ONE_DAY
        return day

    def count_workdays(self, first: dt.date, last: dt.date) -> int:
        """Working days from `first` to `last`, both included."""
        n, day = 0, first
        while day <= last:
            n += self.is_workday(day)
            day += _ONE_DAY
        return n


def _date(value: Any, span: Span | None, errors: Collector, where: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.error("E104", f"{where} 的日期「{value}」无效", span, hint="日期写作 YYYY-MM-DD，如 2027-10-01")
        return None


def load_schedule(path: Path, name: str) -> YearSchedule:
    """Load and check one `calendars/<year>.yaml`; raises PolicyError with every problem."""
    tree = load_document(path, "holidays", name)
    errors = Collector()
    year = int(tree["year"])
    if path.stem != str(year):
        errors.error(
            "E601", f"文件名 {path.name} 与年份 {year} 不一致", tree.value_spans["year"],
            hint=f"把文件命名为 {year}.yaml，或改正 year",
        )  # fmt: skip
    holidays: set[dt.date] = set()
    for i, block in enumerate(tree.get("holidays") or []):
        start = _date(block["from"], locate(tree, ["holidays", i, "from"]), errors, f"holidays[{i}].from")
        end = _date(block["to"], locate(tree, ["holidays", i, "to"]), errors, f"holidays[{i}].to")
        if start is None or end is None:
            continue
        if end < start:
            errors.error(
                "E602", f"假期「{block['name']}」的结束日期 {end} 早于开始日期 {start}",
                locate(tree, ["holidays", i, "to"]), hint="from 是放假第一天，to 是放假最后一天",
            )  # fmt: skip
            continue
        if not (year - 1 <= start.year <= year and end.year == year):
            errors.error(
                "E603", f"假期「{block['name']}」（{start}至{end}）不在{year}年",
                locate(tree, ["holidays", i, "from"]), hint="只有元旦假期可以从上一年12月开始",
            )  # fmt: skip
        day = start
        while day <= end:
            holidays.add(day)
            day += _ONE_DAY
    workdays: set[dt.date] = set()
    for i, value in enumerate(tree.get("workdays") or []):
        span = locate(tree, ["workdays", i])
        day_ = _date(value, span, errors, f"workdays[{i}]")
        if day_ is None:
            continue
        if day_.weekday() < 5:
            errors.error(
                "E604", f"调休上班日 {day_} 是星期{'一二三四五'[day_.weekday()]}，本来就是工作日", span,
                hint="workdays 只列因调休而上班的星期六、星期日",
            )  # fmt: skip
        if day_ in holidays:
            errors.error("E605", f"{day_} 既列为放假又列为调休上班", span)
        if day_.year != year:
            errors.error("E603", f"调休上班日 {day_} 不在{year}年", span)
        workdays.add(day_)
    errors.raise_if_any()
    return YearSchedule(year, frozenset(holidays), frozenset(workdays), str(tree["source"]), name, path)


def load_calendar(root: Path | None, *, use_package: bool = True) -> WorkCalendar:
    """Every `calendars/*.yaml` under the project root (all errors at once), plus the package."""

    schedules: dict[int, YearSchedule] = {}
    errors: list[Diagnostic] = []
    directory = root / CALENDAR_DIR if root is not None else None
    if directory is not None and directory.is_dir():
        for path in sorted(directory.glob("*.yaml")):
            try:
                sched = load_schedule(path, display_path(path))
            except PolicyError as exc:
                errors.extend(exc.diagnostics)
                continue
            schedules[sched.year] = sched
    if errors:
        raise PolicyError(errors)
    return WorkCalendar(schedules, use_package)
