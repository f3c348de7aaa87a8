"""`policyc check-source`: every committed policy says what its source says, clause by clause, and
a one-character edit (in the YAML or in the source) is reported at the clause it is in."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from conftest import ROOT

from compiler.cli import main
from compiler.importer.command import check_source
from compiler.model.load import load_policy, policy_from_tree
from compiler.source.diagnostics import Diagnostic
from compiler.source.files import find_policy_files
from compiler.source.yamlsrc import parse_yaml

HAMI = ROOT / "policies/hami-quality-fund/final.yaml"
HAMI_SOURCE = HAMI.parent / "sources/000_4d62ab5317b4088a.txt"


@pytest.mark.parametrize("path", find_policy_files(ROOT / "policies"), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_committed_policy_matches_its_source(path: Path) -> None:
    diags, parsed = check_source(load_policy(path), path, None)
    assert diags == [], "\n".join(d.message for d in diags)
    assert parsed is not None and parsed.articles


def test_cli_checks_all_policies(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--root", str(ROOT), "check-source"]) == 0
    out = capsys.readouterr().out
    assert "✓ " in out and "final.yaml：6 章，28 条，30 款，47 项与源文件一致" in out


def _edited(tmp_path: Path, old: str, new: str, count: int = 1) -> tuple[Path, list[Diagnostic]]:
    """A copy of the Hami final (with its source) where `old` is replaced by `new` in the YAML."""
    folder = tmp_path / "policies" / "hami-quality-fund"
    (folder / "sources").mkdir(parents=True)
    shutil.copyfile(HAMI_SOURCE, folder / "sources" / HAMI_SOURCE.name)
    text = HAMI.read_text(encoding="utf-8")
    assert text.count(old) >= count
    edited = folder / "final.yaml"
    edited.write_text(text.replace(old, new, count), encoding="utf-8")
    policy = policy_from_tree(parse_yaml(edited.read_text(encoding="utf-8"), str(edited)), str(edited))
    diags, _ = check_source(policy, edited, None)
    return edited, diags


def _line_of(path: Path, fragment: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(i for i, ln in enumerate(lines, start=1) if fragment in ln)


def test_one_changed_character_is_reported_at_its_item(tmp_path: Path) -> None:
    edited, diags = _edited(tmp_path, "给予60万元奖励", "给予66万元奖励")
    (d,) = diags
    assert (d.code, d.clause) == ("E504", "第十一条第（一）项")
    assert "在「…奖的，给予6」之后，源文件为「0」，YAML 为「6」" in d.message
    assert d.span is not None and d.span.line == _line_of(edited, "给予66万元奖励")
    assert d.hint is not None and d.hint.endswith(f"{HAMI_SOURCE.name}:34")


def test_missing_and_added_characters_name_their_clause(tmp_path: Path) -> None:
    _, diags = _edited(tmp_path, "重复申报同一奖励事项，或已获得", "重复申报同一奖励事项或已获得")
    (d,) = diags
    assert d.clause == "第十七条第（三）项" and "之后缺少「，」" in d.message
    assert d.hint is not None and d.hint.endswith(":62")
    _, diags = _edited(tmp_path / "2", "仅对正式发布的标准文本", "仅对正式发布的标准文本文本")
    (d,) = diags
    assert d.clause == "第十三条第二款" and "之后多出「文本」" in d.message


def test_chapter_title_and_missing_article_are_reported(tmp_path: Path) -> None:
    edited, diags = _edited(tmp_path, "title: 预算与资金管理", "title: 预算管理")
    assert [(d.code, d.clause) for d in diags] == [("E504", "第四章")]
    # the message points at the chapter in the YAML, not only at the source line
    span = diags[0].span
    assert span is not None and "chapter: budget-management" in edited.read_text(encoding="utf-8").splitlines()[span.line - 1]
    _, diags = _edited(tmp_path / "2",
                       "      - id: residual\n        text: 本办法未尽事宜，按照国家、自治区及哈密市有关财政资金管理规定执行。\n"
                       "        nature: declaratory\n", "")
    missing = [d for d in diags if (d.code, d.clause) == ("E503", "第二十八条")]
    assert missing and missing[0].span is not None  # points at the YAML article it belongs after


def test_cli_exit_code_and_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    edited, _ = _edited(tmp_path, "在市政府网站公示7个自然日", "在市政府网站公示8个自然日")
    assert main(["check-source", str(edited)]) == 1
    err = capsys.readouterr().err
    assert "错误[E504]: 第二十二条第（四）项与源文件不一致" in err and "源文件为「7」，YAML 为「8」" in err
    assert "Traceback" not in err


def test_an_edited_source_is_caught_too(tmp_path: Path) -> None:
    source = tmp_path / "source.txt"
    source.write_text(HAMI_SOURCE.read_text(encoding="utf-8").replace("在市政府网站公示7个自然日", "在市政府网站公示5个自然日"),
                      encoding="utf-8")
    diags, _ = check_source(load_policy(HAMI), HAMI, source)
    (d,) = diags
    assert d.clause == "第二十二条第（四）项" and "源文件为「5」，YAML 为「7」" in d.message
    assert d.hint is not None and d.hint.endswith("source.txt:78")


def test_source_as_gb18030_or_docx_is_accepted(tmp_path: Path) -> None:
    text = HAMI_SOURCE.read_text(encoding="utf-8")
    gb = tmp_path / "hami.txt"
    gb.write_bytes(text.encode("gb18030"))
    word = tmp_path / "hami.docx"
    document = docx.Document()
    for line in text.split("\n"):
        document.add_paragraph(line)
    document.save(str(word))
    policy = load_policy(HAMI)
    for path in (gb, word):
        diags, _ = check_source(policy, HAMI, path)
        assert diags == []


def test_unknown_document_title(tmp_path: Path) -> None:
    _, diags = _edited(tmp_path, "document_title: 哈密市质量提升发展专项资金管理办法（试行）",
                       "document_title: 哈密市质量提升发展专项资金管理办法（修订）")
    (d,) = diags
    assert d.code == "E502" and "找不到标题为「哈密市质量提升发展专项资金管理办法（修订）」的办法" in d.message


def test_a_missing_source_is_reported_once_in_chinese(tmp_path: Path) -> None:
    """E501 used to say 无法读取源文件 twice and end in the OS's English ("No such file or directory")."""
    from compiler.importer.command import check_source as check

    policy = load_policy(ROOT / "policies/hami-quality-fund/final.yaml")
    diags, parsed = check(policy, tmp_path / "final.yaml", tmp_path / "gone.txt")
    assert parsed is None and [d.code for d in diags] == ["E501"]
    assert diags[0].message.count("源文件") == 1 and "找不到源文件" in diags[0].message
    assert diags[0].message.isascii() is False and "No such file" not in diags[0].message
