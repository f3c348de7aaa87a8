"""How a guide cites and quotes its policy: 第十七条第（一）项、第（二）项, article ranges, and
clause text with 本办法 read as 《办法》."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from compiler.lang import numbering
from compiler.model.policy import Clause, Policy, walk

SHORT = "《办法》"  # how the guide refers to its policy after the first mention


def _doc_order(policy: Policy) -> dict[int, int]:
    return {id(c): i for i, c in enumerate(walk(policy))}


def cite_text(policy: Policy, clauses: Iterable[Clause], *, coarse: bool = False) -> str:
    """第十七条第（一）项、第（二）项; three or more whole consecutive articles: 第九条至第十六条.
    `coarse` (for table cells): more than three clauses are cited by their articles."""
    order = _doc_order(policy)
    unique: dict[int, Clause] = {}
    for c in clauses:
        unique.setdefault(id(c), c)
    items = sorted(unique.values(), key=lambda c: order.get(id(c), 0))
    if not items:
        return ""
    articles = sorted({c.article_no for c in items})
    if len(articles) >= 3 and articles == list(range(articles[0], articles[-1] + 1)):
        return f"{numbering.article_label(articles[0])}至{numbering.article_label(articles[-1])}"
    if coarse and len(items) > 3:
        return _article_ranges(articles)
    parts: list[str] = []
    previous: int | None = None
    for c in items:
        label = numbering.article_label(c.article_no)
        if c.article_no == previous and c.cite != label:
            parts.append(c.cite.removeprefix(label))
        else:
            parts.append(c.cite)
        previous = c.article_no
    return "、".join(parts)


def _article_ranges(articles: Sequence[int]) -> str:
    """[9, 10, 11, 12, 14, 15, 16] → 第九条至第十二条、第十四条至第十六条 (runs of three or more)."""
    runs: list[list[int]] = []
    for a in articles:
        if runs and a == runs[-1][-1] + 1:
            runs[-1].append(a)
        else:
            runs.append([a])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{numbering.article_label(run[0])}至{numbering.article_label(run[-1])}")
        else:
            parts.extend(numbering.article_label(a) for a in run)
    return "、".join(parts)


def quote(text: str) -> str:
    """Clause text as the guide prints it: 本办法 becomes 《办法》 (defined in the preamble)."""
    return re.sub(r"本(办法|细则|规定)", SHORT, text)

