"""Expressions as the model holds them: the source text with its syntax tree, and tiered values."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.lang import ast
from compiler.source.diagnostics import Span
from compiler.source.yamlsrc import YStr


@dataclass(frozen=True, eq=False)
class Expr:
    """An expression as written in YAML and its syntax tree (parsed when the model is built; an
    `ast.Unparsed` node where the text has a syntax error, which is reported then)."""

    src: YStr
    node: ast.Node

    @property
    def text(self) -> str:
        return str(self.src)


@dataclass(frozen=True, eq=False)
class Band:
    range_src: YStr
    value: Expr
    band: ast.Band  # an open band where the range has a syntax error (reported when built)


@dataclass
class Tiers:
    of: Expr
    bands: list[Band]
    otherwise: Expr | None
    span: Span
