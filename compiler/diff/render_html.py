"""条文对照表 as HTML (templates/diff.html.j2)."""

from __future__ import annotations

from compiler.diff.model import DiffResult
from compiler.diff.table import (
    ROW_KIND_ZH,
    cell_lines,
    cell_segments,
    formatting_note,
    header_lines,
    note_lines,
    summary_lines,
    table_rows,
    table_title,
)


def render_html(r: DiffResult) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("compiler.documents", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )

    rows = [
        {"kind": ROW_KIND_ZH.get(e.kind, e.kind), "old": cell_lines(cell_segments(e, "old")),
         "new": cell_lines(cell_segments(e, "new")),
         "note": note_lines(e) if e.kind != "formatting" else [formatting_note(e)], "cite": e.cite}
        for e in table_rows(r)
    ]
    return env.get_template("diff.html.j2").render(
        title=table_title(r), header=header_lines(r), meta=[m.text for m in r.meta],
        summary=summary_lines(r, cli=False),
        rows=rows, show_formatting=r.show_formatting,
        not_comparable=[f"{c.source}：{c.case}：{c.reason}" for c in r.not_comparable],
        unattributed=[f"{c.source}：{c.case}：{c.reason}" for c in r.unattributed],
    )
