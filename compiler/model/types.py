"""The types the checker gives expressions: small frozen values; quantities carry their dimension."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.lang import ast
from compiler.lang.units import Dims, describe_dims


@dataclass(frozen=True, slots=True)
class Type:
    kind: str  # bool | num | date | text | set | list | any
    dims: Dims = ()
    values: frozenset[str] | None = None  # enum / set values
    elem: Type | None = None
    nullable: bool = False

    def describe(self) -> str:
        match self.kind:
            case "bool":
                return "是/否"
            case "num":
                return f"数值（{describe_dims(self.dims)}）"
            case "date":
                return "日期"
            case "text":
                return "文字"
            case "set":
                return "集合（多选）"
            case "list":
                return "列表"
        return "任意"


BOOL = Type("bool")
DATE = Type("date")
TEXT = Type("text")
ANY = Type("any")


def fact_type(kind: str, dims: Dims, values: tuple[str, ...] | None, nullable: bool) -> Type:
    vals = frozenset(values) if values is not None else None
    match kind:
        case "bool":
            return Type("bool", nullable=nullable)
        case "number":
            return Type("num", dims, nullable=nullable)
        case "date":
            return Type("date", nullable=nullable)
        case "text":
            return Type("text", nullable=nullable)
        case "enum":
            return Type("text", values=vals, nullable=nullable)
        case "set":
            return Type("set", values=vals, elem=TEXT, nullable=nullable)
    return ANY


class _TypeError(Exception):
    def __init__(self, node: ast.Node, message: str, hint: str | None = None, code: str = "E302") -> None:
        super().__init__(message)
        self.node = node
        self.message = message
        self.hint = hint
        self.code = code
