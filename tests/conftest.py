"""Shared fixtures and the `--update-golden` option (re-records golden files; review with git diff)."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
HAMI = ROOT / "policies" / "hami-quality-fund" / "final.yaml"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files instead of comparing")


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def check_golden(path: Path, actual: str, update: bool) -> None:
    """Compare `actual` with the golden file at `path` (or rewrite it with --update-golden)."""
    if update or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        if not update:
            pytest.fail(f"golden file {path} did not exist; created it — review and commit it")
        return
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{path} differs; run pytest --update-golden and review git diff"


@pytest.fixture(scope="session")
def hami():  # type: ignore[no-untyped-def]
    from compiler.model.load import load_policy

    return load_policy(HAMI)


@pytest.fixture(scope="session")
def mini():  # type: ignore[no-untyped-def]
    from compiler.model.load import load_policy

    return load_policy(FIXTURES / "mini.yaml")
