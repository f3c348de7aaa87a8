"""Generated evaluators: agreement with the interpreter on random applications, the acceptance
examples, determinism, standard-library-only imports, and safety against hostile YAML text."""

from __future__ import annotations

import datetime as dt
import random
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import HAMI, ROOT

from compiler.evaluate.cases import compile_evaluator, wrap_generated
from compiler.evaluate.codegen import generate
from compiler.evaluate.interpreter import Interpreter
from compiler.model.load import load_policy, policy_from_tree
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import PolicyError
from compiler.source.yamlsrc import parse_yaml

BASE = {
    "单位所在地在哈密市": True, "单位类型": "企业", "符合产业政策": True, "取得法定资质": True,
    "列入失信名单": False, "列入负面清单": False, "已获得同类政策支持": False,
    "与质量强市建设相关": True, "存在其他违法违规情形": False,
}  # fmt: skip


def random_application(rng: random.Random, qualifications: list[str]) -> tuple[dict[str, Any], dt.date]:
    facts: dict[str, Any] = {k: (rng.random() < 0.9 if isinstance(v, bool) and v else rng.random() < 0.05
                                 if isinstance(v, bool) else v) for k, v in BASE.items()}
    facts["单位类型"] = rng.choice(["企业", "企业", "事业单位", "其他"])
    facts["申报资格"] = rng.sample(qualifications, rng.randint(0, 4))
    facts["以往取得资格"] = rng.sample(qualifications, rng.randint(0, 2))
    facts["已获奖励资格"] = rng.sample(qualifications, rng.randint(0, 1))
    for name in ("主导制定国家标准数", "参与制定行业标准数", "主导修订团体标准数"):
        facts[name] = rng.choice([0, 0, 1, 2])
    facts["为排序最靠前的哈密市起草单位"] = rng.random() < 0.5
    if rng.random() < 0.2:
        facts["弄虚作假认定日期"] = dt.date(2022 + rng.randint(0, 4), rng.randint(1, 12), 1)
    if rng.random() < 0.2:
        facts["年度剩余预算"] = Decimal(rng.choice([0, 50000, 300000, 1000000]))
    day = dt.date(2026, 4, 1) + dt.timedelta(days=rng.randint(0, 365 * 4))
    return facts, day


def test_generated_agrees_with_interpreter_on_random_applications(hami: Any) -> None:
    generated = compile_evaluator(hami, HAMI)
    reference = Interpreter(hami).evaluate
    rng = random.Random(20260519)
    quals = hami.qualifications()
    for _ in range(400):
        facts, day = random_application(rng, quals)
        ours, theirs = generated(facts, day), reference(facts, day)
        # repr too: amounts must agree digit for digit (Decimal("400000.00"), not just in value).
        assert ours == theirs and repr(ours) == repr(theirs), (facts, day)


def test_acceptance_china_quality_award(hami: Any) -> None:
    evaluate = compile_evaluator(hami, HAMI)
    result = evaluate({**BASE, "申报资格": ["中国质量奖"]}, dt.date(2026, 6, 1))
    assert result["total"] == Decimal(600000)
    assert [(g["award"], g["amount"], g["cite"]) for g in result["granted"]] == [
        ("china-quality-award", Decimal(600000), "第十一条第（一）项")
    ]
    blacklisted = evaluate({**BASE, "申报资格": ["中国质量奖"], "列入失信名单": True}, dt.date(2026, 6, 1))
    assert blacklisted["total"] == 0 and blacklisted["granted"] == []
    assert blacklisted["refused"][0]["cite"].startswith("第十七条")


def test_missing_facts_are_named_not_false(hami: Any) -> None:
    evaluate = compile_evaluator(hami, HAMI)
    facts = {k: v for k, v in BASE.items() if k != "列入失信名单"}
    with pytest.raises(evalrt.FactsError) as info:
        evaluate({**facts, "申报资格": ["中国质量奖"], "单位类形": "企业"}, dt.date(2026, 6, 1))
    assert info.value.missing == ["列入失信名单"]
    assert info.value.unknown == [("单位类形", "单位类型")]


def test_invalid_fact_values_are_reported(hami: Any) -> None:
    evaluate = compile_evaluator(hami, HAMI)
    with pytest.raises(evalrt.FactsError) as info:
        evaluate({**BASE, "申报资格": ["中国质量将"], "主导制定国家标准数": 1.5}, dt.date(2026, 6, 1))
    invalid = dict(info.value.invalid)
    assert "中国质量奖" in invalid["申报资格"]  # did you mean
    assert "数值" in invalid["主导制定国家标准数"]  # floats are refused: money is never float


def test_generation_is_deterministic(hami: Any) -> None:
    text = HAMI.read_text(encoding="utf-8")
    first = generate(hami, text, "policies/hami-quality-fund/final.yaml")
    second = generate(load_policy(HAMI), text, "policies/hami-quality-fund/final.yaml")
    assert first == second


def test_committed_module_imports_with_only_the_standard_library(tmp_path: Path) -> None:
    module = ROOT / "generated/hami-quality-fund/final.py"
    code = (
        "import importlib.util, sys, datetime\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(module)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('compiler', 'yaml', 'lark', 'jsonschema', 'jinja2')]\n"
        "assert not bad, bad\n"
        "print(m.POLICY, m.DOC_NUMBER)\n"
    )
    # -I: isolated (no site-packages of the user, no PYTHONPATH); -S: no site module at all.
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "哈政办发〔2026〕10号" in out.stdout


# YAML double-quoted scalars: \" is a quote, \\ a backslash, \n a newline, \u2028 a line separator.
HOSTILE_TITLE = r'"x\"\"\"\\n\n' + "'" + r'; import os; os.system(\"echo pwned\") #\u2028print(1)\r"'
HOSTILE_NAME = r'"金奖\"\"\" + __import__(\"os\").getcwd() + \"\\"'  # names are one line (schema)
HOSTILE_REASON = r'"失信\"\"\"\\\n\u2028#{x}"'


def _hostile_policy() -> str:
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    text = text.replace("title: 某市测试专项资金管理办法", "title: " + HOSTILE_TITLE, 1)
    text = text.replace("name: 金奖", "name: " + HOSTILE_NAME)
    return text.replace("reason: 被列入失信名单", "reason: " + HOSTILE_REASON)


def test_hostile_strings_never_break_or_inject_into_generated_code() -> None:
    text = _hostile_policy()
    tree = parse_yaml(text, "hostile.yaml")
    policy = policy_from_tree(tree, "hostile.yaml")
    assert "\n" in policy.meta.title and '"""' in policy.meta.title
    src = generate(policy, text, "hostile.yaml")
    compile(src, "hostile", "exec")
    ns: dict[str, Any] = {}
    exec(compile(src, "hostile", "exec"), ns)
    evaluate = wrap_generated(ns)
    assert ns["TITLE"] == policy.meta.title
    result = evaluate({"在本市": True, "营业收入": "150万元", "申报资格": ["金奖"], "列入失信名单": True},
                      dt.date(2026, 6, 1))
    assert result["refused"][0]["reason"] == policy.exclusions[0].reason
    assert result["refused"][0]["name"] == policy.awards[0].name
    for line in src.splitlines():
        if line.lstrip().startswith("#"):
            assert "\u2028" not in line


def test_mini_policy_semantics(mini: Any) -> None:
    evaluate = compile_evaluator(mini, ROOT / "tests/fixtures/mini.yaml")
    facts = {"在本市": True, "营业收入": "100万元", "申报资格": ["金奖", "银奖"]}
    r = evaluate(facts, dt.date(2026, 6, 1))
    assert [g["award"] for g in r["granted"]] == ["gold-award"]
    assert r["refused"][0]["cite"] == "第五条"  # 就高不就低
    r = evaluate({**facts, "营业收入": "99.99万元", "申报资格": ["银奖"]}, dt.date(2026, 6, 1))
    assert r["refused"][0]["cite"] == "第三条第（二）项"  # 100万元以上 includes 100万元 only
    r = evaluate({**facts, "营业收入": 100, "申报资格": ["银奖"]}, dt.date(2026, 6, 1))
    assert r["total"] == Decimal(100000)
    r = evaluate({**facts, "在本市": False}, dt.date(2026, 6, 1))
    assert {x["cite"] for x in r["refused"]} == {"第二条"}


def test_units_and_functions_agree_between_engines() -> None:
    """Mass converts (吨 × 元/公斤), floor/ceil, date arithmetic and division, on both engines."""
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    text = text.replace("  列入失信名单:\n", "  储量:\n    type: number\n    unit: 吨\n  职工人数:\n    type: number\n"
                        "    unit: 人\n  认定日期:\n    type: date\n    optional: true\n  列入失信名单:\n", 1)
    text = text.replace("amount: 10万元", "amount: 储量 × 0.43元/公斤 + 取整(职工人数 ÷ 50人) × 1万元 + 向上取整(0.2) × 1元")
    text = text.replace("when: 营业收入 100万元以上",
                        "when: 营业收入 100万元以上 且 (认定日期 为空 或 评价日期 >= 认定日期 + 1年)")
    policy = policy_from_tree(parse_yaml(text, "units.yaml"), "units.yaml")
    ns: dict[str, Any] = {}
    exec(compile(generate(policy, text, "units.yaml"), "units", "exec"), ns)
    generated, reference = wrap_generated(ns), Interpreter(policy).evaluate
    facts = {"在本市": True, "营业收入": "120万元", "申报资格": ["银奖"], "储量": "2.5", "职工人数": 149}
    for extra in ({}, {"认定日期": "2025-06-02"}, {"认定日期": "2025-06-01"}):
        a = generated({**facts, **extra}, dt.date(2026, 6, 1))
        assert a == reference({**facts, **extra}, dt.date(2026, 6, 1))
    result = generated(facts, dt.date(2026, 6, 1))
    # 2.5吨 × 0.43元/公斤 = 1075元; floor(149 ÷ 50) = 2 → 2万元; ceil(0.2) = 1 → 1元
    assert result["total"] == Decimal("21076")
    late = generated({**facts, "认定日期": "2025-06-02"}, dt.date(2026, 6, 1))
    assert late["total"] == 0 and late["refused"][0]["cite"] == "第三条第（二）项"


PARAMS_AND_TIERS = """
parameters:
  运费补贴标准:
    unit: 元/吨
    clause: quality.silver
    date: 出疆日期
    values:
      - {from: 2024-01-01, value: 300元/吨}
      - {from: 2024-09-01, value: 200元/吨}
"""


def test_dated_parameters_and_tiers_agree_between_engines() -> None:
    """A rate that changes on a date (出疆棉运费 300→200元/吨 on 2024-09-01, governed by a date
    fact) and a tier table with statutory boundary words, on both engines."""
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    text = text.replace("evaluation:", PARAMS_AND_TIERS.strip() + "\nevaluation:", 1)
    text = text.replace("  列入失信名单:\n", "  出疆数量:\n    type: number\n    unit: 吨\n  出疆日期:\n"
                        "    type: date\n  月平均工资:\n    type: number\n    unit: 元\n  列入失信名单:\n", 1)
    text = text.replace("amount: 20万元", "amount: 运费补贴标准 × 出疆数量")
    text = text.replace("amount: 10万元", "amount:\n                      tiers:\n                        of: 月平均工资\n"
                        "                        bands:\n                          - {range: 2000元以上不满3000元, value: 3000元}\n"
                        "                          - {range: 3000元以上, value: 4000元}\n"
                        "                        otherwise: 0元")
    text = text.replace("group: 奖项", "group: 金奖组", 1)  # both awards may be granted together
    policy = policy_from_tree(parse_yaml(text, "params.yaml"), "params.yaml")
    ns: dict[str, Any] = {}
    exec(compile(generate(policy, text, "params.yaml"), "params", "exec"), ns)
    generated, reference = wrap_generated(ns), Interpreter(policy).evaluate
    base = {"在本市": True, "营业收入": "150万元", "申报资格": ["金奖", "银奖"], "出疆数量": "10",
            "出疆日期": "2024-08-31", "月平均工资": "3000"}
    expected = {
        ("2024-08-31", "3000"): Decimal(3000 + 4000),   # 300元/吨 × 10吨; 3000元以上 includes 3000
        ("2024-09-01", "2999.99"): Decimal(2000 + 3000),  # the new rate from its first day
        ("2024-09-01", "1999"): Decimal(2000),           # below every band: otherwise 0元
    }
    for (day, wage), total in expected.items():
        facts = {**base, "出疆日期": day, "月平均工资": wage}
        a = generated(facts, dt.date(2026, 6, 1))
        assert a == reference(facts, dt.date(2026, 6, 1))
        assert a["total"] == total, (day, wage, a["total"])
    early = {**base, "出疆日期": "2023-12-31"}
    for engine in (generated, reference):
        with pytest.raises(evalrt.EvaluationError) as info:
            engine(early, dt.date(2026, 6, 1))
        assert "尚无适用的值" in info.value.message

    # A tier whose value depends on a fact: an amount that cannot be held to the 分 is an
    # EvaluationError of the tier value, in both engines.
    text = text.replace("otherwise: 0元", "otherwise: 月平均工资 × 2")
    policy = policy_from_tree(parse_yaml(text, "params.yaml"), "params.yaml")
    ns = {}
    exec(compile(generate(policy, text, "params.yaml"), "params", "exec"), ns)
    generated, reference = wrap_generated(ns), Interpreter(policy).evaluate
    low = {**base, "出疆日期": "2024-09-01", "月平均工资": "1999"}
    assert generated(low, dt.date(2026, 6, 1))["total"] == reference(low, dt.date(2026, 6, 1))["total"] == 2000 + 3998
    huge = {**base, "月平均工资": "-1" + "0" * 30}
    for engine in (generated, reference):
        with pytest.raises(evalrt.EvaluationError) as info:
            engine(huge, dt.date(2026, 6, 1))
        assert info.value.message == "「月平均工资 × 2」" + evalrt.OUT_OF_RANGE


def test_dates_beyond_year_9999_are_an_evaluation_error(hami: Any) -> None:
    """弄虚作假认定日期 9999-06-01 + 3年 has no date: an EvaluationError citing 第二十四条 in both
    engines (it used to escape as a ValueError traceback)."""
    generated, reference = compile_evaluator(hami, HAMI), Interpreter(hami).evaluate
    facts = {**BASE, "申报资格": ["中国质量奖"], "弄虚作假认定日期": dt.date(9999, 6, 1)}
    for engine in (generated, reference):
        with pytest.raises(evalrt.EvaluationError) as info:
            engine(facts, dt.date(2026, 6, 1))
        assert info.value.cite == "第二十四条" and evalrt.DATE_RANGE in info.value.message
        assert info.value.rule == "弄虚作假认定日期 不为空 且 评价日期 < 弄虚作假认定日期 + 3年"
    # the day before the limit still computes: 9996-12-31 + 3年 = 9999-12-31
    facts["弄虚作假认定日期"] = dt.date(9996, 12, 31)
    assert generated(facts, dt.date(2026, 6, 1)) == reference(facts, dt.date(2026, 6, 1))


@pytest.mark.parametrize(("fn", "day", "n"), [
    (evalrt.add_years, dt.date(9999, 1, 1), Decimal(1)), (evalrt.add_years, dt.date(1, 1, 1), Decimal(-1)),
    (evalrt.add_months, dt.date(9999, 12, 1), Decimal(1)), (evalrt.add_months, dt.date(1, 1, 31), Decimal(-1)),
    (evalrt.add_days, dt.date(9999, 12, 31), Decimal(1)), (evalrt.add_days, dt.date(1, 1, 1), Decimal(-10**12)),
    (evalrt.add_years, dt.date(2026, 1, 1), Decimal("0.5")), (evalrt.add_days, dt.date(2026, 1, 1), Decimal("1.5")),
])
def test_calendar_arithmetic_without_an_answer_raises_calendar_error(fn: Any, day: dt.date, n: Decimal) -> None:
    with pytest.raises(evalrt.CalendarError):
        fn(day, n)


def test_rules_scoped_to_some_awards_agree_between_engines() -> None:
    """`applies_to` (gap G1): an eligibility rule and an exclusion that concern only the 银奖."""
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    text = text.replace("            reason: 不是本市企业", "            reason: 不是本市企业\n"
                        "          - id: silver-revenue\n            when: 营业收入 50万元以上\n"
                        "            reason: 营业收入不足\n            applies_to: [silver-award]", 1)
    text = text.replace("            reason: 被列入失信名单", "            reason: 被列入失信名单\n"
                        "          - id: silver-ban\n            when: 营业收入 500万元以上\n"
                        "            reason: 大型企业不申报银奖\n            applies_to: [silver-award]", 1)
    text = text.replace("group: 奖项", "group: 金奖组", 1)
    policy = policy_from_tree(parse_yaml(text, "scoped.yaml"), "scoped.yaml")
    ns: dict[str, Any] = {}
    exec(compile(generate(policy, text, "scoped.yaml"), "scoped", "exec"), ns)
    generated, reference = wrap_generated(ns), Interpreter(policy).evaluate
    day = dt.date(2026, 6, 1)

    def run(revenue: str, blacklisted: bool = False, claims: tuple[str, ...] = ("金奖", "银奖")) -> dict[str, Any]:
        facts = {"在本市": True, "营业收入": revenue, "申报资格": list(claims), "列入失信名单": blacklisted}
        for trace in (True, False):
            assert generated(facts, day, trace=trace) == reference(facts, day, trace=trace)
        return generated(facts, day)

    def outcome(r: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
        return [g["award"] for g in r["granted"]], {x["award"]: x["rule"] for x in r["refused"]}

    assert outcome(run("40万元")) == (["gold-award"], {"silver-award": "silver-revenue"})
    assert outcome(run("600万元")) == (["gold-award"], {"silver-award": "silver-ban"})
    assert outcome(run("120万元")) == (["gold-award", "silver-award"], {})
    # a global exclusion still refuses both, and comes first for the 银奖 too
    assert outcome(run("600万元", blacklisted=True)) == ([], {"gold-award": "blacklisted", "silver-award": "blacklisted"})
    # a scoped rule is not even evaluated when its award is not claimed
    r = run("40万元", claims=("金奖",))
    assert "silver-revenue" not in {s["rule"] for s in r["trace"]}


def test_applies_to_must_name_existing_awards() -> None:
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    text = text.replace("            reason: 被列入失信名单", "            reason: 被列入失信名单\n"
                        "            applies_to: [silver-awrd]", 1)
    with pytest.raises(PolicyError) as info:
        policy_from_tree(parse_yaml(text, "scoped.yaml"), "scoped.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "E305" and d.hint == "你是不是想写「silver-award」？" and d.span is not None
    assert text.splitlines()[d.span.line - 1].strip().startswith("applies_to:")


def test_ill_typed_inputs_never_crash_and_both_engines_agree(hami: Any) -> None:
    """Facts of every wrong type (floats, strings with units, nested lists, sets, None …): only
    FactsError/EvaluationError escape, and the generated fast path agrees with the interpreter."""
    generated, reference = compile_evaluator(hami, HAMI), Interpreter(hami).evaluate
    rng = random.Random(7)
    names = [*hami.facts, "未知事实"]
    values: list[Any] = [True, False, 0, 1, -1, 1.5, "是", "否", "", "20万元", "3项", "abc", None, [],
                         ["中国质量奖"], ["x"], [[1]], {"a": 1}, Decimal("2.5"), dt.date(2025, 1, 1),
                         "2026-02-30", "2026年3月1日", "企业", "其他", ("中国质量奖",), {"中国质量奖"},
                         dt.date(9999, 12, 31), dt.date(1, 1, 1), 10**30, Decimal("1E+30"), "9999-06-01"]

    def outcome(engine: Any, facts: dict[str, Any]) -> tuple[Any, ...]:
        try:
            return ("ok", engine(facts, dt.date(2026, 6, 1)))
        except evalrt.FactsError as exc:
            return ("facts", sorted(exc.missing), sorted(n for n, _ in exc.invalid), sorted(n for n, _ in exc.unknown))
        except evalrt.EvaluationError as exc:
            return ("evaluation", exc.cite)

    for _ in range(600):
        facts = dict(BASE)
        for _ in range(rng.randint(1, 4)):
            facts[rng.choice(names)] = rng.choice(values)
        assert outcome(generated, facts) == outcome(reference, facts), facts


@pytest.mark.parametrize("count", [0, 1, 7, -3, 10**20 - 1, 10**20, 10**21, 10**23, 10**30,
                                   Decimal("2"), Decimal("1.5"), Decimal("0.333"), "3项"])
def test_per_unit_amounts_are_exact_and_out_of_range_is_an_error(hami: Any, count: Any) -> None:
    """20万元 × 主导制定国家标准数: the generated fast path (price in 分 × a whole count) gives the
    interpreter's amount digit for digit up to its limit and falls back beyond it; an amount
    that cannot be held to the 分 is an EvaluationError citing the clause in both engines."""
    generated, reference = compile_evaluator(hami, HAMI), Interpreter(hami).evaluate
    facts = {**BASE, "申报资格": [], "主导制定国家标准数": count}

    def outcome(engine: Any) -> tuple[str, str]:
        try:
            result = engine(facts, dt.date(2026, 6, 1))
        except evalrt.EvaluationError as exc:
            return ("error", str(exc))
        except evalrt.FactsError as exc:  # outside the fact's domain: whole numbers ≥ 0
            return ("facts", str(exc))
        return ("ok", repr(result))

    ours, theirs = outcome(generated), outcome(reference)
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] in ("ok", "facts"):
        assert ours == theirs
    else:
        assert "第十三条第一款第（一）项" in ours[1] and evalrt.OUT_OF_RANGE in ours[1]
        assert "第十三条第一款第（一）项" in theirs[1] and evalrt.OUT_OF_RANGE in theirs[1]
    if count in (10**23, 10**30):
        assert ours[0] == "error"
    if count in (1, 10**20):
        assert ours[0] == "ok"
    if count in (-3, Decimal("1.5"), Decimal("0.333")):
        assert ours[0] == "facts"


def test_claims_of_values_no_award_claims_agree_between_engines() -> None:
    """A claims fact with its own value list may admit a value that no award claims (铜奖): it
    claims nothing, in both engines, and never crashes the generated lookup."""
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    old = "  申报资格:\n    type: set\n    values: qualifications\n"
    assert old in text
    text = text.replace(old, "  申报资格:\n    type: set\n    values: [金奖, 银奖, 铜奖]\n", 1)
    policy = policy_from_tree(parse_yaml(text, "claims.yaml"), "claims.yaml")
    ns: dict[str, Any] = {}
    exec(compile(generate(policy, text, "claims.yaml"), "claims", "exec"), ns)
    generated, reference = wrap_generated(ns), Interpreter(policy).evaluate
    day = dt.date(2026, 6, 1)
    for claims in (["铜奖"], ["铜奖", "银奖"], ["银奖", "金奖", "铜奖", "银奖"], []):
        facts = {"在本市": True, "营业收入": "120万元", "申报资格": claims, "列入失信名单": False}
        ours, theirs = generated(facts, day), reference(facts, day)
        assert ours == theirs, claims
        claimed = {s["rule"] for s in ours["trace"] if s["kind"] == "claim"}
        expected = {award for award, q in (("gold-award", "金奖"), ("silver-award", "银奖")) if q in claims}
        assert claimed == (expected or {""}), (claims, claimed)  # "": 未申报任何奖励事项
