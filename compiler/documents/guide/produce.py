"""Making guides: one guide of a policy and year in the formats asked for (`make_guide`), and the
build producer that writes every year's guide of every issued policy (`build_outputs`).

    policy YAML + guides/<year>.yaml ──derive──▶ GuideData ──kind template──▶ blocks ──▶ md / html / docx
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from compiler.documents.guide.blocks import Block, build_blocks
from compiler.documents.guide.data import GuideData
from compiler.documents.guide.derive import derive
from compiler.documents.guide.provenance import manifest
from compiler.documents.guide.render_docx import render_docx
from compiler.documents.guide.render_page import render_layout
from compiler.documents.guide.templates import FORMATS
from compiler.documents.guide.year import GUIDES_DIR, guide_years, load_year, year_file
from compiler.documents.workdays import WorkCalendar, load_calendar
from compiler.model.policy import Policy
from compiler.source.diagnostics import Diagnostic, PolicyError


@dataclass
class Guide:
    data: GuideData
    blocks: list[Block]
    outputs: dict[str, bytes]  # by format
    manifest: bytes  # provenance of the outputs: never printed on the page

    def files(self, stem: str) -> dict[str, bytes]:
        """Every file of the guide under a name stem: <stem>.<fmt> and <stem>.manifest.json."""
        return {**{f"{stem}.{fmt}": content for fmt, content in self.outputs.items()},
                f"{stem}.manifest.json": self.manifest}


def project_root(policy_path: Path) -> Path | None:
    """The project root of a policy file: the folder holding policies/<id>/<version>.yaml."""
    parent = policy_path.resolve().parent
    if parent.parent.name == "policies":
        return parent.parent.parent
    return None


def make_guide(policy_path: Path, policy: Policy, year: int, *, root: Path | None = None,
               calendar: WorkCalendar | None = None, params_path: Path | None = None,
               formats: Sequence[str] = FORMATS) -> Guide:
    """Load the year parameters, derive the content and render it in `formats`."""
    root = root if root is not None else project_root(policy_path)
    params = load_year(params_path or year_file(policy_path, year))
    if params.year != year:
        raise PolicyError([Diagnostic("E611", f"年度参数文件写的是{params.year}年度，不是{year}年度",
                                      params.span("year"))])
    # A fresh record of consulted schedules per guide: only those this guide used are its sources.
    calendar = (calendar if calendar is not None else load_calendar(root)).session()
    data = derive(policy, params, calendar, root, policy_path)
    blocks = build_blocks(data, policy_path)
    out: dict[str, bytes] = {}
    for fmt in formats:
        out[fmt] = render_docx(data, blocks) if fmt == "docx" else \
            render_layout(data, blocks, policy_path, fmt).encode("utf-8")
    return Guide(data, blocks, out, manifest(data, out))


def build_outputs(root: Path, pairs: list[tuple[Path, Policy]]) -> dict[str, bytes]:
    """Build producer: generated/<policy>/guide-<year>.{md,html,docx} and its build manifest
    guide-<year>.manifest.json for every issued policy version with year parameters (the year
    file's `version` picks one when several are issued)."""
    outputs: dict[str, bytes] = {}
    errors: list[Diagnostic] = []
    calendar: WorkCalendar | None = None
    by_folder: dict[Path, list[tuple[Path, Policy]]] = {}
    for path, policy in pairs:
        if policy.meta.status == "issued":
            by_folder.setdefault(path.parent, []).append((path, policy))
    for folder, issued in sorted(by_folder.items()):
        for year in guide_years(issued[0][0]):
            try:
                params = load_year(folder / GUIDES_DIR / f"{year}.yaml")
                chosen = [(p, pol) for p, pol in issued if params.version in (None, pol.version)]
                if len(chosen) != 1:
                    versions = "、".join(pol.version for _, pol in issued)
                    raise PolicyError([Diagnostic(
                        "E611", f"{params.file}：现行版本有 {versions}，" + (
                            "请用 version 指定依据哪一个" if chosen else f"没有版本「{params.version}」"),
                        params.span("version") if params.version else params.tree.span,
                    )])  # fmt: skip
                if calendar is None:
                    calendar = load_calendar(root)
                path, policy = chosen[0]
                guide = make_guide(path, policy, year, root=root, calendar=calendar)
            except PolicyError as exc:
                errors.extend(exc.diagnostics)
                continue
            outputs.update(guide.files(f"{policy.policy_id}/guide-{year}"))
    if errors:
        raise PolicyError(errors)
    return outputs
