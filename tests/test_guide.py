"""The annual 申报指南 and its siblings: content derived from the policy, one amount changing one
line, Word read back, bad input reported with positions, escaping, determinism, kind templates."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import html as html_lib
import io
import json
import re
import shutil
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import docx
import pytest
from conftest import FIXTURES, ROOT, check_golden
from docx.oxml.ns import qn
from test_wordstyle import font_of

from compiler.documents import wordstyle
from compiler.documents.guide import command as guide_command
from compiler.documents.guide.cite import cite_text
from compiler.documents.guide.data import balance_title, fund_name
from compiler.documents.guide.produce import Guide, make_guide
from compiler.documents.guide.tables import wrap
from compiler.model.load import load_policies, load_policy
from compiler.model.policy import walk
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import PolicyError

HAMI_DIR = ROOT / "policies" / "hami-quality-fund"
HAMI = HAMI_DIR / "final.yaml"
GOLDEN = Path(__file__).resolve().parent / "golden" / "guide"


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, capture_output=True, text=True)


def copy_hami(tmp_path: Path) -> Path:
    """A project root holding a copy of the Hami fund (final version, sources, year files)."""
    folder = tmp_path / "policies" / "hami-quality-fund"
    folder.mkdir(parents=True)
    shutil.copy(HAMI, folder / "final.yaml")
    shutil.copytree(HAMI_DIR / "sources", folder / "sources")
    shutil.copytree(HAMI_DIR / "guides", folder / "guides")
    return tmp_path


def build_guides(root: Path) -> dict[str, bytes]:
    files = sorted((root / "policies").glob("*/final.yaml"))
    policies, errors = load_policies(files)
    if errors:
        raise PolicyError(errors)
    return guide_command.build_outputs(root, list(zip(files, policies, strict=True)))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture(scope="module")
def hami_2027() -> Guide:
    return make_guide(HAMI, load_policy(HAMI), 2027)


def test_money_text_keeps_the_zeros_of_whole_wan() -> None:
    # Regression: 600000 / 10000 is Decimal("6E+1"); stripping zeros printed 6万元.
    assert evalrt.money_text(Decimal(600000)) == "60万元"
    assert evalrt.money_text(Decimal("600000.00")) == "60万元"
    assert evalrt.money_text(Decimal(150000)) == "15万元"
    assert evalrt.money_text(Decimal(5000)) == "5000元"


# -- one amount changes one line -----------------------------------------------------------------


def test_changing_one_amount_changes_exactly_the_lines_showing_it(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    before = build_guides(root)
    policy = root / "policies/hami-quality-fund/final.yaml"
    edit(policy, "首次获得中国质量奖的，给予60万元奖励", "首次获得中国质量奖的，给予70万元奖励")
    edit(policy, "amount: 60万元", "amount: 70万元")
    after = build_guides(root)
    assert before.keys() == after.keys()
    for year in (2026, 2027):
        old = before[f"hami-quality-fund/guide-{year}.md"].decode().splitlines()
        new = after[f"hami-quality-fund/guide-{year}.md"].decode().splitlines()
        assert len(old) == len(new)
        amounts = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
        assert len(amounts) == 1, amounts
        a, b = amounts[0]
        assert a.startswith("| 7 | 中国质量奖（首次） |") and "| 60万元 |" in a
        assert b == a.replace("| 60万元 |", "| 70万元 |")
        # The lines that show other amounts, and all the rest, are untouched.
        assert sum("60万元" in line for line in old) == 1
        diff = list(difflib.unified_diff(old, new, lineterm="", n=0))
        assert len([d for d in diff if d.startswith("+") and not d.startswith("+++")]) == 1
        # The provenance follows the YAML in the manifest, not on the page.
        name = f"hami-quality-fund/guide-{year}.manifest.json"
        assert json.loads(before[name])["sources_sha256"] != json.loads(after[name])["sources_sha256"]


# -- content derived from the policy -------------------------------------------------------------


def _award_amount(source: str) -> str:
    """What the 奖励标准 column must show, read straight from the YAML amount."""
    m = re.fullmatch(r"(\d+)万元(?: × \S+数)?", source)
    assert m, source
    return ("每项" if "×" in source else "") + f"{m.group(1)}万元"


def _docx_rows(data: bytes) -> list[list[str]]:
    """Cell texts of every table, the guide's own line breaks removed."""
    doc = docx.Document(io.BytesIO(data))
    return [[c.text.replace("\n", "") for c in row.cells] for t in doc.tables for row in t.rows]


def test_every_award_appears_with_its_amount(hami_2027: Guide) -> None:
    policy = hami_2027.data.policy
    md = hami_2027.outputs["md"].decode()
    rows = _docx_rows(hami_2027.outputs["docx"])
    html = hami_2027.outputs["html"].decode()
    assert len(policy.awards) == 42
    for award in policy.awards:
        amount = _award_amount(str(award.amount.src))  # type: ignore[union-attr]
        cite = award.clause.cite
        assert any(award.name in r[1] and amount in r[3] and r[4] == cite for r in rows), award.name
        assert re.search(rf"\| {re.escape(award.name)}(（首次）)? \| [^|]+ \| {amount}(（一次性）)? \| {re.escape(cite)} \|", md)
        assert f'<td class="center"><span class="nb">{amount}' in html


def test_sections_follow_real_notices_and_cite_their_articles(hami_2027: Guide) -> None:
    md = hami_2027.outputs["md"].decode()
    headings = re.findall(r"^## (.+)$", md, flags=re.M)
    assert headings[:9] == ["一、申报对象", "二、申报条件", "三、支持内容及奖励标准", "四、资金安排及核拨",
                            "五、申报材料", "六、申报时间及方式", "七、审批程序", "八、监督管理", "九、联系方式"]
    assert "第二十一条规定，制定本指南" in md
    assert "哈密市行政区域内依法设立的行政机关、事业单位、社会组织、科研机构及企业（《办法》第四条）" in md
    assert "被列入失信名单、负面清单的（《办法》第十七条第（二）项）" in md
    assert "用完即止" in md and "就高不就低" in md and "一次性拨付" in md
    assert "收回已拨付的资金，3年内不得申报" in md and "第二十四条" in md
    contacts = {"0902-2268450", "0902-2251069", "839000", "哈密市伊州区前进西路14号"}
    assert all(c in md for c in contacts)
    # Uncited: the year's data (contacts, time, place, method, general materials, the form's
    # lines) and lead-ins whose items carry the citations.
    plain = [b.text for b in hami_2027.blocks if b.kind == "para" and not b.cited]
    year_data = {"咨询及受理单位", "联系人", "联系电话", "传真", "地址", "邮政编码", "受理时间", "受理地点", "提交方式"}
    materials = {f"{i}．{e.text}" for i, e in enumerate(hami_2027.data.materials_common, start=1)}
    odd = [t for t in plain if not (t.split("：")[0] in year_data or t.endswith("：")
                                    or t.rstrip("；。").removesuffix("（见附件1）") in materials
                                    or t == "申报材料审核要点见附件2。" or t.startswith("申报事项：在申报的事项前"))]
    assert plain and not odd, odd
    for b in hami_2027.blocks:
        if b.kind == "para" and b.cited:
            assert re.search(r"第[一二三四五六七八九十百]+条", b.text), b.text


def test_procedure_dates_come_from_the_year_and_the_policy(hami_2027: Guide) -> None:
    md = hami_2027.outputs["md"].decode()
    # 公示7个自然日 (第二十二条第（四）项) from 10 May: 10–16 May, computed, never typed.
    assert "在市政府网站公示7个自然日（2027年5月10日至2027年5月16日）（《办法》第二十二条第（四）项）" in md
    assert "受理时间：2027年3月1日至2027年3月31日" in md
    assert hami_2027.data.calendar_sources == []  # 2027 uses calendar days only


def test_2026_working_days_cross_mid_autumn_and_national_day() -> None:
    g = make_guide(HAMI, load_policy(HAMI), 2026, formats=["md"])
    md = g.outputs["md"].decode()
    assert "形式审查（2026年9月21日至2026年10月10日，10个工作日）" in md
    assert g.data.calendar_sources == ["chinese-calendar"]
    assert json.loads(g.manifest)["holiday_schedules"] == ["chinese-calendar"]


def test_materials_and_checklist_are_derived_from_evidence(hami_2027: Guide) -> None:
    data = hami_2027.data
    common = [e.text for e in data.materials_common]
    assert common[0] == "申报表" and any("“信用中国”网站信用查询记录" in t for t in common)
    # Facts the reviewer establishes (supplied_by: authority) are checked, never asked for.
    assert not any("取消申报资格处理决定" in t or "拨付记录" in t for t in common)
    checks = {row.question: row for row in data.checklist}
    assert checks["申报单位是否被列入失信名单？"].evidence == "“信用中国”网站信用查询记录"
    assert [r.question for r in data.authority_checks] == [
        "本年度专项资金预算尚余多少元？", "哪些资格认定已经获得过本专项资金奖励？",
        "申报单位因弄虚作假被取消申报资格的认定日期是哪一天？"]
    award_lines = {(m.names, m.materials) for m in data.materials_awards}
    assert ("中国质量奖、中国质量奖提名奖", "获奖证书或表彰文件复印件") in award_lines


# Issue 11 (1): provenance is in the document properties and a build manifest, never on the page.
_INTERNAL = ("policyc", "sha256", "SHA-256", "请勿手工修改", "policies/", ".yaml", "版本 final", "生成依据", "来源文件")


def _page_text(guide: Guide) -> dict[str, str]:
    doc = docx.Document(io.BytesIO(guide.outputs["docx"]))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return {"md": guide.outputs["md"].decode(), "html": guide.outputs["html"].decode(),
            "docx": "\n".join([p.text for p in doc.paragraphs] + cells)}


def test_provenance_is_in_the_properties_and_the_manifest_not_on_the_page(hami_2027: Guide) -> None:
    digest = hami_2027.data.digest
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    for fmt, text in _page_text(hami_2027).items():
        assert digest not in text, fmt
        assert not [w for w in _INTERNAL if w in text], fmt
    props = docx.Document(io.BytesIO(hami_2027.outputs["docx"])).core_properties
    assert digest in props.keywords and "哈政办发〔2026〕10号" in props.keywords and "版本 final" in props.keywords
    assert "policies/hami-quality-fund/final.yaml" in props.comments and len(props.comments) <= 255
    manifest = json.loads(hami_2027.manifest)
    assert manifest["sources_sha256"] == digest
    names = [s["file"] for s in manifest["sources"]]
    assert names[:2] == ["policies/hami-quality-fund/final.yaml", "policies/hami-quality-fund/guides/2027.yaml"]
    assert "policyc:templates/award-fund.j2" in names and "policyc:templates/diff.html.j2" not in names
    for fmt, content in hami_2027.outputs.items():
        assert manifest["outputs"][fmt]["sha256"] == hashlib.sha256(content).hexdigest()
    assert manifest["sources"][0]["sha256"] == hashlib.sha256(HAMI.read_bytes()).hexdigest()
    committed = ROOT / "generated/hami-quality-fund/guide-2027.manifest.json"
    assert committed.read_bytes() == hami_2027.manifest


# -- Word ----------------------------------------------------------------------------------------


def test_word_layout_fonts_and_sizes(hami_2027: Guide) -> None:
    doc = docx.Document(io.BytesIO(hami_2027.outputs["docx"]))
    section = doc.sections[0]
    assert [round(v / 36000) for v in (section.page_width, section.page_height, section.top_margin,
                                       section.bottom_margin, section.left_margin, section.right_margin)] \
        == [210, 297, 37, 35, 28, 26]
    paragraphs = [p for p in doc.paragraphs if p.text]
    assert [p.text for p in paragraphs[:2]] == ["2027年度哈密市", "质量提升发展专项资金申报指南"]
    assert font_of(paragraphs[0]) == ("方正小标宋简体", 22.0)
    by_text = {p.text: p for p in paragraphs}
    assert font_of(by_text["一、申报对象"]) == ("黑体", 16.0)
    assert font_of(by_text["（一）资格取得期间"]) == ("楷体_GB2312", 16.0)
    body = next(p for p in paragraphs if p.text.startswith("为做好2027年度"))
    assert font_of(body) == ("仿宋_GB2312", 16.0)
    assert body.style.paragraph_format.line_spacing.pt == pytest.approx(28.9)
    assert by_text["2027年2月22日"].paragraph_format.right_indent.pt == 64
    header = doc.tables[0].rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on every page
    attachment = by_text["附件1"]
    assert font_of(attachment) == ("黑体", 16.0)
    assert attachment.paragraph_format.page_break_before  # the attachment starts a new page


# -- bad input -----------------------------------------------------------------------------------


def _year_file(root: Path, year: int = 2027) -> Path:
    return root / f"policies/hami-quality-fund/guides/{year}.yaml"


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_missing_year_parameters(tmp_path: Path) -> None:
    out = run(["guide", str(HAMI), "--year", "2031", "--out-dir", str(tmp_path)])
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "找不到年度参数文件" in out.stderr and "guides/2031.yaml" in out.stderr
    assert list(tmp_path.iterdir()) == []


def test_window_ending_before_it_starts(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    edit(_year_file(root), "  to: 2027-03-31", "  to: 2027-02-28")
    out = run(["guide", "policies/hami-quality-fund/final.yaml", "--year", "2027", "--out-dir", "out"], cwd=root)
    assert out.returncode == 1 and "Traceback" not in out.stderr
    line = _line_of(_year_file(root), "to: 2027-02-28")
    assert f"policies/hami-quality-fund/guides/2027.yaml:{line}:7: 错误[E612]" in out.stderr
    assert "申报截止日期 2027年2月28日 早于开始日期 2027年3月1日" in out.stderr
    assert not (root / "out").exists()


def test_working_days_in_a_year_without_a_schedule(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    edit(_year_file(root), "    to: 2027-04-16", "    duration: 10个工作日")
    out = run(["guide", "policies/hami-quality-fund/final.yaml", "--year", "2027", "--format", "md"], cwd=root)
    assert out.returncode == 1 and out.stdout == ""
    line = _line_of(_year_file(root), "duration: 10个工作日")
    assert f"guides/2027.yaml:{line}:15: 错误[E620]" in out.stderr
    assert "2027年的法定节假日与调休安排尚未收录" in out.stderr and "calendars/2027.yaml" in out.stderr
    # The same file builds once a drafter supplies the year's schedule.
    (root / "calendars").mkdir()
    (root / "calendars/2027.yaml").write_text(
        "format: policyc-holidays/1\nyear: 2027\nsource: 测试用安排（不是官方通知）\n"
        "holidays:\n  - {name: 测试假期, from: 2027-04-05, to: 2027-04-05}\nworkdays: []\n", encoding="utf-8")
    out = run(["guide", "policies/hami-quality-fund/final.yaml", "--year", "2027", "--format", "md"], cwd=root)
    assert out.returncode == 0, out.stderr
    # 1–2, 6–9 (5 April off), 12–15 April: the tenth working day is 15 April.
    assert "2027年4月1日至2027年4月15日，10个工作日" in out.stdout


@pytest.mark.parametrize(("old", "new", "code", "fragment"), [
    ("  - procedure: publicity\n", "  - procedure: publicty\n", "E615", "你是不是想写「publicity」"),
    ("  - procedure: publicity\n    from: 2027-05-10\n", "  - procedure: publicity\n    from: 2027-05-10\n    to: 2027-05-12\n",
     "E617", "由期限7个自然日计算"),
    ('postcode: "839000"', "postcode: 839000", "E103", "应为文字"),
    ("basis: annual-guide", "basis: annual-guides", "E615", "你是不是想写「annual-guide」"),
    ("published: 2027-02-22", "published: 2027-03-02", "E613", "晚于申报开始日期"),
    ("    from: 2027-04-19", "    from: 2027-04-10", "E618", "早于形式审查结束日期"),
    ("year: 2027", "year: 2026", "E611", "与申报年度"),
])  # fmt: skip
def test_bad_year_parameters(tmp_path: Path, old: str, new: str, code: str, fragment: str) -> None:
    root = copy_hami(tmp_path)
    edit(_year_file(root), old, new)
    with pytest.raises(PolicyError) as err:
        build_guides(root)
    diags = err.value.diagnostics
    assert any(d.code == code and fragment in d.message + (d.hint or "") for d in diags), diags
    assert all(d.span is not None and d.span.file.endswith("2027.yaml") and d.span.line > 1 for d in diags)


def test_build_with_a_bad_year_file_writes_nothing(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    edit(_year_file(root), "  to: 2027-03-31", "  to: 2027-02-28")
    out = run(["--root", str(root), "build"])
    assert out.returncode == 1 and "E612" in out.stderr
    assert not (root / "generated").exists()


def test_script_in_a_title_is_text_everywhere(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    edit(_year_file(root), "issuer: 哈密市市场监督管理局",
         'issuer: 哈密市市场监督管理局\ntitle: "<script>alert(1)</script>申报指南"')
    g = make_guide(root / "policies/hami-quality-fund/final.yaml",
                         load_policy(root / "policies/hami-quality-fund/final.yaml"), 2027)
    html = g.outputs["html"].decode()
    assert "<script>" not in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;申报指南</title>" in html
    assert "\\<script\\>" in g.outputs["md"].decode()
    doc = docx.Document(io.BytesIO(g.outputs["docx"]))
    assert any("<script>alert(1)</script>" in p.text for p in doc.paragraphs)


def test_usage_errors() -> None:
    out = run(["guide", str(HAMI), "--year", "2027", "--format", "docx"])
    assert out.returncode == 2 and "-o" in out.stderr
    out = run(["guide", str(HAMI), "--year", "2027", "-o", "guide.pdf"])
    assert out.returncode == 2 and "扩展名" in out.stderr
    out = run(["guide", "policies/nothing.yaml", "--year", "2027"])
    assert out.returncode == 2


# -- determinism, CLI and build agree ------------------------------------------------------------


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    first, second = build_guides(root), build_guides(root)
    assert first == second
    assert sorted(first) == [f"hami-quality-fund/guide-{y}.{f}" for y in (2026, 2027)
                             for f in ("docx", "html", "manifest.json", "md")]


def test_cli_writes_the_three_formats_the_build_commits(tmp_path: Path) -> None:
    out = run(["guide", "policies/hami-quality-fund/final.yaml", "--year", "2027", "--out-dir", str(tmp_path)])
    assert out.returncode == 0, out.stderr
    for fmt in ("md", "html", "docx", "manifest.json"):
        written = (tmp_path / f"hami-quality-fund-guide-2027.{fmt}").read_bytes()
        assert written == (ROOT / f"generated/hami-quality-fund/guide-2027.{fmt}").read_bytes()
    out = run(["guide", "policies/hami-quality-fund", "--year", "2027", "--format", "md"])
    assert out.returncode == 0 and out.stdout.startswith("# 2027年度哈密市质量提升发展专项资金申报指南\n")


# -- kinds and overrides -------------------------------------------------------------------------


@pytest.mark.parametrize("policy_id", ["test-quality-award", "test-job-subsidy"])
def test_kind_templates_golden(policy_id: str, update_golden: bool) -> None:
    path = FIXTURES / "guides" / policy_id / "final.yaml"
    g = make_guide(path, load_policy(path), 2026, root=ROOT)
    check_golden(GOLDEN / f"{policy_id}-2026.md", g.outputs["md"].decode(), update_golden)
    assert g.outputs["docx"][:2] == b"PK" and b"<!DOCTYPE html>" in g.outputs["html"]


def test_periodic_award_notice() -> None:
    path = FIXTURES / "guides/test-quality-award/final.yaml"
    md = make_guide(path, load_policy(path), 2026, root=ROOT, formats=["md"]).outputs["md"].decode()
    assert md.startswith("# 关于开展2026年度某市质量奖评选申报工作的通知")
    assert "某市质量奖每届不超过2个，按评审得分由高到低确定，可以空缺（《办法》第三条）" in md
    assert "获得市质量奖未满5年的企业不得再次申报（《办法》第五条）" in md


def test_benefit_explainer_examples_are_computed_by_the_evaluator() -> None:
    path = FIXTURES / "guides/test-job-subsidy/final.yaml"
    policy = load_policy(path)
    g = make_guide(path, policy, 2026, root=ROOT, formats=["md"])
    md = g.outputs["md"].decode()
    from compiler.evaluate.interpreter import Interpreter

    for ex in g.data.examples:
        expected = Interpreter(policy).evaluate(ex.facts, ex.as_of, trace=False)["total"]
        assert f"合计可享受{evalrt.money_text(expected)}" in md
    assert [evalrt.money_text(ex.result["total"]) for ex in g.data.examples] == ["6000元", "4000元", "0元"]
    # The review takes 10 working days from Friday 25 September (中秋, off): 28–30 September,
    # 8–10 October (10 October is a 调休 Saturday) and 12–15 October.
    assert "县人力资源和社会保障局在10个工作日内审核（2026年9月25日至2026年10月15日）" in md


def test_benefit_example_with_a_wrong_fact_points_at_it(tmp_path: Path) -> None:
    folder = tmp_path / "policies/test-job-subsidy"
    shutil.copytree(FIXTURES / "guides/test-job-subsidy", folder)
    edit(folder / "guides/2026.yaml", "月平均工资: 2500元", "月平均工资: 2500吨")
    with pytest.raises(PolicyError) as err:
        make_guide(folder / "final.yaml", load_policy(folder / "final.yaml"), 2026)
    [diag] = err.value.diagnostics
    assert diag.code == "E621" and "月平均工资" in diag.message and diag.span is not None
    assert diag.span.line == _line_of(folder / "guides/2026.yaml", "2500吨")


def test_a_drafter_can_override_a_template(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    templates = root / "policies/hami-quality-fund/templates"
    templates.mkdir()
    (templates / "award-fund.j2").write_text(
        '{% do doc.title("本地模板") %}{% do doc.para("只写申报对象。", g.eligibility[0].clauses) %}',
        encoding="utf-8")
    path = root / "policies/hami-quality-fund/final.yaml"
    g = make_guide(path, load_policy(path), 2027)
    md = g.outputs["md"].decode()
    assert md.startswith("# 本地模板\n\n只写申报对象（《办法》第四条）。")
    assert "policies/hami-quality-fund/templates/award-fund.j2" in [s.name for s in g.data.sources]
    default = make_guide(HAMI, load_policy(HAMI), 2027, formats=["md"])
    assert g.data.digest != default.data.digest
    # A broken override is reported with its file and line, not a traceback.
    (templates / "award-fund.j2").write_text("{% do doc.title() %}\n{% if %}", encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        make_guide(path, load_policy(path), 2027)
    [diag] = err.value.diagnostics
    assert diag.code == "E630" and diag.span is not None and diag.span.line == 2
    assert diag.span.file.endswith("templates/award-fund.j2")


def test_a_paragraph_without_a_citation_is_refused(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    templates = root / "policies/hami-quality-fund/templates"
    templates.mkdir()
    (templates / "award-fund.j2").write_text('{% do doc.para("没有依据的句子。") %}', encoding="utf-8")
    path = root / "policies/hami-quality-fund/final.yaml"
    with pytest.raises(PolicyError) as err:
        make_guide(path, load_policy(path), 2027)
    assert "缺少依据条款" in err.value.diagnostics[0].message


def test_dates_and_amounts_read_as_chinese_readers_expect() -> None:
    assert evalrt.zh_date(dt.date(2027, 3, 1)) == "2027年3月1日"
    assert fund_name("哈密市质量提升发展专项资金管理办法（试行）") == "哈密市质量提升发展专项资金"
    assert balance_title("2027年度哈密市质量提升发展专项资金申报指南") == [
        "2027年度哈密市", "质量提升发展专项资金申报指南"]


def test_citations_merge_items_and_runs_of_articles(hami_2027: Guide) -> None:
    policy = hami_2027.data.policy
    c = policy.clauses
    assert cite_text(policy, [c["exclusions.licence-credit"], c["exclusions.industry-policy"]]) \
        == "第十七条第（一）项、第（二）项"
    assert cite_text(policy, [c[a] for a in ("county-awards", "chain-awards", "enterprise-awards")]) \
        == "第九条至第十一条"
    awards = [a.clause for a in policy.awards if a.qualification]
    assert cite_text(policy, awards, coarse=True) == "第九条至第十二条、第十四条至第十六条"


# -- issue 11: a guide an office can publish ------------------------------------------------------

_CITE_CHARS = "第一二三四五六七八九十百条款项（）、至"
_LAST_PART = re.compile(r"(第（[一二三四五六七八九十]+）项|第[一二三四五六七八九十]+款)$")


def _citations(text: str) -> list[tuple[int, str]]:
    """(position, cite) of every 《办法》第… citation in a printed text."""
    out = []
    for m in re.finditer("《办法》(第[" + _CITE_CHARS + "]+)", text):
        cite = m.group(1)
        while cite.count("（") < cite.count("）"):  # the ） closing the surrounding parenthesis
            cite = cite[:-1]
        out.append((m.start(), cite.rstrip("、")))
    return out


def _resolve(policy: Any, cite: str) -> list[Any]:
    """The clauses a printed citation names (第十一条第（一）项、第（二）项; 第九条至第十六条)."""
    by_cite = {c.cite: c for c in walk(policy)}
    articles = {c.article_no: c for c in policy.articles}
    out, prefix = [], ""
    for part in cite.split("、"):
        if "至" in part:
            first, last = (by_cite[p].article_no for p in part.split("至"))
            out += [articles[n] for n in range(first, last + 1)]
            prefix = ""
            continue
        full = part if re.match(r"^第[一二三四五六七八九十百]+条", part) else prefix + part
        assert full in by_cite, f"{cite}：{full} 不是《办法》的条款"
        out.append(by_cite[full])
        prefix = _LAST_PART.sub("", full)
    return out


def _clause_text(clauses: list[Any]) -> str:
    def rec(c: Any) -> str:
        return c.text + "".join(rec(ch) for ch in c.children)
    return "".join(rec(c) for c in clauses).replace("本办法", "《办法》")


def _shared_run(a: str, b: str) -> int:
    """The longest run of Chinese characters found in both texts."""
    best = 0
    for run in re.findall(r"[\u4e00-\u9fff]+", a):
        for i in range(len(run)):
            j = i + best + 1
            while j <= len(run) and run[i:j] in b:
                best, j = j - i, j + 1
    return best


def _check_citations(guide: Guide) -> int:
    """Every citation names clauses that exist, and the cited text supports the sentence: it
    shares a phrase (4 字) with what the citation annotates — for a condition (须…), with the
    condition. Exempt, and checked otherwise: lead-ins (…：), whose items each cite a clause of
    the articles they name; the year's own statements (本年度…), which cite the clause that
    requires the guide; records reviewers consult, which cite the rule that reads the fact."""
    data, policy = guide.data, guide.data.policy
    records = {r.evidence: r for r in data.authority_checks}
    lead: tuple[set[int], bool] | None = None  # the last lead-in: its articles, and whether its text is supported
    items_seen: set[int] = set()  # articles cited since the last heading
    checked = 0
    for b in guide.blocks:
        texts = [b.text] if b.kind == "para" else ["".join(r) for r in b.rows] if b.kind == "table" else []
        if b.kind == "heading" or (b.kind == "para" and not re.match(r"^\d+．", b.text)):
            lead = None
        if b.kind == "heading":
            items_seen = set()
        for text in texts:
            cites = _citations(text)
            for pos, cite in cites:
                clauses = _resolve(policy, cite)
                checked += 1
                before = text[:pos].rstrip("（").split("。")[-1] if b.kind == "para" else text
                claim = before.split("须", 1)[1] if "须" in before else before
                body = re.sub(r"^\d+．", "", claim)
                if text.rstrip("。").endswith("："):
                    lead = ({c.article_no for c in clauses}, _shared_run(claim, _clause_text(clauses)) >= 4)
                    continue
                if lead is not None and re.match(r"^\d+．", text):
                    assert lead[1] or {c.article_no for c in clauses} <= lead[0], (text, lead)
                if body.startswith("本年度") and clauses == [data.basis]:
                    continue
                if body in records:
                    assert clauses == records[body].clauses, text
                    continue
                if cite.endswith("条") and text[pos + len("《办法》") + len(cite):].startswith("规定的"):
                    continue  # 承担《办法》第二十四条规定的责任: the article states the consequence
                if "合计可享受" in claim:
                    # An evaluator's total cites the clauses of the amounts it adds up, each of
                    # which was printed (and checked) as an item just before.
                    assert {c.article_no for c in clauses} <= items_seen, text
                    continue
                shared = _shared_run(claim, _clause_text(clauses))
                assert shared >= 4, f"「{claim}」与所引{cite}的条文没有共同的表述"
                items_seen |= {c.article_no for c in clauses}
    return checked


def test_every_printed_citation_resolves_to_a_clause_that_supports_it(hami_2027: Guide) -> None:
    assert _check_citations(hami_2027) > 60
    md = hami_2027.outputs["md"].decode()
    # The 起草单位 rule of the 前言 is 第十三条第二款, not the 参与制定 item.
    assert "须申报单位为标准文本“前言”中排序最靠前的一家哈密市起草单位（《办法》第十三条第二款）" in md
    assert "起草单位（《办法》第十三条第一款第（二）项）" not in md


def test_citation_check_catches_a_wrong_clause(hami_2027: Guide) -> None:
    # The check itself can fail: the old citation of the 前言 rule is refused.
    wrong = [b for b in hami_2027.blocks if "排序最靠前的一家哈密市起草单位（《办法》第十三条第二款）" in b.text]
    assert wrong
    bad = Guide(hami_2027.data, [dataclasses.replace(
        wrong[0], text=wrong[0].text.replace("第十三条第二款", "第十三条第一款第（二）项"))], {}, b"")
    with pytest.raises(AssertionError, match="没有共同的表述"):
        _check_citations(bad)


def test_other_guides_cite_what_supports_them() -> None:
    _check_citations(make_guide(HAMI, load_policy(HAMI), 2026, formats=["md"]))
    for policy_id in ("test-quality-award", "test-job-subsidy"):
        path = FIXTURES / "guides" / policy_id / "final.yaml"
        _check_citations(make_guide(path, load_policy(path), 2026, root=ROOT, formats=["md"]))


def test_qualifying_period_is_stated_and_related_to_the_effective_date(hami_2027: Guide) -> None:
    md = hami_2027.outputs["md"].decode()
    assert "本年度受理2026年1月1日至2026年12月31日期间获得的奖励事项（《办法》第二十一条）。" in md
    assert ("《办法》自发布之日起30日后实施（2026年5月19日起）；上述期间内《办法》实施前获得的奖励事项，"
            "一并按本指南申报（《办法》第二十八条）。") in md


def test_a_year_file_without_a_qualifying_period_does_not_build(tmp_path: Path) -> None:
    root = copy_hami(tmp_path)
    edit(_year_file(root), "qualifying:\n  from: 2026-01-01\n  to: 2026-12-31\n  before_effect: true\n", "")
    with pytest.raises(PolicyError) as err:
        build_guides(root)
    [diag] = err.value.diagnostics
    assert diag.code == "E624" and "qualifying" in diag.message
    assert diag.span is not None and diag.span.file.endswith("2027.yaml")
    assert diag.span.line == _line_of(_year_file(root), "window:")


@pytest.mark.parametrize(("old", "new", "code", "needle"), [
    ("  before_effect: true\n", "", "E625", "  from: 2026-01-01"),
    ("  to: 2026-12-31", "  to: 2027-04-30", "E623", "  to: 2027-04-30"),
    ("  to: 2026-12-31", "  to: 2025-12-31", "E612", "  to: 2025-12-31"),
    ("  - 行业主管部门意见", "  - 营业执照（或事业单位法人证书、社会组织登记证书、机构设立文件）复印件\n  - 行业主管部门意见",
     "E626", "  - 行业主管部门意见"),
])  # fmt: skip
def test_bad_qualifying_periods(tmp_path: Path, old: str, new: str, code: str, needle: str) -> None:
    root = copy_hami(tmp_path)
    edit(_year_file(root), old, new)
    with pytest.raises(PolicyError) as err:
        build_guides(root)
    [diag] = [d for d in err.value.diagnostics if d.span and d.span.file.endswith("2027.yaml")]
    assert diag.code == code and diag.span is not None
    assert diag.span.line == _line_of(_year_file(root), needle) - (code == "E626")  # E626: the copy


def test_application_form_is_an_attachment_in_every_format(hami_2027: Guide) -> None:
    data = hami_2027.data
    assert data.form is not None
    md = hami_2027.outputs["md"].decode()
    assert "附件：1．申报表" in md and "**附件1**\n\n## 申报表" in md
    assert "1．申报表（见附件1）；" in md  # listed first among the materials
    unit = dict(data.form.tables[0].rows)
    for field in ("单位名称", "统一社会信用代码", "法定代表人", "开户银行", "账户名称", "银行账号"):
        assert field in unit and unit[field] == ""
    assert unit["单位类型"] == "□行政机关　□事业单位　□社会组织　□科研机构　□企业　□其他"
    questions = [r[1] for r in data.form.tables[1].rows]
    # The applicant's own facts, by their labels; nothing the reviewers look up.
    assert "申报单位是否被列入失信名单？" in questions
    assert not any(q in questions for q in (r.question for r in data.authority_checks))
    award_rows = [r[1] for t in data.form.tables[2:] for r in t.rows]
    assert award_rows == ["□" + row.name for row in data.all_rows]
    counted = [t for t in data.form.tables[2:] if "项数" in t.header]
    assert [t.title for t in counted] == ["标准制修订奖励事项"]
    rows = _docx_rows(hami_2027.outputs["docx"])
    assert ["开户银行", ""] in rows and any(r[1] == "□主导制定国家标准" for r in rows)
    html = hami_2027.outputs["html"].decode()
    assert "申报单位基本情况" in html and "□主导制定国家标准" in html
    assert "法定代表人（签字）：" in md and "法定代表人（签字）：" in html
    # The pledge and the lines it is signed on stay on one page.
    paragraphs = docx.Document(io.BytesIO(hami_2027.outputs["docx"])).paragraphs
    first = next(i for i, p in enumerate(paragraphs) if p.text.startswith("本单位承诺"))
    last = next(i for i, p in enumerate(paragraphs) if p.text.endswith("年　　月　　日"))
    assert last > first and all(p.paragraph_format.keep_with_next for p in paragraphs[first:last])


def test_general_materials_come_once_from_the_year_file_without_citations(hami_2027: Guide) -> None:
    common = hami_2027.data.materials_common
    assert [e.origin for e in common] == ["guide"] + ["year"] * (len(common) - 1)
    assert [e.text for e in common[1:]] == hami_2027.data.params.materials
    assert all(e.clauses == [] for e in common)
    md = hami_2027.outputs["md"].decode()
    section = md.split("### （一）基本材料")[1].split("### （二）")[0]
    items = re.findall(r"^\d+．(.+)$", section, flags=re.M)
    assert len(items) == len(common) and len(set(items)) == len(items)
    assert not any("《办法》" in item for item in items)
    assert sum("营业执照" in item for item in items) == 1 and sum("承诺书" in item for item in items) == 1
    assert any("法定代表人身份证明" in item for item in items) and any("银行账号" in item for item in items)


def test_the_definition_of_lead_drafter_is_printed(hami_2027: Guide) -> None:
    md = hami_2027.outputs["md"].decode()
    assert ("主导制修订认定标准：正式发布的标准文本“前言”中排序首位的起草单位；无明确起草单位的，"
            "需提供发布或归口单位出具的主导制修订标准的证明文件") in md
    assert "给予奖励（《办法》第十三条第二款）。" in md


def test_same_qualification_is_worded_as_the_policy_does(hami_2027: Guide) -> None:
    md = hami_2027.outputs["md"].decode()
    assert "同时申报的只核拨金额最高的一项" not in md
    assert ("同一项目、平台、奖项或小组获得下列同一类别不同级别或等次认定的，属于同一资格认定，"
            "按“就高不就低”原则只核拨金额最高的一项（《办法》第二十条第（二）项）：") in md


def test_what_applicants_submit_is_apart_from_what_reviewers_look_up(hami_2027: Guide) -> None:
    data = hami_2027.data
    cells = data.checklist_cells
    text = "".join("".join(c) for c in cells)
    assert "审核部门核查" not in text and "不填" not in text
    assert not any(r.by_authority for r in data.checklist) and all(r.by_authority for r in data.authority_checks)
    order = {id(c): i for i, c in enumerate(walk(data.policy))}
    firsts = [min(order[id(c)] for c in r.clauses) for r in data.checklist]
    assert firsts == sorted(firsts)  # rows in the order of the clauses they check
    md = hami_2027.outputs["md"].decode()
    assert "哈密市市场监督管理局在审核中依据下列记录核查，申报单位无须提交：" in md
    assert "1．市财政局下达的年度专项资金预算及已拨付台账（《办法》第二十条第（一）项）；" in md


def test_notice_says_what_real_notices_say(hami_2027: Guide) -> None:
    for fmt, text in _page_text(hami_2027).items():
        assert "逾期不予受理" in text, fmt
        assert "工作日10:00—14:00、15:30—19:30（北京时间）" in text, fmt
        assert "联系人：王某某" in text, fmt
        assert "（此件公开发布）" in text, fmt
    doc = docx.Document(io.BytesIO(hami_2027.outputs["docx"]))
    texts = [p.text for p in doc.paragraphs]
    assert texts[texts.index("2027年2月22日") + 1] == "（此件公开发布）"


def test_award_tables_fit_their_cells_without_breaking_runs(hami_2027: Guide) -> None:
    doc = docx.Document(io.BytesIO(hami_2027.outputs["docx"]))
    tables = [b for b in hami_2027.blocks if b.kind == "table"]
    assert len(doc.tables) == len(tables)
    for block, table in zip(tables, doc.tables, strict=True):
        assert sum(block.widths) == pytest.approx(156, abs=0.2)
        for row in table.rows:
            for cell in row.cells:
                lines = cell.text.split("\n")
                # No run that must stay whole — （区、镇）, 第十三条, 第（一）项, 每项20万元 — is cut.
                for run in re.findall(r"（[^（）]{1,8}）|第[一二三四五六七八九十]+[条款]|第（[一二三四五六七八九十]+）项"
                                      r"|每?项?\d+万元", cell.text.replace("\n", "")):
                    assert any(run in line for line in lines), (run, lines)
                # No line of one or two characters left at the end of a wrapped cell.
                if len(lines) > 1:
                    assert wordstyle.text_width(lines[-1]) > 2, lines
    by_text = {p.text: p for p in doc.paragraphs}
    awards = [b for b in tables if b.header[1] == "奖励事项"]
    assert len(awards) == 8
    for block in awards:
        # 依据 takes at most two lines, broken between 第十三条第一款 and 第（一）项 if at all
        # (the old layout spread 第十三条第/一款第/（一）项 over three).
        for cite in (r[4] for r in block.rows):
            lines = wrap(cite, block.widths[4], block.size)
            assert len(lines) <= 2 and all(re.fullmatch(r"(第[一二三四五六七八九十]+[条款]|第（[一二三四五六七八九十]+）项)+", x)
                                           for x in lines), lines
        # Short cells (国家级, 自治区级, 20万元) are never broken.
        for row in block.rows:
            for cell, width in zip(row, block.widths, strict=True):
                if wordstyle.text_width(cell) <= 5:
                    assert len(wrap(cell, width, block.size)) == 1, cell
    # A table is followed by space, not pressed against the next heading.
    body = doc.element.body
    for tbl in body.iterchildren(qn("w:tbl")):
        following = tbl.getnext()
        assert following is not None and following.tag == qn("w:p") and "".join(following.itertext()) == ""
    # Headings are short enough never to leave characters alone on a second line.
    headings = [b.text for b in hami_2027.blocks if b.kind == "heading"]
    assert all(wordstyle.text_width(h) + 2 <= 26 for h in headings), headings
    assert "（一）质量强县（区、镇）奖励事项及金额" in by_text


def test_title_is_short_over_long(hami_2027: Guide) -> None:
    lines = hami_2027.data.title_lines
    assert len(lines) == 2 and wordstyle.text_width(lines[0]) < wordstyle.text_width(lines[1]) <= 20
    for title in ("2026年度哈密市质量提升发展专项资金申报指南", "关于开展2026年度某市质量奖评选申报工作的通知"):
        head, tail = balance_title(title)
        assert head + tail == title and wordstyle.text_width(head) <= wordstyle.text_width(tail)


def test_html_prints_on_a4_with_page_numbers_and_the_word_line_breaks(hami_2027: Guide) -> None:
    html = hami_2027.outputs["html"].decode()
    assert "@page { size: A4; margin: 37mm 26mm 35mm 28mm; }" in html
    assert re.search(r"@page :right \{ @bottom-right \{ content: \"— \" counter\(page\) \" —\"", html)
    assert re.search(r"@page :left \{ @bottom-left \{ content: \"— \" counter\(page\) \" —\"", html)
    assert "table-layout: fixed" in html
    # Margin boxes of its own, so that the browser prints no date or file path in the margins.
    assert '@page { @top-left { content: ""; } @top-center { content: ""; } @top-right { content: ""; }' in html
    # Each table has the Word table's column widths and each cell the Word cell's lines.
    doc = docx.Document(io.BytesIO(hami_2027.outputs["docx"]))
    tables = re.findall(r"<table.*?</table>", html, flags=re.S)
    assert len(tables) == len(doc.tables)
    for markup, table in zip(tables, doc.tables, strict=True):
        widths = [float(w) for w in re.findall(r'<col style="width: ([\d.]+)mm">', markup)]
        assert sum(widths) == pytest.approx(156, abs=0.2)
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", markup)
        lines = [[html_lib.unescape(re.sub(r"<[^>]+>", "", part)) for part in c.split("<br>")] for c in cells]
        assert lines == [c.text.split("\n") for row in table.rows for c in row.cells]


def test_docx_east_asian_theme_language_is_chinese(hami_2027: Guide) -> None:
    with zipfile.ZipFile(io.BytesIO(hami_2027.outputs["docx"])) as z:
        settings = z.read("word/settings.xml").decode()
        everything = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    assert 'w:themeFontLang w:val="en-US" w:eastAsia="zh-CN"' in settings
    assert "ja-JP" not in everything
