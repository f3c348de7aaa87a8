"""Periodic awards (评选表彰): the quotas of a round, the bans that start with an event of an
organisation's history, and the timed procedure steps, read from the clauses that state them,
and their checks (award ids, events, step order, durations).

    quota:      {id, awards: [one award id], max, per: 届, cycle: 2年, may_be_vacant, exclusive}
    bans:       {id, event: 质量奖, years: 5, applies_to?, after_award?, reason}
    procedure:  {id, step, duration: 5个工作日, bound: at_least|within|exact, after: <step id>,
                 from: <trigger event>, deadline: true (民法典 第二百零三条), set_by: 申报通知}
    sanctions:  {case, revoke, recover_items, ban_years, ban_from: <ban event>, requires_approval,
                 publish, window_years, credit_record}

A policy is a periodic award when it has a ban with an `event` or a quota on a non-monetary
award (`grant`). `round_spec` is what both engines build their `RoundPlan` from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.model.policy import Clause, Policy, walk
from compiler.source.diagnostics import Collector, Span
from compiler.source.yamlsrc import YMap

_DURATION = re.compile(r"\s*(\d+)\s*(个工作日|工作日|个自然日|自然日|日|天)\s*")


@dataclass
class RoundBan:
    id: str
    clause: Clause
    event: str
    years: int
    applies_to: frozenset[str] | None
    after_award: bool
    reason: str
    span: Span


@dataclass
class RoundQuota:
    id: str
    clause: Clause
    award: str
    name: str
    max: int
    may_be_vacant: bool
    cycle_years: int | None
    first_round: int | None
    exclusive: bool
    span: Span


@dataclass
class RoundStep:
    id: str
    clause: Clause
    name: str
    days: int | None
    workdays: bool
    bound: str
    after: str | None
    trigger: str | None
    deadline: bool
    by: str | None
    set_by: str | None
    span: Span


@dataclass
class RoundSpec:
    awards: dict[str, str]  # the awards of the quotas: id → name
    bans: list[RoundBan]
    quotas: list[RoundQuota]
    steps: list[RoundStep]
    exclusive: bool
    exclusive_cite: str
    condition_cite: str


def duration_of(text: str) -> tuple[int, bool] | None:
    """"5个工作日" → (5, True); "30日" → (30, False); None when it is not a period of days."""
    m = _DURATION.fullmatch(text)
    return (int(m.group(1)), "工作日" in m.group(2)) if m else None


def _raw_list(clause: Clause, key: str) -> list[YMap]:
    if clause.raw is None or key not in clause.rule_keys:
        return []
    return [r for r in clause.raw.get(key) or [] if isinstance(r, YMap)]


def round_spec(policy: Policy, errors: Collector | None = None) -> RoundSpec | None:
    """The round rules of a policy (None when it is not a periodic award); with `errors`, the
    problems found on the way are reported there."""
    diag = errors if errors is not None else Collector()
    names = {a.id: a.name for a in policy.awards}
    grants = {a.id for a in policy.awards if a.grant is not None}
    bans: list[RoundBan] = []
    quotas: list[RoundQuota] = []
    for clause in walk(policy):
        for raw in _raw_list(clause, "bans"):
            if "event" not in raw:
                continue
            scope = frozenset(str(a) for a in raw["applies_to"]) if "applies_to" in raw else None
            for a in sorted(scope or ()):
                if a not in names:
                    diag.error("E701", f"禁止申报期适用的奖励事项「{a}」不存在", raw.value_spans["applies_to"], clause.cite)
            bans.append(RoundBan(str(raw["id"]), clause, str(raw["event"]), int(raw["years"]), scope,
                                 bool(raw.get("after_award", False)),
                                 str(raw.get("reason") or f"自{raw['event']}之日起{raw['years']}年内不得申报"), raw.span))
        for raw in _raw_list(clause, "quota"):
            awards = [str(a) for a in raw.get("awards") or []]
            if len(awards) != 1 or awards[0] not in names:
                diag.error("E701", "名额（quota）应只对应一个已定义的奖励事项", raw.span, clause.cite,
                           "写 awards: [奖励事项 id]；几个奖项各有名额的，分别写 quota")
                continue
            cycle = str(raw["cycle"]) if "cycle" in raw else None
            quotas.append(RoundQuota(
                str(raw["id"]), clause, awards[0], names[awards[0]], int(raw["max"]), bool(raw.get("may_be_vacant", False)),
                int(cycle.rstrip("年")) if cycle else None, int(raw["first_round"]) if "first_round" in raw else None,
                bool(raw.get("exclusive", False)), raw.span,
            ))  # fmt: skip
    if not quotas or not (bans or grants & {q.award for q in quotas}):
        return None
    steps = _steps(policy, diag)
    award_names = set(names.values())
    for ban in bans:
        if ban.event in award_names and ban.after_award:
            diag.error("E702", f"禁止申报期的起算事件「{ban.event}」是奖项本身，不应写 after_award", ban.span, ban.clause.cite)
    for award in policy.awards:
        if award.id in grants and award.id not in {q.award for q in quotas}:
            diag.error("E701", f"非金钱奖励「{award.name}」没有名额（quota）：无法在评选中确定", award.span,
                       award.clause.cite, "在规定名额的条款写 quota")
    for clause in walk(policy):
        sanctions = clause.raw.get("sanctions") if clause.raw is not None and "sanctions" in clause.rule_keys else None
        if isinstance(sanctions, YMap) and "ban_from" in sanctions:
            match = [b for b in bans if b.event == str(sanctions["ban_from"])]
            if not match or ("ban_years" in sanctions and match[0].years != int(sanctions["ban_years"])):
                diag.error("E702", f"处理措施的 ban_from「{sanctions['ban_from']}」没有对应的禁止申报期（bans.event）"
                           + ("" if not match else f"，或年限与其{match[0].years}年不一致"),
                           sanctions.value_spans["ban_from"], clause.cite, "在同一条款写 bans: {event: …, years: …}")
    first = quotas[0]
    return RoundSpec(
        {q.award: q.name for q in quotas}, bans, quotas, steps, any(q.exclusive for q in quotas),
        first.clause.cite, first.clause.cite,
    )


def _steps(policy: Policy, diag: Collector) -> list[RoundStep]:
    steps: list[RoundStep] = []
    raws = {}
    for clause in walk(policy):
        for raw in _raw_list(clause, "procedure"):
            raws[str(raw["id"])] = (clause, raw)
    for step in policy.procedure:
        clause, raw = raws[step.id]
        days: tuple[int, bool] | None = None
        if step.duration is not None:
            days = duration_of(step.duration.text)
            if days is None:
                diag.error("E703", f"期限「{step.duration.text}」应写作 5个工作日 或 30日", step.duration.src.span,
                           clause.cite)
        if "set_by" in raw and days is not None:
            diag.error("E703", f"步骤「{step.step}」的期限已由办法规定，不应再写 set_by", raw.value_spans["set_by"],
                       clause.cite)
        after = str(raw["after"]) if "after" in raw else None
        if after is not None and after not in {s.id for s in steps}:
            known = after in raws
            diag.error("E704", f"步骤「{step.step}」所接的步骤「{after}」" + ("在它之后才出现" if known else "不存在"),
                       raw.value_spans["after"], clause.cite, "after 写在本步骤之前的步骤 id")
        bound = str(raw.get("bound", "exact"))
        if raw.get("deadline") and bound != "within":
            diag.error("E703", "deadline: true（届满日顺延）只适用于 bound: within 的期限", raw.value_spans["deadline"],
                       clause.cite)
        steps.append(RoundStep(
            step.id, clause, step.step, days[0] if days else None, days[1] if days else False, bound, after,
            str(raw["from"]) if "from" in raw else None, bool(raw.get("deadline", False)), step.by,
            str(raw["set_by"]) if "set_by" in raw else None, step.span,
        ))  # fmt: skip
    return steps


def check(policy: Policy, diag: Collector) -> None:
    """The round rules' checks (called by the checker)."""
    round_spec(policy, diag)
