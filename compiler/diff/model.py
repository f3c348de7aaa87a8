"""The result of a comparison: rows of the 条文对照表 (Entry), their sides, 款/项 changes, rule
changes and changed applications; each serialises to the `policyc-diff/1` JSON."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from compiler.diff.tokens import Op
from compiler.runtime import core as evalrt

FORMAT = "policyc-diff/1"
STATUS_ZH = {"draft": "征求意见稿", "issued": "正式文本", "repealed": "已废止文本"}


def _amount(v: Decimal | None) -> str | None:
    return evalrt.amount_json(v) if v is not None else None


@dataclass
class Side:
    """One clause (or heading) on one side of an entry."""

    address: str
    id: str
    cite: str
    label: str  # 第X条 / 第X章 / 标题
    text: str
    chapter: str | None = None  # 第六章 监督管理

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "address": self.address, "cite": self.cite, "label": self.label,
                "chapter": self.chapter, "text": self.text}


@dataclass
class UnitChange:
    """A change of a 款 or 项 inside an entry."""

    kind: str  # modified | added | deleted | moved | moved-in | moved-out
    old: Side | None
    new: Side | None
    ops: list[Op]
    text: str  # the Chinese description

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "old": self.old.to_json() if self.old else None,
                "new": self.new.to_json() if self.new else None,
                "ops": [o.to_json() for o in self.ops], "description": self.text}


@dataclass
class RuleChange:
    kind: str  # award, eligibility, exclusion, combine, procedure, budget, …, effective, validity
    rule: str
    name: str
    change: str  # added | removed | modified
    field: str | None
    old: str | None
    new: str | None
    old_clause: str | None  # address
    new_clause: str | None
    cite: str  # printed citation (the new one unless removed)
    text: str
    delta: Decimal | None = None  # money, 元

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "rule": self.rule, "name": self.name, "change": self.change,
                "field": self.field, "old": self.old, "new": self.new, "old_clause": self.old_clause,
                "new_clause": self.new_clause, "cite": self.cite,
                "delta": _amount(self.delta),
                "description": self.text}


@dataclass
class AwardOutcome:
    award: str
    name: str
    old: Decimal | None  # granted amount, None when not granted
    new: Decimal | None
    old_refused: str | None  # cite of the refusal
    new_refused: str | None

    def to_json(self) -> dict[str, Any]:
        return {"award": self.award, "name": self.name, "old": _amount(self.old), "new": _amount(self.new),
                "old_refused": self.old_refused, "new_refused": self.new_refused}


@dataclass
class CaseChange:
    case: str
    source: str
    status: str  # changed | not-comparable
    old_total: Decimal | None
    new_total: Decimal | None
    awards: list[AwardOutcome]
    clauses: list[str]  # addresses (either version) that decided the difference
    reason: str  # the Chinese explanation
    # Every changed award was refused by one version only because the date lies outside its
    # time in force (the other version has other dates, or none yet).
    in_force_only: bool = False

    @property
    def delta(self) -> Decimal | None:
        if self.old_total is None or self.new_total is None:
            return None
        return self.new_total - self.old_total

    def to_json(self) -> dict[str, Any]:
        return {"case": self.case, "source": self.source, "status": self.status,
                "old_total": _amount(self.old_total), "new_total": _amount(self.new_total),
                "delta": _amount(self.delta), "awards": [a.to_json() for a in self.awards],
                "clauses": self.clauses, "in_force_only": self.in_force_only, "description": self.reason}


@dataclass
class Entry:
    """One row of the 条文对照表: the title, a chapter heading or one or more articles."""

    level: str  # title | chapter | article
    kind: str  # modified | added | deleted | moved | renumbered | split | merged | renamed | rules | reference | formatting
    key: str  # stable key, used by 修改说明 overrides: title, chapter:<id>, or an article id
    old: list[Side]
    new: list[Side]
    ops: list[Op]
    position: tuple[float, ...]
    changes: list[UnitChange] = field(default_factory=list)
    rules: list[RuleChange] = field(default_factory=list)
    consequences: list[CaseChange] = field(default_factory=list)
    renumbered: bool = False
    moved: bool = False
    chapter_move: tuple[str, str] | None = None
    text_changed: bool = False
    items_renumbered: bool = False  # unchanged 项 whose （number） moved because of an insertion
    warnings: list[str] = field(default_factory=list)  # cross-references left behind by renumbering
    auto_note: str = ""
    note: str = ""
    note_source: str = "auto"

    @property
    def cite(self) -> str:
        return (self.new or self.old)[0].cite

    @property
    def old_cite(self) -> str | None:
        return self.old[0].cite if self.old else None

    def to_json(self) -> dict[str, Any]:
        return {
            "level": self.level, "kind": self.kind, "key": self.key, "cite": self.cite,
            "old_cite": self.old_cite,
            "old": [s.to_json() for s in self.old], "new": [s.to_json() for s in self.new],
            "text_changed": self.text_changed, "renumbered": self.renumbered, "moved": self.moved,
            "chapter_move": {"from": self.chapter_move[0], "to": self.chapter_move[1]} if self.chapter_move else None,
            "ops": [o.to_json() for o in self.ops],
            "changes": [c.to_json() for c in self.changes],
            "rules": [r.to_json() for r in self.rules],
            "consequences": [c.to_json() for c in self.consequences],
            "note": self.note, "note_source": self.note_source, "warnings": self.warnings,
        }


@dataclass
class VersionInfo:
    file: str
    policy: str
    version: str
    status: str
    title: str
    doc_number: str | None
    issuer: str
    published: dt.date | None

    @property
    def label(self) -> str:
        """征求意见稿（2026年2月12日） / 正式文本（哈政办发〔2026〕10号）."""
        what = STATUS_ZH.get(self.status, self.version)
        detail = self.doc_number or (evalrt.zh_date(self.published) if self.published else self.version)
        return f"{what}（{detail}）"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "policy": self.policy, "version": self.version, "status": self.status,
                "title": self.title, "doc_number": self.doc_number, "issuer": self.issuer,
                "published": self.published.isoformat() if self.published else None}


@dataclass
class MetaChange:
    field: str
    name: str
    old: str | None
    new: str | None

    @property
    def text(self) -> str:
        return f"{self.name}：{self.old or '无'} → {self.new or '无'}"

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "name": self.name, "old": self.old, "new": self.new}


@dataclass
class DiffResult:
    old: VersionInfo
    new: VersionInfo
    entries: list[Entry]
    formatting: list[Entry]  # formatting-only articles and headings (listed with --show-formatting)
    meta: list[MetaChange]
    rule_changes: list[RuleChange]
    cases_compared: int
    case_changes: list[CaseChange]
    not_comparable: list[CaseChange]
    unattributed: list[CaseChange]
    show_formatting: bool
    counts: dict[str, dict[str, int]]
    in_force: list[CaseChange] = field(default_factory=list)  # changed only by the dates in force

    @property
    def amounts_changed(self) -> bool:
        return any(r.kind == "award" and (r.change != "modified" or r.field == "amount") for r in self.rule_changes)

    def summary(self) -> dict[str, Any]:
        return {
            **self.counts,
            "formatting_only": len(self.formatting),
            "rule_changes": len(self.rule_changes),
            "amounts_changed": self.amounts_changed,
            "cases": {"compared": self.cases_compared, "changed": len(self.case_changes),
                      "not_comparable": len(self.not_comparable), "in_force_only": len(self.in_force)},
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "policy": self.new.policy,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "show_formatting": self.show_formatting,
            "summary": self.summary(),
            "meta": [m.to_json() for m in self.meta],
            "entries": [e.to_json() for e in self.entries],
            "formatting": [e.to_json() for e in self.formatting] if self.show_formatting else None,
            "rule_changes": [r.to_json() for r in self.rule_changes],
            "cases": {
                "compared": self.cases_compared,
                "changed": [c.to_json() for c in self.case_changes],
                "not_comparable": [c.to_json() for c in self.not_comparable],
                "unattributed": [c.to_json() for c in self.unattributed],
                "in_force_only": [c.to_json() for c in self.in_force],
            },
        }

# -- JSON ---------------------------------------------------------------------------------------


def render_json(r: DiffResult) -> str:
    return json.dumps(r.to_json(), ensure_ascii=False, indent=2) + "\n"
