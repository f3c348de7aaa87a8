"""Stage 6, build: every policy under policies/ → generated/ (evaluators, rebuilt text, coverage).

Everything is computed in memory first; only when every policy compiles are files written, each
atomically (temporary file + rename). `stale()` is the `--check` comparison used by CI.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from compiler.documents import reports, text
from compiler.evaluate import codegen, codegen_compliance, codegen_computation
from compiler.model.load import load_policies
from compiler.model.policy import Policy
from compiler.source.diagnostics import Diagnostic, PolicyError
from compiler.source.files import GENERATED, atomic_write, find_policy_files


def _producers() -> list[Callable[[Path, list[tuple[Path, Policy]]], dict[str, bytes]]]:
    """Further outputs of the build (条文对照表, guides, 政策明白纸): each maps (root, [(policy file, Policy)])
    to {path relative to generated/: bytes} and runs after every policy has compiled. Imported
    here, not at module level: they pull in Jinja2 and python-docx, which `policyc eval` never needs."""
    from compiler.diff.command import build_outputs as diff_outputs
    from compiler.documents.checklist import build_outputs as checklist_outputs
    from compiler.documents.guide.command import build_outputs as guide_outputs
    from compiler.documents.leaflet.produce import build_outputs as leaflet_outputs
    from compiler.registry.command import build_outputs as registry_outputs

    return [diff_outputs, guide_outputs, leaflet_outputs, registry_outputs, checklist_outputs]


def build_all(root: Path) -> dict[str, bytes]:
    """Compile every policy; returns {path relative to generated/: content}."""
    files = find_policy_files(root / "policies")
    policies, errors = load_policies(files)
    if errors:
        raise PolicyError(errors)
    outputs: dict[str, bytes] = {}
    seen: dict[tuple[str, str], str] = {}
    for path, policy in zip(files, policies, strict=True):
        rel_source = path.relative_to(root).as_posix()
        key = (policy.policy_id, policy.version)
        if key in seen:
            raise PolicyError([Diagnostic(
                "E304", f"政策 {policy.policy_id} 的版本 {policy.version} 在 {seen[key]} 与 {rel_source} 中重复",
                policy.tree.value_spans.get("version"), hint="同一政策的每个版本的 version 必须不同",
            )])
        seen[key] = rel_source
        source_text = path.read_text(encoding="utf-8-sig")
        base = f"{policy.policy_id}/{policy.version}"
        if policy.compliance is not None:
            module = codegen_compliance.generate_compliance(policy, source_text, rel_source)
        elif policy.computes:
            module = codegen_computation.generate_computation(policy, source_text, rel_source)
        else:
            module = codegen.generate(policy, source_text, rel_source)
        outputs[f"{base}.py"] = module.encode("utf-8")
        outputs[f"{base}.txt"] = text.rebuild(policy).encode("utf-8")
        outputs[f"{base}.coverage.md"] = reports.coverage_markdown(policy, rel_source).encode("utf-8")
    pairs = list(zip(files, policies, strict=True))
    for producer in _producers():
        for rel, content in producer(root, pairs).items():
            if rel in outputs:
                raise PolicyError([Diagnostic("E305", f"两个生成步骤都要写 generated/{rel}")])
            outputs[rel] = content
    return dict(sorted(outputs.items()))


def _existing(out_dir: Path) -> dict[str, Path]:
    if not out_dir.is_dir():
        return {}
    return {
        p.relative_to(out_dir).as_posix(): p
        for p in sorted(out_dir.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    }


def stale(root: Path, outputs: dict[str, bytes]) -> list[str]:
    """What differs between generated/ and a fresh build (empty when up to date)."""
    out_dir = root / GENERATED
    existing = _existing(out_dir)
    problems = []
    for rel, content in outputs.items():
        if rel not in existing:
            problems.append(f"缺少 {GENERATED}/{rel}")
        elif existing[rel].read_bytes() != content:
            problems.append(f"已过期 {GENERATED}/{rel}")
    for rel in existing:
        if rel not in outputs:
            problems.append(f"多余 {GENERATED}/{rel}（没有对应的政策文件）")
    return problems


def extra_files(root: Path, outputs: dict[str, bytes]) -> list[str]:
    """Files under generated/ that this build does not produce (relative to generated/): left
    by a removed policy version, or put there by hand. `write` deletes only those it is given."""
    return [rel for rel in _existing(root / GENERATED) if rel not in outputs]


def write(root: Path, outputs: dict[str, bytes], remove: list[str] | None = None) -> int:
    """Write the outputs (only files whose content changed) and delete the files in `remove`
    (from `extra_files`, which the user agreed to delete: `policyc build --clean`)."""
    out_dir = root / GENERATED
    existing = _existing(out_dir)
    changed = 0
    for rel, content in outputs.items():
        target = out_dir / rel
        if rel in existing and existing[rel].read_bytes() == content:
            continue
        atomic_write(target, content)
        changed += 1
    for rel in remove or []:
        if rel in existing and rel not in outputs:
            existing[rel].unlink()
            changed += 1
    return changed
