"""The 政策明白纸 of a computing policy: its parameter file (policies/<id>/leaflet/examples.yaml,
schema `leaflet`, format in docs/guides.md) and what the template `leaflet.j2` sees (`LeafletData`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from compiler.documents.guide.data import Entry, Source
from compiler.documents.leaflet.worked import Line, RecordLines
from compiler.model.policy import Clause, Policy
from compiler.source.diagnostics import Collector, Span
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YList, YMap, locate

LEAFLET_DIR = "leaflet"
LEAFLET_FILE = "examples.yaml"
KIND = "leaflet"  # the template: leaflet.j2


@dataclass
class SectionSpec:
    title: str
    clauses: list[str]
    index: int  # its place in `sections`, for messages


@dataclass
class LeafletParams:
    """The leaflet file: which clauses each part explains, the worked examples and the region
    file they are computed with. Also the document's publisher (署名 only when `issuer` is given)."""

    file: str
    path: Path
    tree: YMap
    policy_id: str
    version: str | None
    title: str | None
    audience: str
    issuer: str
    published: dt.date
    signed: bool  # the file names its issuer: the leaflet ends with 署名 and date
    region: Path | None
    as_of: dt.date
    scope: list[str]
    sections: list[SectionSpec]
    examples: YList
    release: str = "此件公开发布"

    def span(self, *path: str | int, key: bool = False) -> Span | None:
        return locate(self.tree, list(path), key=key) or self.tree.span


@dataclass
class Table:
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    align: tuple[str, ...]


@dataclass
class Section:
    title: str
    quotes: list[Entry]  # the clauses as written
    conditions: list[Entry]  # when a payment is refused
    conditions_lead: Entry | None
    tables: list[Table]
    notes: list[Entry]  # 未定级 → 一级 and the like


@dataclass
class RegionPart:
    """What the 办法 leaves to the 统筹地区, and the example region's values."""

    name: str | None
    notice: str | None  # 示例数据，非官方 unless the region file is official
    lead: Entry
    tables: list[Table]
    clauses: list[Clause]


@dataclass
class WorkedExample:
    name: str
    as_of: dt.date
    given: str  # the person's facts as the example states them
    before: list[Line]  # person-level values chosen before the records
    records: list[RecordLines]
    after: list[Line]
    summaries: list[Table]  # each kind of record with several records: one row per record
    totals: str
    clauses: list[Clause]
    notice: str | None
    result: dict[str, object] = field(default_factory=dict)


@dataclass
class LeafletData:
    policy: Policy
    params: LeafletParams
    kind: str
    title: str
    title_lines: list[str]
    short: str
    reference: str
    audience: str
    scope: list[Entry]
    sections: list[Section]
    region: RegionPart | None
    examples: list[WorkedExample]
    sources: list[Source]
    digest: str

    @property
    def sources_text(self) -> str:
        return "、".join(s.name for s in self.sources)

    def articles(self, clauses: list[Clause]) -> list[Clause]:
        """The articles the clauses belong to, each once, in document order."""
        out: dict[str, Clause] = {}
        for c in clauses:
            article = self.policy.clauses[c.address.split(".")[0]]
            out.setdefault(article.address, article)
        order = {a: i for i, a in enumerate(self.policy.clauses)}
        return sorted(out.values(), key=lambda c: order[c.address])

    @property
    def example_clauses(self) -> list[Clause]:
        out: dict[str, Clause] = {}
        for ex in self.examples:
            for c in ex.clauses:
                out.setdefault(c.address, c)
        return list(out.values())


def leaflet_file(policy_path: Path) -> Path:
    return policy_path.parent / LEAFLET_DIR / LEAFLET_FILE


def parse_day(value: object) -> dt.date:
    return dt.date.fromisoformat(str(value))


def load_leaflet(path: Path, policy: Policy) -> LeafletParams:
    """Load and schema-check a leaflet file (its clauses are checked against the policy in derive)."""
    name = display_path(path)
    tree = load_document(path, "leaflet", name)
    errors = Collector()
    days: dict[str, dt.date] = {}
    for key in ("as_of", "published"):
        if key in tree:
            try:
                days[key] = parse_day(tree[key])
            except ValueError:
                errors.error("E104", f"{key} 的日期「{tree[key]}」无效", locate(tree, [key]), hint="日期写作 YYYY-MM-DD")
    if "issuer" in tree and "published" not in tree:
        errors.error("E641", "写了发布单位 issuer，没有写发布日期 published", locate(tree, ["issuer"]),
                     hint="加上 published: YYYY-MM-DD（署名下的日期）")
    if str(tree["policy"]) != policy.policy_id:
        errors.error("E641", f"明白纸参数文件属于政策「{tree['policy']}」，不是「{policy.policy_id}」",
                     locate(tree, ["policy"]), hint=f"改为 policy: {policy.policy_id}")
    if "version" in tree and str(tree["version"]) != policy.version:
        errors.error("E641", f"明白纸参数文件指定版本「{tree['version']}」，而政策文件是版本「{policy.version}」",
                     locate(tree, ["version"]))
    errors.raise_if_any()
    published = days.get("published") or policy.meta.published or policy.meta.effective_date or days["as_of"]
    sections = [SectionSpec(str(s["title"]), [str(c) for c in s["clauses"]], i)
                for i, s in enumerate(tree.get("sections") or [])]
    return LeafletParams(
        name, path, tree, str(tree["policy"]), str(tree["version"]) if "version" in tree else None,
        str(tree["title"]) if "title" in tree else None, str(tree.get("audience", "群众")),
        str(tree["issuer"]) if "issuer" in tree else policy.meta.issuer, published, "issuer" in tree,
        path.parent / str(tree["region"]) if "region" in tree else None, days["as_of"],
        [str(c) for c in tree.get("scope") or []], sections, tree["examples"],
    )  # fmt: skip
