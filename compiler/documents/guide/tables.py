"""Table layout of the guide: column widths computed from the cells, and each cell broken into
lines by the guide itself — only between whole runs (a bracketed group such as （区、镇）, a
citation component such as 第十三条 or 第（一）项, an amount such as 每项20万元), and balanced so
that no cell ends with a line of one or two characters.

Word, LibreOffice and browsers break Chinese text between any two characters and ignore WORD
JOINER, so the lines are fixed: explicit line breaks in Word, <br> between no-wrap lines in
HTML. Markdown keeps the cell whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from compiler.documents.wordstyle import text_width

TABLE_WIDTH_MM = 156.0  # the 版心
PAD_MM = 3.8  # Word's default cell margins (1.9 mm each side); the HTML cells use the same
SLACK = 0.6  # 字 kept free in every line: renderers' glyph widths differ a little from the grid
SHORT_CELL = 5.0  # 字: a cell this short is never broken
DENSE_COLUMNS = 4  # a table this wide is set in 小四 (12 pt), narrower ones in 四号 (14 pt)


def table_size(columns: int) -> float:
    """Font size (pt) of a table with this many columns."""
    return 12.0 if columns >= DENSE_COLUMNS else 14.0


def char_mm(size: float) -> float:
    return size * 25.4 / 72

# Runs kept whole: a bracketed group, a quotation, a citation component (第十三条, 第一款,
# 第（一）项), an amount with its unit (每项20万元), a run of Latin letters and digits, a form's
# tick-box option (□事业单位).
_WHOLE = re.compile(
    r"（[^（）]{1,8}）|“[^“”]{1,12}”|第[一二三四五六七八九十百]+[条款章节]|第（[一二三四五六七八九十]+）项"
    r"|每?[项个名]?\d+(?:\.\d+)?(?:万元|元|亿元|%|年|项)|[A-Za-z0-9.]+|□[^□\s　（]{1,5}(?=[\s　□]|$)"
)


_NO_START = "，。、；：？！）》”’"


def segments(text: str) -> list[str]:
    """`text` cut into the pieces a line may break between (single characters, whole runs)."""
    out: list[str] = []
    pos = 0
    for m in _WHOLE.finditer(text):
        out.extend(text[pos:m.start()])
        out.append(m.group())
        pos = m.end()
    out.extend(text[pos:])
    return out


def lines(text: str, capacity: float) -> list[str]:
    """`text` broken greedily into lines of at most `capacity` 字, between whole runs (a run
    wider than the line is broken between its characters)."""
    out = [""]
    for seg in segments(text):
        w = text_width(seg)
        if out[-1] and text_width(out[-1]) + w > capacity:
            out.append("")
        if w > capacity:
            for ch in seg:
                if out[-1] and text_width(out[-1]) + text_width(ch) > capacity:
                    out.append("")
                out[-1] += ch
        else:
            out[-1] += seg
    # 避头: no line starts with a closing mark. The character before it goes down with it when
    # that line has room; otherwise the mark hangs at the end of the line before.
    for i in range(1, len(out)):
        if out[i] and out[i][0] in _NO_START and len(out[i - 1]) > 1:
            if text_width(out[i]) + text_width(out[i - 1][-1]) <= capacity:
                out[i - 1], out[i] = out[i - 1][:-1], out[i - 1][-1] + out[i]
            else:
                out[i - 1], out[i] = out[i - 1] + out[i][0], out[i][1:]
    return [line for line in out if line] or [""]


@lru_cache(maxsize=65536)
def _count(text: str, capacity: float) -> int:
    return len(lines(text, capacity))


@lru_cache(maxsize=65536)
def _narrowest(text: str, count: int) -> float:
    """The smallest measure (字) at which `text` takes at most `count` lines."""
    low, high = 0.0, text_width(text) + 0.01
    for _ in range(16):
        mid = (low + high) / 2
        if _count(text, mid) > count:
            low = mid
        else:
            high = mid
    return high


def _unbroken(cell: str) -> float:
    """The narrowest measure a cell may get: a short cell (自治区级) stays on one line, a longer one
    may break between runs but not inside its longest."""
    width = text_width(cell)
    return width if width <= SHORT_CELL else max((text_width(s) for s in segments(cell)), default=0.0)


def _capacity(width_mm: float, size: float) -> float:
    return (width_mm - PAD_MM) / char_mm(size) - SLACK + 0.05  # 0.05: widths are rounded to 0.1 mm


def wrap(text: str, width_mm: float, size: float) -> list[str]:
    """The lines of a cell `width_mm` wide: as few as greedy breaking needs, then balanced (the
    narrowest measure that still gives that many lines), so the last line is never a stub."""
    capacity = _capacity(width_mm, size)
    count = _count(text, capacity)
    if count == 1:
        return [text]
    return [line.strip(" 　") for line in lines(text, _narrowest(text, count))]  # no space at a line's ends


def fit_widths(header: Sequence[str], rows: Sequence[Sequence[str]], align: Sequence[str],
               size: float, total: float = TABLE_WIDTH_MM) -> tuple[float, ...]:
    """Column widths (mm, adding up to `total`) that make the table as short as they can.

    Every column as wide as its longest cell when that fits, the spare width going to the
    widest free-text (left-aligned) column. Otherwise each column starts at its longest whole
    run (and its header, which never wraps), and the width left is handed out step by step to
    the column where it saves the most row height per millimetre."""
    n = len(header)
    columns = [[header[i], *(r[i] for r in rows)] for i in range(n)]
    flexible = [i for i in range(n) if align[i] == "left"] or list(range(n))
    budget = (total - n * PAD_MM) / char_mm(size) - n * SLACK
    natural = [max(text_width(c) for c in col) for col in columns]
    measure = [max([text_width(header[i])] + [_unbroken(c) for c in col]) for i, col in enumerate(columns)]

    def height(ms: Sequence[float]) -> float:
        rows_h = sum(max(_count(r[i], ms[i]) for i in range(n)) for r in rows)
        cells = sum(_count(r[i], ms[i]) for r in rows for i in range(n))
        return rows_h + 0.01 * cells

    if sum(natural) > budget:
        current = height(measure)
        while True:
            left = budget - sum(measure)
            best: tuple[float, int, float, float] | None = None
            for i in range(n):
                steps = [_narrowest(c, _count(c, measure[i]) - 1) for c in columns[i][1:]
                         if _count(c, measure[i]) > 1]
                if not steps:
                    continue
                target = min(steps)
                cost = target - measure[i]
                if cost > left:
                    continue
                trial = [*measure[:i], target, *measure[i + 1:]]
                after = height(trial)
                score = (current - after) / max(cost, 1e-6)
                if best is None or score > best[0]:
                    best = (score, i, target, after)
            if best is None:
                break
            _, i, target, current = best
            measure[i] = target
        # A short column on one line reads better than a wrapped one: give it its full width
        # from the free-text column when the table gets no taller and has fewer broken cells.
        widest = max(flexible, key=lambda i: measure[i])
        floors = [max(text_width(header[i]), *(_unbroken(c) for c in columns[i])) for i in range(n)]
        for i in sorted(set(range(n)) - set(flexible), key=lambda i: natural[i] - measure[i]):
            need = natural[i] - measure[i]
            if need <= 0:
                continue
            spare = budget - sum(measure)
            trial = list(measure)
            trial[i] = natural[i]
            trial[widest] -= max(0.0, need - spare)
            if trial[widest] >= floors[widest] and height(trial) < height(measure):
                measure = trial
    else:
        measure = natural
    widest = max(flexible, key=lambda i: natural[i])
    measure[widest] += max(0.0, budget - sum(measure))
    widths = [round((m + SLACK) * char_mm(size) + PAD_MM, 1) for m in measure]
    widths[widest] = round(total - sum(w for i, w in enumerate(widths) if i != widest), 1)
    return tuple(widths)
