"""Making the 政策明白纸 of a computing policy (`make_leaflet`) and the build producer that
writes generated/<policy>/leaflet.{md,html,docx} and leaflet.manifest.json for every issued
policy version with a leaflet file (policies/<id>/leaflet/examples.yaml).

    policy YAML + leaflet/examples.yaml + region file ──derive (settle)──▶ LeafletData ──leaflet.j2──▶ blocks ──▶ md / html / docx
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.documents.guide.blocks import Block, render_blocks
from compiler.documents.guide.render_docx import render_docx
from compiler.documents.guide.render_page import render_layout
from compiler.documents.guide.templates import FORMATS
from compiler.documents.leaflet.data import KIND, LeafletData, leaflet_file, load_leaflet
from compiler.documents.leaflet.derive import derive
from compiler.model.policy import Policy
from compiler.source.diagnostics import Diagnostic, PolicyError
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import locate

STEM = "leaflet"


@dataclass
class Leaflet:
    data: LeafletData
    blocks: list[Block]
    outputs: dict[str, bytes]  # by format
    manifest: bytes  # provenance: never printed on the page

    def files(self, stem: str) -> dict[str, bytes]:
        return {**{f"{stem}.{fmt}": content for fmt, content in self.outputs.items()},
                f"{stem}.manifest.json": self.manifest}


def manifest(data: LeafletData, outputs: Mapping[str, bytes]) -> bytes:
    """What the leaflet was made from and what came out, each with its SHA-256 (sorted keys, no
    clock, no absolute paths)."""
    meta = data.policy.meta
    record = {
        "format": "policyc-leaflet-manifest/1",
        "document": data.title,
        "policy": {"id": data.policy.policy_id, "version": data.policy.version, "title": meta.title,
                   "doc_number": meta.doc_number},
        "sources": [{"file": s.name, "bytes": len(s.data), "sha256": hashlib.sha256(s.data).hexdigest()}
                    for s in data.sources],
        "sources_sha256": data.digest,
        "examples": {ex.name: ex.result.get("total") for ex in data.examples},
        "outputs": {fmt: {"bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
                    for fmt, content in sorted(outputs.items())},
    }
    return (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def make_leaflet(policy_path: Path, policy: Policy, *, root: Path | None = None, params_path: Path | None = None,
                 formats: Sequence[str] = FORMATS) -> Leaflet:
    params = load_leaflet(params_path or leaflet_file(policy_path), policy)
    data = derive(policy, params, root, policy_path)
    blocks = render_blocks(data, policy_path, f"{KIND}.j2")
    out: dict[str, bytes] = {}
    for fmt in formats:
        out[fmt] = render_docx(data, blocks) if fmt == "docx" else \
            render_layout(data, blocks, policy_path, fmt).encode("utf-8")
    return Leaflet(data, blocks, out, manifest(data, out))


def build_outputs(root: Path, pairs: list[tuple[Path, Policy]]) -> dict[str, bytes]:
    """Build producer: the leaflet of every issued policy version that has a leaflet file (its
    `version` picks one when a folder has several issued versions)."""
    outputs: dict[str, bytes] = {}
    errors: list[Diagnostic] = []
    by_folder: dict[Path, list[tuple[Path, Policy]]] = {}
    for path, policy in pairs:
        if policy.meta.status == "issued" and leaflet_file(path).is_file():
            by_folder.setdefault(path.parent, []).append((path, policy))
    for _folder, issued in sorted(by_folder.items()):
        try:
            chosen = issued
            if len(issued) > 1:
                file = leaflet_file(issued[0][0])
                tree = load_document(file, "leaflet")
                version = str(tree["version"]) if "version" in tree else None
                chosen = [(p, pol) for p, pol in issued if version == pol.version]
                if len(chosen) != 1:
                    raise PolicyError([Diagnostic(
                        "E641", f"{display_path(file)}：现行版本有 {'、'.join(pol.version for _, pol in issued)}，"
                        + ("请用 version 指定依据哪一个" if version is None else f"没有版本「{version}」"),
                        locate(tree, ["version"]) or tree.span,
                    )])  # fmt: skip
            path, policy = chosen[0]
            leaflet = make_leaflet(path, policy, root=root)
        except PolicyError as exc:
            errors.extend(exc.diagnostics)
            continue
        outputs.update(leaflet.files(f"{policy.policy_id}/{STEM}"))
    if errors:
        raise PolicyError(errors)
    return outputs
