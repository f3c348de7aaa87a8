"""The result workbook and the empty 申报汇总表 template (openpyxl).

* The result is written in write-only mode (rows stream to the file), with frozen header rows,
  column widths that fit Chinese text (a CJK character counts as 2; measured over the first
  WIDTH_SAMPLE rows of each section) and a native bar chart of the budget by article on 汇总.
* Amounts are written as numbers with the format #,##0.00: in the long one-table sheets, whose
  rows `sheet_xml` writes, as the Decimal's digits; in 汇总 by openpyxl (which formats with %.16g).
* The rows of a long one-table sheet are written as XML by `sheet_xml` and spliced into the sheet
  openpyxl made (header, styles, widths, panes) when the zip is normalised.
* Text is never a formula: a string that starts with = + - @ is stored as a string cell.
* The bytes are deterministic: the document properties carry a fixed date (the as-of date), and
  the zip is rewritten with fixed entry times.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import itertools
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from compiler.batch.columns import LISTS_SHEET, NOTES_MARK, TIME, Layout
from compiler.batch.read import sheet_path
from compiler.batch.sheet_xml import rows_xml
from compiler.batch.tables import Cell, Sheet

MONEY_FORMAT = "#,##0.00"
_FORMULA_START = ("=", "+", "-", "@")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_TITLE_FONT = Font(bold=True, size=12)
_MAX_WIDTH, _MIN_WIDTH = 60, 6
TEMPLATE_ROWS = 1000  # rows of the template that carry drop-downs
# Column widths fit the longest text of a section's first rows: a second pass over 100,000 rows
# would cost a sixth of the writing time, and the widths are capped at _MAX_WIDTH anyway.
WIDTH_SAMPLE = 5000


def display_width(text: str) -> int:
    """Columns a text takes: wide (CJK, full-width) characters count 2."""
    if text.isascii():
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _fast_width(text: str) -> int:
    """display_width without a Python call per character, for text of ASCII, CJK ideographs,
    CJK and full-width punctuation (3 bytes in UTF-8, 2 columns) and curly quotes (3 bytes, 1
    column): the length plus half the extra bytes. Any other text is measured per character."""
    n = len(text)
    if text.isascii():
        return n
    if not _SIMPLY_WIDE.fullmatch(text):
        return display_width(text)
    quotes = text.count("“") + text.count("”") + text.count("‘") + text.count("’")
    return n + (len(text.encode("utf-8")) - n - 2 * quotes) // 2


_SIMPLY_WIDE = re.compile("[\x00-\x7f\u2018\u2019\u201c\u201d\u3000-\u303e\u3400-\u4dbf\u4e00-\u9fff\uff01-\uff60\uffe0-\uffe6]*")


def _width_text(value: Cell) -> str:
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return "" if value is None else str(value)


def _widths(headers: Iterable[str], rows: Iterable[tuple[Cell, ...]], widths: dict[int, int]) -> None:
    for j, h in enumerate(headers):
        widths[j] = max(widths.get(j, 0), display_width(h))
    for row in rows:
        for j, v in enumerate(row):
            w = _fast_width(_width_text(v))
            if w > widths.get(j, 0):
                widths[j] = w


def _cell(ws: Any, value: Cell, money: bool, font: Font | None = None) -> Any:
    if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
        # An input cell's control character, copied into a result: shown as \x1f, since Excel
        # cannot hold it (the reader has already reported the cell).
        value = ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
    if font is None and not money and not (isinstance(value, str) and value.startswith(_FORMULA_START)):
        return value  # a plain value: openpyxl makes the cell itself
    cell = WriteOnlyCell(ws, value)  # type: ignore[arg-type]  # Decimal is written as str(Decimal)
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        cell.data_type = "s"  # text, never a formula
    if money and isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    if font is not None:
        cell.font = font
    return cell


def result_workbook(sheets: list[Sheet], stamp: dt.date) -> bytes:
    wb = Workbook(write_only=True)
    spliced: dict[str, Callable[[], Iterator[bytes]]] = {}  # sheet name → its data rows as XML
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name)
        widths: dict[int, int] = {}
        for section in sheet.sections:
            _widths(section.headers, itertools.islice(section.rows(), WIDTH_SAMPLE), widths)
        for j, w in widths.items():
            ws.column_dimensions[get_column_letter(j + 1)].width = min(max(w + 2, _MIN_WIDTH), _MAX_WIDTH)
        ws.freeze_panes = "A2"
        row_no = 0
        chart_at: tuple[int, int, int] | None = None  # (header row, first data row, last data row)
        long = len(sheet.sections) == 1 and sheet.sections[0].title is None and sheet.chart is None
        for k, section in enumerate(sheet.sections):
            if section.title is not None:
                ws.append([])
                ws.append([_cell(ws, section.title, False, _TITLE_FONT)])
                row_no += 2
            header = []
            for h in section.headers:
                c = _cell(ws, h, False, _HEADER_FONT)
                c.fill = _HEADER_FILL
                header.append(c)
            ws.append(header)
            row_no += 1
            first = row_no + 1
            if long:  # a sheet of one table: its rows are written as XML when the archive is normalised
                money = WriteOnlyCell(ws, 0)
                money.number_format = MONEY_FORMAT
                spliced[sheet.name] = functools.partial(rows_xml, section.rows(), first, section.money, money.style_id)
                continue
            for row in section.rows():
                ws.append([_cell(ws, v, j in section.money) for j, v in enumerate(row)])
                row_no += 1
            if sheet.chart is not None and sheet.chart[0] == k:
                chart_at = (first - 1, first, row_no)
        if sheet.chart is not None and chart_at is not None and chart_at[2] >= chart_at[1]:
            ws.add_chart(_budget_chart(ws, chart_at, sheet.chart[1]), f"{get_column_letter(len(widths) + 2)}2")
    return _deterministic(wb, stamp, spliced)


def _budget_chart(ws: Any, at: tuple[int, int, int], first_value_col: int) -> BarChart:
    header, first, last = at
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "年度预算按条款分布（元）"
    chart.y_axis.title = "金额（元）"
    data = Reference(ws, min_col=first_value_col + 1, max_col=first_value_col + 2, min_row=header, max_row=last)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
    chart.height, chart.width = 9, 18
    return chart


def template_workbook(lay: Layout, stamp: dt.date) -> bytes:
    """The empty 申报汇总表: headers, a notes row (the input hints), drop-downs, a budget sheet."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = lay.batch.sheet
    for j, col in enumerate(lay.columns, start=1):
        letter = get_column_letter(j)
        head = ws.cell(row=1, column=j, value=col.header)
        head.font, head.fill = _HEADER_FONT, _HEADER_FILL
        note = ws.cell(row=2, column=j, value=(NOTES_MARK if j == 1 else "") + col.hint())
        note.alignment = Alignment(wrap_text=True, vertical="top")
        note.font = Font(color="7F7F7F", size=9)
        ws.column_dimensions[letter].width = min(max(display_width(col.header) + 4, 14), _MAX_WIDTH)
        rng = f"{letter}3:{letter}{TEMPLATE_ROWS + 2}"
        dv = _validation(col)
        if dv is not None:
            dv.promptTitle, dv.prompt = col.header[:32], col.hint()[:255]
            dv.showInputMessage = True
            ws.add_data_validation(dv)
            dv.add(rng)
    ws.row_dimensions[2].height = 60
    ws.freeze_panes = "B3"
    if lay.claims is not None and lay.batch.claims_sheet is not None:
        _claims_sheet(wb, lay)
    budget_sheet, _, budget_cell = (lay.batch.budget_cell or "").partition("!")
    if budget_sheet:
        bs = wb.create_sheet(budget_sheet)
        m = re.fullmatch(r"([A-Z]+)(\d+)", budget_cell)  # the schema's pattern admits nothing else
        assert m is not None
        letters, row = m.group(1), int(m.group(2))
        label = bs.cell(row=row, column=max(1, _col_index(letters) - 1), value="本年度专项资金预算（元）")
        label.font = _HEADER_FONT
        bs.column_dimensions["A"].width = 28
        bs.column_dimensions[letters].width = 18
        bs.cell(row=row, column=_col_index(letters)).number_format = MONEY_FORMAT
    return _deterministic(wb, stamp)


def _claims_sheet(wb: Workbook, lay: Layout) -> None:
    """The claims sheet: one claimed item per row, keyed by the organisation; the items' drop-down
    reads a hidden sheet of values (a list written in the rule itself may hold 255 characters)."""
    assert lay.claims is not None and lay.batch.claims_sheet is not None
    ws = wb.create_sheet(lay.batch.claims_sheet.sheet)
    key, name = lay.columns[0], lay.columns[1]
    for j, col in enumerate((key, name, lay.claims), start=1):
        head = ws.cell(row=1, column=j, value=col.header)
        head.font, head.fill = _HEADER_FONT, _HEADER_FILL
        hint = col.hint() if col is not lay.claims else f"每行填写一项；{lay.claims.label or lay.claims.header}"
        note = ws.cell(row=2, column=j, value=(NOTES_MARK if j == 1 else "") + hint)
        note.alignment = Alignment(wrap_text=True, vertical="top")
        note.font = Font(color="7F7F7F", size=9)
        ws.column_dimensions[get_column_letter(j)].width = 24 if j < 3 else 48
    ws.row_dimensions[2].height = 45
    ws.freeze_panes = "A3"
    values = lay.claims.values or ()
    if values:
        lists = wb.create_sheet(LISTS_SHEET)
        for i, v in enumerate(values, start=1):
            lists.cell(row=i, column=1, value=v)
        lists.sheet_state = "hidden"
        dv = DataValidation(type="list", formula1=f"'{LISTS_SHEET}'!$A$1:$A${len(values)}", allow_blank=True,
                            error="请从下拉列表中选择", showErrorMessage=True, showInputMessage=True,
                            promptTitle=lay.claims.header[:32], prompt="每行填写一项，从下拉列表中选择")
        ws.add_data_validation(dv)
        dv.add(f"C3:C{TEMPLATE_ROWS + 2}")


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _validation(col: Any) -> DataValidation | None:
    if col.type == "bool":
        return DataValidation(type="list", formula1='"是,否"', allow_blank=not col.required,
                              error="请选择「是」或「否」", showErrorMessage=True)
    if col.type == "enum" and col.values:
        listed = ",".join(col.values)
        if len(listed) <= 250:
            return DataValidation(type="list", formula1=f'"{listed}"', allow_blank=not col.required,
                                  error="请从下拉列表中选择", showErrorMessage=True)
    if col.type == "date" or col.role == TIME:
        return DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=not col.required,
                              error="请填写日期，如 2026-06-01", showErrorMessage=True)
    if col.type == "number":
        return DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0",
                              allow_blank=not col.required, error="请填写不小于0的数值", showErrorMessage=True)
    if col.type in ("set", "text"):
        return DataValidation(allow_blank=True)  # no constraint: the prompt only
    return None


def _deterministic(wb: Workbook, stamp: dt.date, spliced: dict[str, Callable[[], Iterator[bytes]]] | None = None) -> bytes:
    when = dt.datetime(stamp.year, stamp.month, stamp.day)
    wb.properties.created = wb.properties.modified = when
    wb.properties.creator = wb.properties.lastModifiedBy = "policyc"
    # Saved to a temporary file, not to memory: a long sheet's XML is many times the zipped size.
    with tempfile.TemporaryFile() as raw:
        wb.save(raw)
        raw.seek(0)
        return normalise_zip(raw, when, spliced)


_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def normalise_zip(data: IO[bytes], when: dt.datetime,
                  spliced: dict[str, Callable[[], Iterator[bytes]]] | None = None) -> bytes:
    """The same archive with every entry dated `when` and `when` as the document's modified date
    (openpyxl dates both with the clock). Entries are copied in chunks, never whole. The rows of
    `spliced` sheets (by name) are streamed into their <sheetData>, after the header row."""
    out = io.BytesIO()
    stamp = (max(when.year, 1980), when.month, when.day, 0, 0, 0)
    with zipfile.ZipFile(data) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        parts = {sheet_path(src, name): rows for name, rows in (spliced or {}).items()}
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            if info.filename == "docProps/core.xml":  # openpyxl sets `modified` to the clock on save
                fixed = rb"\g<1>" + when.strftime("%Y-%m-%dT%H:%M:%SZ").encode() + rb"\g<2>"
                dst.writestr(entry, _MODIFIED.sub(fixed, src.read(info.filename)))
                continue
            if info.filename in parts:
                head, end, tail = src.read(info.filename).rpartition(b"</sheetData>")
                assert end, info.filename  # openpyxl wrote the header row, so the element is there
                with dst.open(entry, "w") as fout:
                    fout.write(head)
                    for chunk in parts[info.filename]():
                        fout.write(chunk)
                    fout.write(end + tail)
                continue
            with src.open(info) as fin, dst.open(entry, "w") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
    return out.getvalue()
