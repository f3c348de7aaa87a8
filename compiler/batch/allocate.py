"""The rules that span applications, applied after every row has been decided on its own.

1. The same organisation (its key, 统一社会信用代码) and the same 资格认定 is paid once, at the
   highest level: the policy's highest_per_group rule (in the Hami fund 第二十条第（二）项), across
   all of the organisation's rows. A 资格认定 is an award's group when it has one, else its
   qualification, else the award itself (a count-based award claimed in two rows is reported as a
   duplicate for the reviewer to check). The same award claimed twice is a duplicate claim.
2. 用完即止: the approved awards are paid from the year's budget in the order the policy declares
   (`batch.order`) until the budget is used; the rest is carried to next year (结转), by the
   policy's until_budget_exhausted rule (第二十条第（一）项). What happens after the first award
   that does not fit is the policy's choice too (`batch.shortfall`).

Clauses are cited from the policy's rules, never written here. Amounts are Decimal throughout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from compiler.batch.evaluation import APPROVED, CARRIED, MERGED, PAID, Application, Claim
from compiler.batch.read import org_key
from compiler.model.policy import Award, CombineRule, Policy
from compiler.runtime.core import money_text

ORDER_ZH = {
    "application_time": "按申报日期先后", "article": "按本办法条文顺序", "amount_desc": "按金额从高到低",
    "amount_asc": "按金额从低到高", "row": "按申报表中的行序",
}  # fmt: skip
SHORTFALL_ZH = {
    "carry_rest": "某一事项超出剩余预算时，该事项及其后各事项整项结转下一年度，不部分拨付",
    "pay_smaller": "某一事项超出剩余预算时整项结转下一年度，其后仍在剩余预算内的事项继续核拨",
}


@dataclass
class Allocation:
    budget: Decimal | None  # None: no limit given, nothing is carried
    year: int  # the budget year (of the as-of date); carried awards go to year + 1
    approved: Decimal = Decimal(0)  # after the rules across applications
    paid: Decimal = Decimal(0)
    carried: Decimal = Decimal(0)
    order_text: str = ""
    shortfall_text: str = ""
    highest_cite: str = ""
    budget_cite: str = ""
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (claim, the claim it repeats)

    @property
    def remaining(self) -> Decimal | None:
        return None if self.budget is None else self.budget - self.paid


def highest_rule(policy: Policy) -> CombineRule | None:
    """The policy's highest_per_group rule that the batch applies, if any."""
    assert policy.batch is not None
    return _rule(policy, "highest_per_group", policy.batch.highest_rule)


def _rule(policy: Policy, kind: str, wanted: str | None) -> CombineRule | None:
    rules = [r for r in policy.combine if r.rule == kind and (wanted is None or r.id == wanted)]
    return rules[0] if rules else None


def qualification_key(award: Award) -> str:
    """What "the same 资格认定" means for an award (see the module's docstring)."""
    if award.group is not None:
        return f"group:{award.group}"
    if award.qualification is not None:
        return f"qualification:{award.qualification}"
    return f"award:{award.id}"


def allocate(policy: Policy, apps: Sequence[Application], claims: list[Claim], budget: Decimal | None,
             as_of: dt.date, merged: list[tuple[int, int]] | None = None) -> Allocation:
    """Apply the rules across applications to `claims` in place; return the totals. `merged`:
    the once-at-highest rule was already applied per organisation (by the Dask engine, whose
    partitions hold all of an organisation's rows), and these are the duplicates it found."""
    batch = policy.batch
    assert batch is not None
    highest = _rule(policy, "highest_per_group", batch.highest_rule)
    capped = _rule(policy, "until_budget_exhausted", batch.budget_rule)
    out = Allocation(budget if capped is not None else None, as_of.year)
    out.highest_cite = highest.clause.cite if highest else ""
    out.budget_cite = capped.clause.cite if capped else ""
    out.order_text = "，再".join(ORDER_ZH[o] for o in batch.order) + "依次核拨"
    out.shortfall_text = SHORTFALL_ZH[batch.shortfall]
    if merged is not None:
        out.duplicates = list(merged)
    elif highest is not None:
        once_at_highest(policy, apps, claims, highest, out)
    out.duplicates.sort()
    approved = [i for i, c in enumerate(claims) if c.status == APPROVED]
    for i in approved:
        amount = claims[i].amount
        assert amount is not None
        out.approved += amount
    if out.budget is None:
        for i in approved:
            claims[i].status = PAID
        out.paid = out.approved
        return out
    assert capped is not None
    order = _order_key(batch.order, apps, claims)
    left = out.budget
    short = False
    for i in sorted(approved, key=order):
        claim = claims[i]
        amount = claim.amount
        assert amount is not None
        if amount <= left and not (short and batch.shortfall == "carry_rest"):
            claim.status = PAID
            left -= amount
            out.paid += amount
            continue
        short = True
        claim.status, claim.rule, claim.cite, claim.left = CARRIED, capped.id, capped.clause.cite, left
        out.carried += amount
    return out


def once_at_highest(policy: Policy, apps: Sequence[Application], claims: list[Claim], rule: CombineRule,
                    out: Allocation) -> None:
    merge_highest([qualification_key(a) for a in policy.awards], apps, claims, rule.id, rule.clause.cite,
                  out.duplicates)


def merge_highest(qualifications: Sequence[str], apps: Sequence[Application], claims: list[Claim], rule: str,
                  cite: str, duplicates: list[tuple[int, int]]) -> None:
    """The same organisation and the same 资格认定 (`qualifications`, by award) paid once, at the
    highest amount, over `claims` (indices into it; `apps` indexed by Claim.app). Plain data in,
    so a Dask worker applies it to a partition that holds all of its organisations' rows."""
    buckets: dict[tuple[str, str], list[int]] = {}
    for i, c in enumerate(claims):
        if c.status == APPROVED:
            key = org_key(apps[c.app].key)
            buckets.setdefault((key, qualifications[c.award]), []).append(i)
    for members in buckets.values():
        if len(members) < 2:
            continue
        # the highest amount wins; of equal amounts, the earliest application
        winner = max(members, key=lambda i: (claims[i].amount, -claims[i].app, -claims[i].award))
        w = claims[winner]
        for i in members:
            if i == winner:
                continue
            c = claims[i]
            c.status, c.rule, c.cite, c.other = MERGED, rule, cite, winner
            if c.award == w.award:
                duplicates.append((i, winner))


def claim_reason(policy: Policy, apps: Sequence[Application], claims: Sequence[Claim], i: int, year: int) -> str:
    """Why a claim was not paid this year (the evaluator's reason for a refusal; worded here for
    the rules across applications)."""
    c = claims[i]
    awards = policy.awards
    if c.status == CARRIED and c.left is not None and c.amount is not None:
        return f"年度预算用完即止：剩余{_yuan(c.left)}，不足以核拨本项{_yuan(c.amount)}，结转至{year + 1}年度"
    if c.status == MERGED and c.other is not None:
        w = claims[c.other]
        where = f"{apps[w.app].sheet}第{apps[w.app].row}行"
        if c.award == w.award:
            return f"重复申报：与{where}为同一单位的同一奖励事项「{awards[c.award].name}」，不得重复享受，只核拨一次"
        return (f"与{where}「{awards[w.award].name}」属于同一资格认定（{awards[c.award].group}），"
                "按“就高不就低”只核拨金额较高的一项")
    return c.reason


def _order_key(order: Sequence[str], apps: Sequence[Application],
               claims: list[Claim]) -> Callable[[int], tuple[Any, ...]]:
    def key(i: int) -> tuple[Any, ...]:
        c = claims[i]
        parts: list[Any] = []
        for o in order:
            if o == "application_time":
                t = apps[c.app].time
                parts += [t is None, t or dt.date.min]
            elif o == "article":
                parts.append(c.award)
            elif o == "amount_desc":
                parts.append(-(c.amount or 0))
            elif o == "amount_asc":
                parts.append(c.amount or 0)
            else:
                parts.append(c.app)
        return (*parts, c.app, c.award)

    return key


def _yuan(amount: Decimal) -> str:
    return money_text(amount)
