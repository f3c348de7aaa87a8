"""Compiling expression trees to Python expressions over the facts dict `f`.

Quantities are plain numbers in base units here: the checker has proved the units agree, so the
generated code carries no dimensions (the interpreter keeps checking them at run time, which
makes the differential tests a test of the checker too).
"""

from __future__ import annotations

from typing import Any

from compiler.evaluate.pywriter import py_literal
from compiler.lang import ast
from compiler.lang.units import DURATION_DIMS
from compiler.model.check import Type
from compiler.model.policy import Policy


class ExprCompiler:
    """Compiles expression ASTs to Python expressions over the facts dict `f`."""

    def __init__(self, policy: Policy) -> None:
        self.p = policy
        self.types: dict[ast.Node, Type] = policy.node_types
        self.constants: dict[str, tuple[str, Any]] = {}  # literal source → (constant name, value)

    def const(self, value: Any) -> str:
        """The module-level constant holding `value` (Decimal, date, frozenset …), made once."""
        literal = py_literal(value)
        if literal not in self.constants:
            self.constants[literal] = (f"_K{len(self.constants) + 1}", value)
        return self.constants[literal][0]

    def name(self, name: str) -> str:
        if name in self.p.parameters:
            index = list(self.p.parameters).index(name)
            return f"_param_{index + 1}(f)"
        return f"f[{name!r}]"

    def set_equality_facts(self) -> set[str]:
        """Set facts compared with ==/!= somewhere (they need a real frozenset at run time)."""
        out: set[str] = set()
        for node, t in self.types.items():
            if isinstance(node, ast.Compare) and t.kind == "bool":
                for side in (node.left, node.right):
                    if isinstance(side, ast.Name) and self.types.get(side, t).kind == "set":
                        out.add(side.name)
        return out

    def can_raise(self, node: ast.Node) -> bool:
        """Whether evaluating `node` may raise (an empty optional fact, a parameter without a value,
        division, calendar arithmetic); only such expressions need a guarded function."""
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.IsNull) and isinstance(current.operand, ast.Name) \
                    and current.operand.name in self.p.facts:
                continue  # 不为空 / 为空 on a fact is safe even when the fact is empty
            if isinstance(current, ast.Name):
                fact = self.p.facts.get(current.name)
                if current.name in self.p.parameters or (fact is not None and fact.optional):
                    return True
            if isinstance(current, ast.Binary) and (
                current.op == "/" or self.types[current.left].kind == "date"
            ):
                return True
            stack.extend(ast.children(current))
        return False

    def operand(self, node: ast.Node) -> str:
        """A comparison operand: an integral literal compares as a plain int — exact against
        int and Decimal alike, and much cheaper than a mixed int/Decimal comparison."""
        if isinstance(node, ast.Quantity) and node.value == node.value.to_integral_value():
            return repr(int(node.value))
        return self.compile(node)

    def compile(self, node: ast.Node) -> str:
        match node:
            case ast.Quantity(value=v):
                return self.const(v)
            case ast.DateLit(value=v):
                return self.const(v)
            case ast.Text(value=v):
                return repr(v)
            case ast.Bool(value=v):
                return repr(v)
            case ast.Name(name=n):
                return self.name(n)
            case ast.ListLit(items=items):
                if all(isinstance(i, ast.Text) for i in items):
                    return self.const(frozenset(i.value for i in items if isinstance(i, ast.Text)))
                return "(" + "".join(self.compile(i) + ", " for i in items) + ")"
            case ast.Negate(operand=o):
                return f"(-{self.compile(o)})"
            case ast.Not(operand=o):
                return f"(not {self.compile(o)})"
            case ast.Logic(op=op, left=a, right=b):
                return f"({self.compile(a)} {op} {self.compile(b)})"
            case ast.Binary(op=op, left=a, right=b):
                x, y = self.compile(a), self.compile(b)
                if self.types[a].kind == "date" and self.types[b].kind == "num":
                    kind = DURATION_DIMS[self.types[b].dims]
                    fn = {"years": "add_years", "months": "add_months", "days": "add_days"}[kind]
                    return f"{fn}({x}, {y if op == '+' else f'-{y}'})"
                if op == "-" and self.types[a].kind == "date":
                    return f"Decimal(({x} - {y}).days)"
                if op == "/":
                    return f"divide({x}, {y})"
                return f"({x} {op} {y})"
            case ast.Compare(op=op, left=a, right=b):
                return f"({self.operand(a)} {op} {self.operand(b)})"
            case ast.Member(item=item, collection=coll, negated=neg):
                return f"({self.compile(item)} {'not in' if neg else 'in'} {self.compile(coll)})"
            case ast.IsNull(operand=o, negated=neg):
                return f"({self.compile(o)} {'is not' if neg else 'is'} None)"
            case ast.Call(func=func, args=args):
                return f"{func}({', '.join(self.compile(a) for a in args)})"
            case ast.Conditional(test=t, then=a, otherwise=b):
                return f"({self.compile(a)} if {self.compile(t)} else {self.compile(b)})"
        raise TypeError(node)  # pragma: no cover
