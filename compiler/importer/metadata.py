"""The metadata of an imported 办法: title, 文号, issuer, dates, validity, repeals and a draft's
consultation, each with where it was found; what cannot be found is listed, never invented."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from compiler.documents.text import ends_sentence
from compiler.importer.documents import Document
from compiler.importer.lines import (
    DATE_AND_NUMBER_RE,
    DATE_RE,
    DOC_NUMBER_RE,
    DRAFT_MARK_RE,
    Line,
    date_of,
    is_date_line,
    is_metadata_line,
    issuer_of,
    signature_at,
)
from compiler.importer.read import Source
from compiler.importer.structure import Parsed
from compiler.lang import numbering
from compiler.lang.effect import (
    AFTER_PUBLICATION,
    DATE_RANGE,
    FROM_DATE,
    ON_PUBLICATION,
    VALIDITY_YEARS,
)
from compiler.model.policy import effective_after, valid_until
from compiler.runtime.core import CalendarError


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


REPEAL = re.compile(r"《([^》]+)》[（(]([^（）()]*?〔\d{4}〕\d+号)[）)]")


def doc_number_of(text: str) -> str | None:
    """The 文号 a line holds when it holds only that, or that and a date (2006年10月26日
    财建〔2006〕689号; 津政办规〔2023〕4号 2023-04-11), brackets normalised to 〔〕."""
    text = text.strip()
    m = DOC_NUMBER_RE.match(text)
    if not m:
        rest = _LINE_DATE.sub(" ", text).strip()
        m = DOC_NUMBER_RE.match(rest) if rest != text else None
    if not m:
        return None
    return f"{m.group(1)}〔{m.group(2)}〕{int(m.group(3))}号"


_LINE_DATE = re.compile(r"^\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s+|\s+\d{4}-\d{2}-\d{2}$")


def _around_title(lines: list[Line], doc: Document) -> list[int]:
    """The lines printed next to a title that may carry its metadata: up to four lines above it
    (issuers, a date; not past a sentence) and those between it and the text (文号, issuer)."""
    t0, t1 = doc.title_lines
    out: list[int] = []
    p, seen = t0 - 1, 0
    while p >= 0 and seen < 4:
        if not lines[p].blank:
            if ends_sentence(lines[p].clean) and not is_metadata_line(lines[p]):
                break
            out.append(p)
            seen += 1
        p -= 1
    q = t1 + 1
    while q < min(len(lines), t1 + 8) and (lines[q].blank or is_metadata_line(lines[q])):
        if not lines[q].blank:
            out.append(q)
        q += 1
    return out


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
            number = doc_number_of(lines[i].clean)
            if number and meta.doc_number is None:
                meta.doc_number = number
                meta.found.append(f"文号：第 {lines[i].no} {source.unit}")
    for part in [doc.notice, doc] if doc.notice else [doc]:
        for i in range(part.start, part.end):
            date_line = signature_at(lines, i, part.end)
            if date_line is not None and meta.issuer is None:
                meta.issuer = issuer_of(lines[i].clean)
                day = date_of(lines[date_line].clean)
                meta.found.append(f"发文机关与日期：第 {lines[i].no}–{lines[date_line].no} {source.unit}（落款）")
                if status == "issued":
                    meta.published = day
                else:
                    meta.consultation["by"] = meta.issuer
    for part in [doc.notice, doc] if doc.notice else [doc]:
        for i in _around_title(lines, part):
            text = lines[i].clean
            where = "标题之前" if i < part.title_lines[0] else "标题之后"
            if meta.issuer is None and (issuer := issuer_of(text)):
                meta.issuer = issuer
                meta.found.append(f"发文机关：第 {lines[i].no} {source.unit}（{where}单独一行）")
            if meta.doc_number is None and (number := doc_number_of(text)):
                meta.doc_number = number
                meta.found.append(f"文号：第 {lines[i].no} {source.unit}（{where}）")
            day = date_of(text) if is_date_line(lines[i]) or DATE_AND_NUMBER_RE.match(text) else None
            if meta.published is None and status == "issued" and day is not None:
                meta.published = day
                meta.found.append(f"发布日期：第 {lines[i].no} {source.unit}（{where}）")
    if meta.published is None and status == "issued" and doc.notice is not None:
        for i in range(doc.notice.start, doc.notice.end):
            if is_date_line(lines[i]) and (day := date_of(lines[i].clean)):
                meta.published = day  # a notice dated on a line of its own, without a signature
                meta.found.append(f"发布日期：第 {lines[i].no} {source.unit}（通知的日期）")
                break
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
                        number = doc_number_of(m.group(2)) or m.group(2)
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
        m = DATE_RANGE.search(compact)
        if m:
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.effective_date, meta.valid_until = _date(m, 1), _date(m, 4)
            meta.validity_text = m.group(0)
        elif m := AFTER_PUBLICATION.search(compact):
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.after_days = numbering.parse_zh_number(m.group(1))
            if meta.published:
                try:
                    meta.effective_date = effective_after(meta.published, meta.after_days)
                except CalendarError:
                    pass  # only for a source dated near 9999: listed as missing later
        elif m := FROM_DATE.search(compact):
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.effective_date = _date(m)
        elif m := ON_PUBLICATION.search(compact):
            meta.effective_text, meta.effective_clause = m.group(0), address
            meta.effective_date = meta.published
    if meta.validity_years is None and (v := VALIDITY_YEARS.search(compact)):
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
