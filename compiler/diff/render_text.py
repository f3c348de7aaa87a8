"""条文对照表 and the drafter's report for the terminal (coloured, or with [-…-] {+…+} markers)."""

from __future__ import annotations

from compiler.diff.model import DiffResult
from compiler.diff.report import report_intro, report_sections, report_title
from compiler.diff.table import (
    PUNCTUATION_NOTE,
    ROW_KIND_ZH,
    Segment,
    header_lines,
    note_lines,
    row_cells,
    summary_lines,
    table_rows,
    table_title,
)

_ANSI = {"del": "\x1b[9;31m", "ins": "\x1b[4;32m", "fmt": "\x1b[2;33m", "num": "\x1b[1m", "placeholder": "\x1b[2m"}
_PLAIN = {"del": ("[-", "-]"), "ins": ("{+", "+}"), "fmt": ("{~", "~}")}


def render_text(r: DiffResult, *, colour: bool = False) -> str:
    def seg(segments: list[Segment]) -> str:
        out = ""
        for style, text in segments:
            if colour and style in _ANSI:
                out += "\n".join(f"{_ANSI[style]}{line}\x1b[0m" if line else "" for line in text.split("\n"))
            elif not colour and style in _PLAIN:
                a, b = _PLAIN[style]
                out += f"{a}{text}{b}"
            else:
                out += text
        return out.replace("\n", "\n      ")

    lines = [table_title(r), *header_lines(r), ""]
    lines += summary_lines(r, cli=True)
    if not colour:
        lines.append("标记：[-删除-] {+新增+}" + (" {~格式~}" if r.show_formatting else ""))
    if not r.show_formatting:
        lines.append(PUNCTUATION_NOTE)
    for e in table_rows(r):
        old_cite = e.old_cite or "（无）"
        head = f"{old_cite} → {e.cite if e.new else '（删除）'}　[{ROW_KIND_ZH.get(e.kind, e.kind)}]"
        old, new = row_cells(r, e)
        lines += ["", head, "  原：" + seg(old), "  新：" + seg(new)]
        for i, line in enumerate(note_lines(e)):
            lines.append(("  说明：" if i == 0 else "        ") + line)
    # The terminal is the drafter's: point at what the table leaves out.
    warnings = sum(len(e.warnings) for e in r.entries)
    if r.rule_changes or r.case_changes or r.not_comparable or warnings:
        lines += ["", f"规则变化{len(r.rule_changes)}项，引用待核对{warnings}处，用例结果变化{len(r.case_changes)}件，"
                      f"无法比较{len(r.not_comparable)}件：详见 --consequences。"]
    return "\n".join(lines) + "\n"


def render_report_text(r: DiffResult) -> str:
    lines = [report_title(r), *report_intro(r)]
    for head, intro, items in report_sections(r):
        lines += ["", f"{head}："] + ([f"  {intro}"] if intro else [])
        lines += [f"  {x}" for x in items]
    return "\n".join(lines) + "\n"
