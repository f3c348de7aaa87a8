"""Stage 4a, expressions: text → AST, with the LALR parser built once from grammar.lark.

Syntax errors become `ExprSyntaxError(start, end, message, hint)` in Chinese, naming the
offending text and what was expected; the caller maps the offsets into the YAML file.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import lark
from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError
from lark.grammar import Rule
from lark.lexer import TerminalDef

from compiler.lang import ast, units

_COMPARE_OPS = {
    ">=": ">=", "≥": ">=", "大于等于": ">=", "高于等于": ">=", "不低于": ">=", "不少于": ">=",
    "不小于": ">=", "届满": ">=", "未达到": "<", "不大于": "<=", "低于等于": "<=",
    "满": ">=", "达到": ">=",
    "<=": "<=", "≤": "<=", "小于等于": "<=", "不高于": "<=", "不多于": "<=", "不超过": "<=",
    ">": ">", "＞": ">", "大于": ">", "高于": ">", "超过": ">",
    "<": "<", "＜": "<", "小于": "<", "低于": "<", "不满": "<", "未满": "<",
    "==": "==", "=": "==", "＝": "==", "等于": "==",
    "!=": "!=", "≠": "!=", "不等于": "!=",
}  # fmt: skip
_POSTFIX_OPS = {"以上": ">=", "以下": "<=", "以内": "<=", "以外": ">"}
_ARITH_OPS = {"+": "+", "＋": "+", "-": "-", "－": "-", "*": "*", "×": "*", "＊": "*",
              "/": "/", "÷": "/", "／": "/"}  # fmt: skip
FUNCTIONS = {
    "min": "min", "最小": "min", "最小值": "min", "max": "max", "最大": "max", "最大值": "max",
    "floor": "floor", "取整": "floor", "向下取整": "floor", "ceil": "ceil", "向上取整": "ceil",
}  # fmt: skip
ARITY = {"floor": 1, "ceil": 1}

_QTY_RE = re.compile(rf"(\d+(?:\.\d+)?)({units.COMPOUND_UNIT_PATTERN})?(以上|以下|以内|以外)?")


class ExprSyntaxError(Exception):
    """A syntax error at characters [start, end) of the expression text."""

    def __init__(self, start: int, end: int, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.start = start
        self.end = end
        self.message = message
        self.hint = hint


MAX_EXPR_CHARS = 1000  # characters of one expression; the longest in the policies has 58
MAX_EXPR_DEPTH = 50  # nesting of operators (且/或 chains count one level per term); policies use 4
MAX_INT_DIGITS, MAX_FRACTION_DIGITS = 15, 6  # of a number literal: 999万亿 with 6 decimals

_GRAMMAR = Path(__file__).with_name("grammar.lark")
# The LALR tables built from grammar.lark, shipped in the package as plain JSON data (not a
# pickle, not code) and checked by a test; stale or missing tables mean a rebuild in memory.
# Nothing is read from or written to a shared directory such as /tmp (a cache there could be
# replaced by any local user, and Lark's own cache is a pickle that runs code when loaded).
TABLES = Path(__file__).with_name("grammar_tables.json")
_OPTIONS: dict[str, Any] = {
    "parser": "lalr", "start": ["start", "band"], "propagate_positions": True, "maybe_placeholders": False,
}  # fmt: skip


def grammar_text() -> str:
    text = _GRAMMAR.read_text(encoding="utf-8")
    return text.replace("%UNIT%", units.COMPOUND_UNIT_PATTERN.replace("/", "\\/"))


def _fingerprint(text: str) -> str:
    key = json.dumps([text, _OPTIONS, lark.__version__], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _to_json(value: Any) -> Any:
    """Lark's serialized tables hold tuples and int-keyed dicts; JSON has neither, so both are
    tagged: {"t": [...]} for a tuple, {"m": [[key, value], ...]} for a dict."""
    if isinstance(value, dict):
        return {"m": [[_to_json(k), _to_json(v)] for k, v in value.items()]}
    if isinstance(value, tuple):
        return {"t": [_to_json(v) for v in value]}
    if isinstance(value, list):
        return [_to_json(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"unexpected {type(value).__name__} in the parser tables")


def _from_json(obj: dict[str, Any]) -> Any:
    """json.loads object_hook undoing _to_json (the document's own top level has three keys)."""
    if len(obj) == 1:
        if "t" in obj:
            return tuple(obj["t"])
        if "m" in obj:
            return {key: value for key, value in obj["m"]}
    return obj


def build_tables() -> str:
    """The JSON text of grammar_tables.json for the current grammar (`python -m compiler.lang.parser`
    rewrites the file; a test fails while it is stale)."""
    text = grammar_text()
    data, memo = Lark(text, **_OPTIONS).memo_serialize([TerminalDef, Rule])
    doc = {"fingerprint": _fingerprint(text), "data": _to_json(data), "memo": _to_json(memo)}
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


@cache
def _lark() -> Lark:
    text = grammar_text()
    try:
        doc = json.loads(TABLES.read_text(encoding="utf-8"), object_hook=_from_json)
    except (OSError, ValueError, TypeError):
        doc = None
    if isinstance(doc, dict) and doc.get("fingerprint") == _fingerprint(text):
        loaded: Lark = Lark._load_from_dict(doc["data"], doc["memo"])  # type: ignore[no-untyped-call]
        return loaded
    return Lark(text, **_OPTIONS)  # about 0.3 s: grammar or Lark changed since the tables were built


def grammar_parser() -> Lark:
    """The shared Lark instance (for tests that inspect the grammar)."""
    return _lark()


def _split_quantity(text: str) -> tuple[Decimal, units.Unit | None, str | None]:
    m = _QTY_RE.fullmatch(text)
    if m is None:  # pragma: no cover - the lexer only produces matching tokens
        raise ValueError(text)
    number = Decimal(m.group(1))
    unit = units.parse_unit(m.group(2)) if m.group(2) else None
    return number, unit, m.group(3)


def _pos(meta_or_token: object) -> ast.Pos:
    start = getattr(meta_or_token, "start_pos", 0) or 0
    end = getattr(meta_or_token, "end_pos", start) or start
    return (start, end)


def _quantity(token: Token) -> tuple[ast.Quantity, str | None]:
    digits = re.match(r"(\d*)(?:\.(\d*))?", str(token))
    assert digits is not None
    if len(digits.group(1)) > MAX_INT_DIGITS or len(digits.group(2) or "") > MAX_FRACTION_DIGITS:
        written = digits.group()
        raise ExprSyntaxError(
            token.start_pos or 0, (token.start_pos or 0) + len(digits.group()),
            f"数值「{written if len(written) <= 20 else written[:19] + '…'}」位数过多",
            f"数值的整数部分最多 {MAX_INT_DIGITS} 位、小数部分最多 {MAX_FRACTION_DIGITS} 位；"
            "金额请用合适的单位（万元、亿元）",
        )
    number, unit, postfix = _split_quantity(str(token))
    value = number * unit.scale if unit else number
    text = str(token)
    if postfix:
        text = text[: -len(postfix)]
    end = (token.start_pos or 0) + len(text)
    return ast.Quantity((token.start_pos or 0, end), value, unit, text), postfix


def parse_date_text(text: str) -> dt.date:
    m = re.fullmatch(r"(\d{4})(?:-|年)(\d{1,2})(?:-|月)(\d{1,2})日?", text)
    if not m:
        raise ValueError(text)
    return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


@v_args(meta=True)
class _ToAst(Transformer[Token, ast.Node]):
    def quantity(self, meta: object, children: list[Token]) -> ast.Node:
        return _quantity(children[0])[0]

    def date(self, meta: object, children: list[Token]) -> ast.Node:
        tok = children[0]
        try:
            value = parse_date_text(str(tok))
        except ValueError:
            raise ExprSyntaxError(
                tok.start_pos or 0, tok.end_pos or 0, f"「{tok}」不是有效的日期"
            ) from None
        return ast.DateLit(_pos(tok), value, str(tok))

    def string(self, meta: object, children: list[Token]) -> ast.Node:
        return ast.Text(_pos(meta), str(children[0])[1:-1])

    def true(self, meta: object, children: list[Token]) -> ast.Node:
        return ast.Bool(_pos(meta), True)

    def false(self, meta: object, children: list[Token]) -> ast.Node:
        return ast.Bool(_pos(meta), False)

    def name(self, meta: object, children: list[Token]) -> ast.Node:
        return ast.Name(_pos(meta), str(children[0]))

    def call(self, meta: object, children: list[object]) -> ast.Node:
        func_tok = children[0]
        assert isinstance(func_tok, Token)
        args = tuple(c for c in children[1:] if isinstance(c, ast.Node))
        func = FUNCTIONS.get(str(func_tok))
        if func is None:
            known = "、".join(sorted(FUNCTIONS))
            raise ExprSyntaxError(
                func_tok.start_pos or 0,
                func_tok.end_pos or 0,
                f"未知的函数「{func_tok}」",
                f"可用的函数：{known}",
            )
        if not args:
            raise ExprSyntaxError(*_pos(meta), f"函数「{func_tok}」至少需要一个参数")
        if func in ARITY and len(args) != ARITY[func]:
            raise ExprSyntaxError(*_pos(meta), f"函数「{func_tok}」需要 {ARITY[func]} 个参数，这里有 {len(args)} 个")
        return ast.Call(_pos(meta), func, args, str(func_tok))

    def list_literal(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.ListLit(_pos(meta), tuple(children))

    def negate(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Negate(_pos(meta), children[1])

    def binary(self, meta: object, children: list[object]) -> ast.Node:
        left, op_tree, right = children
        assert isinstance(left, ast.Node) and isinstance(right, ast.Node)
        word = _op_word(op_tree)
        return ast.Binary(_pos(meta), _ARITH_OPS[word], left, right, word)

    def compare(self, meta: object, children: list[object]) -> ast.Node:
        left, op_tree, right = children
        assert isinstance(left, ast.Node) and isinstance(right, ast.Node)
        word = _op_word(op_tree)
        return ast.Compare(_pos(meta), _COMPARE_OPS[word], left, right, word)

    def bound(self, meta: object, children: list[object]) -> ast.Node:
        left, tok = children
        assert isinstance(left, ast.Node) and isinstance(tok, Token)
        qty, postfix = _quantity(tok)
        assert postfix is not None
        return ast.Compare(_pos(meta), _POSTFIX_OPS[postfix], left, qty, postfix)

    def logic_or(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Logic(_pos(meta), "or", children[0], children[1])

    def logic_and(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Logic(_pos(meta), "and", children[0], children[1])

    def logic_not(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Not(_pos(meta), children[0])

    def member(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Member(_pos(meta), children[0], children[1], False)

    def not_member(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Member(_pos(meta), children[0], children[1], True)

    def contains(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Member(_pos(meta), children[1], children[0], False)

    def not_contains(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Member(_pos(meta), children[1], children[0], True)

    def is_null(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.IsNull(_pos(meta), children[0], False)

    def not_null(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.IsNull(_pos(meta), children[0], True)

    def conditional(self, meta: object, children: list[ast.Node]) -> ast.Node:
        return ast.Conditional(_pos(meta), children[0], children[1], children[2])


def _op_word(tree: object) -> str:
    assert isinstance(tree, Tree)
    return str(tree.children[0])


# Descriptions of what the parser expected, grouped so the message stays short.
_EXPECT_GROUPS: list[tuple[str, set[str]]] = [
    ("名称", {"NAME"}),
    ("数值", {"QUANTITY"}),
    ("日期", {"DATE"}),
    ("带引号的文字", {"STRING"}),
    ("比较运算符（如 >=、超过、不满）", set(_COMPARE_OPS)),
    ("“以上/以下”条件（如 20人以上）", {"BOUND_QTY"}),
    ("逻辑运算符（且、或）", {"且", "并且", "或", "或者", "and", "or", "&&", "||"}),
    ("“则”", {"则", "then"}),
    ("“否则”", {"否则", "else"}),
    ("右括号「)」", {")", "）"}),
    ("右方括号「]」", {"]", "］"}),
    ("逗号", {",", "，", "、"}),
    ("运算符（+ - × ÷）", set(_ARITH_OPS)),
]


def _describe_expected(expected: set[str]) -> str:
    lark = _lark()
    by_name = {t.name: t for t in lark.terminals}
    values: set[str] = set()
    for name in expected:
        term = by_name.get(name)
        if term is not None and term.pattern.type == "str":
            values.add(term.pattern.value)
        else:
            values.add(name)
    parts = [label for label, members in _EXPECT_GROUPS if values & members]
    if not parts:
        parts = sorted(v for v in values if v != "$END")
    return "、".join(parts[:6])


def _token_text(token: Token) -> str:
    return "表达式结尾" if token.type == "$END" else f"「{token}」"


def parse(text: str, start: str = "start") -> ast.Node:
    """Parse an expression (`start`) into an AST; raises ExprSyntaxError."""
    if not text.strip():
        raise ExprSyntaxError(0, max(len(text), 1), "表达式为空", "写一个条件或金额，例如：营业收入 20万元以上")
    if len(text) > MAX_EXPR_CHARS:
        raise ExprSyntaxError(MAX_EXPR_CHARS, len(text), f"表达式过长（{len(text)} 个字符，上限 {MAX_EXPR_CHARS}）",
                              "把条件拆成几个事实或几条规则")
    try:
        tree = _lark().parse(text, start=start)
    except UnexpectedCharacters as exc:
        at = exc.pos_in_stream or 0
        ch = text[at] if at < len(text) else ""
        hint = None
        if ch.isdigit():
            hint = "数字后的单位无法识别；已知单位：" + "、".join(units.known_units())
        raise ExprSyntaxError(at, at + 1, f"无法识别的字符「{ch}」", hint) from None
    except UnexpectedEOF as exc:
        raise ExprSyntaxError(
            len(text), len(text) + 1,
            f"表达式不完整：结尾处还需要{_describe_expected(set(exc.expected))}",
        ) from None
    except UnexpectedInput as exc:
        token = getattr(exc, "token", None)
        expected = set(getattr(exc, "expected", set()) or set())
        if token is None or token.type == "$END":
            pos = len(text)
            raise ExprSyntaxError(
                pos, pos + 1, f"表达式不完整：结尾处还需要{_describe_expected(expected)}"
            ) from None
        start_pos = token.start_pos or 0
        end_pos = token.end_pos or start_pos + len(str(token))
        hint = _hint_for(text, token)
        raise ExprSyntaxError(
            start_pos,
            end_pos,
            f"此处不应出现{_token_text(token)}；这里应为{_describe_expected(expected)}",
            hint,
        ) from None
    _check_depth(tree)
    try:
        node = _ToAst().transform(tree)
    except VisitError as exc:
        if isinstance(exc.orig_exc, ExprSyntaxError):
            raise exc.orig_exc from None
        raise
    assert isinstance(node, ast.Node)
    return node


def _check_depth(tree: Tree[Token]) -> None:
    """Refuse trees nested deeper than MAX_EXPR_DEPTH before anything recurses over them (the
    transformer, the checker and both engines do); the walk itself uses an explicit stack."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_EXPR_DEPTH:
            start, end = _pos(node.meta)
            raise ExprSyntaxError(
                start, max(end, start + 1), f"表达式嵌套过深（超过 {MAX_EXPR_DEPTH} 层）",
                "每个且/或连接的条件、每个非、负号和函数调用都增加一层；把条件拆成几个事实或几条规则",
            )
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _hint_for(text: str, token: Token) -> str | None:
    before = text[: token.start_pos or 0].rstrip()
    if token.type == "NAME" and before and before[-1].isdigit():
        return f"「{token}」不是已知的单位；已知单位：" + "、".join(units.known_units())
    if token.type == "NAME":
        return "两个名称之间缺少运算符；中文运算符（且、或、属于、包含）两侧要加空格"
    return None


def parse_band(text: str) -> ast.Band:
    """Parse a tier range such as 2000元以上不满3000元 into a Band; raises ExprSyntaxError."""
    if not text.strip():
        raise ExprSyntaxError(0, 1, "分档区间为空", "例如：3000元以上、超过1000元不满5000元")
    if len(text) > MAX_EXPR_CHARS:
        raise ExprSyntaxError(MAX_EXPR_CHARS, len(text), f"分档区间过长（{len(text)} 个字符，上限 {MAX_EXPR_CHARS}）")
    try:
        tree = _lark().parse(text, start="band")
    except UnexpectedInput as exc:
        pos = getattr(exc, "pos_in_stream", None) or 0
        raise ExprSyntaxError(
            pos, pos + 1, f"无法识别的分档区间「{text}」",
            "区间写法：3000元以上、3000元以下、超过3000元、不满3000元、2000元以上不满3000元",
        ) from None
    lower: Decimal | None = None
    upper: Decimal | None = None
    lower_inc = upper_inc = False
    unit: units.Unit | None = None
    for part in tree.children:
        assert isinstance(part, Tree)
        first = part.children[0]
        if isinstance(first, Token) and first.type == "BOUND_QTY":
            qty, postfix = _quantity(first)
            op = _POSTFIX_OPS[postfix or ""]
        else:
            word = _op_word(first)
            tok = part.children[1]
            assert isinstance(tok, Token)
            qty, _ = _quantity(tok)
            op = _COMPARE_OPS[word]
        unit = unit or qty.unit
        if op in (">", ">="):
            if lower is not None:
                raise ExprSyntaxError(0, len(text), f"分档区间「{text}」有两个下限")
            lower, lower_inc = qty.value, op == ">="
        elif op in ("<", "<="):
            if upper is not None:
                raise ExprSyntaxError(0, len(text), f"分档区间「{text}」有两个上限")
            upper, upper_inc = qty.value, op == "<="
        else:
            raise ExprSyntaxError(0, len(text), f"分档区间「{text}」不能用「等于/不等于」")
    if lower is not None and upper is not None and lower > upper:
        raise ExprSyntaxError(0, len(text), f"分档区间「{text}」的下限大于上限")
    return ast.Band(lower, lower_inc, upper, upper_inc, unit, text)


if __name__ == "__main__":  # rewrite the shipped parser tables after changing grammar.lark
    # Lark numbers the LALR states in an order that varies between runs, so the file's bytes
    # change at every rewrite; the fingerprint (grammar, options, Lark version) does not.
    TABLES.write_text(build_tables(), encoding="utf-8")
