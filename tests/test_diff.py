"""条文对照表 (`policyc diff`): alignment on synthetic pairs derived from one small 办法, the
normalisation that keeps punctuation out of the substantive changes, the rule and consequence
layers, the Hami draft → final table (expected changes established by reading both texts),
symmetry, determinism, REV:path from a throw-away git repository, and bad input."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, ROOT, check_golden
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.diff import (
    command,
    model,
    outcomes,
    render_docx,
    render_html,
    render_md,
    render_text,
    report,
    table,
    tokens,
    wording,
)
from compiler.diff import compare as comparison
from compiler.diff import (
    notes as diff_notes,
)
from compiler.documents.text import normalise
from compiler.importer.command import check_source
from compiler.model.load import load_policy, policy_from_tree
from compiler.model.policy import Policy
from compiler.source.diagnostics import PolicyError
from compiler.source.yamlsrc import parse_yaml

BASE_PATH = FIXTURES / "diff" / "base.yaml"
BASE = BASE_PATH.read_text(encoding="utf-8")
APPS = outcomes.load_applications(FIXTURES / "diff" / "base.cases.yaml")
HAMI_DIR = ROOT / "policies" / "hami-quality-fund"
GOLDEN = Path(__file__).parent / "golden" / "diff"


def policy(text: str, name: str = "v.yaml") -> Policy:
    return policy_from_tree(parse_yaml(text, name), name)


def variant(*edits: tuple[str, str], text: str = BASE) -> str:
    """BASE with each (old, new) replacement applied exactly once."""
    for old, new in edits:
        assert text.count(old) == 1, f"edit target not unique: {old!r}"
        text = text.replace(old, new)
    return text


def compare(old_text: str, new_text: str, **kw: Any) -> model.DiffResult:
    return comparison.compare(policy(old_text, "old.yaml"), policy(new_text, "new.yaml"), applications=APPS, **kw)


def article(name: str, text: str, extra: str = "        nature: declaratory\n") -> str:
    return f"      - id: {name}\n        text: {text}\n{extra}"


BRAND = """      - id: brand
        text: 获得省级品牌认证的企业，给予一次性奖励8万元。
        awards:
          - id: brand-award
            name: 省级品牌认证
            qualification: 省级品牌认证
            one_time: true
            amount: 8万元
"""
PRINCIPLES = article("principles", "专项资金的使用遵循公开、公平、公正的原则，实行自愿申报、专家评审、社会公示的管理方式。")
SPLIT = (PRINCIPLES, article("principles", "专项资金的使用遵循公开、公平、公正的原则。")
         + article("management", "专项资金实行自愿申报、专家评审、社会公示的管理方式。"))
INSERT = ("      - id: scope\n", article("basis", "本办法依据《中华人民共和国预算法》等法律法规制定。")
          + "      - id: scope\n")
GOLD_30 = [("给予20万元奖励；", "给予30万元奖励；"), ("amount: 20万元", "amount: 30万元")]


def kinds(r: model.DiffResult) -> list[tuple[str, str, str | None, str]]:
    """(level, kind, old cite, new cite) of every entry, in table order."""
    return [(e.level, e.kind, e.old_cite, e.cite if e.new else "") for e in r.entries]


def ops_text(ops: list[tokens.Op], which: str) -> list[str]:
    """The substance of what was deleted (which="old") or inserted (which="new")."""
    return [normalise(getattr(o, which)) for o in ops if o.op in ("delete", "insert", "replace")
            and getattr(o, which)]


# -- normalisation and the inline diff ----------------------------------------------------------


def test_formatting_differences_are_equal_in_substance() -> None:
    a, b = "第1章 总则（一）“专项资金”，依照第2条", "第一章总则(一)\"专项资金\",依照第二条"
    assert tokens.substance(a) == tokens.substance(b) == normalise(a)
    ops = tokens.inline_ops(a, b)
    assert [o.op for o in ops] == ["equal"]
    shown = tokens.inline_ops(a, b, show_formatting=True)
    assert {o.op for o in shown} == {"equal", "format"}
    for result in (ops, shown):
        assert "".join(o.old for o in result) == a and "".join(o.new for o in result) == b
    assert any(o.op == "format" and o.old == "第2条" and o.new == "第二条" for o in shown)


def test_inline_diff_marks_whole_words_not_single_characters() -> None:
    # Issue 11 (对照表 4): 哈密|市市场监|督|管|理|局 was marked character by character.
    ops = tokens.inline_ops("本办法由哈密市市场监督管理局、哈密市财政局共同负责解释",
                            "本办法由市市场监管局、市财政局共同负责解释")
    assert [(o.op, o.old, o.new) for o in ops if o.op != "equal"] == [
        ("replace", "哈密市市场监督管理局", "市市场监管局"), ("replace", "哈密市", "市")]
    assert "".join(o.old for o in ops).startswith("本办法由") and [o.old for o in ops][2] == "、"
    amount = tokens.inline_ops("给予20万元奖励；", "给予30万元奖励；")
    assert [(o.op, o.old, o.new) for o in amount if o.op != "equal"] == [("replace", "20", "30")]
    rewrite = tokens.inline_ops("申报单位应当按时提交材料", "企业需要报送全部证明")
    assert len([o for o in rewrite if o.op != "equal"]) == 1, "a rewrite is one replace, not confetti"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("设立专项资金(以下简称“专项资金”),制定本办法。", "设立专项资金（以下简称“专项资金”）。", ["删除“制定本办法”"]),
    ("给予20万元奖励；", "给予30万元奖励；", ["将“20万元”修改为“30万元”"]),
    ("给予5万元奖励；", "给予15万元奖励；", ["将“5万元”修改为“15万元”"]),
    ("管理办法", "管理办法（试行）", ["增加“（试行）”"]),
    ("聚焦三大建设工作,实行", "聚焦三大领域实施，实行", ["将“建设工作”修改为“领域实施”"]),
    ("在政府网站公示7个自然日;", "在市政府网站公示7个自然日；",
     ["将“在政府网站公示7个自然日”修改为“在市政府网站公示7个自然日”"]),
    ("有效期3年。原相关规定与本办法不一致的,以本办法为准。", "有效期3年。",
     ["删除“原相关规定与本办法不一致的，以本办法为准”"]),
])
def test_change_descriptions(old: str, new: str, expected: list[str]) -> None:
    assert wording.describe_change(old, new) == expected


# -- alignment on synthetic pairs ---------------------------------------------------------------


def test_punctuation_and_spaces_only_are_never_substantive() -> None:
    new = BASE
    for full, half in (("，", ","), ("；", ";")):
        new = new.replace(full, half)
    new = variant(("text: 质量奖励事项及金额：", "text: '质量奖励事项及金额:'"), text=new)
    new = variant(("不符合本办法第二条规定", "不符合本办法第2条规定"), text=new)
    new = variant(("本办法由市市场监督管理局负责解释。", "本办法由 市市场监督管理局 负责解释。"), text=new)
    r = compare(BASE, new)
    assert r.entries == [] and r.rule_changes == [] and r.case_changes == []
    changed = {e.cite for e in r.formatting}
    assert changed == {"第一条", "第三条", "第四条", "第五条", "第六条", "第七条", "第八条"}
    assert "仅标点、空格等格式不同的7处不算实质修改" in render_text.render_text(r)
    shown = compare(BASE, new, show_formatting=True)
    assert "{~,~}" in render_text.render_text(shown)
    assert json.loads(model.render_json(shown))["formatting"] is not None
    assert json.loads(model.render_json(r))["summary"]["formatting_only"] == 7


def test_inserted_article_renumbers_the_rest() -> None:
    r = compare(BASE, variant(INSERT))
    assert kinds(r)[0] == ("article", "added", None, "第二条")
    assert r.entries[0].note == "新增本条。"
    renumbered = [e for e in r.entries if e.kind == "renumbered"]
    assert [(e.old_cite, e.cite) for e in renumbered] == [
        ("第二条", "第三条"), ("第三条", "第四条"), ("第四条", "第五条"), ("第五条", "第六条"),
        ("第六条", "第七条"), ("第七条", "第八条"), ("第八条", "第九条")]
    assert all(e.note == f"条序调整（原{e.old_cite}）。" for e in renumbered)
    assert r.counts["articles"]["added"] == 1 and r.counts["articles"]["renumbered"] == 7
    assert r.case_changes == [], "renumbering changes citations, not outcomes"


def test_deleted_article() -> None:
    r = compare(BASE, variant((PRINCIPLES, "")))
    deleted = [e for e in r.entries if e.kind == "deleted"]
    assert len(deleted) == 1 and deleted[0].old_cite == "第三条" and deleted[0].new == []
    assert deleted[0].note == "删除本条。"
    assert table.cell_segments(deleted[0], "new") == [("placeholder", "（删除）")]
    assert r.counts["articles"]["renumbered"] == 5


def test_moved_article_between_chapters() -> None:
    new = variant((BRAND, "")).replace("      - id: purpose\n", BRAND + "      - id: purpose\n")
    r = compare(BASE, new)
    moved = [e for e in r.entries if e.kind == "moved"]
    assert len(moved) == 1
    e = moved[0]
    assert (e.old_cite, e.cite) == ("第五条", "第一条") and e.chapter_move == ("第二章 奖励标准", "第一章 总则")
    assert e.note == "条序调整：原第五条移至第一条；本条由第二章“奖励标准”移至第一章“总则”。"
    assert [x.kind for x in r.entries[1:]] == ["renumbered"] * 4 + ["reference"]
    assert r.entries[-1].cite == "第六条" and "原指的第二条现为第三条" in r.entries[-1].warnings[0]


def test_split_and_merge_mirror_each_other() -> None:
    r = compare(BASE, variant(SPLIT))
    (split,) = [e for e in r.entries if e.kind == "split"]
    assert split.old_cite == "第三条" and [s.cite for s in split.new] == ["第三条", "第四条"]
    assert split.note == "将原第三条拆分为第三条、第四条。"
    assert r.counts["articles"]["added"] == 0, "the new part is not reported as a new article"
    m = compare(variant(SPLIT), BASE)
    (merged,) = [e for e in m.entries if e.kind == "merged"]
    assert [s.cite for s in merged.old] == ["第三条", "第四条"] and merged.note == "将原第三条、第四条合并为本条。"


def test_chapter_renamed_deleted_and_added() -> None:
    no_annex = variant(("  - chapter: supplementary\n    title: 附则\n    articles:\n", "")).replace(
        "title: 奖励标准", "title: 奖励标准与程序")
    r = compare(BASE, no_annex)
    assert kinds(r)[:2] == [("chapter", "renamed", "第二章", "第二章"), ("chapter", "deleted", "第三章", "")]
    assert r.entries[0].note == "将章名“奖励标准”修改为“奖励标准与程序”。"
    assert r.entries[1].note == "删除第三章“附则”，原第七条、第八条移入第二章“奖励标准与程序”。"
    assert [e.chapter_move for e in r.entries[2:]] == [("第三章 附则", "第二章 奖励标准与程序")] * 2
    back = compare(no_annex, BASE)
    added = [e for e in back.entries if e.level == "chapter" and e.kind == "added"]
    assert len(added) == 1 and added[0].note == "新增第三章“附则”。"


def test_items_inserted_deleted_and_moved() -> None:
    inserted = variant(("              - id: bronze\n", """              - id: copper
                text: 获得优秀奖的，给予2万元奖励；
                nature: declaratory
              - id: bronze
"""))
    r = compare(BASE, inserted)
    (e,) = r.entries
    assert [c.kind for c in e.changes] == ["added"]
    assert e.note == "新增第（三）项“获得优秀奖的，给予2万元奖励”；其余各项序号相应调整。"
    assert [x.text for x in r.rule_changes] == []
    gone = compare(inserted, BASE).entries[0]
    assert gone.note == "删除原第（三）项“获得优秀奖的，给予2万元奖励”；其余各项序号相应调整。"

    bronze = """              - id: bronze
                text: 获得铜奖的，给予5万元奖励。
                awards:
                  - id: bronze-award
                    name: 铜奖
                    qualification: 铜奖
                    amount: 5万元
"""
    moved = variant(("给予10万元奖励；", "给予10万元奖励。"), (bronze, ""), (BRAND, """      - id: brand
        paragraphs:
          - text: 品牌和铜奖奖励事项及金额：
            items:
              - id: brand-item
                text: 获得省级品牌认证的企业，给予一次性奖励8万元；
                awards:
                  - id: brand-award
                    name: 省级品牌认证
                    qualification: 省级品牌认证
                    one_time: true
                    amount: 8万元
""" + bronze))
    r = compare(BASE, moved)
    out = next(e for e in r.entries if e.cite == "第四条")
    into = next(e for e in r.entries if e.cite == "第五条")
    assert [c.kind for c in out.changes if c.kind.startswith("moved")] == ["moved-out"]
    assert "原第（三）项移至第五条第（二）项" in out.note
    assert "第（二）项由原第四条第（三）项移入" in into.note
    assert r.counts["clauses"]["moved_between_articles"] == 1
    assert r.case_changes == [], "the 铜奖 is still granted, at the same amount"


def test_cross_references_left_behind_by_renumbering_are_flagged() -> None:
    r = compare(BASE, variant(INSERT))
    (e,) = [e for e in r.entries if e.warnings]
    assert e.cite == "第七条" and e.warnings == ["“本办法第二条”未随条序调整：原指的第二条现为第三条，请核对引用"]
    assert "第七条：“本办法第二条”未随条序调整" in render_md.render_report_markdown(r)
    assert "本办法第二条”未随条序调整" not in render_md.render_markdown(r), "the drafter's, not the table's"
    fixed = compare(BASE, variant(INSERT, ("不符合本办法第二条规定", "不符合本办法第三条规定")))
    assert not any(e.warnings for e in fixed.entries)
    # The referring article itself kept its number and text: the row is there for the warning only.
    forward = variant(("依法登记注册的企业。", "依法登记注册的企业，本办法第六条规定的除外。"))
    later = variant(("      - id: quality\n", article("report", "获奖单位应当按年度报送资金使用情况。")
                     + "      - id: quality\n"), text=forward)
    (ref,) = [e for e in compare(forward, later).entries if e.kind == "reference"]
    assert ref.cite == "第二条" and ref.warnings == ["“本办法第六条”未随条序调整：原指的第六条现为第七条，请核对引用"]


# -- rules and consequences ---------------------------------------------------------------------


def test_amount_change_is_reported_with_its_consequence() -> None:
    r = compare(BASE, variant(*GOLD_30))
    (e,) = r.entries
    assert e.cite == "第四条" and e.note == "第（一）项：将“20万元”修改为“30万元”。"
    (rule,) = r.rule_changes
    assert (rule.kind, rule.rule, rule.field, rule.delta, rule.cite) == (
        "award", "gold-award", "amount", Decimal(100000), "第四条第（一）项")
    assert rule.text == "奖励事项“金奖”金额由20万元调整为30万元（增加10万元）"
    assert r.amounts_changed
    (case,) = e.consequences
    assert case.case == "首次获得金奖" and case.delta == Decimal(100000)
    assert "其中涉及奖励金额" in render_text.render_report_text(r)
    unchanged = compare(BASE, variant(("市市场监督管理局负责解释", "市财政局负责解释")))
    assert not unchanged.amounts_changed and "奖励金额均未改变" in render_text.render_report_text(unchanged)


def test_condition_and_validity_changes_are_rule_changes() -> None:
    new = variant(("被列入失信名单的，专项资金不予奖励", "被列入失信名单或存在违法行为的，专项资金不予奖励"),
                  ("when: 列入失信名单\n", "when: 列入失信名单 或 非 在本市\n"),
                  ("有效期2年。", "有效期3年。"),
                  ("validity: {text: 有效期2年, years: 2, until: 2028-01-09}",
                   "validity: {text: 有效期3年, years: 3, until: 2029-01-09}"))
    r = compare(BASE, new)
    texts = {(x.kind, x.field): x.text for x in r.rule_changes}
    assert texts[("exclusion", "when")] == "不予奖励情形“被列入失信名单”条件由“列入失信名单”改为“列入失信名单 或 非 在本市”"
    assert texts[("validity", "rule")] == "有效期由“有效期2年”改为“有效期3年”"
    effect = next(e for e in r.entries if e.cite == "第八条")
    assert {(x.kind, x.field) for x in effect.rules} == {("validity", "rule")}


def test_dates_in_force_are_compared_as_rules() -> None:
    # Issue 11 (对照表 1): a later publication date moves the dates in force, not the rule
    # "自发布之日起施行，有效期2年"; the applications it moves out of force are listed apart.
    later = variant(("published: 2026-01-10", "published: 2026-07-01"),
                    ("effective: {text: 自发布之日起施行, clause: effect, date: 2026-01-10}",
                     "effective: {text: 自发布之日起施行, clause: effect, date: 2026-07-01}"),
                    ("validity: {text: 有效期2年, years: 2, until: 2028-01-09}",
                     "validity: {text: 有效期2年, years: 2, until: 2028-06-30}"))
    r = compare(BASE, later)
    assert r.rule_changes == [] and r.entries == []
    assert sorted(c.case for c in r.in_force) == ["获得省级品牌认证", "获得铜奖", "首次获得金奖"]
    assert all(c.in_force_only for c in r.in_force) and r.unattributed == []
    assert not any(e.consequences for e in r.entries)
    # The rule itself changing is a rule change, and then the same applications are its consequences.
    slower = variant(("本办法自发布之日起施行", "本办法自发布之日起30日后施行"),
                     ("effective: {text: 自发布之日起施行, clause: effect, date: 2026-07-01}",
                      "effective: {text: 自发布之日起30日后施行, clause: effect, date: 2026-08-01, "
                      "after_publication_days: 30}"),
                     ("until: 2028-06-30", "until: 2028-07-31"), text=later)
    s = compare(BASE, slower)
    assert [x.text for x in s.rule_changes] == ["施行日期由“自发布之日起施行”改为“自发布之日起30日后施行”"]
    (row,) = s.entries
    assert row.cite == "第八条" and len(row.consequences) == 3 and s.in_force == []
    # A draft has no dates to put in meta: its rule is read from the text of its 施行 clause.
    undated = variant(("  effective: {text: 自发布之日起施行, clause: effect, date: 2026-01-10}\n", ""),
                      ("  validity: {text: 有效期2年, years: 2, until: 2028-01-09}\n", ""))
    assert compare(undated, BASE).rule_changes == []


def test_rule_change_without_text_change_still_gets_a_row() -> None:
    r = compare(BASE, variant(("amount: 20万元", "amount: 25万元")))
    (e,) = r.entries
    assert e.kind == "rules" and e.cite == "第四条" and not e.text_changed
    assert "条文未修改，所附规则有变化" in e.note
    assert e.consequences and e.consequences[0].delta == Decimal(50000)


def test_cases_a_version_cannot_evaluate_are_not_comparable(tmp_path: Path) -> None:
    new = variant(("  列入失信名单:\n", "  纳税信用等级:\n    type: text\n  列入失信名单:\n"))
    roster = tmp_path / "roster.facts.yaml"
    roster.write_text("as_of: 2026-06-01\nfacts: {在本市: true, 申报资格: [金奖], 纳税信用等级: A}\n", encoding="utf-8")
    apps = [*APPS, *outcomes.load_applications(roster)]
    r = comparison.compare(policy(BASE), policy(new), applications=apps)
    names = {c.case: c.reason for c in r.not_comparable}
    assert "roster" in names and "未声明事实：纳税信用等级" in names["roster"]
    assert all("缺少事实：纳税信用等级" in reason for name, reason in names.items() if name != "roster")
    assert r.cases_compared == 5


# -- invariants ---------------------------------------------------------------------------------

FLIP = {"added": "deleted", "deleted": "added", "split": "merged", "merged": "split",
        "moved-in": "moved-out", "moved-out": "moved-in"}


def assert_mirrored(ab: model.DiffResult, ba: model.DiffResult) -> None:
    def key(e: model.Entry, swap: bool) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        o, n = tuple(s.address for s in e.old), tuple(s.address for s in e.new)
        return (e.level, n, o) if swap else (e.level, o, n)

    one = {key(e, False): e for e in ab.entries}
    two = {key(e, True): e for e in ba.entries}
    assert one.keys() == two.keys()
    for k, e in one.items():
        f = two[k]
        assert FLIP.get(e.kind, e.kind) == f.kind
        assert [o.mirrored() for o in e.ops] == f.ops
        assert (e.renumbered, e.moved) == (f.renumbered, f.moved)
        assert e.chapter_move == (f.chapter_move[::-1] if f.chapter_move else None)
        assert [FLIP.get(c.kind, c.kind) for c in e.changes] == [c.kind for c in f.changes] or e.level != "article"
    rules_ab = {(r.kind, r.rule, r.field): (r.old, r.new, r.delta) for r in ab.rule_changes}
    rules_ba = {(r.kind, r.rule, r.field): (r.new, r.old, -r.delta if r.delta is not None else None)
                for r in ba.rule_changes}
    assert rules_ab == rules_ba
    assert len(ab.formatting) == len(ba.formatting)
    assert sorted((c.case, c.old_total, c.new_total) for c in ab.case_changes) == sorted(
        (c.case, c.new_total, c.old_total) for c in ba.case_changes)


@pytest.mark.parametrize("edits", [
    [INSERT], [(PRINCIPLES, "")], [SPLIT], GOLD_30,
    [("  - chapter: supplementary\n    title: 附则\n    articles:\n", "")],
    [("title: 奖励标准", "title: 奖励事项"), ("本办法由市市场监督管理局负责解释", "本办法由市财政局负责解释")],
])
def test_swapping_old_and_new_mirrors_the_diff(edits: list[tuple[str, str]]) -> None:
    new = variant(*edits)
    assert_mirrored(compare(BASE, new), compare(new, BASE))


def test_hami_diff_is_symmetric() -> None:
    draft, final = load_policy(HAMI_DIR / "draft.yaml"), load_policy(HAMI_DIR / "final.yaml")
    assert_mirrored(comparison.compare(draft, final), comparison.compare(final, draft))


@pytest.mark.parametrize("name", ["draft.yaml", "final.yaml"])
def test_a_file_against_itself_reports_no_change(name: str) -> None:
    p = load_policy(HAMI_DIR / name)
    r = comparison.compare(p, p, applications=outcomes.load_applications(HAMI_DIR / "final.cases.yaml"))
    assert (r.entries, r.formatting, r.rule_changes, r.meta, r.case_changes, r.not_comparable) == ([],) * 6
    assert "两个版本的条文没有实质差异" in render_text.render_text(r)
    assert compare(BASE, BASE).entries == []


# -- the Hami draft → final table ---------------------------------------------------------------

# Established by reading the 征求意见稿 (sources/001_…) and the issued text (sources/000_…) side by
# side: every other difference is punctuation (half-width in the draft) or the space after 第X条.
HAMI_EXPECTED = {
    ("title", "标题"): ([], ["（试行）"]),
    ("article", "第一条"): (["，制定本办法"], []),
    ("article", "第三条"): (["建设工作"], ["领域实施"]),
    ("article", "第二十二条"): (["政府"], ["市政府"]),
    ("article", "第二十四条"): (["并"], []),
    ("chapter", "第七章"): (["附则"], []),
    ("article", "第二十六条"): (["哈密市市场监督管理局", "哈密市"], ["市市场监管局", "市"]),
    ("article", "第二十七条"): ([], []),
    ("article", "第二十八条"): (["原相关规定与本办法不一致的，以本办法为准。"], []),
}


@pytest.fixture(scope="module")
def hami_diff() -> model.DiffResult:
    draft, final = load_policy(HAMI_DIR / "draft.yaml"), load_policy(HAMI_DIR / "final.yaml")
    notes = diff_notes.load_notes(HAMI_DIR / "diffs" / "draft-final.yaml")
    return comparison.compare(draft, final, applications=outcomes.load_applications(HAMI_DIR / "final.cases.yaml"),
                        notes=notes)


def test_hami_table_lists_exactly_the_substantive_changes(hami_diff: model.DiffResult) -> None:
    got = {(e.level, e.old_cite or e.cite): (ops_text(e.ops, "old"), ops_text(e.ops, "new"))
           for e in hami_diff.entries}
    assert got == {k: ([normalise(x) for x in old], [normalise(x) for x in new])
                   for k, (old, new) in HAMI_EXPECTED.items()}
    by_cite = {e.cite: e for e in hami_diff.entries}
    assert by_cite["第二十七条"].kind == "moved"
    for cite in ("第二十六条", "第二十七条", "第二十八条"):
        assert by_cite[cite].chapter_move == ("第七章 附则", "第六章 监督管理")
    assert by_cite["第二十二条"].changes[0].new is not None
    assert by_cite["第二十二条"].changes[0].new.cite == "第二十二条第（四）项"


def test_hami_no_formatting_only_difference_among_the_changes(hami_diff: model.DiffResult) -> None:
    for e in hami_diff.entries:
        for op in e.ops:
            if op.op != "equal":
                assert tokens.substance(op.old) != tokens.substance(op.new), (e.cite, op)
    assert len(hami_diff.formatting) == 20
    for e in hami_diff.formatting:
        assert e.old[0].text != e.new[0].text and tokens.substance(e.old[0].text) == tokens.substance(e.new[0].text)
    assert {e.cite for e in hami_diff.formatting} & {e.cite for e in hami_diff.entries} == set()


def test_hami_notes_rules_and_consequences(hami_diff: model.DiffResult) -> None:
    notes = {e.cite: (e.note, e.note_source) for e in hami_diff.entries}
    assert notes["第一条"] == ("删除“制定本办法”。", "auto")
    assert notes["第三条"] == ("将“建设工作”修改为“领域实施”。", "auto")
    assert notes["标题"] == ("标题增加“（试行）”。", "auto")
    assert notes["第七章"][0] == "删除第七章“附则”，原第二十六条至第二十八条移入第六章“监督管理”。"
    assert notes["第二十六条"][1] == "override" and notes["第二十四条"][1] == "override"
    rules = {(r.kind, r.field): r for r in hami_diff.rule_changes}
    assert rules[("procedure", "where")].cite == "第二十二条第（四）项"
    assert (rules[("procedure", "where")].old, rules[("procedure", "where")].new) == ("政府网站", "市政府网站")
    # Both texts say 自发布之日起30日后实施，有效期3年: the dates in force are the same rule.
    assert {k[0] for k in rules} == {"procedure"}
    assert not hami_diff.amounts_changed
    assert "规则变化1项；奖励金额均未改变。" in report.report_intro(hami_diff)
    # The draft fixes no date in force: applications dated outside the final's time in force
    # change, as a consequence of no rule: listed apart, attached to no row.
    effect = next(e for e in hami_diff.entries if e.cite == "第二十八条")
    assert effect.rules == [] and effect.consequences == []
    assert sorted(c.case for c in hami_diff.in_force) == ["施行之前申报", "施行前一日", "有效期届满之后"]
    assert all(c.new_total == 0 and c.old_total and c.old_total > 0 for c in hami_diff.in_force)
    assert hami_diff.not_comparable == [] and hami_diff.cases_compared >= 58


def test_hami_draft_transcription_matches_its_source() -> None:
    draft = load_policy(HAMI_DIR / "draft.yaml")
    assert check_source(draft, HAMI_DIR / "draft.yaml", None)[0] == []
    assert (draft.policy_id, draft.version, draft.meta.status, draft.meta.doc_number) == (
        "hami-quality-fund", "draft", "draft", None)
    assert draft.meta.consultation["contacts"]["邮编"] == "839000"
    final = load_policy(HAMI_DIR / "final.yaml")
    final_ids = {c.address for c in final.clauses.values()}
    assert final_ids - set(draft.clauses) == set(), "every clause of the final keeps its id in the draft"


def test_generated_tables_are_the_build_output(hami_diff: model.DiffResult) -> None:
    outputs = command.build_outputs(ROOT, [(HAMI_DIR / n, load_policy(HAMI_DIR / n)) for n in ("draft.yaml", "final.yaml")])
    assert sorted(outputs) == ["hami-quality-fund/diff-draft-final.consequences.md",
                               "hami-quality-fund/diff-draft-final.docx", "hami-quality-fund/diff-draft-final.html",
                               "hami-quality-fund/diff-draft-final.md"]
    for rel, content in outputs.items():
        assert (ROOT / "generated" / rel).read_bytes() == content, f"generated/{rel} is stale: run policyc build"


# -- renderers ----------------------------------------------------------------------------------


def test_docx_is_deterministic_landscape_and_marked(hami_diff: model.DiffResult) -> None:
    import docx

    data = render_docx.render_docx(hami_diff)
    assert data == render_docx.render_docx(hami_diff)
    doc = docx.Document(io.BytesIO(data))
    section = doc.sections[0]
    assert section.page_width is not None and section.page_height is not None
    assert section.page_width > section.page_height
    (table,) = doc.tables
    assert [c.text for c in table.rows[0].cells] == ["原条文", "修改后条文", "修改说明"]
    assert len(table.rows) == 1 + len(hami_diff.entries)
    runs = [r for row in table.rows[1:] for cell in row.cells[:2] for p in cell.paragraphs for r in p.runs]
    assert any(r.font.double_strike and r.text == "，制定本办法" for r in runs)
    assert any(r.font.underline and r.text == "（试行）" for r in runs)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_strings_from_yaml_are_escaped() -> None:
    hostile = variant(("title: 某市示范专项资金管理办法", "title: 某市<script>alert(1)</script>办法 & *x*"),
                      ("为规范示范专项资金管理，", "为规范<b>示范</b>专项资金管理|，"))
    r = compare(BASE, hostile)
    html = render_html.render_html(r)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    md = render_md.render_markdown(r)
    assert "<script>" not in md and "<b>" not in md and "\\|" in md and "\\*x\\*" in md
    import docx

    doc = docx.Document(io.BytesIO(render_docx.render_docx(r)))
    assert any("<script>" in p.text for p in doc.paragraphs), "Word keeps the literal text (XML-escaped)"


def test_terminal_colour_and_plain_markers() -> None:
    r = compare(BASE, variant(*GOLD_30))
    coloured = render_text.render_text(r, colour=True)
    assert "\x1b[9;31m20\x1b[0m" in coloured and "\x1b[4;32m30\x1b[0m" in coloured
    plain = render_text.render_text(r)
    assert "\x1b" not in plain and "给予[-20-]万元" in plain and "给予{+30+}万元" in plain


def test_golden_outputs(update_golden: bool) -> None:
    r = compare(BASE, variant(*GOLD_30, SPLIT, ("title: 附则", "title: 其他规定")))
    check_golden(GOLDEN / "synthetic.txt", render_text.render_text(r), update_golden)
    check_golden(GOLDEN / "synthetic.md", render_md.render_markdown(r), update_golden)
    check_golden(GOLDEN / "synthetic.json", model.render_json(r), update_golden)
    check_golden(GOLDEN / "synthetic.consequences.md", render_md.render_report_markdown(r), update_golden)


def test_json_format() -> None:
    data = json.loads(model.render_json(compare(BASE, variant(*GOLD_30))))
    assert data["format"] == "policyc-diff/1"
    assert set(data) == {"format", "policy", "old", "new", "show_formatting", "summary", "meta", "entries",
                         "formatting", "rule_changes", "cases"}
    assert data["summary"]["articles"]["modified"] == 1 and data["summary"]["amounts_changed"] is True
    (entry,) = data["entries"]
    assert entry["cite"] == "第四条" and entry["old"][0]["text"].startswith("质量奖励事项及金额")
    assert [o["op"] for o in entry["ops"]] == ["equal", "replace", "equal"]
    assert entry["rules"][0]["delta"] == "100000"
    assert entry["consequences"][0]["delta"] == "100000"


# -- 修改说明 overrides ---------------------------------------------------------------------------


def write_notes(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "notes.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_override_replaces_the_automatic_note(tmp_path: Path) -> None:
    notes = diff_notes.load_notes(write_notes(tmp_path, "old: v1\nnew: v1\nnotes:\n  quality: 提高金奖奖励标准。\n"))
    r = compare(BASE, variant(*GOLD_30), notes=notes)
    assert (r.entries[0].note, r.entries[0].note_source) == ("提高金奖奖励标准。", "override")
    assert r.entries[0].auto_note == "第（一）项：将“20万元”修改为“30万元”。"


def test_override_errors_point_at_the_key(tmp_path: Path) -> None:
    path = write_notes(tmp_path, "old: v1\nnew: v1\nnotes:\n  qualty: 提高金奖奖励标准。\n")
    with pytest.raises(PolicyError) as exc:
        compare(BASE, variant(*GOLD_30), notes=diff_notes.load_notes(path))
    (d,) = exc.value.diagnostics
    assert d.code == "E705" and d.span is not None and d.span.line == 4 and "quality" in (d.hint or "")
    with pytest.raises(PolicyError) as exc:
        diff_notes.load_notes(write_notes(tmp_path, "old: v1\nnotes: {}\nextra: 1\n"))
    assert {d.code for d in exc.value.diagnostics} == {"E101", "E102"}


# -- command line -------------------------------------------------------------------------------


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, capture_output=True, text=True, env=env)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


def test_cli_reads_rev_path_from_git(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q")
    (tmp_path / "p").mkdir()
    target = tmp_path / "p" / "x.yaml"
    target.write_text(BASE, encoding="utf-8")
    git(tmp_path, "add", "p/x.yaml")
    git(tmp_path, "commit", "-q", "-m", "v1")
    target.write_text(variant(*GOLD_30), encoding="utf-8")
    git(tmp_path, "commit", "-q", "-am", "v2")
    out = run(["diff", "HEAD~1:p/x.yaml", "HEAD:p/x.yaml", "--format", "json"], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["old"]["file"] == "HEAD~1:p/x.yaml" and data["summary"]["articles"]["modified"] == 1
    assert run(["diff", "HEAD:p/x.yaml", "p/x.yaml", "--format", "json"], cwd=tmp_path).returncode == 0

    for spec, code, words in (("HEAD~5:p/x.yaml", "E702", "git 版本「HEAD~5」不存在"),
                              ("HEAD~1:p/missing.yaml", "E703", "没有文件「p/missing.yaml」")):
        bad = run(["diff", spec, "p/x.yaml"], cwd=tmp_path)
        assert bad.returncode == 1 and code in bad.stderr and words in bad.stderr
        assert "Traceback" not in bad.stderr


def test_cli_refuses_two_different_policies_unless_forced(tmp_path: Path) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(BASE.replace("policy: demo-fund", "policy: other-fund"), encoding="utf-8")
    out = run(["diff", str(BASE_PATH), str(other)])
    assert out.returncode == 1 and "E701" in out.stderr and "不同的政策" in out.stderr
    assert "other.yaml:4:9" in out.stderr and "Traceback" not in out.stderr
    assert run(["diff", str(BASE_PATH), str(other), "--force"]).returncode == 0


def test_cli_bad_files(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(BASE.replace("amount: 20万元", "amount: 20万元 + 营业收人"), encoding="utf-8")
    out = run(["diff", str(BASE_PATH), str(broken)])
    assert out.returncode == 1 and "broken.yaml:" in out.stderr and "Traceback" not in out.stderr
    missing = run(["diff", str(BASE_PATH), str(tmp_path / "nope.yaml")])
    assert missing.returncode == 1 and "找不到文件" in missing.stderr
    usage = run(["diff", str(BASE_PATH)])
    assert usage.returncode == 2


def test_cli_writes_every_format(tmp_path: Path) -> None:
    new = tmp_path / "new.yaml"
    new.write_text(variant(*GOLD_30), encoding="utf-8")
    for fmt in ("text", "md", "html", "json", "docx"):
        target = tmp_path / f"out.{fmt}"
        out = run(["diff", str(BASE_PATH), str(new), "--format", fmt, "-o", str(target),
                   "--cases", str(FIXTURES / "diff" / "base.cases.yaml")])
        assert out.returncode == 0, out.stderr
        assert target.stat().st_size > 0
    assert "合计20万元 → 30万元" not in (tmp_path / "out.md").read_text(encoding="utf-8"), "cases are the drafter's"
    report = tmp_path / "report.md"
    out = run(["diff", str(BASE_PATH), str(new), "--consequences", "--format", "md", "-o", str(report)])
    assert out.returncode == 0, out.stderr
    assert "用例“首次获得金奖”合计20万元 → 30万元" in report.read_text(encoding="utf-8")
    refused = run(["diff", str(BASE_PATH), str(new), "--consequences", "--format", "docx", "-o", str(report)])
    assert refused.returncode == 2 and "--consequences" in refused.stderr
    text = run(["diff", str(BASE_PATH), str(new)])
    assert text.returncode == 0 and "\x1b" not in text.stdout, "no colour when stdout is not a terminal"


# -- issue 11: the published table as its readers see it -----------------------------------------


@pytest.fixture(scope="module")
def hami_published(hami_diff: model.DiffResult) -> dict[str, str]:
    """The text a reader sees in each published format (markup removed)."""
    import re

    import docx

    doc = docx.Document(io.BytesIO(render_docx.render_docx(hami_diff)))
    words = [p.text for p in doc.paragraphs] + [c.text for row in doc.tables[0].rows for c in row.cells]
    strip = re.compile(r"<[^>]+>")
    return {"md": strip.sub("", render_md.render_markdown(hami_diff)).replace("\\", ""),
            "html": strip.sub("", render_html.render_html(hami_diff).split("</style>")[1]),
            "docx": "\n".join(words), "text": render_text.render_text(hami_diff)}


def test_published_table_has_no_cases_rules_or_file_paths(hami_diff: model.DiffResult,
                                                          hami_published: dict[str, str]) -> None:
    # Issue 11 (对照表 2): "用例：比较58件…", "规则变化3项" and the YAML paths were on the page.
    for fmt in ("md", "html", "docx"):  # the terminal is the drafter's: it points at the report
        for word in ("用例", "规则", "影响：", "提示：", ".yaml", "policies/", "policyc"):
            assert word not in hami_published[fmt], (fmt, word)
    assert "详见 --consequences" in hami_published["text"]
    drafter = render_md.render_report_markdown(hami_diff)
    assert "policies/hami-quality-fund/final.yaml" in drafter and "用例：比较58件" in drafter
    assert "第二十二条第（四）项：程序“公示”地点由“政府网站”改为“市政府网站”。" in drafter


def test_both_columns_show_full_width_punctuation(hami_diff: model.DiffResult,
                                                  hami_published: dict[str, str]) -> None:
    # Issue 11 (对照表 3): the old column kept the draft's half-width , ( ) : ; next to 汉字.
    import re

    half = re.compile(r"[\u4e00-\u9fff“”][,;:()?!]|[,;:()?!][\u4e00-\u9fff“”]")
    for e in table.table_rows(hami_diff):
        for cell in table.row_cells(hami_diff, e):
            text = "".join(t for _, t in cell)
            assert not half.search(text), (e.cite, half.search(text))
    first = next(e for e in hami_diff.entries if e.cite == "第一条")
    assert "（以下简称“专项资金”）" in "".join(t for _, t in table.cell_segments(first, "old"))
    assert "(以下简称“专项资金”)" in "".join(t for _, t in table.cell_segments(first, "old", as_written=True))
    for text in hami_published.values():
        assert "标点符号均按全角排印" in text


def test_summary_counts_agree_with_the_rows(hami_diff: model.DiffResult) -> None:
    # Issue 11 (对照表 5): "移动1条" beside "3条改属其他章"; "条内各款、项：修改6处" beside one 项 shown.
    summary = table.summary_lines(hami_diff)
    assert summary[0] == ("概要：修改标题，修改6条，1条未修改条文、仅调整位置，删除1章；"
                          "第二十六条至第二十八条由第七章“附则”移入第六章“监督管理”。")
    assert summary[1] == "条内各款、项：修改1处（第二十二条第（四）项）。"
    rows = table.table_rows(hami_diff)
    articles = [e for e in rows if e.level == "article"]
    assert len(articles) == 6 + 1 and sum(1 for e in articles if e.kind == "modified") == 6
    assert sorted(e.cite for e in rows if e.chapter_move) == ["第二十七条", "第二十八条", "第二十六条"]
    shown = [c for e in rows for c in e.changes if (c.new or c.old) and (c.new or c.old).label]  # type: ignore[union-attr]
    assert len(shown) == hami_diff.counts["clauses"]["modified"] == 1


def test_rows_are_kept_whole_across_pages(hami_diff: model.DiffResult) -> None:
    # Issue 11 (对照表 6): rows split across pages left "效使用专项资金。" alone at the top of p3.
    import docx
    from docx.oxml.ns import qn

    (tbl,) = docx.Document(io.BytesIO(render_docx.render_docx(hami_diff))).tables
    for row in tbl.rows:
        tr_pr = row._tr.trPr
        assert tr_pr is not None and tr_pr.find(qn("w:cantSplit")) is not None
    assert tbl.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    html = render_html.render_html(hami_diff)
    assert "tr { break-inside: avoid;" in html and "thead { display: table-header-group; }" in html
    # A row taller than a page must break: it is not kept whole.
    long = "专项资金的使用遵循公开、公平、公正的原则，实行自愿申报、专家评审、社会公示的管理方式。" * 12
    r = compare(BASE, variant((PRINCIPLES, article("principles", long))))
    (big,) = docx.Document(io.BytesIO(render_docx.render_docx(r))).tables
    assert big.rows[1]._tr.trPr is None or big.rows[1]._tr.trPr.find(qn("w:cantSplit")) is None


def test_quotes_chapter_heading_legend_page_and_black_deletions(hami_diff: model.DiffResult,
                                                                hami_published: dict[str, str]) -> None:
    # Issue 11 (对照表 7).
    import docx

    for text in [*hami_published.values(), render_md.render_report_markdown(hami_diff)]:
        assert "「" not in text and "」" not in text
    chapter = next(e for e in hami_diff.entries if e.level == "chapter")
    assert table.cell_segments(chapter, "old") == [("del", "第七章 附则")]
    # The legend names the marks that occur (no renumbering here: no 加粗), alike in every format.
    legend = "".join(t for _, t in table.legend(hami_diff))
    assert legend.startswith("注：删除线为删除的内容，下划线为新增或修改后的内容。") and "加粗" not in legend
    for fmt, text in hami_published.items():
        if fmt != "text":
            assert legend in text, fmt
    html = render_html.render_html(hami_diff)
    assert "@page { size: A4 landscape;" in html and "counter(page)" in html
    assert "#c00000" not in html and "color: inherit; text-decoration: line-through double" in html
    doc = docx.Document(io.BytesIO(render_docx.render_docx(hami_diff)))
    struck = [r for row in doc.tables[0].rows for c in row.cells for p in c.paragraphs for r in p.runs
              if r.font.double_strike]
    assert struck and all(r.font.color.rgb is None for r in struck)
    assert doc.core_properties.title == table.table_title(hami_diff)


_WORDS = ["哈密市", "市", "市场", "监督", "管理局", "监管局", "财政局", "、", "，", ",", "20", "30", "万元", "并",
          "按规定", "第1条", "第一条", " ", "政府", "网站", "公示"]


@given(st.lists(st.sampled_from(_WORDS), max_size=12), st.lists(st.sampled_from(_WORDS), max_size=12))
@settings(max_examples=300, deadline=None)
def test_whole_word_marks_still_add_up_and_mirror(a: list[str], b: list[str]) -> None:
    old, new = "".join(a), "".join(b)
    ops = tokens.inline_ops(old, new)
    assert "".join(o.old for o in ops) == old and "".join(o.new for o in ops) == new
    assert [o.mirrored() for o in ops] == tokens.inline_ops(new, old)
    for o in ops:
        if o.op == "equal":
            assert tokens.substance(o.old) == tokens.substance(o.new)


def test_the_docx_title_is_short_over_long() -> None:
    """GB/T 9704 §7.3.1: a two-line title is a trapezoid (short line over a longer one), words whole."""
    import io

    import docx

    from compiler.documents.titles import balance_title

    head, tail = balance_title("《哈密市质量提升发展专项资金管理办法（试行）》征求意见稿与正式文本条文对照表", 28)
    assert (head, tail) == ("《哈密市质量提升发展专项资金", "管理办法（试行）》征求意见稿与正式文本条文对照表")
    document = docx.Document(io.BytesIO((ROOT / "generated/hami-quality-fund/diff-draft-final.docx").read_bytes()))
    lines = [p.text for p in document.paragraphs[:2]]
    assert lines == [head, tail]
