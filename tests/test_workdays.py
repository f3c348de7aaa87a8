"""Working days against the State Council's 2026 schedule (国务院办公厅 2025-11-04 notice), the
precedence of drafter-supplied calendars/<year>.yaml, and the refusal to guess an unknown year."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compiler.documents.workdays import CalendarError, WorkCalendar, load_calendar, package_years
from compiler.source.diagnostics import PolicyError

D = dt.date

# The official 2026 schedule, copied here so the test does not depend on any other file.
HOLIDAY_BLOCKS_2026 = [
    (D(2026, 1, 1), D(2026, 1, 3)), (D(2026, 2, 15), D(2026, 2, 23)), (D(2026, 4, 4), D(2026, 4, 6)),
    (D(2026, 5, 1), D(2026, 5, 5)), (D(2026, 6, 19), D(2026, 6, 21)), (D(2026, 9, 25), D(2026, 9, 27)),
    (D(2026, 10, 1), D(2026, 10, 7)),
]  # fmt: skip
ADJUSTED_WORKDAYS_2026 = [D(2026, 1, 4), D(2026, 2, 14), D(2026, 2, 28), D(2026, 5, 9), D(2026, 9, 20),
                          D(2026, 10, 10)]


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_package_covers_2004_to_2026() -> None:
    assert package_years() == (2004, 2026)


def test_whole_2026_matches_the_official_schedule(cal: WorkCalendar) -> None:
    off = {d for a, b in HOLIDAY_BLOCKS_2026 for d in _days(a, b)}
    for day in _days(D(2026, 1, 1), D(2026, 12, 31)):
        expected = day in ADJUSTED_WORKDAYS_2026 or (day.weekday() < 5 and day not in off)
        assert cal.is_workday(day) is expected, day


def test_spring_festival_block(cal: WorkCalendar) -> None:
    assert cal.is_workday(D(2026, 2, 14))  # Saturday, 调休上班
    assert not any(cal.is_workday(d) for d in _days(D(2026, 2, 15), D(2026, 2, 23)))
    assert cal.is_workday(D(2026, 2, 28))  # Saturday, 调休上班
    # 5 working days from Thursday 12 February: 12, 13, 14 (Sat, worked), then 24, 25.
    assert cal.period_end(D(2026, 2, 12), 5, workdays=True) == D(2026, 2, 25)
    # The consultation window of the Hami draft, 2月12日–2月27日, holds 7 working days
    # (12, 13, 14, 24, 25, 26, 27), not the 12 weekdays a Monday-to-Friday count gives.
    assert cal.count_workdays(D(2026, 2, 12), D(2026, 2, 27)) == 7
    assert cal.after(D(2026, 2, 13), 1, workdays=True) == D(2026, 2, 14)
    assert cal.after(D(2026, 2, 14), 1, workdays=True) == D(2026, 2, 24)


def test_mid_autumn_and_national_day(cal: WorkCalendar) -> None:
    assert cal.is_workday(D(2026, 9, 20))  # Sunday, 调休上班
    assert not cal.is_workday(D(2026, 9, 25))
    assert all(cal.is_workday(d) for d in _days(D(2026, 9, 28), D(2026, 9, 30)))  # separate blocks
    assert not any(cal.is_workday(d) for d in _days(D(2026, 10, 1), D(2026, 10, 7)))
    assert cal.is_workday(D(2026, 10, 10))  # Saturday, 调休上班
    # 10 working days from Monday 21 September: 21–24, 28–30, 8, 9 and Saturday 10 October.
    assert cal.period_end(D(2026, 9, 21), 10, workdays=True) == D(2026, 10, 10)
    # A period that begins on a holiday begins on the next working day.
    assert cal.period_end(D(2026, 10, 1), 1, workdays=True) == D(2026, 10, 8)


def test_calendar_days_count_the_first_day(cal: WorkCalendar) -> None:
    assert cal.period_end(D(2027, 5, 10), 7, workdays=False) == D(2027, 5, 16)
    assert cal.after(D(2027, 5, 10), 7, workdays=False) == D(2027, 5, 17)
    assert not cal.consulted  # calendar days need no holiday schedule


def test_2027_without_a_schedule_fails_clearly(cal: WorkCalendar) -> None:
    with pytest.raises(CalendarError) as err:
        cal.period_end(D(2027, 3, 1), 5, workdays=True)
    assert err.value.year == 2027
    assert "2027年的法定节假日与调休安排尚未收录" in err.value.message
    assert "2004–2026" in err.value.message
    assert "calendars/2027.yaml" in err.value.hint


SCHEDULE_2027 = """\
format: policyc-holidays/1
year: 2027
source: 测试用安排（不是官方通知）
holidays:
  - {name: 元旦, from: 2027-01-01, to: 2027-01-03}
  - {name: 测试假期, from: 2027-03-01, to: 2027-03-02}
workdays: [2027-03-06]
"""


def _root(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "calendars").mkdir(exist_ok=True)
    (tmp_path / "calendars" / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_drafter_schedule_makes_a_new_year_computable(tmp_path: Path) -> None:
    cal = load_calendar(_root(tmp_path, "2027.yaml", SCHEDULE_2027)).session()
    assert not cal.is_workday(D(2027, 3, 1)) and not cal.is_workday(D(2027, 3, 2))
    assert cal.is_workday(D(2027, 3, 6))  # Saturday, 调休上班 in the file
    assert cal.is_workday(D(2027, 3, 3))  # an ordinary Wednesday
    # 1 March (Mon) and 2 March are off: 3, 4, 5, 6 (Sat, worked), 8.
    assert cal.period_end(D(2027, 3, 1), 5, workdays=True) == D(2027, 3, 8)
    assert any(c.endswith("2027.yaml") for c in cal.consulted)


def test_drafter_schedule_takes_precedence_over_the_package(tmp_path: Path) -> None:
    text = SCHEDULE_2027.replace("2027", "2026").replace("2026-03-06", "2026-03-07")
    cal = load_calendar(_root(tmp_path, "2026.yaml", text)).session()
    assert not cal.is_workday(D(2026, 3, 2))  # off in the file, a Monday in the package
    assert cal.is_workday(D(2026, 2, 16))  # the file knows no 春节: its weekday rule applies
    assert "chinese-calendar" not in cal.consulted


@pytest.mark.parametrize(("change", "code", "fragment"), [
    (("to: 2027-03-02", "to: 2027-02-27"), "E602", "早于开始日期"),
    (("workdays: [2027-03-06]", "workdays: [2027-03-03]"), "E604", "本来就是工作日"),
    (("workdays: [2027-03-06]", "workdays: [2027-03-06, 2027-01-02]"), "E605", "既列为放假又列为调休上班"),
    (("year: 2027", "year: 2028"), "E601", "与年份"),
    (("source: 测试用安排（不是官方通知）\n", ""), "E102", "source"),
])  # fmt: skip
def test_bad_schedules_are_reported_with_positions(
    tmp_path: Path, change: tuple[str, str], code: str, fragment: str
) -> None:
    root = _root(tmp_path, "2027.yaml", SCHEDULE_2027.replace(*change))
    with pytest.raises(PolicyError) as err:
        load_calendar(root)
    diags = err.value.diagnostics
    assert any(d.code == code and fragment in d.message for d in diags), diags
    assert all(d.span is not None and d.span.file.endswith("2027.yaml") for d in diags)
