"""The `policyc guide` subcommand (COMMANDS, read by cli.py) and the guide build producer
(`build_outputs`, called by build.py).

The guide package, in pipeline order: year (year parameters) → cite, wording (how clauses and
rules are printed) → data (what templates see) → tables (column widths, cell lines) → templates
(Jinja2 environment) → provenance (sources, digest, build manifest) → materials (申报材料 and
审核要点), form (申报表) → derive (policy + year → GuideData) → blocks (Builder) → render_page,
render_docx → produce (make_guide, build_outputs) → command. docs/guides.md describes the year
format, the template fields and the Builder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from compiler.documents.guide.produce import build_outputs, make_guide, project_root
from compiler.documents.guide.templates import FORMATS
from compiler.model.load import load_policy
from compiler.source.diagnostics import UsageError
from compiler.source.files import atomic_write, display_path, find_policy_files

__all__ = ["COMMANDS", "build_outputs"]


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", type=Path, help="政策文件（policies/<id>/<version>.yaml）或政策目录")
    p.add_argument("--year", type=int, required=True, help="申报年度；读取 policies/<id>/guides/<年度>.yaml")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="输出格式；省略时按 -o 的扩展名，两者都省略时写出全部三种")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="输出文件；省略时 md、html 写到标准输出，全部格式写到 --out-dir")
    p.add_argument("--out-dir", type=Path, default=Path("."),
                   help="不指定 --format 和 -o 时写出 <政策>-guide-<年度>.md/.html/.docx 及构建清单 .manifest.json 的目录（默认当前目录）")


def _policy_file(arg: Path) -> Path:
    if arg.is_dir():
        files = find_policy_files(arg.parent) if arg.parent.name == "policies" else []
        files = [f for f in files if f.parent.resolve() == arg.resolve()] or sorted(
            q for q in arg.glob("*.yaml") if not q.name.endswith(".cases.yaml"))
        issued = [f for f in files if "status: issued" in f.read_text(encoding="utf-8-sig")]
        if len(issued) == 1:
            return issued[0]
        raise UsageError(f"{arg} 下有 {len(issued)} 个现行版本；请直接给出政策文件")
    if not arg.exists():
        raise UsageError(f"找不到政策文件 {arg}")
    return arg


def cmd_guide(args: argparse.Namespace) -> int:
    policy_path = _policy_file(args.policy)
    fmt: str | None = args.format
    if fmt is None and args.output is not None:
        suffix = args.output.suffix.lstrip(".").lower()
        if suffix not in FORMATS:
            raise UsageError(f"无法从 {args.output} 的扩展名判断格式；请用 --format 指定 md、html 或 docx")
        fmt = suffix
    if fmt == "docx" and args.output is None:
        raise UsageError("Word 文档是二进制文件，请用 -o 指定输出文件")
    root: Path | None = args.root if args.root is not None else project_root(policy_path)
    policy = load_policy(policy_path)
    guide = make_guide(policy_path, policy, args.year, root=root, formats=[fmt] if fmt else FORMATS)
    if fmt is None:
        targets = {args.out_dir / name: content
                   for name, content in guide.files(f"{policy.policy_id}-guide-{args.year}").items()}
        for target, content in targets.items():
            atomic_write(target, content)
        print("已生成：" + "、".join(display_path(t) for t in targets))
    elif args.output is None:
        sys.stdout.write(guide.outputs[fmt].decode("utf-8"))
    else:
        atomic_write(args.output, guide.outputs[fmt])
        print(f"已生成：{display_path(args.output)}")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "guide": ("生成年度申报指南等文件（Markdown、HTML、Word）", _add_arguments, cmd_guide),
}
