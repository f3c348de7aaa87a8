"""The compliance procedure, defined once for both engines: an inspection record of a holder
(a storage company's books, batches, releases) checked against the duties of a 办法.

`inspect` is the one definition of how an inspection is decided and explained:

1. the record is read and checked: the holder's facts and every record (units, domains, known
   product kinds), then the record's own consistency (a release before the purchase, a restock
   before the release, a date after the inspection): these are input errors naming the field and
   the record, never violations; an inspection outside the 办法's validity is refused;
2. every duty is checked, once or for each record of its kind (`per`), where it applies (`when`):
   a failed duty is a violation, a finding under a "原则上" rule (to be explained by the holder),
   or a notice (allowed, but flagged: stock above the plan);
3. each violation is placed under the 项 of the sanctions clause it falls under (`breach`), with
   the measures that clause sets: always (责令限期改正) and, where the authority finds the case
   serious (情节严重), the rest (取消承储资格、追回财政补贴资金); a violation the clause does not
   list is reported with no measure of the clause;
4. the payments of the period (storage subsidies, price gaps after a release) are computed per
   record or once, each rounded to 分 where it is computed.

Standard library only: copied into every generated evaluator of a compliance regime after
`core`. Records are read as `runtime.computation` reads them (each field a `FactSpec`), with
errors of the same shape (`RecordsError`: kind, index, field).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from compiler.runtime.core import (
    EvaluationError,
    FactsError,
    FactSpec,
    RecordsError,
    amount_json,
    coerce_facts,
    money,
    zh_date,
)

# --- runtime: inlined into generated modules from here on ---

COMPLIANCE_FORMAT = "policyc-compliance/1"
Check = Callable[[dict[str, Any]], Any]
SEVERITY_ZH = {"violation": "违反规定", "principle": "原则性要求未达到", "notice": "提示"}
MEASURE_ZH = {"rectify": "责令限期改正", "recover": "追回财政补贴资金", "revoke": "撤销"}


class RecordKind:
    """One kind of record of an inspection (储备批次, 动用 …): its fields and the field naming one."""

    __slots__ = ("name", "label", "specs", "key")

    def __init__(self, name: str, label: str, *, specs: Mapping[str, FactSpec], key: str | None = None) -> None:
        self.name, self.label, self.specs, self.key = name, label, specs, key


def read_records(kind: RecordKind, raw: Any) -> list[dict[str, Any]]:
    """A kind's records checked and in base units; raises RecordsError naming the record."""
    if raw is None:
        return []
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise RecordsError(kind.name, 0, None, "应为记录的列表（每条记录一组字段）")
    out: list[dict[str, Any]] = []
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise RecordsError(kind.name, index, None, "应为一组字段（字段名: 值）")
        try:
            out.append(coerce_facts(kind.specs, item))
        except FactsError as exc:
            names = exc.missing or [n for n, _ in exc.invalid] or [n for n, _ in exc.unknown]
            raise RecordsError(kind.name, index, names[0] if names else None, str(exc)) from None
    return out


class Duty:
    """A duty of the holder: what the inspector checks, and what a failure is."""

    __slots__ = ("id", "address", "cite", "check", "severity", "reason", "per", "test", "applies", "text",
                 "breach", "evidence")  # fmt: skip

    def __init__(
        self, id: str, address: str, cite: str, *, check: str, severity: str, test: Check, text: str,
        reason: str | None = None, per: str | None = None, applies: Check | None = None, breach: str | None = None,
        evidence: str | None = None,
    ) -> None:
        self.id, self.address, self.cite, self.check, self.severity = id, address, cite, check, severity
        self.reason = reason or f"未做到：{check}"
        self.per, self.test, self.applies, self.text, self.breach = per, test, applies, text, breach
        self.evidence = evidence


class Measures:
    """The measures of a sanctions clause: those always taken and those for serious cases."""

    __slots__ = ("address", "cite", "by", "always", "serious_only", "serious", "liabilities")

    def __init__(
        self, address: str, cite: str, *, rectify: bool, disqualify: str | None, recover: bool, revoke: bool,
        serious: str | None, serious_only: tuple[str, ...], by: tuple[str, ...], liabilities: tuple[str, ...],
    ) -> None:
        self.address, self.cite, self.by, self.serious, self.liabilities = address, cite, by, serious, liabilities
        named = [(k, MEASURE_ZH[k]) for k, on in (("rectify", rectify), ("revoke", revoke)) if on]
        if disqualify:
            named.append(("disqualify", f"取消{disqualify}"))
        if recover:
            named.append(("recover", MEASURE_ZH["recover"]))
        self.always = tuple(text for key, text in named if key not in serious_only)
        self.serious_only = tuple(text for key, text in named if key in serious_only)

    def text(self, serious: bool) -> str:
        """The measures in the words of a decision: what applies, and what a serious case adds."""
        if serious:
            return "情节严重：" + "，".join(self.always + self.serious_only)
        out = "，".join(self.always)
        if self.serious_only:
            out += "；情节严重的，" + "，".join(self.serious_only)
        return out


class PaymentItem:
    __slots__ = ("id", "name", "address", "cite", "per", "amount", "applies", "proposed", "text")

    def __init__(self, id: str, name: str, address: str, cite: str, *, amount: Check, text: str,
                 per: str | None = None, applies: Check | None = None, proposed: bool = False) -> None:
        self.id, self.name, self.address, self.cite, self.per = id, name, address, cite, per
        self.amount, self.applies, self.proposed, self.text = amount, applies, proposed, text


class Consistent:
    """A condition the record itself must meet (otherwise it cannot be right): an input error."""

    __slots__ = ("id", "record", "field", "test", "message")

    def __init__(self, id: str, field: str, message: str, *, test: Check, record: str | None = None) -> None:
        self.id, self.record, self.field, self.test, self.message = id, record, field, test, message


class Inspection:
    """Everything `inspect` needs to know about one compliance regime."""

    __slots__ = ("policy", "version", "doc_number", "holder", "read_facts", "records", "duties",
                 "measures", "violations", "payments", "consistency", "validity")  # fmt: skip

    def __init__(
        self, policy: str, version: str, doc_number: str | None, *, holder: str,
        read_facts: Callable[[Mapping[str, Any]], dict[str, Any]], records: tuple[RecordKind, ...],
        duties: tuple[Duty, ...], measures: tuple[Measures, ...],
        violations: Mapping[str, tuple[str, str, str]], payments: tuple[PaymentItem, ...],
        consistency: tuple[Consistent, ...], validity: tuple[dt.date, dt.date | None, str, str] | None,
    ) -> None:
        self.policy, self.version, self.doc_number, self.holder = policy, version, doc_number, holder
        self.read_facts, self.records = read_facts, {r.name: r for r in records}
        self.duties, self.measures = duties, {m.address: m for m in measures}
        self.violations = dict(violations)  # address → (cite, text, address of its sanctions clause)
        self.payments, self.consistency, self.validity = payments, consistency, validity


def _read(plan: Inspection, facts: Mapping[str, Any], records: Mapping[str, Any] | None,
          as_of: dt.date) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    if plan.validity is not None:
        start, until, _address, cite = plan.validity
        if as_of < start or (until is not None and as_of > until):
            period = f"{zh_date(start)}起" + (f"至{zh_date(until)}" if until else "")
            raise EvaluationError(cite, f"检查日期{zh_date(as_of)}不在本办法施行期间（{period}），"
                                        "不能按本办法检查")
    env = plan.read_facts(facts)
    env["评价日期"] = as_of
    given = dict(records or {})
    unknown = [k for k in given if k not in plan.records]
    if unknown:
        known = "、".join(plan.records)
        raise RecordsError(str(unknown[0]), 0, None, f"本办法没有「{unknown[0]}」这类记录；可用：{known}")
    rows = {name: read_records(kind, given.get(name)) for name, kind in plan.records.items()}
    for rule in plan.consistency:
        if rule.record is None:
            if not rule.test(env):
                raise FactsError([], [(rule.field, rule.message)], [])
            continue
        for index, row in enumerate(rows[rule.record]):
            if not rule.test({**env, **row}):
                raise RecordsError(rule.record, index, rule.field, rule.message)
    return env, rows


def _where(plan: Inspection, kind: str, index: int, row: Mapping[str, Any]) -> dict[str, Any]:
    key = plan.records[kind].key
    return {"kind": kind, "index": index + 1, "key": str(row[key]) if key and row.get(key) is not None else None}


def _finding(plan: Inspection, duty: Duty, where: dict[str, Any] | None, serious: dict[str, bool]) -> dict[str, Any]:
    out: dict[str, Any] = {"obligation": duty.id, "cite": duty.cite, "severity": duty.severity,
                           "severity_zh": SEVERITY_ZH[duty.severity], "check": duty.check, "reason": duty.reason,
                           "record": where, "breach": None, "measures": None}
    if duty.breach is not None and duty.severity != "notice":
        cite, text, parent = plan.violations[duty.breach]
        m = plan.measures[parent]
        out["breach"] = {"address": duty.breach, "cite": cite, "text": text}
        words = m.text(serious.get(parent, False))
        out["measures"] = words if duty.severity == "violation" else f"无正当理由的，属于{cite}所列情形：" + words
    return out


def inspect(
    plan: Inspection, facts: Mapping[str, Any], records: Mapping[str, Any] | None, as_of: dt.date, trace: bool = True,
) -> dict[str, Any]:
    """Check one inspection record; the result follows policyc-compliance/1."""
    env, rows = _read(plan, facts, records, as_of)
    serious = {a: bool(env.get(m.serious)) for a, m in plan.measures.items() if m.serious is not None}
    found: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    checked = 0
    for duty in plan.duties:
        scopes: list[tuple[dict[str, Any], dict[str, Any] | None]]
        if duty.per is None:
            scopes = [(env, None)]
        else:
            scopes = [({**env, **row}, _where(plan, duty.per, i, row)) for i, row in enumerate(rows[duty.per])]
        for scope, where in scopes:
            at = ""
            if where is not None:
                at = f"第 {where['index']} 条{duty.per}" + (f"（{where['key']}）" if where["key"] else "") + "："
            if duty.applies is not None and not duty.applies(scope):
                if trace:
                    steps.append({"cite": duty.cite, "obligation": duty.id, "detail": f"{at}{duty.check}：不适用"})
                continue
            checked += 1
            ok = bool(duty.test(scope))
            if not ok:
                found.append(_finding(plan, duty, where, serious))
            if trace:
                verdict = "符合" if ok else SEVERITY_ZH[duty.severity]
                detail = f"{at}{duty.check}：{verdict}（{duty.text}）"
                steps.append({"cite": duty.cite, "obligation": duty.id, "detail": detail})
    violations = [f for f in found if f["severity"] == "violation"]
    measures = []
    for address, m in plan.measures.items():
        under = [f for f in violations
                 if f["breach"] is not None and plan.violations[f["breach"]["address"]][2] == address]
        if under:
            measures.append({"cite": m.cite, "by": list(m.by), "serious": serious.get(address, False),
                             "measures": m.text(serious.get(address, False)),
                             "items": sorted({f["breach"]["cite"] for f in under}), "liabilities": list(m.liabilities)})
    items: list[dict[str, Any]] = []
    sums: dict[str, Decimal] = {}
    for pay in plan.payments:
        sums.setdefault(pay.name, Decimal(0))
        pscopes = [(env, None)] if pay.per is None else [
            ({**env, **row}, _where(plan, pay.per, i, row)) for i, row in enumerate(rows[pay.per])]
        for scope, where in pscopes:
            if pay.applies is not None and not pay.applies(scope):
                continue
            amount = money(Decimal(pay.amount(scope)))
            sums[pay.name] += amount
            items.append({"payment": pay.name, "cite": pay.cite, "record": where, "amount": amount_json(amount),
                          "proposed": pay.proposed, "formula": pay.text})
    total = sum(sums.values(), Decimal(0))
    return {
        "format": COMPLIANCE_FORMAT, "policy": plan.policy, "version": plan.version, "doc_number": plan.doc_number,
        "as_of": as_of.isoformat(), "holder": env.get(plan.holder), "conforms": not violations, "checked": checked,
        "violations": violations, "findings": [f for f in found if f["severity"] == "principle"],
        "notices": [f for f in found if f["severity"] == "notice"], "sanctions": measures,
        "payments": {n: amount_json(v) for n, v in sums.items()}, "payment_items": items,
        "total": amount_json(total), "trace": steps,
    }
