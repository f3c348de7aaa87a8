"""Every policy's test cases (policies/*/*.cases.yaml), one pytest item per case; each runs on the
generated evaluator and on the reference interpreter, which must agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from compiler.evaluate.cases import (
    CaseFile,
    compile_evaluator,
    find_case_files,
    load_cases,
    run_case,
)
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
        for i, case in enumerate(load_cases(path).cases):
            out.append(pytest.param(path, i, id=f"{path.parent.name}/{path.name}::{case.name}"))
    return out


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
