"""The two documents as alignable units (articles, their 款 and 项) and the aligners: by stable id,
identical text, similar text, number; splits and merges by containment; moves by longest chains."""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from compiler.diff.tokens import substance
from compiler.lang import numbering
from compiler.model.policy import Chapter, Clause, Policy

# --------------------------------------------------------------------------------------------
# The two documents as alignable units
# --------------------------------------------------------------------------------------------


@dataclass
class Unit:
    """A text-bearing clause inside an article: the article itself (one 款, no 项), a 款's own
    text, or a 项."""

    clause: Clause
    ident: str | None  # stable id when the YAML gave one
    index: int
    number: int  # printed position (项 number, 款 number or 1)
    rel_cite: str  # citation inside the article: 第（一）项, 第二款, 第一款第（二）项 or ""
    text: str
    key: str


@dataclass
class Article:
    clause: Clause
    index: int
    chapter: Chapter
    body: str  # the printed article without its 第X条 label
    key: str
    units: list[Unit]

    @property
    def id(self) -> str:
        return self.clause.id

    @property
    def number(self) -> int:
        return self.clause.article_no

    @property
    def label(self) -> str:
        return numbering.article_label(self.clause.article_no)


def chapter_label(ch: Chapter) -> str:
    """第六章 监督管理; empty for the untitled chapter of a document without 章."""
    return f"{numbering.chapter_label(ch.number)} {ch.title}" if ch.title else ""


def _rel_cite(c: Clause) -> str:
    out = numbering.paragraph_label(c.paragraph_no) if c.paragraph_no else ""
    if c.item_no:
        out += f"第{numbering.item_label(c.item_no)}项"
    return out


def article_body(article: Clause) -> str:
    """The article as printed, without its 第X条: a measure's heading, then each 款 with its 项
    (inline or one per line). Written out here rather than taken from the text module, so the
    compared text does not change with how a document is printed."""
    heading = getattr(article, "title", None)  # numbered measures (一、…) carry a heading
    lines = [str(heading)] if heading else []
    for para in article.children or [article]:
        items = [f"{numbering.item_label(i.item_no or 0)}{i.text}" for i in para.children]
        if para.inline_items:
            lines.append(para.text + "".join(items))
        else:
            lines.extend([para.text, *items])
    return "\n".join(ln for ln in lines if ln.strip())


def articles_of(policy: Policy) -> list[Article]:
    out: list[Article] = []
    for chapter in policy.chapters:
        for art in chapter.articles:
            units: list[Unit] = []
            paras = art.children or [art]
            for para in paras:
                if para.text:
                    ident = para.id if para.kind == "paragraph" and para.raw is not None and "id" in para.raw else None
                    units.append(Unit(para, ident, len(units), para.paragraph_no or 1, _rel_cite(para),
                                      para.text, substance(para.text)))
                for item in para.children:
                    units.append(Unit(item, item.id, len(units), item.item_no or 0, _rel_cite(item),
                                      item.text, substance(item.text)))
            body = article_body(art)
            out.append(Article(art, len(out), chapter, body, substance(body), units))
    return out

# --------------------------------------------------------------------------------------------
# Alignment
# --------------------------------------------------------------------------------------------

SIMILAR = 0.6  # same clause, reworded
BY_NUMBER = 0.35  # same place and still related: a heavy rewrite rather than delete + insert
PART = 0.8  # a split part must be this much inside the whole, and the parts must cover it
MIN_PART = 6  # characters: shorter texts are contained anywhere by chance


def similarity(a: str, b: str) -> float:
    """Similarity of two normalised texts (0‥1), symmetric by construction."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    x, y = sorted((a, b))
    m = difflib.SequenceMatcher(None, x, y, autojunk=False)
    bound = m.real_quick_ratio()
    if bound < BY_NUMBER:
        return bound  # an upper bound, already below every threshold: skip the full match
    return m.ratio()


def containment(part: str, whole: str) -> float:
    """Share of `part`'s characters found, in order, in `whole` (used for splits and merges)."""
    if not part:
        return 0.0
    m = difflib.SequenceMatcher(None, part, whole, autojunk=False)
    return sum(b.size for b in m.get_matching_blocks()) / len(part)


@dataclass(frozen=True)
class Alignable:
    ident: str | None
    key: str
    number: int


def align(old: Sequence[Alignable], new: Sequence[Alignable], *, by_id: bool = True,
          fuzzy: bool = True) -> list[tuple[int, int]]:
    """1:1 pairs (old index, new index): same stable id, then identical text, then similar text,
    then same number with related text. Tie-breaks are symmetric in old and new."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()

    def link(i: int, j: int) -> None:
        pairs[i] = j
        taken.add(j)

    if by_id:
        new_ids = {n.ident: j for j, n in enumerate(new) if n.ident is not None}
        for i, o in enumerate(old):
            if o.ident is not None and o.ident in new_ids:
                link(i, new_ids[o.ident])
    by_text: dict[str, list[int]] = {}
    for j, n in enumerate(new):
        if j not in taken and n.key:
            by_text.setdefault(n.key, []).append(j)
    for i, o in enumerate(old):
        if i not in pairs and by_text.get(o.key):
            link(i, by_text[o.key].pop(0))
    for threshold, same_number in ((SIMILAR, False), (BY_NUMBER, True)) if fuzzy else ():
        cands: list[tuple[float, int, int, str, str, int, int]] = []
        for i, o in enumerate(old):
            if i in pairs:
                continue
            for j, n in enumerate(new):
                if j in taken or (same_number and o.number != n.number):
                    continue
                s = similarity(o.key, n.key)
                if s >= threshold:
                    lo, hi = sorted((o.key, n.key))
                    cands.append((-s, abs(i - j), i + j, lo, hi, i, j))
        for *_rank, i, j in sorted(cands):
            if i not in pairs and j not in taken:
                link(i, j)
    return sorted(pairs.items())


def find_splits(
    old: Sequence[Alignable], new: Sequence[Alignable], pairs: list[tuple[int, int]]
) -> list[tuple[int, list[int]]]:
    """Old units split into several new ones: the parts (unpaired, or the old unit's own
    partner) each lie mostly inside the old text and together cover it. `find_splits` with the
    arguments swapped finds merges."""
    partner = dict(pairs)
    paired_new = set(partner.values())
    used: set[int] = set()
    out: list[tuple[int, list[int]]] = []
    for i, o in enumerate(old):
        if len(o.key) < MIN_PART:
            continue
        parts = [
            j for j, n in enumerate(new)
            if j not in used and (j not in paired_new or partner.get(i) == j)
            and len(n.key) >= MIN_PART and containment(n.key, o.key) >= PART
        ]
        if len(parts) < 2 or all(j in paired_new for j in parts):
            continue
        if containment(o.key, "".join(new[j].key for j in parts)) >= PART:
            out.append((i, parts))
            used.update(parts)
    return out


def stable_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Pairs on *every* longest chain increasing on both sides: they kept their relative order.
    The others moved. (Taking every chain, not one, keeps the answer symmetric: when two
    articles swap places, both are reported as moved.)"""
    ps = sorted(pairs)
    n = len(ps)
    f, g = [1] * n, [1] * n
    for i in range(n):
        for j in range(i):
            if ps[j][1] < ps[i][1]:
                f[i] = max(f[i], f[j] + 1)
    for i in reversed(range(n)):
        for j in range(i + 1, n):
            if ps[j][1] > ps[i][1]:
                g[i] = max(g[i], g[j] + 1)
    longest = max(f, default=0)
    on = [i for i in range(n) if f[i] + g[i] - 1 == longest]
    level = Counter(f[i] for i in on)
    return {ps[i] for i in on if level[f[i]] == 1}
