"""Code generation for compliance regimes: a checked Policy → a standalone evaluator module.

Like `codegen_computation`: the module carries a copy of the runtime (`runtime.core`) and of the
compliance procedure (`runtime.compliance`),
and a `PLAN` whose duties, payments and consistency rules are small compiled functions, each
commented with its clause and text; `evaluate(facts, records, as_of)` is `inspect(PLAN, …)`.
"""

from __future__ import annotations

from compiler import __version__
from compiler.evaluate import derive_compliance as dcl
from compiler.evaluate import derive_computation as dc
from compiler.evaluate.codegen import (
    _call,
    _unwrap,
    write_constants,
    write_identity,
    write_imports,
    write_runtimes,
)
from compiler.evaluate.codegen_computation import _args, _block, _Names, write_facts
from compiler.evaluate.derive import fact_specs, optional_facts
from compiler.evaluate.precompiled import policy_digest
from compiler.evaluate.pywriter import PyWriter, py_literal
from compiler.model.compliance import Compliance
from compiler.model.expr import Expr
from compiler.model.policy import Policy
from compiler.runtime import compliance, core
from compiler.runtime.core import FactSpec

LINE = 116  # generated lines stay within 120 characters (tests/test_architecture.py)


def _text(value: str | None, width: int = 60) -> str:
    """A string literal; a long one as an implicit concatenation over several lines."""
    if value is None or len(value) <= width:
        return repr(value)
    parts = [value[i:i + width] for i in range(0, len(value), width)]
    return "(\n" + "\n".join(f"    {p!r}" for p in parts) + "\n)"


def _tokens(code: str) -> list[str]:
    """`code` split at the spaces outside string literals (a line may break there inside brackets)."""
    out, current, quote, i = [], "", "", 0
    while i < len(code):
        ch = code[i]
        if quote:
            current += ch
            if ch == "\\":
                current += code[i + 1]
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "'\"":
            quote, current = ch, current + ch
        elif ch == " ":
            out.append(current)
            current = ""
        else:
            current += ch
        i += 1
    return [*out, current]


def _emit_return(w: PyWriter, code: str) -> None:
    """`return code`, wrapped inside parentheses when the line would be too long."""
    if len("    " * w.level) + len(code) + 7 <= LINE:
        w.line(f"return {code}")
        return
    w.line("return (")
    with w.indent():
        room = LINE - len("    " * w.level)
        line = ""
        for token in _tokens(code):
            if line and len(line) + 1 + len(token) > room:
                w.line(line)
                line = token
            else:
                line = f"{line} {token}" if line else token
        if line:
            w.line(line)
    w.line(")")


def _comment(w: PyWriter, text: str) -> None:
    room = LINE - len("    " * w.level) - 2
    for i in range(0, len(text), room):
        w.comment(text[i:i + room].strip())


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
            _comment(w, f"{cite} {purpose}")
            _comment(w, expr.text)
            code = _unwrap(self.x.compile(expr.node))
            if not self.x.can_raise(expr.node):
                _emit_return(w, code)
            else:
                w.line("try:")
                with w.indent():
                    _emit_return(w, code)
                w.line("except (TypeError, ArithmeticError) as exc:")
                with w.indent():
                    optional = py_literal(optional_facts(self.p, expr))
                    _call(w, "raise rule_error", [repr(cite), _text(expr.text), "exc", "f", optional], " from None")
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
        return "{\n" + "".join(f"    {n!r}: {self.spec(s)},\n" for n, s in specs.items()) + "}"

    def parts(self) -> dict[str, list[str]]:
        p, c = self.p, self.c
        keys = dcl.record_keys(p)
        records = [_args("RecordKind", [
            repr(k), repr(r.label), f"specs={self.specs({n: dc.spec_of(f) for n, f in r.fields.items()})}",
            f"key={keys[k]!r}",
        ]) for k, r in p.records.items()]
        duties = []
        for o in c.obligations:
            test = self.fn(o.requires, o.cite, f"{o.id}：{o.check}")
            applies = self.fn(o.when, o.cite, f"{o.id} 适用条件") if o.when is not None else "None"
            duties.append(_args("Duty", [
                repr(o.id), repr(o.address), repr(o.cite), f"check={_text(o.check)}", f"severity={o.severity!r}",
                f"test={test}", f"text={_text(o.requires.text)}", f"reason={_text(o.reason)}", f"per={o.per!r}",
                f"applies={applies}", f"breach={o.breach!r}", f"evidence={_text(o.evidence)}",
            ]))
        measures = [_args("Measures", [
            repr(m.address), repr(m.cite), f"rectify={m.rectify!r}", f"disqualify={m.disqualify!r}",
            f"recover={m.recover!r}", f"revoke={m.revoke!r}", f"serious={m.serious!r}",
            f"serious_only={py_literal(m.serious_only)}", f"by={py_literal(m.by)}",
            "liabilities=(" + "".join(f"{_text(x)}, " for x in m.liabilities) + ")",
        ]) for m in c.measures]
        payments = []
        for pay in c.payments:
            amount = self.fn(pay.amount, pay.cite, pay.name)
            applies = self.fn(pay.when, pay.cite, f"{pay.name} 适用条件") if pay.when is not None else "None"
            payments.append(_args("PaymentItem", [
                repr(pay.id), repr(pay.name), repr(pay.address), repr(pay.cite), f"amount={amount}",
                f"text={_text(pay.amount.text)}", f"per={pay.per!r}", f"applies={applies}", f"proposed={pay.proposed!r}",
            ]))
        consistency = [_args("Consistent", [
            repr(r.id), repr(r.field), _text(r.message), f"test={self.fn(r.requires, '检查记录', r.id)}",
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
        write_imports(w, ("datetime as dt", "difflib", "re"), ("Callable", "Mapping", "Sequence"))
        write_identity(w, p, digest, self.path)
        w.line("KIND = 'compliance'")
        write_runtimes(w, (("runtime (copied from compiler/runtime/core.py)", core),
                           ("compliance procedure (copied from compiler/runtime/compliance.py)", compliance)))
        write_constants(w, self.x.constants)
        for line in self.functions.lines:
            w.line(line)
        write_facts(w, facts, "the inspection record")
        w.line("PLAN = Inspection(")
        with w.indent():
            w.line(f"POLICY, VERSION, DOC_NUMBER, holder={self.c.holder!r}, read_facts=_facts,")
            for key in ("records", "duties", "measures", "payments", "consistency"):
                if key == "duties":
                    w.comment("Every duty of the holder, in document order.")
                _block(w, f"{key}=", "(" + "".join(f"{x}, " for x in parts[key]) + ")", ",")
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
