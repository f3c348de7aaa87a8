"""Writing Python source: an indenting line writer, safe comments and deterministic literals.

Strings from YAML only ever reach generated code through `py_literal()` (repr of a constant) or
`comment()` (one line, no line breaks), so no policy text can break or inject code.
"""

from __future__ import annotations

import datetime as dt
import io
import tokenize
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

WIDTH = 100  # the line length generated code keeps to (ruff's, for the project's own code)
_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def comment_text(text: str, limit: int = 200) -> str:
    """Text made safe for a `#` comment: one line, no line-break characters, bounded length."""
    one = text.translate(_LINE_BREAKS)
    return one if len(one) <= limit else one[: limit - 1] + "…"



class PyWriter:
    """Emits indented Python source line by line (pegen/Jinja style: line(), indent())."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0

    def line(self, text: str = "") -> None:
        self.lines.append(("    " * self.level + text) if text else "")

    def comment(self, text: str) -> None:
        self.line("# " + comment_text(text))

    @contextmanager
    def indent(self) -> Iterator[None]:
        self.level += 1
        try:
            yield
        finally:
            self.level -= 1

    def source(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def py_literal(value: Any) -> str:
    """A Python literal for a constant (Decimal, date, frozenset, str …), deterministic."""
    if isinstance(value, bool) or value is None:
        return repr(value)
    if isinstance(value, Decimal):
        return f"Decimal({str(value)!r})"
    if isinstance(value, dt.date):
        return f"dt.date({value.year}, {value.month}, {value.day})"
    if isinstance(value, frozenset):
        if not value:
            return "frozenset()"
        return "frozenset({" + ", ".join(repr(v) for v in sorted(value)) + "})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str | int):
        return repr(value)
    raise TypeError(value)  # pragma: no cover




def literal_lines(value: Any, width: int = 100) -> list[str]:
    """`py_literal(value)` split over lines when it is longer than `width`: one item per line for
    collections, and long strings as implicitly joined pieces, so generated lines stay readable."""
    one = py_literal(value)
    if len(one) <= width:
        return [one]
    if isinstance(value, str):
        step = max(8, width // 3)  # a CJK character is two columns wide on screen
        pieces = [value[i : i + step] for i in range(0, len(value), step)]
        return ["(", *("    " + repr(p) for p in pieces), ")"]
    if isinstance(value, frozenset | tuple | dict):
        if isinstance(value, frozenset):
            opening, closing, items = "frozenset({", "})", [literal_lines(v, width - 4) for v in sorted(value)]
        elif isinstance(value, tuple):
            opening, closing, items = "(", ")", [literal_lines(v, width - 4) for v in value]
        else:
            opening, closing = "{", "}"
            items = []
            for k, v in value.items():
                inner = literal_lines(v, width - 4)
                items.append([f"{py_literal(k)}: {inner[0]}", *inner[1:]])
        lines = [opening]
        for item in items:
            lines += ["    " + item[0], *("    " + rest for rest in item[1:])]
            lines[-1] += ","
        return [*lines, closing]
    return [one]


def wrap_code(code: str, indent: int) -> list[str]:
    """A statement split inside brackets after a comma or an operator so that no line (with its
    indentation) is longer than the generated code's width; strings are never split."""
    if indent + len(code) <= WIDTH:
        return [code]
    tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    breaks: list[int] = []
    depth = 0
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif depth > 0 and ((tok.type == tokenize.OP and tok.string in (",", "+", "-", "*", "/"))
                            or (tok.type == tokenize.NAME and tok.string in ("and", "or", "else"))):
            breaks.append(tok.end[1])
    lines: list[str] = []
    start, last = 0, 0
    limit = WIDTH - indent
    for point in breaks:
        if point - start > limit - (4 if lines else 0) and last > start:
            lines.append(code[start:last].rstrip())
            start = last
        last = point
    lines.append(code[start:].rstrip())
    return [lines[0]] + ["    " + line.lstrip() for line in lines[1:]]
