"""条文对照表 (a GitHub-style table with <del>/<ins> marks) and the drafter's report as Markdown."""

from __future__ import annotations

import re

from compiler.diff.model import DiffResult
from compiler.diff.report import report_intro, report_sections, report_title
from compiler.diff.table import (
    Segment,
    header_lines,
    legend,
    note_lines,
    row_cells,
    summary_lines,
    table_rows,
    table_title,
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_TAGS = {"del": ("<del>", "</del>"), "ins": ("<ins>", "</ins>"), "fmt": ("<mark>", "</mark>"), "num": ("<b>", "</b>")}


def _md_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_cell(segments: list[Segment]) -> str:
    out = ""
    for style, text in segments:
        parts = text.split("\n")
        a, b = _TAGS.get(style, ("", ""))
        out += "<br>".join(f"{a}{_md_escape(p)}{b}" if p else "" for p in parts)
    return out


def render_markdown(r: DiffResult) -> str:
    lines = [f"# {_md_escape(table_title(r))}", ""]
    lines += [f"- {_md_escape(h)}" for h in header_lines(r)]
    lines.append("")
    lines += [_md_escape(s) + "  " for s in summary_lines(r)]
    rows = table_rows(r)
    if rows:
        lines += ["", _md_cell(legend(r))]
    lines += ["", "| 原条文 | 修改后条文 | 修改说明 |", "| --- | --- | --- |"]
    for e in rows:
        old, new = row_cells(r, e)
        note = "<br>".join(_md_escape(x) for x in note_lines(e))
        lines.append(f"| {_md_cell(old)} | {_md_cell(new)} | {note} |")
    if not rows:
        lines.append("| （无实质修改） | （无实质修改） | 两个版本的条文没有实质差异。 |")
    return "\n".join(lines) + "\n"


def render_report_markdown(r: DiffResult) -> str:
    lines = [f"# {_md_escape(report_title(r))}", ""]
    lines += [f"- {_md_escape(x)}" for x in report_intro(r)]
    for head, intro, items in report_sections(r):
        lines += ["", f"## {_md_escape(head)}", ""] + ([_md_escape(intro), ""] if intro else [])
        lines += [f"- {_md_escape(x)}" for x in items]
    return "\n".join(lines) + "\n"
