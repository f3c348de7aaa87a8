"""条文对照表: what changed between two versions of a 办法, clause by clause.

Pipeline: load both versions (policy files or git `REV:path`, sources) → align chapters, articles
and the 款/项 inside each aligned article (align) → inline diff on *normalised tokens*, so that
full-width/half-width punctuation, spaces and 第1章/第一章 are formatting only (tokens) → machine
rules compared rule by rule (rules) → applications run under both versions (outcomes) → a 修改说明
drafted per entry (wording; overridable, notes) → the rows collected (compare) → the published
table (table; rendered as text, Markdown, HTML, Word) or the drafter's report of rule changes and
consequences (report; text, Markdown) or everything as JSON (`policyc-diff/1`). Marks cover whole
words (words: jieba's word boundaries).

Every comparison is made symmetric on purpose (canonical orientation of each character diff,
symmetric tie-breaks in the aligners), so that swapping OLD and NEW mirrors the result exactly:
added ↔ deleted, split ↔ merged, insert ↔ delete.

This module is the entry point: the `diff` subcommand (COMMANDS, read by cli.py) and the build
producer (build_outputs, called by build.py)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Callable
from pathlib import Path

from compiler.diff.compare import compare
from compiler.diff.model import DiffResult, render_json
from compiler.diff.notes import load_notes
from compiler.diff.outcomes import Application, load_applications
from compiler.diff.render_docx import render_docx
from compiler.diff.render_html import render_html
from compiler.diff.render_md import render_markdown, render_report_markdown
from compiler.diff.render_text import render_report_text, render_text
from compiler.diff.sources import case_files, load_version, notes_path
from compiler.model.policy import Policy
from compiler.source.diagnostics import Diagnostic, PolicyError, UsageError
from compiler.source.files import atomic_write, display_path

RENDERERS: dict[str, Callable[[DiffResult], str | bytes]] = {
    "text": render_text, "md": render_markdown, "html": render_html, "json": render_json, "docx": render_docx,
}
# The drafter's report (--consequences): rule changes, references to check, applications. JSON
# always carries everything.
REPORT_RENDERERS: dict[str, Callable[[DiffResult], str | bytes]] = {
    "text": render_report_text, "md": render_report_markdown, "json": render_json,
}


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="原版本：政策文件，或 git 版本:路径（如 HEAD~1:policies/x/final.yaml）")
    p.add_argument("new", help="修改后版本：政策文件，或 git 版本:路径")
    p.add_argument("--format", choices=list(RENDERERS), default="text", help="输出格式（默认 text）")
    p.add_argument("-o", "--output", type=Path, help="写入文件（docx 必须指定）；默认输出到终端")
    p.add_argument("--cases", type=Path, action="append", default=[],
                   help="另外比较的申请名单：用例文件（*.cases.yaml）或申报信息文件；可重复")
    p.add_argument("--notes", type=Path, help="修改说明覆盖文件；默认 <政策目录>/diffs/<原version>-<新version>.yaml")
    p.add_argument("--show-formatting", action="store_true", help="同时列出仅标点、空格等格式不同之处")
    p.add_argument("--consequences", action="store_true",
                   help="输出起草人用的规则与用例核对报告（规则变化、待核对的引用、用例结果变化），"
                        "而不是对外发布的对照表；格式 text、md 或 json")
    p.add_argument("--force", action="store_true", help="允许比较两个不同政策（policy 不同）的文件")


def run_diff(args: argparse.Namespace) -> int:
    if args.consequences and args.format not in REPORT_RENDERERS:
        raise UsageError(f"--consequences 的报告只有 {'、'.join(REPORT_RENDERERS)} 格式，"
                         f"不能用 --format {args.format}")
    old, new = load_version(args.old), load_version(args.new)
    if old.policy.policy_id != new.policy.policy_id and not args.force:
        span = new.policy.tree.value_spans.get("policy")
        raise PolicyError([Diagnostic(
            "E701", f"两个文件属于不同的政策：{old.label} 是「{old.policy.policy_id}」，"
                    f"{new.label} 是「{new.policy.policy_id}」", span,
            hint="条文对照表比较同一政策的两个版本；确实要比较不同政策时加 --force",
        )])
    apps: list[Application] = []
    for path in case_files([old.folder, new.folder]):
        apps.extend(load_applications(path))
    for path in args.cases:
        apps.extend(load_applications(path))
    notes_file = args.notes or notes_path(new.folder, old.policy, new.policy)
    notes = load_notes(notes_file) if notes_file else None
    result = compare(old.policy, new.policy, old_file=old.label, new_file=new.label, applications=apps,
                     notes=notes, show_formatting=args.show_formatting)
    if args.consequences:
        out: str | bytes = REPORT_RENDERERS[args.format](result)
    elif args.format == "text":
        colour = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        out = render_text(result, colour=colour)
    else:
        out = RENDERERS[args.format](result)
    if args.output is not None:

        atomic_write(args.output, out.encode("utf-8") if isinstance(out, str) else out)
        print(f"已写入 {display_path(args.output)}（{len(result.entries)} 处实质修改）。", file=sys.stderr)
    elif isinstance(out, bytes):
        if sys.stdout.isatty():
            raise UsageError("docx 是二进制格式，请用 -o 指定输出文件")
        sys.stdout.buffer.write(out)
    else:
        sys.stdout.write(out)
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "diff": ("比较同一政策的两个版本，生成条文对照表（原条文｜修改后条文｜修改说明）", _add_arguments, run_diff),
}


def build_outputs(root: Path, policies: list[tuple[Path, Policy]]) -> dict[str, bytes]:
    """generated/<policy>/diff-<old>-<new>.{md,html,docx} (the table to publish) and
    diff-<old>-<new>.consequences.md (the drafter's report) for each pair of consecutive
    versions of a policy (ordered by publication date), with the policy's cases and 修改说明
    overrides."""
    groups: dict[str, list[tuple[Path, Policy]]] = {}
    for path, policy in policies:
        groups.setdefault(policy.policy_id, []).append((path, policy))
    outputs: dict[str, bytes] = {}
    for pid, versions in sorted(groups.items()):
        versions.sort(key=lambda vp: (vp[1].meta.published or dt.date.min, vp[1].version))
        folder = root / "policies" / pid
        if len(versions) < 2:
            continue  # nothing to compare
        apps: list[Application] = []
        for path in case_files([folder]):
            apps.extend(load_applications(path, path.relative_to(root).as_posix()))
        for (po, old), (pn, new) in zip(versions, versions[1:], strict=False):
            notes_file = notes_path(folder, old, new)
            notes = load_notes(notes_file, notes_file.relative_to(root).as_posix()) if notes_file else None
            result = compare(old, new, old_file=po.relative_to(root).as_posix(),
                             new_file=pn.relative_to(root).as_posix(), applications=apps, notes=notes)
            base = f"{pid}/diff-{old.version}-{new.version}"
            outputs[f"{base}.md"] = render_markdown(result).encode("utf-8")
            outputs[f"{base}.html"] = render_html(result).encode("utf-8")
            outputs[f"{base}.docx"] = render_docx(result)
            outputs[f"{base}.consequences.md"] = render_report_markdown(result).encode("utf-8")
    return outputs
