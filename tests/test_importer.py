"""`policyc import`: every 办法 of the seeds imports with the structure established by reading it,
nothing of the chosen document is dropped, encodings and .docx give the same YAML, proposals stay
proposals, and bad input is refused with a located Chinese message and no output."""

from __future__ import annotations

import datetime as dt
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
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.cli import main
from compiler.documents.text import normalise, rebuild
from compiler.importer.command import ImportResult, check_source, import_document, read_source
from compiler.model.load import load_policy, policy_from_tree
from compiler.model.policy import Policy
from compiler.source.diagnostics import PolicyError, UsageError
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
    ("某某办法\n第一条 甲。\n（二）丁。\n".encode(), "第一项应为（一），这里是「（二）」"),
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


# -- real documents from other cities and mirrors (tests/fixtures/import/real, with provenance) ---

REAL = FIXTURES / "import" / "real"


@dataclass(frozen=True)
class Real:
    """A real 办法 in a shape the seeds lack; counts established by reading (see its provenance)."""

    file: str
    document: int | None  # position in the listing (None: the only importable document)
    chapters: list[int]  # articles per printed chapter ([] without 章)
    articles: int
    paragraphs: int
    items: int
    meta: dict[str, str]  # expected meta fields (as printed in the YAML)


REALS = {
    "anshan": Real("anshan-administrative-review.txt", None, [], 3, 3, 0,
                   {"title": "鞍山市行政复议程序规定", "published": "1994-05-18"}),
    "bank-draft": Real("bank-wealth-management-draft.txt", None, [3], 3, 4, 0,
                       {"title": "商业银行理财业务监督管理办法", "status": "draft"}),
    "internet-1": Real("internet-rules-pinyin-traditional.txt", None, [], 3, 9, 0,
                       {"title": "中华人民共和国计算机信息网络国际联网管理暂行规定实施办法"}),
    "internet-2": Real("internet-rules-pinyin-traditional-2.txt", None, [], 3, 9, 0,
                       {"title": "中华人民共和国计算机信息网络国际联网管理暂行规定实施办法"}),
    "mof": Real("mof-preliminary-work-funds.txt", None, [], 1, 1, 0,
                {"doc_number": "财建〔2006〕689号", "issuer": "财政部", "published": "2006-10-26"}),
    "puyang": Real("puyang-manhole-covers.txt", None, [], 4, 5, 0,
                   {"doc_number": "濮政办〔2011〕19号", "issuer": "河南省濮阳市人民政府办公室", "published": "2011-03-30"}),
    "swimming": Real("shanghai-swimming-traditional.txt", None, [], 5, 9, 0,
                     {"title": "上海市游泳场所开放服务规定", "doc_number": "沪府发〔2005〕21号",
                      "issuer": "上海市人民政府", "published": "2005-06-29"}),
    "tianjin-hotline": Real("tianjin-hotline.txt", None, [5], 5, 6, 7,
                            {"title": "天津市为民服务网络专线电话工作办法", "issuer": "天津市人民政府"}),
    "xiamen": Real("xiamen-wall-materials.txt", None, [], 6, 9, 0,
                   {"title": "厦门市新型墙体材料管理规定", "issuer": "福建省厦门市人民政府"}),
    "tianjin-measures": Real("tianjin-manufacturing-measures.txt", None, [], 1, 1, 1,
                             {"title": "天津市推动制造业高质量发展若干政策措施", "doc_number": "津政办规〔2023〕4号",
                              "issuer": "天津市人民政府办公厅", "published": "2023-04-11", "numbering": "measures"}),
    "hengyang": Real("hengyang-awards-opinions.txt", None, [], 1, 1, 0,
                     {"issuer": "衡阳市人民政府办公室", "published": "2021-09-02", "numbering": "measures"}),
    "agri": Real("shanghai-agri-extension.md", None, [8, 7, 5, 9, 5, 2], 36, 58, 42,
                 {"title": "上海市实施《中华人民共和国农业技术推广法》办法"}),
}


@pytest.fixture(scope="session")
def imported_real(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], ImportResult]:
    cache: dict[str, ImportResult] = {}

    def get(name: str) -> ImportResult:
        if name not in cache:
            real = REALS[name]
            folder = tmp_path_factory.mktemp(name) / "policies" / f"real-{name}"
            (folder / "sources").mkdir(parents=True)
            source = folder / "sources" / real.file
            shutil.copyfile(REAL / real.file, source)
            cache[name] = import_document(source, folder / "final.yaml", document=real.document)
        return cache[name]

    return get


def _kept_text(imp: ImportResult) -> str:
    """The chosen document's source lines with exactly what the report says was removed taken out
    and every recorded replacement (a mirror's traditional characters) made, lines kept out dropped."""
    lines = imp.source.text.split("\n")
    first, last = imp.parsed.lines
    kept_out = {n for ex in imp.parsed.excluded for n in range(ex.first, ex.last + 1)}
    edits: dict[int, list[tuple[int, str, str]]] = {}
    for repair in imp.parsed.repairs:
        if repair.kind == "traditional":
            new = re.fullmatch(r"改为「(.*)」", repair.detail)
            assert new is not None and len(new.group(1)) == len(repair.removed), repair
            edits.setdefault(repair.line, []).append((repair.col, repair.removed, new.group(1)))
        elif repair.removed:
            edits.setdefault(repair.line, []).append((repair.col, repair.removed, ""))
    remaining = []
    for number in range(first, last + 1):
        if number in kept_out:
            continue
        text = lines[number - 1]
        for col, removed, new in sorted(edits.get(number, []), reverse=True):
            assert text[col - 1 : col - 1 + len(removed)] == removed, (number, col, removed)
            text = text[: col - 1] + new + text[col - 1 + len(removed) :]
        remaining.append(text)
    return "\n".join(remaining)


def test_every_real_fixture_has_its_provenance() -> None:
    files = sorted(p for p in REAL.iterdir() if not p.name.endswith(".provenance.md"))
    assert len(files) >= 10
    for path in files:
        sidecar = path.with_name(f"{path.stem}.provenance.md")
        text = sidecar.read_text(encoding="utf-8")
        assert re.search(r"(?m)^- (Source: (https?://|repository )|Made by us from)", text), sidecar
        assert "Retrieved: 20" in text and "Shape:" in text, sidecar


@pytest.mark.parametrize("name", sorted(REALS))
def test_real_documents_import_with_the_counts_read(name: str, imported_real: Callable[[str], ImportResult]) -> None:
    real, imp = REALS[name], imported_real(name)
    policy = _policy(imp.yaml_text)
    assert [len(c.articles) for c in policy.chapters if c.title] == real.chapters
    assert len(policy.articles) == real.articles
    assert sum(len(a.children) or 1 for a in policy.articles) == real.paragraphs
    assert sum(len(p.children) for a in policy.articles for p in a.children) == real.items
    meta = parse_yaml(imp.yaml_text, "x.yaml")["meta"]
    for key, value in real.meta.items():
        assert str(meta[key]) == value, key


@pytest.mark.parametrize("name", sorted(REALS))
def test_real_documents_pass_check_source_and_drop_nothing(name: str, imported_real: Callable[[str], ImportResult]) -> None:
    imp = imported_real(name)
    policy_path = Path(imp.source.path).parent.parent / "final.yaml"
    policy_path.write_text(imp.yaml_text, encoding="utf-8")
    diags, _ = check_source(load_policy(policy_path), policy_path, None)
    assert diags == []
    for ex in imp.parsed.excluded:
        assert ex.text in imp.report
    source = normalise(_kept_text(imp))
    policy = _policy(imp.yaml_text)
    title = normalise(imp.meta.document_title)
    assert source.startswith(title), source[:40]
    assert source[len(title) :] == normalise(rebuild(policy))[len(normalise(policy.meta.title)) :]


def test_mirror_traditional_and_pinyin_are_undone_and_listed(imported_real: Callable[[str], ImportResult]) -> None:
    """The issued text is simplified; a mirror's traditional characters and the pinyin it inserted
    are each a repair in the report, and undoing them gives back the mirror's text."""
    one, two = imported_real("internet-1"), imported_real("internet-2")
    structure = one.yaml_text.split("\nstructure:", 1)[1]
    assert "條" not in structure and "辦" not in structure and not re.search(r"[(（][a-z]+[)）]", structure)
    assert "本办法下列用语的含义是" in structure
    kinds = Counter(r.kind for r in one.parsed.repairs)
    assert kinds["pinyin"] > 50 and kinds["traditional"] > 50
    assert all(re.fullmatch(r"(?:\([a-z]+\))+", r.removed) for r in one.parsed.repairs if r.kind == "pinyin")
    assert "删除转载网站插入的拼音" in one.report and "`(xin)(xin)`" in one.report
    assert "繁体字改为简体" in one.report and "`第一條為`" not in one.report and "改为「条为」" in one.report
    # Two mirrors with different insertions give the same clauses.
    assert rebuild(_policy(one.yaml_text)) == rebuild(_policy(two.yaml_text))


def test_pinyin_with_tone_marks_is_found() -> None:
    from compiler.importer.lines import lines_of

    source = read_source(REAL / "shanghai-rules-decision-tone-pinyin.txt")
    lines = lines_of(source)
    assert lines[0].clean == "上海市人民政府关于修改和废止部分市政府规章的决定"
    removed = [r.removed for ln in lines for r in ln.markup if r.kind == "pinyin"]
    assert removed == ["(guī)", "(guī)", "(jīng)", "(xiàn)"]


def test_a_simplified_text_is_never_converted(imported: Callable[[str], ImportResult]) -> None:
    for name in SEEDS:
        assert not {r.kind for r in imported(name).parsed.repairs} & {"pinyin", "traditional"}, name


def test_bracketed_subject_is_the_article_title(imported_real: Callable[[str], ImportResult], tmp_path: Path) -> None:
    policy = _policy(imported_real("bank-draft").yaml_text)
    assert [a.title for a in policy.articles] == ["(立法依据)", "(适用范围)", "(定义)"]
    assert policy.articles[0].text.startswith("为加强对商业银行理财业务的监督管理")
    # The Shanghai layout: a space before the subject, the text on the same line or the next.
    source = tmp_path / "policies" / "sh" / "sources" / "sh.txt"
    source.parent.mkdir(parents=True)
    source.write_text("某某市某某办法\n第一条　（目的和依据）为了规范某某工作，制定本办法。\n"
                      "第二条　（适用范围）\n本办法适用于本市。\n", encoding="utf-8")
    imp = import_document(source, source.parent.parent / "final.yaml")
    arts = _policy(imp.yaml_text).articles
    assert [(a.title, a.text or a.children[0].text) for a in arts] == [
        ("（目的和依据）", "为了规范某某工作，制定本办法。"), ("（适用范围）", "本办法适用于本市。")]
    assert not imp.parsed.repairs  # nothing was joined or removed


def test_a_table_of_contents_is_kept_out(imported_real: Callable[[str], ImportResult]) -> None:
    imp = imported_real("bank-draft")
    assert [ex.what for ex in imp.parsed.excluded] == ["目录"]
    assert imp.parsed.excluded[0].text.startswith("第一章总则\n第二章分类管理")
    assert imp.meta.document_title == "商业银行理财业务监督管理办法(征求意见稿)"


def test_metadata_lines_next_to_the_title_are_metadata(imported_real: Callable[[str], ImportResult]) -> None:
    hotline = imported_real("tianjin-hotline")
    assert hotline.meta.title == "天津市为民服务网络专线电话工作办法"  # not the issuer line under it
    assert hotline.meta.issuer == "天津市人民政府" and "发文机关：第 10 行（标题之前单独一行）" in hotline.meta.found
    assert [ex.text for ex in hotline.parsed.excluded] == ["天津市人民政府"]  # the line under the title
    xiamen = imported_real("xiamen")
    assert "发文机关：第 8 行（标题之前单独一行）" in xiamen.meta.found
    puyang = imported_real("puyang")
    assert [d.title for d in find_docs(puyang)] == [
        "", "濮阳市人民政府办公室关于印发濮阳市城市道路窨井设施管理暂行办法的通知", "濮阳市城市道路窨井设施管理暂行办法"]


def find_docs(imp: ImportResult) -> list[object]:
    from compiler.importer.documents import find_documents
    from compiler.importer.lines import lines_of

    return find_documents(lines_of(imp.source))  # type: ignore[return-value]


def test_issuers_dates_and_numbers_on_their_own_lines() -> None:
    from compiler.importer.lines import date_of, issuer_of
    from compiler.importer.metadata import doc_number_of

    # Several issuers on one line (财科教〔2017〕6号, issued jointly by four ministries).
    assert issuer_of("财政部 科技部 教育部 发展改革委") == "财政部、科技部、教育部、发展改革委"
    assert issuer_of("财政部、科技部") == "财政部、科技部"
    assert issuer_of("市长:董伟") is None
    assert date_of("二○○五年六月二十九日") == dt.date(2005, 6, 29)
    assert date_of("一九九四年五月十八日") == dt.date(1994, 5, 18)
    assert doc_number_of("2006年10月26日 财建〔2006〕689号") == "财建〔2006〕689号"
    assert doc_number_of("津政办规〔2023〕4号           2023-04-11") == "津政办规〔2023〕4号"


def test_measures_under_their_own_title(imported_real: Callable[[str], ImportResult]) -> None:
    """一、 alone on a line, a sub-heading （一） and numbered sub-points 1. below it."""
    policy = _policy(imported_real("tianjin-measures").yaml_text)
    (art,) = policy.articles
    assert art.title == "推动产业高质量发展"
    (item,) = art.children[0].children
    assert item.text.startswith("发挥重大项目关键性作用\n1.支持工业企业高质量投资。对总投资5000万元以上")
    amounts = {p.amount for ps in imported_real("tianjin-measures").proposals.values() for p in ps}
    assert amounts == {"min(计算基数甲 × 10%, 5000万元)", "min(计算基数乙 × 20%, 3000万元)"}
    hengyang = _policy(imported_real("hengyang").yaml_text)
    assert hengyang.meta.title.endswith("实施意见(试行)") and hengyang.articles[0].title == "指导思想和总体目标"


def test_an_excerpt_keeps_its_source_numbering(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An excerpt starting at 第三章 / 第十六条: read and counted, the gap said, and imported with
    the source's numbering (meta.excerpt), so 第十六条 prints and is cited as 第十六条."""
    excerpt = REAL / "shanghai-agri-extension-excerpt-chapter-3.md"
    assert main(["import", str(excerpt)]) == 0
    out = capsys.readouterr().out
    assert ("源文件是节选，从第三章第十六条开始（第一章至第二章、第一条至第十五条不在源文件中），"
            "4 章，21 条，34 款，16 项；按原编号导入") in out
    out_dir = tmp_path / "policies" / "agri"
    (out_dir / "sources").mkdir(parents=True)
    shutil.copy(excerpt, out_dir / "sources" / excerpt.name)
    assert main(["import", str(out_dir / "sources" / excerpt.name), "-o", str(out_dir / "final.yaml")]) == 0
    capsys.readouterr()
    text = (out_dir / "final.yaml").read_text(encoding="utf-8")
    assert "  excerpt:\n    first_chapter: 3\n    first_article: 16\n" in text
    policy = policy_from_tree(parse_yaml(text, str(out_dir / "final.yaml")), str(out_dir / "final.yaml"))
    assert policy.articles[0].cite == "第十六条" and policy.articles[-1].cite == "第三十六条"
    assert [c.number for c in policy.chapters] == [3, 4, 5, 6]
    diags, parsed = check_source(policy, out_dir / "final.yaml", None)
    assert diags == [] and parsed is not None


def test_a_gap_is_still_an_error_when_the_text_is_not_an_excerpt(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "gap.txt"
    source.write_text("某某办法\n第一章 总则\n第一条 甲。\n第三章 附则\n第二条 乙。\n", encoding="utf-8")
    assert main(["import", str(source), "-o", str(tmp_path / "policies" / "g" / "final.yaml")]) == 1
    assert "章的编号不连续" in capsys.readouterr().err


def test_table_rows_are_rows(tmp_path: Path) -> None:
    """A table of amounts, as a .docx table or as text rows: one 款 per row, never joined, the
    amounts flagged for manual encoding."""
    folder = tmp_path / "policies" / "t"
    (folder / "sources").mkdir(parents=True)
    document = docx.Document()
    for text in ["某某市科技奖励办法", "第一条 为鼓励科技创新，制定本办法。", "第二条 奖励标准如下："]:
        document.add_paragraph(text)
    table = document.add_table(rows=3, cols=3)
    merged = table.cell(1, 0).merge(table.cell(2, 0))  # a merged cell is read once, in its first row
    for r, row in enumerate([["奖项", "等级", "奖金"], ["", "一等奖", "10万元"], ["", "二等奖", "5万元"]]):
        for c, value in enumerate(row):
            if value:
                table.cell(r, c).text = value
    merged.text = "科技进步奖"
    document.add_paragraph("第三条 本办法自发布之日起施行。")
    document.save(folder / "sources" / "t.docx")
    text_rows = ("某某市科技奖励办法\n第一条 为鼓励科技创新，制定本办法。\n第二条 奖励标准如下：\n"
                 "奖项 | 等级 | 奖金\n科技进步奖 | 一等奖 | 10万元\n科技进步奖 | 二等奖 | 5万元\n第三条 本办法自发布之日起施行。\n")
    (folder / "sources" / "t.txt").write_text(text_rows, encoding="utf-8")
    for name, rows in (("t.docx", ["奖项\t等级\t奖金", "科技进步奖\t一等奖\t10万元", "二等奖\t5万元"]),
                       ("t.txt", ["奖项 | 等级 | 奖金", "科技进步奖 | 一等奖 | 10万元", "科技进步奖 | 二等奖 | 5万元"])):
        imp = import_document(folder / "sources" / name, folder / "final.yaml")
        art = _policy(imp.yaml_text).articles[1]
        assert [p.text for p in art.children] == ["奖励标准如下：", *rows], name
        assert [(p.amount, p.usable) for ps in imp.proposals.values() for p in ps] == [("10万元", False), ("5万元", False)]
        (folder / "final.yaml").write_text(imp.yaml_text, encoding="utf-8")
        assert check_source(load_policy(folder / "final.yaml"), folder / "final.yaml", folder / "sources" / name)[0] == []


def test_a_notice_says_which_document_is_the_banfa(tmp_path: Path) -> None:
    """A notice followed by two documents names the one it issues; with -o and no choice that one
    is imported. (Made from two real fixtures: the 濮阳 notice and 办法, then the 厦门 规定.)"""
    folder = tmp_path / "policies" / "puyang"
    (folder / "sources").mkdir(parents=True)
    puyang = (REAL / "puyang-manhole-covers.txt").read_text(encoding="utf-8")
    xiamen = (REAL / "xiamen-wall-materials.txt").read_text(encoding="utf-8").split("\n", 10)[-1]
    source = folder / "sources" / "two.txt"
    source.write_text(puyang + "\n\n" + xiamen, encoding="utf-8")
    imp = import_document(source, folder / "final.yaml")
    assert imp.meta.title == "濮阳市城市道路窨井设施管理暂行办法" and imp.meta.doc_number == "濮政办〔2011〕19号"


_FRAGMENTS = ["某某市某某办法", "第一章 总则", "第三章 附则", "第一条 为了甲，制定本办法。", "第二条 （适用范围）",
              "第九条 乙。", "（一）丙；", "（二）丁。", "1.戊。", "2、己", "一、支持对象", "二、支持标准",
              "奖项 | 等级 | 奖金", "一等奖\t10万元", "天津市人民政府", "财政部 科技部", "津政办规〔2023〕4号",
              "2023年4月11日", "二○○五年六月二十九日", "(征求意见稿)", "(试行)", "第一條為", "網(wǎng)絡(luo)",
              "关于印发某某办法的通知", "各区人民政府：", "现将《某某市某某办法》印发给你们。", "<!-- x -->", "", "", "   "]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(st.sampled_from(_FRAGMENTS), min_size=1, max_size=25))
def test_any_arrangement_of_real_shapes_gives_a_result_or_a_located_diagnostic(parts: list[str], tmp_path: Path) -> None:
    """Shuffled pieces of the shapes above: the import imports, or refuses with its own located
    diagnostic; never another exception."""
    source = tmp_path / "policies" / "fuzz" / "sources" / "f.txt"
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text("\n".join(parts), encoding="utf-8")
    try:
        imp = import_document(source, source.parent.parent / "final.yaml")
    except PolicyError as exc:
        assert exc.diagnostics and all(d.code.startswith("E6") for d in exc.diagnostics)
        return
    except UsageError:
        return
    _policy(imp.yaml_text)
