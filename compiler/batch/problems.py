"""A problem of a batch input, located in A1 notation; the column letters of A1 notation."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """Something wrong with the input, located: sheet, cell (A1; "" for the sheet as a whole)."""

    sheet: str
    cell: str
    reason: str
    row: int | None = None

    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    out = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out
