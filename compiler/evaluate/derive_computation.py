"""What both engines derive from a checked computing policy before evaluating anything: the
schedule, how each value is printed, the input specification of records and regional values.

The interpreter and the code generator build their `runtime.computation.Computation` from these,
so the order of computation, the units shown and the inputs accepted cannot differ between them.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from compiler.evaluate.derive import FACT_KINDS
from compiler.lang import ast
from compiler.lang.units import MONEY, SIMPLE_UNIT_NAMES, Dims, Unit, describe_dims, parse_unit
from compiler.model.check_computation import Schedule, record_fields, schedule
from compiler.model.policy import Computed, Expr, Fact, Parameter, Policy
from compiler.runtime.core import FactSpec, _coerce_one

PERCENT_WORDS = ("%", "百分点")


def is_computing(policy: Policy) -> bool:
    """Whether a policy computes benefits (and is evaluated by `settle`, not `decide`)."""
    return bool(policy.computes)


def plan_schedule(policy: Policy) -> Schedule:
    return schedule(policy)


def spec_of(fact: Fact) -> FactSpec:
    """The input specification of one fact or record field (units accepted, domain, default)."""
    kind = FACT_KINDS[fact.type]
    units: dict[str, Decimal] | None = None
    scale = Decimal(1)
    if fact.unit is not None:
        scale = fact.unit.scale
        units = _units_like(fact.unit)
    values = frozenset(fact.values) if fact.values is not None else None
    spec = FactSpec(
        kind, unit=fact.unit.name if fact.unit else None, units=units, values=values, optional=fact.optional,
        whole=fact.whole, minimum=fact.minimum * scale if fact.minimum is not None else None,
        maximum=fact.maximum * scale if fact.maximum is not None else None,
    )
    if fact.has_default:
        spec.has_default = True
        spec.default = _coerce_one(FactSpec(kind, unit=spec.unit, units=units, values=values, optional=True),
                                   fact.default)
    return spec


def _units_like(unit: Unit) -> dict[str, Decimal]:
    units = {unit.name: unit.scale}
    for u in SIMPLE_UNIT_NAMES:  # the same quantity in another unit: 元 for 万元 …
        other = parse_unit(u)
        if other.dims == unit.dims and u not in units:
            units[u] = other.scale
    return units


def region_spec(param: Parameter) -> FactSpec:
    """How a region file's value of a parameter is read: a number in the parameter's unit."""
    assert param.unit is not None  # checked: a regional parameter declares its unit
    return FactSpec("num", unit=param.unit.name, units=_units_like(param.unit), minimum=Decimal(0))


def dims_of(policy: Policy, c: Computed) -> Dims | None:
    """The dimension of a computed value (None when it is not a number)."""
    types = policy.node_types
    if c.unit is not None:
        return c.unit.dims
    node: ast.Node | None = None
    if c.value is not None:
        node = c.value.node
    elif c.tiers is not None and c.tiers.bands:
        node = c.tiers.bands[0].value.node
    elif c.kind in ("running_count", "count"):
        return ()
    elif c.of is not None:
        source = next((x for x in policy.computes if x.name == c.of), None)
        if source is not None:
            return dims_of(policy, source)
        for rec in policy.records.values():
            fact = rec.fields.get(c.of)
            if fact is not None and fact.unit is not None:
                return fact.unit.dims
        return None
    t = types.get(node) if node is not None else None
    return t.dims if t is not None and t.kind == "num" else None


def shown(policy: Policy, c: Computed) -> tuple[str, Decimal]:
    """(unit name, scale) a computed value is printed in."""
    if c.unit is not None:
        return c.unit.name, c.unit.scale
    dims = dims_of(policy, c)
    if dims is None:
        return "", Decimal(1)
    if c.kind in ("running_count", "count"):
        return ("次" if "次数" in c.name else ""), Decimal(1)
    return unit_for(dims, _mentions_percent(policy, c))


def unit_for(dims: Dims, percent: bool) -> tuple[str, Decimal]:
    if dims == MONEY:
        return "元", Decimal(1)
    if dims == ():
        return ("%", Decimal("0.01")) if percent else ("", Decimal(1))
    for u in SIMPLE_UNIT_NAMES:
        unit = parse_unit(u)
        if unit.dims == dims and unit.scale == 1:
            return unit.name, unit.scale
    return describe_dims(dims), Decimal(1)


def param_shown(param: Parameter) -> tuple[str, Decimal]:
    if param.unit is None:
        return "", Decimal(1)
    if param.unit.dims == MONEY:
        return "元", Decimal(1)
    return param.unit.name, param.unit.scale


def _mentions_percent(policy: Policy, c: Computed, seen: frozenset[str] = frozenset()) -> bool:
    """Whether a dimensionless value is a rate: its definition reads a percentage (a literal, a
    parameter in %, or another rate)."""
    exprs: list[Expr] = [e for e in (c.value,) if e is not None]
    if c.tiers is not None:
        exprs += [b.value for b in c.tiers.bands]
    for e in exprs:
        if any(w in e.text for w in PERCENT_WORDS):
            return True
        for n in ast.names(e.node):
            param = policy.parameters.get(n.name)
            if param is not None and param.unit is not None and param.unit.name in ("%", "个百分点"):
                return True
            other = next((x for x in policy.computes if x.name == n.name), None)
            if other is not None and other.name not in seen and _mentions_percent(policy, other, seen | {c.name}):
                return True
    return False


def validity(policy: Policy) -> tuple[dt.date, dt.date | None, str, str] | None:
    m = policy.meta
    if m.effective_date is None:
        return None
    clause = policy.clauses.get(m.effective_clause or "")
    return (m.effective_date, m.valid_until, clause.address if clause else "", clause.cite if clause else "")


def record_of(policy: Policy, c: Computed, sched: Schedule) -> str | None:
    """The kind of record a `total`/`count` value sums over."""
    fields = record_fields(policy)
    for n in ([c.of] if c.of else []) + ([x.name for x in ast.names(c.where.node)] if c.where else []):
        kind = fields.get(n) or sched.levels.get(n)
        if kind is not None:
            return str(kind)
    return None


def keys_of(policy: Policy, by: str, alias: dict[str, str]) -> tuple[str, ...]:
    """The keys a regional table must give: the values of its key, less the aliased ones."""
    for rec in policy.records.values():
        if by in rec.fields and rec.fields[by].values:
            return tuple(v for v in rec.fields[by].values or () if v not in alias)
    fact = policy.facts.get(by)
    if fact is not None and fact.values:
        return tuple(v for v in fact.values if v not in alias)
    t = next((policy.node_types.get(c.value.node) for c in policy.computes if c.name == by and c.value), None)
    values = sorted(t.values) if t is not None and t.values else []
    return tuple(v for v in values if v not in alias)


def until(values: list[Any], i: int) -> dt.date | None:
    if values[i].until is not None:
        return values[i].until  # type: ignore[no-any-return]
    if i + 1 < len(values):
        return values[i + 1].start - dt.timedelta(days=1)  # type: ignore[no-any-return]
    return None


def param_cite(policy: Policy, address: str | None) -> str:
    clause = policy.clauses.get(address or "")
    return clause.cite if clause else (address or "")


def names_read(c: Computed) -> tuple[str, ...]:
    """The names a value's expression reads, as the trace writes their values into it."""
    if c.value is None:
        return ()
    return tuple(dict.fromkeys(n.name for n in ast.names(c.value.node)))


def shown_all(policy: Policy) -> dict[str, tuple[str, Decimal]]:
    """How every fact, record field, parameter and computed value is printed."""
    out: dict[str, tuple[str, Decimal]] = {}
    facts = dict(policy.facts)
    for rec in policy.records.values():
        facts.update(rec.fields)
    for name, fact in facts.items():
        if fact.unit is not None:
            out[name] = ("元", Decimal(1)) if fact.unit.dims == MONEY else (fact.unit.name, fact.unit.scale)
    for name, param in policy.parameters.items():
        out[name] = param_shown(param)
    for c in policy.computes:
        out[c.name] = shown(policy, c)
    return out


def param_constant(param: Parameter) -> bool:
    """Whether a parameter is one value that reads nothing: no key, no date, constants only (or the
    region's). Such a value is the same for every person of a region (ParamItem.constant)."""
    if param.by is not None or param.date_fact is not None:
        return False
    if not param.values:
        return param.region == "required"  # the region's value, or none at all (RegionError)
    return len(param.values) == 1 and not list(ast.names(param.values[0].value.node))
