"""The documented limits (README, Limits), each tested at the limit and one past it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.lang import parser
from compiler.lang.parser import ExprSyntaxError, parse, parse_band
from compiler.source import diagnostics, yamlsrc
from compiler.source.diagnostics import Diagnostic, PolicyError, Span, render_all, render_json
from compiler.source.yamlsrc import load_yaml, parse_yaml


def _codes(text: str) -> list[str]:
    try:
        parse_yaml(text, "x.yaml")
    except PolicyError as exc:
        return [d.code for d in exc.diagnostics]
    return []


def test_documented_values() -> None:
    """The README states these numbers; change both together."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    assert yamlsrc.MAX_FILE_BYTES == 524_288 and "524,288 bytes" in readme
    assert yamlsrc.MAX_DEPTH == 50 and "| 50 levels (policies use 12)" in readme
    assert yamlsrc.MAX_ALIAS_NODES == 10_000 and "| 10,000 per file" in readme
    assert yamlsrc.MAX_NUMBER_CHARS == 100 and "| an unquoted integer in YAML | 100 characters" in readme
    assert parser.MAX_EXPR_CHARS == 1000 and "| 1,000 characters" in readme
    assert parser.MAX_EXPR_DEPTH == 50 and "| 50 levels: each" in readme
    assert (parser.MAX_INT_DIGITS, parser.MAX_FRACTION_DIGITS) == (15, 6) and "15 digits before" in readme
    assert diagnostics.MAX_SHOWN == 100 and "the first 100" in readme
    assert diagnostics.MAX_EXCERPT == 160 and "160 display columns" in readme


def _file_of(size: int) -> bytes:
    head = "a: 甲\n# ".encode()
    return head + b"x" * (size - len(head) - 1) + b"\n"


def test_file_size_at_and_past_the_limit(tmp_path: Path) -> None:
    at, past = tmp_path / "at.yaml", tmp_path / "past.yaml"
    at.write_bytes(_file_of(yamlsrc.MAX_FILE_BYTES))
    past.write_bytes(_file_of(yamlsrc.MAX_FILE_BYTES + 1))
    assert at.stat().st_size == yamlsrc.MAX_FILE_BYTES
    assert load_yaml(at) == {"a": "甲"}
    with pytest.raises(PolicyError) as info:
        load_yaml(past)
    (d,) = info.value.diagnostics
    assert d.code == "E008" and d.span and (d.span.line, d.span.col) == (1, 1)
    assert "524289 字节" in d.message


def test_in_memory_text_past_the_limit_is_refused_too() -> None:
    assert _codes("a: " + "x" * (yamlsrc.MAX_FILE_BYTES + 1)) == ["E008"]


@pytest.mark.parametrize("flow", [True, False])
def test_nesting_at_and_past_the_limit(flow: bool) -> None:
    def nested(levels: int) -> str:  # `levels` nested collections, the outermost included
        if flow:
            return "[" * levels + "]" * levels + "\n"
        return "".join("  " * i + "k:\n" for i in range(levels - 1)) + "  " * (levels - 1) + "k: 1\n"

    assert _codes(nested(yamlsrc.MAX_DEPTH)) == []
    assert _codes(nested(yamlsrc.MAX_DEPTH + 1)) == ["E005"]


def test_alias_expansion_at_and_past_the_limit() -> None:
    items = ", ".join(["v"] * 99)  # the anchored list is 100 nodes: itself and 99 strings
    at = f"s: &s 1\nx: &x [{items}]\ny: [" + ", ".join(["*x"] * 100) + "]\n"
    assert _codes(at) == []
    assert _codes(at.replace("y: [", "y: [*s, ")) == ["E005"]


def _expr_error(text: str) -> str | None:
    try:
        parse(text)
    except ExprSyntaxError as exc:
        return exc.message
    return None


def test_expression_length_at_and_past_the_limit() -> None:
    at = "在本市" + " " * (parser.MAX_EXPR_CHARS - 3)
    assert len(at) == parser.MAX_EXPR_CHARS and _expr_error(at) is None
    assert "表达式过长" in (_expr_error(at + " ") or "")
    with pytest.raises(ExprSyntaxError, match="分档区间过长"):
        parse_band("3000元以上" + " " * parser.MAX_EXPR_CHARS)


@pytest.mark.parametrize("shape", ["and", "or", "not", "minus", "call"])
def test_expression_nesting_at_and_past_the_limit(shape: str) -> None:
    def nested(levels: int) -> str:  # an expression whose tree is `levels` deep
        n = levels - 1
        if shape == "and":
            return " 且 ".join(["在本市"] * (n + 1))
        if shape == "or":
            return " 或 ".join(["在本市"] * (n + 1))
        if shape == "not":
            return "非 " * n + "在本市"
        if shape == "minus":
            return "-" * n + "1万元"
        return "取整(" * n + "1" + ")" * n

    assert _expr_error(nested(parser.MAX_EXPR_DEPTH)) is None
    assert "嵌套过深" in (_expr_error(nested(parser.MAX_EXPR_DEPTH + 1)) or "")


def test_parentheses_alone_do_not_nest() -> None:
    assert _expr_error("(" * 400 + "在本市" + ")" * 400) is None


@pytest.mark.parametrize("unit", ["", "元", "万元", "亿元"])
def test_number_literals_at_and_past_the_limit(unit: str) -> None:
    assert _expr_error("9" * parser.MAX_INT_DIGITS + unit) is None
    assert "位数过多" in (_expr_error("9" * (parser.MAX_INT_DIGITS + 1) + unit) or "")
    assert _expr_error("1." + "5" * parser.MAX_FRACTION_DIGITS + unit) is None
    assert "位数过多" in (_expr_error("1." + "5" * (parser.MAX_FRACTION_DIGITS + 1) + unit) or "")


def _diags(n: int) -> list[Diagnostic]:
    return [Diagnostic("E101", f"第 {i} 个问题", Span("x.yaml", i + 1, 1)) for i in range(n)]


def test_diagnostic_count_at_and_past_the_limit() -> None:
    at = render_all(_diags(diagnostics.MAX_SHOWN))
    assert at.count("错误[E101]") == 100 and "未显示" not in at and at.endswith("共 100 个错误。")
    past = render_all(_diags(diagnostics.MAX_SHOWN + 1))
    assert past.count("错误[E101]") == 100 and "……另有 1 个错误未显示（最多显示 100 个）" in past
    assert past.endswith("共 101 个错误。")
    assert len(json.loads(render_json(_diags(diagnostics.MAX_SHOWN)))) == 100
    items = json.loads(render_json(_diags(diagnostics.MAX_SHOWN + 1)))
    assert len(items) == 101 and items[-1]["code"] == "E009" and "另有 1 个错误" in items[-1]["message"]


def test_excerpt_width_at_and_past_the_limit() -> None:
    from compiler.source.diagnostics import display_width, remember_source, render

    def excerpt(width: int) -> tuple[str, str]:
        line = "x" * (width - 4) + "甲乙"  # 甲 and 乙 take two columns each
        remember_source("w.yaml", line + "\n")
        text = render(Diagnostic("E101", "问题", Span("w.yaml", 1, width - 3, 1, width - 1)))
        src, caret = (ln.split(" | ", 1)[1] for ln in text.splitlines()[1:3])
        return src, caret

    src, caret = excerpt(diagnostics.MAX_EXCERPT)
    assert src == "x" * (diagnostics.MAX_EXCERPT - 4) + "甲乙" and caret == " " * (diagnostics.MAX_EXCERPT - 4) + "^^^^"
    src, caret = excerpt(diagnostics.MAX_EXCERPT + 1)
    assert src.startswith("…x") and src.endswith("甲乙") and display_width(src) <= diagnostics.MAX_EXCERPT
    assert caret == " " * display_width(src[: src.index("甲")]) + "^^^^", "the caret stays under 甲乙"


def test_long_messages_are_cut() -> None:
    text = render_all([Diagnostic("E104", "值「" + "长" * 10_000 + "」无效", Span("m.yaml", 1, 1))])
    assert len(text) < 1000


def test_integer_length_at_and_past_the_limit() -> None:
    """Found by fuzzing: a long 0x… integer became an int too large to print (ValueError)."""
    at = "0x" + "1" * (yamlsrc.MAX_NUMBER_CHARS - 2)
    assert _codes(f"a: {at}\n") == [] and parse_yaml(f"a: {at}\n", "x.yaml")["a"] == int(at, 16)
    assert _codes(f"a: {at}1\n") == ["E005"]
    assert _codes("a: " + "1" * (yamlsrc.MAX_NUMBER_CHARS + 1) + "\n") == ["E005"]
