"""The rules of a compliance regime (G11, G12): duties of a holder checked against an inspection
record, the violations a sanctions clause lists, its graded measures, and the payments due.

Built from the schema-valid tree once the clauses exist: `obligations`, `payments`, `sanctions`
and `violation: true` on clauses, and the top-level `inspection` section (the fact naming the
inspected holder, and the consistency of the record itself: impossible numbers and dates are
input errors, not violations). Only expressions are parsed here; `check_compliance` types them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from compiler.lang import ast
from compiler.lang.parser import ExprSyntaxError, parse
from compiler.model.expr import Expr
from compiler.source.diagnostics import Collector, Span
from compiler.source.yamlsrc import YMap, YStr

SEVERITIES = ("violation", "principle", "notice")
SEVERITY_ZH = {"violation": "违反规定", "principle": "原则性要求未达到", "notice": "提示"}


@dataclass
class Obligation:
    id: str
    address: str  # the clause it is written on
    cite: str
    requires: Expr
    check: str  # the checklist's wording
    span: Span
    severity: str = "violation"
    holder: str | None = None
    when: Expr | None = None
    per: str | None = None  # a record kind: checked for each record
    breach: str | None = None  # address of the violation 项 of the sanctions clause
    breach_span: Span | None = None
    reason: str | None = None
    evidence: str | None = None
    note: str | None = None


@dataclass
class Payment:
    id: str
    name: str
    address: str
    cite: str
    amount: Expr
    span: Span
    per: str | None = None
    when: Expr | None = None
    proposed: bool = False
    note: str | None = None


@dataclass
class Measures:
    """A sanctions clause with graded measures (第二十九条): always, and only when serious."""

    address: str
    cite: str
    span: Span
    text: str = ""  # the clause's lead-in, verbatim
    rectify: bool = False
    disqualify: str | None = None
    recover: bool = False
    revoke: bool = False
    serious: str | None = None  # the fact for 情节严重
    serious_only: tuple[str, ...] = ()
    by: tuple[str, ...] = ()
    liabilities: tuple[str, ...] = ()


@dataclass
class Violation:
    address: str
    cite: str
    text: str
    parent: str  # the address of the clause whose sanctions it falls under


@dataclass
class Consistency:
    id: str
    requires: Expr
    field: str
    message: str
    span: Span
    record: str | None = None


@dataclass
class Compliance:
    holder: str
    span: Span
    obligations: list[Obligation] = field(default_factory=list)
    payments: list[Payment] = field(default_factory=list)
    measures: list[Measures] = field(default_factory=list)
    violations: dict[str, Violation] = field(default_factory=dict)  # by address
    consistency: list[Consistency] = field(default_factory=list)


ClauseInfo = tuple[str, str, str, "YMap | None", str | None]  # address, cite, text, raw node, parent address


def _expr(value: YStr, cite: str | None, errors: Collector) -> Expr:
    try:
        return Expr(value, parse(str(value)))
    except ExprSyntaxError as exc:
        errors.error("E201", f"表达式语法错误：{exc.message}", value.offset_span(exc.start, exc.end), cite, exc.hint)
        return Expr(value, ast.Unparsed((0, len(value)), str(value)))


def _opt(raw: YMap, key: str) -> str | None:
    return str(raw[key]) if key in raw else None


def clause_infos(chapters: Iterable[Any]) -> list[ClauseInfo]:
    """Every clause with its raw node and the clause it sits in (a 项's 款), in document order;
    `chapters` are the model's `Chapter`s (a 款 without an id shares its article's address)."""
    out: list[ClauseInfo] = []

    def visit(clause: Any, parent: str | None) -> None:
        out.append((clause.address, clause.cite, clause.text, clause.raw, parent))
        for child in clause.children:
            visit(child, clause.address)

    for chapter in chapters:
        for article in chapter.articles:
            visit(article, None)
    return out


def build_compliance(tree: YMap, clauses: Iterable[ClauseInfo], errors: Collector,
                     rule_id: Callable[[str, Span, str], None]) -> Compliance | None:
    """The compliance rules of a policy, or None when it has no `inspection` section."""
    section = tree.get("inspection")
    infos = list(clauses)
    if section is None:
        for _address, cite, _text, raw, _parent in infos:
            for key in ("obligations", "payments"):
                if raw is not None and key in raw:
                    errors.error("E311", f"{cite}写有 {key}，但政策没有 inspection 部分", raw.key_spans[key], cite,
                                 "在顶层写 inspection: {holder: 承储企业名称}，指明被检查单位")
                    return None
        return None
    out = Compliance(str(section["holder"]), section.value_spans["holder"])
    for raw in section.get("consistency") or []:
        rule_id(str(raw["id"]), raw.value_spans["id"], "inspection")
        out.consistency.append(Consistency(
            str(raw["id"]), _expr(raw["requires"], None, errors), str(raw["field"]), str(raw["message"]), raw.span,
            _opt(raw, "record"),
        ))
    for address, cite, text, raw, parent in infos:
        if raw is None:
            continue
        if raw.get("violation") is True:
            out.violations[address] = Violation(address, cite, text, parent or address)
        if "sanctions" in raw:
            s = raw["sanctions"]
            out.measures.append(Measures(
                address, cite, s.span, text, rectify=bool(s.get("rectify", False)), disqualify=_opt(s, "disqualify"),
                recover=bool(s.get("recover", False)), revoke=bool(s.get("revoke", False)), serious=_opt(s, "serious"),
                serious_only=tuple(str(x) for x in s.get("serious_only") or ()),
                by=tuple(str(x) for x in s.get("by") or ()),
                liabilities=tuple(str(x) for x in s.get("liabilities") or ()),
            ))
        for ob in raw.get("obligations") or []:
            rule_id(str(ob["id"]), ob.value_spans["id"], cite)
            out.obligations.append(Obligation(
                str(ob["id"]), address, cite, _expr(ob["requires"], cite, errors), str(ob["check"]), ob.span,
                severity=str(ob.get("severity", "violation")), holder=_opt(ob, "holder"),
                when=_expr(ob["when"], cite, errors) if "when" in ob else None, per=_opt(ob, "per"),
                breach=_opt(ob, "breach"), breach_span=ob.value_spans.get("breach"), reason=_opt(ob, "reason"),
                evidence=_opt(ob, "evidence"), note=_opt(ob, "note"),
            ))
        for pay in raw.get("payments") or []:
            rule_id(str(pay["id"]), pay.value_spans["id"], cite)
            out.payments.append(Payment(
                str(pay["id"]), str(pay["name"]), address, cite, _expr(pay["amount"], cite, errors), pay.span,
                per=_opt(pay, "per"), when=_expr(pay["when"], cite, errors) if "when" in pay else None,
                proposed=bool(pay.get("proposed", False)), note=_opt(pay, "note"),
            ))
    return out
