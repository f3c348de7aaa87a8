"""Every policy's test cases (policies/*/*.cases.yaml), one pytest item per case; each runs on the
generated evaluator and on the reference interpreter, which must agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from compiler.evaluate import computation_cases
from compiler.evaluate.cases import (
    CaseFile,
    compile_evaluator,
    find_case_files,
    is_computation_file,
    load_cases,
    run_case,
)
from compiler.evaluate.compliance_cases import is_compliance_file
from compiler.evaluate.computation_command import compile_settle, interpreter_settle
from compiler.evaluate.interpreter import Interpreter
from compiler.model.load import load_policy

_loaded: dict[Path, tuple[CaseFile, object, object]] = {}


def _load(path: Path) -> tuple[CaseFile, object, object]:
    if path not in _loaded:
        cf = load_cases(path)
        policy = load_policy(cf.policy_path)
        _loaded[path] = (cf, compile_evaluator(policy, cf.policy_path), Interpreter(policy).evaluate)
    return _loaded[path]


def _params() -> list[object]:
    out = []
    for path in find_case_files(ROOT / "policies"):
        if is_computation_file(path) or is_compliance_file(path):
            continue
        for i, case in enumerate(load_cases(path).cases):
            out.append(pytest.param(path, i, id=f"{path.parent.name}/{path.name}::{case.name}"))
    return out


_computations: dict[Path, tuple[list[computation_cases.ComputationCase], object, object]] = {}


def _computation_params() -> list[object]:
    out = []
    for path in find_case_files(ROOT / "policies"):
        if is_computation_file(path):
            for i, case in enumerate(computation_cases.load(path)[1]):
                out.append(pytest.param(path, i, id=f"{path.parent.name}/{path.name}::{case.name}"))
    return out


@pytest.mark.parametrize(("path", "index"), _computation_params())
def test_computation_case(path: Path, index: int) -> None:
    if path not in _computations:
        policy_path, cases = computation_cases.load(path)
        policy = load_policy(policy_path)
        _computations[path] = (cases, compile_settle(policy, policy_path), interpreter_settle(policy))
    cases, generated, reference = _computations[path]
    result = computation_cases.check(cases[index], generated, reference)  # type: ignore[arg-type]
    assert result.ok, f"{cases[index].span}: " + "；".join(result.failures)


@pytest.mark.parametrize("policy", ["xj-outpatient-mutual-aid", "xj-cotton-textile"])
def test_computing_policies_have_enough_cases(policy: str) -> None:
    _, cases = computation_cases.load(ROOT / f"policies/{policy}/final.cases.yaml")
    assert len(cases) >= 40


@pytest.mark.parametrize(("path", "index"), _params())
def test_case(path: Path, index: int) -> None:
    cf, generated, reference = _load(path)
    result = run_case(cf.cases[index], generated, reference)  # type: ignore[arg-type]
    assert result.ok, f"{cf.cases[index].span}: " + "；".join(result.failures)


def test_hami_has_enough_cases_covering_every_award() -> None:
    path = ROOT / "policies/hami-quality-fund/final.cases.yaml"
    cf = load_cases(path)
    assert len(cf.cases) >= 30
    policy = load_policy(cf.policy_path)
    granted = {str(k) for case in cf.cases for k in (case.expect.get("granted") or {})}
    assert {a.id for a in policy.awards} <= granted, "every award item is granted by some case"
    refused_cites = {str(v) for case in cf.cases for v in (case.expect.get("refused") or {}).values()}
    for rule in policy.exclusions:
        assert rule.clause.cite in refused_cites, f"exclusion {rule.id} is exercised"
    assert "第二十条第（二）项" in refused_cites  # 就高不就低 / 不得重复享受
