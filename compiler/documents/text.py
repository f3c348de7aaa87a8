"""The 办法's text: rebuild it from the YAML, normalise it, repair PDF artefacts, and compare it
with the source file clause by clause.

Normalisation removes what is not substance in a Chinese document: whitespace, full-width vs
half-width forms (NFKC), quotation-mark styles, markdown left by PDF conversion, and 第1章 vs
第一章. What remains must be identical between the YAML and the issued text.

Repairs go further than normalisation: they change the text a drafter will read (a paragraph cut
by a page break is joined, a word repeated across the cut is removed, markdown is stripped). They
are never silent: every repair is a `Repair` record with its source line, column and the exact
characters removed, so the import report can list it and a test can undo it.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from compiler.lang import numbering
from compiler.model.policy import Clause, Policy
from compiler.source.diagnostics import Diagnostic, Span

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "『": '"', "』": '"'})
_ARABIC_HEADING = re.compile(r"第(\d+)([章节条])")
_WS = re.compile(r"\s+")


def normalise_with_map(text: str) -> tuple[str, list[int]]:
    """`normalise(text)` and, for each of its characters, the index in `text` it comes from.

    The map lets a comparison point at the source line of a difference after normalisation has
    removed whitespace and markup."""
    # 1. 第1章 → 第一章: the printed number form is not substance.
    chars: list[tuple[str, int]] = []
    pos = 0
    for m in _ARABIC_HEADING.finditer(text):
        chars.extend((ch, i) for i, ch in enumerate(text[pos : m.start()], pos))
        zh = f"第{numbering.zh_number(int(m.group(1)))}{m.group(2)}" if int(m.group(1)) > 0 else m.group(0)
        chars.extend((ch, m.start()) for ch in zh)
        pos = m.end()
    chars.extend((ch, i) for i, ch in enumerate(text[pos:], pos))
    # 2. Markdown emphasis and headings left by PDF conversion.
    kept: list[tuple[str, int]] = []
    i = 0
    while i < len(chars):
        ch = chars[i][0]
        if ch == "*" and i + 1 < len(chars) and chars[i + 1][0] == "*":
            i += 2
            continue
        if ch != "#":
            kept.append(chars[i])
        i += 1
    # 3. Full-width/half-width forms, quotation marks and whitespace.
    out: list[str] = []
    where: list[int] = []
    for ch, src in kept:
        for n in unicodedata.normalize("NFKC", ch).translate(_QUOTES):
            if not n.isspace():
                out.append(n)
                where.append(src)
    return "".join(out), where


def normalise(text: str) -> str:
    """Text reduced to its substance, for comparisons (see the module docstring)."""
    return normalise_with_map(text)[0]


# -- located text and repairs ------------------------------------------------------------------

@dataclass
class Located:
    """A string whose every character knows its (line, column) in the source file (1-based)."""

    text: str
    where: list[tuple[int, int]]

    @classmethod
    def line(cls, text: str, line_no: int) -> Located:
        return cls(text, [(line_no, c + 1) for c in range(len(text))])

    def __add__(self, other: Located) -> Located:
        return Located(self.text + other.text, self.where + other.where)

    def __getitem__(self, index: slice) -> Located:
        return Located(self.text[index], self.where[index])

    def strip(self) -> Located:
        start = len(self.text) - len(self.text.lstrip())
        end = len(self.text.rstrip())
        return self[start:end] if end > start else Located("", [])

    @property
    def first_line(self) -> int:
        return self.where[0][0] if self.where else 0

    @property
    def last_line(self) -> int:
        return self.where[-1][0] if self.where else 0


REPAIR_ZH = {
    "markup": "去除 PDF 转换留下的标记",
    "page-break": "合并被分页截断的段落",
    "line-break": "合并被断行截断的段落",
    "duplicate": "删除分页处重复的字",
    "spacing": "删除中文之间的排版空格",
    "numbering": "编号写法（按序号理解，文字未改）",
    "pinyin": "删除转载网站插入的拼音",
    "traditional": "繁体字改为简体（转载网站的繁体本）",
}


@dataclass(frozen=True)
class Repair:
    """One change made to the source text on import, never silent (see the module docstring)."""

    kind: str  # a key of REPAIR_ZH
    line: int
    col: int
    removed: str  # characters removed from the source at (line, col); "" when nothing was removed
    detail: str


_BOOKMARK = re.compile(r"\[bookmark: [^\]]*\]")
_HEADING_MARK = re.compile(r"^(\s*)(#{1,6})(\s*)")
_LIST_MARK = re.compile(r"^(\s*)([-*+•])(\s+)")


def strip_markup(loc: Located) -> tuple[Located, list[Repair], bool]:
    """Remove markdown left by PDF/Word conversion: `#` headings, list markers, `**`, bookmarks.

    Returns the cleaned text, one repair per removal and whether the line was a markdown heading
    (a heading is never joined with the line after it)."""
    repairs: list[Repair] = []

    def cut(loc: Located, start: int, end: int, what: str) -> Located:
        line, col = loc.where[start]
        repairs.append(Repair("markup", line, col, loc.text[start:end], what))
        return loc[:start] + loc[end:]

    for bm in reversed(list(_BOOKMARK.finditer(loc.text))):
        loc = cut(loc, bm.start(), bm.end(), "Word 书签标记")
    heading = False
    hm = _HEADING_MARK.match(loc.text)
    if hm:
        heading = True
        loc = cut(loc, hm.start(2), hm.end(3), "markdown 标题符号")
    lm = _LIST_MARK.match(loc.text)
    if lm and not loc.text[lm.end(2) :].startswith("*"):
        loc = cut(loc, lm.start(2), lm.end(3), "markdown 列表符号")
    while (i := loc.text.find("**")) >= 0:
        loc = cut(loc, i, i + 2, "markdown 加粗符号")
    return loc, sorted(repairs, key=lambda r: (r.line, r.col)), heading


def _is_cjk(ch: str) -> bool:
    o = ord(ch)
    return (0x3000 <= o <= 0x303F or 0x3400 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF
            or 0xFF00 <= o <= 0xFFEF or 0x2E80 <= o <= 0x2FDF or 0x20000 <= o <= 0x2FFFF
            or ch in "“”‘’—…·")


_INNER_WS = re.compile(r"[ \t\u3000\u00a0]+")


def tidy_spacing(loc: Located) -> tuple[Located, list[Repair]]:
    """Remove spaces that touch a Chinese character ("5 年" → "5年"); trim both ends.

    PDF conversion and letter-spaced headings ("总  则") put them there; Chinese text has none.
    Spaces between two Latin letters or digits ("ISO 9001") are kept."""
    loc = loc.strip()
    repairs: list[Repair] = []
    for m in reversed(list(_INNER_WS.finditer(loc.text))):
        before, after = loc.text[m.start() - 1], loc.text[m.end()]
        if _is_cjk(before) or _is_cjk(after):
            line, col = loc.where[m.start()]
            ctx = loc.text[max(0, m.start() - 6) : m.end() + 6]
            repairs.append(Repair("spacing", line, col, m.group(0), f"「{ctx}」"))
            loc = loc[: m.start()] + loc[m.end() :]
    return loc, sorted(repairs, key=lambda r: (r.line, r.col))


TERMINAL = set("。；：！？.;:!?")
CLOSERS = set("”’」』）)】]》〉\"'")
# Characters that Chinese legitimately doubles (人人, 常常, 时时 …): a page break between two of
# them is not taken for a repeated word.
_REDUPLICABLE = set("人天年月日时处事家户件条项常渐刚仅恰往纷统切稍层步个样种")


def ends_sentence(text: str) -> bool:
    """Whether a paragraph ends with sentence-final punctuation (closing quotes/brackets skipped)."""
    stripped = text.rstrip()
    while stripped and stripped[-1] in CLOSERS:
        stripped = stripped[:-1]
    return bool(stripped) and stripped[-1] in TERMINAL


def join_cut(prev: Located, nxt: Located, blank_lines: int) -> tuple[Located, list[Repair]]:
    """Join a paragraph cut by a page break (or a line wrap) and drop a word repeated at the cut.

    The repeated word is the longest k ≤ 4 Chinese characters that end `prev` and start `nxt`
    ("在整体设计基" + "基础上"). Single reduplicable characters are left alone (see above)."""
    repairs: list[Repair] = []
    kind = "page-break" if blank_lines else "line-break"
    tail, head = prev.text[-8:], nxt.text[:8]
    line = nxt.first_line
    repairs.append(Repair(kind, line, 1, "", f"第{prev.last_line}行与第{line}行连成一段：「…{tail}⏎{head}…」"))
    for k in range(4, 0, -1):
        if len(prev.text) < k or len(nxt.text) <= k:
            continue
        word = prev.text[-k:]
        if nxt.text[:k] != word or not all(_is_cjk(c) and c not in TERMINAL for c in word):
            continue
        if k == 1 and word in _REDUPLICABLE:
            continue
        at_line, at_col = nxt.where[0]
        repairs.append(Repair("duplicate", at_line, at_col, word, f"「…{tail}⏎{head}…」中分页前后重复的「{word}」"))
        nxt = nxt[k:]
        break
    return prev + nxt, repairs


def render_repairs(repairs: Sequence[Repair], source_name: str) -> list[str]:
    """The repair report as markdown lines: one table, one row per repair, in source order."""
    if not repairs:
        return ["没有修复：源文件没有分页截断、重复字或 PDF 标记。"]
    counts: dict[str, int] = {}
    for r in repairs:
        counts[r.kind] = counts.get(r.kind, 0) + 1
    out = ["；".join(f"{REPAIR_ZH[k]} {n} 处" for k, n in counts.items()) + "。", "",
           "| 位置 | 修复 | 删除的字符 | 说明 |", "|---|---|---|---|"]
    rows: list[tuple[Repair, list[str], list[str]]] = []
    for r in sorted(repairs, key=lambda r: (r.line, r.col, r.kind)):
        removed = f"`{r.removed}`" if r.removed.strip() else ("（空格）" if r.removed else "（无）")
        detail = r.detail.replace("|", "\\|")
        if rows and rows[-1][0].kind == r.kind == "markup" and rows[-1][0].line == r.line:
            rows[-1][1].append(removed)  # one row per line for markup: 「**第一条**」 is one fix
            if detail not in rows[-1][2]:
                rows[-1][2].append(detail)
            continue
        rows.append((r, [removed], [detail]))
    for r, removed_list, details in rows:
        out.append(f"| {source_name}:{r.line}:{r.col} | {REPAIR_ZH[r.kind]} | {' '.join(removed_list)} | {'、'.join(details)} |")
    return out


# -- printing the text from the YAML -----------------------------------------------------------

def article_label(article: Clause, measures: bool = False) -> str:
    """第十一条, or 十一、 for a document of numbered measures."""
    if measures:
        return f"{numbering.zh_number(article.article_no)}、"
    return f"{numbering.article_label(article.article_no)} "


def article_pieces(article: Clause, measures: bool = False) -> list[tuple[str, Clause]]:
    """The printed text of one article in order, each piece with the clause it belongs to."""
    pieces: list[tuple[str, Clause]] = [(article_label(article, measures), article)]
    title = article.title
    if title:
        pieces.append((title, article))
    for para in article.children or [article]:
        if para.text:
            pieces.append((para.text, para))
        for item in para.children:
            pieces.append((f"{numbering.item_label(item.item_no or 0)}{item.text}", item))
    return pieces


def article_lines(article: Clause, measures: bool = False) -> list[str]:
    """The printed lines of one article: 第X条 + first 款; items inline or one per line.

    A numbered measure prints 一、<title> on its own line, then its 款."""
    lines: list[str] = []
    title = article.title
    if title:
        lines.append(article_label(article, measures).rstrip() + title)
    paragraphs = article.children or [article]
    for pi, para in enumerate(paragraphs):
        head = article_label(article, measures) if pi == 0 and not title else ""
        line = head + para.text
        items = [f"{numbering.item_label(i.item_no or 0)}{i.text}" for i in para.children]
        if para.inline_items:
            lines.append(line + "".join(items))
        else:
            lines.append(line)
            lines.extend(items)
    return [ln for ln in lines if ln.strip()]


def is_measures(policy: Policy) -> bool:
    return policy.meta.numbering == "measures"


def rebuild(policy: Policy) -> str:
    """The whole 办法 as plain text, rebuilt from the YAML (numbers derived from the order)."""
    measures = is_measures(policy)
    out = [policy.meta.title, ""]
    for chapter in policy.chapters:
        if chapter.title:  # a document without 章 is one chapter without a title
            out.append(f"{numbering.chapter_label(chapter.number)} {chapter.title}")
        for article in chapter.articles:
            out.extend(article_lines(article, measures))
    return "\n".join(out) + "\n"


# -- the article-level comparison used by the build tests --------------------------------------

def _describe_op(op: str, source: str, a0: int, a1: int, yaml_text: str, b0: int, b1: int) -> str:
    ctx = source[max(0, a0 - 6) : a0]
    if op == "delete":
        return f"在「…{ctx}」之后缺少「{source[a0:a1]}」"
    if op == "insert":
        return f"在「…{ctx}」之后多出「{yaml_text[b0:b1]}」"
    return f"在「…{ctx}」之后，源文件为「{source[a0:a1]}」，YAML 为「{yaml_text[b0:b1]}」"


def describe_difference(source: str, yaml_text: str) -> str:
    """Characters missing from / added to the YAML, in Chinese, for a drafter to fix."""
    parts = []
    matcher = difflib.SequenceMatcher(None, source, yaml_text, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op != "equal":
            parts.append(_describe_op(op, source, a0, a1, yaml_text, b0, b1))
    return "；".join(parts[:5]) + ("……" if len(parts) > 5 else "")


# -- the clause-level comparison (policyc check-source) ----------------------------------------

@dataclass
class SourceArticle:
    """One article (or numbered measure) of the source as printed, after the import repairs."""

    number: int
    text: Located  # label, title, 款 and 项 in order
    chapter: int  # the chapter it is printed in (0: the document has no chapters)


@dataclass
class SourceText:
    """The clauses of one document of a source file, as `policyc check-source` compares them."""

    file: str
    title: Located
    chapters: dict[int, Located]  # chapter number → title (without 第X章)
    articles: list[SourceArticle]
    repairs: list[Repair] = field(default_factory=list)


@dataclass
class ClauseDifference:
    clause: Clause
    source_line: int
    descriptions: list[str]


def _owner(where: Sequence[int], index: int) -> int:
    """The original index a normalised position belongs to (the last one for an end position)."""
    if not where:
        return 0
    return where[min(max(index, 0), len(where) - 1)]


def diff_article(article: Clause, pieces: Sequence[tuple[str, Clause]], source: Located) -> list[ClauseDifference]:
    """Differences between one YAML article and its source text, attributed to the clause (款 or
    项) they fall in and to the source line they come from."""
    yaml_text = "".join(p for p, _ in pieces)
    owners: list[Clause] = [c for p, c in pieces for _ in p]
    got, got_where = normalise_with_map(yaml_text)
    want, want_where = normalise_with_map(source.text)
    if got == want:
        return []
    found: dict[int, ClauseDifference] = {}
    matcher = difflib.SequenceMatcher(None, want, got, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            continue
        b_at = b0 if b1 > b0 else max(b0 - 1, 0)
        clause = owners[_owner(got_where, b_at)] if owners else article
        a_at = a0 if a1 > a0 else max(a0 - 1, 0)
        src_index = _owner(want_where, a_at)
        line = source.where[src_index][0] if source.where else 0
        entry = found.setdefault(id(clause), ClauseDifference(clause, line, []))
        entry.descriptions.append(_describe_original(op, source.text, want_where, a0, a1, yaml_text, got_where, b0, b1))
    return list(found.values())


def _original(text: str, where: Sequence[int], start: int, end: int) -> str:
    """The original characters behind normalised positions [start, end), whitespace dropped."""
    if end <= start or not where:
        return ""
    return re.sub(r"\s+", "", text[where[start] : where[end - 1] + 1])


def _describe_original(op: str, source: str, s_where: Sequence[int], a0: int, a1: int,
                       yaml_text: str, y_where: Sequence[int], b0: int, b1: int) -> str:
    """Like `_describe_op`, but quoting the characters as written (full-width, quotes) rather
    than their normalised forms, so the drafter finds them in the file."""
    ctx = _original(source, s_where, max(0, a0 - 6), a0)
    if op == "delete":
        return f"在「…{ctx}」之后缺少「{_original(source, s_where, a0, a1)}」"
    if op == "insert":
        return f"在「…{ctx}」之后多出「{_original(yaml_text, y_where, b0, b1)}」"
    return (f"在「…{ctx}」之后，源文件为「{_original(source, s_where, a0, a1)}」，"
            f"YAML 为「{_original(yaml_text, y_where, b0, b1)}」")


def _insertion_point(policy: Policy, *, chapter: int = 0, article: int = 0) -> Span | None:
    """Where a chapter or article missing from the YAML belongs: the YAML chapter or article
    just before it (or the first one), so the message points into the file."""
    if chapter:
        before = [c for c in policy.chapters if c.number < chapter] or policy.chapters[:1]
        return before[-1].span if before else None
    arts = [a for a in policy.articles if a.article_no < article] or policy.articles[:1]
    return arts[-1].span if arts else None


def compare_clauses(policy: Policy, source: SourceText) -> list[Diagnostic]:
    """Every clause of the policy against the source after normalisation; one diagnostic per
    clause that differs, naming the characters missing or added and both locations."""
    measures = is_measures(policy)
    diags: list[Diagnostic] = []
    src_by_no = {a.number: a for a in source.articles}
    for chapter in policy.chapters:
        label = numbering.chapter_label(chapter.number)
        src_title = source.chapters.get(chapter.number)
        if chapter.title and src_title is None:
            diags.append(Diagnostic("E503", f"源文件没有{label}（YAML 为「{chapter.title}」）", chapter.span, label))
        elif src_title is not None and normalise(chapter.title) != normalise(src_title.text):
            diags.append(Diagnostic(
                "E504", f"{label}的标题与源文件不一致：{describe_difference(normalise(src_title.text), normalise(chapter.title))}",
                chapter.span, label, hint=f"源文件 {source.file}:{src_title.first_line}",
            ))
    for number in sorted(set(source.chapters) - {c.number for c in policy.chapters if c.title}):
        diags.append(Diagnostic(
            "E503", f"源文件有{numbering.chapter_label(number)}「{source.chapters[number].text}」，YAML 中没有",
            _insertion_point(policy, chapter=number),
            numbering.chapter_label(number), hint=f"源文件 {source.file}:{source.chapters[number].first_line}",
        ))
    for chapter in policy.chapters:
        for article in chapter.articles:
            src = src_by_no.get(article.article_no)
            if src is None:
                diags.append(Diagnostic("E503", f"源文件中没有{article.cite}", article.span, article.cite))
                continue
            if chapter.title and src.chapter != chapter.number:
                diags.append(Diagnostic(
                    "E504", f"{article.cite}在源文件中属于{numbering.chapter_label(src.chapter)}，"
                    f"YAML 中属于{numbering.chapter_label(chapter.number)}", article.span, article.cite,
                    hint=f"源文件 {source.file}:{src.text.first_line}",
                ))
            for diff in diff_article(article, article_pieces(article, measures), src.text):
                shown = diff.descriptions[:5]
                more = "……" if len(diff.descriptions) > 5 else ""
                diags.append(Diagnostic(
                    "E504", f"{diff.clause.cite}与源文件不一致：{'；'.join(shown)}{more}",
                    diff.clause.text_span or diff.clause.span, diff.clause.cite,
                    hint=f"源文件 {source.file}:{diff.source_line}",
                ))
    yaml_numbers = {a.article_no for a in policy.articles}
    for src in source.articles:
        if src.number not in yaml_numbers:
            label = f"{numbering.zh_number(src.number)}、" if measures else numbering.article_label(src.number)
            diags.append(Diagnostic(
                "E503", f"源文件有{label}，YAML 中没有", _insertion_point(policy, article=src.number), label,
                hint=f"源文件 {source.file}:{src.text.first_line}",
            ))
    return diags
