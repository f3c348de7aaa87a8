"""条文对照表 as a Word document (landscape GB/T 9704 page via documents.wordstyle)."""

from __future__ import annotations

from typing import Any

from compiler.diff.model import DiffResult
from compiler.diff.table import (
    Segment,
    cell_lines,
    header_lines,
    legend,
    note_lines,
    row_cells,
    summary_lines,
    table_rows,
    table_title,
)

_DOCX_FONT = "仿宋_GB2312"
_DOCX_HEAD_FONT = "黑体"
# A row may not break across pages (a line or two of an article alone on the next page is hard
# to read) unless it is taller than this many table lines, about a page: such a row must break.
_KEEP_WHOLE_LINES = 20


def render_docx(r: DiffResult) -> bytes:
    """Landscape GB/T 9704 page (via wordstyle), title, summary, legend, then the three-column
    table: deleted text struck through twice (in black, as GB/T documents print), inserted text
    underlined, renumbered 条 numbers bold; the header row repeats on every page and no row
    that fits on a page is split across two."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX, WD_LINE_SPACING, WD_UNDERLINE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    from compiler.documents import wordstyle
    from compiler.documents.titles import balance_title

    size = Pt(14)  # 四号, as in the guides' tables: one size below the 三号 body text
    widths_mm = (79.0, 79.0, 67.0)  # the 225 mm 版心 width of a landscape page

    def child(parent: Any, tag: str, **attrs: str) -> Any:
        node = parent.find(qn(tag))
        if node is None:
            node = OxmlElement(tag)
            parent.append(node)
        for key, value in attrs.items():
            node.set(qn(f"w:{key}"), value)
        return node

    def fonts(run: Any, name: str) -> None:
        rpr = run._r.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = OxmlElement("w:rFonts")
            rpr.insert(0, rfonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), name)

    def para_format(p: Any, align: Any) -> None:
        f = p.paragraph_format
        f.space_before = Pt(0)
        f.space_after = Pt(0)
        f.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        f.line_spacing = Pt(size.pt * 1.35)
        p.alignment = align
        # Table text is smaller than the body: off the page's 22-line grid, or every cell line
        # would take a full body line.
        child(p._p.get_or_add_pPr(), "w:snapToGrid", val="0")

    def mark(run: Any, style: str) -> None:
        if style == "del":
            # Two lines: a single one vanishes into the middle stroke of 并, 王, 三 ….
            run.font.double_strike = True
        elif style == "ins":
            run.font.underline = WD_UNDERLINE.SINGLE
        elif style == "fmt":
            run.font.highlight_color = WD_COLOR_INDEX.YELLOW
        elif style == "num":
            run.font.bold = True

    def write_cell(cell: Any, width: float, segments: list[Segment], *, head: bool = False,
                   note: bool = False) -> int:
        """Fill a cell; returns the number of printed lines it takes (for keeping rows whole)."""
        cell.width = Mm(width)
        child(cell._tc.get_or_add_tcPr(), "w:vAlign", val="center" if head else "top")
        per_line = width / (size.pt * 25.4 / 72) - 1  # characters per line, less the cell margins
        printed = 0
        for n, line in enumerate(cell_lines(segments)):
            p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
            para_format(p, WD_ALIGN_PARAGRAPH.CENTER if head else
                        WD_ALIGN_PARAGRAPH.LEFT if note else WD_ALIGN_PARAGRAPH.JUSTIFY)
            for style, text in line:
                run = p.add_run(text)
                run.font.size = size
                fonts(run, _DOCX_HEAD_FONT if head else _DOCX_FONT)
                mark(run, style)
            printed += max(1, -(-int(wordstyle.text_width("".join(t for _, t in line))) // int(per_line)))
        return printed

    doc = wordstyle.new_document(landscape=True)
    wordstyle.set_properties(doc, title=table_title(r), author=r.new.issuer,
                             date=r.new.published or wordstyle.EPOCH.date())
    wordstyle.add_title(doc, "\n".join(balance_title(table_title(r), per_line=28)))  # landscape: 28 字
    for line in header_lines(r):
        wordstyle.add_body(doc, line, first_line_indent=False)
    wordstyle.add_body(doc, "".join(summary_lines(r)))
    if table_rows(r):
        note = wordstyle.add_body(doc, "")
        note.paragraph_format.space_after = Pt(6)  # not tight against the table's top rule
        for style, text in legend(r):
            mark(note.add_run(text), style)
    rows = table_rows(r)
    table = doc.add_table(rows=0, cols=3)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    borders = child(tbl_pr, "w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        child(borders, f"w:{edge}", val="single", sz="4", space="0", color="000000")
    child(tbl_pr, "w:tblLayout", type="fixed")
    for col, width in zip(table._tbl.tblGrid.iterchildren(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(round(width / 25.4 * 1440)))
    head = table.add_row()
    tr_pr = head._tr.get_or_add_trPr()
    child(tr_pr, "w:tblHeader", val="1")  # the column heads repeat on every page
    child(tr_pr, "w:cantSplit", val="1")
    for k, text in enumerate(("原条文", "修改后条文", "修改说明")):
        write_cell(head.cells[k], widths_mm[k], [("", text)], head=True)
    cells: list[tuple[list[Segment], list[Segment], list[Segment]]] = [
        (*row_cells(r, e), [("", "\n".join(note_lines(e)))]) for e in rows
    ] or [([("", "（无实质修改）")], [("", "（无实质修改）")], [("", "两个版本的条文没有实质差异。")])]
    for three in cells:
        row = table.add_row()
        height = max(write_cell(row.cells[k], widths_mm[k], segments, note=k == 2)
                     for k, segments in enumerate(three))
        if height <= _KEEP_WHOLE_LINES:
            child(row._tr.get_or_add_trPr(), "w:cantSplit", val="1")
    return wordstyle.to_bytes(doc)
