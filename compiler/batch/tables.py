"""The content of a batch result as tables — the same for the workbook and the HTML report.

A sheet is a list of sections (a title, headers, rows); rows are produced on demand, so a writer
can pass over a long sheet twice (widths, then cells) without holding it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from compiler.batch.evaluation import CARRIED, PAID
from compiler.batch.read import org_key
from compiler.batch.run import BAD_ZH, DECISION_ZH, BatchResult
from compiler.runtime.core import money_text

Cell = str | int | Decimal | None


@dataclass
class Section:
    title: str | None
    headers: tuple[str, ...]
    rows: Callable[[], Iterator[tuple[Cell, ...]]]
    money: frozenset[int] = frozenset()  # columns holding amounts in 元


@dataclass
class Sheet:
    name: str
    sections: list[Section]
    chart: tuple[int, int] | None = None  # (section, value columns) charted as a bar chart


def _article_of(result: BatchResult, award: int) -> tuple[str, str]:
    """(cite, heading) of the article an award belongs to."""
    clause = result.policy.awards[award].clause
    article = result.policy.clauses[clause.address.split(".")[0]]
    lead = article.text or (article.children[0].text if article.children else "")
    return article.cite, lead.rstrip("：:；;。")


def overview_rows(result: BatchResult) -> list[tuple[Cell, ...]]:
    al = result.allocation
    meta = result.policy.meta
    apps = result.apps
    rows: list[tuple[Cell, ...]] = [
        ("办法", meta.title), ("文号", meta.doc_number or ""), ("评价日期", result.as_of.isoformat()),
        ("申报表", result.input_name), ("申报件数（行）", len(apps)),
        ("申报单位数", len({org_key(a.key) for a in apps if a.key})),
        ("输入有误的行（未评价）", len(result.bad_apps)),
        ("年度预算", al.budget if al.budget is not None else "未限定（未给出年度预算）"),
        ("预算来源", result.budget_source or "—"),
        ("核定奖励金额（跨申报规则后）", al.approved), ("本年度拨付", al.paid), ("结转下年度", al.carried),
        ("预算结余", al.remaining if al.remaining is not None else "—"),
        ("同一单位同一资格认定", f"只核拨一次，就高不就低（{al.highest_cite}）" if al.highest_cite else "—"),
        ("拨付顺序（用完即止）", f"{al.order_text}（{al.budget_cite}）" if al.budget_cite else al.order_text),
        ("预算不足时", al.shortfall_text),
        ("重复申报", f"{len(al.duplicates)} 项"),
    ]
    return rows


def _totals(result: BatchResult) -> tuple[dict[int, list[Any]], dict[str, list[Any]]]:
    by_award: dict[int, list[Any]] = {}
    by_article: dict[str, list[Any]] = {}
    for c in result.claims:
        row = by_award.setdefault(c.award, [0, 0, Decimal(0), 0, Decimal(0)])
        cite, lead = _article_of(result, c.award)
        art = by_article.setdefault(cite, [lead, Decimal(0), Decimal(0)])
        row[0] += 1
        if c.status == PAID:
            row[1] += 1
            row[2] += c.amount
            art[1] += c.amount
        elif c.status == CARRIED:
            row[3] += 1
            row[4] += c.amount
            art[2] += c.amount
    return by_award, by_article


def summary_sheet(result: BatchResult) -> Sheet:
    by_award, by_article = _totals(result)
    awards = result.policy.awards

    def articles() -> Iterator[tuple[Cell, ...]]:
        for cite, (lead, paid, carried) in by_article.items():
            yield cite, lead, paid, carried

    def items() -> Iterator[tuple[Cell, ...]]:
        for i in sorted(by_award):
            n, np, paid, nc, carried = by_award[i]
            yield awards[i].clause.cite, awards[i].name, n, np, paid, nc, carried

    return Sheet("汇总", [
        Section(None, ("项目", "内容"), lambda: iter(overview_rows(result)), frozenset({1})),
        Section("按条款汇总", ("条款", "类别", "本年度拨付（元）", "结转下年度（元）"), articles, frozenset({2, 3})),
        Section("按奖励事项汇总", ("条款", "奖励事项", "申报项数", "核拨项数", "核拨金额（元）", "结转项数", "结转金额（元）"),
                items, frozenset({4, 6})),
    ], chart=(1, 2))


DETAIL_HEADERS = ("序号", "工作表", "行号", "单位名称", "统一社会信用代码", "奖励事项", "所在条款", "决定",
                  "金额（元）", "理由", "依据条款", "如何改变结果")


def detail_sheet(result: BatchResult) -> Sheet:
    awards = result.policy.awards

    def rows() -> Iterator[tuple[Cell, ...]]:
        n = 0
        for app, claims in result.claims_by_app():
            head = (app.sheet, app.row, app.name, app.key)
            if app.bad:
                n += 1
                reasons = "；".join(f"{p.cell}：{p.reason}" for p in app.problems)
                yield (n, *head, "", "", BAD_ZH, None, reasons, "", "更正所列单元格后重新评价")
                continue
            if not claims:
                n += 1
                yield n, *head, "", "", "未申报", None, "未申报任何奖励事项", "", ""
            for i, c in claims:
                n += 1
                award = awards[c.award]
                amount = c.amount if c.status in (PAID, CARRIED) else None
                reason = result.reason(i) if c.status != PAID else ""
                cite = c.cite if c.status != PAID else award.clause.cite
                yield (n, *head, award.name, award.clause.cite, DECISION_ZH[c.status], amount, reason, cite,
                       result.change(i))

    return Sheet("明细", [Section(None, DETAIL_HEADERS, rows, frozenset({8}))])


def carried_sheet(result: BatchResult) -> Sheet:
    awards = result.policy.awards

    def rows() -> Iterator[tuple[Cell, ...]]:
        n = 0
        for app, claims in result.claims_by_app():
            for i, c in claims:
                if c.status == CARRIED:
                    n += 1
                    yield (n, app.name, app.key, awards[c.award].name, c.amount, c.cite, result.reason(i))

    headers = ("序号", "单位名称", "统一社会信用代码", "奖励事项", "金额（元）", "依据条款", "原因")
    return Sheet("结转下年度", [Section(None, headers, rows, frozenset({4}))])


def public_sheet(result: BatchResult) -> Sheet:
    """公示名单: only what is published — the unit, the award and the amount."""
    awards = result.policy.awards

    def rows() -> Iterator[tuple[Cell, ...]]:
        n = 0
        for app, claims in result.claims_by_app():
            for _, c in claims:
                if c.status == PAID:
                    n += 1
                    yield n, app.name, awards[c.award].name, c.amount

    return Sheet("公示名单", [Section(None, ("序号", "单位名称", "奖励事项", "奖励金额（元）"), rows, frozenset({3}))])


def problems_sheet(result: BatchResult) -> Sheet:
    def rows() -> Iterator[tuple[Cell, ...]]:
        for p in result.problems:
            yield p.sheet, p.cell, p.row, p.reason
        for app in result.apps:
            for p in app.problems:
                yield p.sheet, p.cell, p.row, p.reason

    return Sheet("输入问题", [Section(None, ("工作表", "单元格", "行号", "问题"), rows)])


def sheets(result: BatchResult) -> list[Sheet]:
    return [summary_sheet(result), detail_sheet(result), carried_sheet(result), public_sheet(result),
            problems_sheet(result)]


def cell_text(value: Cell, money: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money_text(value) if not money else f"{value:,.2f}"
    return str(value)
