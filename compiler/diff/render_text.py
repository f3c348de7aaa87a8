"""条文对照表 for the terminal (coloured, or with [-…-] {+…+} markers)."""

from __future__ import annotations

from compiler.diff.model import DiffResult
from compiler.diff.table import (
    ROW_KIND_ZH,
    Segment,
    cell_segments,
    formatting_note,
    header_lines,
    note_lines,
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
    lines += [f"文件信息：{m.text}" for m in r.meta]
    lines += summary_lines(r)
    if not colour:
        lines.append("标记：[-删除-] {+新增+}" + (" {~格式~}" if r.show_formatting else ""))
    for e in table_rows(r):
        old_cite = e.old_cite or "（无）"
        head = f"{old_cite} → {e.cite if e.new else '（删除）'}　[{ROW_KIND_ZH.get(e.kind, e.kind)}]"
        lines += ["", head, "  原：" + seg(cell_segments(e, "old")), "  新：" + seg(cell_segments(e, "new"))]
        for i, line in enumerate(note_lines(e) if e.kind != "formatting" else [formatting_note(e)]):
            lines.append(("  说明：" if i == 0 else "        ") + line)
    if r.not_comparable:
        lines += ["", "无法比较的用例："]
        lines += [f"  {c.source}：{c.case}：{c.reason}" for c in r.not_comparable]
    if r.unattributed:
        lines += ["", "结果变化但未能归属到具体条款的用例："]
        lines += [f"  {c.source}：{c.case}：{c.reason}" for c in r.unattributed]
    if not table_rows(r) and not r.meta:
        lines += ["", "两个版本的条文没有实质差异。"]
    return "\n".join(lines) + "\n"
