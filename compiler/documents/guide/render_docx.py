"""Blocks → a Word document laid out per GB/T 9704 (`wordstyle`)."""

from __future__ import annotations

from compiler.documents import wordstyle
from compiler.documents.guide.blocks import Block
from compiler.documents.guide.data import GuideData


def render_docx(data: GuideData, blocks: list[Block]) -> bytes:
    doc = wordstyle.new_document()
    meta = data.policy.meta
    wordstyle.set_properties(
        doc, title=data.title, author=data.params.issuer, date=data.params.published,
        subject=meta.title,
        keywords=f"{meta.doc_number or ''}; 版本 {data.policy.version}; sha256:{data.digest}",
        comments=f"由 policyc 根据 {data.sources_text} 生成",
    )  # fmt: skip
    for block in blocks:
        match block.kind:
            case "title":
                wordstyle.add_title(doc, "\n".join(block.lines))
            case "heading":
                wordstyle.add_heading(doc, block.text, block.level)
            case "para":
                wordstyle.add_body(doc, block.text, first_line_indent=block.indent)
            case "table":
                wordstyle.add_table(doc, block.header, block.rows, block.widths, align=block.align)
            case "attachments":
                wordstyle.add_blank_line(doc)
                wordstyle.add_attachment_note(doc, list(block.lines))
            case "signature":
                assert block.date is not None
                wordstyle.add_signature(doc, block.text, block.date)
            case "attachment":
                wordstyle.add_attachment_label(doc, block.lines[0], new_page=True)
                wordstyle.add_blank_line(doc)
                wordstyle.add_title(doc, block.text)
            case "provenance":
                wordstyle.add_blank_line(doc)
                for line in block.lines:
                    wordstyle.add_small(doc, line)
    return wordstyle.to_bytes(doc)
