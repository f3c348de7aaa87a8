"""The decision procedure is defined once: both engines give the same results, traces and error
messages because they run the same `runtime.procedure.decide`; fact domains are checked by both;
and the differential check really does notice when one engine's copy drifts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import HAMI, ROOT

from compiler.evaluate.cases import Case, compile_evaluator, outcome, run_case, wrap_generated
from compiler.evaluate.codegen import generate
from compiler.evaluate.interpreter import Interpreter
from compiler.model.load import policy_from_tree
from compiler.runtime import core as evalrt
from compiler.source.yamlsrc import YMap, parse_yaml

DAY = dt.date(2026, 6, 1)
BASE = {
    "单位所在地在哈密市": True, "单位类型": "企业", "符合产业政策": True, "取得法定资质": True,
    "列入失信名单": False, "列入负面清单": False, "已获得同类政策支持": False,
    "与质量强市建设相关": True, "存在其他违法违规情形": False,
}  # fmt: skip

# An award whose amount uses an optional fact: 员工数 × 1万元/人.
OPTIONAL_AMOUNT = (
    "  员工数:\n    type: number\n    unit: 人\n    whole: true\n    minimum: 0\n    optional: true\n"
    "  列入失信名单:\n"
)


def _engines(text: str, name: str) -> tuple[Any, Any]:
    policy = policy_from_tree(parse_yaml(text, name), name)
    namespace: dict[str, Any] = {}
    exec(compile(generate(policy, text, name), name, "exec"), namespace)
    return wrap_generated(namespace), Interpreter(policy).evaluate


def _optional_amount_policy() -> str:
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    text = text.replace("  列入失信名单:\n", OPTIONAL_AMOUNT, 1)
    return text.replace("amount: 10万元", "amount: 员工数 × 1万元/人")


@pytest.fixture(scope="module")
def hami_engines(hami: Any) -> tuple[Any, Any]:
    return compile_evaluator(hami, HAMI), Interpreter(hami).evaluate


def test_empty_optional_fact_message_is_the_same_in_both_engines() -> None:
    generated, reference = _engines(_optional_amount_policy(), "optional.yaml")
    facts = {"在本市": True, "营业收入": "120万元", "申报资格": ["银奖"]}
    errors = []
    for engine in (generated, reference):
        with pytest.raises(evalrt.EvaluationError) as info:
            engine(facts, DAY)
        errors.append((info.value.cite, info.value.message, info.value.rule))
    assert errors[0] == errors[1] == ("第三条第（二）项", "事实「员工数」为空，无法计算「员工数 × 1万元/人」", "员工数 × 1万元/人")
    ok = generated({**facts, "员工数": 3}, DAY)
    assert ok == reference({**facts, "员工数": 3}, DAY) and ok["total"] == Decimal(30000)


def test_a_message_changed_in_one_engine_fails_the_differential_check() -> None:
    """Drift is caught: the generated module carries a copy of the runtime; change one message
    in that copy and the case's differential comparison fails."""
    text = _optional_amount_policy()
    policy = policy_from_tree(parse_yaml(text, "optional.yaml"), "optional.yaml")
    source = generate(policy, text, "optional.yaml")
    assert source.count("为空，无法计算") == 1
    drifted: dict[str, Any] = {}
    exec(compile(source.replace("为空，无法计算", "为空，不能计算"), "drifted", "exec"), drifted)
    case = Case("empty optional", {"在本市": True, "营业收入": "120万元", "申报资格": ["银奖"]}, DAY,
                YMap({"total": "0元"}), None)  # type: ignore[arg-type]
    same: dict[str, Any] = {}
    exec(compile(source, "same", "exec"), same)
    reference = Interpreter(policy).evaluate
    assert outcome(wrap_generated(same), case.facts, DAY) == outcome(reference, case.facts, DAY)
    result = run_case(case, wrap_generated(drifted), reference)
    assert "生成的求值器与参考解释器结果不一致（差异测试失败）" in result.failures


def test_a_changed_trace_text_fails_the_differential_check(hami: Any) -> None:
    source = generate(hami, HAMI.read_text(encoding="utf-8"), "final.yaml")
    drifted: dict[str, Any] = {}
    exec(compile(source.replace("此前未取得，属首次", "此前没有取得，属首次"), "drifted", "exec"), drifted)
    facts = {**BASE, "申报资格": ["中国质量奖"]}
    reference = Interpreter(hami).evaluate
    assert outcome(wrap_generated(drifted), facts, DAY) != outcome(reference, facts, DAY)
    assert outcome(wrap_generated(drifted), facts, DAY, trace=False) == outcome(reference, facts, DAY, trace=False)


@pytest.mark.parametrize(("value", "why"), [
    (Decimal("1.5"), "事实「主导制定国家标准数」应为整数，实际是「1.5」"),
    ("1.5项", "事实「主导制定国家标准数」应为整数，实际是「1.5项」"),
    (-3, "事实「主导制定国家标准数」不能小于0项，实际是「-3」"),
    ("-1", "事实「主导制定国家标准数」不能小于0项，实际是「-1」"),
])  # fmt: skip
def test_counts_are_whole_and_not_negative_in_both_engines(hami_engines: tuple[Any, Any], value: Any, why: str) -> None:
    facts = {**BASE, "申报资格": [], "主导制定国家标准数": value}
    results = [outcome(engine, facts, DAY) for engine in hami_engines]
    assert results[0] == results[1]
    kind, (missing, invalid, unknown, message) = results[0]
    assert kind == "facts_error" and missing == [] and unknown == []
    assert message == why


def test_a_negative_budget_is_refused_in_both_engines(hami_engines: tuple[Any, Any]) -> None:
    facts = {**BASE, "申报资格": ["中国质量奖"], "年度剩余预算": -100}
    results = [outcome(engine, facts, DAY) for engine in hami_engines]
    assert results[0] == results[1]
    assert results[0][1][3] == "事实「年度剩余预算」不能小于0元，实际是「-100」"
    ok = [outcome(engine, {**facts, "年度剩余预算": 0}, DAY) for engine in hami_engines]
    assert ok[0] == ok[1] and ok[0][1]["deferred"][0]["award"] == "china-quality-award"


def test_whole_counts_still_count(hami_engines: tuple[Any, Any]) -> None:
    for value in (2, Decimal(2), "2", "2项"):
        results = [engine({**BASE, "申报资格": [], "主导制定国家标准数": value}, DAY) for engine in hami_engines]
        assert results[0] == results[1] and results[0]["total"] == Decimal(400000)


def test_evaluation_date_must_be_a_date(hami_engines: tuple[Any, Any]) -> None:
    for engine in hami_engines:
        with pytest.raises(TypeError, match="评价日期 as_of 应为 datetime.date"):
            engine({**BASE, "申报资格": []}, "2026-06-01")


def test_domain_declared_on_a_non_number_is_an_error() -> None:
    from compiler.source.diagnostics import PolicyError

    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    text = text.replace("  列入失信名单:\n    type: bool\n", "  列入失信名单:\n    type: bool\n    whole: true\n", 1)
    assert "whole: true" in text
    with pytest.raises(PolicyError) as info:
        policy_from_tree(parse_yaml(text, "bad.yaml"), "bad.yaml")
    assert any("不能规定 whole/minimum/maximum" in d.message for d in info.value.diagnostics)


def test_both_engines_run_one_procedure() -> None:
    """Neither engine module spells out a phase or a reason of its own."""
    for module in ("interpreter.py", "codegen.py"):
        text = (Path(ROOT) / "compiler/evaluate" / module).read_text(encoding="utf-8")
        for phrase in ("就高不就低", "用完即止", "不得重复享受", "此前已经取得", "不在本办法有效期内"):
            assert phrase not in text, (module, phrase)
