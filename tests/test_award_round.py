"""Periodic awards (the Yining quality award): the round cases on both engines, the generated
holiday table against the package, the checks of the round rules, and the command line."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from compiler.evaluate.award_round_engines import (
    GeneratedRound,
    InterpreterRound,
    package_is_workday,
    package_years,
)
from compiler.evaluate.round_cases import (
    RoundCaseFile,
    engines,
    find_round_case_files,
    load_round_cases,
    run_round_case,
)
from compiler.model.award_round import round_spec
from compiler.model.load import load_policy
from compiler.source.diagnostics import PolicyError

YINING = ROOT / "policies/yining-quality-award/final.yaml"
CASES = ROOT / "policies/yining-quality-award/final.round-cases.yaml"
_loaded: dict[Path, tuple[RoundCaseFile, Any, Any]] = {}


def _load(path: Path) -> tuple[RoundCaseFile, Any, Any]:
    if path not in _loaded:
        cf = load_round_cases(path)
        _loaded[path] = (cf, *engines(cf.policy_path))
    return _loaded[path]


def _params() -> list[Any]:
    return [pytest.param(path, i, id=f"{path.parent.name}::{case.name}")
            for path in find_round_case_files(ROOT / "policies")
            for i, case in enumerate(load_round_cases(path).cases)]


@pytest.mark.parametrize(("path", "index"), _params())
def test_round_case(path: Path, index: int) -> None:
    cf, generated, reference = _load(path)
    result = run_round_case(cf.cases[index], generated, reference)
    assert result.ok, f"{cf.cases[index].span}: " + "；".join(result.failures)


def test_yining_has_enough_cases_of_every_kind() -> None:
    cf = load_round_cases(CASES)
    kinds = [c.kind for c in cf.cases]
    assert len(cf.cases) >= 30
    assert {"eligibility", "round", "calendar"} <= set(kinds)
    errors = [c for c in cf.cases if "error" in c.expect]
    assert len(errors) >= 8
    spec = round_spec(load_policy(YINING))
    assert spec is not None
    refused = {cite for c in cf.cases for cite in c.expect.get("refused") or []}
    for ban in spec.bans:  # every ban refuses somebody in some case
        assert ban.clause.cite in refused, ban.id


def _gen_and_ref() -> tuple[GeneratedRound, InterpreterRound]:
    gen, ref = engines(YINING)
    assert isinstance(gen, GeneratedRound) and isinstance(ref, InterpreterRound)
    return gen, ref


def test_generated_holiday_table_matches_the_package_on_every_day() -> None:
    gen, _ = _gen_and_ref()
    is_workday = gen.ns["_is_workday"]
    first, last = package_years()
    day = dt.date(2026, 1, 1)
    while day.year <= last:
        assert is_workday(day) == package_is_workday(day), day
        day += dt.timedelta(days=1)
    assert is_workday(dt.date(last + 1, 3, 2)) is None and package_is_workday(dt.date(last + 1, 3, 2)) is None
    assert first <= 2026


def test_a_year_without_a_holiday_schedule_is_an_error_not_a_guess() -> None:
    from compiler.runtime.award_round import CalendarUnknown

    gen, ref = _gen_and_ref()
    year = package_years()[1] + 1
    for engine in (gen, ref):
        with pytest.raises(CalendarUnknown) as info:
            engine.calendar(dt.date(year, 9, 1))
        assert info.value.year == year


def test_a_changed_reason_in_the_generated_copy_fails_the_differential_check() -> None:
    """The reasons are written once, in the runtime: a generated copy that says something else
    is caught by comparing the engines."""
    cf, _, reference = _load(CASES)
    policy = load_policy(YINING)
    from compiler.evaluate.codegen import generate

    src = generate(policy, YINING.read_text(encoding="utf-8"), "x").replace("在禁止期内", "已过禁止期")
    ns: dict[str, Any] = {"__name__": "mutant"}
    exec(compile(src, "mutant", "exec"), ns)
    case = next(c for c in cf.cases if c.name.startswith("质量奖获奖组织在禁止期届满当日"))
    assert not run_round_case(case, GeneratedRound(ns), reference).ok


def _policy_with(tmp_path: Path, old: str, new: str) -> Path:
    text = YINING.read_text(encoding="utf-8")
    assert old in text
    folder = tmp_path / "policies" / "yining-quality-award"
    (folder / "sources").mkdir(parents=True)
    for src in (YINING.parent / "sources").iterdir():
        (folder / "sources" / src.name).write_bytes(src.read_bytes())
    path = folder / "final.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(("old", "new", "code", "fragment"), [
    ("after: notice", "after: nowhere", "E704", "不存在"),
    ("after: publicity-internal", "after: publicity-proposal", "E704", "在它之后才出现"),
    ("awards: [quality-award]", "awards: [gold-award]", "E701", "只对应一个已定义的奖励事项"),
    ("ban_from: 以不正当手段获奖被取消奖励", "ban_from: 取消奖励", "E702", "没有对应的禁止申报期"),
    ("                    deadline: true", "                    deadline: true\n                    duration: 10日", "E703",
     "不应再写 set_by"),
])  # fmt: skip
def test_round_rules_are_checked(tmp_path: Path, old: str, new: str, code: str, fragment: str) -> None:
    path = _policy_with(tmp_path, old, new)
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    found = [d for d in info.value.diagnostics if d.code == code]
    assert any(fragment in d.message and d.span is not None for d in found), [d.message for d in info.value.diagnostics]


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=ROOT, capture_output=True, text=True)


POLICY = "policies/yining-quality-award/final.yaml"


@pytest.mark.parametrize("engine", ["generated", "interpreter"])
def test_eval_of_a_periodic_award_cites_the_ban(engine: str) -> None:
    out = run(["eval", POLICY, "examples/yining-winner-2021.facts.yaml", "--engine", engine, "--format", "json"])
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["format"] == "policyc-round/1" and result["eligible"] is False
    assert [r["cite"] for r in result["refused"]] == ["第十八条"]
    assert result["bans"][0]["until"] == "2026-06-30"
    later = run(["eval", POLICY, "examples/yining-winner-2021.facts.yaml", "--as-of", "2026-07-01", "--engine", engine])
    assert later.returncode == 0 and "结论：可以申报" in later.stdout


def test_eval_history_error_points_at_the_event(tmp_path: Path) -> None:
    facts = tmp_path / "f.yaml"
    facts.write_text((ROOT / "examples/yining-winner-2021.facts.yaml").read_text(encoding="utf-8")
                     .replace("event: 质量奖,", "event: 质量将,"), encoding="utf-8")
    out = run(["eval", POLICY, str(facts)])
    assert out.returncode == 1
    assert "f.yaml:11:" in out.stderr and "未知的历史事件「质量将」" in out.stderr and "质量奖" in out.stderr
    assert "Traceback" not in out.stderr


def test_round_over_quota_is_an_error_at_the_name(tmp_path: Path) -> None:
    out = run(["round", POLICY, "examples/yining-round-2026.yaml"])
    assert out.returncode == 1
    assert "examples/yining-round-2026.yaml:10:" in out.stderr and "超过每届不超过2个的名额" in out.stderr
    ok = tmp_path / "r.yaml"
    ok.write_text((ROOT / "examples/yining-round-2026.yaml").read_text(encoding="utf-8")
                  .replace(", 伊宁市丙物流有限公司]", "]"), encoding="utf-8")
    good = run(["round", POLICY, str(ok), "--format", "json"])
    assert good.returncode == 0, good.stderr
    result = json.loads(good.stdout)
    assert [a["organisation"] for a in result["awarded"]] == ["伊宁市甲食品有限公司", "伊宁市乙建设工程有限公司",
                                                             "伊宁市丙物流有限公司"]
    assert result["places"][1]["vacant"] == 4


def test_calendar_command_and_usage_errors() -> None:
    out = run(["calendar", POLICY, "--start", "2026-09-14", "--event", "收到补报通知之日=2026-09-21",
               "--duration", "supplement=10日"])
    assert out.returncode == 0, out.stderr
    assert "2026年10月10日" in out.stdout and "顺延（民法典第二百零三条）" in out.stdout
    assert run(["calendar", POLICY, "--start", "2026-13-01"]).returncode == 2
    assert run(["calendar", POLICY, "--start", "2026-09-14", "--duration", "supplement=十日"]).returncode == 2
    hami = run(["calendar", "policies/hami-quality-fund/final.yaml", "--start", "2026-09-14"])
    assert hami.returncode == 2 and "不是评选表彰类办法" in hami.stderr


@pytest.mark.parametrize(("history", "where"), [
    ([{"event": "质量奖", "date": "9998-06-30"}], ("history", 0, "date")),  # the ban would end past 9999
    ([{"event": "质量奖", "date": f"20{i % 90 + 10:02d}-01-01"} for i in range(501)], ("history", 500)),
    ("质量奖", ("history",)),
    ([["质量奖", "2021-06-30"]], ("history", 0)),
])  # fmt: skip
def test_hostile_histories_are_input_errors_on_both_engines(history: Any, where: tuple[Any, ...]) -> None:
    from compiler.runtime.award_round import RoundInputError

    facts = dict(load_round_cases(CASES).cases[0].given["facts"])
    for engine in _gen_and_ref():
        with pytest.raises(RoundInputError) as info:
            engine.assess(facts, history, dt.date(2026, 6, 30))
        assert info.value.problems[0][0] == where


def test_calendar_limits_are_input_errors() -> None:
    from compiler.runtime.award_round import RoundInputError

    for engine in _gen_and_ref():
        with pytest.raises(RoundInputError):
            engine.calendar(dt.date(9999, 12, 31))
        with pytest.raises(RoundInputError):
            engine.calendar(dt.date(2026, 3, 2), {"收到补报通知之日": dt.date(2026, 3, 2)}, {"supplement": (3661, False)})


def test_the_notice_is_built_from_the_year_file() -> None:
    md = (ROOT / "generated/yining-quality-award/guide-2026.md").read_text(encoding="utf-8")
    assert md.startswith("# 关于开展2026年度伊宁市人民政府质量奖评选申报工作的通知")
    assert "| 1 | 质量奖 | — | 颁发证书、奖牌 | 第三条 |" in md
    assert "质量奖每届不超过2个" in md and "可以空缺" in md
    # 受理名单公示 from 2026-09-29, at least 5 working days over 国庆 (10月10日 a 调休 working Saturday)
    assert "（2026年9月29日至2026年10月10日）（《办法》第十四条第（二）项）" in md
    assert "开户银行" not in md and "0元" not in md
    assert "经核实后报请市人民政府批准，取消其奖励，收回证书、奖牌" in md
    for fmt in ("html", "docx"):
        assert (ROOT / f"generated/yining-quality-award/guide-2026.{fmt}").stat().st_size > 1000
