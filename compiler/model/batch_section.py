"""The optional `batch` section of a policy: how a year's applications are read from one
spreadsheet, and the choices the 办法 leaves open when their awards meet the year's budget."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.source.diagnostics import Span
from compiler.source.yamlsrc import YMap


@dataclass
class BatchColumn:
    """One column of a batch spreadsheet: its Chinese header and the fact it fills."""

    header: str
    fact: str
    span: Span  # of the header in the policy file


@dataclass
class Batch:
    """The optional `batch` section: how a year's applications are read from one spreadsheet,
    and the choices the 办法 leaves open when their awards meet the year's budget."""

    sheet: str
    key: str  # header of the organisation's key (统一社会信用代码)
    name: str  # header of the organisation's name (单位名称)
    columns: tuple[BatchColumn, ...]
    span: Span
    time: str | None = None  # header of the application date
    separator: str = "、"
    order: tuple[str, ...] = ("row",)
    shortfall: str = "carry_rest"
    budget_cell: str | None = None
    budget_rule: str | None = None
    highest_rule: str | None = None
    claims_sheet: BatchClaims | None = None


@dataclass
class BatchClaims:
    """Claims as rows of their own sheet, keyed by the organisation's key column."""

    sheet: str
    column: str  # the header of the claimed items in that sheet
    fact: str  # the set fact they add to
    span: Span


def build_batch(tree: YMap) -> Batch | None:
    """The `batch` section of a policy tree, when it has one."""
    raw = tree.get("batch")
    if not isinstance(raw, YMap):
        return None
    cols = raw["columns"]
    columns = tuple(BatchColumn(str(h), str(f), cols.key_spans[h]) for h, f in cols.items())
    opt = {k: str(raw[k]) for k in ("time", "budget_cell", "budget_rule", "highest_rule") if k in raw}
    sheet = raw.get("claims_sheet")
    claims = (BatchClaims(str(sheet["sheet"]), str(sheet["column"]), str(sheet["fact"]), sheet.span)
              if isinstance(sheet, YMap) else None)
    return Batch(
        str(raw["sheet"]), str(raw["key"]), str(raw["name"]), columns, raw.span,
        separator=str(raw.get("separator", "、")),
        order=tuple(str(o) for o in raw.get("order") or ["row"]),
        shortfall=str(raw.get("shortfall", "carry_rest")), claims_sheet=claims, **opt,
    )
