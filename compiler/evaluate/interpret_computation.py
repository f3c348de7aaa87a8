"""The reference evaluator of computing policies: supplies the callables of a
`runtime.computation.Computation`, each walking an expression tree (with units checked at run
time), and leaves the computation itself to `runtime.computation.settle`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from compiler.evaluate import derive_computation as dc
from compiler.evaluate.derive import fact_specs
from compiler.evaluate.interpreter import Interpreter, input_dims
from compiler.model.policy import Computed, ConditionRule, Policy
from compiler.runtime import computation as rt
from compiler.runtime import core as evalrt


class ComputingInterpreter(Interpreter):
    """Evaluates one computing policy; build once, call `evaluate` per person (or company)."""

    def __init__(self, policy: Policy) -> None:  # noqa: D107 - the award plan is not built
        self.p = policy
        self.specs = fact_specs(policy)
        dims = input_dims(policy)
        dims.update({n: p.unit.dims for n, p in policy.parameters.items() if p.unit is not None})
        for c in policy.computes:
            d = dc.dims_of(policy, c)
            if d is not None:
                dims[c.name] = d
        self.fact_dims = dims
        self.computation = self.build_computation()

    def parameter(self, name: str, env: dict[str, Any]) -> Any:  # pragma: no cover - settle resolves them
        raise KeyError(name)

    def step(self, c: Computed, sched: Any) -> rt.Step:
        cite = c.clause.cite
        unit, scale = dc.shown(self.p, c)
        shown = rt.Shown(unit, scale)
        common: dict[str, Any] = {"shown": shown, "payment": c.payment, "params": sched.params[c.name],
                                  "label": c.label, "record": None, "names": dc.names_read(c)}
        where = self.expr_fn(c.where, cite) if c.where is not None else None
        common["where"] = where
        common["where_text"] = c.where.text if c.where is not None else ""
        if c.kind == "value" and c.value is not None:
            return rt.Step(c.name, c.clause.address, cite, kind="value", text=c.value.text,
                           fn=self.expr_fn(c.value, cite), **common)
        if c.kind == "tiers" and c.tiers is not None:
            t = c.tiers
            bands = tuple(rt.Band(b.band.lower, b.band.lower_inclusive, b.band.upper, b.band.upper_inclusive,
                                  self.expr_fn(b.value, cite), str(b.range_src)) for b in t.bands)
            return rt.Step(c.name, c.clause.address, cite, kind="tiers", text=t.of.text, fn=self.expr_fn(t.of, cite),
                           bands=bands, otherwise=self.expr_fn(t.otherwise, cite) if t.otherwise else None, **common)
        if c.kind in ("total", "count"):
            common["record"] = dc.record_of(self.p, c, sched)
        text = c.of or (c.where.text if c.where is not None else c.name)
        return rt.Step(c.name, c.clause.address, cite, kind=c.kind, text=text, of=c.of, **common)

    def condition(self, rule: ConditionRule) -> rt.Condition:
        c = rule.clause
        return rt.Condition(rule.id, c.address, c.cite, reason=rule.reason, test=self.expr_fn(rule.when, c.cite),
                            exclusion=rule.kind == "exclusion", text=rule.when.text, applies_to=rule.applies_to)

    def param(self, name: str) -> rt.ParamItem:
        param = self.p.parameters[name]
        cite = dc.param_cite(self.p, param.clause)
        unit, scale = dc.param_shown(param)
        common: dict[str, Any] = {"shown": rt.Shown(unit, scale), "label": param.label or name,
                                  "region": param.region, "spec": dc.region_spec(param) if param.region else None,
                                  "constant": dc.param_constant(param)}
        if param.by is not None:
            keys = tuple(param.table) or dc.keys_of(self.p, param.by, param.alias)
            return rt.ParamItem(name, param.clause or "", cite, by=param.by, alias=param.alias, keys=keys,
                                values=tuple(self.expr_fn(e, cite) for e in param.table.values()), **common)
        on = param.date_fact or ("评价日期" if len(param.values) > 1 else None)
        return rt.ParamItem(name, param.clause or "", cite, on=on,
                            values=tuple(self.expr_fn(v.value, cite) for v in param.values),
                            starts=tuple(v.start for v in param.values),
                            untils=tuple(dc.until(param.values, i) for i in range(len(param.values))), **common)

    def build_computation(self) -> rt.Computation:
        p = self.p
        sched = dc.plan_schedule(p)
        by_name = {c.name: c for c in p.computes}
        entries: list[rt.Step | rt.RecordKind] = []
        for entry in sched.entries:
            if isinstance(entry, str):
                entries.append(self.step(by_name[entry], sched))
            else:
                kind, names = entry
                rec = p.records[kind]
                entries.append(rt.RecordKind(
                    kind, rec.label, order=rec.order, period=rec.period,
                    specs={n: dc.spec_of(f) for n, f in rec.fields.items()},
                    steps=tuple(self.step(by_name[n], sched) for n in names),
                ))
        specs = self.specs
        validity = dc.validity(p)
        return rt.Computation(
            p.policy_id, p.version, p.meta.doc_number, read_facts=lambda raw: evalrt.coerce_facts(specs, raw),
            params=tuple(self.param(n) for n in p.parameters),
            schedule=tuple(entries),
            conditions=tuple(self.condition(r) for r in (*p.eligibility, *p.exclusions)),
            validity=validity,
            outputs=p.evaluation.outputs or tuple(c.name for c in p.computes if c.payment),
            shown={n: rt.Shown(u, s) for n, (u, s) in dc.shown_all(p).items()},
        )

    def settle(
        self, facts: Mapping[str, Any], records: Mapping[str, Any] | None, region: Mapping[str, Any] | None,
        as_of: dt.date, *, trace: bool = True,
    ) -> dict[str, Any]:
        return rt.settle(self.computation, facts, records, region, as_of, trace)


