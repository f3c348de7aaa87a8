"""Reading a worksheet of an .xlsx as a stream of rows, without loading the sheet.

python-calamine reads a whole sheet into memory before it hands over the first row (at 100,000
applications that was 183 MB, the run's peak); openpyxl's read-only mode streams but builds a
cell object per value (ten times slower). This reader pulls the sheet's XML through expat
(xml.etree's XMLPullParser) one row at a time and drops each row once read, so what it holds is
the shared-string table (each distinct text once), the date styles and one row.

What it gives, per row: (row number, the values by column — None for an empty cell — and the
cells that hold a formula). Values as calamine gives them: text (shared or inline), numbers as
floats (Excel writes up to 17 significant digits; the column reader takes the float's shortest
repr, the number the user typed, once, as Decimal), booleans, and dates as
datetime.date/datetime for a number in a date format (styles.xml; the 1904 date system when the
workbook says so). A formula cell's cached value is not an input, so it is reported instead. The
merged ranges come after the cells in the XML; they are found first by a byte scan of the part.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Iterator
from typing import IO, Any

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_T, _R, _SI = (f"{_NS}{t}" for t in ("t", "r", "si"))
_REF = re.compile(r"([A-Z]{1,3})([0-9]+)")
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+:[A-Z]+[0-9]+)"')
# Built-in number formats that are dates or times (ECMA-376 18.8.30, and the CJK ones Excel uses).
_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, *range(27, 37), *range(50, 59)})
_QUOTED = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')
CHUNK = 1 << 16
# A sheet whose XML is larger than this is streamed; a smaller one is read whole by calamine,
# several times faster per row. Memory is then bounded by this size whatever the input's length.
STREAM_ABOVE = 48 << 20


class XlsxError(ValueError):
    """The archive or one of its parts cannot be read as a workbook."""


def column_index(letters: str) -> int:
    """A → 0, Z → 25, AA → 26."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _pull(f: IO[bytes], tag: str) -> Iterator[ET.Element]:
    """The elements `tag` of a part as each ends; the caller clears what it has read."""
    parser: Any = ET.XMLPullParser(events=("end",))
    while True:
        chunk = f.read(CHUNK)
        if chunk:
            parser.feed(chunk)
        else:
            parser.close()
        for _, el in parser.read_events():
            if el.tag == tag:
                yield el
        if not chunk:
            return


def _text_of(el: ET.Element) -> str:
    """The text of a string item (<si> or <is>): its <t>, or its runs' <t>, not the phonetic runs."""
    if (t := el.find(_T)) is not None:
        return t.text or ""
    return "".join(t.text or "" for r in el.iter(_R) for t in r.iter(_T))


class Workbook:
    """The parts of an open .xlsx that every sheet needs: shared strings, date styles, epoch."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.names = set(archive.namelist())
        book = ET.fromstring(archive.read("xl/workbook.xml"))
        pr = next((el for el in book.iter() if el.tag.endswith("}workbookPr")), None)
        date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self.epoch = dt.datetime(1904, 1, 1) if date1904 else dt.datetime(1899, 12, 30)
        self.strings: list[str] = []
        if "xl/sharedStrings.xml" in self.names:
            with archive.open("xl/sharedStrings.xml") as f:
                for si in _pull(f, _SI):
                    self.strings.append(_text_of(si))
                    si.clear()
        self.date_styles = self._date_styles()

    def _date_styles(self) -> frozenset[int]:
        if "xl/styles.xml" not in self.names:
            return frozenset()
        styles = ET.fromstring(self.archive.read("xl/styles.xml"))
        custom = {int(el.get("numFmtId", "-1")): el.get("formatCode", "") for el in styles.iter(f"{_NS}numFmt")}
        xfs = styles.find(f"{_NS}cellXfs")
        out = set()
        for i, xf in enumerate(xfs if xfs is not None else ()):
            fmt = int(xf.get("numFmtId", "0"))
            code = _QUOTED.sub("", custom.get(fmt, "")).lower()
            if fmt in _DATE_FORMATS or (fmt in custom and any(ch in code for ch in "dmyhs") and "general" not in code):
                out.add(i)
        return frozenset(out)

    def merged(self, part: str) -> dict[int, list[str]]:
        """Row number → the merged ranges that cover it (a byte scan of the part)."""
        out: dict[int, list[str]] = {}
        tail = b""
        with self.archive.open(part) as f:
            while chunk := f.read(1 << 20):
                data = tail + chunk
                last = 0
                for m in _MERGE.finditer(data):
                    ref = m.group(1).decode()
                    a, b = ref.split(":")
                    r0, r1 = int(a.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")), int(b.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
                    for r in range(r0, min(r1, r0 + 100_000) + 1):
                        out.setdefault(r, []).append(ref)
                    last = m.end()
                tail = data[max(last, len(data) - 200):]
        return out

    def rows(self, part: str) -> Iterator[tuple[int, list[Any], list[str]]]:
        """(row number, values by column from A, formula cells) of each row that has a cell.

        The sheet's XML is matched in chunks cut after a </row> (a regular expression per row
        and per cell: the C matcher, not a Python call per XML event, which was six times
        slower than calamine)."""
        number = 0
        tail = b""
        with self.archive.open(part) as f:
            while True:
                chunk = f.read(1 << 20)
                data = tail + chunk
                cut = data.rfind(b"</row>") + 6 if chunk else len(data)
                if chunk and cut < 6:  # no row ends in this chunk yet
                    tail = data
                    continue
                text = data[:cut].decode("utf-8")
                tail = data[cut:]
                for m in _ROW_RE.finditer(text):
                    attrs = m.group(1)
                    r = _ATTR_R.search(attrs)
                    number = int(r.group(1)) if r else number + 1
                    cells: list[Any] = []
                    formulas: list[str] = []
                    for c in _CELL_RE.finditer(m.group(2) or ""):
                        self._cell(c, cells, formulas, number)
                    yield number, cells, formulas
                if not chunk:
                    break

    def _cell(self, c: re.Match[str], cells: list[Any], formulas: list[str], number: int) -> None:
        ref, style, kind, body = c.group(1), c.group(2), c.group(3), c.group(4)
        if ref is None and c.group(5) is not None:  # attributes in another order, or others
            attrs = dict(_ATTR.findall(c.group(5)))
            ref = (m.group(1) if (m := _LETTERS.match(attrs.get("r", ""))) else None)
            style, kind, body = attrs.get("s"), attrs.get("t"), c.group(6)
        j = column_index(ref) if ref else len(cells)
        if j >= 16384:
            raise XlsxError(ref)
        while len(cells) < j:
            cells.append(None)
        if body and "<f" in body and _FORMULA.search(body):
            formulas.append(f"{ref or _letters(j)}{number}")
            value: Any = None
        else:
            value = self._value(kind or "n", int(style) if style else 0, body or "")
        if j < len(cells):
            cells[j] = value
        else:
            cells.append(value)

    def _value(self, kind: str, style: int, body: str) -> Any:
        if kind == "inlineStr":
            return _unescape("".join(_TEXT.findall(_PHONETIC.sub("", body)))) if "<" in body else None
        v = _VALUE.search(body)
        if v is None:
            return None
        text = _unescape(v.group(1))
        if kind == "s":
            try:
                return self.strings[int(text)]
            except (ValueError, IndexError):
                raise XlsxError(text) from None
        if kind in ("str", "e"):
            return text
        if kind == "b":
            return text.strip() in ("1", "true")
        if kind == "d":  # an ISO 8601 date cell (rare: Excel writes numbers)
            try:
                when = dt.datetime.fromisoformat(text.strip())
            except ValueError:
                return text
            return when.date() if when.time() == dt.time() else when
        try:
            number = float(text)
        except ValueError:
            raise XlsxError(text) from None
        if style in self.date_styles and math.isfinite(number):
            try:
                when = self.epoch + dt.timedelta(days=number)
            except OverflowError:
                raise XlsxError(text) from None
            return when.date() if when.time() == dt.time() else when
        return number


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    text = _CHARREF.sub(_char, text)  # openpyxl (through lxml) writes each CJK character as &#NNNNN;
    return html.unescape(text) if "&" in text else text


def _char(m: re.Match[str]) -> str:
    return chr(int(m.group(1)))


_CHARREF = re.compile(r"&#([0-9]{3,7});")  # ≥ 100: never one of < & > " that the markup needs


_ROW_RE = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
# A cell as openpyxl and Excel write it (r, s, t in that order), else any start tag (groups 5, 6).
_CELL_RE = re.compile(r'<c r="([A-Z]{1,3})[0-9]+"(?: s="([0-9]+)")?(?: t="(\w+)")?\s*(?:/>|>(.*?)</c>)'
                      r"|<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_ATTR = re.compile(r'\b([rst])="([^"]*)"')
_LETTERS = re.compile(r"([A-Z]{1,3})[0-9]+$")
_ATTR_R = re.compile(r'\br="([0-9]+)"')
_FORMULA = re.compile(r"<(?:\w+:)?f[\s>/]")
_VALUE = re.compile(r"<(?:\w+:)?v>([^<]*)</", re.S)
_TEXT = re.compile(r"<(?:\w+:)?t(?:\s[^>]*)?>([^<]*)</", re.S)
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)


def _letters(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, rem = divmod(j - 1, 26)
        out = chr(65 + rem) + out
    return out
