"""Expression AST: frozen dataclasses, each with the character range it came from.

`pos` is (start, end) inside the expression string; `compiler.yamlsrc.YStr.offset_span` maps it
to a file:line:column. Comparison operators are normalised (民法典 第一千二百五十九条: 以上/以下/以内/
届满 include the number, 不满/超过/以外 exclude it) but keep the words the drafter wrote.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from compiler.lang.units import Unit

Pos = tuple[int, int]


@dataclass(frozen=True, slots=True)
class Node:
    pos: Pos


@dataclass(frozen=True, slots=True)
class Unparsed(Node):
    """Stands for an expression with a syntax error (already reported), so that every expression of
    a model has a node; a policy with one never gets past the checks."""

    text: str


@dataclass(frozen=True, slots=True)
class Quantity(Node):
    """A number with its unit as written; `value` is in base units (元, ratio, 吨 …)."""

    value: Decimal
    unit: Unit | None
    text: str


@dataclass(frozen=True, slots=True)
class DateLit(Node):
    value: dt.date
    text: str


@dataclass(frozen=True, slots=True)
class Text(Node):
    value: str


@dataclass(frozen=True, slots=True)
class Bool(Node):
    value: bool


@dataclass(frozen=True, slots=True)
class Name(Node):
    name: str


@dataclass(frozen=True, slots=True)
class ListLit(Node):
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Negate(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Binary(Node):
    """Arithmetic: op is one of + - * /; `word` is the symbol written (×, ÷ …)."""

    op: str
    left: Node
    right: Node
    word: str


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """op is one of < <= > >= == !=; `word` is what was written (超过, 以上, ≥ …)."""

    op: str
    left: Node
    right: Node
    word: str


@dataclass(frozen=True, slots=True)
class Logic(Node):
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Not(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Member(Node):
    """`item 属于 collection` (negated: 不属于)."""

    item: Node
    collection: Node
    negated: bool


@dataclass(frozen=True, slots=True)
class IsNull(Node):
    operand: Node
    negated: bool


@dataclass(frozen=True, slots=True)
class Call(Node):
    func: str  # canonical: "min" | "max"
    args: tuple[Node, ...]
    word: str


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    test: Node
    then: Node
    otherwise: Node


@dataclass(frozen=True, slots=True)
class Band:
    """A tier range: lower/upper bounds in base units, each inclusive or not (None = open)."""

    lower: Decimal | None
    lower_inclusive: bool
    upper: Decimal | None
    upper_inclusive: bool
    unit: Unit | None
    text: str

    def contains(self, value: Decimal) -> bool:
        if self.lower is not None:
            if value < self.lower or (value == self.lower and not self.lower_inclusive):
                return False
        if self.upper is not None:
            if value > self.upper or (value == self.upper and not self.upper_inclusive):
                return False
        return True


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-expressions of a node (for generic walks)."""
    match node:
        case ListLit(items=items):
            return items
        case Negate(operand=o) | Not(operand=o) | IsNull(operand=o):
            return (o,)
        case Binary(left=a, right=b) | Compare(left=a, right=b) | Logic(left=a, right=b):
            return (a, b)
        case Member(item=a, collection=b):
            return (a, b)
        case Call(args=args):
            return args
        case Conditional(test=t, then=a, otherwise=b):
            return (t, a, b)
    return ()


def names(node: Node) -> list[Name]:
    """Every Name in an expression, in source order."""
    out: list[Name] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Name):
            out.append(current)
        stack.extend(reversed(children(current)))
    return out
