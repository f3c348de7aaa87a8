"""Policy test cases as data (`<version>.cases.yaml`): application facts → expected outcome.

Each case runs through the generated evaluator *and* the reference interpreter; both must meet
the expectation and agree with each other exactly (results and traces), a differential check.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol, cast

from compiler.evaluate.codegen import generate
from compiler.evaluate.compliance_cases import ComplianceResult, is_compliance_file
from compiler.evaluate.compliance_cases import run as run_compliance
from compiler.evaluate.computation_cases import ComputationResult
from compiler.evaluate.computation_cases import run as run_computation
from compiler.evaluate.interpreter import Interpreter
from compiler.evaluate.precompiled import compile_module, wrap_evaluate
from compiler.model.load import load_policy
from compiler.model.policy import Policy
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Diagnostic, PolicyError, Span
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, load_yaml, plain


class Evaluator(Protocol):
    """`evaluate(facts, as_of, *, trace=True)` of a generated module or the interpreter."""

    def __call__(self, facts: dict[str, Any], as_of: dt.date, /, *, trace: bool = True) -> dict[str, Any]: ...


@dataclass
class Case:
    name: str
    facts: dict[str, Any]
    as_of: dt.date
    expect: YMap
    span: Span


@dataclass
class CaseFile:
    path: Path
    policy_path: Path
    cases: list[Case]


@dataclass
class CaseResult:
    case: Case
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


_AMOUNT_RE = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(万元|元)?\s*")


def parse_amount(text: str) -> Decimal:
    """"600000元" / "60万元" / "0" → Decimal in 元."""
    m = _AMOUNT_RE.fullmatch(str(text))
    if not m:
        raise ValueError(f"金额「{text}」应写作 600000元 或 60万元")
    value = Decimal(m.group(1))
    return value * 10000 if m.group(2) == "万元" else value


def load_cases(path: Path) -> CaseFile:
    tree = load_document(path, "cases")
    defaults = tree.get("defaults") or {}
    base_facts = plain(defaults.get("facts") or {})
    base_as_of = defaults.get("as_of")
    cases = []
    errors: list[Diagnostic] = []
    for i, raw in enumerate(tree["cases"]):
        facts = dict(base_facts)
        facts.update(plain(raw.get("facts") or {}))
        for key in raw.get("unset") or []:
            facts.pop(str(key), None)
        as_of_text = raw.get("as_of", base_as_of)
        if as_of_text is None:
            errors.append(Diagnostic("E102", f"用例「{raw['name']}」缺少 as_of（评价日期）", raw.span,
                                     hint="在 defaults 或用例中写 as_of: 2026-06-01"))
            continue
        cases.append(Case(str(raw["name"]), facts, dt.date.fromisoformat(str(as_of_text)), raw["expect"],
                          tree["cases"].item_spans[i]))
    if errors:
        raise PolicyError(errors)
    return CaseFile(path, path.parent / str(tree["policy"]), cases)


def compile_evaluator(policy: Policy, policy_path: Path) -> Evaluator:
    """Generate the evaluator module for a policy and load it in memory."""
    src = generate(policy, policy_path.read_text(encoding="utf-8-sig"), display_path(policy_path))
    return wrap_generated(compile_module(src, f"<generated {policy.policy_id}/{policy.version}>",
                                         f"policyc_generated_{policy.policy_id}"))


def wrap_generated(namespace: dict[str, Any]) -> Evaluator:
    """The module's `evaluate`, raising the compiler's own FactsError/EvaluationError classes
    (the generated module defines copies of them, since it imports nothing from policyc)."""
    return cast(Evaluator, wrap_evaluate(namespace))


def outcome(fn: Evaluator, facts: dict[str, Any], as_of: dt.date, *, trace: bool = True) -> tuple[str, Any]:
    """Everything an evaluation gives, for the differential check: the whole result (trace
    included), or the error's class and every field of it (cite, message, rule; the missing,
    invalid and unknown facts with their messages)."""
    try:
        return "ok", fn(facts, as_of, trace=trace)
    except evalrt.FactsError as exc:
        return "facts_error", (exc.missing, exc.invalid, exc.unknown, str(exc))
    except evalrt.EvaluationError as exc:
        return "evaluation_error", (exc.cite, exc.message, exc.rule)


def run_case(case: Case, generated: Evaluator, reference: Evaluator) -> CaseResult:
    res = CaseResult(case)
    gen = outcome(generated, case.facts, case.as_of)
    ref = outcome(reference, case.facts, case.as_of)
    if gen != ref:
        res.failures.append("生成的求值器与参考解释器结果不一致（差异测试失败）")
    kind, out = gen
    exp = case.expect
    if "error" in exp:
        if kind != "facts_error":
            res.failures.append(f"应报错 {exp['error']}，实际{'计算成功' if kind == 'ok' else kind}")
            return res
        missing = sorted(out[0])
        invalid = out[1]
        if exp["error"] == "missing_facts" and "missing" in exp:
            want = sorted(str(m) for m in exp["missing"])
            if want != missing:
                res.failures.append(f"缺少的事实应为 {want}，实际为 {missing}")
        if exp["error"] == "invalid_facts" and not invalid:
            res.failures.append("应报告无效的事实，实际没有")
        return res
    if kind != "ok":
        res.failures.append(f"计算失败：{kind} {out}")
        return res
    result: dict[str, Any] = out
    if "total" in exp:
        want_total = parse_amount(str(exp["total"]))
        if result["total"] != want_total:
            res.failures.append(f"合计应为 {evalrt.money_text(want_total)}，实际为 {evalrt.money_text(result['total'])}")
    for key in ("granted", "deferred"):
        if key in exp:
            want_amounts = {str(k): parse_amount(str(v)) for k, v in exp[key].items()}
            got_amounts = {_entry_key(g): g["amount"] for g in result[key]}
            if want_amounts != got_amounts:
                res.failures.append(
                    f"{'给予' if key == 'granted' else '顺延'}的事项应为 {_fmt(want_amounts)}，实际为 {_fmt(got_amounts)}"
                )
    if "refused" in exp:
        want_r = {str(k): str(v) for k, v in exp["refused"].items()}
        got_r = {_entry_key(r): r["cite"] for r in result["refused"]}
        if want_r != got_r:
            res.failures.append(f"不予奖励的事项应为 {want_r}，实际为 {got_r}")
    if "cites" in exp:
        cited = {s["cite"] for s in result["trace"]} | {g["cite"] for g in result["granted"]}
        cited |= {r["cite"] for r in result["refused"]}
        for c in exp["cites"]:
            if str(c) not in cited:
                res.failures.append(f"结果中应引用 {c}，实际未引用")
    return res


def _entry_key(entry: dict[str, Any]) -> str:
    """How a case names a granted, refused or deferred claim: its award id, and the subject in
    brackets when the claim named one (chain-key-project-national（甲项目）)."""
    subject = entry.get("subject")
    return str(entry["award"]) + (f"（{subject}）" if subject else "")


def _fmt(amounts: dict[str, Decimal]) -> str:
    return "{" + "，".join(f"{k}: {evalrt.money_text(v)}" for k, v in sorted(amounts.items())) + "}"


def run_file(path: Path) -> list[CaseResult] | list[ComputationResult] | list[ComplianceResult]:
    if is_compliance_file(path):
        return run_compliance(path)
    if is_computation_file(path):
        return run_computation(path)
    cf = load_cases(path)
    policy = load_policy(cf.policy_path)
    generated = compile_evaluator(policy, cf.policy_path)
    reference = Interpreter(policy).evaluate
    return [run_case(case, generated, reference) for case in cf.cases]


def is_computation_file(path: Path) -> bool:
    """Whether a case file holds computation cases (`kind: computation`)."""
    tree = load_yaml(path, display_path(path))
    return isinstance(tree, dict) and tree.get("kind") == "computation"


def find_case_files(root: Path) -> list[Path]:
    return sorted(root.glob("*/*.cases.yaml"))
