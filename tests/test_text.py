"""Fidelity: the document rebuilt from the YAML equals the issued text (normalised), and a
one-character edit is caught with a message naming the clause and the characters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import HAMI

from compiler.pipeline import policy_from_tree
from compiler.text import compare_with_source, extract_document, normalise, rebuild
from compiler.yamlsrc import parse_yaml

SOURCE = HAMI.parent / "sources/000_4d62ab5317b4088a.txt"


def test_normalise_ignores_form_not_substance() -> None:
    assert normalise("第1章 总则（一）“专项资金”，") == normalise("第一章总则(一)\"专项资金\",")
    assert normalise("**第一条** 为") == normalise("第一条 为")
    assert normalise("给予20万元") != normalise("给予30万元")


def test_hami_rebuild_reproduces_every_source_article(hami: Any) -> None:
    doc = extract_document(SOURCE.read_text(encoding="utf-8"), hami.meta.title)
    assert doc is not None and len(doc.articles) == 28 == len(hami.articles)
    assert len(doc.chapters) == 6 == len(hami.chapters)
    assert compare_with_source(hami, HAMI.parent) == []
    rebuilt = rebuild(hami)
    body = "\n".join([*doc.chapters, *doc.articles.values()])
    assert sorted(normalise(rebuilt)) == sorted(normalise(hami.meta.title + body))
    assert "第十一条 质量强企奖励事项及金额：\n（一）首次获得中国质量奖的，给予60万元奖励；" in rebuilt
    assert "第五条 哈密市市场监督管理局（以下简称“市市场监管局”）主要职责：（一）牵头" in rebuilt


def test_one_character_edit_is_caught(tmp_path: Path) -> None:
    text = HAMI.read_text(encoding="utf-8").replace("给予60万元奖励", "给予66万元奖励", 1)
    policy = policy_from_tree(parse_yaml(text, "edited.yaml"), "edited.yaml")
    diags = compare_with_source(policy, HAMI.parent)
    assert len(diags) == 1
    (d,) = diags
    assert d.code == "E504" and d.clause == "第十一条"
    assert "源文件为「0」，YAML 为「6」" in d.message
