"""What the published 条文对照表 shows, shared by every renderer: its title, the two texts it
compares, the summary, the legend, and for each row the marked text of both columns and the
修改说明. Machine rules, consequences for applications, cross-references to check and file
paths are the drafter's (report.py): nothing here names them."""

from __future__ import annotations

from collections import defaultdict

from compiler.diff.model import DiffResult, Entry
from compiler.diff.wording import chapter_words, full_width, number_ranges
from compiler.lang import numbering

Segment = tuple[str, str]  # (style, text); style: "" | del | ins | fmt | num | placeholder

# A row that exists only because a machine rule changed, or because a cross-reference must be
# checked, has no change of text to show: it belongs to the drafter's report.
_DRAFTER_ONLY = {"rules", "reference"}

# The marks, named alike in every format (the legend lists only those that occur).
MARKS: dict[str, tuple[str, str]] = {
    "del": ("删除线", "删除的内容"),
    "ins": ("下划线", "新增或修改后的内容"),
    "num": ("加粗", "序号变化的条号"),
    "fmt": ("底色", "仅标点、空格等格式不同之处"),  # only with --show-formatting, a review copy
}

PUNCTUATION_NOTE = "两栏条文的标点符号均按全角排印，仅标点、空格不同之处不作标注。"

ROW_KIND_ZH = {"modified": "修改", "added": "新增", "deleted": "删除", "moved": "移动", "renumbered": "条序调整",
               "split": "拆分", "merged": "合并", "renamed": "更名", "rules": "规则变化", "formatting": "仅格式",
               "reference": "引用待核对"}


def table_rows(r: DiffResult) -> list[Entry]:
    rows = [e for e in r.entries if e.kind not in _DRAFTER_ONLY]
    if r.show_formatting:
        rows = sorted([*rows, *r.formatting], key=lambda e: e.position)
    return rows


def cell_segments(e: Entry, side: str, *, as_written: bool = False) -> list[Segment]:
    """What one column shows for a row: label and text with the marks. Half-width punctuation
    is shown full-width (the table declares punctuation not substantive), unless the
    formatting differences are being shown (`as_written`)."""
    sides = e.old if side == "old" else e.new
    if not sides:
        return [("placeholder", "（新增）" if side == "old" else "（删除）")]
    out: list[Segment] = []
    if e.level in ("article", "chapter"):
        whole = {"deleted": "del", "added": "ins"}.get(e.kind, "")  # a whole heading goes with its text
        label = whole or ("num" if e.renumbered or e.moved else "")
        out.append((label, sides[0].label))
        out.append((whole, " " if e.level == "chapter" else "　"))
    for op in e.ops:
        if side == "old":
            style = {"equal": "", "format": "fmt", "delete": "del", "replace": "del"}.get(op.op)
            if style is not None and op.old:
                out.append((style, op.old))
        else:
            style = {"equal": "", "format": "fmt", "insert": "ins", "replace": "ins"}.get(op.op)
            if style is not None and op.new:
                out.append((style, op.new))
    merged: list[Segment] = []
    for style, text in out:  # one run per mark: 第七章 附则 is struck as one
        if merged and merged[-1][0] == style:
            merged[-1] = (style, merged[-1][1] + text)
        else:
            merged.append((style, text))
    out = merged
    if as_written:
        return out
    # Normalised over the whole cell (a comma's neighbours may lie in the next segment), then
    # cut back at the same places: full_width keeps every character's position.
    text = full_width("".join(t for _, t in out))
    cut: list[Segment] = []
    pos = 0
    for style, t in out:
        cut.append((style, text[pos : pos + len(t)]))
        pos += len(t)
    return cut


def row_cells(r: DiffResult, e: Entry) -> tuple[list[Segment], list[Segment]]:
    return (cell_segments(e, "old", as_written=r.show_formatting),
            cell_segments(e, "new", as_written=r.show_formatting))


def note_lines(e: Entry) -> list[str]:
    """The 修改说明 of a row."""
    if e.kind == "formatting":
        return ["仅标点、空格等格式差异，无实质修改。"]
    return [e.note] if e.note else []


def cell_lines(segments: list[Segment]) -> list[list[Segment]]:
    """Marked segments split into the lines of a table cell (a segment may span a line break)."""
    out: list[list[Segment]] = [[]]
    for style, text in segments:
        for k, part in enumerate(text.split("\n")):
            if k:
                out.append([])
            if part:
                out[-1].append((style, part))
    return out


def table_title(r: DiffResult) -> str:
    if r.old.status == "draft" and r.new.status == "issued":
        return f"《{r.new.title}》征求意见稿与正式文本条文对照表"
    return f"《{r.new.title}》修改前后条文对照表"


def header_lines(r: DiffResult) -> list[str]:
    """The two texts compared, as a reader names them (no files). The titles are in the heading
    and, when they differ, in the title row; repeated here they made the line wrap inside the
    文号 (哈政办发 / 〔2026〕10号)."""
    return [f"原条文：{r.old.label}", f"修改后条文：{r.new.label}"]


def _article_number(label: str) -> int:
    return numbering.parse_zh_number(label.removeprefix("第").removesuffix("条"))


def summary_lines(r: DiffResult, *, cli: bool = False) -> list[str]:
    """概要 whose counts add up to the rows below: each article row is counted once, by what
    happened to it; moves between chapters are named, not counted a second time."""
    a, ch = r.counts["articles"], r.counts["chapters"]
    bits = ["修改标题"] if r.counts["title"]["modified"] else []
    for key, template in (("modified", "修改{}条"), ("added", "新增{}条"), ("deleted", "删除{}条"),
                          ("split", "拆分{}条"), ("merged", "合并{}条"),
                          ("moved", "{}条未修改条文、仅调整位置"), ("renumbered", "{}条仅条序调整")):
        if a[key]:
            bits.append(template.format(a[key]))
    bits += [f"{zh}{ch[k]}章" for k, zh in (("added", "新增"), ("deleted", "删除"), ("renamed", "更名"),
                                           ("renumbered", "章序调整")) if ch[k]]
    moves: dict[tuple[str, str], list[int]] = defaultdict(list)
    for e in table_rows(r):
        if e.chapter_move and e.new:
            moves[e.chapter_move].append(_article_number(e.new[0].label))
    moved = [f"{number_ranges(ns, '条')}由{chapter_words(src)}移入{chapter_words(dst)}"
             for (src, dst), ns in moves.items()]
    lines = ["概要：" + ("，".join(bits) + "；".join(["", *moved]) + "。" if bits else "两个版本的条文没有实质差异。")]
    cl = r.counts["clauses"]
    sub = [f"{zh}{cl[k]}处" for k, zh in (("modified", "修改"), ("added", "新增"), ("deleted", "删除"),
                                        ("moved", "调整次序"), ("moved_between_articles", "在条之间移动")) if cl[k]]
    if sub:
        cites = list(dict.fromkeys(side.cite for e in table_rows(r) for c in e.changes
                                   for side in [c.new or c.old]
                                   if side is not None and side.label and c.kind != "moved-out"))
        where = f"（{'、'.join(cites)}）" if len(cites) <= 6 else ""
        lines.append("条内各款、项：" + "，".join(sub) + where + "。")
    fmt = len(r.formatting)
    shown = ("，已在表中标出" if r.show_formatting else
             "，未列入（用 --show-formatting 显示）" if cli else "，未列入本表")
    lines.append(f"仅标点、空格等格式不同的{fmt}处不算实质修改{shown}。" if fmt else "没有仅标点、空格等格式不同之处。")
    return lines


def legend(r: DiffResult) -> list[Segment]:
    """注：… naming each mark that occurs in the table, with the mark itself applied to its name."""
    used = {style for e in table_rows(r) for cell in row_cells(r, e) for style, _ in cell}
    marks = [k for k in MARKS if k in used]
    out: list[Segment] = [("", "注：")]
    for n, k in enumerate(marks):
        name, meaning = MARKS[k]
        out += [(k, name), ("", f"为{meaning}" + ("，" if n + 1 < len(marks) else "。"))]
    if not r.show_formatting:
        out.append(("", PUNCTUATION_NOTE))
    return out
