"""Finding the documents inside one source file (a gazette or a website export holds several) and
which of them are importable 办法 (articles, or numbered measures); see docs/import.md."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler.documents.text import ends_sentence, normalise
from compiler.importer.lines import (
    ARTICLE_RE,
    BRACKET_NOTE_RE,
    DRAFT_MARK_RE,
    ITEM_RE,
    MEASURE_RE,
    NOTICE_END_RE,
    Line,
    chapter_match,
    heading_like,
    is_doc_number,
    is_metadata_line,
    measure_match,
    zh_to_int,
)


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
    excerpt: bool = False  # its text starts past 第一章 / 第一条 (a quoted chapter)

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
    if any(is_doc_number(ln) or ln.clean.endswith(("：", ":")) for ln in after):
        return j
    if before and is_doc_number(before[0]):
        return j
    return None


def toc_end(lines: list[Line], i: int) -> int | None:
    """When lines[i] is the 第一章 of a table of contents (第一章总则 ⏎ 第二章… ⏎ 第一章总则 ⏎
    第一条…), the index of the 第一章 that starts the text; else None."""
    chap = chapter_match(lines[i])
    if not chap or zh_to_int(chap.group(1)) != 1:
        return None
    j = i + 1
    while j < len(lines) and (lines[j].blank or chapter_match(lines[j])):
        chap = chapter_match(lines[j])
        if chap and zh_to_int(chap.group(1)) == 1:
            return j
        j += 1
    return None


def _title_before(lines: list[Line], i: int) -> tuple[int, int] | None:
    """The title of the 办法 whose text starts at line i: the nearest line above that is neither
    blank, structure, nor metadata (an issuer, 文号 or date a mirror prints under the title), with
    the line above it when the title's second line is only a draft mark (（征求意见稿）)."""
    p = i - 1
    while p >= 0 and (lines[p].blank or is_metadata_line(lines[p]) or _toc_line(lines, p)
                      or HTML_COMMENT_RE.fullmatch(lines[p].clean)):
        p -= 1
    if p < 0:
        return None
    prev = lines[p]
    structural = chapter_match(prev) or ARTICLE_RE.match(prev.clean) or ITEM_RE.match(prev.clean)
    if structural or len(prev.clean) > 60 or ends_sentence(prev.clean):
        return None
    if DRAFT_MARK_RE.fullmatch(prev.clean) and p > 0 and not lines[p - 1].blank:
        return p - 1, p
    return p, p


def _toc_line(lines: list[Line], p: int) -> bool:
    """A line of a table of contents: 目录, or a chapter heading in a run that starts at 第一章
    and is followed by the text's own 第一章."""
    if lines[p].clean.replace(" ", "").replace("\u3000", "") in ("目录", "目次"):
        return True
    if not chapter_match(lines[p]):
        return False
    q = p
    while q >= 0 and (lines[q].blank or chapter_match(lines[q])):
        end = toc_end(lines, q)
        if end is not None and p < end:
            return True
        q -= 1
    return False


# A comment left by a markdown export (<!-- INFO END -->): never a title.
HTML_COMMENT_RE = re.compile(r"<!--.*-->")
# How the title of a document of measures ends (a 说明 or a 报告 is not one).
POLICY_TITLE_END_RE = re.compile(r"(?:措施|方案|办法|细则|意见|规定|规则|政策|决定|通知)$")


def _measures_starts(lines: list[Line]) -> list[tuple[int, int]]:
    """The title lines of each document of numbered measures printed under its own title (a
    notice's attachment: 天津市推动制造业高质量发展若干政策措施 ⏎ 为……制定如下政策措施。 ⏎
    一、推动产业高质量发展): the heading-like line above its 一、, over at most one preamble
    paragraph, with a second line that is only a bracketed note such as （试行）."""
    titles = []
    for i, line in enumerate(lines):
        m = measure_match(line)
        if not m or zh_to_int(m.group(1)) != 1:
            continue
        above = [p for p in range(i - 1, max(-1, i - 12), -1) if not lines[p].blank][:3]
        if above and ends_sentence(lines[above[0]].clean):
            above = above[1:]  # the preamble: 为……，制定如下措施。
        if not above:
            continue
        p = above[0]
        first = p
        if BRACKET_NOTE_RE.fullmatch(lines[p].clean) and len(above) > 1 and above[1] == p - 1:
            first = p - 1  # 关于……的实施意见 ⏎ （试行）
        title = lines[first].clean
        if (POLICY_TITLE_END_RE.search(title) and len(title) <= 60 and not ends_sentence(title)
                and not is_metadata_line(lines[first])
                and not any(pattern.match(title) for pattern in (MEASURE_RE, ITEM_RE, ARTICLE_RE))):
            titles.append((first, p))
    return titles


def _body_starts(lines: list[Line]) -> list[tuple[int, int, bool]]:
    """The title lines of each 办法: those above its 第一章 (or 第一条), see `_title_before`;
    and whether it is an excerpt: a file whose first 章 or 条 is not the first (第三章, 第九条)."""
    titles = []
    structure_seen = False
    for i, line in enumerate(lines):
        m = chapter_match(line) or ARTICLE_RE.match(line.clean)
        if m is None:
            continue
        number = zh_to_int(m.group(1))
        excerpt = not structure_seen and number > 1
        structure_seen = True
        if (number != 1 and not excerpt) or _toc_line(lines, i):
            continue
        title = _title_before(lines, i)
        if title is not None:
            titles.append((title[0], title[1], excerpt))
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
                and heading_like(line.clean) and not line.clean[0].isdigit() and not is_metadata_line(line)
                and not chapter_match(line)):
            starts.setdefault(i, (i, "gap"))
    for t0, t1, excerpt in _body_starts(lines):
        how = "excerpt" if excerpt else "title"
        if t0 in starts and starts[t0][1] in ("heading", "gap"):
            starts[t0] = (max(t1, starts[t0][0]), how)  # a `# title` line above 第一章
        elif not any(s <= t0 <= e for s, (e, _) in starts.items()):
            starts[t0] = (t1, how)
    for t0, t1 in _measures_starts(lines):
        if not any(s <= t0 <= e or s <= t1 <= e for s, (e, _) in starts.items()):
            starts[t0] = (t1, "measures")
    # A 文号 printed above its title (伊市政办规〔2025〕3号 ⏎ 关于印发……) belongs to that document.
    moved: dict[int, tuple[int, str, int]] = {}
    for s, (e, how) in starts.items():
        p = s - 1
        while p >= 0 and lines[p].blank:
            p -= 1
        first = p if p >= 0 and is_doc_number(lines[p]) and how == "notice" else s
        moved[first] = (e, how, s)
    order = sorted(moved)
    first_text = next((i for i, ln in enumerate(lines) if not ln.blank), len(lines))
    docs: list[Document] = []
    hows: list[str] = []
    if not order or order[0] > first_text:
        end = order[0] if order else len(lines)
        docs.append(Document(1, first_text, end, "", (first_text, first_text), "other"))
        hows.append("")
    for k, s in enumerate(order):
        e, how, title_start = moved[s]
        end = order[k + 1] if k + 1 < len(order) else len(lines)
        title = "".join(lines[j].clean for j in range(title_start, e + 1))
        kind = "articles" if how in ("title", "excerpt") else "other"
        docs.append(Document(len(docs) + 1, s, end, title, (title_start, e), kind, excerpt=how == "excerpt"))
        hows.append(how)
    for doc, how in zip(docs, hows, strict=True):
        minimum = 1 if how == "measures" else 2  # its 一、 is what found it
        if doc.kind == "other" and doc.title and measure_lines(lines, doc, minimum) is not None:
            doc.kind = "measures"
    for prev, doc in zip(docs, docs[1:], strict=False):
        # The notice before a 办法 issues it; a document of measures has its notice only when
        # the notice names it (《……》), since a gazette prints unrelated notices before one.
        if prev.kind == "other" and (doc.kind == "articles" or (doc.importable and names(lines, prev, doc))):
            doc.notice = prev
            prev.role = f"发文通知，见第 {doc.index} 个文件" if prev.title else f"征求意见公告或说明，见第 {doc.index} 个文件"
    # A notice followed by two documents (the 办法 and, say, its 实施细则) says which one it
    # issues: the one it names in 《》 gets it, even when the other stands between them.
    for k, doc in enumerate(docs):
        if doc.importable and doc.notice is None:
            for earlier in reversed(docs[max(0, k - 3) : k]):
                if earlier.kind == "other" and earlier.title and names(lines, earlier, doc):
                    doc.notice = earlier
                    earlier.role = f"发文通知，见第 {doc.index} 个文件"
                    break
    return docs


def names(lines: list[Line], notice: Document, doc: Document) -> bool:
    """Whether the text of a notice names `doc` by its title in 《》 (现将《……》印发给你们)."""
    if not doc.title:
        return False
    text = normalise("".join(lines[i].clean for i in range(notice.start, notice.end)))
    return any(f"《{normalise(title)}》" in text for title in (doc.title, DRAFT_MARK_RE.sub("", doc.title)))


def measure_lines(lines: list[Line], doc: Document, minimum: int = 2) -> list[int] | None:
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
        if not (measure_match(line) or (line.heading and m.group(2).strip())):
            return None
        if zh_to_int(m.group(1)) != len(found) + 1:
            return None
        found.append(i)
    return found if len(found) >= minimum else None
