from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from compiler.source.diagnostics import PolicyError
from compiler.source.yamlsrc import YMap, YStr, load_yaml, locate, parse_yaml


def test_values_carry_their_positions() -> None:
    tree = parse_yaml("a:\n  b: 营业收入 20万元以上\n  c: [1, 2.5]\n", "x.yaml")
    assert isinstance(tree, YMap)
    b = tree["a"]["b"]
    assert isinstance(b, YStr) and (b.span.line, b.span.col) == (2, 6)
    assert tree["a"]["c"] == [1, Decimal("2.5")], "non-integers are Decimal, never float"
    assert locate(tree, ["a", "c", 1]).col == 10  # type: ignore[union-attr]


def test_offsets_inside_quoted_and_block_scalars() -> None:
    tree = parse_yaml('q: "甲 且 乙"\nb: |\n  第一行\n  甲 且 乙\n', "x.yaml")
    q, b = tree["q"], tree["b"]
    assert (q.offset_span(2, 3).line, q.offset_span(2, 3).col) == (1, 7)
    span = b.offset_span(b.index("且"), b.index("且") + 1)
    assert (span.line, span.col) == (4, 5)


def test_dates_stay_strings() -> None:
    tree = parse_yaml("d: 2026-05-19\n", "x.yaml")
    assert tree["d"] == "2026-05-19" and isinstance(tree["d"], str)


def test_duplicate_keys_are_errors_with_both_lines() -> None:
    with pytest.raises(PolicyError) as info:
        parse_yaml("a: 1\nb: 2\na: 3\n", "x.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "E004" and d.span and (d.span.line, d.span.col) == (3, 1)
    assert "第 1 行" in d.message


def test_syntax_error_location() -> None:
    with pytest.raises(PolicyError) as info:
        parse_yaml("a:\n  b: 1\n c: 2\n", "x.yaml")
    (d,) = info.value.diagnostics
    assert d.code == "E003" and d.span is not None and d.span.line == 3


def test_tab_indentation_is_explained() -> None:
    with pytest.raises(PolicyError) as info:
        parse_yaml("a:\n\tb: 1\n", "x.yaml")
    assert "制表符" in info.value.diagnostics[0].message


def test_missing_and_non_utf8_files(tmp_path: Path) -> None:
    with pytest.raises(PolicyError) as info:
        load_yaml(tmp_path / "nope.yaml")
    assert info.value.diagnostics[0].code == "E001"
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("title: 质量奖\n".encode("gbk"))
    with pytest.raises(PolicyError) as info:
        load_yaml(bad)
    d = info.value.diagnostics[0]
    assert d.code == "E002" and d.span and d.span.line == 1 and "UTF-8" in d.message


def test_bom_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "bom.yaml"
    f.write_bytes("\ufeffa: 甲\n".encode())
    assert load_yaml(f) == {"a": "甲"}
