"""Where a guide comes from: its source files (policy YAML, year parameters, the holiday schedules
consulted, every template that could be used) and one SHA-256 over them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import jinja2
from jinja2 import meta as jinja_meta

from compiler.documents.guide.data import GuideData, Source
from compiler.documents.guide.templates import (
    FORMATS,
    PACKAGE_TEMPLATES,
    environment,
    template_dirs,
    template_error,
)
from compiler.documents.guide.year import YearParams
from compiler.documents.workdays import WorkCalendar


def relative_path(path: Path, root: Path | None) -> str:
    """A source's path as provenance records it: relative to the project root when inside it."""
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def template_sources(policy_path: Path, kind: str, root: Path | None) -> list[Source]:
    """The templates a guide of this kind can use: its kind template, both page layouts and
    everything they import or include (found statically, so the digest is known before
    rendering and is the same for every format)."""
    env = environment(policy_path)
    pending = [f"{kind}.j2", *(f"page.{fmt}.j2" for fmt in FORMATS if fmt != "docx")]
    found: dict[str, Source] = {}
    while pending:
        name = pending.pop()
        if name in found:
            continue
        for directory in template_dirs(policy_path):
            path = directory / name
            if path.is_file():
                printed = f"policyc:templates/{name}" if directory == PACKAGE_TEMPLATES else relative_path(path, root)
                data = path.read_bytes()
                found[name] = Source(printed, data)
                try:
                    refs = jinja_meta.find_referenced_templates(env.parse(data.decode("utf-8"), name, str(path)))
                except jinja2.TemplateSyntaxError as exc:
                    raise template_error(exc, name) from None
                pending.extend(r for r in refs if r)
                break
    return [found[k] for k in sorted(found)]


def guide_sources(policy_path: Path, kind: str, params: YearParams, calendar: WorkCalendar,
             root: Path | None) -> list[Source]:
    out = [Source(relative_path(policy_path, root), policy_path.read_bytes()),
           Source(relative_path(params.path, root), params.path.read_bytes())]
    for sched in sorted(calendar.schedules.values(), key=lambda s: s.year):
        if sched.file in calendar.consulted:
            out.append(Source(relative_path(sched.path, root), sched.path.read_bytes()))
    return out + template_sources(policy_path, kind, root)


def content_hash(sources: Sequence[Source]) -> str:
    """SHA-256 over every source's name and bytes (length-prefixed, so no two inputs collide)."""
    h = hashlib.sha256()
    for s in sources:
        name = s.name.encode("utf-8")
        h.update(len(name).to_bytes(4, "big") + name + len(s.data).to_bytes(8, "big") + s.data)
    return h.hexdigest()



def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(data: GuideData, outputs: Mapping[str, bytes]) -> bytes:
    """The build manifest written next to a guide (guide-<year>.manifest.json): what the guide
    was made from and what came out, each with its SHA-256. Deterministic: sorted keys, no
    clock, no absolute paths."""
    meta = data.policy.meta
    record = {
        "format": "policyc-guide-manifest/1",
        "document": data.title,
        "policy": {"id": data.policy.policy_id, "version": data.policy.version, "title": meta.title,
                   "doc_number": meta.doc_number},
        "year": data.year,
        "sources": [{"file": s.name, "bytes": len(s.data), "sha256": _sha256(s.data)} for s in data.sources],
        "holiday_schedules": data.calendar_sources,
        "sources_sha256": data.digest,
        "outputs": {fmt: {"bytes": len(content), "sha256": _sha256(content)}
                    for fmt, content in sorted(outputs.items())},
    }
    return (json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")
