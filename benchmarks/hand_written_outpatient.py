"""A hand-written evaluator of the outpatient formula: the floor for pure Python with Decimal.

What a careful programmer writes for speed for one person-year (benchmarks/bench_outpatient.py):
straight-line code over the visits, the same Decimal amounts rounded to the 分 half up where the
generated evaluator rounds them, the region's values read once; no input checks, no result
document, no trace. It is a yardstick for the generated evaluator's hot path, not an engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
ZERO = Decimal(0)
LEVELS = ("一级", "二级", "三级")


def _amount(text: Any) -> Decimal:
    s = str(text).strip()
    if s.endswith("%"):
        return Decimal(s[:-1]) / 100
    return Decimal(s.removesuffix("元"))


class Outpatient:
    """The 办法's numbers (第十四条, 第十七条, 第十八条) and one region's values."""

    def __init__(self, region: Mapping[str, Any]) -> None:
        given = region["parameters"]
        self.line = {k: _amount(given["首次住院起付线"]["values"][k]) for k in LEVELS}
        self.inpatient_rate = {k: _amount(given["住院统筹支付比例"]["values"][k]) for k in LEVELS}
        self.shared_limit = _amount(given["统筹基金年度支付限额"]["value"])
        self.visit_cap = {"一级": Decimal(300), "二级": Decimal(800), "三级": Decimal(1300)}
        self.rate = {"一级": Decimal("0.80"), "二级": Decimal("0.70"), "三级": Decimal("0.60")}
        self.first, self.later = Decimal("0.10"), Decimal("0.05")
        self.increment, self.annual_cap = Decimal("0.05"), Decimal(4000)

    def person_year(self, facts: Mapping[str, Any], visits: Sequence[Mapping[str, Any]]) -> list[Decimal]:
        """What the fund pays for each visit (ordinary outpatient + day surgery)."""
        retiree = facts.get("符合条件的退休人员", False)
        shared_left = max(self.shared_limit - facts.get("本年度共用限额此前已支付", ZERO), ZERO)
        counted, ordinary_paid, surgery_paid = 0, ZERO, ZERO
        out: list[Decimal] = []
        for v in visits:
            mode = v["就诊方式"]
            if mode == "定点零售药店外配处方":
                level = "一级"  # 第二十七条
            else:
                level = v["依托实体医疗机构级别"] if mode == "互联网医院门诊" else v["医疗机构级别"]
                if level == "未定级":
                    level = "一级"
            covered = mode != "非定点医药机构" or v.get("急诊抢救", False)  # 第十四条第一款, 第二十八条
            above = max(v["政策范围内费用"] - v.get("门诊慢特病限额内费用", ZERO), ZERO) - self.line[level] * (
                self.first if counted == 0 else self.later
            )
            paid = ZERO
            if v.get("就诊类别", "普通门诊") == "普通门诊":
                if covered and not v.get("住院期间", False):  # 第十九条
                    rate = self.rate[level] + (self.increment if retiree else ZERO)
                    due = min(max(above, ZERO) * rate, self.visit_cap[level], self.annual_cap - ordinary_paid)
                    paid = max(due, ZERO).quantize(CENT, ROUND_HALF_UP)
                    ordinary_paid += paid
                    counted += 1
            elif covered:  # 日间手术: 第十七条, 第十八条
                due = min(max(above, ZERO) * self.inpatient_rate[level], shared_left - surgery_paid)
                paid = max(due, ZERO).quantize(CENT, ROUND_HALF_UP)
                surgery_paid += paid
            out.append(paid)
        return out
