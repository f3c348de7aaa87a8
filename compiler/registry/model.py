"""The registry as data: documents, the sentences that date them, and the repeals between them.

Dates are computed once, when the registry is loaded, by the model's own rules
(`model.policy.effective_after`, `valid_until`); nothing here does calendar arithmetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from compiler.source.diagnostics import Span


@dataclass(frozen=True)
class Quote:
    """A sentence of a document as the registry cites it: the clause (as printed, 第三十一条) and
    the words, verbatim."""

    clause: str | None
    text: str

    def cited(self) -> str:
        return f"{self.clause}：{self.text}" if self.clause else self.text


@dataclass(frozen=True)
class Effect:
    """When a document takes effect. `rule` is how the date follows from the text:
    "after-days" (自发布之日起N日后施行), "on-issue" (自印发之日起施行), "date" (a date the text
    states). `date` is the first day in force, computed from the rule."""

    quote: Quote
    rule: str
    date: dt.date
    days: int | None = None


@dataclass(frozen=True)
class Term:
    """How long a document stays in force: `until` is its last day (有效期N年 counted from the
    first day in force, or a date the text states)."""

    quote: Quote
    until: dt.date
    years: int | None = None


@dataclass(frozen=True)
class HistoryEvent:
    date: dt.date
    kind: str  # 修订 / 修正 / 批准, as the text says
    by: str


@dataclass(frozen=True)
class Repeal:
    """`by` repeals `target`, in the words of `quote`. It takes effect on the day `by` takes
    effect (or is issued, when `by` states no date of its own: `dated_by_issue`)."""

    by: str
    target: str
    quote: Quote
    date: dt.date
    dated_by_issue: bool
    span: Span | None = None


@dataclass
class Document:
    """One registered document. `draft` says what a draft is (征求意见稿 …); a draft has no force.
    `source_title` is the publication the text was taken from, when it has a name (公报 …);
    `source_file` is the copy in the project (never printed on a page)."""

    id: str
    title: str
    doc_number: str | None
    issuer: str | None
    issued: dt.date | None
    effect: Effect | None
    term: Term | None
    span: Span | None
    source_file: str
    source_title: str | None = None
    draft: str | None = None
    policy_file: str | None = None  # the transcribed 办法 it was read from, relative to policies/
    policy_id: str | None = None
    history: tuple[HistoryEvent, ...] = ()
    repeals: list[Repeal] = field(default_factory=list)
    repealed_by: Repeal | None = None

    @property
    def quoted_title(self) -> str:
        """《title》, a title inside it marked 〈〉 as Chinese documents nest them."""
        return f"《{self.title.replace('《', '〈').replace('》', '〉')}》"

    @property
    def name(self) -> str:
        """How other entries refer to it: its 文号, or its title when it has none."""
        return self.doc_number or self.quoted_title


@dataclass
class Registry:
    file: str
    status_date: dt.date
    documents: list[Document]

    def get(self, doc_id: str) -> Document:
        return next(d for d in self.documents if d.id == doc_id)
