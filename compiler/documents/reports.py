"""Human-readable reports: the coverage of a policy's clauses and the explanation of a decision."""

from __future__ import annotations

import datetime as dt
from typing import Any

from compiler.model.policy import NATURE_ZH, Clause, Policy, leaves
from compiler.runtime import core as evalrt

RULE_ZH = {
    "awards": "奖励事项", "eligibility": "申报条件", "exclusions": "不予奖励情形", "combine": "组合规则",
    "procedure": "程序", "sanctions": "处理措施", "caps": "限额", "quota": "名额", "bans": "禁止申报期",
    "obligations": "义务", "budget": "预算",
}  # fmt: skip


def _leaf_status(policy: Policy, article: Clause, leaf: Clause) -> tuple[str, str]:
    if leaf.rule_keys:
        return "encoded", "、".join(RULE_ZH[k] for k in leaf.rule_keys)
    owners = [leaf, *(c for c in article.children if leaf in leaves(c)), article]
    for node in owners:
        if node.rule_keys and node is not leaf and not node.is_leaf:
            return "encoded", "、".join(RULE_ZH[k] for k in node.rule_keys) + "（上级条款）"
    if policy.meta.effective_clause in (leaf.address, article.id):
        return "encoded", "施行日期与有效期（meta）"
    for node in owners:
        if node.nature:
            return node.nature, NATURE_ZH[node.nature]
    return "missing", "未标明"


def coverage(policy: Policy) -> dict[str, Any]:
    rows = []
    for article in policy.articles:
        for leaf in leaves(article):
            status, detail = _leaf_status(policy, article, leaf)
            rows.append({"clause": leaf.address, "cite": leaf.cite, "status": status, "detail": detail})
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return {"policy": policy.policy_id, "version": policy.version, "leaves": len(rows), "counts": counts, "clauses": rows}


def coverage_text(policy: Policy) -> str:
    cov = coverage(policy)
    counts = cov["counts"]
    lines = [
        f"  覆盖：{cov['leaves']} 个最小条款，已编码 {counts.get('encoded', 0)}，"
        + "，".join(f"{NATURE_ZH[k]} {v}" for k, v in sorted(counts.items()) if k in NATURE_ZH)
    ]
    for row in cov["clauses"]:
        mark = "●" if row["status"] == "encoded" else "○"
        lines.append(f"    {mark} {row['cite']}：{row['detail']}")
    return "\n".join(lines)


def coverage_markdown(policy: Policy, source: str) -> str:
    cov = coverage(policy)
    counts = cov["counts"]
    out = [
        f"# 条款覆盖报告：{policy.meta.title}（{policy.version}）",
        "",
        f"来源：`{source}`。每个最小条款（项；无项的款；无款的条）要么编码为机器规则，要么标明不可计算的性质。",
        "",
        f"- 最小条款：{cov['leaves']}",
        f"- 已编码：{counts.get('encoded', 0)}",
    ]
    for key, zh in NATURE_ZH.items():
        if counts.get(key):
            out.append(f"- {zh}：{counts[key]}")
    out += ["", "| 条款 | 地址 | 状态 |", "|---|---|---|"]
    for row in cov["clauses"]:
        out.append(f"| {row['cite']} | `{row['clause']}` | {row['detail']} |")
    return "\n".join(out) + "\n"


def result_json(result: dict[str, Any]) -> dict[str, Any]:
    """The evaluation result with Decimal amounts as strings (JSON has no decimal type) and
    dates as ISO 8601 strings."""

    def conv(value: Any) -> Any:
        if isinstance(value, dt.date):
            return value.isoformat()
        if isinstance(value, dict):
            return {k: conv(v) for k, v in value.items()}
        if isinstance(value, list):
            return [conv(v) for v in value]
        if hasattr(value, "quantize"):
            return evalrt.amount_json(value)
        return value

    converted: dict[str, Any] = conv(result)
    return converted




def result_text(policy: Policy, result: dict[str, Any]) -> str:
    """A readable Chinese explanation of one decision, every line citing its clause."""
    meta = policy.meta
    lines = [f"《{meta.title}》" + (f"（{meta.doc_number}）" if meta.doc_number else "（{policy.version}）"),
             f"评价日期：{evalrt.zh_date(result['as_of'])}", ""]
    if result["granted"]:
        lines.append("给予奖励：")
        for g in result["granted"]:
            once = "（一次性）" if g.get("one_time") else ""
            lines.append(f"  ✓ {g['name']}：{evalrt.money_text(g['amount'])}{once}　依据{g['cite']}")
    if result["refused"]:
        lines.append("不予奖励：")
        for r in result["refused"]:
            lines.append(f"  ✗ {r['name']}：{r['reason']}　依据{r['cite']}")
    if result["deferred"]:
        lines.append("列入下一年度：")
        for d in result["deferred"]:
            lines.append(f"  … {d['name']}：{evalrt.money_text(d['amount'])}，{d['reason']}　依据{d['cite']}")
    if not (result["granted"] or result["refused"] or result["deferred"]):
        lines.append("本次未申报任何奖励事项。")
    total = result["total"]
    exact = f"（{evalrt.amount_json(total)}元）" if evalrt.money_text(total) != f"{evalrt.amount_json(total)}元" else ""
    lines += ["", f"合计：{evalrt.money_text(total)}{exact}", "", "判断过程："]
    for i, s in enumerate(result["trace"], start=1):
        cite = f"{s['cite']}　" if s["cite"] else ""
        lines.append(f"  {i:>2}. {cite}{s['detail']}")
    return "\n".join(lines)
