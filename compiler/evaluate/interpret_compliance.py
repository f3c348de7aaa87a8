"""The reference evaluator of compliance regimes: supplies the callables of a
`runtime.compliance.Inspection`, each walking an expression tree (with units checked at run
time), and leaves the inspection itself to `runtime.compliance.inspect`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from compiler.evaluate import derive_compliance as dcl
from compiler.evaluate import derive_computation as dc
from compiler.evaluate.derive import fact_specs
from compiler.evaluate.interpreter import Interpreter, input_dims
from compiler.model.compliance import Compliance
from compiler.model.policy import Policy
from compiler.runtime import compliance as rt
from compiler.runtime import core as evalrt


class ComplianceInterpreter(Interpreter):
    """Checks inspection records against one compliance regime; build once, call `inspect`."""

    def __init__(self, policy: Policy) -> None:  # noqa: D107 - the award plan is not built
        assert policy.compliance is not None
        self.p = policy
        self.specs = fact_specs(policy)
        self.fact_dims = input_dims(policy)
        self.inspection = self.build_inspection(policy.compliance)

    def build_inspection(self, c: Compliance) -> rt.Inspection:
        p = self.p
        specs = self.specs
        return rt.Inspection(
            p.policy_id, p.version, p.meta.doc_number, holder=c.holder,
            read_facts=lambda raw: evalrt.coerce_facts(specs, raw),
            records=tuple(rt.RecordKind(k, r.label, specs={n: dc.spec_of(f) for n, f in r.fields.items()},
                                        key=dcl.record_keys(p)[k]) for k, r in p.records.items()),
            duties=tuple(rt.Duty(
                o.id, o.address, o.cite, check=o.check, severity=o.severity, test=self.expr_fn(o.requires, o.cite),
                text=o.requires.text, reason=o.reason, per=o.per,
                applies=self.expr_fn(o.when, o.cite) if o.when is not None else None, breach=o.breach, evidence=o.evidence,
            ) for o in c.obligations),
            measures=tuple(rt.Measures(
                m.address, m.cite, rectify=m.rectify, disqualify=m.disqualify, recover=m.recover, revoke=m.revoke,
                serious=m.serious, serious_only=m.serious_only, by=m.by, liabilities=m.liabilities,
            ) for m in c.measures),
            violations=dcl.violations(c),
            payments=tuple(rt.PaymentItem(
                pay.id, pay.name, pay.address, pay.cite, amount=self.expr_fn(pay.amount, pay.cite), text=pay.amount.text,
                per=pay.per, applies=self.expr_fn(pay.when, pay.cite) if pay.when is not None else None,
                proposed=pay.proposed,
            ) for pay in c.payments),
            consistency=tuple(rt.Consistent(r.id, r.field, r.message, test=self.expr_fn(r.requires, "检查记录"),
                                            record=r.record) for r in c.consistency),
            validity=dc.validity(p),
        )

    def inspect(self, facts: Mapping[str, Any], records: Mapping[str, Any] | None, as_of: dt.date,
                *, trace: bool = True) -> dict[str, Any]:
        return rt.inspect(self.inspection, facts, records, as_of, trace)
