"""Code generation for computing policies: a checked Policy → a standalone evaluator module.

Like `codegen` for award policies: the module carries a copy of the runtime (`runtime.core`) and
of the computation procedure (`runtime.computation`), and a `PLAN` whose values, conditions and
parameter entries are small compiled functions, each commented with its clause and text;
`evaluate(facts, records, region, as_of)` is `settle(PLAN, …)`. The schedule, units shown and
inputs accepted come from `derive_computation`, as in the interpreter.
"""

from __future__ import annotations

from typing import Any

from compiler import __version__
from compiler.evaluate import derive_computation as dc
from compiler.evaluate.codegen import (
    _call,
    _unwrap,
    _value,
    write_constants,
    write_identity,
    write_imports,
    write_runtimes,
)
from compiler.evaluate.codegen_kernel import KernelWriter
from compiler.evaluate.derive import fact_specs, optional_facts
from compiler.evaluate.expressions import ExprCompiler
from compiler.evaluate.precompiled import policy_digest
from compiler.evaluate.pywriter import WIDTH, PyWriter, py_literal, wrap_code
from compiler.lang import ast
from compiler.model.check_computation import Schedule
from compiler.model.policy import Computed, ConditionRule, Expr, Policy
from compiler.runtime import computation, computation_plan, core
from compiler.runtime.core import FactSpec


class _Names(ExprCompiler):
    """Every name is read from the environment `f`: settle puts facts, record fields, parameters
    (chosen for the record) and computed values there before a value that reads them runs."""

    def name(self, name: str) -> str:
        return f"f[{name!r}]"

    def can_raise(self, node: ast.Node) -> bool:
        """Whether evaluating `node` may raise: an empty optional fact or field, division,
        calendar arithmetic. Parameters are chosen into `f` before the value that reads them runs,
        so reading one cannot fail (unlike award policies, where a parameter is a call)."""
        stack = [node]
        while stack:
            current = stack.pop()
            if isinstance(current, ast.Name) and current.name in self.optional:
                return True
            if isinstance(current, ast.Binary) and (current.op == "/" or self.types[current.left].kind == "date"):
                return True
            stack.extend(ast.children(current))
        return False

    optional: frozenset[str] = frozenset()


def generate_computation(policy: Policy, policy_text: str, source_path: str) -> str:
    """The evaluator module of one computing policy version; returns Python source."""
    return _Generator(policy, policy_text, source_path).run()


class _Generator:
    def __init__(self, policy: Policy, policy_text: str, source_path: str) -> None:
        self.p, self.text, self.path = policy, policy_text, source_path
        self.x = _Names(policy)
        optional = {n for n, f in policy.facts.items() if f.optional}
        for rec in policy.records.values():
            optional |= {n for n, f in rec.fields.items() if f.optional}
        self.x.optional = frozenset(optional)
        self.functions = PyWriter()
        self.count = 0
        self.sched: Schedule = dc.plan_schedule(policy)
        self.made: dict[int, str] = {}
        self.kernels = PyWriter()

    def fn(self, expr: Expr, cite: str, purpose: str) -> str:
        """A function computing `expr` over the environment `f`; returns its name (one function
        for an expression asked for twice: by its step and by the record loop)."""
        if id(expr) in self.made:
            return self.made[id(expr)]
        self.count += 1
        name = self.made[id(expr)] = f"_v{self.count}"
        w = self.functions
        w.line(f"def {name}(f: Env) -> Any:")
        with w.indent():
            w.comment(f"{cite} {purpose}")
            w.comment(expr.text)
            code = _unwrap(self.x.compile(expr.node))
            indent = "    " * (w.level + (2 if self.x.can_raise(expr.node) else 1))
            lines = wrap_code(f"return {code}", len(indent))
            if not self.x.can_raise(expr.node):
                for line in lines:
                    w.line(line)
            else:
                w.line("try:")
                with w.indent():
                    for line in lines:
                        w.line(line)
                w.line("except (TypeError, ArithmeticError) as exc:")
                with w.indent():
                    optional = py_literal(optional_facts(self.p, expr))
                    _call(w, "raise rule_error", [repr(cite), repr(expr.text), "exc", "f", optional], " from None")
        w.line()
        w.line()
        return name

    def shown(self, unit: str, scale: Any) -> str:
        return f"Shown({unit!r}, {self.x.const(scale)})"

    def step(self, c: Computed) -> str:
        cite = c.clause.cite
        unit, scale = dc.shown(self.p, c)
        args = [repr(c.name), repr(c.clause.address), repr(cite)]
        common = [f"shown={self.shown(unit, scale)}", f"payment={c.payment!r}",
                  f"params={py_literal(self.sched.params[c.name])}", f"label={c.label!r}",
                  f"names={py_literal(dc.names_read(c))}"]
        where = self.fn(c.where, cite, f"{c.name} 适用或计入的条件") if c.where is not None else "None"
        common += [f"where={where}", f"where_text={_value(c.where.text if c.where is not None else '')}"]
        if c.kind == "value" and c.value is not None:
            fn = self.fn(c.value, cite, c.name)
            return _args("Step", [*args, "kind='value'", f"text={_value(c.value.text)}", f"fn={fn}", *common])
        if c.kind == "tiers" and c.tiers is not None:
            t = c.tiers
            of = self.fn(t.of, cite, f"{c.name} 分档依据")
            bands = []
            for b in t.bands:
                value = self.fn(b.value, cite, f"{c.name} 档位 {b.range_src}")
                bands.append(_args("Band", [
                    self._bound(b.band.lower), repr(b.band.lower_inclusive), self._bound(b.band.upper),
                    repr(b.band.upper_inclusive), value, repr(str(b.range_src)),
                ]))
            other = self.fn(t.otherwise, cite, f"{c.name} 其他情形") if t.otherwise is not None else "None"
            return _args("Step", [*args, "kind='tiers'", f"text={_value(t.of.text)}", f"fn={of}",
                                  "bands=(" + "".join(f"{b}, " for b in bands) + ")", f"otherwise={other}", *common])
        record = None
        if c.kind in ("total", "count"):
            record = dc.record_of(self.p, c, self.sched)
        text = c.of or (c.where.text if c.where is not None else c.name)
        return _args("Step", [*args, f"kind={c.kind!r}", f"text={_value(text)}", f"of={c.of!r}",
                              f"record={record!r}", *common])

    def _bound(self, value: Any) -> str:
        return "None" if value is None else self.x.const(value)

    def condition(self, rule: ConditionRule) -> str:
        c = rule.clause
        test = self.fn(rule.when, c.cite, f"{rule.id} 条件")
        return _args("Condition", [
            repr(rule.id), repr(c.address), repr(c.cite), f"reason={_value(rule.reason)}", f"test={test}",
            f"exclusion={rule.kind == 'exclusion'!r}", f"text={_value(rule.when.text)}",
            f"applies_to={_value(rule.applies_to)}",
        ])

    def param(self, name: str) -> str:
        param = self.p.parameters[name]
        cite = dc.param_cite(self.p, param.clause)
        unit, scale = dc.param_shown(param)
        spec = self.spec(dc.region_spec(param)) if param.region else "None"
        common = [f"shown={self.shown(unit, scale)}", f"label={(param.label or name)!r}", f"region={param.region!r}",
                  f"spec={spec}", f"constant={dc.param_constant(param)!r}"]
        head = [repr(name), repr(param.clause or ""), repr(cite)]
        if param.by is not None:
            keys = tuple(param.table) or dc.keys_of(self.p, param.by, param.alias)
            values = [self.fn(e, cite, f"参数 {name}（{k}）") for k, e in param.table.items()]
            return _args("ParamItem", [*head, f"by={param.by!r}", f"alias={_value(param.alias)}",
                                       f"keys={py_literal(keys)}", "values=(" + "".join(f"{v}, " for v in values) + ")",
                                       *common])
        on = param.date_fact or ("评价日期" if len(param.values) > 1 else None)
        values = [self.fn(v.value, cite, f"参数 {name} 自 {v.start}") for v in param.values]
        untils = tuple(dc.until(param.values, i) for i in range(len(param.values)))
        return _args("ParamItem", [
            *head, f"on={on!r}", "values=(" + "".join(f"{v}, " for v in values) + ")",
            f"starts={self.x.const(tuple(v.start for v in param.values))}", f"untils={self.x.const(untils)}", *common,
        ])

    def spec(self, spec: FactSpec) -> str:
        blank = FactSpec("")
        args = [repr(spec.kind)]
        for k in FactSpec.__slots__[1:]:
            value = getattr(spec, k)
            if value != getattr(blank, k):
                shared = isinstance(value, dict | frozenset) and value
                args.append(f"{k}={self.x.const(value) if shared else _value(value)}")
        return _args("FactSpec", args)

    def specs(self, specs: dict[str, FactSpec]) -> str:
        return "{" + "".join(f"{n!r}: {self.spec(s)}, " for n, s in specs.items()) + "}"

    def run(self) -> str:
        p, meta = self.p, self.p.meta
        by_name = {c.name: c for c in p.computes}
        entries: list[str] = []
        for entry in self.sched.entries:
            if isinstance(entry, str):
                entries.append(self.step(by_name[entry]))
            else:
                kind, names = entry
                rec = p.records[kind]
                steps = [self.step(by_name[n]) for n in names]
                field_specs = {n: dc.spec_of(f) for n, f in rec.fields.items()}
                loop = KernelWriter(p, self.sched, self.x.constants)
                kernel = loop.write(self.kernels, kind, names, len(entries) + 1, field_specs) \
                    if loop.supported(names, field_specs) else "None"
                specs = self.specs(field_specs)
                entries.append(_args("RecordKind", [
                    repr(kind), repr(rec.label), f"order={rec.order!r}", f"period={rec.period!r}", f"specs={specs}",
                    "steps=(" + "".join(f"{s}, " for s in steps) + ")", f"kernel={kernel}",
                ]))
        conditions = [self.condition(r) for r in (*p.eligibility, *p.exclusions)]
        params = [self.param(n) for n in p.parameters]
        facts = self.specs(fact_specs(p))
        outputs = p.evaluation.outputs or tuple(c.name for c in p.computes if c.payment)
        validity = dc.validity(p)
        w = PyWriter()
        digest = policy_digest(self.text)
        w.line(f"# 由 policyc {__version__} 生成，请勿手工修改 — generated by policyc, do not edit.")
        w.comment(f"来源：{self.path}")
        w.comment(f"sha256 {digest}")
        w.comment(f"政策：{meta.title} {meta.doc_number or '（无文号）'} 版本 {p.version}")
        w.line('"""Standalone evaluator for one computing policy version (generated; standard library only).')
        w.line("")
        w.line("    evaluate(facts, records, region, as_of) -> dict")
        w.line("    evaluate_amounts(facts, records, region, as_of) -> Amounts")
        w.line("    read_region_file(region) -> Region")
        w.line("")
        w.line("facts maps fact names (see FACTS) to values; records maps each record kind to its list of")
        w.line("records (see PLAN); region is the region file's content (or None); as_of is a datetime.date.")
        w.line("The result follows the policyc-computation/1 format: every record's values and payments in 元,")
        w.line("the totals, and a trace citing the clause of every number. Invalid input raises FactsError,")
        w.line("RecordsError or RegionError; a value that cannot be computed raises EvaluationError. The")
        w.line("procedure below is a copy of compiler/runtime/computation.py (and computation_plan.py).")
        w.line("evaluate_amounts computes the same settlement with the trace off and returns its numbers")
        w.line("(Amounts: Decimal totals, each record's row of values) without the document, for rosters")
        w.line("of millions of records; read_region_file reads the region file once for such a roster (pass")
        w.line("its Region as `region`: no settlement then compares or reads the file again).")
        w.line('"""')
        w.line()
        write_imports(w, ("copy", "datetime as dt", "difflib", "re"), ("Callable", "Mapping", "Sequence"))
        write_identity(w, p, digest, self.path)
        w.line("KIND = 'computation'")
        write_runtimes(w, (("runtime (copied from compiler/runtime/core.py)", core),
                           ("computation plan (copied from compiler/runtime/computation_plan.py)", computation_plan),
                           ("computation procedure (copied from compiler/runtime/computation.py)", computation)))
        write_constants(w, self.x.constants)
        for line in self.functions.lines:
            w.line(line)
        for line in self.kernels.lines:
            w.line(line)
        write_facts(w, facts, "the person (or company)")
        w.line("PLAN = Computation(")
        with w.indent():
            w.line("POLICY, VERSION, DOC_NUMBER, read_facts=_facts,")
            _block(w, "params=", "(" + "".join(f"{x}, " for x in params) + ")", ",")
            w.comment("In order: values of the person, and loops over each kind of record.")
            _block(w, "schedule=", "(" + "".join(f"{x}, " for x in entries) + ")", ",")
            _block(w, "conditions=", "(" + "".join(f"{x}, " for x in conditions) + ")", ",")
            if validity is None:
                w.line("validity=None,")
            else:
                start, until, address, cite = validity
                w.line(f"validity=({py_literal(start)}, {py_literal(until)}, {address!r}, {cite!r}),")
            _block(w, "outputs=", py_literal(tuple(outputs)), ",")
            shown = "".join(f"{n!r}: {self.shown(u, sc)}, " for n, (u, sc) in dc.shown_all(p).items())
            _block(w, "shown=", "{" + shown + "}", ",")
        w.line(")")
        w.line()
        w.line()
        w.line("def evaluate(")
        with w.indent():
            w.line("facts: Mapping[str, Any], records: Mapping[str, Any] | None,")
            w.line("region: Mapping[str, Any] | Region | None, as_of: dt.date, *, trace: bool = True,")
        w.line(") -> dict[str, Any]:")
        with w.indent():
            w.line('"""Compute one person\'s (or company\'s) values and payments; see the module docstring."""')
            w.line("return settle(PLAN, facts, records, region, as_of, trace)")
        w.line()
        w.line()
        w.line("def evaluate_amounts(")
        with w.indent():
            w.line("facts: Mapping[str, Any], records: Mapping[str, Any] | None,")
            w.line("region: Mapping[str, Any] | Region | None, as_of: dt.date,")
        w.line(") -> Amounts:")
        with w.indent():
            w.line('"""The same settlement with the trace off, as numbers (Decimal) without the result document."""')
            w.line("return settle_amounts(PLAN, facts, records, region, as_of)")
        w.line()
        w.line()
        w.line("def read_region_file(region: Mapping[str, Any] | None) -> Region:")
        with w.indent():
            w.line('"""The region file read once, to pass to every settlement of a roster instead of its content."""')
            w.line("return prepare_region(PLAN, region)")
        return w.source()


def write_facts(w: PyWriter, facts: str, about: str) -> None:
    """`FACTS` (each fact's FactSpec, as the literal `facts`) and `_facts`, which checks them."""
    w.line(f"# The facts of {about}: kind, unit, accepted units, values, default, domain.")
    _block(w, "FACTS: dict[str, FactSpec] = ", facts)
    w.line()
    w.line()
    w.line("def _facts(raw: Mapping[str, Any]) -> dict[str, Any]:")
    with w.indent():
        w.line("return coerce_facts(FACTS, raw)")
    w.line()
    w.line()


def _args(head: str, args: list[str]) -> str:
    """`head(a, b, …)` as a possibly multi-line string (one argument per line when long)."""
    one = f"{head}({', '.join(args)})"
    if len(one) <= WIDTH - 16 and "\n" not in one:
        return one
    args = [_wrap(a) for a in args]
    body = ",\n".join("    " + a.replace("\n", "\n    ") for a in args)
    return f"{head}(\n{body},\n)"


def _block(w: PyWriter, head: str, text: str, tail: str = "") -> None:
    """Write `head` + a (multi-line) literal at the writer's indentation, wrapping tuples/dicts."""
    text = _wrap(text)
    lines = text.split("\n")
    w.line(head + lines[0])
    for line in lines[1:-1]:
        w.line(line)
    if len(lines) > 1:
        w.line(lines[-1] + tail)
    elif tail:
        w.lines[-1] += tail


def _wrap(text: str) -> str:
    """A tuple/dict literal (or `key=literal`) of items one per line, nested literals likewise."""
    if len(text) <= WIDTH - 24:
        return text
    if "=" in text and text.split("=", 1)[0].isidentifier() and text.split("=", 1)[1][:1] in "({":
        key, value = text.split("=", 1)
        return f"{key}={_wrap(value)}"
    if text[0] not in "({" or text[-1] not in ")}":
        return text
    close = text[-1]
    inner = text[1:-1]
    parts = _split_top(inner)
    if len(parts) <= 1 and not inner.rstrip().endswith(","):
        return text  # a parenthesised expression (a long string in pieces), not a tuple
    items = [_wrap_item(part.strip()) for part in parts if part.strip()]
    body = "\n".join("    " + item.replace("\n", "\n    ") + "," for item in items)
    return f"{text[0]}\n{body}\n{close}"


def _wrap_item(item: str) -> str:
    """One item of a wrapped literal: `'key': value` with a long value literal wrapped too."""
    if len(item) <= WIDTH - 24 or "\n" in item:
        return item
    head, sep, value = item.partition(": ")
    if sep and value[:1] in "({" and head[:1] in "'\"":
        return f"{head}: {_wrap(value)}"
    if "(" in item and item.endswith(")") and item.split("(", 1)[0].isidentifier():
        name, rest = item.split("(", 1)
        return _args(name, [p.strip() for p in _split_top(rest[:-1])])
    return item


def _split_top(text: str) -> list[str]:
    """Split on commas outside brackets and strings."""
    parts, depth, current, quote = [], 0, [], ""
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == "\\":
                current.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
            current.append(ch)
        elif ch in "([{":
            depth += 1
            current.append(ch)
        elif ch in ")]}":
            depth -= 1
            current.append(ch)
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    if "".join(current).strip():
        parts.append("".join(current))
    return parts
