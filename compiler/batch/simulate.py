"""Budget simulation for drafters: the same roster under two scenarios — two versions of the 办法
(draft and final), two budgets, or both — the total cost of each, and who is affected and by how
much (per organisation: paid and carried this year, and the awards whose outcome changed).

Both scenarios are full batch runs (`run.run_batch`); a version without a `batch` section reads
the roster with the other version's (the report says so)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from compiler.batch.evaluation import CARRIED, PAID
from compiler.batch.read import org_key
from compiler.batch.run import DECISION_ZH, BatchResult
from compiler.batch.tables import Cell, Section, Sheet
from compiler.runtime.core import amount_json, money_text


@dataclass
class OrgOutcome:
    name: str
    paid: Decimal = Decimal(0)
    carried: Decimal = Decimal(0)
    awards: dict[str, tuple[str, str, Decimal | None]] = field(default_factory=dict)  # id → (name, status, amount)


@dataclass
class Comparison:
    a: BatchResult
    b: BatchResult
    label_a: str
    label_b: str
    borrowed_batch: bool  # scenario B read the roster with A's batch section
    rows: list[tuple[str, OrgOutcome, OrgOutcome]]  # (key, A, B) for every organisation that differs

    @property
    def delta_paid(self) -> Decimal:
        return self.b.allocation.paid - self.a.allocation.paid


def _outcomes(result: BatchResult) -> dict[str, OrgOutcome]:
    out: dict[str, OrgOutcome] = {}
    awards = result.policy.awards
    for app, claims in result.claims_by_app():
        org = out.setdefault(org_key(app.key), OrgOutcome(app.name))
        for _, c in claims:
            award = awards[c.award]
            amount = c.amount if c.status in (PAID, CARRIED) else None
            if c.status == PAID and c.amount is not None:
                org.paid += c.amount
            elif c.status == CARRIED and c.amount is not None:
                org.carried += c.amount
            if award.id not in org.awards or c.status == PAID:
                org.awards[award.id] = (award.name, c.status, amount)
    return out


def compare(a: BatchResult, b: BatchResult, label_a: str, label_b: str, borrowed_batch: bool) -> Comparison:
    oa, ob = _outcomes(a), _outcomes(b)
    rows = []
    for key in dict.fromkeys([*oa, *ob]):
        x, y = oa.get(key, OrgOutcome("")), ob.get(key, OrgOutcome(""))
        if x.paid != y.paid or x.carried != y.carried or x.awards != y.awards:
            rows.append((key, x, y))
    return Comparison(a, b, label_a, label_b, borrowed_batch, rows)


def _changes(x: OrgOutcome, y: OrgOutcome) -> str:
    out = []
    for award in dict.fromkeys([*x.awards, *y.awards]):
        before, after = x.awards.get(award), y.awards.get(award)
        if before == after:
            continue
        name = (after or before or ("", "", None))[0]

        def say(o: tuple[str, str, Decimal | None] | None) -> str:
            if o is None:
                return "未申报或不适用"
            return DECISION_ZH[o[1]] + (money_text(o[2]) if o[2] is not None else "")

        out.append(f"「{name}」{say(before)}→{say(after)}")
    return "；".join(out)


def comparison_sheet(cmp: Comparison) -> Sheet:
    a, b = cmp.a.allocation, cmp.b.allocation

    def budget(v: Decimal | None) -> Cell:
        return v if v is not None else "未限定"

    def overview() -> Iterator[tuple[Cell, ...]]:
        yield "情景", cmp.label_a, cmp.label_b, "差额（B−A）"
        yield "年度预算", budget(a.budget), budget(b.budget), None
        yield "核定奖励金额", a.approved, b.approved, b.approved - a.approved
        yield "本年度拨付", a.paid, b.paid, b.paid - a.paid
        yield "结转下年度", a.carried, b.carried, b.carried - a.carried
        yield "受影响的单位", len(cmp.rows), None, None
        if cmp.borrowed_batch:
            yield "说明", "情景B的版本没有 batch 部分，按情景A的列映射读取同一申报表", None, None

    def rows() -> Iterator[tuple[Cell, ...]]:
        for n, (key, x, y) in enumerate(cmp.rows, start=1):
            yield (n, y.name or x.name, key, x.paid, y.paid, y.paid - x.paid, x.carried, y.carried, _changes(x, y))

    headers = ("序号", "单位名称", "统一社会信用代码", "情景A本年度拨付", "情景B本年度拨付", "拨付差额",
               "情景A结转", "情景B结转", "变化的奖励事项")
    return Sheet("预算模拟", [
        Section(None, ("项目", "情景A", "情景B", "差额"), overview, frozenset({1, 2, 3})),
        Section("受影响的单位", headers, rows, frozenset({3, 4, 5, 6, 7})),
    ])


def comparison_text(cmp: Comparison) -> str:
    a, b = cmp.a.allocation, cmp.b.allocation
    sign = "+" if cmp.delta_paid >= 0 else "−"
    lines = [f"  预算模拟：情景A {cmp.label_a}；情景B {cmp.label_b}",
             f"    本年度拨付 {money_text(a.paid)} → {money_text(b.paid)}（{sign}{money_text(abs(cmp.delta_paid))}）；"
             f"结转 {money_text(a.carried)} → {money_text(b.carried)}；受影响的单位 {len(cmp.rows)} 家"]
    for key, x, y in cmp.rows[:10]:
        lines.append(f"    {y.name or x.name}（{key}）：{_changes(x, y)}")
    if len(cmp.rows) > 10:
        lines.append(f"    …… 另有 {len(cmp.rows) - 10} 家（详见「预算模拟」工作表）")
    return "\n".join(lines)


def comparison_json(cmp: Comparison) -> dict[str, object]:
    def m(v: Decimal | None) -> str | None:
        return None if v is None else amount_json(v)

    return {
        "a": {"label": cmp.label_a, "budget": m(cmp.a.allocation.budget), "approved": m(cmp.a.allocation.approved),
              "paid": m(cmp.a.allocation.paid), "carried": m(cmp.a.allocation.carried)},
        "b": {"label": cmp.label_b, "budget": m(cmp.b.allocation.budget), "approved": m(cmp.b.allocation.approved),
              "paid": m(cmp.b.allocation.paid), "carried": m(cmp.b.allocation.carried)},
        "borrowed_batch": cmp.borrowed_batch,
        "affected": [{"key": key, "name": y.name or x.name, "paid_a": m(x.paid), "paid_b": m(y.paid),
                      "carried_a": m(x.carried), "carried_b": m(y.carried), "changes": _changes(x, y)}
                     for key, x, y in cmp.rows],
    }
