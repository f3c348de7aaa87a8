"""A hand-written evaluator of the Hami quality fund (哈政办发〔2026〕10号), the baseline of the
evaluator benchmark: what a careful programmer would write by hand for speed.

Same inputs as the generated `evaluate(facts, as_of, trace=False)`, the same validation of facts
(required facts present, no unknown facts, types, enumerated values), the same Decimal amounts and
the same result shape (granted / refused / deferred / total), without a trace. It accepts only
plain Python values (bool, int/Decimal, str, list, datetime.date) — the generated evaluator also
reads strings with units ("20万元"), but only on its slow path, which the benchmark never takes.
The benchmark checks that both give equal results on a sample before timing them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from operator import itemgetter
from typing import Any

FORMAT = "policyc-result/1"
EFFECTIVE = dt.date(2026, 5, 19)
VALID_UNTIL = dt.date(2029, 5, 18)
EFFECTIVE_ZH = "2026年5月19日起施行，有效期至2029年5月18日"
W = Decimal(10000)  # 1万元

# id, name, clause, cite, qualification, group (就高不就低), 首次, 一次性, amount in 元
AWARDS = [
    ("county-pilot-approved", "获批质量强县（区、镇）培育建设创新试点", "county-awards.pilot-approved", "第九条第（一）项", "国家市场监管总局质量强县（区、镇）培育建设创新试点", None, False, False, 20),
    ("county-pilot-accepted", "通过质量强县（区、镇）培育建设创新试点验收", "county-awards.pilot-accepted", "第九条第（二）项", "国家市场监管总局质量强县（区、镇）培育建设创新试点验收", None, False, False, 50),
    ("chain-key-project-national", "国家级质量强链重点项目", "chain-awards.key-project", "第十条第（一）项", "国家级质量强链重点项目", "质量强链重点项目", False, False, 20),
    ("chain-key-project-regional", "自治区级质量强链重点项目", "chain-awards.key-project", "第十条第（一）项", "自治区级质量强链重点项目", "质量强链重点项目", False, False, 10),
    ("chain-case-national", "国家级质量强链典型案例", "chain-awards.typical-case", "第十条第（二）项", "国家级质量强链典型案例", "质量强链典型案例", False, False, 10),
    ("chain-case-regional", "自治区级质量强链典型案例", "chain-awards.typical-case", "第十条第（二）项", "自治区级质量强链典型案例", "质量强链典型案例", False, False, 5),
    ("china-quality-award", "中国质量奖", "enterprise-awards.china-award", "第十一条第（一）项", "中国质量奖", "中国质量奖", True, False, 60),
    ("china-quality-award-nominee", "中国质量奖提名奖", "enterprise-awards.china-award", "第十一条第（一）项", "中国质量奖提名奖", "中国质量奖", True, False, 40),
    ("region-quality-award", "自治区政府质量奖", "enterprise-awards.region-award", "第十一条第（二）项", "自治区政府质量奖", "自治区政府质量奖", True, False, 30),
    ("region-quality-award-nominee", "自治区政府质量奖提名奖", "enterprise-awards.region-award", "第十一条第（二）项", "自治区政府质量奖提名奖", "自治区政府质量奖", True, False, 15),
    ("hami-quality-award", "哈密市政府质量奖", "enterprise-awards.city-award", "第十一条第（三）项", "哈密市政府质量奖", "哈密市政府质量奖", True, False, 10),
    ("hami-quality-award-nominee", "哈密市政府质量奖提名奖", "enterprise-awards.city-award", "第十一条第（三）项", "哈密市政府质量奖提名奖", "哈密市政府质量奖", True, False, 5),
    ("quality-leader-enterprise", "国家级质量强国建设领军企业", "enterprise-awards.leading-enterprise", "第十一条第（四）项", "国家级质量强国建设领军企业", None, False, True, 20),
    ("qc-group-national", "全国优秀质量管理小组（质量信得过班组）", "enterprise-awards.qc-group", "第十一条第（五）项", "全国优秀质量管理小组（质量信得过班组）", "优秀质量管理小组", False, False, 5),
    ("qc-group-regional", "自治区优秀质量管理小组（质量信得过班组）", "enterprise-awards.qc-group", "第十一条第（五）项", "自治区优秀质量管理小组（质量信得过班组）", "优秀质量管理小组", False, False, 3),
    ("cqo-innovation-case", "企业首席质量官质量变革创新典型案例", "enterprise-awards.cqo-case", "第十一条第（六）项", "企业首席质量官质量变革创新典型案例", None, False, False, 5),
    ("cnas-accreditation", "CNAS实验室认可", "infrastructure-awards.cnas", "第十二条第（一）项", "CNAS实验室认可", None, True, False, 10),
    ("ccc-designated-lab", "国家强制性产品认证指定实验室资质", "infrastructure-awards.ccc-lab", "第十二条第（二）项", "国家强制性产品认证指定实验室资质", None, True, False, 20),
    ("national-testing-platform", "国家级检验检测平台", "infrastructure-awards.national-platform", "第十二条第（三）项", "国家级检验检测平台", "检验检测平台", False, False, 50),
    ("regional-testing-platform", "自治区级检验检测平台、质量标准实验室", "infrastructure-awards.regional-platform", "第十二条第（四）项", "自治区级检验检测平台", "检验检测平台", False, False, 30),
    ("national-standardization-pilot", "通过国家级标准化试点项目考核验收", "pilot-awards.acceptance", "第十四条第二款", "国家级标准化试点项目", "标准化试点项目", False, False, 20),
    ("regional-standardization-pilot", "通过自治区级标准化试点项目考核验收", "pilot-awards.acceptance", "第十四条第二款", "自治区级标准化试点项目", "标准化试点项目", False, False, 10),
    ("national-tc-secretariat", "新承担全国专业标准化技术委员会秘书处工作", "committee-awards.national-tc", "第十五条第（一）项", "全国专业标准化技术委员会秘书处", None, False, False, 20),
    ("national-sc-secretariat", "新承担全国专业标准化技术委员会分技术委员会秘书处工作", "committee-awards.national-tc", "第十五条第（一）项", "全国专业标准化技术委员会分技术委员会秘书处", None, False, False, 10),
    ("national-tc-working-group", "新承担全国专业标准化技术委员会常设工作组工作", "committee-awards.national-tc", "第十五条第（一）项", "全国专业标准化技术委员会常设工作组", None, False, False, 5),
    ("regional-tc-secretariat", "新承担自治区专业标准化技术委员会秘书处工作", "committee-awards.regional-tc", "第十五条第（二）项", "自治区专业标准化技术委员会秘书处", None, False, False, 10),
    ("regional-sc-secretariat", "新承担自治区专业标准化技术委员会分技术委员会秘书处工作", "committee-awards.regional-tc", "第十五条第（二）项", "自治区专业标准化技术委员会分技术委员会秘书处", None, False, False, 5),
    ("xinjiang-brand", "首次获得“新疆品质”区域公共品牌", "brand-awards.first-brand", "第十六条第（一）项", "新疆品质区域公共品牌认证", None, True, True, 10),
    ("xinjiang-brand-new-product", "“新疆品质”新产品再次获得认证", "brand-awards.new-product", "第十六条第（二）项", "新疆品质新产品认证", None, False, True, 5),
    ("xinjiang-brand-recert", "“新疆品质”证书到期复评再次通过认证", "brand-awards.recertification", "第十六条第（三）项", "新疆品质复评认证", None, False, True, 3),
]  # fmt: skip
# The standards of 第十三条: id, name, clause, cite, count fact, 万元 per standard, needs 排序最靠前.
STANDARDS = [
    ("lead-national-standard", "主导制定国家标准", "standard-awards.lead-draft", "第十三条第一款第（一）项", "主导制定国家标准数", 20, False),
    ("lead-industry-standard", "主导制定行业标准", "standard-awards.lead-draft", "第十三条第一款第（一）项", "主导制定行业标准数", 10, False),
    ("lead-local-standard", "主导制定地方标准", "standard-awards.lead-draft", "第十三条第一款第（一）项", "主导制定地方标准数", 5, False),
    ("lead-group-standard", "主导制定团体标准", "standard-awards.lead-draft", "第十三条第一款第（一）项", "主导制定团体标准数", 5, False),
    ("join-national-standard", "参与制定国家标准", "standard-awards.join-draft", "第十三条第一款第（二）项", "参与制定国家标准数", 5, True),
    ("join-industry-standard", "参与制定行业标准", "standard-awards.join-draft", "第十三条第一款第（二）项", "参与制定行业标准数", 3, True),
    ("join-local-standard", "参与制定地方标准", "standard-awards.join-draft", "第十三条第一款第（二）项", "参与制定地方标准数", 1, True),
    ("join-group-standard", "参与制定团体标准", "standard-awards.join-draft", "第十三条第一款第（二）项", "参与制定团体标准数", 1, True),
    ("revise-national-standard", "主导修订国家标准", "standard-awards.lead-revise", "第十三条第一款第（三）项", "主导修订国家标准数", 10, False),
    ("revise-industry-standard", "主导修订行业标准", "standard-awards.lead-revise", "第十三条第一款第（三）项", "主导修订行业标准数", 5, False),
    ("revise-local-standard", "主导修订地方标准", "standard-awards.lead-revise", "第十三条第一款第（三）项", "主导修订地方标准数", 1, False),
    ("revise-group-standard", "主导修订团体标准", "standard-awards.lead-revise", "第十三条第一款第（三）项", "主导修订团体标准数", 1, False),
]  # fmt: skip
# Document order: 第九条 … 第十二条, then 第十三条 (standards), then 第十四条 … 第十六条.
ORDER_KEY = {a: i for i, a in enumerate([*AWARDS[:20], *STANDARDS, *AWARDS[20:]])}.__getitem__
BY_QUALIFICATION = {a[4]: a for a in AWARDS}
QUALIFICATIONS = frozenset(BY_QUALIFICATION)
AMOUNT = {a[0]: a[8] * W for a in AWARDS} | {s[0]: s[5] * W for s in STANDARDS}
UNIT_TYPES = frozenset({"行政机关", "事业单位", "社会组织", "科研机构", "企业"})
ALL_UNIT_TYPES = UNIT_TYPES | {"其他"}
BOOLS = ("单位所在地在哈密市", "符合产业政策", "取得法定资质", "列入失信名单", "列入负面清单",
         "已获得同类政策支持", "与质量强市建设相关", "存在其他违法违规情形")  # fmt: skip
SETS = ("申报资格", "以往取得资格", "已获奖励资格")
COUNTS = tuple(s[4] for s in STANDARDS)
KNOWN = frozenset((*BOOLS, *SETS, *COUNTS, "单位类型", "为排序最靠前的哈密市起草单位",
                   "弄虚作假认定日期", "年度剩余预算"))  # fmt: skip
EXCLUSIONS = (
    ("not-industry-policy", "exclusions.industry-policy", "第十七条第（一）项", "不符合国家、自治区及哈密市产业政策和发展规划"),
    ("no-licence-or-blacklisted", "exclusions.licence-credit", "第十七条第（二）项", "未取得法定资质或许可，或被列入失信名单、负面清单"),
    ("similar-support", "exclusions.duplicate", "第十七条第（三）项", "已获得同类政策支持"),
    ("unrelated-to-quality", "exclusions.unrelated", "第十七条第（四）项", "奖励事项实施内容与质量强市建设无关"),
    ("other-violation", "exclusions.other", "第十七条第（五）项", "存在其他违反法律法规和政策规定的情形"),
    ("fraud-ban", "fraud", "第二十四条", "因弄虚作假被取消申报资格，3年内不得申报"),
)  # fmt: skip
NOT_ELIGIBLE = "不属于本办法支持对象（哈密市行政区域内依法设立的行政机关、事业单位、社会组织、科研机构及企业）"


def _zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _wan(value: Decimal) -> str:
    if value != 0 and value % 10000 == 0:
        wan = f"{value / 10000:f}"
        return (wan.rstrip("0").rstrip(".") if "." in wan else wan) + "万元"
    if value == value.to_integral_value():
        return f"{int(value)}元"
    return f"{value.quantize(Decimal('0.01'))}元"


def _refusal(award: tuple[Any, ...], rule: str, clause: str, cite: str, reason: str) -> dict[str, Any]:
    return {"award": award[0], "name": award[1], "subject": None, "rule": rule, "clause": clause, "cite": cite,
            "reason": reason}


DEFAULTS: dict[str, Any] = {**dict.fromkeys(COUNTS, 0), "为排序最靠前的哈密市起草单位": False,
                            "以往取得资格": (), "已获奖励资格": (), "弄虚作假认定日期": None, "年度剩余预算": None}
get_bools = itemgetter(*BOOLS, "为排序最靠前的哈密市起草单位")
get_counts = itemgetter(*COUNTS)
get_sets = itemgetter(*SETS)
BOOL_ONLY = {bool}
NUMBER_TYPES = frozenset({int, Decimal})
SEQUENCE_TYPES = frozenset({list, tuple})


def _checked(facts: dict[str, Any]) -> dict[str, Any]:
    """The same checks as the generated evaluator: every fact known, required ones present, typed;
    returns the facts with defaults filled in."""
    if not KNOWN.issuperset(facts):
        raise ValueError(f"未知的事实：{sorted(set(facts) - KNOWN)}")
    f = {**DEFAULTS, **facts}
    try:
        if set(map(type, get_bools(f))) != BOOL_ONLY:
            raise ValueError("是/否事实应为 true/false")
        if not NUMBER_TYPES.issuperset(map(type, get_counts(f))):
            raise ValueError("标准数应为数值")
        sets = get_sets(f)
    except KeyError as exc:
        raise ValueError(f"缺少必需的事实：{exc}") from None
    if not SEQUENCE_TYPES.issuperset(map(type, sets)) or not all(map(QUALIFICATIONS.issuperset, sets)):
        raise ValueError("资格事实应为资格列表")
    if f["单位类型"] not in ALL_UNIT_TYPES:
        raise ValueError("事实「单位类型」取值无效")
    fraud = f["弄虚作假认定日期"]
    if fraud is not None and fraud.__class__ is not dt.date:
        raise ValueError("事实「弄虚作假认定日期」应为日期")
    budget = f["年度剩余预算"]
    if budget is not None and budget.__class__ not in NUMBER_TYPES:
        raise ValueError("事实「年度剩余预算」应为金额")
    return f


def evaluate(raw: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    facts = _checked(raw)
    refused: list[dict[str, Any]] = []
    active: list[tuple[Any, ...]] = [BY_QUALIFICATION[q] for q in facts["申报资格"]]
    first_drafter = facts["为排序最靠前的哈密市起草单位"]
    active += [s for s, n in zip(STANDARDS, get_counts(facts), strict=True) if n >= 1 and (first_drafter or not s[6])]
    if len(active) > 1:
        active = sorted(set(active), key=ORDER_KEY)
    if active and not EFFECTIVE <= as_of <= VALID_UNTIL:
        reason = f"评价日期{_zh(as_of)}不在本办法有效期内（{EFFECTIVE_ZH}）"
        refused = [_refusal(a, "in-force", "effect", "第二十八条", reason) for a in active]
        active = []
    if active and not (facts["单位所在地在哈密市"] and facts["单位类型"] in UNIT_TYPES):
        refused += [_refusal(a, "in-hami", "scope", "第四条", NOT_ELIGIBLE) for a in active]
        active = []
    if active:
        fraud = facts["弄虚作假认定日期"]
        if not facts["符合产业政策"]:
            hit = EXCLUSIONS[0]
        elif not facts["取得法定资质"] or facts["列入失信名单"] or facts["列入负面清单"]:
            hit = EXCLUSIONS[1]
        elif facts["已获得同类政策支持"]:
            hit = EXCLUSIONS[2]
        elif not facts["与质量强市建设相关"]:
            hit = EXCLUSIONS[3]
        elif facts["存在其他违法违规情形"]:
            hit = EXCLUSIONS[4]
        elif fraud is not None and as_of < _plus_3_years(fraud):
            hit = EXCLUSIONS[5]
        else:
            hit = None
        if hit is not None:
            refused += [_refusal(a, *hit) for a in active]
            active = []
    previously = facts["以往取得资格"]
    candidates: list[tuple[tuple[Any, ...], Decimal]] = []
    for a in active:
        if len(a) == 9:  # a qualification award
            if a[0] in ("xinjiang-brand-new-product", "xinjiang-brand-recert") and "新疆品质区域公共品牌认证" not in previously:
                refused.append(_refusal(a, a[0], a[2], a[3], '不符合本项条件：以往取得资格 包含 "新疆品质区域公共品牌认证"'))
                continue
            if a[6] and a[4] in previously:
                refused.append(_refusal(a, a[0], a[2], a[3], f"「{a[4]}」此前已经取得，不属于首次获得"))
                continue
            candidates.append((a, AMOUNT[a[0]]))
        else:
            candidates.append((a, Decimal(facts[a[4]]) * a[5] * W))
    if len(candidates) > 1:  # 第二十条第（二）项 就高不就低
        best: dict[str, tuple[tuple[Any, ...], Decimal]] = {}
        for a, amount in candidates:
            group = a[5] if len(a) == 9 else None
            if group is not None and (group not in best or amount > best[group][1]):
                best[group] = (a, amount)
        keep = []
        for a, amount in candidates:
            group = a[5] if len(a) == 9 else None
            winner = best.get(group) if group is not None else None
            if winner is not None and winner[0] is not a:
                refused.append(_refusal(a, "highest-only", "allocation.no-duplicate", "第二十条第（二）项",
                                        f"与「{winner[0][1]}」属于同一资格认定（{group}），按“就高不就低”只奖励金额较高的一项"))
            else:
                keep.append((a, amount))
        candidates = keep
    rewarded = facts["已获奖励资格"]
    if rewarded:  # 第二十条第（二）项 不得重复享受
        keep = []
        for a, amount in candidates:
            if len(a) == 9 and a[4] in rewarded:
                refused.append(_refusal(a, "no-repeat", "allocation.no-duplicate", "第二十条第（二）项",
                                        f"「{a[4]}」已经获得过本专项资金奖励，不得重复享受"))
            else:
                keep.append((a, amount))
        candidates = keep
    deferred: list[dict[str, Any]] = []
    budget = facts["年度剩余预算"]
    if budget is not None:  # 第二十条第（一）项 用完即止
        keep, used = [], Decimal(0)
        for a, amount in candidates:
            if not deferred and used + amount <= budget:
                used += amount
                keep.append((a, amount))
                continue
            deferred.append({"award": a[0], "name": a[1], "subject": None, "amount": amount, "unit": "元", "rule": "budget-cap",
                             "clause": "allocation.budget-limit", "cite": "第二十条第（一）项",
                             "reason": f"年度预算剩余{_wan(Decimal(budget))}，用完即止；超出部分列入下一年度奖励预算"})
        candidates = keep
    granted = [{"award": a[0], "name": a[1], "subject": None, "amount": amount, "unit": "元", "clause": a[2], "cite": a[3],
                "one_time": len(a) == 9 and a[7]} for a, amount in candidates]
    return {"format": FORMAT, "policy": "hami-quality-fund", "version": "final", "doc_number": "哈政办发〔2026〕10号",
            "as_of": as_of, "granted": granted, "refused": refused, "deferred": deferred,
            "total": sum((amount for _, amount in candidates), Decimal(0)), "unit": "元", "trace": []}


def _plus_3_years(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 3)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + 3, day=28)
