"""条文对照表 as HTML (templates/diff.html.j2): an A4 landscape page when printed."""

from __future__ import annotations

from compiler.diff.model import DiffResult
from compiler.diff.table import (
    ROW_KIND_ZH,
    cell_lines,
    header_lines,
    legend,
    note_lines,
    row_cells,
    summary_lines,
    table_rows,
    table_title,
)


def render_html(r: DiffResult) -> str:
    import jinja2  # here, not at the top: `policyc` starts without loading the template engine

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("compiler.documents", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    rows = []
    for e in table_rows(r):
        old, new = row_cells(r, e)
        rows.append({"kind": ROW_KIND_ZH.get(e.kind, e.kind), "old": cell_lines(old), "new": cell_lines(new),
                     "note": note_lines(e), "cite": e.cite})
    return env.get_template("diff.html.j2").render(
        title=table_title(r), header=header_lines(r), summary=summary_lines(r),
        legend=cell_lines(legend(r))[0] if rows else [], rows=rows,
    )
