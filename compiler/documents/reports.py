"""Human-readable reports: the coverage of a policy's clauses and the explanation of a decision."""

from __future__ import annotations

from typing import Any

from compiler.model.policy import NATURE_ZH, Clause, Policy, leaves

RULE_ZH = {
    "awards": "奖励事项", "eligibility": "申报条件", "exclusions": "不予奖励情形", "combine": "组合规则",
    "procedure": "程序", "sanctions": "处理措施", "caps": "限额", "quota": "名额", "bans": "禁止申报期",
    "obligations": "义务", "budget": "预算", "computes": "计算值", "violation": "违规情形", "payments": "补贴",
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
