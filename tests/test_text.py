"""Fidelity: the document rebuilt from the YAML equals the issued text (normalised), and a
one-character edit is caught with a message naming the clause and the characters.
(Clause-by-clause source checks live in test_check_source.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import HAMI

from compiler.documents.text import normalise, rebuild
from compiler.importer.command import check_source
from compiler.model.load import policy_from_tree
from compiler.source.yamlsrc import parse_yaml

SOURCE = HAMI.parent / "sources/000_4d62ab5317b4088a.txt"


def test_normalise_ignores_form_not_substance() -> None:
    assert normalise("第1章 总则（一）“专项资金”，") == normalise("第一章总则(一)\"专项资金\",")
    assert normalise("**第一条** 为") == normalise("第一条 为")
    assert normalise("给予20万元") != normalise("给予30万元")


def test_hami_rebuild_reproduces_the_source_document(hami: Any) -> None:
    """The whole 办法 rebuilt from the YAML equals the source lines from its title line to its
    last article (located here independently of the importer), after normalisation."""
    lines = SOURCE.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == hami.meta.title)
    end = next(i for i, line in enumerate(lines) if line.startswith("第二十八条"))
    rebuilt = rebuild(hami)
    assert normalise(rebuilt) == normalise("\n".join(lines[start : end + 1]))
    assert len(hami.articles) == 28 and len(hami.chapters) == 6
    assert "第十一条 质量强企奖励事项及金额：\n（一）首次获得中国质量奖的，给予60万元奖励；" in rebuilt
    assert "第五条 哈密市市场监督管理局（以下简称“市市场监管局”）主要职责：（一）牵头" in rebuilt
    assert check_source(hami, HAMI, None)[0] == []


def test_one_character_edit_is_caught(tmp_path: Path) -> None:
    text = HAMI.read_text(encoding="utf-8").replace("给予60万元奖励", "给予66万元奖励", 1)
    policy = policy_from_tree(parse_yaml(text, "edited.yaml"), "edited.yaml")
    diags, _ = check_source(policy, HAMI, None)
    assert len(diags) == 1
    (d,) = diags
    assert d.code == "E504" and d.clause == "第十一条第（一）项"
    assert "给予6」之后，源文件为「0」，YAML 为「6」" in d.message
    assert d.span is not None and d.span.file == "edited.yaml"
