"""The lines of a source and what each one looks like: 章, 条, 项, numbered measure, 文号, date,
issuer. The patterns here are shared by the document finder, the structure parser and the metadata."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from compiler.documents.text import Located, Repair, strip_markup
from compiler.importer import mirror
from compiler.importer.read import Source
from compiler.lang import numbering
from compiler.lang.effect import ZH_NUMERALS

_NUM = rf"[{ZH_NUMERALS}\d]+"
CHAPTER_RE = re.compile(rf"^第\s*({_NUM})\s*章\s*(.*)$")
ARTICLE_RE = re.compile(rf"^第\s*({_NUM})\s*条\s*(.*)$")
ITEM_RE = re.compile(rf"^[（(]\s*([{ZH_NUMERALS}]+)\s*[）)]\s*(.*)$")
MEASURE_RE = re.compile(rf"^([{ZH_NUMERALS}]+)\s*、\s*(.*)$")
DOC_NUMBER_RE = re.compile(r"^(\S{1,24}?)\s*[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*(\d+)\s*号$")
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
# A date written in numerals, as a signature often is: 二○○五年六月二十九日, 二〇一一年三月三十日.
_ZH_DIGIT = "〇○零一二三四五六七八九"
ZH_DATE_RE = re.compile(rf"([{_ZH_DIGIT}]{{4}})\s*年\s*([一二三四五六七八九十]{{1,3}})\s*月\s*([一二三四五六七八九十]{{1,3}})\s*日")
# 2006年10月26日 财建〔2006〕689号: a date and a 文号 on one line after the title.
DATE_AND_NUMBER_RE = re.compile(r"^(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)\s+(\S.*)$")
# (1997年12月8日国务院信息化工作领导小组审定): the line under a title saying when and by whom.
DATE_NOTE_RE = re.compile(r"^[（(][^（）()]*\d{4}\s*年[^（）()]*[）)]$")
ORG_RE = re.compile(r"^[\u4e00-\u9fff（）()·]{2,40}(?:办公室|办公厅|人民政府|委员会|管理局|局|厅|委|办|政府|部)$")
NOTICE_END_RE = re.compile(r"(?:通知|公告|决定|意见|批复|通报|函|通告)$")
_SENTENCE_PUNCT = set("，。；：,;:！？!?")
# The bracketed subject some 办法 print after the article number: 第一条 （目的和依据）为了……
SUBJECT_RE = re.compile(rf"^\s*[（(](?![{ZH_NUMERALS}]+[）)])[^（）()，。；：,;:!?！？]{{2,15}}[）)]")
# A numbered sub-point below a measure or in an article: 1. 2. / 1、 / （1）, not 1.5倍 or 1000万元.
SUB_POINT_RE = re.compile(r"^(?:\d{1,2}\s*[.．、](?!\d)|[（(]\d{1,2}[）)])")
# A short bracketed line under a title: （试行）, （征求意见稿）.
BRACKET_NOTE_RE = re.compile(r"[（(][^（）()，。；：,;:]{1,8}[）)]")
# Cells of a table rendered as text: separated by tabs, by | or by wide runs of spaces.
_CELL_GAP = re.compile(r"\t|\s*[|｜]\s*|[ \u3000]{2,}")


def is_table_row(text: str) -> bool:
    """A row of a table: cells separated by tabs (a .docx table row: two or more cells), or three
    or more cells separated by | or wide spaces (序号 | 项目 | 金额)."""
    text = text.strip()
    cells = [c for c in _CELL_GAP.split(text) if c]
    if "\t" in text:
        return len(cells) >= 2
    return len(cells) >= 3 and len(_CELL_GAP.findall(text)) >= 2


DRAFT_MARK_RE = re.compile(r"[（(](?:征求意见稿|草案|送审稿|讨论稿)[）)]$")


def heading_like(text: str, limit: int = 40) -> bool:
    return 0 < len(text) <= limit and not any(c in _SENTENCE_PUNCT for c in text)


@dataclass
class Line:
    no: int  # 1-based line (or paragraph) number in the source
    raw: str
    text: Located  # markup removed, not yet trimmed
    markup: list[Repair]
    heading: bool  # a markdown heading (`#`): never joined with the next line
    level: int  # number of `#`, 0 when none

    @property
    def clean(self) -> str:
        return self.text.text.strip()

    @property
    def blank(self) -> bool:
        return not self.clean


def lines_of(source: Source) -> list[Line]:
    out = []
    artefacts = mirror.detect(source.text)
    for i, raw in enumerate(source.lines, start=1):
        loc, repairs, heading = strip_markup(Located.line(raw, i))
        if artefacts.pinyin or artefacts.traditional:
            loc, undone = mirror.undo(loc, artefacts)
            repairs = sorted(repairs + undone, key=lambda r: (r.line, r.col))
        level = len(raw) - len(raw.lstrip().lstrip("#")) - (len(raw) - len(raw.lstrip())) if heading else 0
        out.append(Line(i, raw, loc, repairs, heading, level))
    return out


def zh_to_int(text: str) -> int:
    return numbering.parse_zh_number(text.strip())


def chapter_match(line: Line) -> re.Match[str] | None:
    m = CHAPTER_RE.match(line.clean)
    if m and (not m.group(2).strip() or heading_like(m.group(2).strip(), 30)):
        return m
    return None


def measure_match(line: Line) -> re.Match[str] | None:
    m = MEASURE_RE.match(line.clean)
    if m and heading_like(m.group(2).strip(), 30):
        return m
    return None


def is_doc_number(line: Line) -> bool:
    return bool(DOC_NUMBER_RE.match(line.clean))


def is_date_line(line: Line) -> bool:
    return bool(DATE_RE.fullmatch(line.clean) or ZH_DATE_RE.fullmatch(line.clean))


def date_of(text: str) -> dt.date | None:
    """The first date in `text`, in digits (2023年12月5日) or numerals (二○○五年六月二十九日)."""
    m = DATE_RE.search(text)
    if m:
        parts = [int(g) for g in m.groups()]
    else:
        z = ZH_DATE_RE.search(text)
        if not z:
            return None
        year = int("".join(str(max(0, _ZH_DIGIT.index(c) - 2)) for c in z.group(1)))  # 〇○零 are 0
        parts = [year, zh_to_int(z.group(2)), zh_to_int(z.group(3))]
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError:
        return None


def issuer_of(text: str) -> str | None:
    """The issuer(s) a line names when it is only that: 天津市人民政府, or several on one line
    separated by spaces or 、 (财政部 科技部), returned joined by 、."""
    names = [n for n in re.split(r"[\s、]+", text.strip()) if n]
    if names and all(ORG_RE.match(n) for n in names):
        return "、".join(names)
    return None


def is_metadata_line(line: Line) -> bool:
    """A line a mirror or a gazette prints between a title and its text: issuer, 文号, date,
    date and 文号, or a bracketed note of the date of adoption."""
    text = line.clean
    dated = DATE_AND_NUMBER_RE.match(text)
    return bool(issuer_of(text) or is_doc_number(line) or is_date_line(line) or DATE_NOTE_RE.match(text)
                or (dated and DOC_NUMBER_RE.match(dated.group(2))))


def signature_at(lines: list[Line], i: int, end: int) -> int | None:
    """If lines[i] is an issuer line followed by a date line, the index of the date line."""
    if not issuer_of(lines[i].clean):
        return None
    j = i + 1
    while j < end and lines[j].blank:
        j += 1
    return j if j < end and is_date_line(lines[j]) else None
