"""Each row of a batch → one application decided by the policy's generated evaluator.

The evaluator is the committed module in generated/ when it is fresh (the same one `policyc eval`
runs), else the module generated afresh in memory; it runs with trace=False. What the row
decides alone (eligibility, exclusions, 首次, the amount, 就高不就低 within the row) is the
evaluator's; what spans rows is `allocate`'s. A bad row is kept, marked with its problems, and
not evaluated.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.batch.columns import FACT, KEY, NAME, TIME, CellError, Layout, read_cell
from compiler.batch.read import Problem, RawRow
from compiler.evaluate.cases import Evaluator, wrap_generated
from compiler.evaluate.codegen import generate
from compiler.evaluate.precompiled import fresh_module
from compiler.model.policy import Policy
from compiler.runtime import core as evalrt
from compiler.source.files import GENERATED, display_path

APPROVED, REFUSED, MERGED, PAID, CARRIED = "approved", "refused", "merged", "paid", "carried"


@dataclass(slots=True)
class Application:
    seq: int  # 0, 1, … in input order
    sheet: str
    row: int
    key: str
    name: str
    time: dt.date | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def bad(self) -> bool:
        return bool(self.problems)


@dataclass(slots=True)
class Claim:
    """One award an application claimed, and what became of it. The reasons of MERGED and CARRIED
    claims are worded when they are written (`allocate.claim_reason`), not kept per claim."""

    app: int  # Application.seq
    award: int  # position of the award in the policy (document order)
    amount: Decimal | None  # None when refused before an amount was computed
    status: str  # APPROVED (until allocated), REFUSED, MERGED, PAID or CARRIED
    rule: str = ""
    cite: str = ""
    reason: str = ""
    other: int | None = None  # MERGED: the claim (index) it gave way to
    left: Decimal | None = None  # CARRIED: what was left of the budget when its turn came


@dataclass(frozen=True)
class EvaluatorSource:
    """The text of a policy's generated evaluator: the committed module in generated/ when it is
    fresh (checked by evaluate.precompiled against the policy text and the compiler), else the
    module generated afresh. A Dask worker is sent this text and compiles it; nothing is read
    from a cache or a temporary file."""

    text: str
    filename: str
    committed: bool


def evaluator_source(policy: Policy, policy_path: Path) -> EvaluatorSource:
    root = next((p.parent for p in policy_path.resolve().parents if p.name == "policies"), None)
    text = policy_path.read_text(encoding="utf-8-sig")
    committed = fresh_module(policy_path, text, root / GENERATED) if root is not None else None
    if committed is not None:
        return EvaluatorSource(committed.read_text(encoding="utf-8"), str(committed), True)
    src = generate(policy, text, display_path(policy_path))
    return EvaluatorSource(src, f"<generated {policy.policy_id}/{policy.version}>", False)


def compile_source(source: EvaluatorSource) -> Evaluator:
    namespace: dict[str, Any] = {"__name__": f"policyc_generated_{hashlib.sha256(source.text.encode()).hexdigest()[:12]}"}
    exec(compile(source.text, source.filename, "exec"), namespace)
    return wrap_generated(namespace)


def load_evaluator(policy: Policy, policy_path: Path) -> tuple[Evaluator, bool]:
    """The generated evaluator (and whether it is the committed one)."""
    source = evaluator_source(policy, policy_path)
    return compile_source(source), source.committed


def award_index(policy: Policy) -> dict[str, int]:
    """An award's id → its position in the policy (what a Claim records)."""
    return {a.id: i for i, a in enumerate(policy.awards)}


class RowEvaluator:
    """A row → its application and claims. Built from plain data (the layout, the awards'
    positions, the evaluator), so a Dask worker builds the same one from what it is sent."""

    def __init__(self, awards: dict[str, int], layout: Layout, evaluate: Evaluator, as_of: dt.date) -> None:
        self.layout, self.evaluate, self.as_of = layout, evaluate, as_of
        self.award_index = awards
        self.separator = layout.batch.separator
        self.seq = 0

    def __call__(self, raw: RawRow) -> tuple[Application, list[Claim]]:
        app = Application(self.seq, raw.sheet, raw.number, "", "", None, list(raw.problems))
        self.seq += 1
        facts: dict[str, Any] = {}
        fact_cells: dict[str, tuple[str, str]] = {}  # fact → (cell, header)
        reported = {p.cell for p in raw.problems}  # a formula or merged cell is reported once
        for column, value, letter in zip(self.layout.columns, raw.values, raw.letters, strict=True):
            cell = f"{letter}{raw.number}" if letter else f"A{raw.number}"  # no column: the row's first cell
            if cell in reported:
                continue
            try:
                parsed = read_cell(column, value, self.separator)
            except CellError as exc:
                missing = "，但申报表缺少这一列" if not letter else ""
                app.problems.append(Problem(raw.sheet, cell, f"「{column.header}」{exc}{missing}", raw.number))
                continue
            if column.role == KEY:
                app.key = str(parsed)
            elif column.role == NAME:
                app.name = str(parsed)
            elif column.role == TIME:
                app.time = parsed
            elif column.role == FACT and parsed is not None:
                assert column.fact is not None
                facts[column.fact] = parsed
                fact_cells[column.fact] = (cell, column.header)
        claims_column = self.layout.claims
        if raw.claims and claims_column is not None:
            assert self.layout.batch.claims_sheet is not None and claims_column.fact is not None
            sheet = self.layout.batch.claims_sheet.sheet
            items = list(facts.get(claims_column.fact) or [])
            for cell, number, value in raw.claims:
                try:
                    items += read_cell(claims_column, value, self.separator) or []
                except CellError as exc:
                    app.problems.append(Problem(sheet, cell, f"「{claims_column.header}」{exc}", number))
            facts[claims_column.fact] = items
        if app.bad:
            return app, []
        try:
            result = self.evaluate(facts, self.as_of, trace=False)
        except evalrt.FactsError as exc:
            for name in exc.missing:
                cell, header = fact_cells.get(name, (f"A{raw.number}", name))
                app.problems.append(Problem(raw.sheet, cell, f"「{header}」必填，不能为空", raw.number))
            for name, why in exc.invalid:
                cell, header = fact_cells.get(name, (f"A{raw.number}", name))
                app.problems.append(Problem(raw.sheet, cell, f"「{header}」{why}", raw.number))
            for name, _ in exc.unknown:  # pragma: no cover - the layout names declared facts only
                app.problems.append(Problem(raw.sheet, f"A{raw.number}", f"未知的事实「{name}」", raw.number))
            return app, []
        except evalrt.EvaluationError as exc:
            app.problems.append(Problem(raw.sheet, f"A{raw.number}", f"无法计算（{exc.cite}）：{exc.message}", raw.number))
            return app, []
        index = self.award_index
        claims = [Claim(app.seq, index[g["award"]], g["amount"], APPROVED, cite=g["cite"]) for g in result["granted"]]
        claims += [Claim(app.seq, index[d["award"]], d["amount"], APPROVED, cite=d["cite"]) for d in result["deferred"]]
        claims += [Claim(app.seq, index[r["award"]], None, REFUSED, r["rule"], r["cite"], r["reason"])
                   for r in result["refused"]]
        claims.sort(key=lambda c: c.award)
        return app, claims
