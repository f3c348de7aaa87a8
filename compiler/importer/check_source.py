"""`check-source`: the source parsed the way the import parses it (same repairs), compared clause
by clause with a policy (see compiler/documents/text.py: compare_clauses)."""

from __future__ import annotations

from pathlib import Path

from compiler.documents.text import compare_clauses, normalise
from compiler.importer.documents import Document, find_documents
from compiler.importer.lines import Line, lines_of
from compiler.importer.read import Source, read_source
from compiler.importer.structure import Parsed, parse_document, source_text
from compiler.model.policy import Policy
from compiler.source.diagnostics import Diagnostic, PolicyError


def find_in_source(source: Source, title: str) -> tuple[list[Line], Document] | None:
    """The document of a source file whose title (normalised) is `title`."""
    lines = lines_of(source)
    want = normalise(title)
    for doc in find_documents(lines):
        if doc.importable and normalise(doc.title) == want:
            return lines, doc
    return None


def check_source(policy: Policy, policy_path: Path, source_path: Path | None) -> tuple[list[Diagnostic], Parsed | None]:
    """Compare every clause of `policy` with its source document (see compiler/documents/text.py)."""
    path = source_path or policy_path.parent / policy.meta.source_file
    try:
        source = read_source(path)
    except PolicyError as exc:
        # The reader's message already names the file and the problem; E501 says it stops check-source.
        return [Diagnostic("E501", d.message, d.span or policy.spans.get("source.file"),
                           hint="meta.source.file 应指向政策目录下 sources/ 中的源文件副本") for d in exc.diagnostics], None
    title = policy.meta.document_title or policy.meta.title
    found = find_in_source(source, title)
    if found is None:
        return [Diagnostic("E502", f"源文件 {source.name} 中找不到标题为「{title}」的办法",
                           policy.spans.get("source.document_title"),
                           hint="meta.source.document_title 应与源文件中的标题行一致")], None
    lines, doc = found
    parsed = parse_document(source, lines, doc)
    return compare_clauses(policy, source_text(source, parsed)), parsed
