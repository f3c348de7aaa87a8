"""The registry of documents (policies/registry.yaml), `policyc status` and the registry page:
statuses on a date with the sentence that decides each, repeals dated by the repealing
document, dates computed by the model's own rules, and a located Chinese message for every
mistake in the registry file."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

from compiler.cli import main
from compiler.model.load import load_policy
from compiler.model.policy import Policy
from compiler.registry import load as registry_load
from compiler.registry.command import build_outputs
from compiler.registry.load import load_registry, occurs
from compiler.registry.model import Registry
from compiler.registry.render import registry_html, registry_markdown
from compiler.registry.standing import standing
from compiler.source.diagnostics import PolicyError

POLICIES = ROOT / "policies"
# The registry as it was while only the Hami fund was transcribed (the other 办法 registered as
# texts): the tests of mistakes edit it inside a project that holds only the Hami fund's files.
REGISTRY_TEXT = (ROOT / "tests/fixtures/registry/before-transcription.yaml").read_text(encoding="utf-8")
HAMI_FUND = "哈政办发〔2026〕10号"


@pytest.fixture(scope="module")
def policies() -> dict[Path, Policy]:
    paths = [POLICIES / "hami-quality-fund/final.yaml", POLICIES / "hami-quality-fund/draft.yaml"]
    return {p: load_policy(p) for p in paths}


@pytest.fixture(scope="module")
def registry(policies: dict[Path, Policy]) -> Registry:
    found = load_registry(ROOT, policies)
    assert found is not None
    return found


def status_json(capsys: pytest.CaptureFixture[str], day: str, root: Path = ROOT) -> dict[str, Any]:
    assert main(["--root", str(root), "status", "--on", day, "--format", "json"]) == 0
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def by_number(listing: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {d["doc_number"] or d["title"]: d for d in listing["documents"]}


# ---------------------------------------------------------------------------------------------
# Acceptance: the Hami fund before and after it takes effect; the repeals with their notices


def test_status_before_and_after_the_hami_fund_takes_effect(capsys: pytest.CaptureFixture[str]) -> None:
    may, june = status_json(capsys, "2026-05-01"), status_json(capsys, "2026-06-01")
    assert may["format"] == june["format"] == "policyc-status/1"
    assert (may["on"], june["on"]) == ("2026-05-01", "2026-06-01")
    before, after = by_number(may)[HAMI_FUND], by_number(june)[HAMI_FUND]
    assert (before["status"], after["status"]) == ("not-yet", "in-force")
    assert (before["status_label"], after["status_label"]) == ("尚未施行", "现行有效")
    # 30 days after 2026-04-18, the day of publication not counted (民法典 第二百零一条).
    assert after["effective"]["date"] == "2026-05-19" and after["validity"]["until"] == "2029-05-18"
    assert after["reason"] == "第二十八条：自发布之日起30日后实施，有效期3年 → 2026年5月19日起施行，有效期至2029年5月18日"
    assert may["counts"] != june["counts"]


def test_status_text_says_which_clause(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "status", "--on", "2026-05-01"]) == 0
    may = capsys.readouterr().out
    assert main(["--root", str(ROOT), "status", "--on", "2026-06-01"]) == 0
    june = capsys.readouterr().out
    assert may != june
    line = "依据：第二十八条：自发布之日起30日后实施，有效期3年 → 2026年5月19日起施行，有效期至2029年5月18日"
    for text, heading in ((may, "尚未施行（"), (june, "现行有效（")):
        section = text[text.index(heading):]
        section = section[:section.index("\n\n")]
        assert HAMI_FUND in section and line in section


EXPECTED_REPEALS = {
    # repealed document: (repealed by, the clause, a words of the sentence, from)
    "哈政办规〔2022〕4号": ("哈政办规〔2026〕1号", "第三十一条", "（哈政办规〔2022〕4号）同时废止", "2026-05-21"),
    "哈政办发〔2024〕7号": (None, None, "决定废止《关于印发〈哈密市支持产业集群发展若干政策（暂行）〉的通知》", "2026-04-30"),
    "伊市政办规〔2018〕41号": ("伊市政办规〔2025〕3号", "第二十七条", "（伊市政办规〔2018〕41号）废止", "2026-01-31"),
    "新政办发〔2021〕115号": ("新政办发〔2024〕13号", "第三十七条", "（新政办发〔2021〕115号）同时废止", "2024-04-26"),
    **{number: ("新疆维吾尔自治区人民政府令第235号", None, "自治区人民政府决定废止以下政府规章", "2024-04-12")
       for number in ("新经贸商字〔1996〕214号", "自治区人民政府令第48号", "自治区人民政府令第76号", "新建法字〔1996〕7号",
                      "自治区人民政府令第73号", "自治区人民政府令第166号", "自治区人民政府令第167号")},
}


def test_the_repealed_documents_are_listed_with_their_notices(capsys: pytest.CaptureFixture[str]) -> None:
    docs = by_number(status_json(capsys, "2026-06-01"))
    repealed = {n for n, d in docs.items() if d["status"] == "repealed"}
    assert repealed == set(EXPECTED_REPEALS)
    for number, (by, clause, words, since) in EXPECTED_REPEALS.items():
        d = docs[number]
        assert d["repealed_by"]["doc_number"] == by and d["repealed_by"]["clause"] == clause, number
        assert words in d["repealed_by"]["text"] and d["repealed_by"]["date"] == since, number
        assert d["basis"]["doc_number"] == by and words in d["basis"]["text"], number
        assert d["reason"].endswith("起废止") or "起废止（" in d["reason"]
    notice = docs["哈政办发〔2024〕7号"]
    assert notice["basis"]["document"] == "hami-industry-cluster-repeal"
    assert "《关于废止〈哈密市支持产业集群发展若干政策（暂行）〉的公告》" in notice["reason"]
    assert "按其发布日期计" in notice["reason"]  # the 公告 states no date of its own
    # the repealing documents say what they repeal
    order = docs["新疆维吾尔自治区人民政府令第235号"]
    assert order["status"] == "in-force" and len(order["repeals"]) == 7


@pytest.mark.parametrize(("number", "day", "status"), [
    (HAMI_FUND, "2026-05-18", "not-yet"),
    (HAMI_FUND, "2026-05-19", "in-force"),
    (HAMI_FUND, "2029-05-18", "in-force"),
    (HAMI_FUND, "2029-05-19", "expired"),
    ("哈政办规〔2026〕1号", "2026-05-20", "not-yet"),
    ("哈政办规〔2026〕1号", "2026-05-21", "in-force"),
    ("哈政办规〔2022〕4号", "2022-03-02", "not-yet"),
    ("哈政办规〔2022〕4号", "2026-05-20", "in-force"),   # the day before the new 办法 takes effect
    ("哈政办规〔2022〕4号", "2026-05-21", "repealed"),
    ("哈政办发〔2024〕7号", "2026-04-29", "unknown"),    # no date of it in any text we hold
    ("哈政办发〔2024〕7号", "2026-04-30", "repealed"),
    ("伊市政办规〔2025〕3号", "2031-01-30", "in-force"),  # 有效期5年 from 2026-01-31
    ("伊市政办规〔2025〕3号", "2031-01-31", "expired"),
    ("新政办发〔2024〕13号", "2029-04-25", "in-force"),
    ("新政办发〔2024〕13号", "2029-04-26", "expired"),
    ("新政办发〔2024〕16号", "2024-01-01", "in-force"),  # in force before it was issued, as it says
    ("新政办发〔2024〕16号", "2028-01-01", "expired"),
    ("新疆维吾尔自治区人民政府令第235号", "2024-04-11", "not-yet"),
    ("新疆维吾尔自治区人民政府令第235号", "2024-04-12", "in-force"),  # 自公布之日起施行
    ("自治区人民政府令第76号", "2024-04-11", "in-force"),
    ("自治区人民政府令第76号", "2024-04-12", "repealed"),
])  # fmt: skip
def test_status_boundaries(registry: Registry, number: str, day: str, status: str) -> None:
    doc = next(d for d in registry.documents if d.doc_number == number)
    assert standing(registry, doc, dt.date.fromisoformat(day)).status == status


def test_drafts_have_no_force_and_name_the_issued_text(registry: Registry) -> None:
    day = dt.date(2026, 6, 1)
    drafts = {d.id: standing(registry, d, day) for d in registry.documents if d.draft is not None}
    assert set(drafts) == {"hami-quality-fund-draft", "urumqi-quality-award-draft"}
    assert all(s.status == "draft" and s.label == "草案（不具效力）" for s in drafts.values())
    hami = drafts["hami-quality-fund-draft"]
    assert "2026年2月12日至2026年2月27日公开征求意见" in (hami.document.draft or "")
    assert "正式文本为哈政办发〔2026〕10号《哈密市质量提升发展专项资金管理办法（试行）》" in hami.reason


def test_transcribed_policies_are_read_from_their_files(registry: Registry, policies: dict[Path, Policy]) -> None:
    final = policies[POLICIES / "hami-quality-fund/final.yaml"]
    doc = registry.get("hami-quality-fund")
    assert (doc.title, doc.doc_number, doc.issuer, doc.issued) == (
        final.meta.title, final.meta.doc_number, final.meta.issuer, final.meta.published)
    assert doc.effect is not None and doc.term is not None
    # the dates the evaluators check (meta) are the dates the registry computes from the rule
    assert (doc.effect.date, doc.term.until) == (final.meta.effective_date, final.meta.valid_until)
    assert doc.effect.quote.clause == doc.term.quote.clause == "第二十八条"


def test_dates_come_from_the_models_rules(monkeypatch: pytest.MonkeyPatch, policies: dict[Path, Policy]) -> None:
    """The registry has no calendar arithmetic of its own: replace the model's rules and every
    computed date follows."""
    monkeypatch.setattr(registry_load, "effective_after", lambda day, days: dt.date(2000, 1, days))
    monkeypatch.setattr(registry_load, "valid_until", lambda day, years: dt.date(2000 + years, 12, 31))
    reg = load_registry(ROOT, policies)
    assert reg is not None
    fund, grain = reg.get("hami-quality-fund"), reg.get("hami-grain-reserve-2026")
    assert fund.effect is not None and fund.effect.date == dt.date(2000, 1, 30)
    assert fund.term is not None and fund.term.until == dt.date(2003, 12, 31)
    assert grain.effect is not None and grain.effect.date == dt.date(2000, 1, 30)
    medical = reg.get("xj-outpatient-mutual-aid-2024")
    assert medical.term is not None and medical.term.until == dt.date(2005, 12, 31)


def test_default_date_is_today(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "status", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["on"] == dt.date.today().isoformat()


def test_bad_date_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "status", "--on", "2026-02-30"]) == 2
    assert "--on 的日期「2026-02-30」无效" in capsys.readouterr().err


def test_quotes_may_leave_words_out() -> None:
    text = "决定废止以下规章：一、甲办法二、乙办法三、丙办法"
    assert occurs("决定废止以下规章：……三、丙办法", text)
    assert occurs("决定废止以下规章：一、甲 办法", text)
    assert not occurs("三、丙办法……决定废止以下规章", text)  # the parts must come in order
    assert not occurs("决定废止以下规章：……四、丁办法", text)


# ---------------------------------------------------------------------------------------------
# `policyc eval` refuses outside the validity, naming the dates


@pytest.mark.parametrize("engine", ["interpreter", "generated"])
@pytest.mark.parametrize("day", ["2026-05-18", "2029-05-19"])
def test_eval_outside_the_validity_names_the_dates(capsys: pytest.CaptureFixture[str], engine: str, day: str) -> None:
    """The validity phase of the decision procedure (runtime/procedure.py), as `policyc eval`
    prints it: the day before the fund takes effect and the day after its 有效期 ends."""
    facts = ROOT / "examples/hami-china-quality-award.facts.yaml"
    code = main(["eval", str(POLICIES / "hami-quality-fund/final.yaml"), str(facts), "--as-of", day,
                 "--engine", engine, "--format", "json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["granted"] == [] and result["total"] == "0"
    [refusal] = result["refused"]
    d = dt.date.fromisoformat(day)
    assert refusal["cite"] == "第二十八条"
    assert refusal["reason"] == (f"评价日期{d.year}年{d.month}月{d.day}日不在本办法有效期内"
                                 "（2026年5月19日起施行，有效期至2029年5月18日）")


# ---------------------------------------------------------------------------------------------
# The registry page


def test_the_page_has_a_table_per_status_and_nothing_internal(registry: Registry) -> None:
    md, page = registry_markdown(registry), registry_html(registry)
    assert "所列效力状态以2026年12月2日为准" in md  # the registry's status_date, never today
    headings = re.findall(r"^## (.+?)（(\d+)件）$", md, re.M)
    assert [h for h, _ in headings] == ["现行有效", "已废止", "草案（不具效力）"]
    assert sum(int(n) for _, n in headings) == len(registry.documents)
    assert page.count("<table>") == 3 and "<h2>已废止（11件）</h2>" in page
    row = next(line for line in md.splitlines() if HAMI_FUND in line and line.startswith("| 1 |"))
    assert "第二十八条：自发布之日起30日后实施，有效期3年 → 2026年5月19日起施行，有效期至2029年5月18日" in row
    assert "出处：《新疆维吾尔自治区人民政府公报》2024年第7-8号" in md
    for text in (md, page):
        for internal in ("policies/", "registry-sources", ".yaml", ".txt", "sha256", "hami-", "xj-", "policyc"):
            assert internal not in text, internal
        for doc in registry.documents:
            assert doc.title.replace("《", "〈").replace("》", "〉") in text.replace("《", "〈").replace("》", "〉")


def test_the_page_says_when_it_must_be_regenerated(registry: Registry) -> None:
    assert "此后第一次状态变化在2028年1月1日（新政办发〔2024〕16号有效期届满）" in registry_markdown(registry)


def test_the_page_escapes_text(tmp_path: Path, policies: dict[Path, Policy]) -> None:
    root = project(tmp_path, REGISTRY_TEXT.replace(
        "新疆维吾尔自治区人民政府公报》2024年第7-8号", "新疆维吾尔自治区人民政府公报》2024年第7-8号<script>"))
    reg = load_registry(root, policies)
    assert reg is not None
    assert "<script>" not in registry_html(reg) and "&lt;script&gt;" in registry_html(reg)


def test_a_project_without_a_registry_builds_no_page(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    assert build_outputs(tmp_path, []) == {}
    assert main(["--root", str(tmp_path), "status", "--on", "2026-06-01"]) == 2


# ---------------------------------------------------------------------------------------------
# Mistakes in the registry file


def project(tmp: Path, text: str) -> Path:
    """A project whose registry is `text`, sharing the real policies and sources (linked)."""
    (tmp / "policies").mkdir(parents=True)
    for name in ("hami-quality-fund", "registry-sources"):
        (tmp / "policies" / name).symlink_to(POLICIES / name, target_is_directory=True)
    (tmp / "policies/registry.yaml").write_text(text, encoding="utf-8")
    return tmp


def line_of(text: str, needle: str) -> int:
    """The line on which `needle` (which may span lines) begins; it must occur once."""
    assert text.count(needle) == 1, needle
    return text[:text.index(needle)].count("\n") + 1


BAD = [
    # (old, new, code, words of the message or hint, the line the message points at)
    ("text: 本办法自发布之日起30日后施行。", "text: 本办法自发布之日起三十日后施行。", "E906",
     "施行条款「本办法自发布之日起三十日后施行。」在来源文本中找不到", "三十日后施行"),
    ("  - document: hami-grain-reserve-2022", "  - document: hami-grain-reserv-2022", "E905",
     "你是不是想写「hami-grain-reserve-2022」", "hami-grain-reserv-2022"),
    ("    source: yining-2025-3\n    effective:", "    source: yining-2025\n    effective:", "E905",
     "你是不是想写「yining-2025-3」", "source: yining-2025\n"),
    ("  - id: hami-quality-fund-draft\n    policy: hami-quality-fund/draft.yaml",
     "  - id: hami-quality-fund-draft\n    policy: hami-quality-fund/draft.yaml\n    title: 另一个标题", "E904",
     "引用政策文件的条目不写「title」", "另一个标题"),
    ("      text: 本办法自2024年4月26日起施行\n      date: 2024-04-26",
     "      text: 本办法自2024年4月26日起施行\n      date: 2024-04-27", "E909",
     "原文「本办法自2024年4月26日起施行」中没有「2024年4月27日」", "2024-04-27"),
    ("      after_issue_days: 30", "      after_issue_days: 31", "E909", "中没有「31」", "after_issue_days: 31"),
    ("      after_issue_days: 30", "      after_issue_days: 3", "E909", "中没有「3」", "after_issue_days: 3"),
    ("      on_issue: true", "      on_issue: true\n      date: 2024-04-12", "E907", "写了 on_issue和date，按原文只留一个", "text: 本决定自公布之日起施行。"),
    ("    issued: 2026-04-28", "    issued: 2026-02-30", "E901", "日期「2026-02-30」不存在", "2026-02-30"),
    ("    issued: 2026-04-28", "    issued: 2026-04-29", "E906", "发布日期「2026年4月29日」在来源文本中找不到", "2026-04-29"),
    ("  - id: hami-decision-catalogue-2026", "  - id: hami-grain-reserve-2022", "E903",
     "编号「hami-grain-reserve-2022」重复", "id: hami-grain-reserve-2022\n    title: 关于印发"),
    ("      - document: xj-floating-population\n", "      - document: xj-floating-population\n"
     "        text: 自治区人民政府决定废止以下政府规章：……七、新疆维吾尔自治区流动人口服务和管理办法\n"
     "      - document: xj-outpatient-mutual-aid-2021\n", "E910", "已被另一件文件废止",
     "      - document: xj-outpatient-mutual-aid-2021\n        clause: 第三十七条"),
    ("  - document: hami-industry-cluster-2024", "  - document: hami-industry-cluster-repeal", "E910",
     "文件不能废止它自己", "document: hami-industry-cluster-repeal"),
    ("      - document: yining-quality-award-2018", "      - document: hami-quality-fund", "E912",
     "废止日期2026年1月31日早于被废止文件的施行日期2026年5月19日", "      - document: hami-quality-fund"),
    ("    file: registry-sources/003_82d309117b9b84ff.txt", "    file: registry-sources/003.txt", "E902",
     "来源文本「registry-sources/003.txt」不存在", "003.txt"),
    ("    issuer: 新疆维吾尔自治区司法厅", "    isuer: 新疆维吾尔自治区司法厅", "E101", "你是不是想写「issuer」", "isuer:"),
    ("  - id: urumqi-quality-award-draft\n    title: 乌鲁木齐市人民政府质量奖管理办法\n",
     "  - id: urumqi-quality-award-draft\n", "E102", "缺少必需的键「title」", "id: urumqi-quality-award-draft"),
    ("      years: 5\n    repeals:\n      - document: yining", "      years: 6\n    repeals:\n      - document: yining",
     "E909", "年数与原文不符", "years: 6"),
]  # fmt: skip


@pytest.mark.parametrize(("old", "new", "code", "words", "at"), BAD, ids=[b[2] + ":" + b[4][:12] for b in BAD])
def test_mistakes_are_located(tmp_path: Path, policies: dict[Path, Policy],
                              old: str, new: str, code: str, words: str, at: str) -> None:
    assert REGISTRY_TEXT.count(old) == 1, old
    text = REGISTRY_TEXT.replace(old, new)
    root = project(tmp_path, text)
    with pytest.raises(PolicyError) as err:
        load_registry(root, policies)
    diags = err.value.diagnostics
    found = [d for d in diags if d.code == code and words in d.message + (d.hint or "")]
    assert found, [(d.code, d.message, d.hint) for d in diags]
    span = found[0].span
    assert span is not None and span.file.endswith("registry.yaml")
    assert span.line == line_of(text, at), (span, at)


def test_a_policy_file_must_be_registered(tmp_path: Path, policies: dict[Path, Policy]) -> None:
    root = project(tmp_path, REGISTRY_TEXT.replace(
        "  - id: hami-quality-fund-draft\n    policy: hami-quality-fund/draft.yaml\n", ""))
    with pytest.raises(PolicyError) as err:
        load_registry(root, policies)
    [diag] = err.value.diagnostics
    assert diag.code == "E913" and "hami-quality-fund/draft.yaml 没有在登记簿中登记" in diag.message
    assert diag.span is not None and diag.span.line == line_of(REGISTRY_TEXT, "documents:")


def test_a_registered_text_that_becomes_a_policy_file_is_pointed_out(tmp_path: Path) -> None:
    root = project(tmp_path, REGISTRY_TEXT)
    grain = root / "policies/hami-grain-reserve"
    grain.mkdir()
    (grain / "final.yaml").write_text("meta:\n  doc_number: 哈政办规〔2026〕1号\n", encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_registry(root)
    [diag] = err.value.diagnostics
    assert diag.code == "E913" and diag.hint is not None
    assert "条目「hami-grain-reserve-2026」（哈政办规〔2026〕1号）就是这件文件：把它改为 policy: hami-grain-reserve/final.yaml" \
        in diag.hint


def test_the_cli_reports_registry_errors_with_their_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = REGISTRY_TEXT.replace("text: 有效期为五年", "text: 有效期为六年")
    root = project(tmp_path, text)
    assert main(["--root", str(root), "status", "--on", "2026-06-01"]) == 1
    err = capsys.readouterr().err
    assert f"registry.yaml:{line_of(text, '有效期为六年')}:" in err and "E906" in err and "Traceback" not in err


def test_a_repeal_a_policy_file_declares_must_be_recorded(tmp_path: Path) -> None:
    root = project(tmp_path, REGISTRY_TEXT)
    folder = root / "policies/hami-quality-fund"
    folder.unlink()
    shutil.copytree(POLICIES / "hami-quality-fund", folder)
    final = folder / "final.yaml"
    final.write_text(final.read_text(encoding="utf-8").replace(
        "  repeals: []", "  repeals: [{doc_number: 哈政办规〔2022〕4号}]", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_registry(root)
    [diag] = err.value.diagnostics
    assert diag.code == "E914" and "废止 哈政办规〔2022〕4号，登记簿没有记下这次废止" in diag.message
    assert diag.hint == "在条目「hami-quality-fund」下写 repeals，照录废止的句子"


def test_the_build_writes_the_committed_page(policies: dict[Path, Policy]) -> None:
    outputs = build_outputs(ROOT, list(policies.items()))
    assert sorted(outputs) == ["registry.html", "registry.md"]
    assert outputs == build_outputs(ROOT, list(policies.items()))  # deterministic
    for name, content in outputs.items():
        assert (ROOT / "generated" / name).read_bytes() == content, f"generated/{name} is stale: run policyc build"


def test_a_broken_policy_file_is_reported_with_the_registry(tmp_path: Path) -> None:
    root = project(tmp_path, REGISTRY_TEXT.replace("    issuer: 新疆维吾尔自治区司法厅", "    issuer: 新疆维吾尔自治区司法局"))
    folder = root / "policies/hami-quality-fund"
    folder.unlink()
    shutil.copytree(POLICIES / "hami-quality-fund", folder)
    draft = folder / "draft.yaml"
    draft.write_text(draft.read_text(encoding="utf-8").replace("  status: draft", "  status: drafted", 1), encoding="utf-8")
    with pytest.raises(PolicyError) as err:
        load_registry(root)
    codes = {(d.code, Path(d.span.file).name if d.span else None) for d in err.value.diagnostics}
    assert ("E104", "draft.yaml") in codes  # the policy's own schema error
    assert ("E906", "registry.yaml") in codes  # and the registry's own, in the same run
    assert not any(code == "E913" for code, _ in codes)  # a broken policy file is still registered
