"""Code generation for compliance regimes: a checked Policy → a standalone evaluator module.

Like `codegen_computation`: the module carries a copy of the runtime (`runtime.core`), of the
record reading (`runtime.computation`) and of the compliance procedure (`runtime.compliance`),
and a `PLAN` whose duties, payments and consistency rules are small compiled functions, each
commented with its clause and text; `evaluate(facts, records, as_of)` is `inspect(PLAN, …)`.
"""

from __future__ import annotations

from compiler import __version__
from compiler.evaluate import derive_compliance as dcl
from compiler.evaluate import derive_computation as dc
from compiler.evaluate.codegen import WIDTH, _call, _unwrap, runtime_source
from compiler.evaluate.codegen_computation import _args, _block, _Names
from compiler.evaluate.derive import fact_specs
from compiler.evaluate.precompiled import compiler_fingerprint, policy_digest
from compiler.evaluate.pywriter import PyWriter, literal_lines, py_literal
from compiler.model.compliance import Compliance
from compiler.model.expr import Expr
from compiler.model.policy import Policy
from compiler.runtime import compliance, computation, core
from compiler.runtime.core import FactSpec


def generate_compliance(policy: Policy, policy_text: str, source_path: str) -> str:
    """The evaluator module of one compliance regime version; returns Python source."""
    assert policy.compliance is not None
    return _Generator(policy, policy.compliance, policy_text, source_path).run()


class _Generator:
    def __init__(self, policy: Policy, c: Compliance, policy_text: str, source_path: str) -> None:
        self.p, self.c, self.text, self.path = policy, c, policy_text, source_path
        self.x = _Names(policy)
        optional = {n for n, f in policy.facts.items() if f.optional}
        for rec in policy.records.values():
            optional |= {n for n, f in rec.fields.items() if f.optional}
        self.x.optional = frozenset(optional)
        self.functions = PyWriter()
        self.count = 0

    def fn(self, expr: Expr, cite: str, purpose: str) -> str:
        """A function computing `expr` over the environment `f`; returns its name."""
        self.count += 1
        name = f"_c{self.count}"
        w = self.functions
        w.line(f"def {name}(f: dict[str, Any]) -> Any:")
        with w.indent():
            w.comment(f"{cite} {purpose}")
            w.comment(expr.text)
            code = _unwrap(self.x.compile(expr.node))
            if not self.x.can_raise(expr.node):
                w.line(f"return {code}")
            else:
                w.line("try:")
                with w.indent():
                    w.line(f"return {code}")
                w.line("except (TypeError, ArithmeticError) as exc:")
                with w.indent():
                    optional = py_literal(dc.optional_names(self.p, expr))
                    _call(w, "raise rule_error", [repr(cite), repr(expr.text), "exc", "f", optional], " from None")
        w.line()
        w.line()
        return name

    def spec(self, spec: FactSpec) -> str:
        blank = FactSpec("")
        args = [repr(spec.kind)]
        for k in FactSpec.__slots__[1:]:
            value = getattr(spec, k)
            if value != getattr(blank, k):
                shared = isinstance(value, dict | frozenset) and value
                args.append(f"{k}={self.x.const(value) if shared else py_literal(value)}")
        return _args("FactSpec", args)

    def specs(self, specs: dict[str, FactSpec]) -> str:
        return "{" + "".join(f"{n!r}: {self.spec(s)}, " for n, s in specs.items()) + "}"

    def parts(self) -> dict[str, list[str]]:
        p, c = self.p, self.c
        records = [_args("RecordKind", [
            repr(k), repr(r.label), "order=None", "period=None",
            f"specs={self.specs({n: dc.spec_of(f) for n, f in r.fields.items()})}", "steps=()",
        ]) for k, r in p.records.items()]
        duties = []
        for o in c.obligations:
            test = self.fn(o.requires, o.cite, f"{o.id}：{o.check}")
            applies = self.fn(o.when, o.cite, f"{o.id} 适用条件") if o.when is not None else "None"
            duties.append(_args("Duty", [
                repr(o.id), repr(o.address), repr(o.cite), f"check={o.check!r}", f"severity={o.severity!r}",
                f"test={test}", f"text={o.requires.text!r}", f"reason={o.reason!r}", f"per={o.per!r}",
                f"applies={applies}", f"breach={o.breach!r}", f"evidence={o.evidence!r}",
            ]))
        measures = [_args("Measures", [
            repr(m.address), repr(m.cite), f"rectify={m.rectify!r}", f"disqualify={m.disqualify!r}",
            f"recover={m.recover!r}", f"revoke={m.revoke!r}", f"serious={m.serious!r}",
            f"serious_only={py_literal(m.serious_only)}", f"by={py_literal(m.by)}",
            f"liabilities={py_literal(m.liabilities)}",
        ]) for m in c.measures]
        payments = []
        for pay in c.payments:
            amount = self.fn(pay.amount, pay.cite, pay.name)
            applies = self.fn(pay.when, pay.cite, f"{pay.name} 适用条件") if pay.when is not None else "None"
            payments.append(_args("PaymentItem", [
                repr(pay.id), repr(pay.name), repr(pay.address), repr(pay.cite), f"amount={amount}",
                f"text={pay.amount.text!r}", f"per={pay.per!r}", f"applies={applies}", f"proposed={pay.proposed!r}",
            ]))
        consistency = [_args("Consistent", [
            repr(r.id), repr(r.field), repr(r.message), f"test={self.fn(r.requires, '检查记录', r.id)}",
            f"record={r.record!r}",
        ]) for r in c.consistency]
        return {"records": records, "duties": duties, "measures": measures, "payments": payments,
                "consistency": consistency}

    def run(self) -> str:
        p, meta = self.p, self.p.meta
        parts = self.parts()
        facts = self.specs(fact_specs(p))
        w = PyWriter()
        digest = policy_digest(self.text)
        w.line(f"# 由 policyc {__version__} 生成，请勿手工修改 — generated by policyc, do not edit.")
        w.comment(f"来源：{self.path}")
        w.comment(f"sha256 {digest}")
        w.comment(f"政策：{meta.title} {meta.doc_number or '（无文号）'} 版本 {p.version}")
        w.line('"""Standalone evaluator for one compliance regime version (generated; standard library only).')
        w.line("")
        w.line("    evaluate(facts, records, as_of) -> dict")
        w.line("")
        w.line("facts maps the inspection record's fact names (see FACTS) to values; records maps each record")
        w.line("kind (see PLAN) to its list of records; as_of is the inspection date (a datetime.date). The")
        w.line("result follows the policyc-compliance/1 format: every violation with its clause, the 项 of the")
        w.line("sanctions clause it falls under and the measures, the findings and notices, the payments in")
        w.line("元 and a trace of every check. An inconsistent record raises FactsError or RecordsError; a rule")
        w.line("that cannot be evaluated raises EvaluationError. The procedure below is a copy of")
        w.line("compiler/runtime/compliance.py.")
        w.line('"""')
        w.line()
        w.line("from __future__ import annotations")
        w.line()
        w.line("import datetime as dt")
        w.line("import difflib")
        w.line("import re")
        w.line("from collections.abc import Callable, Mapping, Sequence")
        w.line("from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation")
        w.line("from typing import Any")
        w.line()
        w.line(f"POLICY = {p.policy_id!r}")
        w.line(f"VERSION = {p.version!r}")
        w.line(f"TITLE = {meta.title!r}")
        w.line(f"DOC_NUMBER = {meta.doc_number!r}")
        w.line(f"SOURCE = {self.path!r}")
        w.line(f"SOURCE_SHA256 = {digest!r}")
        w.line("# The compiler sources this module was generated by (see compiler/evaluate/precompiled.py).")
        w.line(f"COMPILER = {compiler_fingerprint()!r}")
        w.line("KIND = 'compliance'")
        for title, module in (("runtime (copied from compiler/runtime/core.py)", core),
                              ("records (copied from compiler/runtime/computation.py)", computation),
                              ("compliance procedure (copied from compiler/runtime/compliance.py)", compliance)):
            w.line()
            w.line()
            w.line(f"# --- {title} ---")
            w.line()
            for line in runtime_source(module).splitlines():
                w.line(line)
        w.line()
        w.line()
        w.line("# --- constants ---")
        for cname, value in self.x.constants.values():
            lines = literal_lines(value, WIDTH - len(cname) - 3)
            w.line(f"{cname} = {lines[0]}")
            for rest in lines[1:]:
                w.line(rest)
        w.line()
        w.line()
        for line in self.functions.lines:
            w.line(line)
        w.line("# The facts of the inspection record: kind, unit, accepted units, values, default, domain.")
        _block(w, "FACTS: dict[str, FactSpec] = ", facts)
        w.line()
        w.line()
        w.line("def _facts(raw: Mapping[str, Any]) -> dict[str, Any]:")
        with w.indent():
            w.line("return coerce_facts(FACTS, raw)")
        w.line()
        w.line()
        w.line("PLAN = Inspection(")
        with w.indent():
            w.line(f"POLICY, VERSION, DOC_NUMBER, holder={self.c.holder!r}, read_facts=_facts,")
            for key in ("records", "duties", "measures", "payments", "consistency"):
                if key == "duties":
                    w.comment("Every duty of the holder, in document order.")
                _block(w, f"{key}=", "(" + "".join(f"{x}, " for x in parts[key]) + ")", ",")
            _block(w, "keys=", py_literal(dcl.record_keys(p)), ",")
            _block(w, "violations=", py_literal(dcl.violations(self.c)), ",")
            validity = dc.validity(p)
            if validity is None:
                w.line("validity=None,")
            else:
                start, until, address, cite = validity
                w.line(f"validity=({py_literal(start)}, {py_literal(until)}, {address!r}, {cite!r}),")
        w.line(")")
        w.line()
        w.line()
        w.line("def evaluate(")
        with w.indent():
            w.line("facts: Mapping[str, Any], records: Mapping[str, Any] | None, as_of: dt.date, *, trace: bool = True,")
        w.line(") -> dict[str, Any]:")
        with w.indent():
            w.line('"""Check one inspection record; see the module docstring."""')
            w.line("return inspect(PLAN, facts, records, as_of, trace)")
        return w.source()
