"""`policyc import` and `policyc check-source`: the command-line side (arguments, listing, writing
the files, printing the outcome). The work is done by one module per stage:

read (decode the file) → lines (what each line looks like) → documents (the documents in a file)
→ structure (章/条/款/项 with repairs) → metadata → proposals (natures, rule drafts) → emit (YAML)
→ report (import report) → importing (the import as a whole); check_source compares a policy with
its source parsed the same way.

Everything the import changes in the text is a `Repair` (compiler/documents/text.py) listed in
`<version>.import-report.md`; everything it does not put into the clauses (the issuing notice, the
signature) is listed there verbatim. So every character of the chosen document ends up in the YAML
or in the report.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from compiler.documents.text import render_repairs
from compiler.importer.check_source import check_source
from compiler.importer.documents import find_documents
from compiler.importer.importing import choose_document, import_document, no_document_error
from compiler.importer.lines import lines_of
from compiler.importer.read import read_source
from compiler.importer.report import listing
from compiler.importer.result import ImportResult
from compiler.importer.structure import Parsed, parse_document
from compiler.model.load import load_policy
from compiler.source.diagnostics import Diagnostic, PolicyError, UsageError, render_all
from compiler.source.files import atomic_write, display_path, find_policy_files, find_root

# Importable from here for the tests and the diff: the entry points of the import.
__all__ = ["COMMANDS", "ImportResult", "check_source", "import_document", "read_source"]


def _add_import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", type=Path, help="源文件：.txt（UTF-8、GB18030/GBK）或 .docx")
    p.add_argument("-o", "--output", type=Path, help="输出的政策文件 policies/<政策编号>/<版本>.yaml；省略时只列出文件")
    p.add_argument("--document", type=int, help="导入源文件中的第 N 个文件（见列表）")
    p.add_argument("--title", help="导入标题含此文字的办法")
    p.add_argument("--policy-id", help="政策编号；默认取输出文件所在目录名")
    p.add_argument("--version", help="版本编号；默认取输出文件名")
    p.add_argument("--force", action="store_true", help="输出文件已存在时覆盖")


def cmd_import(args: argparse.Namespace) -> int:
    if args.document is not None and args.title is not None:
        raise UsageError("--document 与 --title 只能用一个")
    if args.output is None:
        source = read_source(args.source)
        lines = lines_of(source)
        docs = find_documents(lines)
        parsed: dict[int, Parsed] = {}
        for d in docs:
            if d.importable:
                try:
                    parsed[d.index] = parse_document(source, lines, d)
                except PolicyError:
                    d.kind, d.role = "other", "结构有误，导入时会报告具体位置"
        print(listing(source, docs, parsed))
        if not any(d.importable for d in docs):
            raise no_document_error(source, docs)
        if args.document is not None or args.title is not None:
            chosen = choose_document(source, lines, docs, args.document, args.title)
            print(f"\n第 {chosen.index} 个文件：{chosen.title}（{parsed[chosen.index].summary()}）")
            print("\n".join(render_repairs(parsed[chosen.index].repairs, source.path.name)))
        return 0
    if args.output.suffix != ".yaml" or args.output.name.endswith((".cases.yaml", ".facts.yaml")):
        raise UsageError(f"输出文件应为 policies/<政策编号>/<版本>.yaml，而不是 {args.output}")
    if args.output.exists() and not args.force:
        raise UsageError(f"{args.output} 已存在；导入不会覆盖已有的政策文件（确需覆盖时加 --force）")
    imp = import_document(args.source, args.output, document=args.document, title=args.title,
                          policy_id=args.policy_id, version=args.version)
    report_path = args.output.with_name(f"{imp.version}.import-report.md")
    atomic_write(args.output, imp.yaml_text.encode("utf-8"))
    atomic_write(report_path, imp.report.encode("utf-8"))
    p = imp.parsed
    n_prop = sum(len(v) for v in imp.proposals.values())
    print(f"已导入「{imp.meta.document_title}」（{p.summary()}）→ {display_path(args.output)}")
    print(f"修复 {len(p.repairs)} 处，未写入条文的文字 {len(p.excluded)} 段，规则草案 {n_prop} 条（待确认）；"
          f"详见 {display_path(report_path)}")
    for warning in p.warnings + [f"未找到：{x}" for x in imp.meta.missing]:
        print(f"  注意：{warning}")
    return 0


def _add_check_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", type=Path, nargs="?", help="政策文件；省略时检查 policies/ 下全部")
    p.add_argument("source", type=Path, nargs="?", help="源文件；默认为 meta.source.file")


def cmd_check_source(args: argparse.Namespace) -> int:

    if args.policy is None:
        if args.source is not None:  # pragma: no cover - argparse fills policy first
            raise UsageError("指定源文件时必须同时指定政策文件")
        files = find_policy_files(find_root(args.root) / "policies")
    else:
        files = [args.policy]
    errors: list[Diagnostic] = []
    for path in files:
        try:
            policy = load_policy(path)
        except PolicyError as exc:  # report every policy, not only the first broken one
            errors.extend(exc.diagnostics)
            continue
        diags, parsed = check_source(policy, path, args.source)
        if diags:
            errors.extend(diags)
            continue
        assert parsed is not None
        print(f"✓ {display_path(path)}：{parsed.summary()}与源文件一致"
              f"（源文件按导入规则修复 {len(parsed.repairs)} 处）")
    if errors:
        print(render_all(errors), file=sys.stderr)
        return 1
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "import": ("从源文件（.txt/.docx）导入办法，生成政策文件骨架与导入报告", _add_import_arguments, cmd_import),
    "check-source": ("逐条（款、项）比对政策文件与源文件，报告缺少或多出的字", _add_check_arguments, cmd_check_source),
}
