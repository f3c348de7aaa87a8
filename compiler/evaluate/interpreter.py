"""The reference evaluator: walks expression trees at run time.

It supplies the callables of a `runtime.procedure.Plan` — each condition and amount evaluated by
walking its AST — and leaves the decision itself to `runtime.procedure.decide`, the same
procedure the generated evaluators run. Generated code is tested and benchmarked against it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from compiler.evaluate.derive import fact_specs, fixed_amount, optional_facts
from compiler.lang import ast
from compiler.lang.units import (
    DURATION_DIMS,
    MONEY,
    Dims,
    describe_dims,
    divide_dims,
    multiply_dims,
)
from compiler.model.policy import Award, ConditionRule, Expr, Policy, Tiers
from compiler.runtime import core as evalrt
from compiler.runtime.procedure import AwardItem, Plan, decide
from compiler.runtime.procedure import CombineRule as PlanCombine
from compiler.runtime.procedure import ConditionRule as PlanRule


@dataclass(frozen=True, slots=True)
class Q:
    """A quantity at run time: its value in base units and its dimension."""

    v: Decimal
    dims: Dims


class _UnitError(Exception):
    pass


def _describe(value: Any) -> str:
    if isinstance(value, Q):
        return describe_dims(value.dims)
    if isinstance(value, dt.date):
        return "日期"
    return type(value).__name__


def _same_dims(x: Any, y: Any, word: str) -> tuple[Any, Any]:
    """The raw values of two quantities of the same dimension (or a unit error)."""
    if not (isinstance(x, Q) and isinstance(y, Q)) or x.dims != y.dims:
        raise _UnitError(f"中「{word}」两边单位不一致：{_describe(x)} 与 {_describe(y)}")
    return x.v, y.v


class _Null(Exception):
    def __init__(self, name: str) -> None:
        self.name = name


def input_dims(policy: Policy) -> dict[str, Any]:
    """The dimension of every fact and record field that has a unit (what `ev` checks against)."""
    dims: dict[str, Any] = {n: f.unit.dims for n, f in policy.facts.items() if f.unit is not None}
    for rec in policy.records.values():
        dims.update({n: f.unit.dims for n, f in rec.fields.items() if f.unit is not None})
    return dims


class Interpreter:
    """Evaluates one policy; build once, call `evaluate` per application."""

    def __init__(self, policy: Policy) -> None:
        self.p = policy
        self.specs = fact_specs(policy)
        self.fact_dims = input_dims(policy)
        self.plan = self.build_plan()

    # -- expressions ----------------------------------------------------------------------
    # Quantities are evaluated as Q(value in base units, dimension) and every operation checks
    # the dimensions at run time: the interpreter does not rely on the checker's inferences, so
    # differential tests against generated code (which has them compiled away) also test the
    # static unit checker.
    def ev(self, node: ast.Node, env: dict[str, Any]) -> Any:
        match node:
            case ast.Quantity(value=v, unit=unit):
                return Q(v, unit.dims if unit else ())
            case ast.DateLit(value=v):
                return v
            case ast.Text(value=v):
                return v
            case ast.Bool(value=v):
                return v
            case ast.Name(name=name):
                if name in env:
                    value = env[name]
                    dims = self.fact_dims.get(name)
                    return Q(value, dims) if dims is not None and value is not None else value
                value = env[name] = self.parameter(name, env)
                return value
            case ast.ListLit(items=items):
                return tuple(self.ev(i, env) for i in items)
            case ast.Negate(operand=o):
                q = self.num(o, env)
                return Q(-q.v, q.dims)
            case ast.Not(operand=o):
                return not self.ev(o, env)
            case ast.Logic(op="and", left=a, right=b):
                return bool(self.ev(a, env)) and bool(self.ev(b, env))
            case ast.Logic(left=a, right=b):
                return bool(self.ev(a, env)) or bool(self.ev(b, env))
            case ast.Binary(op=op, left=a, right=b):
                return self.binary(op, self.num(a, env), self.num(b, env))
            case ast.Compare(op=op, left=a, right=b):
                x, y = self.num(a, env), self.num(b, env)
                if isinstance(x, Q) or isinstance(y, Q):
                    x, y = _same_dims(x, y, node.word)
                if op == ">=":
                    return x >= y
                if op == "<=":
                    return x <= y
                if op == ">":
                    return x > y
                if op == "<":
                    return x < y
                if op == "==":
                    return x == y
                return x != y
            case ast.Member(item=item, collection=coll, negated=neg):
                found = self.num(item, env) in self.num(coll, env)
                return not found if neg else found
            case ast.IsNull(operand=o, negated=neg):
                empty = self.ev(o, env) is None
                return not empty if neg else empty
            case ast.Call(func=func, args=args):
                values = [self.num(a, env) for a in args]
                first = values[0]
                for other in values[1:]:
                    _same_dims(first, other, func)
                if func == "floor":
                    return Q(evalrt.floor(first.v), first.dims)
                if func == "ceil":
                    return Q(evalrt.ceil(first.v), first.dims)
                pick = min if func == "min" else max
                return Q(pick(q.v for q in values), first.dims)
            case ast.Conditional(test=t, then=a, otherwise=b):
                return self.ev(a, env) if self.ev(t, env) else self.ev(b, env)
        raise TypeError(node)  # pragma: no cover

    def binary(self, op: str, x: Any, y: Any) -> Any:
        if isinstance(x, dt.date):
            if isinstance(y, dt.date) and op == "-":
                return Q(Decimal((x - y).days), (("day", 1),))
            kind = DURATION_DIMS.get(y.dims) if isinstance(y, Q) else None
            if kind is None or op not in "+-":
                raise _UnitError(f"日期不能与{_describe(y)}做「{op}」运算")
            n = y.v if op == "+" else -y.v
            if kind == "years":
                return evalrt.add_years(x, n)
            if kind == "months":
                return evalrt.add_months(x, n)
            return evalrt.add_days(x, n)
        if not (isinstance(x, Q) and isinstance(y, Q)):
            raise _UnitError(f"「{op}」只能用于数值")
        if op in "+-":
            a, b = _same_dims(x, y, op)
            return Q(a + b if op == "+" else a - b, x.dims)
        if op == "*":
            return Q(x.v * y.v, multiply_dims(x.dims, y.dims))
        if not y.v:
            raise ZeroDivisionError
        return Q(x.v / y.v, divide_dims(x.dims, y.dims))

    def num(self, node: ast.Node, env: dict[str, Any]) -> Any:
        """Evaluate an operand that must not be empty."""
        value = self.ev(node, env)
        if value is None:
            raise _Null(node.name if isinstance(node, ast.Name) else "")
        return value

    def parameter(self, name: str, env: dict[str, Any]) -> Any:
        param = self.p.parameters[name]
        on = env[param.date_fact] if param.date_fact else env["评价日期"]
        chosen = evalrt.dated_value(name, param.clause or name, on, tuple(v.start for v in param.values))
        return self.ev(param.values[chosen].value.node, env)

    def run(self, expr: Expr, env: dict[str, Any], cite: str) -> Any:
        try:
            return self.ev(expr.node, env)
        except _UnitError as exc:  # only the interpreter checks units at run time
            raise evalrt.EvaluationError(cite, f"「{expr.text}」{exc}", expr.text) from None
        except (_Null, ArithmeticError, TypeError) as exc:  # rule_error re-raises what no empty fact explains
            raise evalrt.rule_error(cite, expr.text, exc, env, optional_facts(self.p, expr)) from None

    def expr_fn(self, expr: Expr, cite: str) -> Callable[[dict[str, Any]], Any]:
        """`expr` as a callable over an environment, its value in base units (a runtime's callable)."""
        def call(env: dict[str, Any]) -> Any:
            value = self.run(expr, env, cite)
            return value.v if isinstance(value, Q) else value
        return call

    def money_value(self, value: Any, cite: str, text: str) -> Decimal:
        """An amount in 元 rounded to 分."""
        if not isinstance(value, Q) or value.dims != MONEY:
            raise evalrt.EvaluationError(cite, f"「{text}」的结果不是金额（{_describe(value)}）", text)
        try:
            return evalrt.money(value.v)
        except ArithmeticError:
            raise evalrt.EvaluationError(cite, f"「{text}」{evalrt.OUT_OF_RANGE}", text) from None

    def amount(self, award: Award, env: dict[str, Any]) -> Decimal:
        """The award's amount in 元, rounded to 分."""
        cite = award.clause.cite
        if isinstance(award.amount, Tiers):
            tiers = award.amount
            basis = self.run(tiers.of, env, cite)
            for band in tiers.bands:
                if band.band.contains(basis.v):
                    return self.money_value(self.run(band.value, env, cite), cite, band.value.text)
            if tiers.otherwise is None:
                raise evalrt.EvaluationError(cite, f"「{tiers.of.text}」的值不落入任何一档", tiers.of.text)
            return self.money_value(self.run(tiers.otherwise, env, cite), cite, tiers.otherwise.text)
        return self.money_value(self.run(award.amount, env, cite), cite, award.amount.text)

    # -- the plan: the callables `decide` runs -------------------------------------------
    def test(self, expr: Expr, cite: str) -> Callable[[dict[str, Any]], bool]:
        return lambda f: bool(self.run(expr, f, cite))

    def build_plan(self) -> Plan:
        p = self.p
        awards = []
        by_condition: list[tuple[int, Callable[[dict[str, Any]], bool]]] = []
        for i, award in enumerate(p.awards):
            c = award.clause
            fixed = fixed_amount(award)
            awards.append(AwardItem(
                award.id, award.name, c.address, c.cite, qualification=award.qualification, group=award.group,
                first_time=award.first_time, one_time=award.one_time,
                condition=self.test(award.when, c.cite) if award.qualification and award.when else None,
                condition_text=award.when.text if award.when else None,
                amount=None if fixed is not None else partial(self.amount, award), fixed=fixed,
            ))
            if award.qualification is None and award.when is not None:
                by_condition.append((i, self.test(award.when, c.cite)))

        def claims_by_condition(f: dict[str, Any]) -> list[int]:
            return [i for i, test in by_condition if test(f)]

        def rules(items: list[ConditionRule], exclusion: bool) -> tuple[PlanRule, ...]:
            return tuple(
                PlanRule(r.id, r.clause.address, r.clause.cite, reason=r.reason, test=self.test(r.when, r.clause.cite),
                         text=r.when.text, exclusion=exclusion, applies_to=r.applies_to)
                for r in items
            )

        exclusion_tests = [self.test(r.when, r.clause.cite) for r in p.exclusions]

        def exclusions_held(f: dict[str, Any]) -> tuple[bool, ...]:
            return tuple(test(f) for test in exclusion_tests)

        m = p.meta
        validity = None
        if m.effective_date is not None:
            clause = p.clauses.get(m.effective_clause or "")
            validity = (m.effective_date, m.valid_until, clause.address if clause else "", clause.cite if clause else "")
        specs = self.specs
        return Plan(
            p.policy_id, p.version, m.doc_number, read_facts=lambda raw: evalrt.coerce_facts(specs, raw),
            claims=p.evaluation.claims, previously=p.evaluation.previously_obtained,
            rewarded=p.evaluation.previously_rewarded, awards=tuple(awards),
            claims_by_condition=claims_by_condition, eligibility=rules(p.eligibility, False),
            exclusions=rules(p.exclusions, True),
            combine=tuple(PlanCombine(r.id, r.rule, r.clause.address, r.clause.cite, budget=r.budget) for r in p.combine),
            validity=validity, exclusions_held=exclusions_held,
        )

    def evaluate(self, raw_facts: Mapping[str, Any], as_of: dt.date, *, trace: bool = True) -> dict[str, Any]:
        """Evaluate one application; with trace=False the result's trace is left empty."""
        return decide(self.plan, raw_facts, as_of, trace)


def evaluate(policy: Policy, facts: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    return Interpreter(policy).evaluate(facts, as_of)
