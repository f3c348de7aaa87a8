"""申报材料 and 审核要点, kept apart: what an applicant submits (the year's general materials —
the 办法 lists none — and each award's proof, cited by the award) and what a reviewer checks
(one row per fact a rule reads, against the material that proves it). Facts the reviewer
looks up (`supplied_by: authority`) are never asked for."""

from __future__ import annotations

import re
from collections.abc import Sequence

from compiler.documents.guide.data import AwardMaterials, CheckRow, Entry
from compiler.documents.guide.wording import amount_names, names_in
from compiler.documents.guide.year import YearParams
from compiler.model.policy import Clause, Policy, walk

FORM_NAME = "申报表"
# A label's fill-in instruction (（没有则不填）): meant for whoever enters facts, not for a reader.
_INSTRUCTION = re.compile(r"（[^（）]*不填）$")


def special_facts(policy: Policy) -> set[str]:
    """The sets `evaluation` names (申报资格, 以往取得资格, 已获奖励资格)."""
    ev = policy.evaluation
    return {n for n in (ev.claims, ev.previously_obtained, ev.previously_rewarded) if n}


def supporting_clauses(policy: Policy, names: Sequence[str], clause: Clause) -> list[Clause]:
    """The clauses that state what a rule's condition on `names` means: a fact's own clause when
    it lies in the rule's article (the 第十三条第二款 definition of the 起草单位 a 第十三条第一款
    award requires), otherwise the rule's clause."""
    article = clause.address.split(".")[0]
    out: list[Clause] = []
    for name in names:
        fact = policy.facts.get(name)
        own = policy.clauses.get(fact.clause) if fact and fact.clause else None
        if own is not None and own is not clause and own.address.split(".")[0] == article and own not in out:
            out.append(own)
    return out or [clause]


def question(label: str) -> str:
    return _INSTRUCTION.sub("", label)


def _widest(materials: Sequence[str]) -> list[str]:
    """Drop a material that another one of the list contains (标准文本 vs 标准文本或证明文件)."""
    return [m for m in materials if not any(m != other and m in other for other in materials)]


def general_materials(params: YearParams, with_form: bool) -> list[Entry]:
    """The 基本材料: the guide's own 申报表 first, then the year file's list (once each: the
    schema refuses duplicates). None of them is cited: the 办法 requires none of them."""
    form = [Entry(FORM_NAME, origin="guide")] if with_form else []
    return form + [Entry(m, origin="year") for m in params.materials]


def award_materials(policy: Policy) -> list[AwardMaterials]:
    """Per award its own `evidence` plus that of the facts its condition and amount read;
    awards of one clause that need the same proof share an entry."""
    special = special_facts(policy)
    per_award: dict[tuple[int, tuple[str, ...]], tuple[list[str], Clause]] = {}
    for award in policy.awards:
        evidence = list(award.evidence)
        for name in names_in(award.when.node if award.when else None) + sorted(amount_names(award)):
            fact = policy.facts.get(name)
            if fact and name not in special and fact.supplied_by != "authority":
                evidence += [e for e in fact.evidence if e not in evidence]
        if evidence:
            key = (id(award.clause), tuple(evidence))
            per_award.setdefault(key, ([], award.clause))[0].append(award.name)
    return [AwardMaterials("、".join(names), "；".join(_widest(ev)), [clause])
            for (_, ev), (names, clause) in per_award.items()]


def checks(policy: Policy) -> tuple[list[CheckRow], list[CheckRow]]:
    """(what reviewers check against submitted materials, what they look up themselves), one
    row per fact any rule reads, in the order of the clauses that state the rule."""
    order = {id(c): i for i, c in enumerate(walk(policy))}
    fact_order = {name: i for i, name in enumerate(policy.facts)}
    rows: dict[str, CheckRow] = {}

    def check(name: str, clause: Clause) -> None:
        fact = policy.facts.get(name)
        if fact is None:
            return
        row = rows.setdefault(name, CheckRow(question(fact.label or name), "；".join(fact.evidence) or "—",
                                             [], fact.supplied_by == "authority", name))
        for c in supporting_clauses(policy, [name], clause):
            if c not in row.clauses:
                row.clauses.append(c)

    for rule in [*policy.eligibility, *policy.exclusions]:
        for name in names_in(rule.when.node):
            check(name, rule.clause)
    ev = policy.evaluation
    for award in policy.awards:
        for name in names_in(award.when.node if award.when else None) + sorted(amount_names(award)):
            check(name, award.clause)
        if award.qualification and ev.claims:
            check(ev.claims, award.clause)
        if award.first_time and ev.previously_obtained:
            check(ev.previously_obtained, award.clause)
    for comb in policy.combine:
        fact_name = comb.budget if comb.rule == "until_budget_exhausted" else (
            ev.previously_rewarded if comb.rule == "no_repeat" else None)
        if fact_name:
            check(fact_name, comb.clause)
    for name, row in rows.items():
        row.order = (min(order.get(id(c), 0) for c in row.clauses), fact_order.get(name, 0))
    ordered = sorted(rows.values(), key=lambda r: r.order)
    return [r for r in ordered if not r.by_authority], [r for r in ordered if r.by_authority]
