"""The committed evaluator of a policy, used as it is when it is fresh.

`policyc eval` would otherwise load and check the policy, generate its evaluator and compile it
(≈ 0.3 s of a 0.5 s command). The module in generated/ is the project's own committed build
output — not a cache or a temporary file — and it is used only when it was generated from this
very policy text (its SOURCE_SHA256) by this very compiler (its COMPILER fingerprint, a hash of
the sources that decide what generated code says). Otherwise the caller generates it afresh.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from compiler.runtime import computation, core

COMPILER_DIR = Path(__file__).resolve().parent.parent
# What generated code depends on (every module the generator imports; a test checks): the runtime
# it copies, the language, reading and validating YAML, the model and its checks, the generator.
FINGERPRINTED = (
    "runtime", "lang", "source", "model", "__init__.py",
    "evaluate/codegen.py", "evaluate/expressions.py", "evaluate/pywriter.py", "evaluate/derive.py",
    "evaluate/codegen_compliance.py", "evaluate/derive_compliance.py", "evaluate/codegen_computation.py",
    "evaluate/derive_computation.py",
    "evaluate/award_round_engines.py",
)  # fmt: skip
_HEADER = re.compile(r"^(SOURCE|SOURCE_SHA256|COMPILER) = '([^'\n]*)'", re.M)


@cache
def compiler_fingerprint() -> str:
    """sha256 over the compiler sources that decide the content of a generated evaluator."""
    h = hashlib.sha256()
    for entry in FINGERPRINTED:
        path = COMPILER_DIR / entry
        files = sorted(p for p in path.rglob("*") if p.suffix in (".py", ".lark", ".json")) if path.is_dir() else [path]
        for file in files:
            h.update(file.relative_to(COMPILER_DIR).as_posix().encode())
            h.update(b"\0")
            h.update(file.read_bytes())
            h.update(b"\0")
    return h.hexdigest()


def policy_digest(text: str) -> str:
    """The SOURCE_SHA256 a generated module records for the policy text it came from."""
    return hashlib.sha256(text.encode("utf-8") + b"\0").hexdigest()


def fresh_module(policy_path: Path, policy_text: str, generated: Path) -> Path | None:
    """The module under `generated` built from this policy text by this compiler, if there is one."""
    if not generated.is_dir():
        return None
    digest = policy_digest(policy_text)
    for module in sorted(generated.glob("*/*.py")):
        header = dict(_HEADER.findall(module.read_text(encoding="utf-8")[:4000]))
        if header.get("SOURCE_SHA256") == digest and header.get("COMPILER") == compiler_fingerprint():
            return module
    return None


def load_module(path: Path) -> dict[str, Any]:
    """Run a committed generated module (compiled from its source, never from a bytecode cache)."""
    namespace: dict[str, Any] = {"__name__": f"policyc_generated_{path.parent.name}_{path.stem}"}
    exec(compile(path.read_text(encoding="utf-8"), str(path), "exec"), namespace)
    return namespace


# The errors a generated module raises, as copies of the compiler's classes (it imports nothing
# from policyc), and the fields each carries: the wrapper raises the compiler's own class.
_ERROR_FIELDS = {
    "FactsError": ("missing", "invalid", "unknown"),
    "EvaluationError": ("cite", "message", "rule"),
    "RecordsError": ("kind", "index", "field", "message"),
    "RegionError": ("message", "names"),
}


def compile_module(source: str, label: str, name: str) -> dict[str, Any]:
    """A generated module's namespace, compiled from its source text in memory."""
    namespace: dict[str, Any] = {"__name__": name}
    exec(compile(source, label, "exec"), namespace)
    return namespace


def wrap_evaluate(namespace: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """The module's `evaluate`, raising the compiler's error classes instead of the module's copies."""
    ours = {"FactsError": core.FactsError, "EvaluationError": core.EvaluationError,
            "RecordsError": core.RecordsError, "RegionError": computation.RegionError}
    fn = namespace["evaluate"]
    copies = tuple((namespace[n], ours[n], fields) for n, fields in _ERROR_FIELDS.items() if n in namespace)
    caught = tuple(copy for copy, _, _ in copies)

    def evaluate(*args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = fn(*args, **kwargs)
        except caught as exc:
            _, cls, fields = next(c for c in copies if isinstance(exc, c[0]))
            raise cls(*(getattr(exc, f) for f in fields)) from None
        return result

    return evaluate
