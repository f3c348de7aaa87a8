"""Reference evaluator: walks the checked model and its expression trees at run time.

It defines the decision procedure that generated evaluators must reproduce, and is what the
generated code is tested (and benchmarked) against:

1. claims — an award is claimed when its qualification is in the claims fact, or (without a
   qualification) when its `when` holds;
2. validity — the 办法 must be in force on the as-of date (施行日期 … 有效期至);
3. eligibility (申报对象), then exclusions (不予奖励情形): the first failing rule refuses every claim;
4. per award: its `when` (for a qualification claim) and 首次;
5. amounts, rounded to 分;
6. combination rules: 就高不就低 and 不得重复享受 in document order, then 用完即止 (budget),
   then 一次性拨付.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from compiler.lang import ast
from compiler.lang.units import (
    DURATION_DIMS,
    MONEY,
    Dims,
    describe_dims,
    divide_dims,
    multiply_dims,
)
from compiler.model.policy import Award, Expr, Policy, Tiers
from compiler.runtime import core as evalrt

FACT_KINDS = {"bool": "bool", "number": "num", "date": "date", "text": "text", "enum": "text", "set": "set"}


def fact_specs(policy: Policy) -> dict[str, evalrt.FactSpec]:
    """The input specification of a policy's facts, as used by `evalrt.coerce_facts`."""
    from compiler.lang.units import SIMPLE_UNIT_NAMES, parse_unit

    specs: dict[str, evalrt.FactSpec] = {}
    for name, fact in policy.facts.items():
        kind = FACT_KINDS[fact.type]
        units: dict[str, Decimal] | None = None
        if fact.unit is not None:
            units = {fact.unit.name: fact.unit.scale}
            for u in SIMPLE_UNIT_NAMES:
                unit = parse_unit(u)
                if unit.dims == fact.unit.dims and u not in units:
                    units[u] = unit.scale
        values: frozenset[str] | None = None
        if fact.values_from_qualifications:
            values = frozenset(policy.qualifications())
        elif fact.values is not None:
            values = frozenset(fact.values)
        default: Any = None
        if fact.has_default:
            default = evalrt._coerce_one((kind, fact.unit.name if fact.unit else None, units, values,
                                          False, None, True), fact.default)
        specs[name] = (kind, fact.unit.name if fact.unit else None, units, values,
                       fact.has_default, default, fact.optional)
    return specs


def _no_step(*_args: Any) -> None:
    """The trace recorder used when no trace was asked for."""


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


class Interpreter:
    """Evaluates one policy; build once, call `evaluate` per application."""

    def __init__(self, policy: Policy) -> None:
        self.p = policy
        self.specs = fact_specs(policy)
        self.fact_dims = {n: f.unit.dims for n, f in policy.facts.items() if f.unit is not None}
        self.phase_rules = (
            [r for r in policy.combine if r.rule in ("highest_per_group", "no_repeat")]
            + [r for r in policy.combine if r.rule == "until_budget_exhausted"]
            + [r for r in policy.combine if r.rule == "one_payment"]
        )

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
        if on is None:
            raise _Null(param.date_fact or name)
        chosen = None
        for v in param.values:
            if v.start <= on:
                chosen = v
        if chosen is None:
            raise evalrt.EvaluationError(
                param.clause or name, f"参数「{name}」在 {on.isoformat()} 尚无适用的值"
            )
        assert chosen.value.node is not None
        return self.ev(chosen.value.node, env)

    def run(self, expr: Expr, env: dict[str, Any], cite: str) -> Any:
        assert expr.node is not None
        text = expr.text
        try:
            return self.ev(expr.node, env)
        except _Null as exc:
            raise evalrt.EvaluationError(cite, f"事实「{exc.name}」为空，无法计算「{text}」", text) from None
        except ZeroDivisionError:
            raise evalrt.EvaluationError(cite, f"「{text}」中出现除以零", text) from None
        except evalrt.CalendarError as exc:
            raise evalrt.EvaluationError(cite, f"「{text}」{exc}，请核对事实的取值", text) from None
        except ArithmeticError:  # decimal.InvalidOperation: a value beyond 28 significant digits
            raise evalrt.EvaluationError(cite, f"「{text}」{evalrt.OUT_OF_RANGE}", text) from None
        except _UnitError as exc:
            raise evalrt.EvaluationError(cite, f"「{text}」{exc}", text) from None

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
                assert band.band is not None
                if band.band.contains(basis.v):
                    return self.money_value(self.run(band.value, env, cite), cite, band.value.text)
            if tiers.otherwise is None:
                raise evalrt.EvaluationError(cite, f"「{tiers.of.text}」的值不落入任何一档", tiers.of.text)
            return self.money_value(self.run(tiers.otherwise, env, cite), cite, tiers.otherwise.text)
        return self.money_value(self.run(award.amount, env, cite), cite, award.amount.text)

    # -- the decision procedure -----------------------------------------------------------
    def evaluate(self, raw_facts: dict[str, Any], as_of: dt.date, *, trace: bool = True) -> dict[str, Any]:
        """Evaluate one application; with trace=False the result's trace is left empty."""
        as_of = evalrt.require_date(as_of)
        p = self.p
        facts = evalrt.coerce_facts(self.specs, raw_facts)
        env: dict[str, Any] = dict(facts)
        env["评价日期"] = as_of
        steps: list[dict[str, Any]] = []
        step = evalrt.step if trace else _no_step
        claims = facts[p.evaluation.claims] if p.evaluation.claims else frozenset()
        active: list[Award] = []
        refused: list[dict[str, Any]] = []

        def refuse(award: Award, rule: str, clause: str, cite: str, reason: str) -> None:
            refused.append({"award": award.id, "name": award.name, "rule": rule, "clause": clause,
                            "cite": cite, "reason": reason})

        for award in p.awards:
            if award.qualification is not None:
                if award.qualification not in claims:
                    continue
                claimed = True
            else:
                assert award.when is not None
                claimed = bool(self.run(award.when, env, award.clause.cite))
            if claimed:
                active.append(award)
                step(steps, "claim", award.id, award.clause.address, award.clause.cite, True,
                     f"申报「{award.name}」")
        if not active:
            step(steps, "claim", "", "", "", False, "未申报任何奖励事项")

        m = p.meta
        if active and m.effective_date is not None:
            in_force = m.effective_date <= as_of and (m.valid_until is None or as_of <= m.valid_until)
            clause = p.clauses[m.effective_clause] if m.effective_clause else None
            address = clause.address if clause else ""
            cite = clause.cite if clause else ""
            until = evalrt.zh_date(m.valid_until) if m.valid_until else "长期"
            effective = evalrt.zh_date(m.effective_date)
            step(steps, "validity", "in-force", address, cite, in_force,
                 f"评价日期{evalrt.zh_date(as_of)}；本办法{effective}起施行，有效期至{until}")
            if not in_force:
                reason = f"评价日期{evalrt.zh_date(as_of)}不在本办法有效期内（{effective}起施行，有效期至{until}）"
                for award in active:
                    refuse(award, "in-force", address, cite, reason)
                active = []

        # A rule with `applies_to` concerns only those awards; it is evaluated only when one of
        # them is still claimed.
        for rule in p.eligibility:
            if not any(rule.covers(a.id) for a in active):
                continue
            ok = bool(self.run(rule.when, env, rule.clause.cite))
            step(steps, "eligibility", rule.id, rule.clause.address, rule.clause.cite, ok,
                 f"{rule.when.text}：{'符合' if ok else '不符合'}")
            if not ok:
                for award in active:
                    if rule.covers(award.id):
                        refuse(award, rule.id, rule.clause.address, rule.clause.cite, rule.reason)
                active = [a for a in active if not rule.covers(a.id)]

        if active:
            hits = []
            for rule in p.exclusions:
                if not any(rule.covers(a.id) for a in active):
                    continue
                hit = bool(self.run(rule.when, env, rule.clause.cite))
                step(steps, "exclusion", rule.id, rule.clause.address, rule.clause.cite, hit,
                     f"{rule.reason}：{'是' if hit else '否'}")
                if hit:
                    hits.append(rule)
            for rule in hits:  # each award is refused by the first exclusion that concerns it
                for award in active:
                    if rule.covers(award.id):
                        refuse(award, rule.id, rule.clause.address, rule.clause.cite, rule.reason)
                active = [a for a in active if not rule.covers(a.id)]

        candidates: list[tuple[Award, Decimal]] = []
        previously = facts[p.evaluation.previously_obtained] if p.evaluation.previously_obtained else frozenset()
        for award in active:
            c = award.clause
            if award.qualification is not None and award.when is not None:
                ok = bool(self.run(award.when, env, c.cite))
                step(steps, "condition", award.id, c.address, c.cite, ok, f"{award.when.text}：{'符合' if ok else '不符合'}")
                if not ok:
                    refuse(award, award.id, c.address, c.cite, f"不符合本项条件：{award.when.text}")
                    continue
            if award.first_time:
                first = award.qualification not in previously
                step(steps, "first_time", award.id, c.address, c.cite, first,
                     f"「{award.qualification}」{'此前未取得，属首次' if first else '此前已取得'}")
                if not first:
                    refuse(award, award.id, c.address, c.cite,
                           f"「{award.qualification}」此前已经取得，不属于首次获得")
                    continue
            amount = self.amount(award, env)
            if amount < 0:
                raise evalrt.EvaluationError(c.cite, f"「{award.name}」的金额为负数")
            step(steps, "amount", award.id, c.address, c.cite, evalrt.amount_json(amount),
                 f"「{award.name}」{evalrt.money_text(amount)}")
            candidates.append((award, amount))

        deferred: list[dict[str, Any]] = []
        rewarded = facts[p.evaluation.previously_rewarded] if p.evaluation.previously_rewarded else frozenset()
        for combine in self.phase_rules:
            c = combine.clause
            if combine.rule == "highest_per_group":
                keep: list[tuple[Award, Decimal]] = []
                best: dict[str, tuple[Award, Decimal]] = {}
                for award, amount in candidates:
                    if award.group is not None and (award.group not in best or amount > best[award.group][1]):
                        best[award.group] = (award, amount)
                for award, amount in candidates:
                    winner = best.get(award.group) if award.group is not None else None
                    if winner is not None and winner[0] is not award:
                        refuse(award, combine.id, c.address, c.cite,
                               f"与「{winner[0].name}」属于同一资格认定（{award.group}），"
                               f"按“就高不就低”只奖励金额较高的一项")
                        step(steps, "combine", combine.id, c.address, c.cite, False,
                             f"「{award.name}」与「{winner[0].name}」同组，就高不就低")
                    else:
                        keep.append((award, amount))
                candidates = keep
            elif combine.rule == "no_repeat":
                keep = []
                for award, amount in candidates:
                    if award.qualification is not None and award.qualification in rewarded:
                        refuse(award, combine.id, c.address, c.cite,
                               f"「{award.qualification}」已经获得过本专项资金奖励，不得重复享受")
                        step(steps, "combine", combine.id, c.address, c.cite, False,
                             f"「{award.name}」已获奖励，不得重复享受")
                    else:
                        keep.append((award, amount))
                candidates = keep
            elif combine.rule == "until_budget_exhausted":
                budget = facts.get(combine.budget or "")
                if budget is None:
                    continue
                keep, used, exhausted = [], Decimal(0), False
                for award, amount in candidates:
                    if not exhausted and used + amount <= budget:
                        used += amount
                        keep.append((award, amount))
                        continue
                    exhausted = True
                    deferred.append({"award": award.id, "name": award.name, "amount": amount, "unit": "元",
                                     "rule": combine.id, "clause": c.address, "cite": c.cite,
                                     "reason": f"年度预算剩余{evalrt.money_text(budget)}，用完即止；"
                                               f"超出部分列入下一年度奖励预算"})
                    step(steps, "budget", combine.id, c.address, c.cite, False,
                         f"「{award.name}」{evalrt.money_text(amount)}超出年度剩余预算，列入下一年度")
                candidates = keep
            elif combine.rule == "one_payment" and candidates:
                step(steps, "payment", combine.id, c.address, c.cite, True, "奖励资金在公示无异议后一次性拨付")

        granted = [
            {"award": a.id, "name": a.name, "amount": amount, "unit": "元", "clause": a.clause.address,
             "cite": a.clause.cite, "one_time": a.one_time}
            for a, amount in candidates
        ]
        total = sum((amount for _, amount in candidates), Decimal(0))
        return {
            "format": evalrt.RESULT_FORMAT,
            "policy": p.policy_id,
            "version": p.version,
            "doc_number": p.meta.doc_number,
            "as_of": as_of,
            "granted": granted,
            "refused": refused,
            "deferred": deferred,
            "total": total,
            "unit": "元",
            "trace": steps,
        }


def evaluate(policy: Policy, facts: dict[str, Any], as_of: dt.date) -> dict[str, Any]:
    return Interpreter(policy).evaluate(facts, as_of)
