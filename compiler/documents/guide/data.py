"""What the kind templates see: `GuideData` (everything a guide says, derived from the policy and
the year) and the records it is made of. Field by field in docs/guides.md."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from compiler.documents import titles
from compiler.documents.guide.cite import cite_text
from compiler.documents.guide.year import Contact, YearParams
from compiler.model.policy import Award, Clause, Policy
from compiler.runtime import core as evalrt

KIND_NAMES = {"award-fund": "申报指南", "periodic-award": "评选申报通知", "benefit": "政策明白纸"}

_TITLE_RE = re.compile(r"^(?P<name>.+?)(?:评定|管理|实施|暂行|试行)*(?:办法|细则|规定|措施)(?:（(?:试行|暂行)）)?$")


@dataclass
class Step:
    """One procedure step of the year: the policy's step with this year's dates."""

    id: str
    name: str
    clause: Clause
    text: str  # what the guide prints (the clause text, or the step name)
    start: dt.date | None = None
    end: dt.date | None = None
    duration: str | None = None  # 7个自然日 / 10个工作日, as written
    duration_from: str | None = None  # "policy" | "year"



@dataclass
class Entry:
    """A sentence of the guide and the clauses it comes from. `origin` says who requires it:
    "policy" (cited), "year" (the year file: printed without a citation) or "guide" (a part
    the guide itself supplies, such as its 申报表)."""

    text: str
    clauses: list[Clause] = field(default_factory=list)
    origin: str = "policy"


@dataclass
class AwardMaterials:
    """The proof an applicant for some awards submits: the awards (cited) and their materials."""

    names: str
    materials: str
    clauses: list[Clause]


@dataclass
class AwardRow:
    no: int
    name: str
    level: str
    standard: str
    clause: Clause
    award: Award

    @property
    def cells(self) -> tuple[str, ...]:
        return (str(self.no), self.name, self.level, self.standard, self.clause.cite)

    @property
    def short_cells(self) -> tuple[str, ...]:
        return (str(self.no), self.name, self.standard, self.clause.cite)


@dataclass
class Category:
    title: str
    article: Clause
    rows: list[AwardRow]
    notes: list[Entry] = field(default_factory=list)  # the article's definitions (主导 …)


@dataclass
class FormTable:
    """One table of the 申报表: a title, a header and rows whose empty cells the applicant fills."""

    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    widths: tuple[float, ...] | None  # mm, where empty columns give no content to size them by
    align: tuple[str, ...]


@dataclass
class ApplicationForm:
    title: str
    tables: list[FormTable]
    pledge: Entry  # 承诺: the text the 法定代表人 signs
    signature_lines: list[str]


@dataclass
class CheckRow:
    question: str
    evidence: str
    clauses: list[Clause]
    by_authority: bool
    fact: str  # the fact's name
    order: tuple[int, int] = (0, 0)  # document order of its first clause, then the fact's


@dataclass
class Example:
    name: str
    as_of: dt.date
    facts: dict[str, Any]
    result: dict[str, Any]


@dataclass
class Source:
    name: str  # as printed (root-relative)
    data: bytes


@dataclass
class GuideData:
    """Everything a kind template may use; all of it derived from the policy and the year."""

    policy: Policy
    params: YearParams
    kind: str
    kind_name: str
    year: int
    title: str
    title_lines: list[str]
    fund: str
    short: str
    reference: str  # first mention: 《title》（文号，以下简称《办法》）
    basis: Clause
    eligibility: list[Entry]
    exclusions: list[Entry]
    first_time: Entry | None
    award_conditions: list[Entry]
    categories: list[Category]
    funding: list[Entry]
    groups: list[Entry]
    one_time: Entry | None
    budget: Entry | None
    qualifying: list[Entry]  # when awards must have been obtained, and how that meets 施行
    materials_common: list[Entry]
    materials_awards: list[AwardMaterials]
    checklist: list[CheckRow]  # what reviewers check against what applicants submit
    authority_checks: list[CheckRow]  # what reviewers look up themselves (nothing to submit)
    form: ApplicationForm | None
    steps: list[Step]
    sanctions: list[Entry]
    quotas: list[Entry]
    bans: list[Entry]
    examples: list[Example]
    window: str
    contacts: list[Contact]
    sources: list[Source]
    digest: str
    calendar_sources: list[str]

    # -- helpers for templates -------------------------------------------------------------
    def cite(self, clauses: Iterable[Clause]) -> str:
        return cite_text(self.policy, clauses)

    def zh_date(self, day: dt.date) -> str:
        return evalrt.zh_date(day)

    def money(self, value: Decimal) -> str:
        return evalrt.money_text(value)

    def clause(self, address: str) -> Clause:
        return self.policy.clauses[address]

    def clauses_of(self, entries: Iterable[dict[str, Any]]) -> list[Clause]:
        """The clauses of evaluation-result entries (granted, refused: each has `clause`)."""
        return [self.policy.clauses[str(e["clause"])] for e in entries]

    def articles(self, clauses: Iterable[Clause]) -> list[Clause]:
        """The articles the clauses belong to, each once, in document order."""
        out: dict[str, Clause] = {}
        for c in clauses:
            article = self.policy.clauses[c.address.split(".")[0]]
            out.setdefault(article.id, article)
        return list(out.values())

    @property
    def exclusion_clauses(self) -> list[Clause]:
        return [r.clause for r in self.policy.exclusions]

    @property
    def highest_clauses(self) -> list[Clause]:
        return [r.clause for r in self.policy.combine if r.rule == "highest_per_group"]

    @property
    def checklist_cells(self) -> list[tuple[str, ...]]:
        return [
            (str(i), row.question, row.evidence, cite_text(self.policy, row.clauses, coarse=True))
            for i, row in enumerate(self.checklist, start=1)
        ]

    @property
    def all_rows(self) -> list[AwardRow]:
        return [row for cat in self.categories for row in cat.rows]

    @property
    def award_clauses(self) -> list[Clause]:
        return [row.clause for cat in self.categories for row in cat.rows]

    @property
    def procedure_clauses(self) -> list[Clause]:
        return [s.clause for s in self.steps]

    @property
    def sources_text(self) -> str:
        return "、".join(s.name for s in self.sources)


def fund_name(title: str) -> str:
    """哈密市质量提升发展专项资金管理办法（试行） → 哈密市质量提升发展专项资金."""
    m = _TITLE_RE.match(title)
    return m.group("name") if m else title


def balance_title(text: str, per_line: float = 20.0) -> list[str]:
    """A guide's title over one or two lines (梯形), breaking also before the kind of document."""
    return titles.balance_title(text, per_line, breaks_before=(*KIND_NAMES.values(), "申报工作", "评选"))
