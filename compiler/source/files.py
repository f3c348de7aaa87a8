"""Files and folders of a policyc project: where policies live, how paths are shown to users,
and how outputs are written (atomically). Below every stage, so any stage may use it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from compiler.source.diagnostics import UsageError

GENERATED = "generated"  # the build's output folder, beside policies/


def display_path(path: Path) -> str:
    """A path as users see it in messages: relative to the working directory when possible."""
    try:
        return os.path.relpath(path)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


def find_policy_files(root: Path) -> list[Path]:
    """Every policy version under policies/ (YAML files that are not cases or year parameters)."""
    out = []
    for path in sorted(root.glob("*/*.yaml")):
        if path.name.endswith((".cases.yaml", ".round-cases.yaml", ".facts.yaml")) or path.parent.name == "sources":
            continue
        out.append(path)
    return out


@contextlib.contextmanager
def atomic_target(path: Path) -> Iterator[Path]:
    """A temporary file beside `path` to write (by any writer, streamed or not); it replaces
    `path` when the block ends without an error, and is removed otherwise."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        yield Path(tmp)
        # mkstemp creates 0600; give the file the mode an ordinary write would (0666 & ~umask).
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write(path: Path, content: bytes) -> None:
    with atomic_target(path) as tmp:
        tmp.write_bytes(content)


def find_root(start: Path | None) -> Path:
    if start is not None:
        if not (start / "policies").is_dir():
            raise UsageError(f"{start} 下没有 policies/ 目录")
        return start
    here = Path.cwd()
    for candidate in (here, *here.parents):
        if (candidate / "policies").is_dir():
            return candidate
    raise UsageError("找不到 policies/ 目录：请在项目目录中运行，或用 --root 指定")
