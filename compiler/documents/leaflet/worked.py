"""Worked examples in plain Chinese, read from an evaluator result (`policyc-computation/1`).

For each record (and the person) the steps that lie behind a payment concerning it are shown in
the order the evaluator took them, each with its clause: a parameter where a key, a date or the
统筹地区 chose it (and then marked 示例数据，非官方 when the region file is not official), a
running value, and a computed value as its formula with the values written in. The formula is the
value's own expression, read out for the public: min(…) of a basis and its caps becomes
不超过…（按…计）, a floor of 0元 that did not apply and a term that is zero are left out, 如果…则…
否则 shows the branch taken. Every number printed is a value of the result (its trace) or of the
example's input; sub-expressions are evaluated by the reference interpreter on those values."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from compiler.evaluate import derive_computation as dc
from compiler.evaluate.interpret_computation import ComputingInterpreter
from compiler.evaluate.interpreter import Q
from compiler.lang import ast
from compiler.model.policy import Clause, Computed, ConditionRule, Policy
from compiler.runtime import computation as rt
from compiler.runtime import core as evalrt


def yuan(value: Decimal) -> str:
    return f"{evalrt.amount_json(value)}元"


CITE_IN_REASON = re.compile(r"（[第一二三四五六七八九十百条款段项、（）]+）$")  # a reason's own citation: （第二十八条）, （十三第一款）
_OPS = {"+": "＋", "-": "－", "*": "×", "/": "÷"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass
class Line:
    """One line of a worked example and the clause it applies."""

    text: str
    clauses: list[Clause]
    step: str = ""  # the value or parameter it shows


@dataclass
class RecordLines:
    index: int
    given: str  # the record as the example gives it: 就诊日期：2024年5月10日，…
    lines: list[Line]


def _exprs(c: Computed) -> list[ast.Node]:
    out = [e.node for e in (c.value, c.where) if e is not None]
    if c.tiers is not None:
        out.append(c.tiers.of.node)
        out += [b.value.node for b in c.tiers.bands]
        if c.tiers.otherwise is not None:
            out.append(c.tiers.otherwise.node)
    return out


class Explainer:
    """Turns one example's result into lines; build once per policy."""

    def __init__(self, policy: Policy, interp: ComputingInterpreter) -> None:
        self.p = policy
        self.interp = interp
        self.shown = {n: rt.Shown(u, s) for n, (u, s) in dc.shown_all(policy).items()}
        self.computes = {c.name: c for c in policy.computes}
        # While a line is written: the clauses of the caps that held (a payment held to the shared
        # limit applies the clause that sets the limit as well as its own).
        self.held: list[Clause] = []
        self.reads: dict[str, set[str]] = {}
        for c in policy.computes:
            names = {n.name for e in _exprs(c) for n in ast.names(e)}
            if c.of:
                names.add(c.of)
            self.reads[c.name] = names
        for name, param in policy.parameters.items():
            self.reads[name] = {param.by} if param.by else ({param.date_fact} if param.date_fact else set())
        fields: dict[str, Any] = dict(policy.facts)
        for rec in policy.records.values():
            fields.update(rec.fields)
        self.fields = fields

    # -- names and values ----------------------------------------------------------------
    def label(self, name: str) -> str:
        param = self.p.parameters.get(name)
        if param is not None:
            return param.label or name
        c = self.computes.get(name)
        return (c.label or name) if c is not None else name

    def text(self, name: str, value: Any) -> str:
        """A value as a worked example prints it: money always in 元 (20000元－60元, never 2万元－60元)."""
        shown = self.shown.get(name)
        if shown is not None and isinstance(value, Decimal | int) and not isinstance(value, bool):
            return yuan(Decimal(value)) if shown.money else shown.text(value)
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, dt.date):
            return evalrt.zh_date(value)
        return "（空）" if value is None else str(value)

    def from_trace(self, entry: Mapping[str, Any]) -> Any:
        """A trace value back in base units (the trace prints it in its own unit)."""
        value = entry["value"]
        shown = self.shown.get(str(entry["step"]))
        if shown is None or not isinstance(value, str):
            return value
        try:
            number = Decimal(value)
        except ArithmeticError:
            return value
        return number if shown.money else number * shown.scale

    def env(self, base: Mapping[str, Any], trace: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        env = dict(base)
        for entry in trace:
            env[str(entry["step"])] = self.from_trace(entry)
        return env

    def value(self, node: ast.Node, env: dict[str, Any]) -> Any:
        v = self.interp.ev(node, dict(env))
        return v.v if isinstance(v, Q) else v

    # -- formulas -------------------------------------------------------------------------
    def _is_zero(self, node: ast.Node, env: dict[str, Any]) -> bool:
        v = self.value(node, env)
        return isinstance(v, Decimal) and not isinstance(v, bool) and v == 0

    def _operand(self, node: ast.Node, env: dict[str, Any]) -> str:
        """An operand's text: the value of a name, the literal as written, or an expression."""
        if isinstance(node, ast.Name):
            return self.text(node.name, env.get(node.name))
        if isinstance(node, ast.Quantity):
            return node.text
        return self.formula(node, env, top=False)

    def formula(self, node: ast.Node, env: dict[str, Any], *, top: bool = True) -> str:
        """The expression with the values written in, as a reader does the sum."""
        match node:
            case ast.Binary(op=op, left=a, right=b):
                if op in "+-" and self._is_zero(b, env):
                    return self.formula(a, env, top=top)
                if op == "+" and self._is_zero(a, env):
                    return self.formula(b, env, top=top)
                left, right = self._operand(a, env), self._operand(b, env)
                ea, eb = self.effective(a, env), self.effective(b, env)
                if isinstance(ea, ast.Binary) and _PRECEDENCE[ea.op] < _PRECEDENCE[op]:
                    left = f"（{left}）"
                if isinstance(eb, ast.Binary) and _PRECEDENCE[eb.op] <= _PRECEDENCE[op]:
                    right = f"（{right}）"
                return f"{left}{_OPS[op]}{right}"
            case ast.Call(func="max" | "min" as func, args=args):
                return self._pick(func, args, env, top)
            case ast.Conditional(test=t, then=a, otherwise=b):
                return self.formula(a if self.value(t, env) else b, env, top=top)
            case ast.Negate(operand=o):
                return f"－{self._operand(o, env)}"
            case ast.Name(name=name):
                return self.text(name, env.get(name))
            case ast.Quantity():
                return node.text
            case ast.Text(value=v):
                return v
        return self.text("", self.value(node, env))

    def effective(self, node: ast.Node, env: dict[str, Any]) -> ast.Node:
        """The node a formula prints for `node` (the branch taken, the term left when the other
        is zero, the basis of a floor that did not apply): what decides its brackets."""
        match node:
            case ast.Binary(op=op, left=a, right=b) if op in "+-" and self._is_zero(b, env):
                return self.effective(a, env)
            case ast.Binary(op="+", left=a, right=b) if self._is_zero(a, env):
                return self.effective(b, env)
            case ast.Conditional(test=t, then=a, otherwise=b):
                return self.effective(a if self.value(t, env) else b, env)
            case ast.Call(func="max", args=args):
                floors = [i for i, x in enumerate(args) if isinstance(x, ast.Quantity)]
                if floors and len(args) - len(floors) == 1:
                    x = next(i for i in range(len(args)) if i not in floors)
                    values = [self.value(a, env) for a in args]
                    if values[x] == max(values):
                        return self.effective(args[x], env)
        return node

    def _pick(self, func: str, args: tuple[ast.Node, ...], env: dict[str, Any], top: bool) -> str:
        values = [self.value(a, env) for a in args]
        result = max(values) if func == "max" else min(values)
        chosen = values.index(result)
        floors = [i for i, a in enumerate(args) if isinstance(a, ast.Quantity)]
        if func == "max" and floors and len(args) - len(floors) == 1:
            # max(X, 0元): a floor. Left out when X is not below it.
            x = next(i for i in range(len(args)) if i not in floors)
            if chosen == x or values[x] == result:
                return self.formula(args[x], env, top=top)
            floor = self.text_of(args[chosen], result, env)
            return f"{self.formula(args[x], env, top=False)}不足{floor}，按{floor}计"
        if func == "min" and top:
            # min(basis, cap, cap …): the basis, then the caps it is held to.
            basis = self.formula(args[0], env, top=False)
            basis_value = self.text_of(args[0], values[0], env)
            caps = [self.cap(a, values[i], env) for i, a in enumerate(args) if i]
            if values[0] <= result:
                text = basis if basis == basis_value else f"{basis}＝{basis_value}"
                return f"{text}，未超过{'、'.join(caps)}"
            held = [self.cap(a, values[i], env) for i, a in enumerate(args) if i and values[i] == result]
            cap = self.effective(args[chosen], env)
            defined = self.computes.get(cap.name) if isinstance(cap, ast.Name) else None
            if defined is not None:
                self.held.append(defined.clause)
            first = basis if basis == basis_value else f"{basis}＝{basis_value}"
            return f"{first}，超过{held[0]}，按{self.text_of(args[chosen], result, env)}计"
        word = "较大者" if func == "max" else "较小者"
        return "（" + "、".join(self._operand(a, env) for a in args) + f"中的{word}）"

    def text_of(self, node: ast.Node, value: Any, env: dict[str, Any]) -> str:
        """A value of the same kind as `node` in its unit (money in 元, rates in %)."""
        names = [n.name for n in ast.names(node)]
        for name in names:
            shown = self.shown.get(name)
            if shown is not None and shown.money:
                return yuan(Decimal(value))
        if isinstance(node, ast.Quantity) and node.unit is not None and isinstance(value, Decimal):
            return rt.Shown(node.unit.name, node.unit.scale).text(value)
        return self.text(names[0] if names else "", value)

    def cap(self, node: ast.Node, value: Any, env: dict[str, Any]) -> str:
        node = self.effective(node, env)  # 上限 － 此前已获 (0元) is the 上限 itself
        if isinstance(node, ast.Name):
            return f"{self.label(node.name)}{self.text(node.name, value)}"
        return self.formula(node, env, top=False)

    def reads_of(self, node: ast.Node) -> list[str]:
        return list(dict.fromkeys(n.name for n in ast.names(node)))

    def given(self, name: str, value: Any) -> str:
        """A fact or field as an example gives it: 医疗机构级别为二级; a yes/no one by its name
        when it holds (急诊抢救), as 非… when it does not."""
        if isinstance(value, bool):
            return name if value else f"非{name}"
        return f"{name}为{self.text(name, value)}"

    # -- which steps a record shows -------------------------------------------------------
    def behind(self, names: Iterable[str]) -> set[str]:
        """The names the given values are computed from, themselves included."""
        out: set[str] = set()
        pending = list(names)
        while pending:
            name = pending.pop()
            if name not in out:
                out.add(name)
                pending.extend(self.reads.get(name, ()))
        return out

    def applies(self, c: Computed, env: dict[str, Any]) -> bool:
        return c.where is None or bool(self.value(c.where.node, env))

    def lines(self, trace: Iterable[Mapping[str, Any]], env: dict[str, Any], refused: Iterable[Mapping[str, Any]],
              show: set[str], regional: Mapping[str, str | None]) -> list[Line]:
        """The lines of the steps in `show`, in the order of the trace. `regional`: the values
        the region file gave, each with the notice its outputs carry (示例数据，非官方)."""
        refusals = {str(r["payment"]): r for r in refused}
        out: list[Line] = []
        for entry in trace:
            name = str(entry["step"])
            if name not in show:
                continue
            line = self.line(name, entry, env, refusals.get(name), regional)
            if line is not None:
                line.step = name
                out.append(line)
        return out

    def line(self, name: str, entry: Mapping[str, Any], env: dict[str, Any], refusal: Mapping[str, Any] | None,
             regional: Mapping[str, str | None]) -> Line | None:
        param = self.p.parameters.get(name)
        if param is not None:
            clause = self.p.clauses.get(param.clause or "")
            chosen = param.by is not None or param.date_fact is not None or name in regional
            if clause is None or not chosen:
                return None
            if param.date_fact is not None and param.by is None:
                return Line(str(entry["detail"]), [clause])
            about = ""
            if param.by:
                key = self.text(param.by, env.get(param.by))
                about = f"（{key}" + (f"，按{param.alias[key]}执行" if key in param.alias else "") + "）"
            notice = regional.get(name)
            mark = f"，系{notice}" if notice else ""
            return Line(f"{self.label(name)}{about}：{self.text(name, env.get(name))}{mark}", [clause])
        c = self.computes.get(name)
        if c is None:
            return None
        shown = self.text(name, env.get(name))
        if refusal is not None:
            rule = next(r for r in (*self.p.eligibility, *self.p.exclusions) if r.id == refusal["condition"])
            reason = CITE_IN_REASON.sub("", str(refusal["reason"]))
            return Line(f"{self.label(name)}：{reason}，不予支付", self.rule_clauses(rule))
        if c.kind in ("running_sum", "running_count", "total", "count"):
            if c.kind == "running_sum":
                return None  # its value is written into the formulas that read it
            return Line(f"{self.label(name)}：{shown}", [c.clause])
        if c.kind == "tiers":
            return Line(str(entry["detail"]), [c.clause])
        assert c.value is not None
        node = c.value.node
        self.held = []
        worked = self.formula(node, env)
        clauses = list({x.address: x for x in (c.clause, *self.held)}.values())
        if worked == shown:
            exception = isinstance(node, ast.Conditional) and bool(self.value(node.test, env))
            if c.payment or (exception and not isinstance(env.get(name), Decimal)):
                return Line(f"{self.label(name)}：{shown}", [c.clause])
            return None
        return Line(f"{self.label(name)}：{worked}" + ("" if "，" in worked else f"＝{shown}"), clauses)

    def rule_clauses(self, rule: ConditionRule) -> list[Clause]:
        """A condition's clause and those of the fields it reads (急诊抢救 → 第二十八条)."""
        out = {rule.clause.address: rule.clause}
        for name in self.reads_of(rule.when.node):
            f = self.fields.get(name)
            c = self.p.clauses.get(f.clause or "") if f is not None else None
            if c is not None and c.nature != "definitional":
                out.setdefault(c.address, c)
        order = {a: i for i, a in enumerate(self.p.clauses)}
        return sorted(out.values(), key=lambda c: order[c.address])
