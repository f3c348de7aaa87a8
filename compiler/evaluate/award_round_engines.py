"""Both engines of the round procedures (runtime/award_round.py): the `RoundPlan` built from a
policy's round rules, the working-day callable each engine supplies, and the code generator's
part of a generated module.

* the **interpreter** asks the chinese-calendar package for every day (`package_is_workday`);
* the **generated module** carries the package's exceptions to Monday–Friday for the years of the
  policy's validity as two constant sets (`_DAYS_OFF`, `_DAYS_ON`) and a `_CALENDAR_YEARS`
  range, and answers from them with the standard library only.

A differential test compares the two over every day of those years and over the round cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from functools import cache
from types import ModuleType
from typing import Any, Protocol

from compiler.model.award_round import RoundSpec, round_spec
from compiler.model.policy import Policy
from compiler.runtime import award_round
from compiler.runtime.award_round import BanRule, QuotaRule, RoundPlan, Step
from compiler.runtime.procedure import Plan

_DAY = dt.timedelta(days=1)


def round_plan(spec: RoundSpec) -> RoundPlan:
    """The runtime records of a policy's round rules (data only: both engines build the same)."""
    return RoundPlan(
        awards=dict(spec.awards),
        bans=tuple(BanRule(b.id, b.clause.address, b.clause.cite, event=b.event, years=b.years,
                           applies_to=b.applies_to, after_award=b.after_award, reason=b.reason) for b in spec.bans),
        quotas=tuple(QuotaRule(q.id, q.clause.address, q.clause.cite, award=q.award, name=q.name, max=q.max,
                               may_be_vacant=q.may_be_vacant, cycle_years=q.cycle_years) for q in spec.quotas),
        steps=tuple(Step(s.id, s.clause.address, s.clause.cite, name=s.name, days=s.days, workdays=s.workdays,
                         bound=s.bound, after=s.after, trigger=s.trigger, deadline=s.deadline, by=s.by)
                    for s in spec.steps),
        exclusive=spec.exclusive, exclusive_cite=spec.exclusive_cite, condition_cite=spec.condition_cite,
    )  # fmt: skip


def _package() -> Any:
    import chinese_calendar  # type: ignore[import-untyped]

    return chinese_calendar


@cache
def package_years() -> tuple[int, int]:
    years = sorted({d.year for d in _package().holidays})
    return years[0], years[-1]


def package_is_workday(day: dt.date) -> bool | None:
    """The interpreter's working-day callable: chinese-calendar, None for a year it does not cover."""
    first, last = package_years()
    if not first <= day.year <= last:
        return None
    return bool(_package().is_workday(day))


def calendar_table(first_year: int, last_year: int) -> tuple[tuple[int, int] | None, list[dt.date], list[dt.date]]:
    """The covered years within [first_year, last_year] and the days that differ from Monday–Friday
    working: days off on weekdays (法定节假日) and working weekend days (调休上班)."""
    p_first, p_last = package_years()
    lo, hi = max(first_year, p_first), min(last_year, p_last)
    if lo > hi:
        return None, [], []
    off: list[dt.date] = []
    on: list[dt.date] = []
    day = dt.date(lo, 1, 1)
    while day.year <= hi:
        work = bool(_package().is_workday(day))
        if work != (day.weekday() < 5):
            (on if work else off).append(day)
        day += _DAY
    return (lo, hi), off, on


class RoundEngine(Protocol):
    def assess(self, facts: Mapping[str, Any], history: Any, as_of: dt.date) -> dict[str, Any]: ...
    def result(self, candidates: Any, proposal: Any = None) -> dict[str, Any]: ...
    def calendar(self, start: dt.date, events: Mapping[str, dt.date] | None = None,
                 durations: Mapping[str, tuple[int, bool]] | None = None) -> dict[str, Any]: ...


class InterpreterRound:
    """The reference engine: the interpreter's Plan, the package's calendar."""

    def __init__(self, policy: Policy, plan: Plan) -> None:
        spec = round_spec(policy)
        if spec is None:
            raise ValueError(f"{policy.file} 不是评选表彰类办法")
        self.plan, self.rp = plan, round_plan(spec)

    def assess(self, facts: Mapping[str, Any], history: Any, as_of: dt.date) -> dict[str, Any]:
        return award_round.assess(self.plan, self.rp, facts, history, as_of)

    def result(self, candidates: Any, proposal: Any = None) -> dict[str, Any]:
        return award_round.round_result(self.rp, candidates, proposal)

    def calendar(self, start: dt.date, events: Mapping[str, dt.date] | None = None,
                 durations: Mapping[str, tuple[int, bool]] | None = None) -> dict[str, Any]:
        return award_round.round_calendar(self.rp, package_is_workday, start, events, durations)


class GeneratedRound:
    """A generated module's round functions, raising the compiler's own error classes."""

    def __init__(self, namespace: dict[str, Any]) -> None:
        self.ns = namespace

    def _call(self, fn: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
        from compiler.runtime import core

        ns = self.ns
        try:
            return fn(*args)
        except ns["RoundInputError"] as exc:
            raise award_round.RoundInputError(exc.problems) from None
        except ns["CalendarUnknown"] as exc:
            raise award_round.CalendarUnknown(exc.year) from None
        except ns["FactsError"] as exc:
            raise core.FactsError(exc.missing, exc.invalid, exc.unknown) from None
        except ns["EvaluationError"] as exc:
            raise core.EvaluationError(exc.cite, exc.message, exc.rule) from None

    def assess(self, facts: Mapping[str, Any], history: Any, as_of: dt.date) -> dict[str, Any]:
        return self._call(self.ns["assess_round"], facts, history, as_of)

    def result(self, candidates: Any, proposal: Any = None) -> dict[str, Any]:
        return self._call(self.ns["round_result_of"], candidates, proposal)

    def calendar(self, start: dt.date, events: Mapping[str, dt.date] | None = None,
                 durations: Mapping[str, tuple[int, bool]] | None = None) -> dict[str, Any]:
        return self._call(self.ns["round_calendar_of"], start, events, durations)


def _lit(value: Any) -> str:
    if isinstance(value, frozenset):
        return "frozenset({" + ", ".join(repr(v) for v in sorted(value)) + "})" if value else "None"
    return repr(value)


def _call_lines(head: str, args: list[str], tail: str = ",") -> list[str]:
    out = [f"{head}("]
    out += [f"    {a}," for a in args]
    out.append(f"){tail}")
    return out


def emit(policy: Policy, runtime_source: Callable[[ModuleType], str]) -> list[str]:
    """The generated module's round part (after its `evaluate`): the runtime copy (cut by codegen's
    `runtime_source`), the calendar table, ROUND and the three entry points; [] for a policy that
    is not a periodic award."""
    spec = round_spec(policy)
    if spec is None:
        return []
    rp = round_plan(spec)
    out = ["", "", "# --- round procedures (copied from compiler/runtime/award_round.py) ---", ""]
    out += runtime_source(award_round).splitlines()
    effective, until = policy.meta.effective_date, policy.meta.valid_until
    first = effective.year if effective else package_years()[0]
    last = until.year if until else package_years()[1]
    years, off, on = calendar_table(first, last)
    out += ["", "", "# 法定节假日与调休（chinese-calendar，本办法有效期内已收录的年份）：工作日中的放假日与周末的调休上班日。"]
    out.append(f"_CALENDAR_YEARS: tuple[int, int] | None = {years!r}")
    for name, days in (("_DAYS_OFF", off), ("_DAYS_ON", on)):
        out.append(f"{name}: frozenset[dt.date] = frozenset({{")
        out += [f"    dt.date({d.year}, {d.month}, {d.day})," for d in days]
        out.append("})")
    out += ["", "", "def _is_workday(day: dt.date) -> bool | None:",
            "    if _CALENDAR_YEARS is None or not _CALENDAR_YEARS[0] <= day.year <= _CALENDAR_YEARS[1]:",
            "        return None",
            "    if day in _DAYS_OFF:", "        return False",
            "    return day in _DAYS_ON or day.weekday() < 5", "", ""]
    out += ["ROUND = RoundPlan(", f"    awards={rp.awards!r},", "    bans=("]
    for b in rp.bans:
        out += ["        " + line for line in _call_lines("BanRule", [
            repr(b.id), repr(b.clause), repr(b.cite), f"event={b.event!r}", f"years={b.years!r}",
            f"applies_to={_lit(b.applies_to)}", f"after_award={b.after_award!r}", f"reason={b.reason!r}"])]
    out.append("    ),")
    out.append("    quotas=(")
    for q in rp.quotas:
        out += ["        " + line for line in _call_lines("QuotaRule", [
            repr(q.id), repr(q.clause), repr(q.cite), f"award={q.award!r}", f"name={q.name!r}", f"max={q.max!r}",
            f"may_be_vacant={q.may_be_vacant!r}", f"cycle_years={q.cycle_years!r}"])]
    out.append("    ),")
    out.append("    steps=(")
    for s in rp.steps:
        out += ["        " + line for line in _call_lines("Step", [
            repr(s.id), repr(s.clause), repr(s.cite), f"name={s.name!r}", f"days={s.days!r}",
            f"workdays={s.workdays!r}", f"bound={s.bound!r}", f"after={s.after!r}", f"trigger={s.trigger!r}",
            f"deadline={s.deadline!r}", f"by={s.by!r}"])]
    out.append("    ),")
    out += [f"    exclusive={rp.exclusive!r},", f"    exclusive_cite={rp.exclusive_cite!r},",
            f"    condition_cite={rp.condition_cite!r},", ")", "", ""]
    out += [
        "def assess_round(facts: Mapping[str, Any], history: Any, as_of: dt.date) -> dict[str, Any]:",
        '    """Eligibility of an organisation to apply on `as_of`, from its facts and history."""',
        "    return assess(PLAN, ROUND, facts, history, as_of)",
        "", "",
        "def round_result_of(candidates: Any, proposal: Any = None) -> dict[str, Any]:",
        '    """A round\'s result from the committee\'s ranked list (and a proposal checked against it)."""',
        "    return round_result(ROUND, candidates, proposal)",
        "", "",
        "def round_calendar_of(",
        "    start: dt.date, events: Mapping[str, dt.date] | None = None,",
        "    durations: Mapping[str, tuple[int, bool]] | None = None,",
        ") -> dict[str, Any]:",
        '    """The procedure calendar of a round whose 申报通知 is issued on `start`."""',
        "    return round_calendar(ROUND, _is_workday, start, events, durations)",
    ]
    return out
