"""Periodic awards (评选表彰), defined once for both engines: an organisation's eligibility for a
round from its facts and its history, a round's result from the committee's ranked list, and
the procedure calendar of a round.

* `assess(plan, rp, facts, history, as_of)` — every eligibility rule and exclusion of the `Plan`
  (the engine's callables) is evaluated, not only the first that fails, and every ban of the
  round plan is computed from the date of the history event that starts it. A ban "N年内"
  counts from the day after its event (民法典 第二百零一条) and ends on the anniversary
  (第二百零二条), which it includes: an application on that day is refused, on the next accepted.
* `round_result(rp, candidates, proposal)` — quotas in document order, one award per
  organisation, places left vacant when too few candidates meet the conditions, a tie across
  the last place left to the committee; a proposal (建议名单) is checked against the quotas.
* `round_calendar(rp, is_workday, start, events, durations)` — publicity periods in 工作日
  (the engine supplies `is_workday` from the holiday calendar with 调休), deadlines "之日起N日内"
  counted from the day after their trigger, and a deadline in 自然日 that ends on a 法定休假日
  moved to the next working day (民法典 第二百零三条) where the step says `deadline: true`.

Input problems are `RoundInputError`s: every problem at once, each with the path of keys of its
place in the input (the CLI turns it into file:line:column). Standard library only.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from compiler.runtime.core import add_years, parse_date, zh_date
from compiler.runtime.procedure import Plan

# --- runtime: inlined into generated modules from here on ---

ROUND_FORMAT = "policyc-round/1"
MAX_HISTORY = 500  # events in one organisation's history (its bans are checked pairwise)
MAX_PERIOD_DAYS = 3660  # a period longer than ten years is a typing error, not a procedure
_DAY = dt.timedelta(days=1)
Where = tuple[str | int, ...]  # keys from the input document's root to a value


class RoundInputError(Exception):
    """A history, candidate list or proposal that cannot be right: (path, message, hint) each."""

    def __init__(self, problems: list[tuple[Where, str, str | None]]) -> None:
        self.problems = problems
        super().__init__("；".join(message for _, message, _ in problems))


class CalendarUnknown(Exception):
    """A day in a year whose holiday and 调休 schedule is not known."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.message = f"{year}年的法定节假日与调休安排尚未收录，无法计算工作日"
        super().__init__(self.message)


class BanRule:
    """A ban on applying that starts with a history event: N years from the event's date."""

    __slots__ = ("id", "clause", "cite", "event", "years", "applies_to", "after_award", "reason")

    def __init__(self, id: str, clause: str, cite: str, *, event: str, years: int,
                 applies_to: frozenset[str] | None, after_award: bool, reason: str) -> None:
        self.id, self.clause, self.cite, self.event, self.years = id, clause, cite, event, years
        self.applies_to, self.after_award, self.reason = applies_to, after_award, reason


class QuotaRule:
    """At most `max` organisations per round get the award; places may be left vacant."""

    __slots__ = ("id", "clause", "cite", "award", "name", "max", "may_be_vacant", "cycle_years")

    def __init__(self, id: str, clause: str, cite: str, *, award: str, name: str, max: int,
                 may_be_vacant: bool, cycle_years: int | None) -> None:
        self.id, self.clause, self.cite, self.award, self.name = id, clause, cite, award, name
        self.max, self.may_be_vacant, self.cycle_years = max, may_be_vacant, cycle_years


class Step:
    """A step of the procedure: a period of `days` 工作日 or 自然日 (`bound` at_least, within or
    exact), after another step or from a trigger event, or an untimed step."""

    __slots__ = ("id", "clause", "cite", "name", "days", "workdays", "bound", "after", "trigger", "deadline", "by")

    def __init__(self, id: str, clause: str, cite: str, *, name: str, days: int | None, workdays: bool,
                 bound: str, after: str | None, trigger: str | None, deadline: bool, by: str | None) -> None:
        self.id, self.clause, self.cite, self.name = id, clause, cite, name
        self.days, self.workdays, self.bound = days, workdays, bound
        self.after, self.trigger, self.deadline, self.by = after, trigger, deadline, by


class RoundPlan:
    """What the round procedures need to know about one policy: its awards (id → name), the
    history events it knows, bans, quotas (document order), steps, and the clause of 第二百零三条."""

    __slots__ = ("awards", "events", "bans", "quotas", "steps", "exclusive", "exclusive_cite", "condition_cite")

    def __init__(self, *, awards: dict[str, str], bans: tuple[BanRule, ...], quotas: tuple[QuotaRule, ...],
                 steps: tuple[Step, ...], exclusive: bool, exclusive_cite: str, condition_cite: str) -> None:
        self.awards = awards
        names = list(awards.values())
        self.events = tuple(dict.fromkeys(names + [b.event for b in bans]))
        self.bans, self.quotas, self.steps = bans, quotas, steps
        self.exclusive, self.exclusive_cite = exclusive, exclusive_cite  # one award per organisation a round
        self.condition_cite = condition_cite  # the clause of "达不到表彰条件的，奖项可以空缺"


def _guess(word: str, known: list[str] | tuple[str, ...]) -> str | None:
    found = difflib.get_close_matches(word, list(known), n=1, cutoff=0.4)
    return found[0] if found else None


def _unknown(path: Where, what: str, word: Any, known: list[str] | tuple[str, ...]) -> tuple[Where, str, str | None]:
    guess = _guess(str(word), known)
    hint = f"你是不是想写「{guess}」？" if guess else "可用的值：" + "、".join(known)
    return path, f"未知的{what}「{word}」", hint


def read_history(rp: RoundPlan, raw: Any) -> list[tuple[int, str, dt.date]]:
    """The history as (position, event, date), by date; every problem raises RoundInputError."""
    problems: list[tuple[Where, str, str | None]] = []
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RoundInputError([(("history",), "history 应为事件列表", "每项写 {event: 质量奖, date: 2026-06-30}")])
    if len(raw) > MAX_HISTORY:
        raise RoundInputError([(("history", MAX_HISTORY), f"历史事件超过{MAX_HISTORY}项", "只列获奖、认定与取消奖励等事件")])
    events: list[tuple[int, str, dt.date]] = []
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            problems.append((("history", i), "历史事件应写作 {event: …, date: …}", None))
            continue
        for key in item:
            if key not in ("event", "date", "note"):
                problems.append(_unknown(("history", i, str(key)), "字段", key, ("event", "date", "note")))
        kind = item.get("event")
        if kind is None:
            problems.append((("history", i), "历史事件缺少 event", "可用的值：" + "、".join(list(rp.events))))
        elif str(kind) not in rp.events:
            problems.append(_unknown(("history", i, "event"), "历史事件", kind, list(rp.events)))
        try:
            day = parse_date(item.get("date"))
        except ValueError as exc:
            problems.append((("history", i, "date"), f"历史事件的日期无效：{exc}", "写作 YYYY-MM-DD"))
            continue
        if kind is not None and str(kind) in rp.events:
            for ban in rp.bans:
                if ban.event == str(kind) and _ban_end(day, ban.years) is None:
                    problems.append((("history", i, "date"), f"{zh_date(day)}起{ban.years}年的禁止期超出公元9999年",
                                     "核对日期"))
            events.append((i, str(kind), day))
    if problems:
        raise RoundInputError(problems)
    events.sort(key=lambda e: (e[2], e[0]))
    _check_history(rp, events)
    return events


def _ban_end(start: dt.date, years: int) -> dt.date | None:
    """The last day of a ban of `years` years from `start` (the anniversary); None past 9999."""
    try:
        return add_years(start, Decimal(years))
    except ArithmeticError:
        return None


def _check_history(rp: RoundPlan, events: list[tuple[int, str, dt.date]]) -> None:
    """A history whose events cannot all have happened: an award or a finding about an application
    made while a ban was running, two awards on one day, or an award revoked that was never won."""
    problems: list[tuple[Where, str, str | None]] = []
    awards = set(rp.awards.values())
    ban_events = {b.event for b in rp.bans}
    won_before: dt.date | None = None
    for n, (i, kind, day) in enumerate(events):
        if kind in awards or (kind in ban_events and not _follows_award(rp, kind)):
            for j, earlier, start in events[:n]:
                for ban in rp.bans:
                    if ban.event != earlier:
                        continue
                    until = _ban_end(start, ban.years) or dt.date.max
                    if start < day <= until:
                        problems.append((("history", i, "date"), (
                            f"历史记录自相矛盾：{zh_date(day)}的「{kind}」须经申报，而第{j + 1}项「{earlier}」"
                            f"（{zh_date(start)}）依{ban.cite}至{zh_date(until)}不得申报"),
                            "核对两项事件的日期；禁止申报期间不可能获奖或被认定申报材料虚假"))
        if kind in awards:
            same = [k for j, k, d in events[:n] if d == day and k in awards]
            if same and rp.exclusive:
                problems.append((("history", i, "event"),
                                 f"历史记录自相矛盾：{zh_date(day)}同时获得「{same[0]}」与「{kind}」",
                                 f"依{rp.exclusive_cite}，同一届只能获得其中一个奖项"))
            won_before = day
        elif _follows_award(rp, kind) and (won_before is None or won_before > day):
            problems.append((("history", i, "event"), f"历史记录自相矛盾：{zh_date(day)}「{kind}」，但此前没有获奖记录",
                             "先列出所获奖项及其表彰决定日期"))
    if problems:
        raise RoundInputError(problems)


def _follows_award(rp: RoundPlan, kind: str) -> bool:
    """An event that presupposes an award (取消奖励…): a ban it starts says `after_award`."""
    return any(b.event == kind and b.after_award for b in rp.bans)


def _entry(kind: str, rule: str, clause: str, cite: str, result: Any, detail: str) -> dict[str, Any]:
    return {"kind": kind, "rule": rule, "clause": clause, "cite": cite, "result": result, "detail": detail}


def assess(plan: Plan, rp: RoundPlan, raw_facts: Mapping[str, Any], history: Any, as_of: dt.date) -> dict[str, Any]:
    """Eligibility of an organisation to apply on `as_of` (the day its application is submitted)."""
    f = plan.read_facts(raw_facts)
    f["评价日期"] = as_of
    events = read_history(rp, history)
    trace: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    if plan.validity is not None:
        effective, until, clause, cite = plan.validity
        ok = effective <= as_of and (until is None or as_of <= until)
        trace.append(_entry("validity", "in-force", clause, cite, ok, f"申报日期{zh_date(as_of)}；本办法{plan.validity_text}"))
        if not ok:
            refused.append({"rule": "in-force", "clause": clause, "cite": cite, "applies_to": None,
                            "reason": f"申报日期{zh_date(as_of)}不在本办法有效期内（{plan.validity_text}）"})
    for rule in plan.eligibility:
        ok = rule.test(f)
        trace.append(_entry("eligibility", rule.id, rule.clause, rule.cite, ok, rule.yes if ok else rule.no))
        if not ok:
            refused.append({"rule": rule.id, "clause": rule.clause, "cite": rule.cite, "reason": rule.reason,
                            "applies_to": sorted(rule.applies_to) if rule.applies_to is not None else None})
    for rule in plan.exclusions:
        held = rule.test(f)
        trace.append(_entry("exclusion", rule.id, rule.clause, rule.cite, held, rule.yes if held else rule.no))
        if held:
            refused.append({"rule": rule.id, "clause": rule.clause, "cite": rule.cite, "reason": rule.reason,
                            "applies_to": sorted(rule.applies_to) if rule.applies_to is not None else None})
    bans: list[dict[str, Any]] = []
    for i, kind, start in events:
        for ban in rp.bans:
            if ban.event != kind:
                continue
            until_day = _ban_end(start, ban.years) or dt.date.max
            active = start <= as_of <= until_day
            period = f"{zh_date(start)}「{kind}」起{ban.years}年内，至{zh_date(until_day)}（含）"
            detail = f"{period}；申报日期{zh_date(as_of)}" + ("在禁止期内" if active else "不在禁止期内")
            trace.append(_entry("ban", ban.id, ban.clause, ban.cite, not active, detail))
            entry = {"rule": ban.id, "clause": ban.clause, "cite": ban.cite, "event": kind, "history": i,
                     "from": start, "until": until_day, "active": active, "reason": ban.reason}
            bans.append(entry)
            if active:
                refused.append({"rule": ban.id, "clause": ban.clause, "cite": ban.cite,
                                "reason": f"{ban.reason}（{period}）",
                                "applies_to": sorted(ban.applies_to) if ban.applies_to is not None else None})
    awards = []
    for award, name in rp.awards.items():
        against = [r for r in refused if r["applies_to"] is None or award in r["applies_to"]]
        awards.append({"award": award, "name": name, "eligible": not against,
                       "cites": list(dict.fromkeys(r["cite"] for r in against))})
    return {
        "format": ROUND_FORMAT, "kind": "eligibility", "policy": plan.policy, "version": plan.version,
        "doc_number": plan.doc_number, "as_of": as_of, "eligible": any(a["eligible"] for a in awards),
        "awards": awards, "refused": refused, "bans": bans, "trace": trace,
    }


_CANDIDATE_KEYS = ("名称", "排序", "达到表彰条件", "取消参评资格", "note")


def _read_candidates(raw: Any) -> list[tuple[int, str, int, bool, bool]]:
    problems: list[tuple[Where, str, str | None]] = []
    if not isinstance(raw, list) or not raw:
        raise RoundInputError([(("candidates",), "candidates 应为非空的候选名单", "每项写 {名称: …, 排序: 1, 达到表彰条件: true}")])
    out: list[tuple[int, str, int, bool, bool]] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, Mapping):
            problems.append((("candidates", i), "候选组织应写作 {名称: …, 排序: …, 达到表彰条件: …}", None))
            continue
        for key in item:
            if key not in _CANDIDATE_KEYS:
                problems.append(_unknown(("candidates", i, str(key)), "字段", key, _CANDIDATE_KEYS))
        name, rank = item.get("名称"), item.get("排序")
        if not isinstance(name, str) or not name.strip():
            problems.append((("candidates", i), "候选组织缺少名称", "写 名称: 某某有限公司"))
            continue
        if name in seen:
            problems.append((("candidates", i, "名称"), f"候选组织「{name}」重复（第一次在第{seen[name] + 1}项）", None))
        seen.setdefault(name, i)
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 1:
            problems.append((("candidates", i, "排序"), f"「{name}」的排序应为正整数，实际是「{rank}」",
                             "委员会成员单位投票产生的名次：1 为第一名，并列写同一名次"))
            continue
        flags = []
        for key, default in (("达到表彰条件", None), ("取消参评资格", False)):
            value = item.get(key, default)
            if not isinstance(value, bool):
                problems.append((("candidates", i, key), f"「{name}」的{key}应为 true 或 false，实际是「{value}」", None))
                value = False
            flags.append(value)
        out.append((i, name, rank, flags[0], flags[1]))
    if problems:
        raise RoundInputError(problems)
    return out


def round_result(rp: RoundPlan, candidates: Any, proposal: Any = None) -> dict[str, Any]:
    """A round's result from the committee's ranked list (and a proposal checked against it)."""
    rows = _read_candidates(candidates)
    trace: list[dict[str, Any]] = []
    out_of: list[dict[str, Any]] = []
    pool = []
    for i, name, rank, meets, disqualified in sorted(rows, key=lambda r: (r[2], r[0])):
        if disqualified:
            out_of.append({"name": name, "reason": "异议内容查证属实且属于申报条件禁止性规定，已取消参评资格"})
        elif not meets:
            out_of.append({"name": name, "reason": "达不到表彰条件", "cite": rp.condition_cite})
        else:
            pool.append((i, name, rank))
    awarded: list[dict[str, Any]] = []
    places: list[dict[str, Any]] = []
    undecided: dict[str, Any] | None = None
    for q in rp.quotas:
        if undecided is not None:
            places.append({"award": q.award, "name": q.name, "max": q.max, "winners": [], "vacant": None,
                           "cite": q.cite, "pending": True})
            continue
        winners: list[str] = []
        while pool and len(winners) < q.max:
            rank = pool[0][2]
            group = [c for c in pool if c[2] == rank]
            if len(winners) + len(group) > q.max:
                names = "、".join(c[1] for c in group)
                undecided = {"award": q.award, "rank": rank, "names": [c[1] for c in group],
                             "places": q.max - len(winners), "cite": q.cite,
                             "reason": f"第{rank}名并列（{names}），「{q.name}」只余{q.max - len(winners)}个名额，"
                                       "须由委员会重新表决确定排序"}
                trace.append(_entry("tie", q.id, q.clause, q.cite, False, undecided["reason"]))
                break
            winners += [c[1] for c in group]
            pool = pool[len(group):]
        vacant = q.max - len(winners) if undecided is None else None
        for name in winners:
            awarded.append({"organisation": name, "award": q.award, "name": q.name, "cite": q.cite})
        detail = f"「{q.name}」每届不超过{q.max}个，授予{len(winners)}个"
        if vacant:
            detail += f"，{vacant}个空缺" + ("（名额为上限，可以空缺）" if q.may_be_vacant else "")
        trace.append(_entry("quota", q.id, q.clause, q.cite, True, detail))
        places.append({"award": q.award, "name": q.name, "max": q.max, "winners": winners, "vacant": vacant,
                       "cite": q.cite, "pending": undecided is not None and undecided["award"] == q.award})
    differences = _check_proposal(rp, rows, proposal, awarded) if proposal is not None else []
    return {"format": ROUND_FORMAT, "kind": "round", "awarded": awarded, "places": places,
            "not_awarded": out_of + [{"name": c[1], "reason": "名次在名额之外"} for c in pool
                                     if undecided is None or c[1] not in undecided["names"]],
            "undecided": undecided, "final": undecided is None, "differences": differences, "trace": trace}


def _check_proposal(rp: RoundPlan, rows: list[tuple[int, str, int, bool, bool]], proposal: Any,
                    awarded: list[dict[str, Any]]) -> list[str]:
    """Errors for a proposal that breaks a quota or names an unknown award or organisation; the
    differences from the ranked result otherwise (for the committee to explain)."""
    problems: list[tuple[Where, str, str | None]] = []
    if not isinstance(proposal, Mapping):
        raise RoundInputError([(("proposal",), "proposal（建议名单）应写作 {奖项名称: [组织, …]}", None)])
    by_name = {q.name: q for q in rp.quotas}
    known = {r[1]: r for r in rows}
    given: dict[str, str] = {}
    for award, names in proposal.items():
        q = by_name.get(str(award))
        if q is None:
            problems.append(_unknown(("proposal", str(award)), "奖项", award, list(by_name)))
            continue
        if not isinstance(names, list):
            problems.append((("proposal", str(award)), f"「{award}」的建议名单应为组织名称列表", None))
            continue
        for k, name in enumerate(names):
            if k == q.max:
                problems.append((("proposal", str(award), k),
                                 f"「{award}」建议名单有{len(names)}个组织，超过每届不超过{q.max}个的名额（{q.cite}）",
                                 f"删去第{q.max + 1}个起的组织，或改列其他奖项"))
            if str(name) not in known:
                problems.append(_unknown(("proposal", str(award), k), "组织", name, list(known)))
            elif str(name) in given and rp.exclusive:
                problems.append((("proposal", str(award), k),
                                 f"「{name}」同时列入「{given[str(name)]}」与「{award}」的建议名单",
                                 f"依{rp.exclusive_cite}，同一组织每届只能获得一个奖项"))
            elif not known[str(name)][3] or known[str(name)][4]:
                problems.append((("proposal", str(award), k), f"「{name}」达不到表彰条件或已取消参评资格，不能列入建议名单",
                                 rp.condition_cite))
            given.setdefault(str(name), str(award))
    if problems:
        raise RoundInputError(problems)
    computed = {a["organisation"]: a["name"] for a in awarded}
    out = []
    for name in sorted(set(computed) | set(given), key=lambda n: known[n][2] if n in known else 0):
        if computed.get(name) != given.get(name):
            out.append(f"「{name}」按排序为「{computed.get(name, '不授奖')}」，建议名单为「{given.get(name, '未列入')}」")
    return out


def round_calendar(rp: RoundPlan, is_workday: Callable[[dt.date], bool | None], start: dt.date,
                   events: Mapping[str, dt.date] | None = None,
                   durations: Mapping[str, tuple[int, bool]] | None = None) -> dict[str, Any]:
    """The procedure calendar of a round whose 申报通知 is issued on `start`: each timed step's
    earliest first and last day (periods after another step begin the day after it ends), the
    deadlines of steps that run from a trigger event given in `events`, and the steps the
    calendar cannot place (no trigger date given, or no duration known)."""
    events = events or {}
    durations = durations or {}
    for step_id, (n, _) in durations.items():
        if not 0 < n <= MAX_PERIOD_DAYS:
            raise RoundInputError([(("durations", step_id), f"步骤「{step_id}」的期限{n}日不在1至{MAX_PERIOD_DAYS}日之间", None)])
    try:
        return _calendar(rp, is_workday, start, events, durations)
    except ArithmeticError:  # a date past 9999-12-31
        raise RoundInputError([(("start",), f"从{zh_date(start)}起的日期超出公元9999年", "核对日期")]) from None


def _calendar(rp: RoundPlan, is_workday: Callable[[dt.date], bool | None], start: dt.date,
              events: Mapping[str, dt.date], durations: Mapping[str, tuple[int, bool]]) -> dict[str, Any]:

    def workday(day: dt.date) -> bool:
        known = is_workday(day)
        if known is None:
            raise CalendarUnknown(day.year)
        return known

    def count(first: dt.date, days: int, workdays: bool) -> dt.date:
        if not workdays:
            return first + dt.timedelta(days=days - 1)
        day, n = first, 0
        while True:
            if workday(day):
                n += 1
                if n == days:
                    return day
            day += _DAY

    ends: dict[str, dt.date] = {}
    rows: list[dict[str, Any]] = []
    unplaced: list[dict[str, Any]] = []
    for step in rp.steps:
        days, workdays = (step.days, step.workdays) if step.days is not None else durations.get(step.id, (0, False))
        if step.trigger is not None:
            base = events.get(step.trigger)
            if base is None and step.after is not None and step.after in ends:
                base = ends[step.after]
            if base is None or not days:
                unplaced.append({"step": step.id, "name": step.name, "cite": step.cite,
                                 "reason": f"未给出「{step.trigger}」的日期" if base is None else "期限未规定"})
                continue
            first = base + _DAY  # 开始的当日不计入（第二百零一条）
        elif step.after is not None:
            if step.after not in ends:
                unplaced.append({"step": step.id, "name": step.name, "cite": step.cite, "reason": "前一步骤未能排定"})
                continue
            first = ends[step.after] + _DAY
        else:
            first = start
        if not days:
            ends[step.id] = first - _DAY if step.after is not None or step.trigger is not None else first
            continue
        begin = first
        if workdays:
            while not workday(begin):
                begin += _DAY
        last = count(begin, days, workdays)
        moved = None
        if step.deadline and not workdays and not workday(last):
            moved = last
            while not workday(last):
                last += _DAY
        ends[step.id] = last
        unit = "个工作日" if workdays else "日"
        bound = {"at_least": "不少于", "within": "内", "exact": ""}[step.bound]
        text = f"{bound}{days}{unit}" if step.bound == "at_least" else f"{days}{unit}{bound}"
        row = {"step": step.id, "name": step.name, "cite": step.cite, "by": step.by, "duration": text,
               "bound": step.bound, "from": begin, "to": last, "moved_from": moved,
               "workdays": sum(1 for k in range((last - begin).days + 1) if workday(begin + dt.timedelta(days=k)))}
        rows.append(row)
    return {"format": ROUND_FORMAT, "kind": "calendar", "start": start, "steps": rows, "unplaced": unplaced}
