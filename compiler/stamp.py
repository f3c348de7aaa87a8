"""What the last build was made from, so that `policyc build` with nothing changed does nothing.

The stamp (`.policyc-cache/build.json`, ignored by git) records a digest of every input of the
build — the policies and their year files and templates, calendars, the compiler's own sources,
templates and schemas, and the versions of the libraries that write the outputs — and the sha256
of every file the build wrote. When the inputs have the same digest and generated/ still holds
exactly those files, the build would write the same bytes again, so it is skipped. The stamp is
only ever compared, never executed; a damaged or foreign stamp just means a full build.
`policyc build --check` (what CI runs) always builds in full and never reads it.
"""

from __future__ import annotations

import hashlib
import json
from importlib import metadata
from pathlib import Path

from compiler.source.files import GENERATED, atomic_write

STAMP = Path(".policyc-cache") / "build.json"
COMPILER_DIR = Path(__file__).resolve().parent
# Libraries whose version can change the bytes of an output (Word, HTML, YAML reading, checks).
LIBRARIES = ("python-docx", "lxml", "Jinja2", "PyYAML", "jsonschema", "lark", "chinese-calendar")
INPUT_FOLDERS = ("policies", "calendars")


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def inputs_digest(root: Path) -> str:
    h = hashlib.sha256()
    for base, files in [(root, _files(root / f)) for f in INPUT_FOLDERS] + [(COMPILER_DIR, _files(COMPILER_DIR))]:
        for path in files:
            h.update(path.relative_to(base).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    for name in LIBRARIES:
        try:
            version = metadata.version(name)
        except metadata.PackageNotFoundError:
            version = "-"
        h.update(f"{name}=={version}\0".encode())
    return h.hexdigest()


def _outputs_now(root: Path) -> dict[str, str]:
    out = root / GENERATED
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest() for p in _files(out)}


def unchanged(root: Path) -> bool:
    """Whether generated/ is exactly what a build of the current inputs wrote last time."""
    try:
        stamp = json.loads((root / STAMP).read_text(encoding="utf-8"))
        return bool(stamp["inputs"] == inputs_digest(root) and stamp["outputs"] == _outputs_now(root))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def record(root: Path) -> None:
    """Remember the inputs and outputs of the build that just wrote generated/."""
    stamp = {"inputs": inputs_digest(root), "outputs": _outputs_now(root)}
    try:
        atomic_write(root / STAMP, json.dumps(stamp, indent=1, sort_keys=True).encode("utf-8"))
    except OSError:
        pass  # a read-only checkout: the next build is simply a full one
