"""What both engines derive from a checked policy before evaluating anything.

The interpreter and the code generator build their plans (`runtime.procedure.Plan`) from the same
derived values, so the facts they accept, the facts an error message names and the amounts folded
at compile time cannot differ between them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from compiler.lang import ast
from compiler.lang.units import MONEY, SIMPLE_UNIT_NAMES, Dims, multiply_dims, parse_unit
from compiler.model.policy import Award, Expr, Policy
from compiler.runtime.core import FactSpec, _coerce_one, money

FACT_KINDS = {"bool": "bool", "number": "num", "date": "date", "text": "text", "enum": "text", "set": "set"}


def fact_specs(policy: Policy) -> dict[str, FactSpec]:
    """The input specification of a policy's facts, as `runtime.core.coerce_facts` reads it."""
    specs: dict[str, FactSpec] = {}
    for name, fact in policy.facts.items():
        kind = FACT_KINDS[fact.type]
        units: dict[str, Decimal] | None = None
        scale = Decimal(1)
        if fact.unit is not None:
            scale = fact.unit.scale
            units = {fact.unit.name: scale}
            for u in SIMPLE_UNIT_NAMES:  # the same quantity in another unit: 元 for 万元 …
                unit = parse_unit(u)
                if unit.dims == fact.unit.dims and u not in units:
                    units[u] = unit.scale
        values: frozenset[str] | None = None
        if fact.values_from_qualifications:
            values = frozenset(policy.qualifications())
        elif fact.values is not None:
            values = frozenset(fact.values)
        spec = FactSpec(
            kind, unit=fact.unit.name if fact.unit else None, units=units, values=values, optional=fact.optional,
            whole=fact.whole,
            minimum=fact.minimum * scale if fact.minimum is not None else None,
            maximum=fact.maximum * scale if fact.maximum is not None else None, subjects=fact.subjects,
        )
        if fact.has_default:
            spec.has_default = True
            spec.default = _coerce_one(FactSpec(kind, unit=spec.unit, units=units, values=values, optional=True),
                                       fact.default)
        specs[name] = spec
    return specs


def optional_facts(policy: Policy, expr: Expr) -> tuple[str, ...]:
    """The optional facts and record fields a rule reads, in the order written: an error message
    names those that were empty (both engines say the same)."""
    optional = {n for n, f in policy.facts.items() if f.optional}
    for rec in policy.records.values():
        optional |= {n for n, f in rec.fields.items() if f.optional}
    names = dict.fromkeys(n.name for n in ast.names(expr.node))
    return tuple(n for n in names if n in optional)


def fixed_amount(award: Award) -> Decimal | None:
    """Constant folding: the amount of an award that reads no fact (60万元, 2 × 5万元), in 元
    rounded to 分 — or None when it depends on facts or is not a plain sum of money."""
    if not isinstance(award.amount, Expr):
        return None
    folded = _constant(award.amount.node)
    if folded is None or folded[1] != MONEY:
        return None
    try:
        amount = money(folded[0])
    except ArithmeticError:
        return None  # left to the run time, which reports it with its clause
    return amount if amount >= 0 else None  # a negative amount is reported at run time too


def _constant(node: ast.Node) -> tuple[Decimal, Dims] | None:
    """(value in base units, dimension) of an expression of literals, or None."""
    match node:
        case ast.Quantity(value=value, unit=unit):
            return value, unit.dims if unit else ()
        case ast.Negate(operand=operand):
            inner = _constant(operand)
            return (-inner[0], inner[1]) if inner else None
        case ast.Binary(op=op, left=left, right=right) if op in ("+", "-", "*"):
            a, b = _constant(left), _constant(right)
            if a is None or b is None:
                return None
            if op == "*":
                return a[0] * b[0], multiply_dims(a[1], b[1])
            if a[1] != b[1]:
                return None
            return (a[0] + b[0] if op == "+" else a[0] - b[0]), a[1]
    return None


def describe_spec(spec: FactSpec) -> dict[str, Any]:
    """A fact specification as keyword arguments (for the generated FACTS table)."""
    return {k: getattr(spec, k) for k in FactSpec.__slots__}
