"""The `status` subcommand (COMMANDS, read by cli.py) and the build producer (build_outputs,
called by build.py): the registry's documents on a date, and the registry page."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path

from compiler.model.policy import Policy
from compiler.registry.load import REGISTRY, load_registry
from compiler.registry.render import registry_html, registry_markdown, status_json, status_text
from compiler.source.diagnostics import UsageError
from compiler.source.files import find_root


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--on", help="日期（YYYY-MM-DD）；默认今天")
    p.add_argument("--format", choices=["text", "json"], default="text", help="输出格式（默认 text）")


def run_status(args: argparse.Namespace) -> int:
    if args.on is None:
        day = dt.date.today()
    else:
        try:
            day = dt.date.fromisoformat(args.on)
        except ValueError:
            raise UsageError(f"--on 的日期「{args.on}」无效，应写作 YYYY-MM-DD") from None
    root = find_root(args.root)
    registry = load_registry(root)
    if registry is None:
        raise UsageError(f"{root / 'policies'} 下没有登记簿 {REGISTRY}（见 docs/registry.md）")
    sys.stdout.write(status_json(registry, day) if args.format == "json" else status_text(registry, day))
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "status": ("列出登记簿中每件文件在某一日期的效力状态（现行有效、尚未施行、已失效、已废止）及其依据",
               _add_arguments, run_status),
}


def build_outputs(root: Path, policies: list[tuple[Path, Policy]]) -> dict[str, bytes]:
    """generated/registry.md and registry.html: the documents as of the registry's status_date.
    Nothing when the project has no registry."""
    registry = load_registry(root, dict(policies))
    if registry is None:
        return {}
    return {
        "registry.md": registry_markdown(registry).encode("utf-8"),
        "registry.html": registry_html(registry).encode("utf-8"),
    }
