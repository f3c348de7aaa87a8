"""Loading OLD and NEW: a policy file or `REV:path` from git, the cases next to it and its
修改说明 overrides."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compiler.model.load import policy_from_tree
from compiler.model.policy import Policy
from compiler.source import yamlsrc
from compiler.source.diagnostics import Diagnostic, PolicyError, Span
from compiler.source.files import display_path


@dataclass
class Loaded:
    policy: Policy
    label: str  # as shown to the user
    folder: Path | None  # working-tree folder of the policy (its cases and diffs/ live there)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise PolicyError([Diagnostic("E704", "找不到 git 命令，无法读取 版本:路径 形式的文件",
                                      hint="安装 git，或先用 git show 导出文件再比较")]) from None


def load_version(spec: str, cwd: Path | None = None) -> Loaded:
    """A policy file, or `REV:path` (the file as it was in a git revision; the path is relative
    to the repository root, as in `git show`)."""
    cwd = cwd or Path.cwd()
    path = Path(spec)
    if not (cwd / path).exists() and ":" in spec and not re.match(r"^[A-Za-z]:[\\/]", spec):
        rev, _, rel = spec.partition(":")
        return _load_from_git(spec, rev, rel, cwd)
    full = path if path.is_absolute() else cwd / path
    name = display_path(full)
    tree = yamlsrc.load_yaml(full, name)
    return Loaded(policy_from_tree(tree, name), name, full.parent)


def _load_from_git(spec: str, rev: str, rel: str, cwd: Path) -> Loaded:
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise PolicyError([Diagnostic("E704", f"当前目录不在 git 仓库中，无法读取「{spec}」",
                                      hint="在仓库目录中运行，或直接给出文件路径")])
    root = Path(top.stdout.decode().strip())
    if not rev or _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd).returncode != 0:
        raise PolicyError([Diagnostic("E702", f"git 版本「{rev}」不存在（{spec}）",
                                      hint="用 git log --oneline 查看可用的版本，如 HEAD~1、提交号或分支名")])
    if not rel or _git(["cat-file", "-e", f"{rev}:{rel}"], cwd).returncode != 0:
        raise PolicyError([Diagnostic("E703", f"git 版本「{rev}」中没有文件「{rel}」",
                                      hint="路径从仓库根目录写起（与 git show 相同），如 HEAD~1:policies/x/final.yaml")])
    blob = _git(["show", f"{rev}:{rel}"], cwd)
    try:
        text = blob.stdout.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError([Diagnostic("E002", f"{spec} 不是 UTF-8 编码", Span(spec, 1, 1))]) from None
    tree = yamlsrc.parse_yaml(text, spec)
    return Loaded(policy_from_tree(tree, spec), spec, (root / rel).parent)


def case_files(folders: Iterable[Path | None]) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        if folder is not None and folder.is_dir():
            for p in sorted(folder.glob("*.cases.yaml")):
                if p.resolve() not in {q.resolve() for q in out}:
                    out.append(p)
    return out


def notes_path(folder: Path | None, old: Policy, new: Policy) -> Path | None:
    if folder is None:
        return None
    p = folder / "diffs" / f"{old.version}-{new.version}.yaml"
    return p if p.is_file() else None
