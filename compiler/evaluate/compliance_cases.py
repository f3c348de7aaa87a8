"""Test cases as data for compliance regimes (`<version>.cases.yaml` with `kind: compliance`): an
inspection record (the holder's facts and its records, as changes to a compliant default) →
the expected violations, findings, notices, the sanctions' 项, and the payments; or the input
error with its field and record.

Each case runs through the generated evaluator and the reference interpreter; both must meet
the expectation and agree exactly (results and traces, or the error and all its fields).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from compiler.evaluate.compliance_command import Inspect, compile_inspect, interpreter_inspect
from compiler.model.load import load_policy
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Span
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, plain


@dataclass
class ComplianceCase:
    name: str
    facts: dict[str, Any]
    records: dict[str, list[dict[str, Any]]]
    as_of: dt.date
    expect: YMap
    span: Span


@dataclass
class ComplianceResult:
    case: ComplianceCase
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def _merge(base: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    out = {**base, **change}
    return {k: v for k, v in out.items() if v is not None}


def load(path: Path) -> tuple[Path, list[ComplianceCase]]:
    tree = load_document(path, "compliance-cases")
    defaults = tree.get("defaults") or YMap()
    base_facts = plain(defaults.get("facts") or {})
    base_record = plain(defaults.get("record") or {})
    base_records = plain(defaults.get("records") or {})
    cases = []
    for i, raw in enumerate(tree["cases"]):
        facts = _merge(base_facts, plain(raw.get("facts") or {}))
        records = {kind: [_merge(base_record.get(kind, {}), r) for r in rows] for kind, rows in base_records.items()}
        for kind, rows in plain(raw.get("records") or {}).items():
            records[kind] = [_merge(base_record.get(kind, {}), r) for r in rows]
        for kind, changes in plain(raw.get("patch") or {}).items():
            for index, change in changes.items():
                rows = records.setdefault(kind, [])
                n = int(index)
                while len(rows) < n:
                    rows.append(dict(base_record.get(kind, {})))
                rows[n - 1] = _merge(rows[n - 1], change)
        as_of = dt.date.fromisoformat(str(raw.get("as_of", defaults.get("as_of"))))
        cases.append(ComplianceCase(str(raw["name"]), facts, records, as_of, raw["expect"], tree["cases"].item_spans[i]))
    return path.parent / str(tree["policy"]), cases


def outcome(inspect: Inspect, case: ComplianceCase) -> tuple[str, Any]:
    """The whole result, or the error's class and every field of it."""
    try:
        return "ok", inspect(case.facts, case.records, case.as_of)
    except evalrt.FactsError as exc:
        return "facts", (exc.missing, exc.invalid, exc.unknown, str(exc))
    except evalrt.RecordsError as exc:
        return "records", (exc.kind, exc.index, exc.field, str(exc))
    except evalrt.EvaluationError as exc:
        return "evaluation", (exc.cite, exc.message, exc.rule, str(exc))


def _yuan(text: str) -> Decimal | None:
    """An amount written `107500元` (or `107500`), as a number of 元."""
    try:
        return Decimal(text.strip().removesuffix("元"))
    except InvalidOperation:
        return None


def _ids(found: list[dict[str, Any]]) -> list[str]:
    return sorted(f["obligation"] + (f"#{f['record']['index']}" if f["record"] else "") for f in found)


def _check_error(res: ComplianceResult, kind: str, out: Any, exp: YMap) -> None:
    if kind != exp["error"]:
        res.failures.append(f"应报错 {exp['error']}，实际{'检查成功' if kind == 'ok' else kind}")
        return
    if "message" in exp and str(exp["message"]) not in str(out[-1]):
        res.failures.append(f"错误信息应包含「{exp['message']}」，实际为「{out[-1]}」")
    if "field" in exp:
        fields = [out[2]] if kind == "records" else [*out[0], *(n for n, _ in out[1]), *(n for n, _ in out[2])]
        if str(exp["field"]) not in fields:
            res.failures.append(f"出错的字段应为「{exp['field']}」，实际为 {fields}")
    if "record" in exp and (kind != "records" or out[1] + 1 != int(exp["record"])):
        res.failures.append(f"出错的应为第 {exp['record']} 条记录，实际为 {out[1] + 1 if kind == 'records' else '无'}")


def check(case: ComplianceCase, generated: Inspect, reference: Inspect) -> ComplianceResult:
    res = ComplianceResult(case)
    gen, ref = outcome(generated, case), outcome(reference, case)
    if gen != ref:
        res.failures.append("生成的求值器与参考解释器结果不一致（差异测试失败）")
    kind, out = gen
    exp = case.expect
    if "error" in exp:
        _check_error(res, kind, out, exp)
        return res
    if kind != "ok":
        res.failures.append(f"检查失败：{kind} {out[-1]}")
        return res
    result: dict[str, Any] = out
    if "conforms" in exp and result["conforms"] != bool(exp["conforms"]):
        res.failures.append(f"是否符合应为 {exp['conforms']}，实际为 {result['conforms']}")
    for key, zh in (("violations", "违规"), ("findings", "原则性要求未达到"), ("notices", "提示")):
        if key in exp:
            want, got = sorted(str(x) for x in exp[key]), _ids(result[key])
            if want != got:
                res.failures.append(f"{zh}应为 {want}，实际为 {got}")
    if "breaches" in exp:
        got_b = sorted({f["breach"]["cite"] for f in result["violations"] if f["breach"]})
        if sorted(str(x) for x in exp["breaches"]) != got_b:
            res.failures.append(f"所属罚则项应为 {sorted(str(x) for x in exp['breaches'])}，实际为 {got_b}")
    if "measures" in exp:
        texts = [s["measures"] for s in result["sanctions"]]
        if not any(str(exp["measures"]) in t for t in texts):
            res.failures.append(f"处理措施应包含「{exp['measures']}」，实际为 {texts}")
    for name, want in (exp.get("payments") or {}).items():
        got = result["payments"].get(str(name))
        if got is None or _yuan(str(want)) != _yuan(got):
            res.failures.append(f"「{name}」应为 {want}，实际为 {got}元")
    if "total" in exp and _yuan(str(exp["total"])) != _yuan(result["total"]):
        res.failures.append(f"补贴总计应为 {exp['total']}，实际为 {result['total']}元")
    return res


def run(path: Path) -> list[ComplianceResult]:
    policy_path, cases = load(path)
    policy = load_policy(policy_path)
    generated = compile_inspect(policy, policy_path)
    reference = interpreter_inspect(policy)
    return [check(case, generated, reference) for case in cases]


def is_compliance_file(path: Path) -> bool:
    """Whether a case file holds compliance cases (`kind: compliance`)."""
    from compiler.source.files import display_path
    from compiler.source.yamlsrc import load_yaml

    tree = load_yaml(path, display_path(path))
    return isinstance(tree, dict) and tree.get("kind") == "compliance"
