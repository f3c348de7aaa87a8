"""Test cases as data for computing policies (`<version>.cases.yaml` with `kind: computation`):
a person's facts and records, the region file → expected payments, values and refusals.

Each case runs through the generated evaluator and the reference interpreter; both must meet
the expectation and agree exactly (results and traces, or the error and all its fields).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from compiler.evaluate.computation_command import (
    Settle,
    compile_settle,
    interpreter_settle,
    load_region,
)
from compiler.model.load import load_policy
from compiler.runtime import computation as rt
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Span
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, plain

_QUANTITY = re.compile(r"\s*(-?\d+(?:\.\d+)?)\s*(\S*)\s*")


@dataclass
class ComputationCase:
    name: str
    facts: dict[str, Any]
    records: dict[str, list[dict[str, Any]]]
    region: dict[str, Any] | None
    as_of: dt.date
    expect: YMap
    span: Span


@dataclass
class ComputationResult:
    case: ComputationCase
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def load(path: Path) -> tuple[Path, list[ComputationCase]]:
    tree = load_document(path, "computation-cases")
    defaults = tree.get("defaults") or YMap()
    base_facts = plain(defaults.get("facts") or {})
    base_record = plain(defaults.get("record") or {})
    regions: dict[str, dict[str, Any]] = {}

    def region_file(name: str) -> dict[str, Any]:
        if name not in regions:
            regions[name] = load_region(path.parent / name)[0]
        return regions[name]

    cases = []
    for i, raw in enumerate(tree["cases"]):
        facts = {**base_facts, **plain(raw.get("facts") or {})}
        records = {
            kind: [{**base_record.get(kind, {}), **r} for r in rows]
            for kind, rows in plain(raw.get("records") or {}).items()
        }
        name = raw["region"] if "region" in raw else tree.get("region")
        region = dict(region_file(str(name))) if name is not None else None
        if region is not None and "region_values" in raw:
            region["parameters"] = {**region["parameters"], **plain(raw["region_values"])}
        as_of = dt.date.fromisoformat(str(raw.get("as_of", defaults.get("as_of"))))
        cases.append(ComputationCase(str(raw["name"]), facts, records, region, as_of, raw["expect"],
                                     tree["cases"].item_spans[i]))
    return path.parent / str(tree["policy"]), cases


def outcome(settle: Settle, case: ComputationCase) -> tuple[str, Any]:
    """The whole result, or the error's class and every field of it."""
    try:
        return "ok", settle(case.facts, case.records, case.region, case.as_of)
    except evalrt.FactsError as exc:
        return "facts", (exc.missing, exc.invalid, exc.unknown, str(exc))
    except evalrt.RecordsError as exc:
        return "records", (exc.kind, exc.index, exc.field, str(exc))
    except rt.RegionError as exc:
        return "region", (exc.names, str(exc))
    except evalrt.EvaluationError as exc:
        return "evaluation", (exc.cite, exc.message, exc.rule, str(exc))


def _untraced(result: dict[str, Any]) -> dict[str, Any]:
    """A result without its traces (what a run with trace=False must still give)."""
    records = {k: [{**r, "trace": []} for r in rows] for k, rows in result["records"].items()}
    return {**result, "records": records, "trace": []}


def _number(text: str) -> tuple[Decimal, str] | None:
    m = _QUANTITY.fullmatch(text)
    if not m:
        return None
    try:
        value = Decimal(m.group(1))
    except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
        return None
    unit = m.group(2)
    if unit == "万元":
        return value * 10000, "元"
    return value, unit


def _same(want: str, value: Any, unit: str) -> bool:
    """An expected value ("658元", "70%", "二级", "是") against a traced value in its unit."""
    if isinstance(value, bool):
        return want == ("是" if value else "否")
    parsed = _number(want)
    if parsed is not None and value is not None:
        number, want_unit = parsed
        try:
            got = Decimal(str(value))
        except InvalidOperation:
            return False
        return got == number and want_unit in (unit, "")
    return str(value) == want


def check(case: ComputationCase, generated: Settle, reference: Settle) -> ComputationResult:
    res = ComputationResult(case)
    gen, ref = outcome(generated, case), outcome(reference, case)
    if gen != ref:
        res.failures.append("生成的求值器与参考解释器结果不一致（差异测试失败）")
    quick = outcome(lambda *a: generated(*a, trace=False), case)
    if gen[0] == "ok" and quick[0] == "ok":
        if _untraced(quick[1]) != _untraced(gen[1]):
            res.failures.append("生成的求值器不记录判断过程时结果不同（差异测试失败）")
    elif quick != gen:
        res.failures.append("生成的求值器不记录判断过程时报错不同（差异测试失败）")
    kind, out = gen
    exp = case.expect
    if "error" in exp:
        if kind != exp["error"]:
            res.failures.append(f"应报错 {exp['error']}，实际{'计算成功' if kind == 'ok' else kind}：{out}")
        elif "message" in exp and str(exp["message"]) not in str(out[-1]):
            res.failures.append(f"错误信息应包含「{exp['message']}」，实际为「{out[-1]}」")
        return res
    if kind != "ok":
        res.failures.append(f"计算失败：{kind} {out[-1]}")
        return res
    result: dict[str, Any] = out
    if "total" in exp and not _same(str(exp["total"]), result["total"], "元"):
        res.failures.append(f"总计应为 {exp['total']}，实际为 {result['total']}元")
    for name, want in (exp.get("payments") or {}).items():
        got = result["payments"].get(str(name))
        if got is None or not _same(str(want), got, "元"):
            res.failures.append(f"合计「{name}」应为 {want}，实际为 {got}元")
    rows = [r for records in result["records"].values() for r in records]
    for index, values in (exp.get("records") or {}).items():
        i = int(index)
        if not 1 <= i <= len(rows):
            res.failures.append(f"没有第 {i} 条记录")
            continue
        traced = {t["step"]: t for t in rows[i - 1]["trace"]}
        for name, want in values.items():
            entry = traced.get(str(name))
            if entry is None:
                res.failures.append(f"第 {i} 条记录没有计算值「{name}」")
            elif not _same(str(want), entry["value"], entry.get("unit", "")):
                res.failures.append(f"第 {i} 条记录「{name}」应为 {want}，实际为 {entry['value']}{entry.get('unit', '')}")
    if "refused" in exp:
        got_r = sorted([(0, r["payment"], r["cite"]) for r in result["refused"]]
                       + [(row["index"], r["payment"], r["cite"]) for row in rows for r in row["refused"]])
        if all("record" in r for r in exp["refused"]):
            want_r = sorted((int(r.get("record", 0)), str(r["payment"]), str(r["cite"])) for r in exp["refused"])
        else:  # without record numbers: which payments were refused, under which clause
            want_r = sorted({(0, str(r["payment"]), str(r["cite"])) for r in exp["refused"]})
            got_r = sorted({(0, p, c) for _, p, c in got_r})
        if want_r != got_r:
            res.failures.append(f"不予支付应为 {want_r}，实际为 {got_r}")
    if exp.get("exhaustive"):
        listed = set(exp.get("payments") or {})
        others = {n: v for n, v in result["payments"].items() if n not in listed and v != "0"}
        if others:
            res.failures.append(f"未列出的支付应为0元，实际为 {others}")
    if "cites" in exp:
        cited = {t["cite"] for t in result["trace"]} | {t["cite"] for row in rows for t in row["trace"]}
        for c in exp["cites"]:
            if str(c) not in cited:
                res.failures.append(f"结果中应引用 {c}，实际未引用")
    if "notice" in exp and result.get("notice") != str(exp["notice"]):
        res.failures.append(f"结果应注明「{exp['notice']}」，实际为 {result.get('notice')!r}")
    return res


def run(path: Path) -> list[ComputationResult]:
    policy_path, cases = load(path)
    policy = load_policy(policy_path)
    generated = compile_settle(policy, policy_path)
    reference = interpreter_settle(policy)
    return [check(case, generated, reference) for case in cases]
