"""Checks of a compliance regime: every duty's condition is a condition over the inspection record
(the holder's facts, and the fields of the record kind it runs over), every payment an amount,
every `breach` names a violation 项 of a sanctions clause, and the record's own consistency
rules name real fields."""

from __future__ import annotations

from typing import Any, Protocol

from compiler.lang import ast
from compiler.model.expr import Expr
from compiler.model.policy import Policy
from compiler.source.diagnostics import Collector, Span, did_you_mean
from compiler.source.yamlsrc import YStr


class Checker(Protocol):
    """What is used of `check.Checker` (named here, not imported: check imports this module)."""

    p: Policy
    diag: Collector

    def typecheck(self, expr: Expr, clause: str | None, want: str, what: str) -> Any: ...

    def span_of(self, src: YStr, node: ast.Node) -> Span: ...


def check(checker: Checker) -> None:
    c = checker.p.compliance
    if c is None:
        return
    p = checker.p
    holder = p.facts.get(c.holder)
    if holder is None or holder.type != "text":
        checker.diag.error("E301", f"inspection.holder「{c.holder}」应为一个文本事实（被检查单位名称）", c.span,
                           hint="在 facts 中声明，例如 承储企业名称: {type: text}")
    for ob in c.obligations:
        _scope(checker, ob.requires, ob.per, ob.cite, ob.span)
        checker.typecheck(ob.requires, ob.cite, "bool", "义务")
        if ob.when is not None:
            _scope(checker, ob.when, ob.per, ob.cite, ob.span)
            checker.typecheck(ob.when, ob.cite, "bool", "适用条件")
        if ob.breach is not None and ob.breach not in c.violations:
            guess = did_you_mean(ob.breach, list(c.violations))
            checker.diag.error(
                "E305", f"义务「{ob.id}」的 breach「{ob.breach}」不是罚则所列的违规情形", ob.breach_span or ob.span,
                ob.cite, f"你是不是想写「{guess}」？" if guess else "breach 写罚则中标 violation: true 的项的地址，如 a29.i1",
            )
    for pay in c.payments:
        _scope(checker, pay.amount, pay.per, pay.cite, pay.span)
        checker.typecheck(pay.amount, pay.cite, "money", "补贴金额")
        if pay.when is not None:
            _scope(checker, pay.when, pay.per, pay.cite, pay.span)
            checker.typecheck(pay.when, pay.cite, "bool", "补贴条件")
    parents = {m.address for m in c.measures}
    for v in c.violations.values():
        if v.parent not in parents:
            checker.diag.error("E311", f"{v.cite}标为违规情形，但它所在的条款没有 sanctions", None, v.cite,
                               hint="在列出违规情形的款上写 sanctions（rectify、disqualify、serious …）")
    for m in c.measures:
        if m.serious is not None:
            fact = p.facts.get(m.serious)
            if fact is None or fact.type != "bool":
                checker.diag.error("E301", f"sanctions.serious「{m.serious}」应为一个是/否事实（情节严重）", m.span, m.cite)
    for rule in c.consistency:
        _scope(checker, rule.requires, rule.record, None, rule.span)
        checker.typecheck(rule.requires, None, "bool", "一致性条件")
        fields = p.records[rule.record].fields if rule.record in p.records else p.facts
        if rule.field not in fields:
            checker.diag.error("E301", f"一致性规则「{rule.id}」的 field「{rule.field}」不是"
                               + (f"「{rule.record}」记录的字段" if rule.record else "事实"), rule.span)


def _scope(checker: Checker, expr: Expr, per: str | None, cite: str | None, span: Span) -> None:
    """A rule reads the holder's facts, and the fields of its own record kind only."""
    p = checker.p
    if per is not None and per not in p.records:
        guess = did_you_mean(per, list(p.records))
        checker.diag.error("E301", f"记录类型「{per}」未声明", span, cite,
                           f"你是不是想写「{guess}」？" if guess else "在 records 中声明这类记录")
        return
    own = set(p.records[per].fields) if per is not None else set()
    for rec, kind in ((r, k) for k, r in p.records.items() if k != per):
        for node in ast.names(expr.node):
            if node.name in rec.fields and node.name not in own:
                checker.diag.error(
                    "E301", f"「{node.name}」是「{kind}」记录的字段，这条规则不逐条检查「{kind}」", checker.span_of(expr.src, node),
                    cite, f"加上 per: {kind}，或改用检查记录中的事实",
                )
                return
