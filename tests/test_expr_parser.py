"""The expression language: Chinese/English forms, boundary words (民法典 第一千二百五十九条),
units, error positions, and a grammar without LALR conflicts."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark

from compiler.lang import ast, units
from compiler.lang.parser import ExprSyntaxError, parse, parse_band


def test_chinese_and_english_forms_are_equivalent() -> None:
    zh = parse("甲 且 非 乙 或 丙")
    en = parse("甲 and not 乙 or 丙")
    strip = lambda n: repr(n).replace(" ", "")  # noqa: E731
    assert type(zh) is type(en) is ast.Logic
    assert zh.op == en.op == "or"  # type: ignore[attr-defined]
    assert strip(zh).count("Not") == strip(en).count("Not") == 1


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("人数 20人以上", ">="), ("支数 40支以下", "<="), ("期限 3年以内", "<="), ("比例 50%以外", ">"),
        ("工资 不满3000元", "<"), ("比例 超过50%", ">"), ("工龄 届满1年", ">="), ("工龄 满1年", ">="),
        ("投资 不超过1000万元", "<="), ("收入 不低于20万元", ">="), ("收入 ≥ 20万元", ">="),
        ("收入 >= 20万元", ">="), ("年龄 未满18年", "<"), ("a 等于 1", "=="), ("a ≠ 1", "!="),
    ],
)
def test_boundary_words_follow_the_civil_code(text: str, op: str) -> None:
    node = parse(text)
    assert isinstance(node, ast.Compare) and node.op == op


def test_boundary_word_includes_the_number() -> None:
    band = parse_band("20人以上")
    assert band.contains(Decimal(20)) and not band.contains(Decimal(19))
    band = parse_band("不满3000元")
    assert not band.contains(Decimal(3000)) and band.contains(Decimal("2999.99"))
    band = parse_band("2000元以上不满3000元")
    assert band.contains(Decimal(2000)) and not band.contains(Decimal(3000))
    assert parse_band("超过1000元至5000元以下").contains(Decimal(5000))


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("20万元", Decimal(200000), "万元"), ("80%", Decimal("0.80"), "%"), ("0.43元/公斤/年", Decimal("0.43"), "元/公斤/年"),
        ("3年", Decimal(3), "年"), ("7个自然日", Decimal(7), "个自然日"), ("5个工作日", Decimal(5), "个工作日"),
        ("200元/吨", Decimal("0.2"), "元/吨"), ("3吨", Decimal(3000), "吨"), ("0.05元/千瓦时", Decimal("0.05"), "元/千瓦时"),
    ],
)
def test_unit_literals_keep_their_unit(text: str, value: Decimal, unit: str) -> None:
    node = parse(text)
    assert isinstance(node, ast.Quantity) and node.value == value and node.unit and node.unit.name == unit


def test_dates_strings_lists_functions_conditionals() -> None:
    assert isinstance(parse("2026年5月19日"), ast.DateLit)
    assert isinstance(parse("2026-05-19"), ast.DateLit)
    m = parse('单位类型 属于 ["企业", “事业单位”, 「社会组织」]')
    assert isinstance(m, ast.Member) and len(m.collection.items) == 3  # type: ignore[attr-defined]
    c = parse("min(投资额 × 40%, 1000万元)")
    assert isinstance(c, ast.Call) and c.func == "min"
    assert isinstance(parse("最大（甲，乙）"), ast.Call)
    assert isinstance(parse("如果 南疆 则 600元/吨 否则 500元/吨"), ast.Conditional)
    assert isinstance(parse("if a then 1 else 2"), ast.Conditional)
    assert isinstance(parse("日期 不为空"), ast.IsNull)


def test_precedence() -> None:
    node = parse("a + b × c >= d 且 e")
    assert isinstance(node, ast.Logic)
    cmp = node.left
    assert isinstance(cmp, ast.Compare) and isinstance(cmp.left, ast.Binary) and cmp.left.op == "+"


def test_names_never_swallow_numbers() -> None:
    node = parse("营业收入20万元以上")
    assert isinstance(node, ast.Compare) and node.left == ast.Name((0, 4), "营业收入")


@pytest.mark.parametrize(
    ("text", "start", "fragment"),
    [
        ("营业收入 且", 6, "不完整"),
        ("a b", 2, "「b」"),
        ("a @ b", 2, "「@」"),
        ("foo(1)", 0, "未知的函数"),
        ("2026-02-30 > a", 0, "不是有效的日期"),
        ("", 0, "为空"),
    ],
)
def test_syntax_errors_point_at_the_offending_text(text: str, start: int, fragment: str) -> None:
    with pytest.raises(ExprSyntaxError) as info:
        parse(text)
    assert info.value.start == start and fragment in info.value.message


def test_unknown_unit_hint() -> None:
    with pytest.raises(ExprSyntaxError) as info:
        parse("收入 > 20万美元")
    assert "不是已知的单位" in (info.value.hint or "")


def test_grammar_has_no_lalr_conflicts(caplog: pytest.LogCaptureFixture) -> None:
    text = (Path(__file__).parent.parent / "compiler/lang/grammar.lark").read_text(encoding="utf-8")
    text = text.replace("%UNIT%", units.COMPOUND_UNIT_PATTERN.replace("/", "\\/"))
    with caplog.at_level(logging.DEBUG, logger="lark"):
        Lark(text, parser="lalr", start=["start", "band"], debug=True, strict=True)
    assert not [r for r in caplog.records if "conflict" in r.getMessage().lower()]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="甲乙且或非属于包含以上以下超过不满()（）[]，,+-×÷<>=!\"“”0123456789万元%年日 ", max_size=30))
def test_parser_never_crashes(text: str) -> None:
    try:
        parse(text)
    except ExprSyntaxError as exc:
        assert 0 <= exc.start <= len(text) + 1 and exc.message


@pytest.mark.parametrize(("text", "op"), [("x 不大于 25公斤", "<="), ("x 不小于 5人", ">="), ("x 未达到 50%", "<")])
def test_more_comparison_words(text: str, op: str) -> None:
    node = parse(text)
    assert isinstance(node, ast.Compare) and node.op == op


def test_floor_and_ceil_take_one_argument() -> None:
    assert isinstance(parse("取整(人数 ÷ 50人)"), ast.Call)
    with pytest.raises(ExprSyntaxError) as info:
        parse("向上取整(1, 2)")
    assert "需要 1 个参数" in info.value.message
