"""The decision procedure, defined once for both engines.

A policy is compiled into a `Plan`: its awards, eligibility rules, exclusions and combination
rules as named records whose conditions and amounts are callables over the facts. The reference
interpreter builds a plan whose callables walk expression trees; the code generator writes a
module whose plan holds compiled Python functions. `decide(plan, facts, as_of)` is the one
definition of the phases, the combination rules and every Chinese reason and trace text, so the
two engines differ only in how they evaluate expressions and read facts.

Phases (each traced with the clause it applies):
1. claims — the claimed qualifications, then awards claimed by a condition, in document order;
2. validity — the 办法 must be in force on the as-of date (施行日期 … 有效期至);
3. eligibility (申报对象), then exclusions (不予奖励情形): a failing rule refuses every claim it
   concerns; every exclusion that concerns a claim is evaluated, the first that holds refuses;
4. per award: its condition and 首次;
5. the amount, rounded to 分;
6. combination: 就高不就低 and 不得重复享受 in document order, then 用完即止, then 一次性拨付.

Standard library only: this module is copied into every generated evaluator after `core`.
A new rule kind is a new record here, a phase in `decide`, and a callable each engine supplies.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from compiler.runtime.core import (
    RESULT_FORMAT,
    Claims,
    EvaluationError,
    amount_json,
    money_text,
    require_date,
    zh_date,
)

# --- runtime: inlined into generated modules from here on ---

Facts = dict[str, Any]
Test = Callable[[Facts], bool]  # conditions are checked to be bool-typed; both engines return bools
AmountFn = Callable[[Facts], Decimal]


class AwardItem:
    """One award item (奖励事项) with every text its trace entries and refusals print."""

    __slots__ = (
        "id", "name", "clause", "cite", "qualification", "group", "first_time", "one_time",
        "condition", "amount", "fixed", "claim_detail", "condition_met", "condition_not_met",
        "condition_refusal", "first_yes", "first_no", "first_refusal", "fixed_json", "fixed_detail",
        "subject", "condition_text",
    )  # fmt: skip

    def __init__(
        self, id: str, name: str, clause: str, cite: str, *, qualification: str | None, group: str | None,
        first_time: bool, one_time: bool, condition: Test | None, condition_text: str | None,
        amount: AmountFn | None, fixed: Decimal | None, subject: str | None = None,
    ) -> None:
        self.id, self.name, self.clause, self.cite = id, name, clause, cite
        self.qualification, self.group = qualification, group
        self.first_time, self.one_time = first_time, one_time
        self.condition, self.condition_text = condition, condition_text  # a further `when` of a claim
        self.amount = amount  # None when the amount is fixed
        self.fixed = fixed
        self.subject = subject  # what the claim is about (a project, a platform …), when named
        when = condition_text or ""
        about = f"（{subject}）" if subject else ""
        self.claim_detail = f"申报「{name}」{about}"
        self.condition_met, self.condition_not_met = f"{when}：符合", f"{when}：不符合"
        self.condition_refusal = f"不符合本项条件：{when}"
        held = f"「{qualification or ''}」{about}"
        self.first_yes, self.first_no = f"{held}此前未取得，属首次", f"{held}此前已取得"
        self.first_refusal = f"{held}此前已经取得，不属于首次获得"
        self.fixed_json = amount_json(fixed) if fixed is not None else ""
        self.fixed_detail = f"「{name}」{about}{money_text(fixed)}" if fixed is not None else ""

    def on_subject(self, subject: str) -> AwardItem:
        """The same award claimed for one named subject (its texts name the subject)."""
        return AwardItem(
            self.id, self.name, self.clause, self.cite, qualification=self.qualification, group=self.group,
            first_time=self.first_time, one_time=self.one_time, condition=self.condition,
            condition_text=self.condition_text, amount=self.amount, fixed=self.fixed, subject=subject,
        )


class ConditionRule:
    """An eligibility rule (must hold) or an exclusion (must not hold)."""

    __slots__ = ("id", "clause", "cite", "reason", "test", "applies_to", "yes", "no")

    def __init__(
        self, id: str, clause: str, cite: str, *, reason: str, test: Test, text: str, exclusion: bool,
        applies_to: frozenset[str] | None,
    ) -> None:
        self.id, self.clause, self.cite, self.reason, self.test = id, clause, cite, reason, test
        self.applies_to = applies_to  # award ids; None: every award
        # Trace details: an eligibility rule shows its condition, an exclusion its reason.
        self.yes, self.no = (f"{reason}：是", f"{reason}：否") if exclusion else (f"{text}：符合", f"{text}：不符合")


class CombineRule:
    """A combination rule: highest_per_group, no_repeat, until_budget_exhausted or one_payment."""

    __slots__ = ("id", "kind", "clause", "cite", "budget")

    def __init__(self, id: str, kind: str, clause: str, cite: str, *, budget: str | None) -> None:
        self.id, self.kind, self.clause, self.cite, self.budget = id, kind, clause, cite, budget


# The order in which combination rules apply, whatever their order in the document.
COMBINE_PHASES = {"highest_per_group": 0, "no_repeat": 0, "until_budget_exhausted": 1, "one_payment": 2}


class Plan:
    """Everything `decide` needs to know about one policy version."""

    __slots__ = (
        "policy", "version", "doc_number", "read_facts", "claims", "previously", "rewarded", "awards",
        "claim_index", "claims_by_condition", "eligibility", "exclusions", "combine", "validity", "validity_text",
        "exclusions_held",
    )  # fmt: skip

    def __init__(
        self, policy: str, version: str, doc_number: str | None, *, read_facts: Callable[[Mapping[str, Any]], Facts],
        claims: str | None, previously: str | None, rewarded: str | None, awards: tuple[AwardItem, ...],
        claims_by_condition: Callable[[Facts], list[int]], eligibility: tuple[ConditionRule, ...],
        exclusions: tuple[ConditionRule, ...], combine: tuple[CombineRule, ...],
        validity: tuple[dt.date, dt.date | None, str, str] | None,
        exclusions_held: Callable[[Facts], tuple[bool, ...]] | None = None,
    ) -> None:
        self.policy, self.version, self.doc_number = policy, version, doc_number
        self.read_facts = read_facts  # raw facts → checked facts in base units (raises FactsError)
        self.claims, self.previously, self.rewarded = claims, previously, rewarded  # fact names
        self.awards = awards  # in document order
        index: dict[str, list[int]] = {}
        for i, award in enumerate(awards):
            if award.qualification is not None:
                index.setdefault(award.qualification, []).append(i)
        self.claim_index = {q: tuple(i) for q, i in index.items()}  # qualification → awards claimed
        self.claims_by_condition = claims_by_condition  # positions of awards whose `when` holds
        self.eligibility, self.exclusions = eligibility, exclusions
        # When every exclusion concerns every award, an engine may test them all in one call
        # (the generated code compiles them into one function): the results in rule order.
        self.exclusions_held = exclusions_held if all(r.applies_to is None for r in exclusions) else None
        self.combine = tuple(sorted(combine, key=lambda r: COMBINE_PHASES[r.kind]))
        self.validity = validity  # (施行日期, 有效期至 or None, clause, cite)
        self.validity_text = ""
        if validity is not None:
            until = zh_date(validity[1]) if validity[1] else "长期"
            self.validity_text = f"{zh_date(validity[0])}起施行，有效期至{until}"


def _refusal(award: AwardItem, rule: str, clause: str, cite: str, reason: str) -> dict[str, Any]:
    return {"award": award.id, "name": award.name, "subject": award.subject, "rule": rule, "clause": clause,
            "cite": cite, "reason": reason}


def _claims_on_subjects(awards: tuple[AwardItem, ...], index: dict[str, tuple[int, ...]], by_condition: list[int],
                        subjects: tuple[tuple[str, str | None], ...]) -> list[AwardItem]:
    """One claim per award and subject (two different 国家级质量强链重点项目 are two claims), in
    document order and, within an award, in the order given; awards claimed by a condition and
    qualifications given without a subject are claims about no named subject."""
    keyed: list[tuple[int, str | None]] = [(i, None) for i in by_condition]
    for qualification, subject in subjects:
        keyed += [(i, subject) for i in index.get(qualification, ())]
    ordered = sorted(dict.fromkeys(keyed), key=lambda key: key[0])
    return [awards[i] if subject is None else awards[i].on_subject(subject) for i, subject in ordered]


def _step(kind: str, rule: str, clause: str, cite: str, result: Any, detail: str) -> dict[str, Any]:
    return {"kind": kind, "rule": rule, "clause": clause, "cite": cite, "result": result, "detail": detail}


def decide(plan: Plan, raw_facts: Mapping[str, Any], as_of: dt.date, trace: bool = True) -> dict[str, Any]:
    """Decide one application as of `as_of`; with trace=False the result's trace is empty."""
    if as_of.__class__ is not dt.date:
        require_date(as_of)  # raises
    f = plan.read_facts(raw_facts)
    f["评价日期"] = as_of
    steps: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    awards = plan.awards

    # 1. Claims. A qualification listed twice, or also claimed by a condition, counts once.
    claims = f[plan.claims] if plan.claims is not None else ()
    index = plan.claim_index
    claimed = plan.claims_by_condition(f)
    if claims.__class__ is Claims and any(subject for _, subject in claims.subjects):
        active = _claims_on_subjects(awards, index, claimed, claims.subjects)
    else:
        for q in claims:
            claimed += index.get(q, ())
        if len(claimed) > 1:
            claimed = sorted(set(claimed))
        active = list(map(awards.__getitem__, claimed))
    if trace:
        steps += [_step("claim", a.id, a.clause, a.cite, True, a.claim_detail) for a in active]
        if not active:
            steps.append(_step("claim", "", "", "", False, "未申报任何奖励事项"))

    # 2. Validity.
    validity = plan.validity
    if active and validity is not None:
        effective, until, clause, cite = validity
        in_force = effective <= as_of and (until is None or as_of <= until)
        span = plan.validity_text
        if trace:
            steps.append(_step("validity", "in-force", clause, cite, in_force, f"评价日期{zh_date(as_of)}；本办法{span}"))
        if not in_force:
            reason = f"评价日期{zh_date(as_of)}不在本办法有效期内（{span}）"
            refused += [_refusal(a, "in-force", clause, cite, reason) for a in active]
            active = []

    # 3a. Eligibility: a rule is evaluated only while an award it concerns is still claimed.
    for rule in plan.eligibility:
        scope = rule.applies_to
        if not active or (scope is not None and not any(a.id in scope for a in active)):
            continue
        ok = rule.test(f)
        if trace:
            steps.append(_step("eligibility", rule.id, rule.clause, rule.cite, ok, rule.yes if ok else rule.no))
        if not ok:
            refused += [_refusal(a, rule.id, rule.clause, rule.cite, rule.reason)
                        for a in active if scope is None or a.id in scope]
            active = [a for a in active if scope is not None and a.id not in scope]

    # 3b. Exclusions: every rule that concerns a claim is evaluated (and traced), so an exclusion
    # that cannot be computed is reported whichever holds first; each claim is refused by the
    # first rule that holds and concerns it.
    if active and plan.exclusions_held is not None:
        held_all = plan.exclusions_held(f)
        if trace:
            steps += [_step("exclusion", r.id, r.clause, r.cite, held, r.yes if held else r.no)
                      for r, held in zip(plan.exclusions, held_all, strict=True)]
        if True in held_all:
            rule = plan.exclusions[held_all.index(True)]
            refused += [_refusal(a, rule.id, rule.clause, rule.cite, rule.reason) for a in active]
            active = []
    elif active and plan.exclusions:
        hits = []
        for rule in plan.exclusions:
            scope = rule.applies_to
            if scope is not None and not any(a.id in scope for a in active):
                continue
            held = rule.test(f)
            if trace:
                steps.append(_step("exclusion", rule.id, rule.clause, rule.cite, held, rule.yes if held else rule.no))
            if held:
                hits.append(rule)
        for rule in hits:
            scope = rule.applies_to
            refused += [_refusal(a, rule.id, rule.clause, rule.cite, rule.reason)
                        for a in active if scope is None or a.id in scope]
            active = [a for a in active if scope is not None and a.id not in scope]

    # 4–5. Per award: its condition, 首次, then the amount in 元 rounded to 分.
    candidates: list[tuple[AwardItem, Decimal]] = []
    previously = f[plan.previously] if plan.previously is not None else ()
    for a in active:
        if a.condition is not None:
            ok = a.condition(f)
            if trace:
                detail = a.condition_met if ok else a.condition_not_met
                steps.append(_step("condition", a.id, a.clause, a.cite, ok, detail))
            if not ok:
                refused.append(_refusal(a, a.id, a.clause, a.cite, a.condition_refusal))
                continue
        if a.first_time:
            if previously.__class__ is Claims:
                first = not previously.held(a.qualification or "", a.subject)
            else:
                first = a.qualification not in previously
            if trace:
                steps.append(_step("first_time", a.id, a.clause, a.cite, first, a.first_yes if first else a.first_no))
            if not first:
                refused.append(_refusal(a, a.id, a.clause, a.cite, a.first_refusal))
                continue
        if a.amount is None:
            amount = a.fixed
            assert amount is not None
            if trace:
                steps.append(_step("amount", a.id, a.clause, a.cite, a.fixed_json, a.fixed_detail))
        else:
            amount = a.amount(f)
            if amount < 0:
                raise EvaluationError(a.cite, f"「{a.name}」的金额为负数")
            if trace:
                detail = f"「{a.name}」{money_text(amount)}"
                steps.append(_step("amount", a.id, a.clause, a.cite, amount_json(amount), detail))
        candidates.append((a, amount))

    # 6. Combination rules.
    deferred: list[dict[str, Any]] = []
    for combine in plan.combine:
        kind = combine.kind
        if kind == "highest_per_group":
            if len(candidates) < 2:
                continue  # one candidate shares a group with no other
            groups = [(a.group, a.subject) for a, _ in candidates if a.group is not None]
            if len(groups) > len(set(groups)):  # only when two candidates share a group
                candidates = _highest_per_group(combine, candidates, refused, steps if trace else None)
        elif kind == "no_repeat":
            rewarded = f[plan.rewarded] if plan.rewarded is not None else ()
            if rewarded:
                candidates = _no_repeat(combine, candidates, rewarded, refused, steps if trace else None)
        elif kind == "until_budget_exhausted":
            budget = f.get(combine.budget or "")
            if budget is not None:
                candidates = _until_budget(combine, candidates, budget, deferred, steps if trace else None)
        elif kind == "one_payment":
            if candidates and trace:
                steps.append(_step("payment", combine.id, combine.clause, combine.cite, True, "奖励资金在公示无异议后一次性拨付"))

    granted = []
    total = Decimal(0)
    for a, amount in candidates:
        granted.append({"award": a.id, "name": a.name, "subject": a.subject, "amount": amount, "unit": "元",
                        "clause": a.clause, "cite": a.cite, "one_time": a.one_time})
        total += amount
    return {
        "format": RESULT_FORMAT, "policy": plan.policy, "version": plan.version, "doc_number": plan.doc_number,
        "as_of": as_of, "granted": granted, "refused": refused, "deferred": deferred, "total": total,
        "unit": "元", "trace": steps,
    }


Candidates = list[tuple[AwardItem, Decimal]]


def _highest_per_group(rule: CombineRule, candidates: Candidates, refused: list[dict[str, Any]],
                       steps: list[dict[str, Any]] | None) -> Candidates:
    """就高不就低: of the awards of one group (the same 资格认定) for the same subject, only the
    highest is paid; claims about different subjects are paid each."""
    best: dict[tuple[str, str | None], tuple[AwardItem, Decimal]] = {}
    for a, amount in candidates:
        key = (a.group or "", a.subject)
        if a.group is not None and (key not in best or amount > best[key][1]):
            best[key] = (a, amount)
    keep = []
    for a, amount in candidates:
        winner = best.get((a.group, a.subject)) if a.group is not None else None
        if winner is None or winner[0] is a:
            keep.append((a, amount))
            continue
        about = f"（{a.subject}）" if a.subject else ""
        refused.append(_refusal(a, rule.id, rule.clause, rule.cite,
                                f"与「{winner[0].name}」{about}属于同一资格认定（{a.group}），"
                                f"按“就高不就低”只奖励金额较高的一项"))
        if steps is not None:
            steps.append(_step("combine", rule.id, rule.clause, rule.cite, False,
                               f"「{a.name}」与「{winner[0].name}」同组，就高不就低"))
    return keep


def _no_repeat(rule: CombineRule, candidates: Candidates, rewarded: Any, refused: list[dict[str, Any]],
               steps: list[dict[str, Any]] | None) -> Candidates:
    """不得重复享受: a qualification already rewarded by this fund is not paid again."""
    keep = []
    for a, amount in candidates:
        if a.qualification is None or not (
            rewarded.held(a.qualification, a.subject) if rewarded.__class__ is Claims else a.qualification in rewarded
        ):
            keep.append((a, amount))
            continue
        refused.append(_refusal(a, rule.id, rule.clause, rule.cite,
                                f"「{a.qualification}」已经获得过本专项资金奖励，不得重复享受"))
        if steps is not None:
            steps.append(_step("combine", rule.id, rule.clause, rule.cite, False, f"「{a.name}」已获奖励，不得重复享受"))
    return keep


def _until_budget(rule: CombineRule, candidates: Candidates, budget: Decimal, deferred: list[dict[str, Any]],
                  steps: list[dict[str, Any]] | None) -> Candidates:
    """用完即止: awards are paid in document order until the year's budget is used; the first that
    does not fit and every one after it move to next year's budget."""
    keep: Candidates = []
    used = Decimal(0)
    for a, amount in candidates:
        if not deferred and used + amount <= budget:
            used += amount
            keep.append((a, amount))
            continue
        deferred.append({"award": a.id, "name": a.name, "subject": a.subject, "amount": amount, "unit": "元",
                         "rule": rule.id, "clause": rule.clause, "cite": rule.cite,
                         "reason": f"年度预算剩余{money_text(budget)}，用完即止；超出部分列入下一年度奖励预算"})
        if steps is not None:
            steps.append(_step("budget", rule.id, rule.clause, rule.cite, False,
                               f"「{a.name}」{money_text(amount)}超出年度剩余预算，列入下一年度"))
    return keep
