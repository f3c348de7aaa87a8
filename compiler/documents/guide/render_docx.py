"""Blocks → a Word document laid out per GB/T 9704 (`wordstyle`)."""

from __future__ import annotations

from docx.shared import Pt

from compiler.documents import wordstyle
from compiler.documents.guide.blocks import Block
from compiler.documents.guide.document import Document
from compiler.documents.guide.tables import wrap


def render_docx(data: Document, blocks: list[Block]) -> bytes:
    """The Word file; its provenance is in the core properties (never on the page): 文号,
    version and source digest in keywords, the sources in comments (the full list, with each
    file's digest, is in the build manifest next to the outputs)."""
    doc = wordstyle.new_document()
    meta = data.policy.meta
    wordstyle.set_properties(
        doc, title=data.title, author=data.params.issuer, date=data.params.published,
        subject=meta.title,
        keywords=f"{meta.doc_number or ''}; 版本 {data.policy.version}; sha256:{data.digest}",
        comments=f"各来源文件的摘要见构建清单（manifest.json）；来源文件：{data.sources_text}",
    )  # fmt: skip
    for block in blocks:
        match block.kind:
            case "title":
                wordstyle.add_title(doc, "\n".join(block.lines))
            case "heading":
                wordstyle.add_heading(doc, block.text, block.level)
            case "para":
                # A lead-in (…：) is not kept with its list: LibreOffice then moves a long first
                # item whole to the next page and leaves a gap of several lines.
                wordstyle.add_body(doc, block.text, first_line_indent=block.indent)
            case "table":
                header, *rows = [["\n".join(wrap(cell, w, block.size)) for cell, w in zip(row, block.widths, strict=True)]
                                 for row in (block.header, *block.rows)]
                wordstyle.add_table(doc, header, rows, block.widths, align=block.align, size=Pt(block.size),
                                    min_row_mm=block.min_row_mm)
                wordstyle.add_spacer(doc)
            case "attachments":
                # The last body paragraph goes with the 附件说明 and 署名 (GB/T 9704 §7.3.5: no
                # page with only the signature).
                if doc.paragraphs:
                    wordstyle.keep_with_next(doc.paragraphs[-1])
                wordstyle.keep_with_next(wordstyle.add_blank_line(doc))
                wordstyle.add_attachment_note(doc, list(block.lines))
            case "signature":
                assert block.date is not None
                wordstyle.add_signature(doc, block.text, block.date)
                for line in block.lines:
                    wordstyle.add_release_note(doc, line)
            case "sign":
                if doc.paragraphs:
                    wordstyle.keep_with_next(doc.paragraphs[-1])
                wordstyle.add_sign_lines(doc, block.lines)
            case "attachment":
                wordstyle.add_attachment_label(doc, block.lines[0], new_page=True)
                wordstyle.add_blank_line(doc)
                wordstyle.add_title(doc, block.text)
    return wordstyle.to_bytes(doc)
