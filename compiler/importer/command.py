"""`policyc import` and `policyc check-source`: from an issued document to a policy skeleton, and
proof that a policy's text is the document's text.

The import reads a source file (UTF-8 with or without BOM, GB18030/GBK, .docx), finds the
documents inside it (a gazette or a government website export holds several), and turns the
chosen 办法 into a policy file: metadata, 章/条/款/项 (or numbered measures 一、二、…) verbatim,
a guessed `nature` on every leaf and, where the text states amounts, rule proposals written as
YAML comments for a human to confirm. Everything the import changes in the text is a `Repair`
(compiler/documents/text.py) listed in `<version>.import-report.md`; everything it does not put into the
clauses (the issuing notice, the signature) is listed there verbatim. So every character of the
chosen document ends up in the YAML or in the report.

`check-source` parses the source the same way (same repairs) and compares every clause of a
policy with it after normalisation, reporting per clause what is missing or added.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.documents.text import (
    Located,
    Repair,
    SourceArticle,
    SourceText,
    compare_clauses,
    ends_sentence,
    join_cut,
    normalise,
    render_repairs,
    strip_markup,
    tidy_spacing,
)
from compiler.lang import numbering
from compiler.model.load import load_policy, policy_from_tree
from compiler.model.policy import Policy, effective_after, valid_until
from compiler.runtime.core import CalendarError
from compiler.source.diagnostics import (
    Diagnostic,
    PolicyError,
    Span,
    UsageError,
    remember_source,
    render_all,
)
from compiler.source.files import atomic_write, display_path, find_policy_files, find_root
from compiler.source.yamlsrc import parse_yaml

# -- reading the source file -------------------------------------------------------------------


@dataclass
class Source:
    path: Path
    name: str  # as shown in messages
    text: str
    encoding: str
    unit: str  # what a "line" is: 行 for text files, 段 (paragraph) for .docx

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def _fail(code: str, message: str, span: Span | None = None, hint: str | None = None) -> PolicyError:
    return PolicyError([Diagnostic(code, message, span, None, hint)])


def _docx_text(data: bytes, name: str) -> str:
    """The paragraphs of a .docx body in order, one per line (table cells included)."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a damaged package
        raise _fail("E610", f"无法读取 Word 文件：{exc}", Span(name, 1, 1)) from None
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            for row in Table(block, document).rows:
                for cell in row.cells:
                    lines.extend(p.text for p in cell.paragraphs)
    return "\n".join(lines)


def read_source(path: Path) -> Source:
    """Decode a source file; refuses empty, binary and undecodable files with a located message."""
    name = display_path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise _fail("E601", f"无法读取源文件 {name}：{exc.strerror or exc}") from None
    if not data.strip():
        raise _fail("E602", f"源文件 {name} 是空的", Span(name, 1, 1), "导入需要办法的全文（.txt 或 .docx）")
    unit = "行"
    if data.startswith(b"PK\x03\x04"):
        try:
            is_docx = "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            is_docx = False
        if not is_docx:
            raise _fail("E603", f"源文件 {name} 是压缩包或其他二进制文件，不是文本或 Word 文件", Span(name, 1, 1))
        text, encoding, unit = _docx_text(data, name), "docx", "段"
    elif data.startswith(b"\xef\xbb\xbf"):
        text, encoding = _decode(data[3:], "utf-8", name), "UTF-8（带 BOM）"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = _decode(data, "utf-16", name), "UTF-16"
    else:
        if b"\x00" in data:
            line = data.count(b"\n", 0, data.index(b"\x00")) + 1
            raise _fail(
                "E603", f"源文件 {name} 是二进制文件（第 {line} 行有 NUL 字节），不是文本",
                Span(name, line, 1), "导入 .txt（UTF-8 或 GB18030）或 .docx 文件",
            )
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as utf8_error:
            try:
                text, encoding = data.decode("gb18030"), "GB18030"
            except UnicodeDecodeError:
                line = data.count(b"\n", 0, utf8_error.start) + 1
                col = utf8_error.start - (data.rfind(b"\n", 0, utf8_error.start) + 1) + 1
                raise _fail(
                    "E604", f"源文件 {name} 的编码无法识别：第 {line} 行第 {col} 个字节"
                    f"（0x{data[utf8_error.start]:02X}）既不是 UTF-8 也不是 GB18030",
                    Span(name, line, 1), "另存为 UTF-8 文本后再导入",
                ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = next((i for i, ch in enumerate(text) if ord(ch) < 32 and ch not in "\n\t\f\v"), None)
    if bad is not None:
        line = text.count("\n", 0, bad) + 1
        raise _fail("E603", f"源文件 {name} 第 {line} {unit}含有控制字符，不是文本文件", Span(name, line, 1))
    if not text.strip():
        raise _fail("E602", f"源文件 {name} 没有文字", Span(name, 1, 1))
    remember_source(name, text)
    return Source(path, name, text, encoding, unit)


def _decode(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise _fail("E604", f"源文件 {name} 不是有效的 {codec.upper()}：第 {line} 行有无法解码的字节", Span(name, line, 1)) from None


# -- lines and their classification ------------------------------------------------------------

_ZH = "一二三四五六七八九十百零〇两"
_NUM = rf"[{_ZH}\d]+"
CHAPTER_RE = re.compile(rf"^第\s*({_NUM})\s*章\s*(.*)$")
ARTICLE_RE = re.compile(rf"^第\s*({_NUM})\s*条\s*(.*)$")
ITEM_RE = re.compile(rf"^[（(]\s*([{_ZH}]+)\s*[）)]\s*(.*)$")
MEASURE_RE = re.compile(rf"^([{_ZH}]+)\s*、\s*(.*)$")
DOC_NUMBER_RE = re.compile(r"^(\S{1,24}?)\s*[〔\[［【(（]\s*(\d{4})\s*[〕\]］】)）]\s*(\d+)\s*号$")
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
ORG_RE = re.compile(r"^[\u4e00-\u9fff（）()·]{3,40}(?:办公室|办公厅|人民政府|委员会|管理局|局|厅|委|办|政府|部)$")
NOTICE_END_RE = re.compile(r"(?:通知|公告|决定|意见|批复|通报|函|通告)$")
_SENTENCE_PUNCT = set("，。；：,;:！？!?")
DRAFT_MARK_RE = re.compile(r"[（(](?:征求意见稿|草案|送审稿|讨论稿)[）)]$")


def _heading_like(text: str, limit: int = 40) -> bool:
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


def _lines(source: Source) -> list[Line]:
    out = []
    for i, raw in enumerate(source.lines, start=1):
        loc, repairs, heading = strip_markup(Located.line(raw, i))
        level = len(raw) - len(raw.lstrip().lstrip("#")) - (len(raw) - len(raw.lstrip())) if heading else 0
        out.append(Line(i, raw, loc, repairs, heading, level))
    return out


def _zh_to_int(text: str) -> int:
    return numbering.parse_zh_number(text.strip())


def _chapter(line: Line) -> re.Match[str] | None:
    m = CHAPTER_RE.match(line.clean)
    if m and (not m.group(2).strip() or _heading_like(m.group(2).strip(), 30)):
        return m
    return None


def _measure(line: Line) -> re.Match[str] | None:
    m = MEASURE_RE.match(line.clean)
    if m and _heading_like(m.group(2).strip(), 30):
        return m
    return None


def _is_doc_number(line: Line) -> bool:
    return bool(DOC_NUMBER_RE.match(line.clean))


def _is_date_line(line: Line) -> bool:
    return bool(DATE_RE.fullmatch(line.clean))


# -- documents inside a file -------------------------------------------------------------------


@dataclass
class Document:
    """One document found in a source file (lines are 0-based indices into the line list)."""

    index: int  # 1-based, as listed
    start: int
    end: int  # exclusive
    title: str
    title_lines: tuple[int, int]  # [first, last] indices of the title
    kind: str  # "articles" | "measures" | "other"
    notice: Document | None = None  # the issuing / consultation notice of an 办法
    role: str = ""  # for "other": what it is, shown in the listing

    @property
    def importable(self) -> bool:
        return self.kind in ("articles", "measures")


def _notice_title(lines: list[Line], i: int) -> int | None:
    """The last line of a notice title (关于……的通知) starting at line i, or None."""
    first = lines[i].clean
    if "关于" not in first[:40] or any(c in first for c in "。；;"):
        return None
    text, j = first, i
    while not NOTICE_END_RE.search(text) and j + 1 < len(lines) and j - i < 2 and not lines[j + 1].blank:
        j += 1
        text += lines[j].clean
    if not NOTICE_END_RE.search(text) or len(text) > 120:
        return None
    # A title is followed by its 文号 or addressees (…：), or preceded by its 文号; a line in a
    # catalogue of documents is followed by "（日期 文号）" and is not a title.
    after = [ln for ln in lines[j + 1 : j + 6] if not ln.blank][:2]
    before = [ln for ln in reversed(lines[max(0, i - 4) : i]) if not ln.blank][:1]
    if any(_is_doc_number(ln) or ln.clean.endswith(("：", ":")) for ln in after):
        return j
    if before and _is_doc_number(before[0]):
        return j
    return None


def _body_starts(lines: list[Line]) -> list[int]:
    """Indices of the title line of each 办法: the line before its 第一章 (or 第一条)."""
    titles = []
    for i, line in enumerate(lines):
        chap = _chapter(line)
        art = ARTICLE_RE.match(line.clean)
        first = (chap and _zh_to_int(chap.group(1)) == 1) or (art and _zh_to_int(art.group(1)) == 1)
        if not first:
            continue
        p = i - 1
        while p >= 0 and lines[p].blank:
            p -= 1
        if p < 0:
            continue
        prev = lines[p]
        structural = _chapter(prev) or ARTICLE_RE.match(prev.clean) or ITEM_RE.match(prev.clean)
        if not structural and len(prev.clean) <= 60 and not ends_sentence(prev.clean):
            titles.append(p)
    return titles


def find_documents(lines: list[Line]) -> list[Document]:
    """Split a file into documents at their titles and classify each (see docs/import.md)."""
    starts: dict[int, tuple[int, str]] = {}  # first title line → (last title line, how found)
    for i, line in enumerate(lines):
        if line.heading and line.level == 1 and not line.blank:
            starts[i] = (i, "heading")
            continue
        end = _notice_title(lines, i)
        if end is not None and not any(s <= i <= e for s, (e, _) in starts.items()):
            starts[i] = (end, "notice")
            continue
        blanks = 0
        p = i - 1
        while p >= 0 and lines[p].blank:
            blanks, p = blanks + 1, p - 1
        if (blanks >= 3 and p >= 0 and "\t" not in line.raw.strip() and 6 <= len(line.clean) <= 40
                and _heading_like(line.clean) and not line.clean[0].isdigit()):
            starts.setdefault(i, (i, "gap"))
    for t in _body_starts(lines):
        if not any(s <= t <= e for s, (e, _) in starts.items()):
            starts[t] = (t, "title")
    # A 文号 printed above its title (伊市政办规〔2025〕3号 ⏎ 关于印发……) belongs to that document.
    moved: dict[int, tuple[int, str, int]] = {}
    for s, (e, how) in starts.items():
        p = s - 1
        while p >= 0 and lines[p].blank:
            p -= 1
        first = p if p >= 0 and _is_doc_number(lines[p]) and how == "notice" else s
        moved[first] = (e, how, s)
    order = sorted(moved)
    first_text = next((i for i, ln in enumerate(lines) if not ln.blank), len(lines))
    docs: list[Document] = []
    if not order or order[0] > first_text:
        end = order[0] if order else len(lines)
        docs.append(Document(1, first_text, end, "", (first_text, first_text), "other"))
    for k, s in enumerate(order):
        e, how, title_start = moved[s]
        end = order[k + 1] if k + 1 < len(order) else len(lines)
        title = "".join(lines[j].clean for j in range(title_start, e + 1))
        kind = "articles" if how == "title" else "other"
        docs.append(Document(len(docs) + 1, s, end, title, (title_start, e), kind))
    for doc in docs:
        if doc.kind == "other" and doc.title and _measure_lines(lines, doc) is not None:
            doc.kind = "measures"
    for prev, doc in zip(docs, docs[1:], strict=False):
        if doc.kind == "articles" and prev.kind == "other":
            doc.notice = prev
            prev.role = f"发文通知，见第 {doc.index} 个文件" if prev.title else f"征求意见公告或说明，见第 {doc.index} 个文件"
    return docs


def _measure_lines(lines: list[Line], doc: Document) -> list[int] | None:
    """The heading lines of numbered measures 一、二、… when the whole document is built of them.

    Every line of the document that starts with a Chinese numeral and 、 must be a short heading
    (no sentence punctuation) and they must count 一, 二, 三 … without a gap; paragraphs numbered
    一、…。 (a notice's points) or a list of repealed titles do not qualify."""
    found: list[int] = []
    for i in range(doc.title_lines[1] + 1, doc.end):
        line = lines[i]
        m = MEASURE_RE.match(line.clean)
        if not m:
            continue
        if not (_measure(line) or (line.heading and m.group(2).strip())):
            return None
        if _zh_to_int(m.group(1)) != len(found) + 1:
            return None
        found.append(i)
    return found if len(found) >= 2 else None


# -- the structure of one document -------------------------------------------------------------


@dataclass
class ItemB:
    number: int
    label: Located
    text: Located


@dataclass
class ParaB:
    text: Located
    items: list[ItemB] = field(default_factory=list)
    inline: bool = False


@dataclass
class ArticleB:
    number: int
    label: Located
    title: Located | None
    paragraphs: list[ParaB]
    chapter: int

    def located(self) -> Located:
        """The article as printed in the source (after repairs): label, title, 款 and 项."""
        out = self.label
        if self.title is not None:
            out = out + self.title
        for para in self.paragraphs:
            out = out + para.text
            for item in para.items:
                out = out + item.label + item.text
        return out

    def leaves(self) -> list[tuple[str, Located]]:
        """(address suffix, text) of each leaf clause: 项, 款 without 项, or the article."""
        many = len(self.paragraphs) > 1
        out: list[tuple[str, Located]] = []
        for pi, para in enumerate(self.paragraphs, start=1):
            if para.items:
                for item in para.items:
                    out.append((f"p{pi}-i{item.number}" if many else f"i{item.number}", item.text))
            else:
                out.append((f"p{pi}" if many else "", para.text))
        return out


@dataclass
class ChapterB:
    number: int
    title: Located
    articles: list[ArticleB] = field(default_factory=list)


@dataclass
class Excluded:
    """Source lines kept out of the clauses (issuing notice, signature …), listed in the report."""

    first: int
    last: int
    what: str
    text: str


@dataclass
class Parsed:
    mode: str  # "articles" | "measures"
    title: Located
    chapters: list[ChapterB]
    repairs: list[Repair]
    excluded: list[Excluded]
    lines: tuple[int, int]  # first and last source line of the document (1-based)
    warnings: list[str] = field(default_factory=list)

    @property
    def articles(self) -> list[ArticleB]:
        return [a for c in self.chapters for a in c.articles]

    def counts(self) -> dict[str, int]:
        arts = self.articles
        return {
            "chapters": sum(1 for c in self.chapters if c.title.text),
            "articles": len(arts),
            "paragraphs": sum(len(a.paragraphs) for a in arts),
            "items": sum(len(p.items) for a in arts for p in a.paragraphs),
        }

    def summary(self) -> str:
        c = self.counts()
        unit = "项措施" if self.mode == "measures" else "条"
        head = f"{c['chapters']} 章，" if c["chapters"] else ""
        return f"{head}{c['articles']} {unit}，{c['paragraphs']} 款，{c['items']} 项"


@dataclass
class _Para:
    """A logical paragraph while parsing: consecutive lines joined across page breaks."""

    kind: str  # "chapter" | "article" | "item" | "measure" | "text"
    number: int
    label: Located
    text: Located
    heading: bool


class _Parser:
    def __init__(self, source: Source, lines: list[Line], mode: str) -> None:
        self.source = source
        self.lines = lines
        self.mode = mode
        self.repairs: list[Repair] = []
        self.excluded: list[Excluded] = []
        self.warnings: list[str] = []

    def span(self, line: int) -> Span:
        return Span(self.source.name, line, 1)

    def exclude(self, first: int, last: int, what: str) -> None:
        """Keep lines [first, last] (0-based) out of the clauses, verbatim in the report."""
        rows = [ln for ln in self.lines[first : last + 1]]
        while rows and rows[-1].blank:
            rows.pop()
        while rows and rows[0].blank:
            rows.pop(0)
        if rows:
            self.excluded.append(Excluded(rows[0].no, rows[-1].no, what, "\n".join(r.raw for r in rows)))

    def classify(self, line: Line) -> tuple[str, int, Located, Located]:
        """(kind, number, label, rest) of one non-blank line; label is what the YAML derives."""
        loc = line.text
        lead = len(loc.text) - len(loc.text.lstrip())
        loc = loc[lead:]
        if self.mode == "articles":
            m = _chapter(line)
            if m:
                return "chapter", _zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
            m = ARTICLE_RE.match(line.clean)
            if m:
                return "article", _zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
        else:
            m = MEASURE_RE.match(line.clean)
            if m and (_measure(line) or line.heading):
                return "measure", _zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
        m = ITEM_RE.match(line.clean)
        if m:
            return "item", _zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
        return "text", 0, Located("", []), loc

    def paragraphs(self, first: int, end: int) -> list[_Para]:
        """Lines [first, end) → logical paragraphs, joining what a page break or wrap cut."""
        paras: list[_Para] = []
        blanks = 0
        for line in self.lines[first:end]:
            if line.blank:
                blanks += 1
                continue
            self.repairs.extend(line.markup)
            kind, number, label, rest = self.classify(line)
            if kind in ("chapter", "article") and re.search(r"\d", label.text):
                col = label.where[0][1] if label.where else 1
                word = "章" if kind == "chapter" else "条"
                self.repairs.append(Repair("numbering", line.no, col, "",
                                           f"「{label.text.strip()}」按第{numbering.zh_number(number)}{word}处理"))
            text, spacing = tidy_spacing(rest)
            self.repairs.extend(spacing)
            prev = paras[-1] if paras else None
            if (kind == "text" and prev is not None and prev.kind in ("article", "item", "text")
                    and not prev.heading and not ends_sentence(prev.text.text) and text.text):
                joined, repairs = join_cut(prev.text, text, blanks)
                prev.text = joined
                self.repairs.extend(repairs)
            else:
                paras.append(_Para(kind, number, label, text, line.heading and kind != "item"))
            blanks = 0
        return paras

    def error(self, line: int, message: str, hint: str | None = None) -> PolicyError:
        return _fail("E608", message, self.span(line), hint)

    def build(self, paras: list[_Para]) -> list[ChapterB]:
        chapters: list[ChapterB] = []
        current: ArticleB | None = None
        untitled = ChapterB(0, Located("", []))

        def chapter() -> ChapterB:
            if not chapters:
                chapters.append(untitled)
            return chapters[-1]

        article_count = 0
        for para in paras:
            line = para.text.first_line or para.label.first_line
            if para.kind == "chapter":
                expected = len([c for c in chapters if c.number]) + 1
                if para.number != expected:
                    raise self.error(line, f"章的编号不连续：应为第{numbering.zh_number(expected)}章，"
                                           f"这里是「{para.label.text.strip()}」")
                if chapters and chapters[-1] is untitled:
                    raise self.error(line, "第一章之前已经有条文", "检查文件开头是否混入了其他文件的条文")
                chapters.append(ChapterB(para.number, para.text))
                current = None
            elif para.kind in ("article", "measure"):
                if para.number != article_count + 1:
                    what = "条" if para.kind == "article" else "项措施"
                    raise self.error(line, f"{what}的编号不连续：第 {article_count} {what}之后是"
                                           f"「{para.label.text.strip()}」",
                                     "源文件可能缺了一段，或者混入了另一份文件")
                article_count += 1
                ch = chapter()
                title: Located | None = None
                paragraphs: list[ParaB] = []
                if para.kind == "measure":
                    title = para.text  # 一、出疆棉运费补贴: the heading; the body follows
                elif para.text.text:
                    paragraphs.append(self.inline_items(para.text))
                else:
                    paragraphs.append(ParaB(para.text))
                current = ArticleB(para.number, para.label, title, paragraphs, ch.number)
                ch.articles.append(current)
            elif current is None:
                self.warnings.append(f"第 {line} {self.source.unit}的文字不属于任何一条，已列入导入报告")
                self.excluded.append(Excluded(line, para.text.last_line or line, "不属于任何一条的文字",
                                              (para.label + para.text).text))
            elif para.kind == "item":
                paras_ = current.paragraphs
                if not paras_:
                    paras_.append(ParaB(Located("", [])))
                target = paras_[-1]
                if para.number == len(target.items) + 1 and not target.inline:
                    target.items.append(ItemB(para.number, para.label, para.text))
                elif para.number == 1:
                    paras_.append(ParaB(Located("", []), [ItemB(1, para.label, para.text)]))
                else:
                    raise self.error(line, f"项的编号不连续：第{numbering.zh_number(current.number)}"
                                           f"{'条' if self.mode == 'articles' else '项措施'}中"
                                           f"（{numbering.zh_number(len(target.items))}）之后是"
                                           f"「{para.label.text.strip()}」")
            else:
                current.paragraphs.append(self.inline_items(para.text))
        for ch in chapters:
            for art in ch.articles:
                if art.title is not None and not art.paragraphs:
                    # A measure that is only a heading (十二、取消……基金): the heading is its text.
                    art.paragraphs.append(ParaB(art.title))
                    art.title = None
        return chapters

    def inline_items(self, text: Located) -> ParaB:
        """"……主要职责：（一）……；（二）……" → the lead-in and its items (项 on one line)."""
        first = re.search(r"[：:]\s*([（(]\s*一\s*[）)])", text.text)
        if not first:
            return ParaB(text)
        marks = [first.start(1)]
        ends = [first.end(1)]
        n = 2
        while True:
            m = re.compile(rf"[；;。]\s*([（(]\s*{numbering.zh_number(n)}\s*[）)])").search(text.text, ends[-1])
            if not m:
                break
            marks.append(m.start(1))
            ends.append(m.end(1))
            n += 1
        if len(marks) < 2:
            return ParaB(text)
        items = []
        for k, (s, e) in enumerate(zip(marks, ends, strict=True)):
            stop = marks[k + 1] if k + 1 < len(marks) else len(text.text)
            items.append(ItemB(k + 1, text[s:e], text[e:stop].strip()))
        return ParaB(text[: marks[0]], items, inline=True)


def _signature_at(lines: list[Line], i: int, end: int) -> int | None:
    """If lines[i] is an issuer line followed by a date line, the index of the date line."""
    if not ORG_RE.match(lines[i].clean):
        return None
    j = i + 1
    while j < end and lines[j].blank:
        j += 1
    return j if j < end and _is_date_line(lines[j]) else None


def parse_document(source: Source, lines: list[Line], doc: Document) -> Parsed:
    """The chosen document → chapters, articles (or measures), 款 and 项, with every repair."""
    mode = "measures" if doc.kind == "measures" else "articles"
    parser = _Parser(source, lines, mode)
    t0, t1 = doc.title_lines
    title = Located("", [])
    for j in range(t0, t1 + 1):
        parser.repairs.extend(lines[j].markup)
        part, spacing = tidy_spacing(lines[j].text)
        parser.repairs.extend(spacing)
        title = title + part
    if doc.start < t0:
        parser.exclude(doc.start, t0 - 1, "标题之前的文字（文号等，元数据取自这里）")
    if mode == "measures":
        heads = _measure_lines(lines, doc) or []
        body_start = heads[0]
        front = "通知的文号、主送机关和引言（元数据取自这里）"
    else:
        body_start = next(i for i in range(t1 + 1, doc.end)
                          if _chapter(lines[i]) or ARTICLE_RE.match(lines[i].clean))
        front = "标题与正文之间的文字"
    if body_start > t1 + 1:
        parser.exclude(t1 + 1, body_start - 1, front)
    # The body ends at a signature (发文机关 + 日期) or at a gap of 3+ blank lines after a
    # finished sentence: what follows is not part of the 办法.
    body_end = doc.end
    last_text = ""
    blanks = 0
    for i in range(body_start, doc.end):
        line = lines[i]
        if line.blank:
            blanks += 1
            continue
        if _signature_at(lines, i, doc.end) is not None or (blanks >= 3 and ends_sentence(last_text)):
            body_end = i
            break
        blanks, last_text = 0, line.clean
    if body_end < doc.end:
        sig = _signature_at(lines, body_end, doc.end)
        if sig is not None:
            parser.exclude(body_end, sig, "落款（发文机关与日期，元数据取自这里）")
            rest = sig + 1
        else:
            rest = body_end
        if any(not ln.blank for ln in lines[rest : doc.end]):
            parser.exclude(rest, doc.end - 1, "正文之后的文字")
            parser.warnings.append(f"第 {rest + 1}–{doc.end} {source.unit}在正文结束之后，未导入（见导入报告）")
    chapters = parser.build(parser.paragraphs(body_start, body_end))
    if not any(c.articles for c in chapters):
        raise _fail("E605", f"{source.name} 中「{doc.title}」没有条文", Span(source.name, lines[t0].no, 1))
    last = max((i for i in range(doc.start, doc.end) if not lines[i].blank), default=doc.start)
    return Parsed(mode, title, chapters, sorted(parser.repairs, key=lambda r: (r.line, r.col)),
                  sorted(parser.excluded, key=lambda e: e.first), (lines[doc.start].no, lines[last].no),
                  parser.warnings)


def source_text(source: Source, parsed: Parsed) -> SourceText:
    """The parsed document in the form `text.compare_clauses` compares a policy with."""
    return SourceText(
        source.name, parsed.title,
        {c.number: c.title for c in parsed.chapters if c.number},
        [SourceArticle(a.number, a.located(), a.chapter) for a in parsed.articles],
        parsed.repairs,
    )


# -- metadata ----------------------------------------------------------------------------------


@dataclass
class Meta:
    title: str
    document_title: str
    status: str
    issuer: str | None = None
    doc_number: str | None = None
    published: dt.date | None = None
    effective_text: str | None = None
    effective_clause: str | None = None
    effective_date: dt.date | None = None
    after_days: int | None = None
    validity_text: str | None = None
    validity_years: int | None = None
    valid_until: dt.date | None = None
    repeals: list[tuple[str, str]] = field(default_factory=list)
    consultation: dict[str, Any] = field(default_factory=dict)
    found: list[str] = field(default_factory=list)  # where each field came from, for the report
    missing: list[str] = field(default_factory=list)


def _date(m: re.Match[str], offset: int = 1) -> dt.date | None:
    try:
        return dt.date(int(m.group(offset)), int(m.group(offset + 1)), int(m.group(offset + 2)))
    except ValueError:
        return None


_NUMBER = rf"(\d+|[{_ZH}]+)"  # 30 or 三十, not a mix
EFF_AFTER = re.compile(rf"自(?:发布|印发|公布)之日起{_NUMBER}日后(?:施行|实施|执行)")
EFF_ON_PUBLICATION = re.compile(r"自(?:发布|印发|公布)之日起(?:施行|实施|执行)")
EFF_RANGE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起?至(\d{4})年(\d{1,2})月(\d{1,2})日止?(?:施行|实施|执行)")
EFF_DATE = re.compile(r"自(\d{4})年(\d{1,2})月(\d{1,2})日起?(?:施行|实施|执行)")
VALIDITY = re.compile(rf"有效期(?:为)?{_NUMBER}年")
REPEAL = re.compile(r"《([^》]+)》[（(]([^（）()]*?〔\d{4}〕\d+号)[）)]")


def _doc_number(text: str) -> str | None:
    m = DOC_NUMBER_RE.match(text.strip())
    if not m:
        return None
    return f"{m.group(1)}〔{m.group(2)}〕{int(m.group(3))}号"


def extract_meta(source: Source, lines: list[Line], doc: Document, parsed: Parsed,
                 clause_texts: list[tuple[str, str]]) -> Meta:
    """Title, 文号, issuer, dates, repeals and (for a draft) the consultation, each with where it
    was found; what cannot be found is listed, never invented."""
    document_title = parsed.title.text
    status = "draft" if DRAFT_MARK_RE.search(document_title) else "issued"
    title = DRAFT_MARK_RE.sub("", document_title) if status == "draft" else document_title
    meta = Meta(title, document_title, status)
    meta.found.append(f"标题：第 {parsed.title.first_line} {source.unit}")
    front = [doc] + ([doc.notice] if doc.notice else [])
    for part in front:
        for i in range(part.start, part.end if part is not doc else doc.title_lines[1] + 6):
            if i >= len(lines):
                break
            number = _doc_number(lines[i].clean)
            if number and meta.doc_number is None:
                meta.doc_number = number
                meta.found.append(f"文号：第 {lines[i].no} {source.unit}")
    for part in [doc.notice, doc] if doc.notice else [doc]:
        for i in range(part.start, part.end):
            date_line = _signature_at(lines, i, part.end)
            if date_line is not None and meta.issuer is None:
                meta.issuer = lines[i].clean
                m = DATE_RE.search(lines[date_line].clean)
                day = _date(m) if m else None
                meta.found.append(f"发文机关与日期：第 {lines[i].no}–{lines[date_line].no} {source.unit}（落款）")
                if status == "issued":
                    meta.published = day
                else:
                    meta.consultation["by"] = meta.issuer
    if meta.issuer is None:
        m = re.match(r"^(.{4,30}?)关于", document_title)
        if m:
            meta.issuer = m.group(1)
            meta.found.append("发文机关：取自标题")
    if status == "draft" and doc.notice is not None:
        _consultation(lines, doc.notice, meta, source.unit)
    for address, text in clause_texts:
        _dates_in(text, address, meta)
        if "废止" in text:
            for sentence in re.split(r"(?<=[。；;])", text):
                if "废止" in sentence:
                    for m in REPEAL.finditer(sentence):
                        number = _doc_number(m.group(2)) or m.group(2)
                        meta.repeals.append((number, m.group(1)))
    if meta.effective_text and meta.effective_date is None:
        meta.missing.append(f"施行日期：「{meta.effective_text}」需要发布日期，源文件中没有"
                            + ("（征求意见稿尚未发布）" if status == "draft" else ""))
    if meta.validity_years and meta.effective_date:
        try:
            meta.valid_until = valid_until(meta.effective_date, meta.validity_years)
        except CalendarError:
            pass  # only for a source dated near 9999: listed below as missing
    if meta.validity_text and meta.valid_until is None:
        meta.missing.append(f"有效期截止日：「{meta.validity_text}」需要施行日期")
    for key, label in (("issuer", "发文机关"), ("doc_number", "文号"), ("published", "发布日期")):
        if getattr(meta, key) is None and not (status == "draft" and key != "issuer"):
            meta.missing.append(f"{label}：源文件中没有找到")
    return meta


def _dates_in(text: str, address: str, meta: Meta) -> None:
    compact = re.sub(r"\s+", "", text)
    if meta.effective_text is None:
        m = EFF_RANGE.search(compact)
        if m:
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.effective_date, meta.valid_until = _date(m, 1), _date(m, 4)
            meta.validity_text = m.group(0)
        elif m := EFF_AFTER.search(compact):
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.after_days = numbering.parse_zh_number(m.group(1))
            if meta.published:
                try:
                    meta.effective_date = effective_after(meta.published, meta.after_days)
                except CalendarError:
                    pass  # only for a source dated near 9999: listed as missing later
        elif m := EFF_DATE.search(compact):
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.effective_date = _date(m)
        elif m := EFF_ON_PUBLICATION.search(compact):
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.effective_date = meta.published
    if meta.validity_years is None and (v := VALIDITY.search(compact)):
        meta.validity_text, meta.validity_years = v.group(0), numbering.parse_zh_number(v.group(1))


def _consultation(lines: list[Line], notice: Document, meta: Meta, unit: str) -> None:
    """征求意见时间 and contacts from a consultation notice."""
    for i in range(notice.start, notice.end):
        text = lines[i].clean
        dates = list(DATE_RE.finditer(text))
        if len(dates) == 2 and re.fullmatch(r"[\d年月日\s\-—–~～至到]+", text):
            meta.consultation["from"], meta.consultation["to"] = _date(dates[0]), _date(dates[1])
            meta.found.append(f"征求意见时间：第 {lines[i].no} {unit}")
        m = re.match(r"^(联系电话|电话|传真|邮编|邮箱|电子邮箱|地址|联系人)[:：]\s*(.+)$", text)
        if m:
            meta.consultation.setdefault("contacts", {})[m.group(1)] = m.group(2).strip()


# -- nature guesses and rule proposals ---------------------------------------------------------

NATURE_RULES = (
    ("definitional", re.compile(r"所称|是指|本办法中的|本实施办法所称")),
    ("organisational", re.compile(r"职责|负责|牵头|会同|配合")),
    ("procedural", re.compile(r"申报|公示|审核|审查|提交|报送|报请|审批|评审|备案|受理|流程|程序|发布")),
    ("discretionary", re.compile(r"可以|可根据|可参照|可由|可委托|原则上|适时|酌情")),
)


def guess_nature(text: str, lead: str) -> str:
    """A keyword guess at a leaf's nature, for a human to confirm (docs/import.md)."""
    for nature, pattern in NATURE_RULES:
        if pattern.search(text) or (nature == "organisational" and pattern.search(lead)):
            return nature
    return "declaratory"


_AWARD_VERB = re.compile(r"给予|奖励|补贴|补助|资助|贴息|奖补")
_MONEY = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(亿元|万元|元)(?!\s*[/／])(?!\s*(?:以上|以下|以内|标准|）|\)))")
_RATE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*元\s*[/／]\s*(吨|公斤|千克|千瓦时|度)(?!\s*[/／])")
_PERCENT = re.compile(r"(?<![\d.])(?<!超过)(?<!达到)(?<!低于)(?<!上浮)(?<!使用率)(\d+(?:\.\d+)?)\s*[%％](?!\s*(?:以上|以下|以内))")
_CAP = re.compile(r"最高(?:补贴|奖励|资助)?(?:金额)?(?:不超过)?\s*(\d+(?:\.\d+)?)\s*(亿元|万元|元)")
_BASE = re.compile(r"按(?:照)?(?:企业)?([^\W\d]{2,16}?)的\s*(\d+(?:\.\d+)?)\s*[%％]")
_ANY_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:亿元|万元|元)(?:\s*[/／]\s*[^\d\W]{1,3})*")
_ORDINALS = "甲乙丙丁戊己庚辛壬癸"


@dataclass
class Proposal:
    """A machine rule proposed from the wording of one clause; written commented out."""

    id: str
    name: str
    amount: str
    quote: str
    first_time: bool = False
    one_time: bool = False
    facts: list[tuple[str, str, str]] = field(default_factory=list)  # (name, unit, label)
    usable: bool = True  # False once the checker rejected it: then only a note is written


def _ordinal(n: int) -> str:
    """甲, 乙, … 癸, 甲二, 乙二 …: fact names cannot contain digits (compiler/lang/grammar.lark)."""
    return _ORDINALS[n % 10] + (numbering.zh_number(n // 10 + 1) if n >= 10 else "")


def _near_verb(part: str, start: int, end: int) -> bool:
    """An amount is an award when a verb (给予, 奖励, 补贴 …) stands close to it: "给予20万元奖励",
    "奖励5万元"; "资金规模不低于300万元" is not."""
    return bool(_AWARD_VERB.search(part[max(0, start - 8) : end + 6]))


def propose(text: str, title: str, rule_id: str, counter: list[int]) -> list[Proposal]:
    """Award proposals for the amounts a clause states (X万元, X元/吨, X%, 最高不超过X万元).

    Each is a draft: its name is the condition the text gives ("首次获得中国质量奖的，给予…" →
    首次获得中国质量奖), its amount the literal amount, or a formula over a fact whose name is the
    base the text names (按企业实际投资额的40% → 实际投资额) or a placeholder (计算基数甲)."""
    out: list[Proposal] = []
    qty_facts: dict[str, str] = {}  # unit → fact name, shared by the proposals of this clause
    for part in re.split(r"(?<=[；;。])", text):
        part = part.strip()
        if not part:
            continue
        cap_m = _CAP.search(part)
        cap = f"{cap_m.group(1)}{cap_m.group(2)}" if cap_m else None
        cond = re.split(r"的[，,]", part, maxsplit=1)[0] if re.search(r"的[，,]", part) else ""
        cond = re.sub(r"^(?:对|凡)", "", cond).strip()
        if not cond or len(cond) > 40:
            cond = title or (part[:30] + "…" if len(part) > 30 else part.rstrip("。；;"))
        first_time, one_time = "首次" in part, "一次性" in part

        def add(amount: str, facts: list[tuple[str, str, str]], cond: str = cond, part: str = part,
                first_time: bool = first_time, one_time: bool = one_time) -> None:
            names = [p.name for p in out]
            name = cond if cond not in names else f"{cond}（{numbering.zh_number(len(out) + 1)}）"
            out.append(Proposal(f"{rule_id}-{len(out) + 1}", name, amount, part, first_time, one_time, facts))

        rates = list(_RATE.finditer(part))
        percents = [p for p in _PERCENT.finditer(part) if _AWARD_VERB.search(part)]
        moneys = [m for m in _MONEY.finditer(part)
                  if _near_verb(part, m.start(), m.end()) and not (cap_m and cap_m.start(1) <= m.start(1) < cap_m.end())]
        if rates:
            for r in rates:
                unit = r.group(2)
                if unit not in qty_facts:
                    counter[0] += 1
                    qty_facts[unit] = f"数量{_ordinal(counter[0] - 1)}"
                qty = qty_facts[unit]
                add(f"{qty} × {r.group(1)}元/{unit}", [(qty, unit, f"待确认（自动提取）：「{cond}」的数量（{unit}）")])
        elif percents:
            for p in percents:
                base_m = _BASE.search(part)
                if base_m and base_m.group(2) == p.group(1):
                    base = base_m.group(1)
                else:
                    counter[0] += 1
                    base = f"计算基数{_ordinal(counter[0] - 1)}"
                amount = f"{base} × {p.group(1)}%"
                add(f"min({amount}, {cap})" if cap else amount,
                    [(base, "元", f"待确认（自动提取）：计算「{cond}」的基数")])
        elif moneys:
            for m in moneys:
                add(f"{m.group(1)}{m.group(2)}", [])
        elif cap and _AWARD_VERB.search(part):
            add(cap, [])
        elif _AWARD_VERB.search(part) and (other := _ANY_AMOUNT.search(part)):
            # An amount the patterns above cannot turn into a rule (0.43元/公斤/年): flag it only.
            add(other.group(0), [])
            out[-1].usable = False
    return out


# -- writing the policy file -------------------------------------------------------------------

_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@` ")
_YAML_SPECIAL = re.compile(r"(?i)^(?:true|false|yes|no|on|off|null|y|n|~)$|^[-+]?[\d._:]+(?:[eE][-+]?\d+)?$|^\d{4}-\d")


def yaml_scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (plain when safe, else double-quoted)."""
    plain = (value and value == value.strip() and value[0] not in _PLAIN_BAD_START
             and ": " not in value and " #" not in value and not value.endswith(":")
             and not any(c in value for c in "\n\t\"\\") and not _YAML_SPECIAL.search(value))
    if plain:
        return value
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


@dataclass
class _Out:
    """The YAML being written: lines, with those of rule proposals marked (commented out)."""

    lines: list[tuple[str, bool]] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # proposal id → line range

    def add(self, text: str, proposal: bool = False) -> None:
        self.lines.append((text, proposal))

    def render(self, live: bool) -> str:
        out = []
        for text, proposal in self.lines:
            if proposal and not live:
                indent = len(text) - len(text.lstrip(" "))
                text = f"{' ' * indent}# {text[indent:]}"
            out.append(text)
        return "\n".join(out) + "\n"


@dataclass
class ImportResult:
    """Everything an import produced, in memory (the CLI writes it; tests inspect it)."""

    source: Source
    document: Document
    parsed: Parsed
    meta: Meta
    policy_id: str
    version: str
    yaml_text: str
    live_yaml_text: str  # the same with every usable proposal uncommented
    proposals: dict[str, list[Proposal]]  # leaf address → proposals
    natures: dict[str, str]
    report: str = ""


def _leaf_address(article_id: str, suffix: str) -> str:
    return f"{article_id}.{suffix}" if suffix else article_id


def render_policy(imp: ImportResult, source_file: str) -> _Out:
    """The policy file: header, meta, proposed facts, structure (see docs/import.md)."""
    m, parsed, o = imp.meta, imp.parsed, _Out()
    o.add("# yaml-language-server: $schema=../../compiler/source/schemas/policy.schema.json")
    o.add(f"# 由 policyc import 从 meta.source 所指的源文件导入；修复与未写入条文的文字见 {imp.version}.import-report.md。")
    o.add("# 导入结果待人工确认：")
    o.add("#   * 每个最小条款的 nature 是按关键词推测的；")
    o.add("#   * 写有金额的条款带 note「待确认（自动提取）」，其下注释是规则草案（awards）；核对后取消注释，")
    o.add("#     改正名称、金额与条件，删除该条款的 nature 与 note，并取消注释 facts 与 evaluation 中的草案。")
    o.add("format: policyc/1")
    o.add(f"policy: {imp.policy_id}")
    o.add(f"version: {imp.version}")
    o.add("")
    o.add("meta:")
    o.add(f"  title: {yaml_scalar(m.title)}")
    if m.doc_number:
        o.add(f"  doc_number: {yaml_scalar(m.doc_number)}")
    o.add(f"  issuer: {yaml_scalar(m.issuer or '待填写：源文件中没有找到发文机关')}")
    if m.published:
        o.add(f"  published: {m.published.isoformat()}")
    o.add(f"  status: {m.status}")
    if parsed.mode == "measures":
        o.add("  numbering: measures")
    if m.effective_text and m.effective_date:
        o.add("  effective:")
        o.add(f"    text: {yaml_scalar(m.effective_text)}")
        if m.effective_clause:
            o.add(f"    clause: {m.effective_clause}")
        if m.after_days is not None:
            o.add(f"    after_publication_days: {m.after_days}")
        o.add(f"    date: {m.effective_date.isoformat()}")
    if m.valid_until and m.effective_date:
        o.add("  validity:")
        if m.validity_text:
            o.add(f"    text: {yaml_scalar(m.validity_text)}")
        if m.validity_years:
            o.add(f"    years: {m.validity_years}")
        o.add(f"    until: {m.valid_until.isoformat()}")
    if m.repeals:
        o.add("  repeals:")
        for number, title in m.repeals:
            o.add(f"    - doc_number: {yaml_scalar(number)}")
            o.add(f"      title: {yaml_scalar(title)}")
    else:
        o.add("  repeals: []")
    o.add("  source:")
    o.add(f"    file: {yaml_scalar(source_file)}")
    o.add(f"    document_title: {yaml_scalar(m.document_title)}")
    if m.consultation:
        o.add("  consultation:")
        for key in ("from", "to"):
            if isinstance(m.consultation.get(key), dt.date):
                o.add(f"    {key}: {m.consultation[key].isoformat()}")
        if "by" in m.consultation:
            o.add(f"    by: {yaml_scalar(str(m.consultation['by']))}")
        if m.consultation.get("contacts"):
            o.add("    contacts:")
            for key, value in m.consultation["contacts"].items():
                o.add(f"      {yaml_scalar(key)}: {yaml_scalar(str(value))}")
    usable = [p for ps in imp.proposals.values() for p in ps if p.usable]
    if usable:
        o.add("")
        o.add("# 待确认（自动提取）：规则草案所需的事实与申报方式，随规则草案一起取消注释。")
        o.add("facts:", True)
        o.add("  申报资格:", True)
        o.add("    type: set", True)
        o.add("    values: qualifications", True)
        o.add("    default: []", True)
        o.add("    label: 本次申报哪些奖励（补贴）事项？", True)
        if any(p.first_time for p in usable):
            o.add("  以往取得资格:", True)
            o.add("    type: set", True)
            o.add("    values: qualifications", True)
            o.add("    default: []", True)
            o.add("    label: 本次申报之前已经取得过哪些资格？", True)
        seen: set[str] = set()
        for p in usable:
            for name, unit, label in p.facts:
                if name in seen:
                    continue
                seen.add(name)
                o.add(f"  {name}:", True)
                o.add("    type: number", True)
                o.add(f"    unit: {unit}", True)
                o.add(f"    label: {yaml_scalar(label)}", True)
        o.add("evaluation:", True)
        o.add("  claims: 申报资格", True)
        if any(p.first_time for p in usable):
            o.add("  previously_obtained: 以往取得资格", True)
    o.add("")
    o.add("structure:")
    for chapter in parsed.chapters:
        o.add(f"  - chapter: {'c' + str(chapter.number) if chapter.number else 'body'}")
        if chapter.title.text:
            o.add(f"    title: {yaml_scalar(chapter.title.text)}")
        o.add("    articles:")
        for art in chapter.articles:
            _render_article(o, imp, art)
    return o


def _render_leaf_rules(o: _Out, imp: ImportResult, address: str, indent: str) -> None:
    o.add(f"{indent}nature: {imp.natures[address]}")
    proposals = imp.proposals.get(address, [])
    if not proposals:
        return
    amounts = "、".join(p.amount for p in proposals)
    if any(p.usable for p in proposals):
        o.add(f"{indent}note: {yaml_scalar(f'待确认（自动提取）：本条款写有金额（{amounts}），规则草案见下方注释')}")
        o.add(f"{indent}awards:", True)
    else:
        o.add(f"{indent}note: {yaml_scalar(f'待确认（自动提取）：本条款写有金额（{amounts}），未能生成可用的规则草案，需人工编码')}")
    for p in proposals:
        if not p.usable:
            continue
        start = len(o.lines) + 1
        o.add(f"{indent}  - id: {p.id}", True)
        o.add(f"{indent}    name: {yaml_scalar(p.name)}", True)
        o.add(f"{indent}    qualification: {yaml_scalar(p.name)}", True)
        if p.first_time:
            o.add(f"{indent}    first_time: true", True)
        if p.one_time:
            o.add(f"{indent}    one_time: true", True)
        o.add(f"{indent}    amount: {yaml_scalar(p.amount)}", True)
        o.add(f"{indent}    note: {yaml_scalar('待确认（自动提取）：「' + p.quote + '」')}", True)
        o.spans[p.id] = (start, len(o.lines))


def _render_article(o: _Out, imp: ImportResult, art: ArticleB) -> None:
    aid = f"a{art.number}"
    o.add(f"      - id: {aid}")
    if art.title is not None:
        o.add(f"        title: {yaml_scalar(art.title.text)}")
    simple = len(art.paragraphs) == 1 and not art.paragraphs[0].items and art.paragraphs[0].text.text
    if simple:
        o.add(f"        text: {yaml_scalar(art.paragraphs[0].text.text)}")
        _render_leaf_rules(o, imp, aid, "        ")
        return
    o.add("        paragraphs:")
    many = len(art.paragraphs) > 1
    for pi, para in enumerate(art.paragraphs, start=1):
        if many:
            o.add(f"          - id: p{pi}")
            o.add(f"            text: {yaml_scalar(para.text.text)}")
        else:
            o.add(f"          - text: {yaml_scalar(para.text.text)}")
        if para.inline:
            o.add("            inline_items: true")
        if not para.items:
            _render_leaf_rules(o, imp, _leaf_address(aid, f"p{pi}"), "            ")
            continue
        o.add("            items:")
        for item in para.items:
            iid = f"p{pi}-i{item.number}" if many else f"i{item.number}"
            o.add(f"              - id: {iid}")
            o.add(f"                text: {yaml_scalar(item.text.text)}")
            _render_leaf_rules(o, imp, _leaf_address(aid, iid), "                ")


# -- the import as a whole ---------------------------------------------------------------------


def _choose(source: Source, docs: list[Document], document: int | None, title: str | None) -> Document:
    importable = [d for d in docs if d.importable]
    if document is not None:
        if not 1 <= document <= len(docs):
            raise _fail("E606", f"--document {document} 超出范围：{source.name} 中共有 {len(docs)} 个文件",
                        Span(source.name, 1, 1), "不带 --document 运行 policyc import 可列出全部文件")
        chosen = docs[document - 1]
        if not chosen.importable:
            raise _fail("E606", f"第 {document} 个文件「{chosen.title or '（无标题）'}」不是办法：{_why_not(source, chosen)}",
                        Span(source.name, chosen.start + 1, 1))
        return chosen
    if title is not None:
        want = normalise(title)
        hits = [d for d in importable if want and want in normalise(d.title)]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise _fail("E607", f"{source.name} 中没有标题含「{title}」的办法", Span(source.name, 1, 1),
                        "不带 --title 运行 policyc import 可列出全部文件")
        names = "；".join(f"第 {d.index} 个「{d.title}」" for d in hits)
        raise _fail("E607", f"标题含「{title}」的办法不止一个：{names}", Span(source.name, 1, 1), "用 --document N 指定")
    if len(importable) == 1:
        return importable[0]
    if not importable:
        raise no_document_error(source, docs)
    raise UsageError(f"{source.name} 中有 {len(importable)} 个办法，请用 --document N 或 --title 标题 指定要导入哪一个"
                     f"（不带 -o 运行可列出全部文件）")


def _why_not(source: Source, doc: Document) -> str:
    if doc.role:
        return doc.role
    lines = source.lines[doc.start : doc.end]
    if any("起草说明" in ln for ln in lines[:8]):
        return "这是起草说明，不是办法正文——没有「第X条」条文，也没有带标题的编号措施"
    return "没有「第X条」条文，也没有带标题的编号措施（一、二、……）"


def no_document_error(source: Source, docs: list[Document]) -> PolicyError:
    reasons = "；".join(f"第 {d.start + 1} {source.unit}起「{d.title or (source.lines[d.start].strip()[:20] + '……')}」：{_why_not(source, d)}"
                        for d in docs[:6])
    return _fail("E605", f"{source.name} 中没有可以导入的办法。{reasons}", Span(source.name, docs[0].start + 1 if docs else 1, 1),
                 "导入需要写有「第一条、第二条……」的办法全文，或以「一、二、……」编号并带标题的措施")


def import_document(path: Path, output: Path | None, *, document: int | None = None, title: str | None = None,
                    policy_id: str | None = None, version: str | None = None) -> ImportResult:
    """Import one document of `path`; nothing is written (the CLI writes the result)."""
    source = read_source(path)
    lines = _lines(source)
    docs = find_documents(lines)
    chosen = _choose(source, docs, document, title)
    parsed = parse_document(source, lines, chosen)
    out_dir = output.parent if output is not None else path.parent
    pid = policy_id or (output.parent.name if output is not None else "imported")
    ver = version or (output.stem if output is not None else ("draft" if DRAFT_MARK_RE.search(parsed.title.text) else "final"))
    for what, value in (("政策编号", pid), ("版本", ver)):
        if not re.fullmatch(r"[a-z][a-z0-9-]*", value):
            raise UsageError(f"{what}「{value}」不是有效的编号（小写字母开头，只含小写字母、数字和连字符）；"
                             "输出文件写作 policies/<政策编号>/<版本>.yaml，或用 --policy-id/--version 指定")
    leaves: list[tuple[str, str, str, str]] = []  # (address, text, lead-in of the article, title)
    for art in parsed.articles:
        lead = art.paragraphs[0].text.text if art.paragraphs else ""
        heading = art.title.text if art.title is not None else ""
        for suffix, leaf in art.leaves():
            leaves.append((_leaf_address(f"a{art.number}", suffix), leaf.text, lead, heading))
    meta = extract_meta(source, lines, chosen, parsed, [(a, t) for a, t, _, _ in leaves])
    counter = [0]
    proposals: dict[str, list[Proposal]] = {}
    natures: dict[str, str] = {}
    for address, text, lead, heading in leaves:
        natures[address] = guess_nature(text, lead)
        found = propose(text, heading, "auto-" + address.replace(".", "-"), counter)
        if found:
            proposals[address] = found
    source_file = Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()
    imp = ImportResult(source, chosen, parsed, meta, pid, ver, "", "", proposals, natures)
    name = display_path(output) if output is not None else f"{pid}/{ver}.yaml"
    _settle_proposals(imp, source_file, name)
    if source_file.startswith("../"):
        parsed.warnings.append(f"源文件不在政策目录中（meta.source.file 为 {source_file}）："
                               "请把它原样复制到 policies/<政策编号>/sources/ 并改写 meta.source.file")
    imp.report = render_report(imp, source_file)
    return imp


def _settle_proposals(imp: ImportResult, source_file: str, name: str) -> None:
    """Render the file, check it, and make sure the proposals are valid rules once uncommented:
    a proposal the checker rejects keeps only its note (the human encodes that clause)."""

    def importer_bug(exc: PolicyError | None) -> PolicyError:
        first = exc.diagnostics[0] if exc and exc.diagnostics else None
        message = "导入结果没有通过检查（这是导入器的缺陷，请报告）" + (f"：{first.message}" if first else "")
        return PolicyError([Diagnostic("E609", message, first.span if first else None)])

    for _ in range(5):
        out = render_policy(imp, source_file)
        live = out.render(live=True)
        try:
            policy_from_tree(parse_yaml(live, name), name)
        except PolicyError as exc:
            lines = {d.span.line for d in exc.diagnostics if d.span}
            bad = {pid for pid, (a, b) in out.spans.items() if any(a <= n <= b for n in lines)}
            if not bad and any(out.lines[n - 1][1] for n in lines if 0 < n <= len(out.lines)):
                # The error is in a proposed fact or in `evaluation`: drop the proposals that
                # need facts, keep the literal amounts.
                bad = {p.id for ps in imp.proposals.values() for p in ps if p.usable and p.facts}
            if not bad:
                raise importer_bug(exc) from None
            for ps in imp.proposals.values():
                for p in ps:
                    p.usable = p.usable and p.id not in bad
            continue
        imp.live_yaml_text = live
        imp.yaml_text = out.render(live=False)
        try:
            policy_from_tree(parse_yaml(imp.yaml_text, name), name)
        except PolicyError as exc:
            raise importer_bug(exc) from None
        return
    raise importer_bug(None)


def render_report(imp: ImportResult, source_file: str) -> str:
    """`<version>.import-report.md`: what was imported, repaired, left out and proposed."""
    p, m, s = imp.parsed, imp.meta, imp.source
    c = p.counts()
    unit = "项措施" if p.mode == "measures" else "条"
    out = [
        f"# 导入报告：{m.document_title}",
        "",
        f"- 源文件：`{source_file}`（{s.encoding}），第 {p.lines[0]}–{p.lines[1]} {s.unit}；文件中的第 {imp.document.index} 个文件",
        f"- 结构：{c['chapters']} 章，{c['articles']} {unit}，{c['paragraphs']} 款，{c['items']} 项",
        f"- 状态：{m.status}" + ("（标题带征求意见稿等字样）" if m.status == "draft" else ""),
    ]
    out += [f"- {f}" for f in m.found]
    if m.effective_text:
        out.append(f"- 施行：「{m.effective_text}」（{m.effective_clause}）"
                   + (f" → {m.effective_date.isoformat()}" if m.effective_date else "（日期无法计算）"))
    if m.validity_text:
        out.append(f"- 有效期：「{m.validity_text}」" + (f" → 至 {m.valid_until.isoformat()}" if m.valid_until else ""))
    for number, title in m.repeals:
        out.append(f"- 废止：《{title}》（{number}）")
    if m.missing:
        out += ["", "## 没有找到、需要人工填写", ""] + [f"- {x}" for x in m.missing]
    if p.warnings:
        out += ["", "## 警告", ""] + [f"- {w}" for w in p.warnings]
    out += ["", f"## 修复（{len(p.repairs)} 处）", "",
            "导入时对文字所做的每一处改动；`policyc check-source` 比对时按同样的规则修复源文件。", ""]
    out += render_repairs(p.repairs, s.path.name)
    out += ["", "## 没有写入条文的文字", "",
            "以下各段原样照录，不属于条文（元数据取自其中）；与条文和上面删除的字符合起来就是所选文件的全部文字。"]
    for ex in p.excluded:
        out += ["", f"### 第 {ex.first}–{ex.last} {s.unit}：{ex.what}", "", "```text", ex.text, "```"]
    if not p.excluded:
        out += ["", "（无：所选文件从标题到最后一条都写入了政策文件。）"]
    proposals = [(a, q) for a, qs in imp.proposals.items() for q in qs]
    out += ["", f"## 规则草案（待确认，共 {len(proposals)} 条）", "",
            "写在政策文件的注释中，不参与校验和求值；人工核对名称、金额与条件后取消注释。", ""]
    cites = {f"a{a.number}": a for a in p.articles}
    for address, q in proposals:
        art = cites[address.split(".")[0]]
        state = "" if q.usable else "（未能生成可用的规则，仅在条款 note 中提示）"
        out.append(f"- `{address}`（第{numbering.zh_number(art.number)}{'项措施' if p.mode == 'measures' else '条'}）"
                   f"`{q.id}` {q.name}：{q.amount}{state}")
    counts: dict[str, int] = {}
    for nature in imp.natures.values():
        counts[nature] = counts.get(nature, 0) + 1
    out += ["", "## 性质（nature）推测", "",
            "按关键词推测，每个最小条款一个，须人工确认：" + "，".join(f"{k} {v}" for k, v in sorted(counts.items())) + "。"]
    return "\n".join(out) + "\n"


def listing(source: Source, docs: list[Document], parsed: dict[int, Parsed]) -> str:
    rows = [f"{source.name}（{source.encoding}）中有 {len(docs)} 个文件："]
    for d in docs:
        title = d.title or f"（无标题）{source.lines[d.start].strip()[:24]}……"
        if d.importable:
            what = f"可导入：{parsed[d.index].summary()}" if d.index in parsed else "可导入"
        else:
            what = d.role or "不是办法"
        rows.append(f"  [{d.index}] 第 {d.start + 1} {source.unit}　{title}　— {what}")
    rows.append("用 --document N（或 --title 标题）选择要导入的文件，用 -o policies/<政策编号>/<版本>.yaml 指定输出。")
    return "\n".join(rows)


# -- commands ----------------------------------------------------------------------------------


def _add_import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", type=Path, help="源文件：.txt（UTF-8、GB18030/GBK）或 .docx")
    p.add_argument("-o", "--output", type=Path, help="输出的政策文件 policies/<政策编号>/<版本>.yaml；省略时只列出文件")
    p.add_argument("--document", type=int, help="导入源文件中的第 N 个文件（见列表）")
    p.add_argument("--title", help="导入标题含此文字的办法")
    p.add_argument("--policy-id", help="政策编号；默认取输出文件所在目录名")
    p.add_argument("--version", help="版本编号；默认取输出文件名")
    p.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")


def cmd_import(args: argparse.Namespace) -> int:
    if args.document is not None and args.title is not None:
        raise UsageError("--document 与 --title 只能用一个")
    if args.output is None:
        source = read_source(args.source)
        lines = _lines(source)
        docs = find_documents(lines)
        parsed: dict[int, Parsed] = {}
        for d in docs:
            if d.importable:
                try:
                    parsed[d.index] = parse_document(source, lines, d)
                except PolicyError:
                    d.kind, d.role = "other", "结构有误，导入时会报告具体位置"
        print(listing(source, docs, parsed))
        if not any(d.importable for d in docs):
            raise no_document_error(source, docs)
        if args.document is not None or args.title is not None:
            chosen = _choose(source, docs, args.document, args.title)
            print(f"\n第 {chosen.index} 个文件：{chosen.title}（{parsed[chosen.index].summary()}）")
            print("\n".join(render_repairs(parsed[chosen.index].repairs, source.path.name)))
        return 0
    if args.output.suffix != ".yaml" or args.output.name.endswith((".cases.yaml", ".facts.yaml")):
        raise UsageError(f"输出文件应为 policies/<政策编号>/<版本>.yaml，而不是 {args.output}")
    if args.output.exists() and not args.force:
        raise UsageError(f"{args.output} 已存在；导入不会覆盖已有的政策文件（确需覆盖时加 --force）")
    imp = import_document(args.source, args.output, document=args.document, title=args.title,
                          policy_id=args.policy_id, version=args.version)
    report_path = args.output.with_name(f"{imp.version}.import-report.md")
    atomic_write(args.output, imp.yaml_text.encode("utf-8"))
    atomic_write(report_path, imp.report.encode("utf-8"))
    p = imp.parsed
    n_prop = sum(len(v) for v in imp.proposals.values())
    print(f"已导入「{imp.meta.document_title}」（{p.summary()}）→ {display_path(args.output)}")
    print(f"修复 {len(p.repairs)} 处，未写入条文的文字 {len(p.excluded)} 段，规则草案 {n_prop} 条（待确认）；"
          f"详见 {display_path(report_path)}")
    for warning in p.warnings + [f"未找到：{x}" for x in imp.meta.missing]:
        print(f"  注意：{warning}")
    return 0


def find_in_source(source: Source, title: str) -> tuple[list[Line], Document] | None:
    """The document of a source file whose title (normalised) is `title`."""
    lines = _lines(source)
    want = normalise(title)
    for doc in find_documents(lines):
        if doc.importable and normalise(doc.title) == want:
            return lines, doc
    return None


def check_source(policy: Policy, policy_path: Path, source_path: Path | None) -> tuple[list[Diagnostic], Parsed | None]:
    """Compare every clause of `policy` with its source document (see compiler/documents/text.py)."""
    path = source_path or policy_path.parent / policy.meta.source_file
    try:
        source = read_source(path)
    except PolicyError as exc:
        return [Diagnostic("E501", f"无法读取源文件：{d.message}", d.span) for d in exc.diagnostics], None
    title = policy.meta.document_title or policy.meta.title
    found = find_in_source(source, title)
    if found is None:
        return [Diagnostic("E502", f"源文件 {source.name} 中找不到标题为「{title}」的办法",
                           policy.spans.get("source.document_title"),
                           hint="meta.source.document_title 应与源文件中的标题行一致")], None
    lines, doc = found
    parsed = parse_document(source, lines, doc)
    return compare_clauses(policy, source_text(source, parsed)), parsed


def _add_check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", type=Path, nargs="?", help="政策文件；省略时检查 policies/ 下全部")
    p.add_argument("source", type=Path, nargs="?", help="源文件；默认为 meta.source.file")


def cmd_check_source(args: argparse.Namespace) -> int:

    if args.policy is None:
        if args.source is not None:  # pragma: no cover - argparse fills policy first
            raise UsageError("指定源文件时必须同时指定政策文件")
        files = find_policy_files(find_root(args.root) / "policies")
    else:
        files = [args.policy]
    errors: list[Diagnostic] = []
    for path in files:
        try:
            policy = load_policy(path)
        except PolicyError as exc:  # report every policy, not only the first broken one
            errors.extend(exc.diagnostics)
            continue
        diags, parsed = check_source(policy, path, args.source)
        if diags:
            errors.extend(diags)
            continue
        assert parsed is not None
        print(f"✓ {display_path(path)}：{parsed.summary()}与源文件一致"
              f"（源文件按导入规则修复 {len(parsed.repairs)} 处）")
    if errors:
        print(render_all(errors), file=sys.stderr)
        return 1
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "import": ("从源文件（.txt/.docx）导入办法，生成政策文件骨架与导入报告", _add_import_arguments, cmd_import),
    "check-source": ("逐条（款、项）比对政策文件与源文件，报告缺少或多出的字", _add_check_arguments, cmd_check_source),
}
