"""Stage 6a, codegen: a checked Policy → the source of a standalone Python evaluator module.

The module imports only the standard library: the shared runtime (`evalrt`) is copied in, every
condition and amount becomes a small Python function commented with its clause and text, and
`evaluate(facts, as_of)` follows the decision procedure documented in `interpret.py`, with the
claims, eligibility and exclusion checks unrolled. Strings from YAML only ever appear through
`repr()` (code) or `_comment()` (comments), so no policy text can break or inject code.
"""

from __future__ import annotations

import ast as pyast
import datetime as dt
import hashlib
import inspect
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from compiler import __version__
from compiler.evaluate.interpreter import Interpreter, fact_specs
from compiler.lang import ast
from compiler.lang.units import DURATION_DIMS
from compiler.model.check import Type
from compiler.model.policy import Award, CombineRule, ConditionRule, Expr, Policy, Tiers
from compiler.runtime import core as evalrt

_RUNTIME_MARKER = "# --- runtime: inlined into generated modules from here on ---"
_LINE_BREAKS = str.maketrans({c: " " for c in "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"})


def _comment(text: str, limit: int = 200) -> str:
    """Text made safe for a `#` comment: one line, no line-break characters, bounded length."""
    one = text.translate(_LINE_BREAKS)
    return one if len(one) <= limit else one[: limit - 1] + "…"


_TRACE_KEYS = ("kind", "rule", "clause", "cite", "result", "detail")


def _inline_step(call: str, guarded: bool) -> str:
    """`step(trace, a, b, …)` → `tr and trace.append({'kind': a, …})`: the same entry without a
    function call on the hot path, skipped when the caller asked for no trace (batch runs).
    Inside an `if tr:` block (`guarded`) the test is already made."""
    node = pyast.parse(call, mode="eval").body
    assert isinstance(node, pyast.Call) and len(node.args) == 7
    fields = ", ".join(f"{k!r}: {pyast.unparse(a)}" for k, a in zip(_TRACE_KEYS, node.args[1:], strict=True))
    return ("" if guarded else "tr and ") + f"trace_steps.append({{{fields}}})"


class PyWriter:
    """Emits indented Python source line by line (pegen/Jinja style: line(), indent())."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.level = 0
        self.in_traced = False  # inside an `if tr:` block

    def line(self, text: str = "") -> None:
        if text.startswith("step(trace, "):
            text = _inline_step(text, guarded=self.in_traced)
        self.lines.append(("    " * self.level + text) if text else "")

    def comment(self, text: str) -> None:
        self.line("# " + _comment(text))

    @contextmanager
    def indent(self) -> Iterator[None]:
        self.level += 1
        try:
            yield
        finally:
            self.level -= 1

    @contextmanager
    def traced(self) -> Iterator[None]:
        """An `if tr:` block: work done only when a trace was asked for."""
        self.line("if tr:")
        outer, self.in_traced = self.in_traced, True
        try:
            with self.indent():
                yield
        finally:
            self.in_traced = outer

    def source(self) -> str:
        return "\n".join(self.lines).rstrip() + "\n"


def runtime_source() -> str:
    src = inspect.getsource(evalrt)
    return src[src.index(_RUNTIME_MARKER) + len(_RUNTIME_MARKER) :].strip("\n")


def _py(value: Any) -> str:
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
        return "{" + ", ".join(f"{_py(k)}: {_py(v)}" for k, v in value.items()) + "}"
    if isinstance(value, tuple):
        inner = ", ".join(_py(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, str | int):
        return repr(value)
    raise TypeError(value)  # pragma: no cover


class _ExprCompiler:
    """Compiles expression ASTs to Python expressions over the facts dict `f`."""

    def __init__(self, policy: Policy) -> None:
        self.p = policy
        self.types: dict[ast.Node, Type] = policy.node_types
        self.constants: dict[str, str] = {}  # literal source → constant name

    def const(self, literal: str) -> str:
        if literal not in self.constants:
            self.constants[literal] = f"_K{len(self.constants) + 1}"
        return self.constants[literal]

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
                return self.const(_py(v))
            case ast.DateLit(value=v):
                return self.const(_py(v))
            case ast.Text(value=v):
                return repr(v)
            case ast.Bool(value=v):
                return repr(v)
            case ast.Name(name=n):
                return self.name(n)
            case ast.ListLit(items=items):
                if all(isinstance(i, ast.Text) for i in items):
                    return self.const(_py(frozenset(i.value for i in items if isinstance(i, ast.Text))))
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
                    return f"_div({x}, {y})"
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


def source_hash(texts: list[str]) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def generate(policy: Policy, policy_text: str, source_path: str) -> str:
    """Generate the evaluator module for one policy version; returns Python source."""
    return _Generator(policy, policy_text, source_path).run()


class _Generator:
    def __init__(self, policy: Policy, policy_text: str, source_path: str) -> None:
        self.p = policy
        self.text = policy_text
        self.path = source_path
        self.x = _ExprCompiler(policy)
        self.functions = PyWriter()
        self.fn_count = 0
        self.specs = fact_specs(policy)  # the input specification, as evalrt.coerce_facts reads it

    def value(self, expr: Expr, cite: str, address: str, purpose: str) -> str:
        """Python source computing `expr` over `f`: inline when it cannot raise, else a guarded call."""
        assert expr.node is not None
        node = expr.node
        if not self.x.can_raise(node):
            return self.x.compile(node)
        if isinstance(node, ast.Logic) and not self.x.can_raise(node.left):
            # Guard hoisting: 弄虚作假认定日期 不为空 且 … tests the guard inline and calls the
            # guarded function only when the guard lets the rest through (the rest is pure).
            return f"({self.x.compile(node.left)} {node.op} {self.fn(expr, cite, address, purpose)}(f))"
        return f"{self.fn(expr, cite, address, purpose)}(f)"

    def fn(self, expr: Expr, cite: str, address: str, purpose: str, *, money: bool = False) -> str:
        """Emit a function computing `expr`; returns its name. With `money` the function returns
        the amount in 元 rounded to 分 (an amount function)."""
        assert expr.node is not None
        self.fn_count += 1
        name = f"_r{self.fn_count}"
        w = self.functions
        w.line(f"def {name}(f: dict[str, Any]) -> Any:")
        with w.indent():
            w.comment(f"{cite} {address} {purpose}")
            w.comment(expr.text)
            per_unit = self.per_unit_amount(expr.node) if money else None
            if per_unit is not None:
                fact, unit_amount, limit = per_unit
                w.line(f"n = f[{fact!r}]")
                w.line(f"if n.__class__ is int and -{limit} <= n <= {limit}:")
                with w.indent():
                    w.comment("an amount in 分 times a whole count is exact: no rounding to do")
                    w.line(f"return {self.x.const(_py(unit_amount))} * n")
            w.line("try:")
            with w.indent():
                code = self.x.compile(expr.node)
                w.line(f"return money(Decimal({code}))" if money else f"return {code}")
            w.line("except (TypeError, ArithmeticError) as exc:")
            with w.indent():
                w.line(f"raise _rule_error({cite!r}, {expr.text!r}, exc) from None")
        w.line()
        w.line()
        return name

    @staticmethod
    def texts(award: Award) -> tuple[str, ...]:
        """The fixed texts of an award's trace entries and refusals, built once (they must read
        exactly as the interpreter writes them)."""
        when = award.when.text if award.when else ""
        qual = award.qualification or ""
        return (
            f"申报「{award.name}」",
            f"{when}：符合", f"{when}：不符合", f"不符合本项条件：{when}",
            f"「{qual}」此前未取得，属首次", f"「{qual}」此前已取得", f"「{qual}」此前已经取得，不属于首次获得",
        )

    def constant_amount(self, award: Award) -> tuple[Decimal, str, str] | None:
        """Constant folding: a fixed amount (60万元) is computed, rounded and described once, at
        compile time, exactly as the runtime would."""
        if not isinstance(award.amount, Expr) or award.amount.node is None or ast.names(award.amount.node):
            return None
        interpreter = Interpreter(self.p)
        try:
            amount = interpreter.money_value(
                interpreter.ev(award.amount.node, {}), award.clause.cite, award.amount.text
            )
        except evalrt.EvaluationError:
            return None  # left to the runtime, which reports it with its clause
        if amount < 0:
            return None  # likewise
        return (amount, evalrt.amount_json(amount), f"「{award.name}」{evalrt.money_text(amount)}")

    def per_unit_amount(self, node: ast.Node) -> tuple[str, Decimal, int] | None:
        """For an amount `单价 × 数量` (20万元 × 主导制定国家标准数) whose unit price is exact in
        分: the count fact, the unit price rounded to 分, and the largest count for which the
        product stays within Decimal's 28 digits — below it, price × count is exactly what
        money(price × count) gives, digit for digit (same value, same exponent)."""
        if not (isinstance(node, ast.Binary) and node.op == "*"):
            return None
        pair = (node.left, node.right)
        quantity = next((n for n in pair if isinstance(n, ast.Quantity)), None)
        name = next((n for n in pair if isinstance(n, ast.Name)), None)
        if quantity is None or name is None or name.name not in self.p.facts:
            return None
        unit_amount = evalrt.money(quantity.value)
        digits = len(unit_amount.as_tuple().digits)
        if unit_amount != quantity.value or digits > 20:
            return None
        return name.name, unit_amount, 10 ** (28 - digits) - 1

    def amount_fn(self, award: Award) -> str:
        """The function computing an award's amount in 元, rounded to 分."""
        cite = award.clause.cite
        if isinstance(award.amount, Expr):
            return self.fn(award.amount, cite, award.clause.address, f"{award.id} 金额", money=True)
        tiers: Tiers = award.amount
        of = self.fn(tiers.of, cite, award.clause.address, f"{award.id} 分档依据")
        bands = []
        for band in tiers.bands:
            assert band.band is not None
            b = band.band
            bands.append((_py(b.lower), b.lower_inclusive, _py(b.upper), b.upper_inclusive,
                          self.fn(band.value, cite, award.clause.address, f"{award.id} 档位 {band.range_src}",
                                  money=True)))
        other = (self.fn(tiers.otherwise, cite, award.clause.address, f"{award.id} 其他", money=True)
                 if tiers.otherwise else None)
        self.fn_count += 1
        name = f"_r{self.fn_count}"
        w = self.functions
        w.line(f"def {name}(f: dict[str, Any]) -> Any:")
        with w.indent():
            w.comment(f"{cite} {award.id} 分档金额")
            w.line(f"basis = {of}(f)")
            for lo, lo_inc, hi, hi_inc, fn in bands:
                conds = []
                if lo != "None":
                    conds.append(f"basis {'>=' if lo_inc else '>'} {self.x.const(lo)}")
                if hi != "None":
                    conds.append(f"basis {'<=' if hi_inc else '<'} {self.x.const(hi)}")
                w.line(f"if {' and '.join(conds) or 'True'}:")
                with w.indent():
                    w.line(f"return {fn}(f)")
            if other:
                w.line(f"return {other}(f)")
            else:
                w.line(f"raise EvaluationError({cite!r}, {('「' + tiers.of.text + '」的值不落入任何一档')!r}, "
                       f"{tiers.of.text!r})")
        w.line()
        w.line()
        return name

    def run(self) -> str:
        p = self.p
        w = PyWriter()
        meta = p.meta
        digest = source_hash([self.text])
        w.line(f"# 由 policyc {__version__} 生成，请勿手工修改 — generated by policyc, do not edit.")
        w.comment(f"来源：{self.path}（sha256 {digest}）")
        w.comment(f"政策：{meta.title} {meta.doc_number or '（无文号）'} 版本 {p.version}")
        w.line('"""Standalone evaluator for one policy version (generated; standard library only).')
        w.line("")
        w.line("    evaluate(facts, as_of) -> dict")
        w.line("")
        w.line("facts maps fact names (see FACTS) to values; as_of is a datetime.date. The result follows")
        w.line("the policyc-result/1 format: granted / refused / deferred awards with amounts in 元 (Decimal),")
        w.line("the total, and a trace citing the clause (第X条第（Y）项) of every decision. Missing or invalid")
        w.line("facts raise FactsError; a rule that cannot be computed raises EvaluationError.")
        w.line('"""')
        w.line()
        w.line("from __future__ import annotations")
        w.line()
        w.line("import datetime as dt")
        w.line("import difflib")
        w.line("import re")
        w.line("from collections.abc import Mapping")
        w.line("from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation")
        w.line("from itertools import chain")
        w.line("from operator import itemgetter")
        w.line("from typing import Any")
        w.line()
        w.line(f"POLICY = {p.policy_id!r}")
        w.line(f"VERSION = {p.version!r}")
        w.line(f"TITLE = {meta.title!r}")
        w.line(f"DOC_NUMBER = {meta.doc_number!r}")
        w.line(f"SOURCE = {self.path!r}")
        w.line(f"SOURCE_SHA256 = {digest!r}")
        w.line(f"EFFECTIVE = {_py(meta.effective_date)}")
        w.line(f"VALID_UNTIL = {_py(meta.valid_until)}")
        w.line()
        w.line()
        w.line("# --- runtime (copied from compiler/runtime/core.py) ---")
        w.line()
        for line in runtime_source().splitlines():
            w.line(line)
        w.line()
        w.line()
        w.line("def _div(x: Any, y: Any) -> Any:")
        with w.indent():
            w.line("if not y:")
            with w.indent():
                w.line("raise ZeroDivisionError")
            w.line("return Decimal(x) / y")
        w.line()
        w.line()
        w.line("def _rule_error(cite: str, text: str, exc: Exception) -> EvaluationError:")
        with w.indent():
            w.line("if isinstance(exc, ZeroDivisionError):")
            with w.indent():
                w.line('return EvaluationError(cite, f"「{text}」中出现除以零", text)')
            w.line("if isinstance(exc, CalendarError):")
            with w.indent():
                w.line('return EvaluationError(cite, f"「{text}」{exc}，请核对事实的取值", text)')
            w.line("if isinstance(exc, ArithmeticError):  # decimal.InvalidOperation: beyond 28 digits")
            with w.indent():
                w.line('return EvaluationError(cite, f"「{text}」" + OUT_OF_RANGE, text)')
            w.line('return EvaluationError(cite, f"所需的可选事实为空，无法计算「{text}」", text)')
        w.line()
        w.line()
        self.emit_facts(w)
        self.emit_source_map(w)
        body = self.emit_evaluate()
        self.emit_parameters()
        w.line("# --- rules: one function per condition or amount, commented with its clause ---")
        w.line()
        for line in self.functions.lines:
            w.line(line)
        w.line("# --- constants ---")
        for literal, cname in self.x.constants.items():
            w.line(f"{cname} = {literal}")
        w.line()
        w.line()
        for line in body.lines:
            w.line(line)
        return w.source()

    def emit_facts(self, w: PyWriter) -> None:
        w.line("# The facts an application gives: kind, unit, accepted units, values, default, optional.")
        w.line("FACTS: dict[str, FactSpec] = {")
        with w.indent():
            for name, spec in self.specs.items():
                w.line(f"{name!r}: {_py(spec)},")
        w.line("}")
        w.line()

    def emit_source_map(self, w: PyWriter) -> None:
        w.line("# Clause address → (citation, line in the policy file, text).")
        w.line("SOURCE_MAP: dict[str, tuple[str, int, str]] = {")
        with w.indent():
            for clause in self.p.clauses.values():
                w.line(f"{clause.address!r}: ({clause.cite!r}, {clause.span.line}, {clause.text!r}),")
        w.line("}")
        w.line()

    def emit_parameters(self) -> None:
        w = self.functions
        for index, (name, param) in enumerate(self.p.parameters.items(), start=1):
            fns = [(v.start, self.fn(v.value, param.clause or name, name, f"参数 {name} 自 {v.start}")) for v in param.values]
            w.line(f"def _param_{index}(f: dict[str, Any]) -> Any:")
            with w.indent():
                w.comment(f"参数「{name}」")
                date_expr = f"f[{param.date_fact!r}]" if param.date_fact else "f['评价日期']"
                w.line(f"on = {date_expr}")
                w.line("if on is None:")
                with w.indent():
                    w.line(f"raise EvaluationError({(param.clause or name)!r}, {('参数「' + name + '」所依据的日期为空')!r})")
                for start, fn in reversed(fns):
                    w.line(f"if on >= {self.x.const(_py(start))}:")
                    with w.indent():
                        w.line(f"return {fn}(f)")
                w.line(f"raise EvaluationError({(param.clause or name)!r}, "
                       f"f{('参数「' + name + '」在 ').__repr__()} + on.isoformat() + ' 尚无适用的值')")
            w.line()
            w.line()

    def emit_evaluate(self) -> PyWriter:
        p = self.p
        ev = p.evaluation
        awards = p.awards
        w = PyWriter()
        # The award table: id, name, address, cite, qualification, group, first_time, one_time,
        # condition function (qualification claims only), amount function.
        rows = []
        for award in awards:
            when_fn = None
            if award.qualification is not None and award.when is not None:
                when_fn = self.fn(award.when, award.clause.cite, award.clause.address, f"{award.id} 条件")
            const = self.constant_amount(award)
            rows.append((award, when_fn, "None" if const else self.amount_fn(award), const))
        w.line("# Awards in document order: id, name, clause, citation, qualification, group, 首次, 一次性,")
        w.line("# condition text, condition function, amount function, and for a fixed amount the")
        w.line("# precomputed (amount, amount as JSON, trace text); then the award's fixed trace and")
        w.line("# refusal texts (claim, condition met / not met / refusal, 首次 yes / no / refusal).")
        w.line("AWARDS: tuple[tuple[Any, ...], ...] = (")
        with w.indent():
            for award, when_fn, amount_fn, const in rows:
                w.comment(f"{award.clause.cite} {award.name}")
                w.line(
                    f"({award.id!r}, {award.name!r}, {award.clause.address!r}, {award.clause.cite!r}, "
                    f"{award.qualification!r}, {award.group!r}, {award.first_time!r}, {award.one_time!r}, "
                    f"{(award.when.text if award.when else None)!r}, {when_fn or 'None'}, {amount_fn}, "
                    f"{_py(const) if const else 'None'}, {_py(self.texts(award))}),"
                )
        w.line(")")
        claim_index: dict[str, list[int]] = {}
        for index, award in enumerate(awards):
            if award.qualification is not None:
                claim_index.setdefault(award.qualification, []).append(index)
        # The claims fact may admit values no award claims (its own `values` list, or any text):
        # then look claims up with a default. Usually every value claims exactly one award: map
        # it to that position, not a 1-tuple.
        claim_values = self.specs[ev.claims][3] if ev.claims else frozenset()
        closed = claim_values is not None and set(claim_values) <= set(claim_index)
        single = closed and all(len(v) == 1 for v in claim_index.values())
        w.line("# Claimed qualification → the award" + ("" if single else "s") + " (by position in AWARDS) it claims.")
        w.line(f"_CLAIM_INDEX: dict[str, {'int' if single else 'tuple[int, ...]'}] = {{")
        with w.indent():
            for qual in sorted(claim_index):
                w.line(f"{qual!r}: {claim_index[qual][0] if single else _py(tuple(claim_index[qual]))},")
        w.line("}")
        w.line()
        w.line()
        self.emit_fast_facts(w)
        w.line("def evaluate(facts: Mapping[str, Any], as_of: dt.date, *, trace: bool = True) -> dict[str, Any]:")
        with w.indent():
            w.line('"""Evaluate one application as of `as_of`; see the module docstring.')
            w.line("")
            w.line("With trace=False the result carries an empty trace (for batch runs over a roster).")
            w.line('"""')
            w.line("tr = trace")
            w.line("f = _facts(facts)")
            w.line("f['评价日期'] = as_of")
            w.line("trace_steps: list[dict[str, Any]] = []")
            w.line("refused: list[dict[str, Any]] = []")
            w.line(f"claims = f[{ev.claims!r}]" if ev.claims else "claims = frozenset()")
            w.line()
            w.line("# 1. Claims, in document order: the claimed qualifications, then awards with a condition.")
            if single:
                w.line("claimed = list(map(_CLAIM_INDEX.__getitem__, claims))")
            elif closed:
                w.line("claimed = list(chain.from_iterable(map(_CLAIM_INDEX.__getitem__, claims)))")
            else:
                w.line("claimed = [i for q in claims for i in _CLAIM_INDEX.get(q, ())]")
            for index, award in enumerate(awards):
                if award.qualification is not None:
                    continue
                assert award.when is not None
                cond = self.value(award.when, award.clause.cite, award.clause.address, f"{award.id} 适用条件")
                w.comment(f"{award.clause.cite} {award.id}: {award.when.text}")
                w.line(f"if {cond}:")
                with w.indent():
                    w.line(f"claimed.append({index})")
            # A set removes a qualification listed twice; sorting restores document order.
            w.line("if len(claimed) > 1:")
            with w.indent():
                w.line("claimed = sorted(set(claimed))")
            w.line("active = list(map(AWARDS.__getitem__, claimed))")
            with w.traced():
                w.line("for a in active:")
                with w.indent():
                    w.line("step(trace, 'claim', a[0], a[2], a[3], True, a[12][0])")
            w.line("if not active:")
            with w.indent():
                w.line("step(trace, 'claim', '', '', '', False, '未申报任何奖励事项')")
            w.line()
            self.emit_validity(w)
            self.emit_condition_rules(w)
            self.emit_per_award(w)
            self.emit_combine(w)
            w.line("granted = []")
            w.line("total = _ZERO")
            w.line("for a, amount in candidates:")
            with w.indent():
                w.line("granted.append({'award': a[0], 'name': a[1], 'amount': amount, 'unit': '元', "
                       "'clause': a[2], 'cite': a[3], 'one_time': a[7]})")
                w.line("total += amount")
            w.line("return {")
            with w.indent():
                w.line("'format': RESULT_FORMAT, 'policy': POLICY, 'version': VERSION, 'doc_number': DOC_NUMBER,")
                w.line("'as_of': as_of, 'granted': granted, 'refused': refused, "
                       "'deferred': deferred, 'total': total,")
                w.line("'unit': '元', 'trace': trace_steps,")
            w.line("}")
        return w

    def emit_fast_facts(self, w: PyWriter) -> None:
        """`_facts(raw)`: a specialised fast path for well-typed input (bool, int/Decimal, str, list,
        date), checked in groups by C-level calls; anything else — strings with units, wrong
        types, unknown or missing facts — goes to the shared `coerce_facts`, which gives the same
        values and the full error messages."""
        specs = self.specs
        defaults = {n: (sp[5] if sp[4] else None) for n, sp in specs.items() if sp[4] or sp[6]}
        bools = [n for n, sp in specs.items() if sp[0] == "bool" and not sp[6]]
        nums = [n for n, sp in specs.items() if sp[0] == "num" and not sp[6] and sp[2] and sp[2][sp[1] or ""] == 1]
        grouped = set(bools) | set(nums)
        w.line("_MISSING = object()")
        w.line("_ZERO = Decimal(0)")
        w.line("_DEFAULTS: dict[str, Any] = {")
        with w.indent():
            for name, value in defaults.items():
                if name in nums and isinstance(value, Decimal) and value == value.to_integral_value():
                    # Whole numbers stay int (as given ints do): int comparisons are cheaper.
                    w.line(f"{name!r}: {int(value)},")
                else:
                    w.line(f"{name!r}: {self.x.const(_py(value)) if value is not None else 'None'},")
        w.line("}")
        w.line(f"_BOOL_FACTS = {_py(tuple(bools))}")
        w.line(f"_NUM_FACTS = {_py(tuple(nums))}")
        # itemgetter with one name returns the value itself, not a 1-tuple: keep two names or none.
        w.line("_get_bools = itemgetter(*_BOOL_FACTS, *_BOOL_FACTS[:1])" if bools else "")
        w.line("_get_nums = itemgetter(*_NUM_FACTS, *_NUM_FACTS[:1])" if nums else "")
        w.line(f"_BOOL_TYPES = (bool,) * {len(bools) + 1}")
        w.line("_INT_OR_DECIMAL = frozenset({int, Decimal})")
        w.line()
        w.line()
        w.line("def _facts(raw: Mapping[str, Any]) -> dict[str, Any]:")
        with w.indent():
            w.line("if raw.__class__ is not dict:")
            with w.indent():
                w.line("return coerce_facts(FACTS, raw)")
            w.line("# Defaults and empty optional facts, then the given facts over them.")
            w.line("f = {**_DEFAULTS, **raw}")
            w.line(f"if len(f) != {len(specs)}:  # a fact is missing or unknown")
            with w.indent():
                w.line("return coerce_facts(FACTS, raw)")
            w.line("try:")
            with w.indent():
                if bools:
                    # isinstance(x, bool) is exact: bool has no subclasses, and 1 or 1.0 is not a bool.
                    w.line("if not all(map(isinstance, _get_bools(f), _BOOL_TYPES)):")
                    with w.indent():
                        w.line("return coerce_facts(FACTS, raw)")
                if nums:
                    w.line("values = _get_nums(f)")
                    w.line("if set(map(type, values)) - _INT_OR_DECIMAL:")
                    with w.indent():
                        w.line("return coerce_facts(FACTS, raw)")
                    # Integers stay int here: exact, and Python mixes int and Decimal exactly in
                    # + - × and comparisons (division goes through _div, which makes a Decimal).
                for name, (kind, unit_name, units, values, has_default, default, optional) in specs.items():
                    if name in grouped:
                        continue
                    w.line(f"v = f[{name!r}]")
                    branches: list[tuple[str, str | None]] = []
                    if has_default:
                        branches.append((f"v is {self.x.const(_py(default))}" if default is not None else "v is None", None))
                    if optional:
                        branches.append(("v is None", None))
                    if kind == "bool":
                        branches.append(("v is True or v is False", None))
                    elif kind == "num":
                        assert units is not None and unit_name is not None
                        scale = units[unit_name]
                        branches.append(("v.__class__ is int or v.__class__ is Decimal",
                                         "Decimal(v)" if scale == 1 else f"Decimal(v) * {self.x.const(_py(scale))}"))
                    elif kind == "text":
                        branches.append(("v.__class__ is str" + (f" and v in {self.x.const(_py(values))}" if values is not None else ""), None))
                    elif kind == "set" and values is not None:
                        # A list is kept as it is when the set is only tested for membership
                        # (属于/包含): the same answers, without building a frozenset.
                        keep = name not in self.x.set_equality_facts()
                        branches.append((f"v.__class__ is list and {self.x.const(_py(values))}.issuperset(v)",
                                         None if keep else "frozenset(v)"))
                    elif kind == "date":
                        branches.append(("v.__class__ is dt.date", None))
                    for i, (test, value) in enumerate(branches):
                        w.line(f"{'if' if i == 0 else 'elif'} {test}:")
                        with w.indent():
                            w.line(f"f[{name!r}] = {value}" if value is not None else "pass")
                    w.line("else:")
                    with w.indent():
                        w.line("return coerce_facts(FACTS, raw)")
            w.line("except (KeyError, TypeError):  # a required fact missing; an unhashable list item")
            with w.indent():
                w.line("return coerce_facts(FACTS, raw)")
            w.line("return f")
        w.line()
        w.line()

    def emit_validity(self, w: PyWriter) -> None:
        m = self.p.meta
        if m.effective_date is None:
            return
        clause = self.p.clauses.get(m.effective_clause or "")
        address = clause.address if clause else ""
        cite = clause.cite if clause else ""
        until = evalrt.zh_date(m.valid_until) if m.valid_until else "长期"
        effective = evalrt.zh_date(m.effective_date)
        w.line(f"# 2. In force? {cite} {_comment(m.effective_text or '')} {_comment(m.validity_text or '')}")
        w.line("if active:")
        with w.indent():
            cond = "EFFECTIVE <= as_of" + (" <= VALID_UNTIL" if m.valid_until else "")
            w.line(f"in_force = {cond}")
            w.line(f"step(trace, 'validity', 'in-force', {address!r}, {cite!r}, in_force, "
                   f"'评价日期' + zh_date(as_of) + {f'；本办法{effective}起施行，有效期至{until}'!r})")
            w.line("if not in_force:")
            with w.indent():
                w.line(f"reason = '评价日期' + zh_date(as_of) + "
                       f"{f'不在本办法有效期内（{effective}起施行，有效期至{until}）'!r}")
                w.line("for a in active:")
                with w.indent():
                    w.line(f"refused.append({{'award': a[0], 'name': a[1], 'rule': 'in-force', "
                           f"'clause': {address!r}, 'cite': {cite!r}, 'reason': reason}})")
                w.line("active = []")
        w.line()

    def scope(self, rule: ConditionRule) -> str | None:
        """The constant holding the award ids a scoped rule applies to (None: every award)."""
        return self.x.const(_py(rule.applies_to)) if rule.applies_to is not None else None

    def emit_refuse_all(self, w: PyWriter, rule: ConditionRule, scope: str | None) -> None:
        c = rule.clause
        w.line("for a in active:")
        with w.indent():
            if scope:
                w.line(f"if a[0] in {scope}:")
                w.level += 1
            w.line(f"refused.append({{'award': a[0], 'name': a[1], 'rule': {rule.id!r}, "
                   f"'clause': {c.address!r}, 'cite': {c.cite!r}, 'reason': {rule.reason!r}}})")
            if scope:
                w.level -= 1
        w.line(f"active = [a for a in active if a[0] not in {scope}]" if scope else "active = []")

    def emit_condition_rules(self, w: PyWriter) -> None:
        p = self.p
        if p.eligibility:
            w.line("# 3a. Eligibility (申报对象): a rule that fails refuses every claim it concerns.")
        for rule in p.eligibility:
            c = rule.clause
            scope = self.scope(rule)
            cond = self.value(rule.when, c.cite, c.address, f"{rule.id} 申报条件")
            w.comment(f"{c.cite} {rule.id}: {rule.when.text}")
            w.line(f"if any(a[0] in {scope} for a in active):" if scope else "if active:")
            with w.indent():
                w.line(f"ok = {cond}")
                w.line(f"step(trace, 'eligibility', {rule.id!r}, {c.address!r}, {c.cite!r}, ok, "
                       f"({rule.when.text + '：符合'!r} if ok else {rule.when.text + '：不符合'!r}))")
                w.line("if not ok:")
                with w.indent():
                    self.emit_refuse_all(w, rule, scope)
        if not p.exclusions:
            w.line()
            return
        # Conditions are bool-typed (checked), and compiled bool expressions yield bools.
        w.line("# 3b. Exclusions (不予奖励情形): every rule that concerns a claim is evaluated and traced;")
        w.line("# each claim is refused by the first rule that holds and concerns it.")
        w.line("if active:")
        with w.indent():
            names = []
            for i, rule in enumerate(p.exclusions, start=1):
                c = rule.clause
                scope = self.scope(rule)
                cond = self.value(rule.when, c.cite, c.address, f"{rule.id} 不予奖励情形")
                w.comment(f"{c.cite} {rule.id}: {rule.when.text}")
                if scope:
                    w.line(f"x{i} = ({cond}) if any(a[0] in {scope} for a in active) else None")
                else:
                    w.line(f"x{i} = {cond}")
                names.append((f"x{i}", rule, scope))
            with w.traced():
                for name, rule, scope in names:
                    c = rule.clause
                    line = (f"step(trace, 'exclusion', {rule.id!r}, {c.address!r}, {c.cite!r}, {name}, "
                            f"({rule.reason + '：是'!r} if {name} else {rule.reason + '：否'!r}))")
                    if scope:
                        w.line(f"if {name} is not None:")
                        with w.indent():
                            w.line(line)
                    else:
                        w.line(line)
            if all(scope is None for _, _, scope in names):
                # Every rule concerns every claim: the first that holds decides.
                chain_src = " else ".join(
                    f"({r.id!r}, {r.clause.address!r}, {r.clause.cite!r}, {r.reason!r}) if {n}"
                    for n, r, _ in names
                )
                w.line(f"hit_rule = {chain_src} else None")
                w.line("if hit_rule is not None:")
                with w.indent():
                    w.line("for a in active:")
                    with w.indent():
                        w.line("refused.append({'award': a[0], 'name': a[1], 'rule': hit_rule[0], "
                               "'clause': hit_rule[1], 'cite': hit_rule[2], 'reason': hit_rule[3]})")
                    w.line("active = []")
            else:
                for name, rule, scope in names:
                    w.line(f"if {name}:")
                    with w.indent():
                        self.emit_refuse_all(w, rule, scope)
        w.line()

    def emit_per_award(self, w: PyWriter) -> None:
        ev = self.p.evaluation
        w.line("# 4–5. Per award: its condition, 首次, then the amount rounded to 分.")
        w.line("candidates: list[tuple[tuple[Any, ...], Decimal]] = []")
        w.line(f"previously = f[{ev.previously_obtained!r}]" if ev.previously_obtained else "previously = frozenset()")
        w.line("for a in active:")
        with w.indent():
            w.line("if a[9] is not None:")
            with w.indent():
                w.line("ok = a[9](f)")
                w.line("step(trace, 'condition', a[0], a[2], a[3], ok, a[12][1] if ok else a[12][2])")
                w.line("if not ok:")
                with w.indent():
                    w.line("refused.append({'award': a[0], 'name': a[1], 'rule': a[0], 'clause': a[2], "
                           "'cite': a[3], 'reason': a[12][3]})")
                    w.line("continue")
            w.line("if a[6]:")
            with w.indent():
                w.line("first = a[4] not in previously")
                w.line("step(trace, 'first_time', a[0], a[2], a[3], first, "
                       "a[12][4] if first else a[12][5])")
                w.line("if not first:")
                with w.indent():
                    w.line("refused.append({'award': a[0], 'name': a[1], 'rule': a[0], 'clause': a[2], "
                           "'cite': a[3], 'reason': a[12][6]})")
                    w.line("continue")
            w.line("if a[11] is not None:")
            with w.indent():
                w.line("amount = a[11][0]")
            w.line("else:")
            with w.indent():
                w.line("amount = a[10](f)")
                w.line("if amount < 0:")
                with w.indent():
                    w.line("raise EvaluationError(a[3], '「' + a[1] + '」的金额为负数')")
            with w.traced():
                w.line("if a[11] is None:")
                with w.indent():
                    w.line("shown, detail = amount_json(amount), '「' + a[1] + '」' + money_text(amount)")
                w.line("else:")
                with w.indent():
                    w.line("_, shown, detail = a[11]")
                w.line("step(trace, 'amount', a[0], a[2], a[3], shown, detail)")
            w.line("candidates.append((a, amount))")
        w.line()

    @staticmethod
    def emit_refusals(w: PyWriter, rule: CombineRule, before: str | None, test: str, reason: str,
                      detail: str) -> None:
        """Keep the candidates a combination rule lets through; refuse (and trace) the others."""
        c = rule.clause
        w.line("keep = []")
        w.line("for a, amount in candidates:")
        with w.indent():
            if before:
                w.line(before)
            w.line(f"if {test}:")
            with w.indent():
                w.line(f"refused.append({{'award': a[0], 'name': a[1], 'rule': {rule.id!r}, "
                       f"'clause': {c.address!r}, 'cite': {c.cite!r}, 'reason': {reason}}})")
                w.line(f"step(trace, 'combine', {rule.id!r}, {c.address!r}, {c.cite!r}, False, {detail})")
            w.line("else:")
            with w.indent():
                w.line("keep.append((a, amount))")
        w.line("candidates = keep")

    def emit_combine(self, w: PyWriter) -> None:
        p = self.p
        rules = (
            [r for r in p.combine if r.rule in ("highest_per_group", "no_repeat")]
            + [r for r in p.combine if r.rule == "until_budget_exhausted"]
            + [r for r in p.combine if r.rule == "one_payment"]
        )
        w.line("# 6. Combination rules: 就高不就低 / 不得重复享受 (document order), 用完即止, 一次性拨付.")
        w.line("deferred: list[dict[str, Any]] = []")
        ev = p.evaluation
        for rule in rules:
            c = rule.clause
            w.comment(f"{c.cite} {rule.id} ({rule.rule}): {c.text}")
            if rule.rule == "highest_per_group":
                w.line("if len(candidates) > 1:  # one candidate cannot share a group with another")
                with w.indent():
                    w.line("best: dict[str, tuple[tuple[Any, ...], Decimal]] = {}")
                    w.line("for a, amount in candidates:")
                    with w.indent():
                        w.line("if a[5] is not None and (a[5] not in best or amount > best[a[5]][1]):")
                        with w.indent():
                            w.line("best[a[5]] = (a, amount)")
                    self.emit_refusals(
                        w, rule,
                        before="winner = best.get(a[5]) if a[5] is not None else None",
                        test="winner is not None and winner[0] is not a",
                        reason="'与「' + winner[0][1] + '」属于同一资格认定（' + a[5] + '），按“就高不就低”只奖励金额较高的一项'",
                        detail="'「' + a[1] + '」与「' + winner[0][1] + '」同组，就高不就低'",
                    )
            elif rule.rule == "no_repeat":
                w.line(f"rewarded = f[{ev.previously_rewarded!r}]" if ev.previously_rewarded else "rewarded = frozenset()")
                w.line("if rewarded:")
                with w.indent():
                    self.emit_refusals(
                        w, rule, before=None,
                        test="a[4] is not None and a[4] in rewarded",
                        reason="'「' + a[4] + '」已经获得过本专项资金奖励，不得重复享受'",
                        detail="'「' + a[1] + '」已获奖励，不得重复享受'",
                    )
            elif rule.rule == "until_budget_exhausted":
                w.line(f"budget = f.get({(rule.budget or '')!r})")
                w.line("if budget is not None:")
                with w.indent():
                    w.line("keep, used, exhausted = [], Decimal(0), False")
                    w.line("for a, amount in candidates:")
                    with w.indent():
                        w.line("if not exhausted and used + amount <= budget:")
                        with w.indent():
                            w.line("used += amount")
                            w.line("keep.append((a, amount))")
                            w.line("continue")
                        w.line("exhausted = True")
                        w.line(f"deferred.append({{'award': a[0], 'name': a[1], 'amount': amount, 'unit': '元', "
                               f"'rule': {rule.id!r}, 'clause': {c.address!r}, 'cite': {c.cite!r}, "
                               f"'reason': '年度预算剩余' + money_text(budget) + '，用完即止；超出部分列入下一年度奖励预算'}})")
                        w.line(f"step(trace, 'budget', {rule.id!r}, {c.address!r}, {c.cite!r}, False, "
                               f"'「' + a[1] + '」' + money_text(amount) + '超出年度剩余预算，列入下一年度')")
                    w.line("candidates = keep")
            elif rule.rule == "one_payment":
                w.line("if candidates:")
                with w.indent():
                    w.line(f"step(trace, 'payment', {rule.id!r}, {c.address!r}, {c.cite!r}, True, "
                           f"'奖励资金在公示无异议后一次性拨付')")
        w.line()
