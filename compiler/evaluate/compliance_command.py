"""`policyc eval` for compliance regimes: an inspection record in (the holder's facts and its
records: batches, releases, subsidy quarters), every violation with its clause, the 项 of the
sanctions clause it falls under and the measures, and the payments of the period out; every
input problem located in the input file."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.evaluate.codegen_compliance import generate_compliance
from compiler.evaluate.computation_command import input_diagnostics
from compiler.evaluate.interpret_compliance import ComplianceInterpreter
from compiler.evaluate.precompiled import compile_module, wrap_evaluate
from compiler.model.load import load_policy
from compiler.model.policy import Policy
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Diagnostic, PolicyError
from compiler.source.files import display_path
from compiler.source.yamlsrc import YMap, plain

Inspect = Callable[..., dict[str, Any]]
INPUT_ERRORS = (evalrt.FactsError, evalrt.EvaluationError, evalrt.RecordsError)


def compile_inspect(policy: Policy, policy_path: Path) -> Inspect:
    """The generated evaluator of a compliance regime, compiled in memory; errors are the
    compiler's own classes (the module defines copies)."""
    src = generate_compliance(policy, policy_path.read_text(encoding="utf-8-sig"), display_path(policy_path))
    return wrap_inspect(compile_module(src, f"<generated {policy.policy_id}/{policy.version}>",
                                       f"policyc_generated_{policy.policy_id}"))


def wrap_inspect(namespace: dict[str, Any]) -> Inspect:
    """The module's `evaluate`, raising the compiler's own error classes."""
    return wrap_evaluate(namespace)


def interpreter_inspect(policy: Policy) -> Inspect:
    return ComplianceInterpreter(policy).inspect


def diagnostics(exc: Exception, policy: Policy | None, tree: YMap) -> list[Diagnostic]:
    """Where an input problem is: the record's field, the fact, the inspection date, the rule."""
    if isinstance(exc, evalrt.EvaluationError) and not exc.rule:
        return [Diagnostic("E407", exc.message, tree.value_spans.get("as_of") or tree.span, exc.cite,
                           hint="核对检查日期 as_of（或 --as-of）：本办法只适用于施行之日起的检查")]
    if isinstance(exc, evalrt.EvaluationError) and policy is not None and policy.compliance is not None:
        c = policy.compliance
        exprs = [e for o in c.obligations for e in (o.requires, o.when) if e is not None]
        exprs += [e for pay in c.payments for e in (pay.amount, pay.when) if e is not None]
        src = next((e for e in exprs if e.text == exc.rule), None)
        return [Diagnostic("E404", exc.message, src.src.span if src else tree.span, exc.cite,
                           hint="核对检查记录中这条规则用到的事实和字段")]
    return input_diagnostics(exc, None, tree, None, None)


def _where(f: dict[str, Any]) -> str:
    rec = f.get("record")
    if not rec:
        return ""
    return f"第 {rec['index']} 条{rec['kind']}" + (f"（{rec['key']}）" if rec.get("key") else "") + "："


def result_text(title: str, doc_number: str | None, result: dict[str, Any]) -> str:
    """The result in Chinese: violations with their sanctions, findings, notices, payments."""
    lines = [f"《{title}》" + (f"（{doc_number}）" if doc_number else ""),
             f"被检查单位：{result['holder']}　检查日期：{evalrt.zh_date(dt.date.fromisoformat(result['as_of']))}",
             f"检查 {result['checked']} 项：" + ("未发现违反本办法的情形。" if result["conforms"]
                                              else f"发现 {len(result['violations'])} 项违反本办法的情形。")]
    for title_zh, key in (("违反规定", "violations"), ("原则性要求未达到（需说明理由）", "findings"), ("提示", "notices")):
        if result[key]:
            lines.append(f"\n{title_zh}：")
        for f in result[key]:
            lines.append(f"  · {_where(f)}{f['reason']}（{f['cite']}）")
            if f["breach"] and f["severity"] == "principle":
                lines.append(f"    {f['measures']}")
            elif f["breach"]:
                lines.append(f"    属于{f['breach']['cite']}「{f['breach']['text'].rstrip('；;。')}」：{f['measures']}")
            elif f["severity"] == "violation":
                lines.append("    罚则未列明此情形，依委托代储协议约定的违约责任处理")
    for s in result["sanctions"]:
        lines.append(f"\n处理（{s['cite']}，{'、'.join(s['by'])}按照职责）：{s['measures']}。")
        lines += [f"  另：{x}。" for x in s["liabilities"]]
    if result["payment_items"]:
        lines.append("\n补贴：")
        for item in result["payment_items"]:
            tag = "（建议金额，经核定后拨付）" if item["proposed"] else ""
            lines.append(f"  · {_where(item)}{item['payment']} {item['amount']}元{tag}（{item['cite']}）")
        lines += [f"  合计 {n}：{v}元" for n, v in result["payments"].items()]
        lines.append(f"  总计：{result['total']}元")
    return "\n".join(lines)


def run_eval(policy_path: Path, tree: YMap, as_of: dt.date, *, engine: str, fmt: str,
             module: dict[str, Any] | None, policy: Policy | None) -> int:
    """`policyc eval` of a compliance regime; `module` is the committed evaluator when fresh."""
    facts = plain(tree["facts"])
    records = plain(tree.get("records") or {})
    if module is not None:
        inspect, title, doc_number = wrap_inspect(module), str(module["TITLE"]), module["DOC_NUMBER"]
    else:
        assert policy is not None
        inspect = compile_inspect(policy, policy_path) if engine == "generated" else interpreter_inspect(policy)
        title, doc_number = policy.meta.title, policy.meta.doc_number
    try:
        result = inspect(facts, records, as_of)
    except INPUT_ERRORS as exc:
        located = policy if policy is not None else load_policy(policy_path)
        raise PolicyError(diagnostics(exc, located, tree)) from None
    if fmt == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(result_text(title, doc_number, result))
    return 0
