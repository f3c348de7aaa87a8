"""The annual 申报指南 and its siblings: content derived from the policy, one amount changing one
line, Word read back, bad input reported with positions, escaping, determinism, kind templates."""

from __future__ import annotations

import datetime as dt
import difflib
import io
import re
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import docx
import pytest
from conftest import FIXTURES, ROOT, check_golden
from docx.oxml.ns import qn
from test_wordstyle import font_of

from compiler.documents.guide import command as guide_command
from compiler.documents.guide.cite import cite_text
from compiler.documents.guide.data import balance_title, fund_name
from compiler.documents.guide.produce import Guide, make_guide
from compiler.model.load import load_policies, load_policy
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
        changed = [(a, b) for a, b in zip(old, new, strict=True) if a != b]
        provenance = [(a, b) for a, b in changed if a.startswith("来源摘要")]
        amounts = [(a, b) for a, b in changed if not a.startswith("来源摘要")]
        assert len(provenance) == 1  # the digest of the sources follows the YAML
        assert len(amounts) == 1, amounts
        a, b = amounts[0]
        assert a.startswith("| 7 | 中国质量奖（首次） |") and "| 60万元 |" in a
        assert b == a.replace("| 60万元 |", "| 70万元 |")
        # The lines that show other amounts, and all the rest, are untouched.
        assert sum("60万元" in line for line in old) == 1
        diff = list(difflib.unified_diff(old, new, lineterm="", n=0))
        assert len([d for d in diff if d.startswith("+") and not d.startswith("+++")]) == 2


# -- content derived from the policy -------------------------------------------------------------


def _award_amount(source: str) -> str:
    """What the 奖励标准 column must show, read straight from the YAML amount."""
    m = re.fullmatch(r"(\d+)万元(?: × \S+数)?", source)
    assert m, source
    return ("每项" if "×" in source else "") + f"{m.group(1)}万元"


def _docx_rows(data: bytes) -> list[list[str]]:
    doc = docx.Document(io.BytesIO(data))
    return [[c.text for c in row.cells] for t in doc.tables for row in t.rows]


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
        assert f"<td class=\"center\">{amount}" in html


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
    plain = [b for b in hami_2027.blocks if b.kind == "para" and not b.cited]
    assert plain and all(b.text.split("：")[0] in {"咨询及受理单位", "联系电话", "传真", "地址", "邮政编码"}
                         for b in plain)
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
    assert "节假日安排：chinese-calendar" in md


def test_materials_and_checklist_are_derived_from_evidence(hami_2027: Guide) -> None:
    data = hami_2027.data
    common = [e.text for e in data.materials_common]
    assert "营业执照或法人登记证书" in common and "“信用中国”网站信用查询记录" in common
    # Facts the reviewer establishes (supplied_by: authority) are checked, never asked for.
    assert not any("取消申报资格处理决定" in t or "拨付记录" in t for t in common)
    checks = {row.question: row for row in data.checklist}
    assert checks["申报单位是否被列入失信名单？"].evidence == "“信用中国”网站信用查询记录"
    assert checks["哪些资格认定已经获得过本专项资金奖励？"].by_authority
    award_lines = [e.text for e in data.materials_awards]
    assert "中国质量奖、中国质量奖提名奖：获奖证书或表彰文件复印件" in award_lines


def test_every_document_carries_number_version_and_hash(hami_2027: Guide) -> None:
    digest = hami_2027.data.digest
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    md, html = hami_2027.outputs["md"].decode(), hami_2027.outputs["html"].decode()
    for text in (md, html):
        assert "哈政办发〔2026〕10号" in text and "版本 final" in text and digest in text
    doc = docx.Document(io.BytesIO(hami_2027.outputs["docx"]))
    assert digest in doc.core_properties.keywords and "哈政办发〔2026〕10号" in doc.core_properties.keywords
    assert any(digest in p.text for p in doc.paragraphs)
    names = [s.name for s in hami_2027.data.sources]
    assert names[:2] == ["policies/hami-quality-fund/final.yaml", "policies/hami-quality-fund/guides/2027.yaml"]
    assert "policyc:templates/award-fund.j2" in names and "policyc:templates/diff.html.j2" not in names


# -- Word ----------------------------------------------------------------------------------------


def test_word_layout_fonts_and_sizes(hami_2027: Guide) -> None:
    doc = docx.Document(io.BytesIO(hami_2027.outputs["docx"]))
    section = doc.sections[0]
    assert [round(v / 36000) for v in (section.page_width, section.page_height, section.top_margin,
                                       section.bottom_margin, section.left_margin, section.right_margin)] \
        == [210, 297, 37, 35, 28, 26]
    paragraphs = [p for p in doc.paragraphs if p.text]
    assert [p.text for p in paragraphs[:2]] == ["2027年度哈密市质量提升发展专项资金", "申报指南"]
    assert font_of(paragraphs[0]) == ("方正小标宋简体", 22.0)
    by_text = {p.text: p for p in paragraphs}
    assert font_of(by_text["一、申报对象"]) == ("黑体", 16.0)
    assert font_of(by_text["（一）奖励事项条件"]) == ("楷体_GB2312", 16.0)
    body = next(p for p in paragraphs if p.text.startswith("为做好2027年度"))
    assert font_of(body) == ("仿宋_GB2312", 16.0)
    assert body.style.paragraph_format.line_spacing.pt == pytest.approx(28.9)
    assert by_text["2027年2月22日"].paragraph_format.right_indent.pt == 64
    header = doc.tables[0].rows[0]
    assert header._tr.trPr.find(qn("w:tblHeader")) is not None  # repeats on every page
    attachment = by_text["附件"]
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
    assert "节假日安排：calendars/2027.yaml" in out.stdout


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
    assert sorted(first) == [f"hami-quality-fund/guide-{y}.{f}" for y in (2026, 2027) for f in ("docx", "html", "md")]


def test_cli_writes_the_three_formats_the_build_commits(tmp_path: Path) -> None:
    out = run(["guide", "policies/hami-quality-fund/final.yaml", "--year", "2027", "--out-dir", str(tmp_path)])
    assert out.returncode == 0, out.stderr
    for fmt in ("md", "html", "docx"):
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
        '{% do doc.title("本地模板") %}{% do doc.para("只写申报对象。", g.eligibility[0].clauses) %}'
        "{% do doc.provenance() %}", encoding="utf-8")
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
        "2027年度哈密市质量提升发展专项资金", "申报指南"]


def test_citations_merge_items_and_runs_of_articles(hami_2027: Guide) -> None:
    policy = hami_2027.data.policy
    c = policy.clauses
    assert cite_text(policy, [c["exclusions.licence-credit"], c["exclusions.industry-policy"]]) \
        == "第十七条第（一）项、第（二）项"
    assert cite_text(policy, [c[a] for a in ("county-awards", "chain-awards", "enterprise-awards")]) \
        == "第九条至第十一条"
    awards = [a.clause for a in policy.awards if a.qualification]
    assert cite_text(policy, awards, coarse=True) == "第九条至第十二条、第十四条至第十六条"
