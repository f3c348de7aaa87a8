"""The import as a whole: choose a document, parse it, read its metadata, guess natures and
propose rules, and check that the file (with every proposal uncommented) is a valid policy."""

from __future__ import annotations

import os
import re
from pathlib import Path

from compiler.documents.text import normalise
from compiler.importer.documents import Document, find_documents, names
from compiler.importer.emit import leaf_address, render_policy
from compiler.importer.lines import DRAFT_MARK_RE, Line, is_table_row, lines_of
from compiler.importer.metadata import extract_meta
from compiler.importer.proposals import Proposal, flag_table_amounts, guess_nature, propose
from compiler.importer.read import Source, fail, read_source
from compiler.importer.report import render_report
from compiler.importer.result import ImportResult
from compiler.importer.structure import parse_document
from compiler.model.load import policy_from_tree
from compiler.source.diagnostics import Diagnostic, PolicyError, Span, UsageError
from compiler.source.files import display_path
from compiler.source.yamlsrc import parse_yaml


def choose_document(source: Source, lines: list[Line], docs: list[Document], document: int | None,
                    title: str | None) -> Document:
    importable = [d for d in docs if d.importable]
    if document is not None:
        if not 1 <= document <= len(docs):
            raise fail("E606", f"--document {document} 超出范围：{source.name} 中共有 {len(docs)} 个文件",
                        Span(source.name, 1, 1), "不带 --document 运行 policyc import 可列出全部文件")
        chosen = docs[document - 1]
        if not chosen.importable:
            raise fail("E606", f"第 {document} 个文件「{chosen.title or '（无标题）'}」不是办法：{_why_not(source, chosen)}",
                        Span(source.name, chosen.start + 1, 1))
        return chosen
    if title is not None:
        want = normalise(title)
        hits = [d for d in importable if want and want in normalise(d.title)]
        if len(hits) == 1:
            return hits[0]
        if not hits:
            raise fail("E607", f"{source.name} 中没有标题含「{title}」的办法", Span(source.name, 1, 1),
                        "不带 --title 运行 policyc import 可列出全部文件")
        listed = "；".join(f"第 {d.index} 个「{d.title}」" for d in hits)
        raise fail("E607", f"标题含「{title}」的办法不止一个：{listed}", Span(source.name, 1, 1), "用 --document N 指定")
    if len(importable) == 1:
        return importable[0]
    # Several 办法, but a notice names just one of them (现将《……办法》印发给你们): that is the one
    # the file issues; the others (an 实施细则 quoted after it, say) are there for reference.
    named = [d for d in importable if d.notice is not None and d.notice.title and names(lines, d.notice, d)]
    if len(named) == 1 and all(d.kind == "articles" and d.notice is None for d in importable if d is not named[0]):
        return named[0]
    if not importable:
        raise no_document_error(source, docs)
    raise UsageError(f"{source.name} 中有 {len(importable)} 个办法，请用 --document N 或 --title 标题 指定要导入哪一个"
                     f"（不带 -o 运行可列出全部文件）")


def _why_not(source: Source, doc: Document) -> str:
    if doc.role:
        return doc.role
    lines = source.lines[doc.start : doc.end]
    if any("起草说明" in ln for ln in lines[:8]):
        return "这是起草说明，不是办法正文——没有「第X条」条文，也没有带标题的编号措施"
    return "没有「第X条」条文，也没有带标题的编号措施（一、二、……）"


def _opening(source: Source, start: int) -> str:
    """The first words of a document, to name it (nothing for a source with no text left)."""
    return source.lines[start].strip()[:20] + "……" if start < len(source.lines) else ""


def no_document_error(source: Source, docs: list[Document]) -> PolicyError:
    reasons = "；".join(f"第 {d.start + 1} {source.unit}起「{d.title or _opening(source, d.start)}」：{_why_not(source, d)}"
                        for d in docs[:6])
    return fail("E605", f"{source.name} 中没有可以导入的办法。{reasons}", Span(source.name, docs[0].start + 1 if docs else 1, 1),
                 "导入需要写有「第一条、第二条……」的办法全文，或以「一、二、……」编号并带标题的措施")


def import_document(path: Path, output: Path | None, *, document: int | None = None, title: str | None = None,
                    policy_id: str | None = None, version: str | None = None) -> ImportResult:
    """Import one document of `path`; nothing is written (the CLI writes the result)."""
    source = read_source(path)
    lines = lines_of(source)
    docs = find_documents(lines)
    chosen = choose_document(source, lines, docs, document, title)
    parsed = parse_document(source, lines, chosen)
    out_dir = output.parent if output is not None else path.parent
    pid = policy_id or (output.parent.name if output is not None else "imported")
    ver = version or (output.stem if output is not None else ("draft" if DRAFT_MARK_RE.search(parsed.title.text) else "final"))
    for what, value in (("政策编号", pid), ("版本", ver)):
        if not re.fullmatch(r"[a-z][a-z0-9-]*", value):
            raise UsageError(f"{what}「{value}」不是有效的编号（小写字母开头，只含小写字母、数字和连字符）；"
                             "输出文件写作 policies/<政策编号>/<版本>.yaml，或用 --policy-id/--version 指定")
    leaves: list[tuple[str, str, str, str]] = []  # (address, text, lead-in of the article, title)
    for art in parsed.articles:
        lead = art.paragraphs[0].text.text if art.paragraphs else ""
        heading = art.title.text if art.title is not None else ""
        for suffix, leaf in art.leaves():
            leaves.append((leaf_address(f"a{art.number}", suffix), leaf.text, lead, heading))
    meta = extract_meta(source, lines, chosen, parsed, [(a, t) for a, t, _, _ in leaves])
    counter = [0]
    proposals: dict[str, list[Proposal]] = {}
    natures: dict[str, str] = {}
    for address, text, lead, heading in leaves:
        natures[address] = guess_nature(text, lead)
        rule_id = "auto-" + address.replace(".", "-")
        found = flag_table_amounts(text, rule_id) if is_table_row(text) else propose(text, heading, rule_id, counter)
        if found:
            proposals[address] = found
    source_file = Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()
    imp = ImportResult(source, chosen, parsed, meta, pid, ver, "", "", proposals, natures)
    name = display_path(output) if output is not None else f"{pid}/{ver}.yaml"
    _settle_proposals(imp, source_file, name)
    if source_file.startswith("../"):
        parsed.warnings.append(f"源文件不在政策目录中（meta.source.file 为 {source_file}）："
                               "请把它原样复制到 policies/<政策编号>/sources/ 并改写 meta.source.file")
    imp.report = render_report(imp, source_file)
    return imp


def _settle_proposals(imp: ImportResult, source_file: str, name: str) -> None:
    """Render the file, check it, and make sure the proposals are valid rules once uncommented:
    a proposal the checker rejects keeps only its note (the human encodes that clause)."""

    def importer_bug(exc: PolicyError | None) -> PolicyError:
        first = exc.diagnostics[0] if exc and exc.diagnostics else None
        message = "导入结果没有通过检查（这是导入器的缺陷，请报告）" + (f"：{first.message}" if first else "")
        return PolicyError([Diagnostic("E609", message, first.span if first else None)])

    for _ in range(5):
        out = render_policy(imp, source_file)
        live = out.render(live=True)
        try:
            policy_from_tree(parse_yaml(live, name), name)
        except PolicyError as exc:
            lines = {d.span.line for d in exc.diagnostics if d.span}
            bad = {pid for pid, (a, b) in out.spans.items() if any(a <= n <= b for n in lines)}
            if not bad and any(out.lines[n - 1][1] for n in lines if 0 < n <= len(out.lines)):
                # The error is in a proposed fact or in `evaluation`: drop the proposals that
                # need facts, keep the literal amounts.
                bad = {p.id for ps in imp.proposals.values() for p in ps if p.usable and p.facts}
            if not bad:
                raise importer_bug(exc) from None
            for ps in imp.proposals.values():
                for p in ps:
                    p.usable = p.usable and p.id not in bad
            continue
        imp.live_yaml_text = live
        imp.yaml_text = out.render(live=False)
        try:
            policy_from_tree(parse_yaml(imp.yaml_text, name), name)
        except PolicyError as exc:
            raise importer_bug(exc) from None
        return
    raise importer_bug(None)
