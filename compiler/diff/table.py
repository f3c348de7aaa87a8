"""What the table shows, shared by every renderer: title, header, summary, the marked segments of
each cell and the lines of each 修改说明."""

from __future__ import annotations

from compiler.diff.model import DiffResult, Entry, VersionInfo

Segment = tuple[str, str]  # (style, text); style: "" | del | ins | fmt | num | placeholder


def cell_segments(e: Entry, side: str) -> list[Segment]:
    """What one column of the table shows for an entry: label + text, with the marks."""
    sides = e.old if side == "old" else e.new
    if not sides:
        return [("placeholder", "（新增）" if side == "old" else "（删除）")]
    out: list[Segment] = []
    label = sides[0].label
    if e.level == "article" or e.level == "chapter":
        out.append(("num" if e.renumbered or e.moved else "", label))
        out.append(("", " " if e.level == "chapter" else "　"))
    for op in e.ops:
        if side == "old":
            style = {"equal": "", "format": "fmt", "delete": "del", "replace": "del"}.get(op.op)
            if style is not None and op.old:
                out.append((style, op.old))
        else:
            style = {"equal": "", "format": "fmt", "insert": "ins", "replace": "ins"}.get(op.op)
            if style is not None and op.new:
                out.append((style, op.new))
    return out


def note_lines(e: Entry) -> list[str]:
    lines = [e.note] if e.note else []
    lines += [f"提示：{w}。" for w in e.warnings]
    if e.rules:
        lines.append("规则：" + "；".join(r.text for r in e.rules) + "。")
    for c in e.consequences:
        lines.append(f"影响：用例「{c.case}」{c.reason}。")
    return lines


def summary_lines(r: DiffResult, *, cli: bool = True) -> list[str]:
    a, ch, cl = r.counts["articles"], r.counts["chapters"], r.counts["clauses"]
    bits = [f"修改{a['modified']}条", f"新增{a['added']}条", f"删除{a['deleted']}条"]
    optional = (("moved", "移动{}条"), ("renumbered", "仅条序调整{}条"), ("split", "拆分{}条"),
                ("merged", "合并{}条"), ("chapter_moves", "{}条改属其他章"), ("rules", "{}条仅规则变化"))
    bits += [template.format(a[key]) for key, template in optional if a[key]]
    warnings = sum(len(e.warnings) for e in r.entries)
    if warnings:
        bits.append(f"{warnings}处引用待核对")
    if r.counts["title"]["modified"]:
        bits.insert(0, "修改标题")
    chap = [f"{zh}{ch[k]}章" for k, zh in (("added", "新增"), ("deleted", "删除"), ("renamed", "更名"),
                                          ("renumbered", "章序调整")) if ch[k]]
    lines = ["概要：" + "，".join(bits + chap) + "。"]
    sub = [f"{zh}{cl[k]}处" for k, zh in (("modified", "修改"), ("added", "新增"), ("deleted", "删除"),
                                        ("moved", "调整次序")) if cl[k]]
    if cl["moved_between_articles"]:
        sub.append(f"在条之间移动{cl['moved_between_articles']}处")
    if sub:
        lines.append("条内各款、项：" + "，".join(sub) + "。")
    fmt = len(r.formatting)
    shown = ("，已在下文标出" if r.show_formatting else
             "，未列入（用 --show-formatting 显示）" if cli else "，未列入本表")
    lines.append(f"仅标点、空格等格式不同的{fmt}处不算实质修改{shown}。" if fmt else "没有仅标点、空格等格式不同之处。")
    if r.rule_changes:
        lines.append(f"规则变化{len(r.rule_changes)}项" + ("，其中涉及奖励金额。" if r.amounts_changed else
                                                        "；奖励金额均未改变。"))
    else:
        lines.append("规则未变化；奖励金额均未改变。")
    if r.cases_compared:
        lines.append(f"用例：比较{r.cases_compared}件，结果变化{len(r.case_changes)}件，"
                     f"无法比较{len(r.not_comparable)}件。")
    return lines


def header_lines(r: DiffResult, *, files: bool = True) -> list[str]:
    def where(v: VersionInfo) -> str:
        return f"，{v.file}" if files else ""

    return [f"原条文：《{r.old.title}》{r.old.label}{where(r.old)}",
            f"修改后条文：《{r.new.title}》{r.new.label}{where(r.new)}"]


def table_title(r: DiffResult) -> str:
    if r.old.status == "draft" and r.new.status == "issued":
        return f"《{r.new.title}》征求意见稿与正式文本条文对照表"
    return f"《{r.new.title}》修改前后条文对照表"


def table_rows(r: DiffResult) -> list[Entry]:
    rows = list(r.entries)
    if r.show_formatting:
        rows = sorted([*rows, *r.formatting], key=lambda e: e.position)
    return rows


def formatting_note(e: Entry) -> str:
    return "仅标点、空格等格式差异，无实质修改。" if e.kind == "formatting" else e.note

ROW_KIND_ZH = {"modified": "修改", "added": "新增", "deleted": "删除", "moved": "移动", "renumbered": "条序调整",
            "split": "拆分", "merged": "合并", "renamed": "更名", "rules": "规则变化", "formatting": "仅格式",
            "reference": "引用待核对"}


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
