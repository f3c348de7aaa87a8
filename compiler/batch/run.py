"""A batch run: read the rows as a stream, decide each with the generated evaluator, then apply the
rules across applications — the result every writer (workbook, HTML, JSON, summary) reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from compiler.batch.allocate import Allocation, allocate, claim_reason
from compiler.batch.columns import Layout, layout
from compiler.batch.counterfactual import Counterfactuals
from compiler.batch.evaluation import (
    CARRIED,
    MERGED,
    PAID,
    REFUSED,
    Application,
    Claim,
    RowEvaluator,
    award_index,
    load_evaluator,
)
from compiler.batch.read import InputFile, Problem
from compiler.model.policy import Policy

DECISION_ZH = {PAID: "核拨", REFUSED: "不予奖励", MERGED: "不重复核拨", CARRIED: "结转下年度"}
BAD_ZH = "输入有误（未评价）"


@dataclass
class BatchResult:
    policy: Policy
    layout: Layout
    input_name: str
    as_of: dt.date
    apps: list[Application]
    claims: list[Claim]
    problems: list[Problem]  # of the file as a whole
    allocation: Allocation
    budget_source: str  # "命令行 --budget", "输入文件 年度预算!B2" or ""
    committed_evaluator: bool
    encoding: str | None = None
    why: Counterfactuals | None = None

    def reason(self, i: int) -> str:
        """Why claim i was not paid this year ("" when it was)."""
        return claim_reason(self.policy, self.apps, self.claims, i, self.allocation.year)

    def change(self, i: int) -> str:
        """What would change the outcome of claim i, worded when asked (not kept per claim)."""
        if self.why is None:
            self.why = Counterfactuals(self.policy)
        return self.why.text(self.claims[i], self.allocation)

    @property
    def bad_apps(self) -> list[Application]:
        return [a for a in self.apps if a.bad]

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(a.bad for a in self.apps)

    def claims_by_app(self) -> Iterator[tuple[Application, list[tuple[int, Claim]]]]:
        """Each application with its claims (index, claim), in input order."""
        i, n = 0, len(self.claims)
        for app in self.apps:
            mine = []
            while i < n and self.claims[i].app == app.seq:
                mine.append((i, self.claims[i]))
                i += 1
            yield app, mine


def run_batch(policy: Policy, policy_path: Path, input_path: Path, as_of: dt.date, budget: Decimal | None,
              tick: Callable[[int], None] | None = None) -> BatchResult:
    lay = layout(policy)
    evaluate, committed = load_evaluator(policy, policy_path)
    source = InputFile(input_path, lay)
    decide = RowEvaluator(award_index(policy), lay, evaluate, as_of)
    apps: list[Application] = []
    claims: list[Claim] = []
    for raw in source.rows():
        app, mine = decide(raw)
        apps.append(app)
        claims += mine
        if tick is not None:
            tick(len(apps))
    budget_source = ""
    if budget is not None:
        budget_source = "命令行 --budget"
    elif source.budget is not None:
        budget, budget_source = source.budget, f"输入文件 {lay.batch.budget_cell}"
    allocation = allocate(policy, apps, claims, budget, as_of)
    if allocation.budget is None:
        budget_source = ""
    result = BatchResult(policy, lay, input_path.name, as_of, apps, claims, source.problems, allocation,
                         budget_source, committed, source.encoding)
    return result
