"""Reading a batch input as a stream of rows: xlsx (python-calamine, row by row), CSV (UTF-8 with or without
BOM, or GB18030/GBK, detected) or YAML (small batches written by hand).

Only one row is held at a time, so memory does not grow with the file. The input is opened for
reading only. What is wrong with the file as a whole (an empty file, an extra sheet, a column the
policy does not declare, a required column missing) is a file problem; what is wrong with one
cell (a formula, a merged cell) travels with its row, located in A1 notation.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import xml.etree.ElementTree as ET
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.batch.columns import LISTS_SHEET, NOTES_MARK, Layout, parse_amount
from compiler.batch.problems import Problem as Problem
from compiler.batch.problems import column_letter as column_letter

_SAMPLE = 1 << 16


@dataclass
class RawRow:
    sheet: str
    number: int  # the row's number in the sheet (1 = the header)
    values: list[Any]  # by layout column (None when the column is absent or the cell empty)
    letters: list[str]  # the column letter of each layout column ("" when absent)
    problems: list[Problem] = field(default_factory=list)
    claims: list[tuple[str, int, Any]] = field(default_factory=list)  # (cell, row, value) of the claims sheet


# Control characters other than tab and line breaks: invisible, and Excel cannot hold them.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def org_key(value: Any) -> str:
    """An organisation's key as compared: trimmed, upper-case (统一社会信用代码 letters are capitals)."""
    text = repr(value).removesuffix(".0") if isinstance(value, float) else str(value)
    return text.strip().upper()


def data_row(sheet: str, number: int, cells: list[Any], where: list[int | None], letters: list[str],
             formulas: Sequence[str] = (), merged: Sequence[str] = ()) -> RawRow | None:
    """One data row of a sheet (None for an empty row or the template's notes row): the values of
    the layout's columns, and the problems of its cells (control characters, formulas, merged
    cells). Every engine reads a row through here, so a row means the same everywhere."""
    if not any(v is not None and str(v).strip() != "" for v in cells):
        return None
    first = next((v for v in cells if v is not None and str(v).strip()), "")
    if str(first).startswith(NOTES_MARK):
        return None
    values = [cells[j] if j is not None and j < len(cells) else None for j in where]
    row = RawRow(sheet, number, values, letters)
    for j, value in enumerate(values):
        if isinstance(value, str) and (bad := _CONTROL.search(value)):
            cell = f"{letters[j]}{number}" if j < len(letters) else f"A{number}"
            row.problems.append(Problem(sheet, cell, f"单元格含有不可见的控制字符（U+{ord(bad.group()):04X}）；"
                                                     "请删除后再填写", number))
    for cell in formulas:
        row.problems.append(Problem(sheet, cell, "单元格是公式；请填写数值本身（批量评价不计算公式）", number))
    for span in merged:
        cell = f"{span.split(':')[0].rstrip('0123456789')}{number}"
        row.problems.append(Problem(sheet, cell, f"合并单元格（{span}）；请取消合并，每行分别填写", number))
    return row


class InputFile:
    """One batch input; iterate `rows()` once. `problems` (file problems) is complete afterwards."""

    def __init__(self, path: Path, layout: Layout) -> None:
        self.path, self.layout = path, layout
        self.problems: list[Problem] = []
        self.budget: Decimal | None = None  # from the workbook's budget cell, if given
        self.encoding: str | None = None  # a CSV's detected encoding
        self.header_cells: list[Any] | None = None  # the header row, when a planner reads it alone
        self._claims: dict[str, list[tuple[str, int, Any]]] = {}  # organisation key → claims-sheet cells

    def rows(self) -> Iterator[RawRow]:
        if not self.path.is_file() or self.path.stat().st_size == 0:
            self.problems.append(Problem(self.path.name, "", "文件为空（0 字节），没有可读取的申报数据"))
            return
        suffix = self.path.suffix.lower()
        if suffix in (".xlsx", ".xlsm"):
            yield from self._xlsx()
        elif suffix == ".csv":
            yield from self._csv()
        elif suffix == ".parquet":
            from compiler.batch.read_parquet import parquet_rows

            yield from self._rows_of(self.path.name, parquet_rows(self.path, self.problems), {})
        else:
            yield from self._yaml()

    # -- headers -------------------------------------------------------------------------
    def header(self, sheet: str, cells: list[Any]) -> tuple[list[int | None], list[str]]:
        """Where each layout column is in the sheet (index or None) and its letter."""
        wanted = {c.header: i for i, c in enumerate(self.layout.columns)}
        where: list[int | None] = [None] * len(self.layout.columns)
        for j, raw in enumerate(cells):
            header = str(raw).strip() if raw is not None else ""
            if not header:
                continue
            if header in wanted and where[wanted[header]] is None:
                where[wanted[header]] = j
            else:
                self.problems.append(Problem(sheet, f"{column_letter(j)}1",
                                             f"未知或重复的列「{header}」：政策的 batch.columns 中没有这一列，未读取"))
        for i, column in enumerate(self.layout.columns):
            if where[i] is None and column.required:
                self.problems.append(Problem(sheet, "A1", f"表头缺少必填列「{column.header}」", 1))
        letters = [column_letter(j) if j is not None else "" for j in where]
        return where, letters

    def _rows_of(self, sheet: str, raw_rows: Iterator[tuple[int, list[Any], list[str]]],
                 merged: dict[int, list[str]]) -> Iterator[RawRow]:
        """Rows of one sheet: (number, values, formula cells) → RawRow; the first is the header."""
        where: list[int | None] | None = None
        letters: list[str] = []
        seen_data = False
        for number, cells, formulas in raw_rows:
            if where is None:
                if not any(v is not None and str(v).strip() for v in cells):
                    continue
                if number != 1:
                    self.problems.append(Problem(sheet, f"A{number}", "表头应在第1行"))
                where, letters = self.header(sheet, cells)
                continue
            row = data_row(sheet, number, cells, where, letters, formulas, merged.get(number, ()))
            if row is None:
                continue
            seen_data = True
            if self._claims and row.values[0] is not None:  # the key is the layout's first column
                row.claims = self._claims.pop(org_key(row.values[0]), [])
            yield row
        if where is None or not seen_data:
            self.problems.append(Problem(sheet, "", "没有申报数据（除表头和填写说明外没有数据行）"))

    # -- xlsx ----------------------------------------------------------------------------
    def _xlsx(self) -> Iterator[RawRow]:
        from python_calamine import CalamineError, CalamineWorkbook

        batch = self.layout.batch
        try:
            wb = CalamineWorkbook.from_path(str(self.path))
            names = list(wb.sheet_names)
        except (CalamineError, OSError, ValueError) as exc:
            self.problems.append(Problem(self.path.name, "", f"不是有效的 Excel 文件（{type(exc).__name__}）"))
            return
        try:
            budget_sheet, _, budget_cell = (batch.budget_cell or "").partition("!")
            claims_sheet = batch.claims_sheet.sheet if batch.claims_sheet is not None else ""
            for name in names:
                if name not in (batch.sheet, budget_sheet, claims_sheet, LISTS_SHEET):
                    self.problems.append(Problem(name, "", f"多余的工作表「{name}」：未读取；申报数据应全部在「{batch.sheet}」"))
            if budget_sheet in names:
                self._budget(_cell_value(wb.get_sheet_by_name(budget_sheet), budget_cell), budget_sheet, budget_cell)
            if batch.sheet not in names:
                self.problems.append(Problem(batch.sheet, "", f"缺少工作表「{batch.sheet}」"))
                return
            if claims_sheet in names:
                self._claims = self._claims_rows(wb.get_sheet_by_name(claims_sheet), claims_sheet)
            streamed = self._streamed(batch.sheet)
            if streamed is not None:
                yield from streamed
            else:
                ws = wb.get_sheet_by_name(batch.sheet)
                merged: dict[int, list[str]] = {}
                for (r0, c0), (r1, c1) in ws.merged_cell_ranges or ():
                    ref = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
                    for r in range(r0 + 1, r1 + 2):
                        merged.setdefault(r, []).append(ref)
                formulas = _formula_cells(self.path, batch.sheet)
                yield from self._rows_of(batch.sheet, _xlsx_rows(ws, formulas), merged)
            for key, found in self._claims.items():  # claims of no application
                for cell, number, _ in found:
                    self.problems.append(Problem(claims_sheet, cell, f"申报事项的单位「{key}」在「{batch.sheet}」中没有申报行",
                                                 number))
        finally:
            wb.close()

    def _streamed(self, sheet: str) -> Iterator[RawRow] | None:
        """The rows of a long sheet (its XML above read_xlsx.STREAM_ABOVE) streamed by read_xlsx,
        so memory does not grow with the sheet; None for a sheet calamine reads faster whole."""
        from compiler.batch import read_xlsx

        try:
            archive = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError):
            return None  # calamine has opened it; it reports what it finds
        try:
            part = sheet_path(archive, sheet)
            if part is None or part not in archive.namelist() or archive.getinfo(part).file_size <= read_xlsx.STREAM_ABOVE:
                archive.close()
                return None
        except (KeyError, ET.ParseError, ValueError):
            archive.close()
            return None
        return self._stream_rows(archive, part, sheet)

    def _stream_rows(self, archive: zipfile.ZipFile, part: str, sheet: str) -> Iterator[RawRow]:
        from compiler.batch.read_xlsx import Workbook, XlsxError

        try:
            book = Workbook(archive)
            yield from self._rows_of(sheet, book.rows(part), book.merged(part))
        except (XlsxError, zipfile.BadZipFile, KeyError, ET.ParseError, UnicodeDecodeError, EOFError, zlib.error,
                OSError, ValueError) as exc:
            self.problems.append(Problem(self.path.name, "", f"不是有效的 Excel 文件（{type(exc).__name__}）"))
        finally:
            archive.close()

    def _budget(self, value: Any, sheet: str, ref: str) -> None:
        if value is None or (isinstance(value, str) and not value.strip()):
            return
        try:
            if isinstance(value, bool) or isinstance(value, dt.date):
                raise ValueError(value)
            self.budget = Decimal(repr(value)) if isinstance(value, float) else parse_amount(str(value))
        except (ValueError, ArithmeticError):
            self.problems.append(Problem(sheet, ref, f"年度预算「{value}」不是金额；应填如 3000000 或 300万元"))

    def _claims_rows(self, ws: Any, sheet: str) -> dict[str, list[tuple[str, int, Any]]]:
        """Organisation key → the (cell, value) of its claims in the claims sheet."""
        batch = self.layout.batch
        assert batch.claims_sheet is not None
        out: dict[str, list[tuple[str, int, Any]]] = {}
        _, left = ws.start or (0, 0)
        key_at = claim_at = None
        for i, values in enumerate(ws.iter_rows()):
            cells = [None] * left + list(values)
            if key_at is None or claim_at is None:
                headers = [str(c).strip() if c is not None else "" for c in cells]
                if batch.key in headers and batch.claims_sheet.column in headers:
                    key_at, claim_at = headers.index(batch.key), headers.index(batch.claims_sheet.column)
                elif any(headers):
                    self.problems.append(Problem(sheet, f"A{i + 1}", f"申报事项表应有「{batch.key}」和「{batch.claims_sheet.column}」两列"))
                    return out
                continue
            key = cells[key_at] if key_at < len(cells) else None
            value = cells[claim_at] if claim_at < len(cells) else None
            if (key is None or str(key).strip() == "") and (value is None or str(value).strip() == ""):
                continue
            if str(key or "").startswith(NOTES_MARK):
                continue
            cell = f"{column_letter(claim_at)}{i + 1}"
            if key is None or str(key).strip() == "":
                self.problems.append(Problem(sheet, f"{column_letter(key_at)}{i + 1}", f"「{batch.key}」必填，不能为空", i + 1))
                continue
            out.setdefault(org_key(key), []).append((cell, i + 1, value))
        return out

    # -- CSV -----------------------------------------------------------------------------
    def _csv(self) -> Iterator[RawRow]:
        self.encoding = detect_encoding(self.path)
        sheet = self.path.name
        try:
            with self.path.open(encoding=self.encoding, newline="") as f:
                numbered: Iterator[tuple[int, list[Any], list[str]]] = ((i, list(cells), []) for i, cells in enumerate(csv.reader(f), start=1))
                yield from self._rows_of(sheet, _strip_empty(numbered), {})
        except UnicodeDecodeError:
            self.problems.append(Problem(sheet, "", f"文件编码无法识别（按 {self.encoding} 读取失败）；请另存为 UTF-8 的 CSV"))

    # -- YAML ----------------------------------------------------------------------------
    def _yaml(self) -> Iterator[RawRow]:
        import yaml

        sheet = self.path.name
        try:
            data = yaml.safe_load(self.path.read_text(encoding="utf-8-sig"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(sheet, "", f"YAML 无法读取：{type(exc).__name__}"))
            return
        apps = data.get("applications") if isinstance(data, dict) else None
        if not isinstance(apps, list):
            self.problems.append(Problem(sheet, "", "YAML 输入应为 applications: [ {列名: 值, …}, … ]"))
            return
        headers = [c.header for c in self.layout.columns]
        extra = sorted({str(k) for a in apps if isinstance(a, dict) for k in a if str(k) not in headers})
        rows: list[tuple[int, list[Any], list[str]]] = [(1, [*headers, *extra], [])]
        for i, app in enumerate(apps, start=2):
            app = app if isinstance(app, dict) else {}
            values = [_yaml_value(app.get(h)) for h in headers] + [app.get(h) for h in extra]
            rows.append((i, values, []))
        yield from self._rows_of(sheet, iter(rows), {})


def _yaml_value(value: Any) -> Any:
    return "、".join(str(v) for v in value) if isinstance(value, list) else value


def _strip_empty(rows: Iterator[tuple[int, list[Any], list[str]]]) -> Iterator[tuple[int, list[Any], list[str]]]:
    for number, cells, formulas in rows:
        yield number, [c if c != "" else None for c in cells], formulas


def _xlsx_rows(ws: Any, formulas: dict[int, list[str]]) -> Iterator[tuple[int, list[Any], list[str]]]:
    """(row number, values, formula cells) of a calamine sheet. Calamine reads the values a file
    holds (a formula's cached result, "" for an empty cell; numbers as floats, converted once to
    Decimal by the column). Its rows are numbered from the sheet's first row, but each row starts
    at the first used column, so the columns are shifted back."""
    _, left = ws.start or (0, 0)
    pad = [None] * left
    for i, values in enumerate(ws.iter_rows()):
        number = i + 1
        cells = [*pad, *values] if left else list(values)
        found = formulas.get(number, [])
        for ref in found:  # a formula's cached value is not an input: the cell is reported instead
            j = _column_index(ref.rstrip("0123456789"))
            if j < len(cells):
                cells[j] = None
        yield number, cells, found


def _cell_value(ws: Any, ref: str) -> Any:
    col, row = _column_index(ref.rstrip("0123456789")), int(ref.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    _, left = ws.start or (0, 0)
    for i, values in enumerate(ws.iter_rows()):
        if i + 1 == row:
            j = col - left
            return values[j] if 0 <= j < len(values) else None
    return None


def _column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_FORMULA_RE = re.compile(rb'<(?:\w+:)?c r="([A-Z]+)([0-9]+)"[^>]*><(?:\w+:)?f[ >/]')


def sheet_path(archive: zipfile.ZipFile, sheet: str) -> str | None:
    """The part of a workbook that holds the named sheet (xl/workbook.xml → its relationships)."""
    book = ET.fromstring(archive.read("xl/workbook.xml"))
    rid = next((el.get(_NS_REL) for el in book.iter() if el.tag.endswith("}sheet") and el.get("name") == sheet), None)
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((el.get("Target", "") for el in rels if el.get("Id") == rid), None)
    if not target:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _formula_cells(path: Path, sheet: str) -> dict[int, list[str]]:
    """Row number → the cells that hold a formula. Calamine gives values only, so the sheet's XML
    is scanned for <c r="…"><f> in chunks (a byte search, no second XML parse)."""
    out: dict[int, list[str]] = {}
    try:
        with zipfile.ZipFile(path) as archive:
            part = sheet_path(archive, sheet)
            if part is None or part not in archive.namelist():
                return out
            tail = b""
            with archive.open(part) as f:
                while chunk := f.read(1 << 20):
                    data = tail + chunk
                    last = 0
                    for m in _FORMULA_RE.finditer(data):
                        out.setdefault(int(m.group(2)), []).append((m.group(1) + m.group(2)).decode())
                        last = m.end()
                    tail = data[max(last, len(data) - 300):]  # a cell cut by the chunk's end is seen whole next time
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        return out  # calamine has read the file; a part it does not need is not this reader's to judge
    return out


def detect_encoding(path: Path) -> str:
    """utf-8-sig (with or without a BOM) when the start of the file decodes as UTF-8, else gb18030
    (a superset of GBK and GB2312, what Excel on a Chinese Windows saves as CSV)."""
    with path.open("rb") as f:
        sample = f.read(_SAMPLE)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=len(sample) < _SAMPLE)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8-sig"
