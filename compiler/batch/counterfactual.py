"""What would change the outcome of a refused, reduced or carried claim, in plain Chinese with the
clause — derived from the policy's awards, groups and rules, never written per award.

* paid, but a higher level of the same 资格认定 exists (a group): "如取得国家级认定（…），可获奖励20万元";
* carried: "预算不足，结转至2027年度";
* refused by an exclusion or eligibility rule, or the award's own condition: what must hold
  instead, and the amount the award would then give (its fixed amount, when it has one);
* refused for 首次 or 不得重复享受, or given way to a higher claim: why nothing would change it.
"""

from __future__ import annotations

from decimal import Decimal

from compiler.batch.allocate import Allocation
from compiler.batch.evaluation import CARRIED, MERGED, PAID, REFUSED, Claim
from compiler.evaluate.derive import fixed_amount
from compiler.model.policy import Award, Policy
from compiler.runtime.core import money_text


class Counterfactuals:
    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.fixed: list[Decimal | None] = [fixed_amount(a) for a in policy.awards]
        self.rules = {r.id: r for r in (*policy.eligibility, *policy.exclusions)}
        self.combine = {r.id: r for r in policy.combine}
        self.higher: list[list[int]] = []  # per award: the awards of its group that pay more, lowest first
        for i, a in enumerate(policy.awards):
            mine = self.fixed[i]
            ups = [j for j, b in enumerate(policy.awards)
                   if a.group is not None and b.group == a.group and j != i and mine is not None
                   and (self.fixed[j] or Decimal(0)) > mine]
            self.higher.append(sorted(ups, key=lambda j: self.fixed[j] or Decimal(0)))

    def _gain(self, i: int) -> str:
        amount = self.fixed[i]
        award = self.policy.awards[i]
        return f"可获奖励{money_text(amount)}" if amount is not None else f"可按{award.clause.cite}核定奖励"

    def text(self, claim: Claim, allocation: Allocation) -> str:
        awards = self.policy.awards
        award = awards[claim.award]
        if claim.status == PAID:
            if not self.higher[claim.award]:
                return ""
            up = awards[self.higher[claim.award][0]]
            return f"如取得{_level(up)}认定（「{up.name}」，{up.clause.cite}），{self._gain(self.higher[claim.award][0])}"
        if claim.status == CARRIED:
            return f"预算不足，结转至{allocation.year + 1}年度（{allocation.budget_cite}），下一年度预算内优先核拨"
        if claim.status == MERGED:
            return f"同一资格认定只核拨一次，已按较高或较早的一项核拨（{claim.cite}）；本项无需另行申报"
        if claim.status != REFUSED:
            return ""
        rule = self.rules.get(claim.rule)
        if rule is not None:
            if rule.kind == "exclusion":
                return f"如不存在「{rule.reason}」的情形（{rule.clause.cite}），{self._gain(claim.award)}"
            return f"如符合{rule.clause.cite}规定的支持对象条件，{self._gain(claim.award)}"
        combine = self.combine.get(claim.rule)
        if combine is not None:
            if combine.rule == "no_repeat":
                return f"该资格认定已获得过本专项资金奖励，不得重复享受（{combine.clause.cite}），无法通过补充材料改变"
            return f"同一资格认定只核拨一次，已按较高的一项核拨（{combine.clause.cite}）"
        if claim.rule == award.id:
            if award.first_time and "首次" in claim.reason:
                return f"本项只奖励首次获得（{award.clause.cite}），此前已取得的不能再获奖励"
            if award.when is not None:
                return f"如满足「{award.when.text}」（{award.clause.cite}），{self._gain(claim.award)}"
        return f"评价日期须在本办法有效期内（{claim.cite}）" if claim.rule == "in-force" else ""


def _level(award: Award) -> str:
    return award.level or award.name
