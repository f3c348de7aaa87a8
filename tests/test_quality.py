"""Code quality gates that CI runs with the tests: ruff on everything, mypy --strict on compiler/."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True)


def test_ruff_is_clean() -> None:
    paths = [p for p in ("compiler", "tests", "benchmarks", "scripts") if (ROOT / p).exists()]
    out = _run(["ruff", "check", *paths])
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_strict_is_clean() -> None:
    out = _run(["mypy", "compiler"])
    assert out.returncode == 0, out.stdout + out.stderr
