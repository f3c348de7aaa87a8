"""`policyc import`: every 办法 of the seeds imports with the structure established by reading it,
nothing of the chosen document is dropped, encodings and .docx give the same YAML, proposals stay
proposals, and bad input is refused with a located Chinese message and no output."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest
from conftest import FIXTURES, ROOT, check_golden

from compiler.cli import main
from compiler.documents.text import normalise, rebuild
from compiler.importer.command import ImportResult, check_source, import_document, read_source
from compiler.model.load import load_policy, policy_from_tree
from compiler.model.policy import Policy
from compiler.source.diagnostics import PolicyError
from compiler.source.yamlsrc import parse_yaml

HAMI_SOURCE = ROOT / "policies/hami-quality-fund/sources/000_4d62ab5317b4088a.txt"
DRAFT_SOURCE = ROOT / "policies/hami-quality-fund/sources/001_431c7889d915f624.txt"
GAZETTE = FIXTURES / "seeds/002_6787d0faba0a791e.txt"
URUMQI = FIXTURES / "seeds/003_82d309117b9b84ff.txt"
YINING = FIXTURES / "seeds/004_a293171fa2d73762.txt"
GOLDEN = Path(__file__).parent / "golden" / "import"


@dataclass(frozen=True)
class Seed:
    source: Path
    document: int | None  # position in the listing of the source file (None: the only 办法)
    policy_id: str
    chapters: list[int]  # articles per printed chapter ([] for a document without 章)
    articles: int
    paragraphs: int  # 款 in all
    items: dict[int, int]  # article → number of 项
    multi_paragraph: dict[int, int]  # article → number of 款, where more than one


# Counts established by reading each document (see docs/import.md § 6).
HAMI_ITEMS = {5: 5, 6: 4, 7: 3, 9: 2, 10: 2, 11: 6, 12: 4, 13: 3, 15: 2, 16: 3, 17: 5, 20: 3, 22: 5}
SEEDS = {
    "hami-final": Seed(HAMI_SOURCE, 2, "hami-quality-fund", [4, 3, 10, 3, 2, 6], 28, 30, HAMI_ITEMS, {13: 2, 14: 2}),
    "hami-draft": Seed(DRAFT_SOURCE, None, "hami-quality-fund", [4, 3, 10, 3, 2, 3, 3], 28, 30, HAMI_ITEMS, {13: 2, 14: 2}),
    "grain": Seed(HAMI_SOURCE, 4, "hami-grain-oil-reserve", [6, 6, 5, 4, 6, 2, 2], 31, 35, {9: 4, 22: 3, 29: 8}, {6: 4, 28: 2}),
    "yining": Seed(YINING, None, "yining-quality-award", [4, 3, 5, 6, 4, 3, 2], 27, 32,
                   {6: 5, 8: 6, 13: 5, 14: 7}, {2: 2, 11: 2, 12: 2, 16: 2, 24: 2}),
    "outpatient": Seed(GAZETTE, 6, "xj-outpatient-mutual-aid", [4, 3, 5, 8, 8, 3, 6], 37, 40,
                       {3: 4, 10: 2, 13: 4}, {8: 2, 14: 3}),
    "cotton": Seed(GAZETTE, 7, "xj-cotton-textile-2024", [], 13, 15, {2: 3, 4: 3, 6: 2, 11: 4}, {13: 3}),
}


def _version(name: str) -> str:
    return "draft" if name == "hami-draft" else "final"


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], ImportResult]:
    """Import a seed the way a drafter does: the source copied into policies/<id>/sources/."""
    cache: dict[str, ImportResult] = {}

    def get(name: str) -> ImportResult:
        if name not in cache:
            seed = SEEDS[name]
            folder = tmp_path_factory.mktemp(name) / "policies" / seed.policy_id
            (folder / "sources").mkdir(parents=True)
            source = folder / "sources" / seed.source.name
            shutil.copyfile(seed.source, source)
            cache[name] = import_document(source, folder / f"{_version(name)}.yaml", document=seed.document)
        return cache[name]

    return get


def _policy(text: str, name: str = "imported.yaml") -> Policy:
    return policy_from_tree(parse_yaml(text, name), name)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_structure_counts_match_the_reading(name: str, imported: Callable[[str], ImportResult]) -> None:
    seed, imp = SEEDS[name], imported(name)
    policy = _policy(imp.yaml_text)
    if seed.chapters:
        assert [len(c.articles) for c in policy.chapters] == seed.chapters
        assert all(c.title for c in policy.chapters)
    else:
        assert [c.title for c in policy.chapters] == [""] and policy.meta.numbering == "measures"
    assert len(policy.articles) == seed.articles
    assert sum(len(a.children) or 1 for a in policy.articles) == seed.paragraphs
    items = {a.article_no: sum(len(p.children) for p in a.children) for a in policy.articles}
    assert {k: v for k, v in items.items() if v} == seed.items
    assert {a.article_no: len(a.children) for a in policy.articles if len(a.children) > 1} == seed.multi_paragraph


def test_measures_keep_their_headings(imported: Callable[[str], ImportResult]) -> None:
    policy = _policy(imported("cotton").yaml_text)
    titles = [a.title for a in policy.articles]
    assert titles[:3] == ["出疆棉运费补贴", "纺织产品出疆运费补贴", "地产聚酯纤维原料使用补贴"]
    assert titles[11] is None and policy.articles[11].text == "取消纺织服装信贷风险补偿基金"  # 十二: heading only
    assert titles[12] == "其他" and policy.articles[12].children[2].text == "新疆生产建设兵团参照执行。"
    assert "十二、取消纺织服装信贷风险补偿基金\n十三、其他\n在新疆境内" in rebuild(policy)


def test_hami_final_reproduces_the_hand_transcription(imported: Callable[[str], ImportResult]) -> None:
    """Article by article, 款 by 款, 项 by 项: the import equals final.yaml's verbatim texts."""
    mine, theirs = _policy(imported("hami-final").yaml_text), load_policy(ROOT / "policies/hami-quality-fund/final.yaml")
    assert [c.title for c in mine.chapters] == [c.title for c in theirs.chapters]

    def shape(policy: Policy) -> list[object]:
        out: list[object] = []
        for a in policy.articles:
            paras = [(p.text, p.inline_items, [i.text for i in p.children]) for p in a.children]
            out.append((a.article_no, a.text, paras))
        return out

    for got, want in zip(shape(mine), shape(theirs), strict=True):
        assert got == want
    assert rebuild(mine).splitlines()[1:] == rebuild(theirs).splitlines()[1:]


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_nothing_is_dropped(name: str, imported: Callable[[str], ImportResult]) -> None:
    """Source lines of the document, minus exactly what the report says was removed or kept out,
    normalise to the text rebuilt from the YAML — in order, character for character."""
    imp = imported(name)
    lines = imp.source.text.split("\n")
    first, last = imp.parsed.lines
    kept_out = {n for ex in imp.parsed.excluded for n in range(ex.first, ex.last + 1)}
    for ex in imp.parsed.excluded:
        assert ex.text.split("\n")[0] == lines[ex.first - 1] and ex.text in imp.report
    removals: dict[int, list[tuple[int, str]]] = {}
    for repair in imp.parsed.repairs:
        if repair.removed:
            removals.setdefault(repair.line, []).append((repair.col, repair.removed))
    remaining = []
    for number in range(first, last + 1):
        if number in kept_out:
            continue
        text = lines[number - 1]
        for col, removed in sorted(removals.get(number, []), reverse=True):
            assert text[col - 1 : col - 1 + len(removed)] == removed, (number, col, removed)
            text = text[: col - 1] + text[col - 1 + len(removed) :]
        remaining.append(text)
    source = normalise("\n".join(remaining))
    policy = _policy(imp.yaml_text)
    title = normalise(imp.meta.document_title)
    assert source.startswith(title)
    assert source[len(title) :] == normalise(rebuild(policy))[len(normalise(policy.meta.title)) :]


def test_repairs_are_the_ones_found_by_reading(imported: Callable[[str], ImportResult]) -> None:
    def lines(name: str, kind: str) -> list[int]:
        return [r.line for r in imported(name).parsed.repairs if r.kind == kind]

    # 门诊共济: 第二条, 第三条（四）, 第九条, 第十三条（一）, 第十四条第二款, 第十八条, 第二十三条, 第三十二条.
    assert lines("outpatient", "page-break") == [357, 366, 386, 404, 416, 428, 442, 466]
    (dup,) = [r for r in imported("outpatient").parsed.repairs if r.kind == "duplicate"]
    assert (dup.line, dup.removed) == (366, "基")
    policy = _policy(imported("outpatient").yaml_text)
    assert policy.articles[2].children[0].children[3].text.startswith("坚持因地制宜，在整体设计基础上，")
    # 棉纺: 二（一）, 二（三） (across four blank lines), 四（三）, 六（二）, 九, 十一（一）, 十一（四）.
    assert lines("cotton", "page-break") == [494, 502, 516, 528, 542, 552, 560]
    assert "利用超过50%以上的非地产纱线" in _policy(imported("cotton").yaml_text).articles[1].children[0].children[2].text
    assert "最高补贴不超过1000万元" in _policy(imported("cotton").yaml_text).articles[10].children[0].children[0].text
    # 伊宁: 第四条, 第十四条（四）, 第二十四条第二款.
    assert lines("yining", "page-break") == [29, 93, 129]
    for name in SEEDS:
        if name != "outpatient":
            assert lines(name, "duplicate") == [], name
    for name in ("hami-final", "hami-draft", "grain"):
        assert lines(name, "page-break") == lines(name, "line-break") == [], name
    assert [r.detail for r in imported("hami-final").parsed.repairs] == ["「第1章」按第一章处理"]


@pytest.mark.parametrize(("name", "expected"), [
    ("hami-final", {"doc_number": "哈政办发〔2026〕10号", "issuer": "哈密市人民政府办公室", "published": "2026-04-18",
                    "status": "issued", "effective": ("2026-05-19", 30, "a28"), "until": "2029-05-18", "repeals": []}),
    ("grain", {"doc_number": "哈政办规〔2026〕1号", "issuer": "哈密市人民政府办公室", "published": "2026-04-20",
               "status": "issued", "effective": ("2026-05-21", 30, "a31"), "until": None,
               "repeals": [("哈政办规〔2022〕4号", "哈密市市级成品粮油储备管理办法")]}),
    ("yining", {"doc_number": "伊市政办规〔2025〕3号", "issuer": "伊宁市人民政府办公室", "published": "2025-12-16",
                "status": "issued", "effective": ("2026-01-31", None, "a27"), "until": "2031-01-30",
                "repeals": [("伊市政办规〔2018〕41号", "关于印发〈伊宁市质量奖评定管理办法〉的通知")]}),
    ("outpatient", {"doc_number": "新政办发〔2024〕13号", "issuer": "新疆维吾尔自治区人民政府办公厅",
                    "published": "2024-03-23", "status": "issued", "effective": ("2024-04-26", None, "a37"),
                    "until": "2029-04-25",
                    "repeals": [("新政办发〔2021〕115号", "关于印发新疆维吾尔自治区职工基本医疗保险门诊共济保障实施办法的通知")]}),
    ("cotton", {"doc_number": "新政办发〔2024〕16号", "issuer": "新疆维吾尔自治区人民政府办公厅", "published": "2024-04-03",
                "status": "issued", "effective": ("2024-01-01", None, "a13.p2"), "until": "2027-12-31", "repeals": []}),
    ("hami-draft", {"doc_number": None, "issuer": "哈密市市场监督管理局", "published": None, "status": "draft",
                    "effective": None, "until": None, "repeals": []}),
])
def test_metadata(name: str, expected: dict[str, object], imported: Callable[[str], ImportResult]) -> None:
    m = _policy(imported(name).yaml_text).meta
    assert m.doc_number == expected["doc_number"]
    assert m.issuer == expected["issuer"]
    assert (m.published.isoformat() if m.published else None) == expected["published"]
    assert m.status == expected["status"]
    eff = (m.effective_date.isoformat(), m.after_publication_days, m.effective_clause) if m.effective_date else None
    assert eff == expected["effective"]
    assert (m.valid_until.isoformat() if m.valid_until else None) == expected["until"]
    assert [(n, t) for n, t in m.repeals] == expected["repeals"]


def test_draft_metadata_comes_from_the_consultation_notice(imported: Callable[[str], ImportResult]) -> None:
    imp = imported("hami-draft")
    m = _policy(imp.yaml_text).meta
    assert (m.title, m.document_title) == ("哈密市质量提升发展专项资金管理办法", "哈密市质量提升发展专项资金管理办法(征求意见稿)")
    assert m.consultation["from"] == "2026-02-12" and m.consultation["to"] == "2026-02-27"
    assert m.consultation["by"] == "哈密市市场监督管理局"
    assert m.consultation["contacts"] == {"联系电话": "0902-2268450", "传真": "0902-2251069", "邮编": "839000",
                                          "地址": "哈密市伊州区前进西路14号"}
    # 自发布之日起30日后实施 cannot be dated for a draft: said in the report, not invented.
    assert m.effective_date is None and "需要发布日期" in imp.report


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_imported_policies_pass_check_source(name: str, imported: Callable[[str], ImportResult]) -> None:
    imp = imported(name)
    output = imp.source.path.parent.parent / f"{imp.version}.yaml"
    diags, parsed = check_source(_policy(imp.yaml_text, str(output)), output, None)
    assert diags == [] and parsed is not None
    assert parsed.repairs == imp.parsed.repairs  # check-source repairs the source exactly as the import did


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_encodings_and_docx_import_to_identical_yaml(name: str, tmp_path: Path,
                                                     imported: Callable[[str], ImportResult]) -> None:
    seed, reference = SEEDS[name], imported(name)
    text = seed.source.read_text(encoding="utf-8")
    gb = tmp_path / "source.gb18030.txt"
    gb.write_bytes(text.encode("gb18030"))
    bom = tmp_path / "source.bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    word = tmp_path / "source.docx"
    document = docx.Document()
    for line in text.split("\n"):  # one paragraph per line
        document.add_paragraph(line)
    document.save(str(word))
    without_file = re.compile(r"(?m)^    file: .*$")
    expected = without_file.sub("", reference.yaml_text)
    for path, encoding in ((gb, "GB18030"), (bom, "UTF-8（带 BOM）"), (word, "docx")):
        imp = import_document(path, tmp_path / "p" / f"{_version(name)}.yaml", document=seed.document,
                              policy_id=seed.policy_id)
        assert imp.source.encoding == encoding
        assert without_file.sub("", imp.yaml_text) == expected


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_proposals_are_never_live_rules(name: str, imported: Callable[[str], ImportResult]) -> None:
    """As written, the file has no rule at all; uncommented, every proposal is a valid rule."""
    imp = imported(name)
    written, live = _policy(imp.yaml_text), _policy(imp.live_yaml_text)
    assert written.awards == [] and written.facts == {}
    usable = [p for ps in imp.proposals.values() for p in ps if p.usable]
    assert len(live.awards) == len(usable)
    assert all(a.id.startswith("auto-") and (a.note or "").startswith("待确认（自动提取）") for a in live.awards)
    for address in imp.proposals:
        assert (written.clauses[address].note or "").startswith("待确认（自动提取）")
    assert imp.yaml_text.count("\n") == imp.live_yaml_text.count("\n")


def test_hami_proposals_match_the_hand_encoded_amounts(imported: Callable[[str], ImportResult]) -> None:
    """Where final.yaml's amounts are literal, the proposals on the same clause propose exactly them
    (with 首次 and 一次性); 第十三条 multiplies by the number of standards, which no wording says."""
    live = _policy(imported("hami-final").live_yaml_text)
    final = load_policy(ROOT / "policies/hami-quality-fund/final.yaml")

    def amounts(policy: Policy) -> dict[str, Counter[tuple[str, bool, bool]]]:
        out: dict[str, Counter[tuple[str, bool, bool]]] = {}
        for a in policy.awards:
            out.setdefault(a.clause.cite, Counter())[(getattr(a.amount, "text", ""), a.first_time, a.one_time)] += 1
        return out

    got, want = amounts(live), amounts(final)
    literal = {cite for cite, c in want.items() if all(re.fullmatch(r"\d+万元", k[0]) for k in c)}
    assert set(got) == set(want)
    assert len(literal) == 20
    for cite in literal:
        assert got[cite] == want[cite], cite


def test_a_proposal_the_checker_rejects_is_not_written(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The import validates the file with every proposal uncommented; a proposal that would not
    compile is dropped to a note, so uncommenting never yields a broken policy."""
    from compiler.importer import importing
    from compiler.importer.proposals import Proposal

    real = importing.propose

    def broken(text: str, title: str, rule_id: str, counter: list[int]) -> list[Proposal]:
        found = real(text, title, rule_id, counter)
        if rule_id == "auto-a9-i1":
            found[0].amount = "20万元 +"  # a syntax error
        return found

    monkeypatch.setattr(importing, "propose", broken)
    imp = import_document(HAMI_SOURCE, tmp_path / "policies/h/final.yaml", document=2)
    (rejected,) = imp.proposals["a9.i1"]
    assert not rejected.usable and "auto-a9-i1-1" not in imp.yaml_text
    assert "auto-a9-i2-1" in imp.yaml_text  # the others stay
    assert "本条款写有金额（20万元 +），未能生成可用的规则草案，需人工编码" in imp.yaml_text
    assert len(_policy(imp.live_yaml_text).awards) == 38


def test_cotton_proposals_name_their_base(imported: Callable[[str], ImportResult]) -> None:
    amounts = {p.amount for ps in imported("cotton").proposals.values() for p in ps}
    assert "min(实际投资额 × 40%, 1000万元)" in amounts and "min(实际投资额 × 30%, 800万元)" in amounts
    grain = imported("grain").proposals
    (only,) = [p for ps in grain.values() for p in ps]
    assert (only.amount, only.usable) == ("0.43元/公斤/年", False)  # flagged, not turned into a rule


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_golden_yaml_and_report(name: str, imported: Callable[[str], ImportResult], update_golden: bool) -> None:
    imp = imported(name)
    check_golden(GOLDEN / f"{name}.yaml", imp.yaml_text, update_golden)
    check_golden(GOLDEN / f"{name}.import-report.md", imp.report, update_golden)


# -- the command line -------------------------------------------------------------------------


def test_listing_shows_every_document(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(HAMI_SOURCE)]) == 0
    out = capsys.readouterr().out
    assert "中有 9 个文件" in out
    assert "[2] 第 14 行　哈密市质量提升发展专项资金管理办法（试行）　— 可导入：6 章，28 条，30 款，47 项" in out
    assert "[4] 第 106 行　哈密市市级成品粮油储备管理办法（试行）　— 可导入：7 章，31 条，35 款，15 项" in out
    assert "[1] 第 1 行" in out and "发文通知，见第 2 个文件" in out
    assert main(["import", str(GAZETTE)]) == 0
    out = capsys.readouterr().out
    assert "可导入：13 项措施，15 款，12 项" in out and out.count("可导入") == 2


def test_import_writes_policy_and_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "policies" / "yining-quality-award"
    (folder / "sources").mkdir(parents=True)
    shutil.copyfile(YINING, folder / "sources" / YINING.name)
    out = folder / "final.yaml"
    assert main(["import", str(folder / "sources" / YINING.name), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "7 章，27 条，32 款，23 项" in printed
    assert (folder / "final.import-report.md").is_file()
    policy = load_policy(out)
    assert policy.policy_id == "yining-quality-award" and policy.meta.source_file == f"sources/{YINING.name}"
    assert main(["validate", str(out)]) == 0
    assert main(["check-source", str(out)]) == 0
    # A second import does not overwrite the (possibly hand-edited) policy.
    assert main(["import", str(folder / "sources" / YINING.name), "-o", str(out)]) == 2
    assert "已存在" in capsys.readouterr().err


def _no_output(folder: Path) -> bool:
    return not folder.exists() or not any(folder.iterdir())


@pytest.mark.parametrize(("content", "fragment"), [
    (b"", "是空的"),
    (b"  \n\n \r\n", "是空的"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "二进制"),
    (b"PK\x03\x04" + b"\x00" * 30, "不是文本或 Word 文件"),
    ("第一条 为了……\n第二条 本办法".encode() + b"\n\xff\xfe\xfa", "编码无法识别：第 3 行"),
    ("关于什么的说明\n一、背景\n二、过程\n".encode(), "没有可以导入的办法"),
    ("某某办法\n第一条 甲。\n第二条 乙。\n第四条 丙。\n".encode(), "条的编号不连续"),
    ("某某办法\n第一条 甲：\n（一）子；\n（三）丑。\n".encode(), "项的编号不连续"),
])
def test_bad_input_is_refused_and_nothing_written(content: bytes, fragment: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "bad.txt"
    source.write_bytes(content)
    out_dir = tmp_path / "policies" / "bad"
    assert main(["import", str(source), "-o", str(out_dir / "final.yaml")]) == 1
    err = capsys.readouterr().err
    assert fragment in err and "bad.txt:" in err
    assert _no_output(out_dir)


def test_urumqi_drafting_explanation_is_refused(tmp_path: Path) -> None:
    out_dir = tmp_path / "policies" / "urumqi"
    run = subprocess.run([sys.executable, "-m", "compiler", "import", str(URUMQI), "-o", str(out_dir / "final.yaml")],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "003_82d309117b9b84ff.txt:1:1: 错误[E605]" in run.stderr and "这是起草说明，不是办法正文" in run.stderr
    assert _no_output(out_dir)


@pytest.mark.parametrize(("args", "code", "fragment"), [
    (["--document", "99"], 1, "--document 99 超出范围：tests/fixtures/seeds/002_6787d0faba0a791e.txt 中共有 17 个文件"),
    (["--document", "1"], 1, "第 1 个文件「新疆维吾尔自治区人民政府公报」不是办法"),
    (["--title", "质量奖"], 1, "没有标题含「质量奖」的办法"),
    ([], 2, "中有 2 个办法，请用 --document N 或 --title 标题 指定"),
    (["--document", "6", "--title", "棉花"], 2, "只能用一个"),
])
def test_choosing_a_document(args: list[str], code: int, fragment: str, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    out_dir = tmp_path / "policies" / "x"
    assert main(["import", str(GAZETTE.relative_to(ROOT)), *args, "-o", str(out_dir / "final.yaml")]) == code
    assert fragment in capsys.readouterr().err
    assert _no_output(out_dir)


def test_output_name_must_be_a_policy_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import", str(YINING), "-o", str(tmp_path / "Policies_X" / "final.yaml")]) == 2
    assert "不是有效的编号" in capsys.readouterr().err
    assert not (tmp_path / "Policies_X").exists()


def test_read_source_reports_utf16_and_docx(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes("第一条 甲。".encode("utf-16"))
    assert read_source(path).encoding == "UTF-16"
    damaged = tmp_path / "d.docx"
    damaged.write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(PolicyError, match="不是文本或 Word 文件"):
        read_source(damaged)
