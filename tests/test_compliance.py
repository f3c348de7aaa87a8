"""The compliance regime of the Hami grain reserve: the format (obligations, graded sanctions,
violation items, payments, the inspection section), its checks, the one procedure both engines
run, `policyc eval` on inspection records (results and located input errors) and the 检查表."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from compiler.documents import checklist
from compiler.evaluate.codegen import runtime_source
from compiler.evaluate.codegen_compliance import generate_compliance
from compiler.evaluate.compliance_cases import ComplianceCase, check, load, outcome
from compiler.evaluate.compliance_command import compile_inspect, interpreter_inspect, wrap_inspect
from compiler.model.load import load_policy, policy_from_tree
from compiler.runtime import compliance
from compiler.source.diagnostics import PolicyError
from compiler.source.yamlsrc import parse_yaml

POLICY = ROOT / "policies/hami-grain-reserve/final.yaml"
CASES = ROOT / "policies/hami-grain-reserve/final.cases.yaml"
EXAMPLE = ROOT / "examples/grain-inspection.facts.yaml"


@pytest.fixture(scope="module")
def grain() -> Any:
    return load_policy(POLICY)


@pytest.fixture(scope="module")
def cases() -> list[ComplianceCase]:
    return load(CASES)[1]


def _policyc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compiler", *args], capture_output=True, text=True, cwd=ROOT)


def test_meta_and_coverage(grain: Any) -> None:
    m = grain.meta
    assert (m.published, m.effective_date, m.valid_until) == (dt.date(2026, 4, 20), dt.date(2026, 5, 21), None)
    assert m.repeals == (("哈政办规〔2022〕4号", "哈密市市级成品粮油储备管理办法"),)
    assert m.document_kind == "reserve-management"
    out = _policyc("validate", "--coverage", str(POLICY))
    assert out.returncode == 0 and "未标明" not in out.stdout, out.stdout + out.stderr
    out = _policyc("check-source", str(POLICY))
    assert out.returncode == 0 and "与源文件一致" in out.stdout, out.stdout + out.stderr


def test_every_violation_item_and_every_duty_is_linked(grain: Any) -> None:
    c = grain.compliance
    assert [v.cite for v in c.violations.values()] == [f"第二十九条第（{n}）项" for n in "一二三四五六七八"]
    (measures,) = c.measures
    assert measures.rectify and measures.serious == "情节严重" and set(measures.serious_only) == {"disqualify", "recover"}
    linked = {o.breach for o in c.obligations if o.breach}
    assert linked == {f"a29.i{n}" for n in range(1, 8)}  # （八） is the catch-all no duty names


def _mutated(text: str, old: str, new: str) -> Exception:
    assert old in text
    with pytest.raises(PolicyError) as info:
        policy_from_tree(parse_yaml(text.replace(old, new, 1), "final.yaml"), "final.yaml")
    return info.value


def test_checks_of_the_format() -> None:
    text = POLICY.read_text(encoding="utf-8")
    exc = _mutated(text, "breach: a29.i1\n", "breach: a29.p1\n")
    assert "不是罚则所列的违规情形" in str(exc)
    exc = _mutated(text, "requires: 保管账数量 == 实际库存量", "requires: 保管账数量 == 数量")
    assert "是「储备批次」记录的字段" in str(exc) and "per: 储备批次" in str(exc.diagnostics[0].hint)
    exc = _mutated(text, "inspection:\n  holder: 承储企业名称\n", "x-inspection:\n  holder: 承储企业名称\n")
    assert exc.diagnostics  # schema: an unknown top-level key
    exc = _mutated(text, "per: 动用\n            check: 动用后", "per: 动用记录\n            check: 动用后")
    assert "记录类型「动用记录」未声明" in str(exc)
    exc = _mutated(text, "serious: 情节严重", "serious: 承储企业名称")
    assert "应为一个是/否事实" in str(exc)


def test_the_procedure_is_defined_once(grain: Any) -> None:
    """The generated module carries the runtime's own text; neither engine writes a reason."""
    source = generate_compliance(grain, POLICY.read_text(encoding="utf-8"), "final.yaml")
    assert runtime_source(compliance) in source
    for module in ("interpret_compliance.py", "codegen_compliance.py"):
        text = (ROOT / "compiler/evaluate" / module).read_text(encoding="utf-8")
        for phrase in ("责令限期改正", "无正当理由", "不在本办法施行期间", "符合"):
            assert phrase not in text, (module, phrase)


def test_a_message_changed_in_the_generated_copy_fails_the_differential_check(grain: Any,
                                                                              cases: list[ComplianceCase]) -> None:
    source = generate_compliance(grain, POLICY.read_text(encoding="utf-8"), "final.yaml")
    drifted: dict[str, Any] = {}
    exec(compile(source.replace("无正当理由的，属于", "没有正当理由的，属于"), "drifted", "exec"), drifted)
    case = next(c for c in cases if c.name == "库存低于90%一吨")
    reference = interpreter_inspect(grain)
    assert check(case, compile_inspect(grain, POLICY), reference).ok
    result = check(case, wrap_inspect(drifted), reference)
    assert "生成的求值器与参考解释器结果不一致（差异测试失败）" in result.failures


def test_results_in_full(grain: Any, cases: list[ComplianceCase]) -> None:
    case = next(c for c in cases if c.name == "情节严重的，取消承储资格并追回补贴")
    kind, result = outcome(interpreter_inspect(grain), case)
    assert kind == "ok" and not result["conforms"]
    (v,) = result["violations"]
    assert (v["cite"], v["breach"]["cite"], v["measures"]) == (
        "第十条", "第二十九条第（一）项", "情节严重：责令限期改正，取消承储资格，追回财政补贴资金")
    (f,) = result["findings"]
    assert f["measures"].startswith("无正当理由的，属于第二十九条第（一）项所列情形：")
    (s,) = result["sanctions"]
    assert s["by"] == ["市发展改革委", "市财政局"] and s["items"] == ["第二十九条第（一）项"]
    assert len(s["liabilities"]) == 2
    assert result["payments"] == {"动用价差及相关费用": "43600", "管理费补贴": "107500", "贷款利息补贴": "12000"}


def test_eval_text_and_json_both_engines() -> None:
    outs = [_policyc("eval", "--engine", e, "--format", "json", str(POLICY), str(EXAMPLE)) for e in
            ("generated", "interpreter")]
    assert all(o.returncode == 0 for o in outs), [o.stderr for o in outs]
    assert outs[0].stdout == outs[1].stdout and '"policyc-compliance/1"' in outs[0].stdout
    text = _policyc("eval", str(POLICY), str(EXAMPLE))
    assert text.returncode == 0
    assert "发现 3 项违反本办法的情形" in text.stdout and "第二十九条第（一）项" in text.stdout
    assert "管理费补贴 102125元（第二十七条）" in text.stdout


@pytest.mark.parametrize(("old", "new", "where", "words"), [
    ("实际库存量: 880吨", "实际库存量: -5吨", "实际库存量: -5吨", "不能小于0吨"),
    ("      采购日期: 2026-09-20\n", "      采购日期: 2026-09-20\n      出库日期: 2026-09-01\n", "出库日期: 2026-09-01",
     "第 2 条「储备批次」记录：出库日期早于采购日期"),
    ("品种: 大米", "品种: 面条", "品种: 面条", "「面条」无效"),
    ("季度贷款利息: 18250元", "季度贷款利息: -1元", "季度贷款利息: -1元", "不能小于0元"),
])
def test_bad_inspection_records_are_located(tmp_path: Path, old: str, new: str, where: str, words: str) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.facts.yaml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    out = _policyc("eval", str(POLICY), str(bad))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    line = next(i for i, s in enumerate(bad.read_text(encoding="utf-8").splitlines(), 1) if where in s)
    assert re.search(rf"bad\.facts\.yaml:{line}:\d+: 错误\[E40[25]\]", out.stderr), out.stderr
    assert words in out.stderr


def test_an_inspection_before_the_text_is_in_force_is_refused() -> None:
    out = _policyc("eval", str(POLICY), str(EXAMPLE), "--as-of", "2026-05-20")
    assert out.returncode == 1 and "E407" in out.stderr and "2026年5月21日起" in out.stderr
    assert "第三十一条" in out.stderr


def test_the_checklist_cites_an_article_on_every_line(grain: Any) -> None:
    cl = checklist.derive(grain)
    rows = [r for s in cl.sections for r in s.rows]
    assert len(rows) == len(grain.compliance.obligations)
    assert all(re.fullmatch(r"第[一二三四五六七八九十]+条(第[（(].+[）)][项款]|第[一二三四五六七八九十]+款)?", r.cite)
               for r in rows)
    assert {r.breach for r in rows} >= {"第二十九条（一）", "第二十九条（二）", "—"}
    md = checklist.render_markdown(cl)
    page = checklist.render_html(cl)
    for published in (md, page):
        for internal in ("a29", ".yaml", "books-match", "policyc", "×"[:0] + "评价日期", "requires"):
            assert internal not in published, internal
    assert "□符合" in page and "第二十九条：承储企业违反本办法规定" in md


def test_the_checklist_is_built_and_deterministic(grain: Any) -> None:
    out = checklist.build_outputs(ROOT, [(POLICY, grain)])
    assert set(out) == {f"hami-grain-reserve/final.checklist.{ext}" for ext in ("md", "html", "docx")}
    again = checklist.build_outputs(ROOT, [(POLICY, grain)])
    assert out == again
    for rel, content in out.items():
        assert (ROOT / "generated" / rel).read_bytes() == content, f"generated/{rel} is stale"
    with zipfile.ZipFile(BytesIO(out["hami-grain-reserve/final.checklist.docx"])) as z:
        body = z.read("word/document.xml").decode("utf-8")
    assert "第二十六条" in body and "监督检查表" in body
