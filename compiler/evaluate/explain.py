"""`policyc eval`'s output: one decision explained in Chinese, every line citing its clause, or
as JSON. Reads only the result (and the policy's title), so eval can print it from a committed
evaluator without loading the policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from compiler.runtime import core as evalrt


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


def result_text(title: str, doc_number: str | None, result: dict[str, Any]) -> str:
    """A readable Chinese explanation of one decision, every line citing its clause."""
    lines = [f"《{title}》" + (f"（{doc_number}）" if doc_number else f"（{result['version']}）"),
             f"评价日期：{evalrt.zh_date(result['as_of'])}", ""]
    if result["granted"]:
        lines.append("给予奖励：")
        for g in result["granted"]:
            once = "（一次性）" if g.get("one_time") else ""
            lines.append(f"  ✓ {_named(g)}：{evalrt.money_text(g['amount'])}{once}　依据{g['cite']}")
    if result["refused"]:
        lines.append("不予奖励：")
        for r in result["refused"]:
            lines.append(f"  ✗ {_named(r)}：{r['reason']}　依据{r['cite']}")
    if result["deferred"]:
        lines.append("列入下一年度：")
        for d in result["deferred"]:
            lines.append(f"  … {_named(d)}：{evalrt.money_text(d['amount'])}，{d['reason']}　依据{d['cite']}")
    if not (result["granted"] or result["refused"] or result["deferred"]):
        lines.append("本次未申报任何奖励事项。")
    total = result["total"]
    exact = f"（{evalrt.amount_json(total)}元）" if evalrt.money_text(total) != f"{evalrt.amount_json(total)}元" else ""
    lines += ["", f"合计：{evalrt.money_text(total)}{exact}", "", "判断过程："]
    for i, s in enumerate(result["trace"], start=1):
        cite = f"{s['cite']}　" if s["cite"] else ""
        lines.append(f"  {i:>2}. {cite}{s['detail']}")
    return "\n".join(lines)


def _named(entry: dict[str, Any]) -> str:
    """An award's name, with the subject of the claim when it named one: 国家级质量强链重点项目（甲项目）."""
    subject = entry.get("subject")
    return str(entry["name"]) + (f"（{subject}）" if subject else "")
