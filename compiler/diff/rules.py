"""The machine rules of two versions compared rule by rule (awards, conditions, procedure, dates in
force …), and the document metadata (文号, 发文机关 …)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from compiler.diff.model import STATUS_ZH, MetaChange, RuleChange
from compiler.diff.tokens import substance
from compiler.diff.wording import delta_text, quote
from compiler.lang import ast, numbering
from compiler.lang.effect import AFTER_PUBLICATION, ON_PUBLICATION, VALIDITY_YEARS
from compiler.model.policy import Clause, Expr, Policy, Tiers, walk
from compiler.runtime import core as evalrt
from compiler.source.yamlsrc import plain

KIND_ZH = {
    "award": "奖励事项", "eligibility": "申报条件", "exclusion": "不予奖励情形", "combine": "核拨规则",
    "procedure": "程序", "budget": "资金规模", "sanctions": "处罚", "caps": "限额", "quota": "名额",
    "bans": "禁止申报", "obligations": "义务", "effective": "施行日期", "validity": "有效期",
    "parameter": "参数", "fact": "申报事实",
}
FIELD_ZH = {
    "amount": "金额", "when": "条件", "qualification": "资格", "first_time": "首次", "one_time": "一次性",
    "group": "就高不就低分组", "name": "名称", "reason": "理由", "rule": "规则", "budget": "预算事实",
    "step": "步骤", "duration": "时限", "where": "地点", "by": "主体", "text": "表述", "date": "日期",
    "after_publication_days": "发布后天数", "years": "年限", "until": "截止日期", "minimum": "最低额",
    "maximum": "最高额", "per": "周期", "revoke": "取消资格", "recover": "收回资金", "ban_years": "禁止申报年限",
    "credit_record": "列入信用记录", "values": "取值", "type": "类型", "unit": "单位", "max": "上限",
    "used": "已用额", "from": "起算", "rank_by": "排序依据", "default": "默认值", "optional": "可不填",
}
RULE_KEYS_RAW = ("budget", "sanctions", "caps", "quota", "bans", "obligations")
COMBINE_ZH = {"highest_per_group": "就高不就低", "no_repeat": "不得重复享受", "one_payment": "一次性拨付",
              "until_budget_exhausted": "用完即止"}


@dataclass
class RuleSnap:
    kind: str
    id: str
    name: str
    clause: Clause | None
    fields: dict[str, str]
    amount: Expr | None = None  # awards with a plain expression amount
    alt: str = ""  # secondary matching key (when the ids differ)


def _yes(v: bool) -> str:
    return "是" if v else "否"


def _amount_text(amount: Expr | Tiers) -> str:
    if isinstance(amount, Expr):
        return amount.text
    bands = "；".join(f"{b.range_src} {b.value.text}" for b in amount.bands)
    other = f"；其他 {amount.otherwise.text}" if amount.otherwise else ""
    return f"按{amount.of.text}分档：{bands}{other}"


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        return {prefix or "value": "、".join(str(_flat(v).get("value", v)) for v in value)}
    if isinstance(value, bool):
        return {prefix or "value": _yes(value)}
    return {prefix or "value": str(value)}


def rule_snapshots(policy: Policy) -> dict[tuple[str, str], RuleSnap]:
    snaps: list[RuleSnap] = []
    for a in policy.awards:
        snaps.append(RuleSnap("award", a.id, a.name, a.clause, {
            "name": a.name, "qualification": a.qualification or "", "amount": _amount_text(a.amount),
            "when": a.when.text if a.when else "", "first_time": _yes(a.first_time),
            "one_time": _yes(a.one_time), "group": a.group or "",
        }, a.amount if isinstance(a.amount, Expr) else None, a.qualification or a.name))
    for r in [*policy.eligibility, *policy.exclusions]:
        snaps.append(RuleSnap(r.kind, r.id, r.reason, r.clause, {"when": r.when.text, "reason": r.reason},
                              alt=substance(r.when.text)))
    for c in policy.combine:
        snaps.append(RuleSnap("combine", c.id, COMBINE_ZH.get(c.rule, c.rule), c.clause,
                              {"rule": COMBINE_ZH.get(c.rule, c.rule), "budget": c.budget or ""}, alt=c.rule))
    for p in policy.procedure:
        snaps.append(RuleSnap("procedure", p.id, p.step, p.clause, {
            "step": p.step, "duration": p.duration.text if p.duration else "", "where": p.where or "",
            "by": p.by or "",
        }, alt=p.step))
    for clause in walk(policy):
        if clause.raw is None:
            continue
        for key in RULE_KEYS_RAW:
            if key in clause.raw:
                snaps.append(RuleSnap(key, f"{clause.address}:{key}", KIND_ZH[key], clause,
                                      _flat(plain(clause.raw[key])), alt=key))
    for kind, name, (rule, stated_in) in (("effective", "施行日期", effective_rule(policy)),
                                          ("validity", "有效期", validity_rule(policy))):
        if rule:
            snaps.append(RuleSnap(kind, f"meta.{kind}", name, stated_in, {"rule": rule}))
    for name, param in policy.parameters.items():
        values = "；".join(f"自{evalrt.zh_date(v.start)}起{v.value.text}" for v in param.values)
        snaps.append(RuleSnap("parameter", name, name, policy.clauses.get(param.clause or ""), {"values": values}))
    for name, fact in policy.facts.items():
        snaps.append(RuleSnap("fact", name, name, policy.clauses.get(fact.clause or ""), {
            "type": fact.type, "unit": fact.unit.name if fact.unit else "",
            "values": "、".join(fact.values) if fact.values else "",
        }))
    return {(s.kind, s.id): s for s in snaps}


# The dates in force are compared as rules: "30 days after publication" is the same rule whatever
# the publication date, so a draft (not yet published, no dates) and the issued text agree when
# their words do. The rule is read from the meta fields, else from the text of the clause
# (a draft has no dates to put in meta). The importer reads the same phrases (lang/effect.py).


def _days_rule(text: str) -> str | None:
    compact = substance(text)
    m = AFTER_PUBLICATION.search(compact)
    if m:
        return f"自发布之日起{numbering.parse_zh_number(m.group(1))}日后施行"
    return "自发布之日起施行" if ON_PUBLICATION.search(compact) else None


def _years_rule(text: str) -> str | None:
    m = VALIDITY_YEARS.search(substance(text))
    return f"有效期{numbering.parse_zh_number(m.group(1))}年" if m else None


def _in_clauses(policy: Policy, read: Callable[[str], str | None]) -> tuple[str | None, Clause | None]:
    """The first clause (the 施行 clause named in meta first) whose text states the rule."""
    named = policy.clauses.get(policy.meta.effective_clause or "")
    for clause in [*([named] if named else []), *walk(policy)]:
        rule = read(clause.text) if clause.text else None
        if rule:
            return rule, clause
    return None, None


def effective_rule(policy: Policy) -> tuple[str | None, Clause | None]:
    """施行日期 as a rule (自发布之日起30日后施行, 自2026年5月19日起施行) and the clause stating it."""
    m = policy.meta
    clause = policy.clauses.get(m.effective_clause or "")
    if m.after_publication_days is not None:
        days = m.after_publication_days
        return (f"自发布之日起{days}日后施行" if days else "自发布之日起施行"), clause
    rule = _days_rule(m.effective_text or "")
    if rule:
        return rule, clause
    if m.effective_date is not None:
        return f"自{evalrt.zh_date(m.effective_date)}起施行", clause
    return _in_clauses(policy, _days_rule)


def validity_rule(policy: Policy) -> tuple[str | None, Clause | None]:
    """有效期 as a rule (有效期3年, 有效期至2029年5月18日) and the clause stating it."""
    m = policy.meta
    clause = policy.clauses.get(m.effective_clause or "")
    if m.validity_years is not None:
        return f"有效期{m.validity_years}年", clause
    rule = _years_rule(m.validity_text or "")
    if rule:
        return rule, clause
    if m.valid_until is not None:
        return f"有效期至{evalrt.zh_date(m.valid_until)}", clause
    return _in_clauses(policy, _years_rule)


def _money_literal(expr: Expr | None) -> Decimal | None:
    node = expr.node if expr else None
    if isinstance(node, ast.Quantity) and node.unit is not None and node.unit.dims == (("money", 1),):
        return node.value
    return None


def _quantities(node: ast.Node | None) -> list[ast.Quantity]:
    out: list[ast.Quantity] = []

    def rec(n: Any) -> None:
        if isinstance(n, ast.Quantity):
            out.append(n)
            return
        if isinstance(n, ast.Node):
            for f in dataclasses.fields(n):
                rec(getattr(n, f.name))
        elif isinstance(n, tuple):
            for x in n:
                rec(x)

    rec(node)
    return out


def _masked(expr: Expr) -> str:
    text = expr.text
    for q in sorted(_quantities(expr.node), key=lambda q: q.pos[0], reverse=True):
        text = text[: q.pos[0]] + "#" + text[q.pos[1] :]
    return substance(text)


def _amount_delta(old: Expr | None, new: Expr | None) -> tuple[Decimal | None, str]:
    """(change in 元, wording) for two amount expressions: a literal, or a formula whose only
    difference is one money literal (20万元 × 项数 → 30万元 × 项数: 单项金额)."""
    a, b = _money_literal(old), _money_literal(new)
    if a is not None and b is not None:
        return b - a, ""
    if old is None or new is None or old.node is None or new.node is None or _masked(old) != _masked(new):
        return None, ""
    qa, qb = _quantities(old.node), _quantities(new.node)
    diffs = [(x, y) for x, y in zip(qa, qb, strict=True) if x.value != y.value or x.unit != y.unit]
    if len(diffs) == 1:
        x, y = diffs[0]
        if x.unit and y.unit and x.unit.dims == y.unit.dims == (("money", 1),):
            return y.value - x.value, "单项"
    return None, ""


def compare_rules(old: Policy, new: Policy) -> list[RuleChange]:
    a, b = rule_snapshots(old), rule_snapshots(new)
    pairs: list[tuple[RuleSnap | None, RuleSnap | None]] = []
    rest_a = [snap for k, snap in a.items() if k not in b]
    rest_b = [snap for k, snap in b.items() if k not in a]
    pairs.extend((snap, b[k]) for k, snap in a.items() if k in b)
    # Rules renamed between versions still match on what they are (qualification, condition …).
    alt_b = {(snap.kind, snap.alt): snap for snap in rest_b if snap.alt}
    for snap in rest_a:
        other = alt_b.pop((snap.kind, snap.alt), None) if snap.alt else None
        pairs.append((snap, other))
        if other is not None:
            rest_b.remove(other)
    pairs.extend((None, snap) for snap in rest_b)
    out: list[RuleChange] = []
    for s, t in pairs:
        ref = t or s
        assert ref is not None
        kind_zh = KIND_ZH.get(ref.kind, ref.kind)
        cite = (t.clause.cite if t and t.clause else s.clause.cite if s and s.clause else "")
        old_clause = s.clause.address if s and s.clause else None
        new_clause = t.clause.address if t and t.clause else None
        if s is None or t is None:
            change = "added" if s is None else "removed"
            if ref.kind in ("effective", "validity"):
                words = quote(ref.fields["rule"])
                text = (f"{kind_zh}：原文本未规定，现为{words}" if s is None else f"{kind_zh}：原为{words}，现文本未规定")
            else:
                extra = f"（{ref.fields['amount']}）" if ref.kind == "award" else ""
                text = f"{'新增' if s is None else '删除'}{kind_zh}“{ref.name}”{extra}"
            out.append(RuleChange(ref.kind, ref.id, ref.name, change, None, None, None, old_clause, new_clause,
                                  cite, text))
            continue
        for fname in dict.fromkeys([*s.fields, *t.fields]):
            x, y = s.fields.get(fname, ""), t.fields.get(fname, "")
            if substance(x) == substance(y):
                continue
            delta: Decimal | None = None
            fzh = FIELD_ZH.get(fname.split(".")[-1], fname)
            if fname == "amount":
                delta, per = _amount_delta(s.amount, t.amount)
                if delta is not None and per:
                    text = f"{kind_zh}“{t.name}”金额由“{x}”调整为“{y}”（{per}{delta_text(delta)}）"
                elif delta is not None:
                    text = f"{kind_zh}“{t.name}”金额由{x}调整为{y}（{delta_text(delta)}）"
                else:
                    text = f"{kind_zh}“{t.name}”金额由“{x}”调整为“{y}”"
            elif ref.kind in ("effective", "validity"):
                text = f"{kind_zh}由“{x}”改为“{y}”"
            else:
                text = f"{kind_zh}“{t.name}”{fzh}由“{x or '无'}”改为“{y or '无'}”"
            out.append(RuleChange(ref.kind, ref.id, t.name, "modified", fname, x or None, y or None,
                                  old_clause, new_clause, cite, text, delta))
    return out


def compare_meta(old: Policy, new: Policy) -> list[MetaChange]:
    def date(d: dt.date | None) -> str | None:
        return evalrt.zh_date(d) if d else None

    def consultation(p: Policy) -> str | None:
        c = p.meta.consultation
        if not c:
            return None
        days = [evalrt.zh_date(dt.date.fromisoformat(str(c[k]))) for k in ("from", "to") if k in c]
        window = "至".join(days)
        return f"{window}（{c.get('by', '')}）" if c.get("by") else window

    fields = [
        ("status", "状态", STATUS_ZH.get(old.meta.status, old.meta.status), STATUS_ZH.get(new.meta.status, new.meta.status)),
        ("doc_number", "文号", old.meta.doc_number, new.meta.doc_number),
        ("issuer", "发文机关", old.meta.issuer, new.meta.issuer),
        ("published", "发布日期", date(old.meta.published), date(new.meta.published)),
        ("consultation", "征求意见", consultation(old), consultation(new)),
        ("repeals", "废止文件", "、".join(d for d, _ in old.meta.repeals) or None,
         "、".join(d for d, _ in new.meta.repeals) or None),
    ]
    return [MetaChange(f, name, x, y) for f, name, x, y in fields if x != y]
