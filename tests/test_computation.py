"""Computing policies: records, computed values, tables, regional parameters; the outpatient
实施办法 end to end through the CLI, its README example, hostile inputs, and both engines
agreeing on random years of visits."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.evaluate.computation_command import compile_settle, interpreter_settle, result_text
from compiler.model.load import load_policy, policy_from_tree
from compiler.runtime import core
from compiler.source.diagnostics import PolicyError
from compiler.source.yamlsrc import parse_yaml

POLICY = ROOT / "policies/xj-outpatient-mutual-aid/final.yaml"
REGION = ROOT / "policies/xj-outpatient-mutual-aid/regions/example.yaml"
EXAMPLE = ROOT / "examples/outpatient-year.facts.yaml"


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=cwd)


@pytest.fixture(scope="module")
def engines() -> tuple[Any, Any]:
    policy = load_policy(POLICY)
    return compile_settle(policy, POLICY), interpreter_settle(policy)


def test_readme_example_is_what_the_evaluator_prints() -> None:
    out = _run("eval", str(POLICY.relative_to(ROOT)), str(EXAMPLE.relative_to(ROOT)))
    assert out.returncode == 0, out.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("### A computing policy: a year of outpatient visits", 1)[1].split("```\n", 3)[2]
    shown = [line for line in block.splitlines() if line.strip() and line.strip() != "…"]
    printed = out.stdout.splitlines()
    for line in shown:
        assert line in printed, line
    # The hand calculation of the README: (1000 − 600 × 10%) × 70% and (2000 − 800 × 5%) × 60%.
    assert (Decimal(1000) - Decimal(600) * Decimal("0.10")) * Decimal("0.70") == Decimal(658)
    assert (Decimal(2000) - Decimal(800) * Decimal("0.05")) * Decimal("0.60") == Decimal(1176)
    assert "总计：1834元" in printed


def test_json_result_is_versioned_and_carries_the_notice() -> None:
    out = _run("eval", str(POLICY), str(EXAMPLE), "--format", "json")
    result = json.loads(out.stdout)
    assert result["format"] == "policyc-computation/1"
    assert result["notice"] == "示例数据，非官方"
    visits = result["records"]["就诊"]
    assert [v["payments"]["本次普通门诊统筹支付"] for v in visits] == ["658", "1176", "0"]
    assert visits[2]["refused"][0]["cite"] == "第十四条第一款"
    assert all({"clause", "cite", "step", "detail", "value", "unit"} <= set(t) for t in visits[0]["trace"])


def test_both_engines_print_the_same(tmp_path: Path) -> None:
    a = _run("eval", str(POLICY), str(EXAMPLE), "--format", "json")
    b = _run("eval", str(POLICY), str(EXAMPLE), "--format", "json", "--engine", "interpreter")
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout


def _input(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_region_names_the_values_needed(tmp_path: Path) -> None:
    path = _input(tmp_path, "as_of: 2024-12-31\nfacts: {}\nrecords:\n  就诊:\n"
                            "    - {就诊日期: 2024-05-10, 就诊方式: 定点医疗机构门诊, 医疗机构级别: 二级, 政策范围内费用: 1000元}\n")
    out = _run("eval", str(POLICY), str(path))
    assert out.returncode == 1
    assert "E406" in out.stderr and "首次住院起付线" in out.stderr and "--region" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize(("record", "words"), [
    ("{就诊日期: 2024-05-10, 就诊方式: 定点医疗机构门诊, 医疗机构级别: 二级, 政策范围内费用: -5元}", "政策范围内费用"),
    ("{就诊日期: 2024-05-10, 就诊方式: 定点医疗机构门诊, 医疗机构级别: 四级, 政策范围内费用: 5元}", "医疗机构级别"),
    ("{就诊日期: 2030-01-01, 就诊方式: 定点医疗机构门诊, 医疗机构级别: 二级, 政策范围内费用: 5元}", "施行期间"),
    ("{就诊日期: 2024-05-10, 就诊方式: 定点医疗机构门诊, 医疗机构级别: 二级, 政策范围内费用: 很多}", "政策范围内费用"),
])
def test_bad_records_are_located_in_the_input(tmp_path: Path, record: str, words: str) -> None:
    path = _input(tmp_path, f"as_of: 2024-12-31\nregion: {REGION}\nfacts: {{}}\nrecords:\n  就诊:\n    - {record}\n")
    out = _run("eval", str(POLICY), str(path))
    assert out.returncode == 1, out.stdout
    assert "in.yaml:6:" in out.stderr and words in out.stderr and "E405" in out.stderr
    assert "Traceback" not in out.stderr


def test_bad_region_file_is_located(tmp_path: Path) -> None:
    region = tmp_path / "region.yaml"
    region.write_text(REGION.read_text(encoding="utf-8").replace("二级: 600元", "二级: 六百元"), encoding="utf-8")
    path = _input(tmp_path, "as_of: 2024-12-31\nfacts: {}\nrecords:\n  就诊:\n"
                            "    - {就诊日期: 2024-05-10, 就诊方式: 定点医疗机构门诊, 医疗机构级别: 二级, 政策范围内费用: 1000元}\n")
    out = _run("eval", str(POLICY), str(path), "--region", str(region))
    assert out.returncode == 1
    assert "region.yaml:" in out.stderr and "首次住院起付线" in out.stderr and "Traceback" not in out.stderr


def test_region_file_is_schema_checked(tmp_path: Path) -> None:
    region = tmp_path / "region.yaml"
    region.write_text("format: policyc-region/1\npolicy: x\nregion: y\nparameters:\n  首次住院起付线: {value: 1元}\n",
                      encoding="utf-8")
    out = _run("eval", str(POLICY), str(EXAMPLE), "--region", str(region))
    assert out.returncode == 1 and "source" in out.stderr and "Traceback" not in out.stderr


def _policy_with(text: str, replace: str) -> str:
    source = POLICY.read_text(encoding="utf-8")
    assert text in source
    return source.replace(text, replace, 1)


def _check(source: str) -> PolicyError:
    with pytest.raises(PolicyError) as exc:
        policy_from_tree(parse_yaml(source, "p.yaml"), "p.yaml")
    return exc.value


def test_a_value_reading_itself_is_reported() -> None:
    err = _check(_policy_with("value: 首次住院起付线 × 普通门诊起付比例", "value: 首次住院起付线 × 普通门诊起付比例 + 普通门诊起付标准"))
    assert any(d.code == "E313" and "自己" in d.message for d in err.diagnostics)


def test_a_table_must_cover_its_key() -> None:
    err = _check(_policy_with("table: {一级: 80%, 二级: 70%, 三级: 60%}", "table: {一级: 80%, 二级: 70%}"))
    assert any("缺少" in d.message and "三级" in d.message for d in err.diagnostics)


def test_a_payment_must_be_money() -> None:
    err = _check(_policy_with("value: max(min(日间手术按比例应付, 共用年度剩余限额), 0元)", "value: 普通门诊支付比例"))
    assert any("应为金额" in d.message and "本次日间手术统筹支付" in d.message for d in err.diagnostics)


def test_overlapping_bands_in_a_computed_tier_are_reported() -> None:
    source = POLICY.read_text(encoding="utf-8")
    old = next(line for line in source.splitlines() if "name: 普通门诊起付比例" in line)
    indent = old[: len(old) - len(old.lstrip())]
    new = (f"{indent}- name: 普通门诊起付比例\n{indent}  tiers:\n{indent}    of: 本年度此前普通门诊就诊次数\n"
           f"{indent}    bands:\n{indent}      - {{range: 1次以下, value: 10%}}\n{indent}      - {{range: 1次以上, value: 5%}}")
    lines = source.splitlines()
    i = lines.index(old)
    lines[i:i + 2] = new.splitlines()
    err = _check("\n".join(lines) + "\n")
    assert any(d.code == "E307" and "重叠" in d.message for d in err.diagnostics)


_LEVELS = ["一级", "二级", "三级", "未定级"]
_WAYS = ["定点医疗机构门诊", "定点零售药店外配处方", "非定点医药机构"]


@st.composite
def _years(draw: st.DrawFn) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    n = draw(st.integers(min_value=0, max_value=12))
    days = sorted(draw(st.lists(st.integers(min_value=0, max_value=600), min_size=n, max_size=n)))
    visits = []
    for day in days:
        visits.append({
            "就诊日期": dt.date(2024, 5, 1) + dt.timedelta(days=day),
            "就诊类别": draw(st.sampled_from(["普通门诊", "普通门诊", "日间手术"])),
            "就诊方式": draw(st.sampled_from(_WAYS)),
            "医疗机构级别": draw(st.sampled_from(_LEVELS)),
            "急诊抢救": draw(st.booleans()),
            "住院期间": draw(st.booleans()),
            "政策范围内费用": Decimal(draw(st.integers(min_value=0, max_value=2_000_000))) / 100,
        })
    facts = {"符合条件的退休人员": draw(st.booleans()),
             "本年度共用限额此前已支付": Decimal(draw(st.integers(min_value=0, max_value=160_000)))}
    return facts, visits


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_years())
def test_engines_agree_and_respect_the_caps(engines: tuple[Any, Any], year: tuple[dict[str, Any], list[Any]]) -> None:
    generated, reference = engines
    facts, visits = year
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    a = generated(facts, {"就诊": visits}, region, dt.date(2025, 12, 31))
    b = reference(facts, {"就诊": visits}, region, dt.date(2025, 12, 31))
    assert a == b
    c = generated(facts, {"就诊": visits}, region, dt.date(2025, 12, 31), trace=False)
    # Trace off runs the generated record loop: everything but the trace is the same.
    assert c["payments"] == a["payments"] and c["total"] == a["total"]
    assert [{**r, "trace": []} for r in c["records"]["就诊"]] == [{**r, "trace": []} for r in a["records"]["就诊"]]
    by_year: dict[int, Decimal] = {}
    for visit, row in zip(visits, a["records"]["就诊"], strict=True):
        paid = Decimal(row["payments"]["本次普通门诊统筹支付"])
        assert paid >= 0 and paid == paid.quantize(Decimal("0.01"))
        assert paid <= 1300 and paid <= visit["政策范围内费用"]
        by_year[visit["就诊日期"].year] = by_year.get(visit["就诊日期"].year, Decimal(0)) + paid
    assert all(total <= 4000 for total in by_year.values())


def test_trace_text_has_no_internal_names(engines: tuple[Any, Any]) -> None:
    generated, _ = engines
    result = generated({}, yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))["records"],
                       yaml.safe_load(REGION.read_text(encoding="utf-8")), dt.date(2024, 12, 31))
    text = result_text("t", None, result)
    for internal in ("a14", "p2", "None", "Decimal", "_v"):
        assert internal not in text


def test_records_error_fields() -> None:
    exc = core.RecordsError("就诊", 2, "就诊日期", "x")
    assert exc.index == 2 and str(exc).startswith("第 3 条「就诊」记录")


def test_measures_are_cited_as_the_document_numbers_them() -> None:
    from compiler.lang.numbering import cite_measure

    assert cite_measure(6, None, 1) == "六（一）"
    assert cite_measure(13, 2) == "十三第二段"
    policy = load_policy(ROOT / "policies/xj-cotton-textile/final.yaml")
    cites = [c.cite for c in policy.clauses.values()]
    assert "六（一）" in cites and not any("条" in c for c in cites)


def test_a_changed_region_is_read_again(engines: tuple[Any, Any]) -> None:
    generated, _ = engines
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    records = {"就诊": [{"就诊日期": dt.date(2024, 5, 10), "就诊方式": "定点医疗机构门诊", "医疗机构级别": "二级",
                        "政策范围内费用": Decimal(1000)}]}
    assert generated({}, records, region, dt.date(2024, 12, 31))["total"] == "658"
    region["parameters"]["首次住院起付线"]["values"]["二级"] = "800元"  # the same dict, changed
    assert generated({}, records, region, dt.date(2024, 12, 31))["total"] == "644"


def test_readme_cotton_example_is_what_the_evaluator_prints() -> None:
    out = _run("eval", "policies/xj-cotton-textile/final.yaml", "examples/cotton-company.facts.yaml")
    assert out.returncode == 0, out.stderr
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("examples/cotton-company.facts.yaml\n```\n\n```\n", 1)[1].split("```", 1)[0]
    printed = out.stdout.splitlines()
    for line in block.splitlines():
        assert line in printed, line
    assert 100 * 300 + 100 * 200 + 50 * 640 + 10 * 4000 == 122000


@pytest.mark.parametrize("cases", ["xj-outpatient-mutual-aid", "xj-cotton-textile"])
def test_the_generated_record_loops_compute_the_cases(cases: str) -> None:
    """With the trace off, every case that computes is computed by the generated record loops
    (on its records as read), not by the steps one by one: otherwise the differential tests of
    the cases would not test the loops at all. Cases that must fail are the steps' to explain."""
    from compiler.evaluate import computation_cases
    from compiler.evaluate.codegen_computation import generate_computation
    from compiler.evaluate.precompiled import compile_module

    policy_path, loaded = computation_cases.load(ROOT / f"policies/{cases}/final.cases.yaml")
    policy = load_policy(policy_path)
    module = compile_module(generate_computation(policy, policy_path.read_text(encoding="utf-8"), "p.yaml"),
                            "<loops>", "policyc_loops_test")  # the module's namespace
    calls: list[bool] = []
    settle = module["_settle"]

    def watched(*args: Any, fast: bool, as_given: bool = False) -> Any:
        result = settle(*args, fast=fast, as_given=as_given)
        calls.append(fast)
        return result

    module["_settle"] = watched
    computed = 0
    for case in loaded:
        if "error" in case.expect:
            continue
        calls.clear()
        module["evaluate"](case.facts, case.records, case.region, case.as_of, trace=False)
        assert calls == [True], case.name
        computed += 1
    assert computed >= 30
    # Records given as the loops take them (Decimal, date) are taken as given, without reading.
    facts, visits = {}, [{"就诊日期": dt.date(2025, 3, 1), "就诊方式": "定点医疗机构门诊", "医疗机构级别": "一级",
                          "政策范围内费用": Decimal("100.00")}]  # fmt: skip
    if cases == "xj-outpatient-mutual-aid":
        region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
        module["_settle"] = lambda *a, fast, as_given=False: (calls.append(as_given), settle(*a, fast=fast,
                                                                                         as_given=as_given))[1]
        calls.clear()
        module["evaluate"](facts, {"就诊": visits}, region, dt.date(2025, 12, 31), trace=False)
        assert calls == [True]


def test_a_fault_in_the_record_loop_is_an_internal_error() -> None:
    """A loop that raises where the steps one by one compute is a fault of the generated code: an
    internal error, never a result of the steps passed off as the loop's, nor a policy error."""
    from compiler.evaluate.codegen_computation import generate_computation
    from compiler.evaluate.precompiled import compile_module

    policy = load_policy(POLICY)
    module = compile_module(generate_computation(policy, POLICY.read_text(encoding="utf-8"), "p.yaml"),
                            "<faulty>", "policyc_faulty_test")

    def faulty(run: Any, rows: Any, env: Any) -> Any:
        return Decimal(1) / 0  # decimal.DivisionByZero, an ArithmeticError

    module["PLAN"].records["就诊"].kernel = faulty
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    visits = [{"就诊日期": dt.date(2025, 3, 1), "就诊方式": "定点医疗机构门诊", "医疗机构级别": "一级",
               "政策范围内费用": Decimal("100.00")}]  # fmt: skip
    with pytest.raises(RuntimeError, match="生成的记录循环出错"):
        module["evaluate"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31), trace=False)
    assert module["evaluate"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31))["total"] == "48"  # (100 − 40) × 80%


def test_a_kind_whose_fields_the_loop_cannot_take_has_no_loop() -> None:
    """A set field is always converted (`_as_given` never takes one), so a loop could never take
    such records: the kind gets no generated loop and runs through the steps one by one."""
    from compiler.evaluate.codegen_computation import generate_computation
    from compiler.evaluate.precompiled import compile_module

    source = _policy_with("      就诊类别:\n", "      附加标记:\n        type: set\n        values: [甲, 乙]\n"
                          "        optional: true\n        label: 附加标记\n        clause: a14.p1\n      就诊类别:\n")
    policy = policy_from_tree(parse_yaml(source, "p.yaml"), "p.yaml")
    module = compile_module(generate_computation(policy, source, "p.yaml"), "<set field>", "policyc_set_field_test")
    assert module["PLAN"].records["就诊"].kernel is None
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    visits = [{"就诊日期": dt.date(2025, 3, 1), "就诊方式": "定点医疗机构门诊", "医疗机构级别": "一级",
               "政策范围内费用": Decimal("100.00"), "附加标记": ["甲"]}]  # fmt: skip
    quick = module["evaluate"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31), trace=False)
    assert quick["total"] == "48"
    assert module["evaluate_amounts"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31)).total == Decimal(48)


def test_the_record_loop_takes_only_the_fields_it_knows() -> None:
    """The loop counts the fields it knows off each record's size: a record with a key the policy
    does not know is declined (the steps name the key), a known optional field given as empty is
    taken as empty, and one left out as its default."""
    from compiler.evaluate.codegen_computation import generate_computation
    from compiler.evaluate.precompiled import compile_module

    policy = load_policy(POLICY)
    module = compile_module(generate_computation(policy, POLICY.read_text(encoding="utf-8"), "p.yaml"),
                            "<fields>", "policyc_fields_test")
    kind = module["PLAN"].records["就诊"]
    loop, made = kind.kernel, []

    def watched(run: Any, rows: Any, env: Any) -> Any:
        result = loop(run, rows, env)
        made.append(result is not None)
        return result

    kind.kernel = watched
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    base = {"就诊日期": dt.date(2025, 3, 1), "就诊方式": "定点医疗机构门诊", "医疗机构级别": "一级",
            "政策范围内费用": Decimal("100.00")}  # fmt: skip
    every = {**base, "就诊类别": "普通门诊", "依托实体医疗机构级别": None, "急诊抢救": False, "住院期间": False,
             "门诊慢特病限额内费用": Decimal(0)}  # fmt: skip
    for visits in ([base], [every], [base, every]):
        made.clear()
        quick = module["evaluate"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31), trace=False)
        traced = module["evaluate"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31))
        assert made == [True] and quick["payments"] == traced["payments"]
    for unknown in ({**base, "备注": "x"}, {**every, "备注": "x"}):
        made.clear()
        with pytest.raises(module["RecordsError"], match="备注") as quick_error:
            module["evaluate"]({}, {"就诊": [base, unknown]}, region, dt.date(2025, 12, 31), trace=False)
        with pytest.raises(module["RecordsError"]) as traced_error:
            module["evaluate"]({}, {"就诊": [base, unknown]}, region, dt.date(2025, 12, 31))
        assert made[0] is False and str(quick_error.value) == str(traced_error.value)


def test_a_region_file_read_once_settles_as_its_content(engines: tuple[Any, Any]) -> None:
    """A roster reads its region file once (`read_region_file`) and passes the Region to every
    settlement: the same results as the file's content; a Region read for another policy, or a
    region file with a value missing, is a RegionError, never a result."""
    from compiler.evaluate.codegen_computation import generate_computation
    from compiler.evaluate.precompiled import compile_module

    policy = load_policy(POLICY)
    module = compile_module(generate_computation(policy, POLICY.read_text(encoding="utf-8"), "p.yaml"),
                            "<region>", "policyc_region_test")
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    read = module["read_region_file"](region)
    visits = [{"就诊日期": dt.date(2025, 3, 1), "就诊方式": "定点医疗机构门诊", "医疗机构级别": "二级",
               "政策范围内费用": Decimal(1000)}, {"就诊日期": dt.date(2025, 4, 1), "就诊方式": "定点医疗机构门诊",
               "医疗机构级别": "三级", "政策范围内费用": Decimal(3000), "就诊类别": "日间手术"}]  # fmt: skip
    for trace in (True, False):
        assert module["evaluate"]({}, {"就诊": visits}, read, dt.date(2025, 12, 31), trace=trace) == \
            module["evaluate"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31), trace=trace)
    assert module["evaluate_amounts"]({}, {"就诊": visits}, read, dt.date(2025, 12, 31)).total == \
        Decimal(module["evaluate"]({}, {"就诊": visits}, region, dt.date(2025, 12, 31))["total"])
    other = compile_module(generate_computation(policy, POLICY.read_text(encoding="utf-8"), "p.yaml"),
                           "<other>", "policyc_region_other_test")
    with pytest.raises(module["RegionError"], match="read_region_file"):
        module["evaluate_amounts"]({}, {"就诊": visits}, other["read_region_file"](region), dt.date(2025, 12, 31))
    foreign = module["Region"](other["PLAN"], {}, {}, None)  # this module's kind of Region, another plan
    with pytest.raises(module["RegionError"], match="另一办法"):
        module["evaluate_amounts"]({}, {"就诊": visits}, foreign, dt.date(2025, 12, 31))
    del region["parameters"]["首次住院起付线"]
    with pytest.raises(module["RegionError"], match="首次住院起付线"):
        module["read_region_file"](region)
