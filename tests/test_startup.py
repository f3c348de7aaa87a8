"""Fast paths that must never change an answer: `policyc eval` runs the committed evaluator only
when it is fresh, and `policyc build` skips work only when its inputs are unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from compiler import cli, stamp
from compiler.evaluate import precompiled
from compiler.model import load

FACTS = ROOT / "examples/hami-china-quality-award.facts.yaml"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for folder in ("policies", "generated"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    return tmp_path


def _eval(project: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = cli.main(["eval", str(project / "policies/hami-quality-fund/final.yaml"), str(FACTS), *extra])
    return code, capsys.readouterr().out


def test_eval_uses_the_fresh_committed_evaluator(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    expected = _eval(project, capsys)
    calls: list[Any] = []
    monkeypatch.setattr(load, "load_policy", lambda *a: calls.append(a) or pytest.fail("policy was loaded"))
    assert _eval(project, capsys) == expected and expected[0] == 0 and calls == []
    assert "60万元" in expected[1]


def test_eval_regenerates_when_the_policy_changed(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    policy = project / "policies/hami-quality-fund/final.yaml"
    expected = _eval(project, capsys)
    policy.write_text(policy.read_text(encoding="utf-8") + "# 修改后尚未重新生成\n", encoding="utf-8")
    assert precompiled.fresh_module(policy, policy.read_text(encoding="utf-8"), project / "generated") is None
    loaded: list[Path] = []
    real = load.load_policy
    monkeypatch.setattr(load, "load_policy", lambda p: loaded.append(p) or real(p))
    assert _eval(project, capsys) == expected and loaded == [policy]


def test_eval_regenerates_when_the_compiler_changed(project: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    expected = _eval(project, capsys)
    monkeypatch.setattr(precompiled, "compiler_fingerprint", lambda: "another compiler")
    loaded: list[Path] = []
    real = load.load_policy
    monkeypatch.setattr(load, "load_policy", lambda p: loaded.append(p) or real(p))
    assert _eval(project, capsys) == expected and len(loaded) == 1


def test_an_evaluation_error_still_points_at_the_rule(project: Path, capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    facts = tmp_path / "huge.facts.yaml"
    facts.write_text(FACTS.read_text(encoding="utf-8") + "  主导制定国家标准数: 100000000000000000000000000\n",
                     encoding="utf-8")
    code = cli.main(["eval", str(project / "policies/hami-quality-fund/final.yaml"), str(facts)])
    err = capsys.readouterr().err
    assert code == 1 and "E404" in err and "final.yaml:" in err and "第十三条第一款第（一）项" in err


def test_build_skips_when_nothing_changed(project: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--root", str(project), "build"]) == 0
    assert stamp.unchanged(project)
    from compiler import build

    monkeypatch.setattr(build, "build_all", lambda root: pytest.fail("built again"))
    assert cli.main(["--root", str(project), "build"]) == 0
    assert "输入没有变化" in capsys.readouterr().out


def test_build_runs_again_when_an_input_or_output_changed(project: Path) -> None:
    assert cli.main(["--root", str(project), "build"]) == 0
    guide = project / "policies/hami-quality-fund/guides/2027.yaml"
    guide.write_text(guide.read_text(encoding="utf-8") + "# 改动\n", encoding="utf-8")
    assert not stamp.unchanged(project)
    assert cli.main(["--root", str(project), "build"]) == 0 and stamp.unchanged(project)
    (project / "generated/hami-quality-fund/final.txt").write_text("被改动的输出", encoding="utf-8")
    assert not stamp.unchanged(project)
    assert cli.main(["--root", str(project), "build"]) == 0
    assert (project / "generated/hami-quality-fund/final.txt").read_text(encoding="utf-8") != "被改动的输出"


def test_a_damaged_stamp_means_a_full_build(project: Path) -> None:
    (project / stamp.STAMP).parent.mkdir(parents=True, exist_ok=True)
    (project / stamp.STAMP).write_text("{not json", encoding="utf-8")
    assert not stamp.unchanged(project)
    assert cli.main(["--root", str(project), "build", "--check"]) == 0


def test_the_fingerprint_covers_everything_the_generator_imports() -> None:
    """A change to any module the code generator depends on must make committed evaluators stale."""
    from test_architecture import import_graph

    graph = import_graph()
    seen, todo = set(), ["compiler.evaluate.codegen"]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += graph[module]
    covered = set()
    for entry in precompiled.FINGERPRINTED:
        path = precompiled.COMPILER_DIR / entry
        covered |= {str(p.relative_to(ROOT).with_suffix("")).replace("/", ".") for p in
                    (path.rglob("*.py") if path.is_dir() else [path])}
    covered = {m.removesuffix(".__init__") for m in covered}
    assert seen - covered - {"compiler.evaluate.precompiled"} == set()
