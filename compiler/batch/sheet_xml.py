"""The data rows of a long result sheet written straight as SpreadsheetML, without a cell object per
value.

openpyxl (even in write-only mode) builds and serialises an element per cell: at 100,000
applications that was four fifths of a batch run. The workbook is still made by openpyxl — the
sheets, header rows, styles, frozen panes, column widths, the chart — and the rows of a long
sheet are spliced into its <sheetData> when the archive is normalised (`workbook.normalise_zip`),
as the cells openpyxl itself writes: numbers `t="n"`, amounts with the money style, text as
inline strings (`t="inlineStr"`, never a formula, whatever it starts with), an empty value no
cell. Text is UTF-8 (openpyxl writes character references), escaped for XML; a control
character Excel cannot hold is shown as \\x1f, as `workbook._cell` does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

Cell = str | int | Decimal | None
CHUNK_ROWS = 2000  # rows encoded at a time
_SPECIAL = re.compile(f"[&<>]|{ILLEGAL_CHARACTERS_RE.pattern}")


def _text(value: str) -> str:
    if not _SPECIAL.search(value):  # most text: nothing to escape
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def number_text(value: int | Decimal) -> str:
    """The digits of a number, exactly: a Decimal in plain notation without trailing zeros
    (150000.00 → 150000, 0.50 → 0.5), never through a float."""
    if isinstance(value, int):
        return str(value)
    return format(value.normalize(), "f") if value else "0"


def rows_xml(rows: Iterable[tuple[Cell, ...]], first: int, money: frozenset[int], money_style: int) -> Iterator[bytes]:
    """<row> elements for `rows`, numbered from `first`, in UTF-8 chunks."""
    letters: list[str] = []
    parts: list[str] = []
    r = first
    for row in rows:
        while len(letters) < len(row):
            letters.append(get_column_letter(len(letters) + 1))
        parts.append(f'<row r="{r}">')
        for j, v in enumerate(row):
            if v is None:
                continue
            ref = f"{letters[j]}{r}"
            if isinstance(v, bool):
                parts.append(f'<c r="{ref}" t="b"><v>{int(v)}</v></c>')
            elif isinstance(v, int | Decimal):
                style = f' s="{money_style}"' if j in money and isinstance(v, Decimal) else ""
                parts.append(f'<c r="{ref}"{style} t="n"><v>{number_text(v)}</v></c>')
            else:
                text = _text(str(v))
                space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
                parts.append(f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
        parts.append("</row>")
        r += 1
        if r % CHUNK_ROWS == 0:
            yield "".join(parts).encode("utf-8")
            parts.clear()
    if parts:
        yield "".join(parts).encode("utf-8")
