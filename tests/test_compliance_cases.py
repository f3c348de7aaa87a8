"""The compliance regimes' test cases (policies/*/*.cases.yaml with `kind: compliance`), one pytest
item per case; each runs on the generated evaluator and on the reference interpreter, which must
agree on the whole result (trace included) or on the error and all its fields."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT

from compiler.evaluate import compliance_cases
from compiler.evaluate.cases import find_case_files
from compiler.evaluate.compliance_command import compile_inspect, interpreter_inspect
from compiler.model.load import load_policy

GRAIN = ROOT / "policies/hami-grain-reserve/final.cases.yaml"
_loaded: dict[Path, tuple[list[compliance_cases.ComplianceCase], object, object]] = {}


def _params() -> list[object]:
    out = []
    for path in find_case_files(ROOT / "policies"):
        if compliance_cases.is_compliance_file(path):
            for i, case in enumerate(compliance_cases.load(path)[1]):
                out.append(pytest.param(path, i, id=f"{path.parent.name}/{path.name}::{case.name}"))
    return out


@pytest.mark.parametrize(("path", "index"), _params())
def test_compliance_case(path: Path, index: int) -> None:
    if path not in _loaded:
        policy_path, cases = compliance_cases.load(path)
        policy = load_policy(policy_path)
        _loaded[path] = (cases, compile_inspect(policy, policy_path), interpreter_inspect(policy))
    cases, generated, reference = _loaded[path]
    result = compliance_cases.check(cases[index], generated, reference)  # type: ignore[arg-type]
    assert result.ok, f"{cases[index].span}: " + "；".join(result.failures)


def test_grain_cases_cover_the_boundaries() -> None:
    _, cases = compliance_cases.load(GRAIN)
    assert len(cases) >= 30
    names = " ".join(c.name for c in cases)
    for words in ("期限末日", "晚期限一日", "恰为承储计划规模的90%", "高于承储计划规模", "负数", "出库日期早于采购日期",
                  "未知的品种"):
        assert words in names, words
    policy = load_policy(GRAIN.parent / "final.yaml")
    assert policy.compliance is not None
    wanted = {o.id for o in policy.compliance.obligations}
    seen = {str(x).split("#")[0] for c in cases for key in ("violations", "findings", "notices")
            for x in (c.expect.get(key) or [])}
    assert wanted - seen == set(), "every duty fails in some case"
