"""The shape of the compiler: packages in pipeline order, no import cycles, no string registries,
no module that does too many jobs, and generated evaluators held to the project's own gates."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COMPILER = ROOT / "compiler"
GENERATED = sorted((ROOT / "generated").rglob("*.py"))
# Each package may import only from the packages before it (and itself); build and cli sit on top.
LAYERS = ["runtime", "lang", "source", "model", "registry", "evaluate", "documents", "diff", "importer", "batch"]
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """compiler module → the compiler modules it imports (at any depth in the file)."""
    modules = {_module_name(p): p for p in COMPILER.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            edges |= {t for t in targets if t in modules and t != name}
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles() -> None:
    assert find_cycle(import_graph()) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_packages_import_only_earlier_stages() -> None:
    problems = []
    for module, imports in import_graph().items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] not in LAYERS:
            continue  # compiler/__init__, build, cli
        level = LAYERS.index(parts[1])
        for target in imports:
            tparts = target.split(".")
            if len(tparts) >= 2 and tparts[1] in ("build", "cli"):
                problems.append(f"{module} → {target}")
            elif len(tparts) >= 3 and tparts[1] in LAYERS and LAYERS.index(tparts[1]) > level:
                problems.append(f"{module} → {target}")
    assert problems == []


def test_no_string_registries_or_dynamic_imports() -> None:
    offenders = [
        str(p.relative_to(ROOT)) for p in COMPILER.rglob("*.py")
        if "import_module" in p.read_text(encoding="utf-8") or "__import__(" in p.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_no_module_does_too_many_jobs() -> None:
    sizes = {str(p.relative_to(ROOT)): len(p.read_text(encoding="utf-8").splitlines()) for p in COMPILER.rglob("*.py")}
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}


def test_runtime_uses_only_the_standard_library() -> None:
    for path in (COMPILER / "runtime").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                top = node.module.split(".")[0]
                assert top in sys.stdlib_module_names or node.module.startswith("compiler.runtime"), (path, node.module)


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_lines_are_readable(path: Path) -> None:
    long = [i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if len(line) > 120]
    assert long == []


@pytest.mark.parametrize("path", GENERATED, ids=lambda p: str(p.relative_to(ROOT)))
def test_generated_imports_only_the_standard_library(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            assert all(n.split(".")[0] in sys.stdlib_module_names or n == "__future__" for n in names), names


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:  # pragma: no cover - the test extras install both
        pytest.fail(f"{name} is not installed (pip install -e '.[test]')")
    return found


def test_generated_modules_pass_ruff() -> None:
    out = subprocess.run([_tool("ruff"), "check", "--no-cache", *map(str, GENERATED)], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_generated_modules_pass_mypy_strict(tmp_path: Path) -> None:
    # Every policy has a final.py: copied under distinct names, mypy checks them in one run.
    copies = []
    for path in GENERATED:
        copy = tmp_path / f"{path.parent.name.replace('-', '_')}__{path.stem.replace('-', '_')}.py"
        copy.write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
        copies.append(str(copy))
    out = subprocess.run([_tool("mypy"), "--strict", "--no-incremental", "--cache-dir=/dev/null", *copies],
                         capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stdout + out.stderr


def test_chinese_numerals_agree_with_cn2an() -> None:
    """numbering converts 第X条 numbers itself (cn2an's import costs ~120 ms of every start-up);
    cn2an, a test dependency, is the oracle for both directions."""
    import cn2an

    from compiler.lang.numbering import parse_zh_number, zh_number

    for n in range(1, 20001):
        text = cn2an.an2cn(n, "low")
        assert zh_number(n) == text and parse_zh_number(text) == n
    for bad in ("", "条", "十十", "一二三四x"):
        with pytest.raises(ValueError):
            parse_zh_number(bad)
