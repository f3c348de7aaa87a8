"""The 政策明白纸 of a computing policy: golden Markdown, worked examples that are the evaluator's
(both engines; a changed region value changes the page), nothing internal on the page, 示例数据，
非官方 wherever the example region's values appear, deterministic Word bytes, located errors."""

from __future__ import annotations

import html as html_lib
import io
import re
import shutil
import zipfile
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from conftest import ROOT, check_golden

from compiler.documents.leaflet import produce
from compiler.documents.leaflet.data import leaflet_file
from compiler.documents.leaflet.derive import typeset
from compiler.evaluate.computation_command import compile_settle, load_region
from compiler.model.load import load_policies, load_policy
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import PolicyError
from compiler.source.yamlsrc import plain

OUTPATIENT_DIR = ROOT / "policies" / "xj-outpatient-mutual-aid"
OUTPATIENT = OUTPATIENT_DIR / "final.yaml"
GOLDEN = Path(__file__).resolve().parent / "golden" / "leaflet"
NOTICE = "示例数据，非官方"


@pytest.fixture(scope="module")
def leaflet() -> produce.Leaflet:
    return produce.make_leaflet(OUTPATIENT, load_policy(OUTPATIENT), root=ROOT)


def copy_outpatient(tmp_path: Path) -> Path:
    folder = tmp_path / "policies" / "xj-outpatient-mutual-aid"
    folder.mkdir(parents=True)
    shutil.copy(OUTPATIENT, folder / "final.yaml")
    for sub in ("sources", "regions", "leaflet"):
        shutil.copytree(OUTPATIENT_DIR / sub, folder / sub)
    return folder / "final.yaml"


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def errors_of(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as exc:
        produce.make_leaflet(path, load_policy(path), root=path.parent.parent.parent)
    return [f"{d.code} {d.span.line if d.span else '-'} {d.message} {d.hint or ''}" for d in exc.value.diagnostics]


def visible_text(page: str) -> str:
    body = page[page.index("<main>"):page.index("</main>")]
    return html_lib.unescape(re.sub(r"<[^>]+>", "", body))


def docx_text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    cells = [c.text for t in d.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in d.paragraphs] + cells)


def test_leaflet_golden(leaflet: produce.Leaflet, update_golden: bool) -> None:
    check_golden(GOLDEN / "xj-outpatient-mutual-aid.md", leaflet.outputs["md"].decode(), update_golden)


def test_every_example_total_is_what_the_generated_evaluator_pays(leaflet: produce.Leaflet) -> None:
    """The numbers are the evaluator's, not typed: the generated module (the other engine)
    recomputes every example and the page prints its totals and each visit's payment."""
    policy = load_policy(OUTPATIENT)
    settle = compile_settle(policy, OUTPATIENT)
    params = leaflet.data.params
    assert params.region is not None
    region, _ = load_region(params.region)
    md = leaflet.outputs["md"].decode()
    for spec, ex in zip(params.examples, leaflet.data.examples, strict=True):
        result = settle(plain(spec.get("facts") or {}), plain(spec["records"]), region, params.as_of, trace=False)
        assert result["total"] == ex.result["total"]
        for name, value in result["payments"].items():
            if value != "0":
                assert f"{name.removeprefix('本次')}{value}元" in ex.totals
        for rec in result["records"]["就诊"]:
            paid = rec["payments"]["本次普通门诊统筹支付"]
            if paid != "0":
                assert any(f"＝{paid}元" in ln.text or f"按{paid}元计" in ln.text or f"{paid}元，" in ln.text
                           for r in ex.records if r.index == rec["index"] for ln in r.lines), (ex.name, rec["index"])
    assert "（1000元－60元）×75%＝705元" in md  # hand calculation: retiree, 二级, first visit
    assert "超过普通门诊年度剩余限额100元，按100元计" in md  # the annual cap reached in the 4th visit
    assert "本次日间手术统筹支付：16949元，超过共用年度剩余限额10000元，按10000元计" in md


def test_a_changed_region_value_changes_the_worked_examples(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    edit(path.parent / "regions" / "example.yaml", "二级: 600元", "二级: 700元")
    md = produce.make_leaflet(path, load_policy(path), root=tmp_path, formats=["md"]).outputs["md"].decode()
    assert "700元×10%＝70元" in md and "600元×10%" not in md
    assert "（1000元－70元）×75%＝697.50元" in md  # 930 × 75%, rounded to 分 once (the payment)
    assert "| 同级医疗机构首次住院起付线（示例数据，非官方） | 400元 | 700元 | 800元 | 第十四条第二款 |" in md


@pytest.mark.parametrize("policy_id", ["xj-outpatient-mutual-aid", "xj-cotton-textile"])
def test_nothing_internal_on_the_page(policy_id: str) -> None:
    path = ROOT / "policies" / policy_id / "final.yaml"
    leaflet = produce.make_leaflet(path, load_policy(path), root=ROOT)
    pages = {"md": leaflet.outputs["md"].decode(), "html": visible_text(leaflet.outputs["html"].decode()),
             "docx": docx_text(leaflet.outputs["docx"])}
    for fmt, text in pages.items():
        for bad in ("policies/", ".yaml", "sha256", "max(", "min(", "如果", "==", "a14", "examples"):
            assert bad not in text, (fmt, bad)
        assert not re.search(r"[0-9a-f]{16}", text), fmt
        words = set(re.findall(r"[A-Za-z]{2,}", text))
        assert not words, (fmt, words)  # no English (the Markdown has no markup letters either)
        assert not re.search(r"[\u4e00-\u9fff][,;:?!()][\u4e00-\u9fff]", text), fmt  # half-width punctuation


def test_example_region_values_say_they_are_not_official(leaflet: produce.Leaflet) -> None:
    md = leaflet.outputs["md"].decode()
    regional = ["同级医疗机构首次住院起付线（", "同级医疗机构住院统筹基金支付比例（", "日间手术共用）："]
    lines = [ln for ln in md.splitlines() if any(r in ln for r in regional)]
    assert len(lines) >= 6
    for line in lines:
        assert NOTICE in line, line
    table = [ln for ln in md.splitlines() if ln.startswith("| 同级医疗机构") or ln.startswith("| 职工医保统筹基金")]
    assert table and all(NOTICE in ln for ln in table)
    assert f"这些参数是{NOTICE}" in md  # said once plainly at the top


def test_official_region_file_carries_no_notice(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    region = path.parent / "regions" / "example.yaml"
    edit(region, "official: false", "official: true")
    edit(region, "notice: 示例数据，非官方\n", "")
    md = produce.make_leaflet(path, load_policy(path), root=tmp_path, formats=["md"]).outputs["md"].decode()
    assert "示例数据" not in md and "非官方" not in md


def test_parameter_tables_come_from_the_policy(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    edit(path, "table: {一级: 300元, 二级: 800元, 三级: 1300元}", "table: {一级: 350元, 二级: 800元, 三级: 1300元}")
    md = produce.make_leaflet(path, load_policy(path), root=tmp_path, formats=["md"]).outputs["md"].decode()
    assert "| 普通门诊单次最高支付限额 | 350元 | 800元 | 1300元 |" in md


def test_docx_bytes_are_deterministic_and_carry_provenance_off_the_page(leaflet: produce.Leaflet) -> None:
    again = produce.make_leaflet(OUTPATIENT, load_policy(OUTPATIENT), root=ROOT)
    assert again.outputs == leaflet.outputs and again.manifest == leaflet.manifest
    d = docx.Document(io.BytesIO(leaflet.outputs["docx"]))
    assert leaflet.data.digest in d.core_properties.keywords
    with zipfile.ZipFile(io.BytesIO(leaflet.outputs["docx"])) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert d.paragraphs[0].text.startswith("新疆维吾尔自治区")


def test_build_writes_the_leaflet_next_to_the_evaluator() -> None:
    files = sorted((ROOT / "policies").glob("*/final.yaml"))
    policies, errors = load_policies(files)
    assert not errors
    out = produce.build_outputs(ROOT, list(zip(files, policies, strict=True)))
    names = {k for k in out if k.startswith("xj-outpatient-mutual-aid/")}
    assert names == {f"xj-outpatient-mutual-aid/leaflet.{x}" for x in ("md", "html", "docx", "manifest.json")}
    for name, content in out.items():
        assert (ROOT / "generated" / name).read_bytes() == content, f"generated/{name} is stale: run policyc build"


def test_a_computing_clause_left_out_is_an_error(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    edit(leaflet_file(path), "clauses: [a17, a18]", "clauses: [a17]")
    (msg,) = errors_of(path)
    assert msg.startswith("E643") and "第十八条" in msg and "a18" in msg


def test_an_unknown_clause_is_located_with_a_guess(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    edit(leaflet_file(path), "clauses: [a14.p3, a26, a27]", "clauses: [a14.p3, a26, a72]")
    msgs = errors_of(path)
    line = next(i for i, ln in enumerate(leaflet_file(path).read_text(encoding="utf-8").splitlines(), 1) if "a72" in ln)
    assert any(m.startswith(f"E642 {line} ") and "a72" in m and "你是不是想写" in m for m in msgs), msgs
    assert any(m.startswith("E643") and "第二十七条" in m for m in msgs), msgs  # and a27 is now left out


def test_a_bad_example_is_located_in_the_leaflet_file(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    edit(leaflet_file(path), "医疗机构级别: 二级, 急诊抢救: true", "医疗机构级别: 四级, 急诊抢救: true")
    msgs = errors_of(path)
    line = next(i for i, ln in enumerate(leaflet_file(path).read_text(encoding="utf-8").splitlines(), 1) if "四级" in ln)
    assert any(m.startswith(f"E405 {line} ") and "算例" in m and "医疗机构级别" in m for m in msgs), msgs


def test_a_region_file_without_a_required_value_is_located(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    region = path.parent / "regions" / "example.yaml"
    text = region.read_text(encoding="utf-8")
    start = text.index("  住院统筹支付比例:")
    end = text.index("  统筹基金年度支付限额:")
    region.write_text(text[:start] + text[end:], encoding="utf-8")
    msgs = errors_of(path)
    assert msgs and all(m.startswith("E406") and "住院统筹支付比例" in m for m in msgs), msgs


def test_a_policy_that_does_not_compute_has_no_leaflet(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    hami = ROOT / "policies" / "hami-quality-fund" / "final.yaml"
    policy = load_policy(hami)
    with pytest.raises(PolicyError) as exc:
        produce.make_leaflet(hami, policy, root=ROOT, params_path=leaflet_file(path))
    assert {d.code for d in exc.value.diagnostics} <= {"E641", "E644"}


def test_typeset_sets_gazette_punctuation_full_width_and_leaves_words() -> None:
    assert typeset("医疗费用,单次超过;按照(以下简称“日间手术”)") == "医疗费用，单次超过；按照（以下简称“日间手术”）"
    assert typeset("1-6级伤残军人") == "1-6级伤残军人"


def test_money_in_worked_examples_is_in_yuan() -> None:
    from compiler.documents.leaflet.worked import yuan

    assert yuan(Decimal(20000)) == "20000元" and yuan(Decimal("697.5")) == "697.50元"
    assert evalrt.money_text(Decimal(20000)) == "2万元"  # tables keep 万元


def test_without_sections_each_article_with_rules_is_a_part(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    text = leaflet_file(path).read_text(encoding="utf-8")
    start, end = text.index("sections:"), text.index("examples:")
    leaflet_file(path).write_text(text[:start] + text[end:], encoding="utf-8")
    md = produce.make_leaflet(path, load_policy(path), root=tmp_path, formats=["md"]).outputs["md"].decode()
    headings = re.findall(r"^## [一二三四五六七八九十]+、(.+)$", md, flags=re.M)
    # 第十四条, 第十七条 by their payments; 第十八条, 第十九条, 第二十六条, 第二十七条 by their first value
    # (not a running sum); 第二十八条 states no rule of its own (急诊抢救 is read by 第十四条's condition).
    assert headings == ["谁能享受", "普通门诊统筹支付", "日间手术统筹支付", "共用年度剩余限额", "普通门诊可报费用",
                        "就诊所在医疗机构级别", "适用医疗机构级别", "统筹地区确定的标准", "算一算"]


def test_a_value_by_date_gets_a_row_per_period(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    edit(path, "      - {from: 2024-04-26, value: 5个百分点}",
         "      - {from: 2024-04-26, until: 2025-12-31, value: 5个百分点}\n      - {from: 2026-01-01, value: 6个百分点}")
    md = produce.make_leaflet(path, load_policy(path), root=tmp_path, formats=["md"]).outputs["md"].decode()
    assert "| 符合条件的退休人员支付比例倾斜（2024年4月26日至2025年12月31日） | 5个百分点 | 第十四条第三款 |" in md
    assert "| 符合条件的退休人员支付比例倾斜（2026年1月1日起） | 6个百分点 | 第十四条第三款 |" in md


def test_the_short_name_and_title_follow_the_document() -> None:
    from compiler.documents.leaflet.derive import short_name

    assert short_name("新疆维吾尔自治区职工基本医疗保险门诊共济保障实施办法") == "《办法》"
    assert short_name("新疆维吾尔自治区人民政府办公厅关于调整优化自治区棉花及纺织服装产业政策措施的通知") == "《通知》"
    assert short_name("哈密市质量提升发展专项资金管理办法（试行）") == "《办法》"


def test_two_issued_versions_need_the_leaflet_file_to_name_one(tmp_path: Path) -> None:
    path = copy_outpatient(tmp_path)
    other = path.parent / "v2.yaml"
    other.write_text(path.read_text(encoding="utf-8").replace("version: final", "version: v2"), encoding="utf-8")
    files = [path, other]
    policies, errors = load_policies(files)
    assert not errors
    with pytest.raises(PolicyError) as exc:
        produce.build_outputs(tmp_path, list(zip(files, policies, strict=True)))
    (diag,) = exc.value.diagnostics
    assert diag.code == "E641" and "final、v2" in diag.message and "version" in diag.message
    edit(leaflet_file(path), "policy: xj-outpatient-mutual-aid\n", "policy: xj-outpatient-mutual-aid\nversion: v2\n")
    out = produce.build_outputs(tmp_path, list(zip(files, policies, strict=True)))
    assert "xj-outpatient-mutual-aid/leaflet.md" in out


COTTON = ROOT / "policies" / "xj-cotton-textile" / "final.yaml"


@pytest.fixture(scope="module")
def cotton() -> produce.Leaflet:
    return produce.make_leaflet(COTTON, load_policy(COTTON), root=ROOT)


def test_cotton_leaflet_golden(cotton: produce.Leaflet, update_golden: bool) -> None:
    check_golden(GOLDEN / "xj-cotton-textile.md", cotton.outputs["md"].decode(), update_golden)


def test_cotton_leaflet_cites_measures_as_numbered_and_its_totals_are_the_evaluators(cotton: produce.Leaflet) -> None:
    md = cotton.outputs["md"].decode()
    assert "以下简称《通知》" in md and "《办法》" not in md
    assert not re.search(r"第[一二三四五六七八九十]+条", md)  # the 通知 numbers measures, not 条
    assert "（《通知》二（一））" in md and "| 棉花出疆运费补贴标准（2024年9月1日起） | 200元/吨 | 一 |" in md
    policy = load_policy(COTTON)
    settle = compile_settle(policy, COTTON)
    totals = {"棉花出疆，跨越运费补贴标准调整日": "6250", "一家南疆企业一年的多项补贴": "824000",
              "流动资金贷款贴息，实际利率高于贷款市场报价利率上浮20%": "207000",
              "印染废水处理，印染产品疆内使用率未达要求的减半": "45000", "正式在册职工19人的企业": "1000"}
    params = cotton.data.params
    for spec, ex in zip(params.examples, cotton.data.examples, strict=True):
        result = settle(plain(spec.get("facts") or {}), plain(spec.get("records") or {}), None, params.as_of, trace=False)
        assert result["total"] == ex.result["total"] == totals[ex.name]  # hand calculations (cases draft notes)
    assert "12.5吨×300元/吨＝3750元" in md and "12.5吨×200元/吨＝2500元" in md
    assert "贴息计算利率：6%，超过3.45%×（100%＋20%），按4.14%计" in md
    assert "生产用电补贴：不是在新疆境内依法登记注册" in md  # the 19-employee company is refused, and why
