"""条文对照表 as Markdown (a GitHub-style table with <del>/<ins> marks)."""

from __future__ import annotations

import re

from compiler.diff.model import DiffResult
from compiler.diff.table import (
    Segment,
    cell_segments,
    formatting_note,
    header_lines,
    note_lines,
    summary_lines,
    table_rows,
    table_title,
)

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def _md_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_cell(segments: list[Segment]) -> str:
    tags = {"del": ("<del>", "</del>"), "ins": ("<ins>", "</ins>"), "fmt": ("<mark>", "</mark>"),
            "num": ("<u>", "</u>")}
    out = ""
    for style, text in segments:
        parts = text.split("\n")
        a, b = tags.get(style, ("", ""))
        out += "<br>".join(f"{a}{_md_escape(p)}{b}" if p else "" for p in parts)
    return out


def render_markdown(r: DiffResult) -> str:
    lines = [f"# {_md_escape(table_title(r))}", ""]
    lines += [f"- {_md_escape(h)}" for h in header_lines(r)]
    lines += [f"- 文件信息：{_md_escape(m.text)}" for m in r.meta]
    lines.append("")
    lines += [_md_escape(s) + "  " for s in summary_lines(r, cli=False)]
    lines += ["", "注：<del>删除线</del>为删除内容，<ins>下划线</ins>为新增或修改内容"
              + ("，<mark>底色</mark>为仅格式差异" if r.show_formatting else "") + "；条序变化的条号加<u>下划线</u>。", ""]
    lines += ["| 原条文 | 修改后条文 | 修改说明 |", "| --- | --- | --- |"]
    for e in table_rows(r):
        note = "<br>".join(_md_escape(x) for x in (note_lines(e) if e.kind != "formatting" else [formatting_note(e)]))
        lines.append(f"| {_md_cell(cell_segments(e, 'old'))} | {_md_cell(cell_segments(e, 'new'))} | {note} |")
    if not table_rows(r):
        lines.append("| （无实质修改） | （无实质修改） | 两个版本的条文没有实质差异。 |")
    for title, items in (("无法比较的用例", r.not_comparable), ("结果变化但未能归属到具体条款的用例", r.unattributed)):
        if items:
            lines += ["", f"## {title}", ""]
            lines += [f"- {_md_escape(c.source)}：{_md_escape(c.case)}：{_md_escape(c.reason)}" for c in items]
    return "\n".join(lines) + "\n"
