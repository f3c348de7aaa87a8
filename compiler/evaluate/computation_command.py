"""`policyc eval` for computing policies: a person (or company) with their records and the
region's values in, every payment with its explanation out; every input problem located in the
file it comes from."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.evaluate.codegen_computation import generate_computation
from compiler.evaluate.interpret_computation import ComputingInterpreter
from compiler.evaluate.precompiled import compile_module, wrap_evaluate
from compiler.model.load import load_policy
from compiler.model.policy import Policy
from compiler.runtime import computation as rt
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Diagnostic, PolicyError
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, locate, plain

Settle = Callable[..., dict[str, Any]]


def load_region(path: Path) -> tuple[dict[str, Any], YMap]:
    """A region file, schema-checked (raises PolicyError at the offending line)."""
    tree = load_document(path, "region")
    return plain(tree), tree


def region_for(input_path: Path, tree: YMap, option: Path | None) -> tuple[dict[str, Any] | None, YMap | None, Path | None]:
    """The region file named by --region, else by the input's `region:` (relative to it)."""
    path = option
    if path is None and "region" in tree:
        path = input_path.parent / str(tree["region"])
    if path is None:
        return None, None, None
    region, region_tree = load_region(path)
    return region, region_tree, path


def compile_settle(policy: Policy, policy_path: Path) -> Settle:
    """The generated evaluator of a computing policy, compiled in memory; errors are the
    compiler's own classes (the module defines copies)."""
    src = generate_computation(policy, policy_path.read_text(encoding="utf-8-sig"), display_path(policy_path))
    return wrap_evaluate(compile_module(src, f"<generated {policy.policy_id}/{policy.version}>",
                                        f"policyc_generated_{policy.policy_id}"))


def interpreter_settle(policy: Policy) -> Settle:
    return ComputingInterpreter(policy).settle


def input_diagnostics(
    exc: Exception, policy: Policy | None, tree: YMap, region_tree: YMap | None, region_path: Path | None
) -> list[Diagnostic]:
    """Where an input problem is: the record's field, the fact, the region file's entry."""
    if isinstance(exc, evalrt.RecordsError):
        path: list[Any] = ["records", exc.kind, exc.index] + ([exc.field] if exc.field else [])
        span = locate(tree, path) or locate(tree, ["records", exc.kind, exc.index]) or locate(tree, ["records"])
        return [Diagnostic("E405", str(exc), span or tree.span, hint=_records_hint(exc))]
    if isinstance(exc, rt.RegionError):
        names = "、".join(exc.names)
        if region_tree is None:
            return [Diagnostic("E406", exc.message, tree.span,
                               hint=f"用 --region 指定地区参数文件（或在输入文件中写 region: 文件名），其中给出{names}")]
        span = locate(region_tree, ["parameters", exc.names[0]]) if exc.names else None
        return [Diagnostic("E406", exc.message, span or locate(region_tree, ["parameters"]) or region_tree.span,
                           hint=f"在 {display_path(region_path) if region_path else '地区参数文件'} 的 parameters 下补正：{names}")]
    if isinstance(exc, evalrt.FactsError):
        out = [Diagnostic("E402", f"事实「{n}」{why}", locate(tree, ["facts", n]) or tree.span) for n, why in exc.invalid]
        if exc.missing:
            out.append(Diagnostic("E401", "缺少必需的事实：" + "、".join(exc.missing), locate(tree, ["facts"]) or tree.span))
        out += [Diagnostic("E403", f"未知的事实「{n}」", locate(tree, ["facts", n], key=True) or tree.span,
                           hint=f"你是不是想写「{g}」？" if g else "政策中没有声明这个事实") for n, g in exc.unknown]
        return out
    assert isinstance(exc, evalrt.EvaluationError)
    span = None
    if policy is not None:
        for c in policy.computes:
            exprs = [e for e in (c.value, c.where) if e is not None]
            if any(e.text == exc.rule for e in exprs):
                span = next(e for e in exprs if e.text == exc.rule).src.span
                break
    return [Diagnostic("E404", exc.message, span or tree.span, exc.cite)]


def _records_hint(exc: evalrt.RecordsError) -> str:
    if exc.field:
        return f"核对第 {exc.index + 1} 条「{exc.kind}」记录的「{exc.field}」"
    return f"核对第 {exc.index + 1} 条「{exc.kind}」记录"


def result_text(title: str, doc_number: str | None, result: dict[str, Any]) -> str:
    """The result in Chinese: each record's payments, then how every number was computed."""
    lines = [f"《{title}》" + (f"（{doc_number}）" if doc_number else "")]
    if result.get("notice"):
        lines.append(f"注意：本结果使用的地区参数为{result['notice']}。")
    for kind, records in result["records"].items():
        for rec in records:
            paid = "，".join(f"{n}{_yuan(v)}" for n, v in rec["payments"].items() if v != "0") or "不支付"
            lines.append(f"\n第 {rec['index']} 条{kind}：{paid}")
            for r in rec["refused"]:
                lines.append(f"  不予支付「{r['payment']}」：{r['reason']}（依据{r['cite']}）")
            lines += [f"  · {t['cite']}：{t['detail']}" for t in rec["trace"]]
    if result["trace"]:
        lines.append("")
        lines += [f"· {t['cite']}：{t['detail']}" for t in result["trace"]]
    lines.append("")
    lines += [f"合计 {n}：{_yuan(v)}" for n, v in result["payments"].items() if v != "0"]
    lines.append(f"总计：{_yuan(result['total'])}")
    return "\n".join(lines)


def _yuan(value: str) -> str:
    return f"{value}元"


def print_result(title: str, doc_number: str | None, result: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(result_text(title, doc_number, result))


def raise_located(exc: Exception, policy: Policy | None, tree: YMap, region_tree: YMap | None,
                  region_path: Path | None) -> None:
    raise PolicyError(input_diagnostics(exc, policy, tree, region_tree, region_path)) from None


INPUT_ERRORS = (evalrt.FactsError, evalrt.EvaluationError, evalrt.RecordsError, rt.RegionError)


def run_eval(policy_path: Path, input_path: Path, tree: YMap, as_of: dt.date, *, engine: str, fmt: str,
             region_option: Path | None, module: dict[str, Any] | None, policy: Policy | None) -> int:
    """`policyc eval` of a computing policy; `module` is the committed evaluator when fresh."""
    facts = plain(tree["facts"])
    records = plain(tree.get("records") or {})
    region, region_tree, region_path = region_for(input_path, tree, region_option)
    if module is not None:
        settle, title, doc_number = wrap_evaluate(module), str(module["TITLE"]), module["DOC_NUMBER"]
    else:
        assert policy is not None
        settle = compile_settle(policy, policy_path) if engine == "generated" else interpreter_settle(policy)
        title, doc_number = policy.meta.title, policy.meta.doc_number
    try:
        result = settle(facts, records, region, as_of)
    except INPUT_ERRORS as exc:
        if policy is None and isinstance(exc, evalrt.EvaluationError):
            from_policy = load_policy(policy_path)
            raise_located(exc, from_policy, tree, region_tree, region_path)
        raise_located(exc, policy, tree, region_tree, region_path)
    print_result(title, doc_number, result, fmt)
    return 0
