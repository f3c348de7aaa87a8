"""The structure of one document: 章/条/款/项 (or numbered measures), joined across page breaks,
with every repair recorded and every line kept out of the clauses listed verbatim."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compiler.documents.text import (
    Located,
    Repair,
    SourceArticle,
    SourceText,
    ends_sentence,
    join_cut,
    tidy_spacing,
)
from compiler.importer.documents import Document, measure_lines, toc_end
from compiler.importer.lines import (
    ARTICLE_RE,
    ITEM_RE,
    MEASURE_RE,
    SUB_POINT_RE,
    SUBJECT_RE,
    Line,
    chapter_match,
    is_table_row,
    measure_match,
    signature_at,
    zh_to_int,
)
from compiler.importer.read import Source, fail
from compiler.lang import numbering
from compiler.source.diagnostics import PolicyError, Span


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
    # An excerpt starts past 第一章 / 第一条: the numbers it starts at (1 otherwise).
    first_chapter: int = 1
    first_article: int = 1

    @property
    def excerpt(self) -> bool:
        return self.first_chapter > 1 or self.first_article > 1

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

    kind: str  # "chapter" | "article" | "item" | "measure" | "text" | "point" (1. 2.) | "row" (a table)
    number: int
    label: Located
    text: Located
    heading: bool


class _Parser:
    def __init__(self, source: Source, lines: list[Line], mode: str, excerpt: bool = False) -> None:
        self.source = source
        self.lines = lines
        self.mode = mode
        self.excerpt = excerpt  # the numbering may start past 第一章 / 第一条
        self.first_chapter = 1
        self.first_article = 1
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
            m = chapter_match(line)
            if m:
                return "chapter", zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
            m = ARTICLE_RE.match(line.clean)
            if m:
                return "article", zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
        else:
            m = MEASURE_RE.match(line.clean)
            if m and (measure_match(line) or line.heading):
                return "measure", zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
        m = ITEM_RE.match(line.clean)
        if m:
            return "item", zh_to_int(m.group(1)), loc[: m.start(2)], loc[m.start(2) :]
        if is_table_row(line.clean):
            return "row", 0, Located("", []), loc
        if SUB_POINT_RE.match(line.clean):
            # A numbered sub-point (1. 2.): never joined with the line before, and printed as it
            # stands (the model's 项 are （一）（二）, so its number stays in the text).
            return "point", 0, Located("", []), loc
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
            spacing: list[Repair] = []
            if kind == "row":
                text = rest.strip()  # the spaces between cells are the table's
            else:
                text, spacing = tidy_spacing(rest)
            self.repairs.extend(spacing)
            prev = paras[-1] if paras else None
            if (kind == "text" and prev is not None and prev.kind in ("article", "item", "text", "point")
                    and not prev.heading and not ends_sentence(prev.text.text) and text.text
                    and not (prev.kind == "article" and SUBJECT_RE.fullmatch(prev.text.text.strip()))):
                joined, repairs = join_cut(prev.text, text, blanks)
                prev.text = joined
                self.repairs.extend(repairs)
            else:
                paras.append(_Para(kind, number, label, text, line.heading and kind != "item"))
            blanks = 0
        return paras

    def error(self, line: int, message: str, hint: str | None = None) -> PolicyError:
        return fail("E608", message, self.span(line), hint)

    def build(self, paras: list[_Para]) -> list[ChapterB]:
        chapters: list[ChapterB] = []
        current: ArticleB | None = None
        untitled = ChapterB(0, Located("", []))

        def chapter() -> ChapterB:
            if not chapters:
                chapters.append(untitled)
            return chapters[-1]

        article_count = 0
        any_article = False
        for para in paras:
            line = para.text.first_line or para.label.first_line
            # An excerpt's numbering starts where its first 章 and 条 are (第三章, 第十六条).
            if self.excerpt and para.kind == "chapter" and not chapters and not any_article:
                self.first_chapter = para.number
            if self.excerpt and para.kind == "article" and not any_article:
                self.first_article = para.number
                article_count = para.number - 1
            any_article = any_article or para.kind in ("article", "measure")
            if para.kind == "chapter":
                expected = len([c for c in chapters if c.number]) + self.first_chapter
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
                body = para.text
                subject = SUBJECT_RE.match(body.text) if para.kind == "article" else None
                if subject:
                    # 第一条 （目的和依据）为了……: the bracketed subject is the article's title.
                    title, body = body[: subject.end()], body[subject.end() :].strip()
                if para.kind == "measure":
                    title = para.text  # 一、出疆棉运费补贴: the heading; the body follows
                elif body.text:
                    paragraphs.append(self.inline_items(body))
                elif not subject:  # after a subject alone, the text follows as 款
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
                    where = (f"第{numbering.zh_number(current.number)}"
                             f"{'条' if self.mode == 'articles' else '项措施'}中")
                    after = (f"（{numbering.zh_number(len(target.items))}）之后是" if target.items
                             else "第一项应为（一），这里是")
                    raise self.error(line, f"项的编号不连续：{where}{after}「{para.label.text.strip()}」")
            elif (para.kind == "point" and self.mode == "measures" and current.paragraphs
                  and current.paragraphs[-1].items and not current.paragraphs[-1].inline):
                # 1. 2. below a sub-heading （一）: they belong to that 项, one per line.
                item = current.paragraphs[-1].items[-1]
                end = item.text.where[-1] if item.text.where else (line, 1)
                item.text = item.text + Located("\n", [end]) + para.text
            else:  # text or point: a 款
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


def parse_document(source: Source, lines: list[Line], doc: Document) -> Parsed:
    """The chosen document → chapters, articles (or measures), 款 and 项, with every repair."""
    mode = "measures" if doc.kind == "measures" else "articles"
    parser = _Parser(source, lines, mode, doc.excerpt)
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
        heads = measure_lines(lines, doc, minimum=1) or []
        body_start = heads[0]
        front = "通知的文号、主送机关和引言（元数据取自这里）"
    else:
        body_start = next(i for i in range(t1 + 1, doc.end)
                          if chapter_match(lines[i]) or ARTICLE_RE.match(lines[i].clean))
        front = "标题与正文之间的文字"
        toc = toc_end(lines, body_start)
        if toc is not None:  # a table of contents: kept out, like the text before it
            parser.exclude(t1 + 1, body_start - 1, front)
            front, t1, body_start = "目录", body_start - 1, toc
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
        if signature_at(lines, i, doc.end) is not None or (blanks >= 3 and ends_sentence(last_text)):
            body_end = i
            break
        blanks, last_text = 0, line.clean
    if body_end < doc.end:
        sig = signature_at(lines, body_end, doc.end)
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
        raise fail("E605", f"{source.name} 中「{doc.title}」没有条文", Span(source.name, lines[t0].no, 1))
    last = max((i for i in range(doc.start, doc.end) if not lines[i].blank), default=doc.start)
    parsed = Parsed(mode, title, chapters, sorted(parser.repairs, key=lambda r: (r.line, r.col)),
                    sorted(parser.excluded, key=lambda e: e.first), (lines[doc.start].no, lines[last].no),
                    parser.warnings, parser.first_chapter, parser.first_article)
    if parsed.excerpt:
        parser.warnings.insert(0, excerpt_note(parsed))
    return parsed


def excerpt_note(parsed: Parsed) -> str:
    """What an excerpt lacks, in words: 源文件是节选，从第三章第十六条开始（……不在源文件中）."""
    start = (f"第{numbering.zh_number(parsed.first_chapter)}章" if parsed.first_chapter > 1 else "") \
        + f"第{numbering.zh_number(parsed.first_article)}条"
    missing = []
    if parsed.first_chapter > 1:
        missing.append(f"第一章至第{numbering.zh_number(parsed.first_chapter - 1)}章")
    if parsed.first_article > 1:
        missing.append(f"第一条至第{numbering.zh_number(parsed.first_article - 1)}条")
    return f"源文件是节选，从{start}开始（{'、'.join(missing)}不在源文件中）"


def source_text(source: Source, parsed: Parsed) -> SourceText:
    """The parsed document in the form `text.compare_clauses` compares a policy with."""
    return SourceText(
        source.name, parsed.title,
        {c.number: c.title for c in parsed.chapters if c.number},
        [SourceArticle(a.number, a.located(), a.chapter) for a in parsed.articles],
        parsed.repairs,
    )
