"""条文对照表: what changed between two versions of a 办法, clause by clause.

Pipeline: load both versions (policy files or git `REV:path`) → align chapters, articles (by
stable id, then identical text, then similarity, then number; splits and merges by containment)
and the 款/项 inside each aligned article → character-level diff on *normalised tokens*, so that
full-width/half-width punctuation, spaces and 第1章/第一章 are formatting only and never a
substantive change → machine rules compared rule by rule → test cases run under both versions
→ a 修改说明 drafted per entry (overridable in `policies/<id>/diffs/<old>-<new>.yaml`) →
rendered as text, Markdown, HTML, Word or JSON (`policyc-diff/1`).

Every comparison below is made symmetric on purpose (canonical orientation of each character
diff, symmetric tie-breaks in the aligners), so that swapping OLD and NEW mirrors the result
exactly: added ↔ deleted, split ↔ merged, insert ↔ delete.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import difflib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.documents.text import normalise
from compiler.evaluate.cases import load_cases
from compiler.evaluate.interpreter import Interpreter
from compiler.lang import ast, numbering
from compiler.model.load import load_document, policy_from_tree
from compiler.model.policy import Chapter, Clause, Expr, Policy, Tiers, walk
from compiler.runtime import core as evalrt
from compiler.source import schema, yamlsrc
from compiler.source.diagnostics import Diagnostic, PolicyError, Span, UsageError, did_you_mean
from compiler.source.files import atomic_write, display_path
from compiler.source.yamlsrc import YMap, plain

FORMAT = "policyc-diff/1"
STATUS_ZH = {"draft": "征求意见稿", "issued": "正式文本", "repealed": "已废止文本"}

# --------------------------------------------------------------------------------------------
# Normalised tokens and the inline character diff
# --------------------------------------------------------------------------------------------

# A heading number (第1条 / 第十一条) is one token so that 第1条 and 第一条 compare equal; every
# other character is its own token (Chinese has no spaces: a word-level diff would be useless).
_TOKEN = re.compile(r"第(?:\d+|[一二三四五六七八九十百零〇两]+)[编章节条款]|\s+|.", re.S)
_ARABIC_NO = re.compile(r"第(\d+)([编章节条款])")


@dataclass(frozen=True, slots=True)
class Token:
    raw: str  # as written in this version (whitespace attached to the preceding token)
    key: str  # the substance, compared between versions


def _token_key(raw: str) -> str:
    m = _ARABIC_NO.fullmatch(raw)
    if m and int(m.group(1)) > 0:
        raw = f"第{numbering.zh_number(int(m.group(1)))}{m.group(2)}"
    return normalise(raw)


def tokenize(text: str) -> list[Token]:
    """Tokens whose keys, joined, are the normalised text; characters that normalise to nothing
    (spaces, line breaks) ride on a neighbouring token, so they can only ever be formatting."""
    out: list[Token] = []
    lead = ""
    for m in _TOKEN.finditer(text):
        raw = m.group()
        key = _token_key(raw)
        if not key:
            if out:
                out[-1] = Token(out[-1].raw + raw, out[-1].key)
            else:
                lead += raw
            continue
        out.append(Token(lead + raw, key))
        lead = ""
    return out


def substance(text: str) -> str:
    """The normalised text (what must differ for a change to be substantive)."""
    return "".join(t.key for t in tokenize(text))


@dataclass(frozen=True, slots=True)
class Op:
    """One run of the inline diff. `equal` is substantively equal (the raw texts may differ in
    formatting unless formatting is shown, when such runs are `format`); concatenating every
    `old` gives the old text and every `new` the new text."""

    op: str  # equal | format | insert | delete | replace
    old: str
    new: str

    def mirrored(self) -> Op:
        flip = {"insert": "delete", "delete": "insert"}
        return Op(flip.get(self.op, self.op), self.new, self.old)

    def to_json(self) -> dict[str, str]:
        return {"op": self.op, "old": self.old, "new": self.new}


Code = tuple[str, int, int, int, int]


def _semantic_cleanup(codes: list[Code]) -> list[Code]:
    """Fold an equality that is shorter than the edits on both sides of it into one replace, so
    a rewritten sentence does not read as confetti of coincidentally shared characters (的, 报 …).
    Stricter than diff-match-patch's semantic cleanup (which also folds equal lengths): in a
    legal redline 哈密|市市场监|督|管|理|局 must keep 管 and 局 unmarked, since they are unchanged.
    The rule is symmetric in insertions and deletions."""
    segs = list(codes)
    changed = True
    while changed:
        changed = False
        for k in range(1, len(segs) - 1):
            tag, a0, a1, _b0, _b1 = segs[k]
            prev, nxt = segs[k - 1], segs[k + 1]
            if tag != "equal" or prev[0] == "equal" or nxt[0] == "equal":
                continue
            eq = a1 - a0
            if eq < max(prev[2] - prev[1], prev[4] - prev[3]) and eq < max(nxt[2] - nxt[1], nxt[4] - nxt[3]):
                segs[k - 1 : k + 2] = [("replace", prev[1], nxt[2], prev[3], nxt[4])]
                changed = True
                break
    return segs


def _codes(a: list[Token], b: list[Token]) -> list[Code]:
    """Opcodes between two token lists, computed in a canonical orientation (the smaller key
    sequence first) and mirrored back, so that diff(A, B) is exactly the mirror of diff(B, A)."""
    ka, kb = [t.key for t in a], [t.key for t in b]
    if ka == kb:
        return [("equal", 0, len(a), 0, len(b))] if a else []
    flip = kb < ka
    x, y = (kb, ka) if flip else (ka, kb)
    codes: list[Code] = [
        (tag, i0, i1, j0, j1)
        for tag, i0, i1, j0, j1 in difflib.SequenceMatcher(None, x, y, autojunk=False).get_opcodes()
    ]
    codes = _semantic_cleanup(codes)
    if flip:
        swap = {"insert": "delete", "delete": "insert"}
        codes = [(swap.get(tag, tag), j0, j1, i0, i1) for tag, i0, i1, j0, j1 in codes]
    return codes


def _raw(tokens: Sequence[Token]) -> str:
    return "".join(t.raw for t in tokens)


def inline_ops(old: str, new: str, *, show_formatting: bool = False) -> list[Op]:
    """The character-level diff of two texts, on normalised tokens."""
    a, b = tokenize(old), tokenize(new)
    # Text that tokenises to nothing (only spaces) is kept so the ops still add up to the texts.
    if not a and not b:
        return [Op("equal" if old == new or not show_formatting else "format", old, new)] if old or new else []
    out: list[Op] = []
    for tag, a0, a1, b0, b1 in _codes(a, b):
        if tag != "equal":
            out.append(Op(tag, _raw(a[a0:a1]), _raw(b[b0:b1])))
        elif not show_formatting:
            out.append(Op("equal", _raw(a[a0:a1]), _raw(b[b0:b1])))
        else:
            for k in range(a1 - a0):
                ta, tb = a[a0 + k], b[b0 + k]
                out.append(Op("equal" if ta.raw == tb.raw else "format", ta.raw, tb.raw))
    merged: list[Op] = []
    for op in out:
        if merged and merged[-1].op == op.op:
            merged[-1] = Op(op.op, merged[-1].old + op.old, merged[-1].new + op.new)
        else:
            merged.append(op)
    return merged


def similarity(a: str, b: str) -> float:
    """Similarity of two normalised texts (0‥1), symmetric by construction."""
    if a == b:
        return 1.0
    if not a or not b:
        return 0.0
    x, y = sorted((a, b))
    m = difflib.SequenceMatcher(None, x, y, autojunk=False)
    bound = m.real_quick_ratio()
    if bound < BY_NUMBER:
        return bound  # an upper bound, already below every threshold: skip the full match
    return m.ratio()


def containment(part: str, whole: str) -> float:
    """Share of `part`'s characters found, in order, in `whole` (used for splits and merges)."""
    if not part:
        return 0.0
    m = difflib.SequenceMatcher(None, part, whole, autojunk=False)
    return sum(b.size for b in m.get_matching_blocks()) / len(part)


# --------------------------------------------------------------------------------------------
# The two documents as alignable units
# --------------------------------------------------------------------------------------------

@dataclass
class Unit:
    """A text-bearing clause inside an article: the article itself (one 款, no 项), a 款's own
    text, or a 项."""

    clause: Clause
    ident: str | None  # stable id when the YAML gave one
    index: int
    number: int  # printed position (项 number, 款 number or 1)
    rel_cite: str  # citation inside the article: 第（一）项, 第二款, 第一款第（二）项 or ""
    text: str
    key: str


@dataclass
class Article:
    clause: Clause
    index: int
    chapter: Chapter
    body: str  # the printed article without its 第X条 label
    key: str
    units: list[Unit]

    @property
    def id(self) -> str:
        return self.clause.id

    @property
    def number(self) -> int:
        return self.clause.article_no

    @property
    def label(self) -> str:
        return numbering.article_label(self.clause.article_no)


def chapter_label(ch: Chapter) -> str:
    """第六章 监督管理; empty for the untitled chapter of a document without 章."""
    return f"{numbering.chapter_label(ch.number)} {ch.title}" if ch.title else ""


def _rel_cite(c: Clause) -> str:
    out = numbering.paragraph_label(c.paragraph_no) if c.paragraph_no else ""
    if c.item_no:
        out += f"第{numbering.item_label(c.item_no)}项"
    return out


def article_body(article: Clause) -> str:
    """The article as printed, without its 第X条: a measure's heading, then each 款 with its 项
    (inline or one per line). Written out here rather than taken from the text module, so the
    compared text does not change with how a document is printed."""
    heading = getattr(article, "title", None)  # numbered measures (一、…) carry a heading
    lines = [str(heading)] if heading else []
    for para in article.children or [article]:
        items = [f"{numbering.item_label(i.item_no or 0)}{i.text}" for i in para.children]
        if para.inline_items:
            lines.append(para.text + "".join(items))
        else:
            lines.extend([para.text, *items])
    return "\n".join(ln for ln in lines if ln.strip())


def articles_of(policy: Policy) -> list[Article]:
    out: list[Article] = []
    for chapter in policy.chapters:
        for art in chapter.articles:
            units: list[Unit] = []
            paras = art.children or [art]
            for para in paras:
                if para.text:
                    ident = para.id if para.kind == "paragraph" and para.raw is not None and "id" in para.raw else None
                    units.append(Unit(para, ident, len(units), para.paragraph_no or 1, _rel_cite(para),
                                      para.text, substance(para.text)))
                for item in para.children:
                    units.append(Unit(item, item.id, len(units), item.item_no or 0, _rel_cite(item),
                                      item.text, substance(item.text)))
            body = article_body(art)
            out.append(Article(art, len(out), chapter, body, substance(body), units))
    return out


# --------------------------------------------------------------------------------------------
# Alignment
# --------------------------------------------------------------------------------------------

SIMILAR = 0.6  # same clause, reworded
BY_NUMBER = 0.35  # same place and still related: a heavy rewrite rather than delete + insert
PART = 0.8  # a split part must be this much inside the whole, and the parts must cover it
MIN_PART = 6  # characters: shorter texts are contained anywhere by chance


@dataclass(frozen=True)
class Alignable:
    ident: str | None
    key: str
    number: int


def align(old: Sequence[Alignable], new: Sequence[Alignable], *, by_id: bool = True,
          fuzzy: bool = True) -> list[tuple[int, int]]:
    """1:1 pairs (old index, new index): same stable id, then identical text, then similar text,
    then same number with related text. Tie-breaks are symmetric in old and new."""
    pairs: dict[int, int] = {}
    taken: set[int] = set()

    def link(i: int, j: int) -> None:
        pairs[i] = j
        taken.add(j)

    if by_id:
        new_ids = {n.ident: j for j, n in enumerate(new) if n.ident is not None}
        for i, o in enumerate(old):
            if o.ident is not None and o.ident in new_ids:
                link(i, new_ids[o.ident])
    by_text: dict[str, list[int]] = {}
    for j, n in enumerate(new):
        if j not in taken and n.key:
            by_text.setdefault(n.key, []).append(j)
    for i, o in enumerate(old):
        if i not in pairs and by_text.get(o.key):
            link(i, by_text[o.key].pop(0))
    for threshold, same_number in ((SIMILAR, False), (BY_NUMBER, True)) if fuzzy else ():
        cands: list[tuple[float, int, int, str, str, int, int]] = []
        for i, o in enumerate(old):
            if i in pairs:
                continue
            for j, n in enumerate(new):
                if j in taken or (same_number and o.number != n.number):
                    continue
                s = similarity(o.key, n.key)
                if s >= threshold:
                    lo, hi = sorted((o.key, n.key))
                    cands.append((-s, abs(i - j), i + j, lo, hi, i, j))
        for *_rank, i, j in sorted(cands):
            if i not in pairs and j not in taken:
                link(i, j)
    return sorted(pairs.items())


def find_splits(
    old: Sequence[Alignable], new: Sequence[Alignable], pairs: list[tuple[int, int]]
) -> list[tuple[int, list[int]]]:
    """Old units split into several new ones: the parts (unpaired, or the old unit's own
    partner) each lie mostly inside the old text and together cover it. `find_splits` with the
    arguments swapped finds merges."""
    partner = dict(pairs)
    paired_new = set(partner.values())
    used: set[int] = set()
    out: list[tuple[int, list[int]]] = []
    for i, o in enumerate(old):
        if len(o.key) < MIN_PART:
            continue
        parts = [
            j for j, n in enumerate(new)
            if j not in used and (j not in paired_new or partner.get(i) == j)
            and len(n.key) >= MIN_PART and containment(n.key, o.key) >= PART
        ]
        if len(parts) < 2 or all(j in paired_new for j in parts):
            continue
        if containment(o.key, "".join(new[j].key for j in parts)) >= PART:
            out.append((i, parts))
            used.update(parts)
    return out


def stable_pairs(pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Pairs on *every* longest chain increasing on both sides: they kept their relative order.
    The others moved. (Taking every chain, not one, keeps the answer symmetric: when two
    articles swap places, both are reported as moved.)"""
    ps = sorted(pairs)
    n = len(ps)
    f, g = [1] * n, [1] * n
    for i in range(n):
        for j in range(i):
            if ps[j][1] < ps[i][1]:
                f[i] = max(f[i], f[j] + 1)
    for i in reversed(range(n)):
        for j in range(i + 1, n):
            if ps[j][1] > ps[i][1]:
                g[i] = max(g[i], g[j] + 1)
    longest = max(f, default=0)
    on = [i for i in range(n) if f[i] + g[i] - 1 == longest]
    level = Counter(f[i] for i in on)
    return {ps[i] for i in on if level[f[i]] == 1}


# --------------------------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------------------------


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
                "delta": evalrt.amount_json(self.delta) if self.delta is not None else None,
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
        def amount(v: Decimal | None) -> str | None:
            return evalrt.amount_json(v) if v is not None else None

        return {"award": self.award, "name": self.name, "old": amount(self.old), "new": amount(self.new),
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

    @property
    def delta(self) -> Decimal | None:
        if self.old_total is None or self.new_total is None:
            return None
        return self.new_total - self.old_total

    def to_json(self) -> dict[str, Any]:
        def amount(v: Decimal | None) -> str | None:
            return evalrt.amount_json(v) if v is not None else None

        return {"case": self.case, "source": self.source, "status": self.status,
                "old_total": amount(self.old_total), "new_total": amount(self.new_total),
                "delta": amount(self.delta), "awards": [a.to_json() for a in self.awards],
                "clauses": self.clauses, "description": self.reason}


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
                      "not_comparable": len(self.not_comparable)},
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
            },
        }


# --------------------------------------------------------------------------------------------
# 修改说明: descriptions in plain Chinese
# --------------------------------------------------------------------------------------------

_MAJOR_KEYS = {",", ";", ":", "。", "!", "?"}  # keys of ，；：。！？ after normalisation
_TRIM = "，,；;：:、。.！!？? \t\n\u3000"
_QUANTITY_CHARS = re.compile(r"[\d.]")
_UNIT_TAIL = re.compile(r"(?:万元|亿元|千元|元|%|％|‰|个自然日|个工作日|自然日|工作日|个月|年|月|日|天|项|家|个|人|倍|次|届)")
_GAP = 4  # an equality this short (and without ，；：。) between two edits joins them
_PHRASE_MAX = 30
_WINDOW = 4


def _trim(text: str) -> str:
    return text.strip(_TRIM)


_FULL = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"})


def _cjk(ch: str) -> bool:
    return ord(ch) >= 0x2E80


def _prose(text: str) -> str:
    """Half-width punctuation next to Chinese text as full-width (a draft typed with ASCII
    commas is quoted in the 修改说明 in standard form); 3.5 or CNAS stay as they are."""
    out = []
    for k, ch in enumerate(text):
        near = (k > 0 and _cjk(text[k - 1])) or (k + 1 < len(text) and _cjk(text[k + 1]))
        out.append(ch.translate(_FULL) if near else ch)
    return "".join(out)


def _quote(text: str) -> str:
    return f"“{_prose(text)}”"


def _expand_numbers(a: list[Token], a0: int, a1: int) -> tuple[int, int]:
    """Widen [a0, a1) to the whole number and its unit when the edit touches a digit, so that
    20万元 → 30万元 is quoted whole rather than as 2 → 3."""
    def is_num(k: int) -> bool:
        return 0 <= k < len(a) and bool(_QUANTITY_CHARS.fullmatch(a[k].key))

    if not any(is_num(k) for k in range(a0 - 1, a1 + 1)):
        return a0, a1
    while is_num(a0 - 1):
        a0 -= 1
    while is_num(a1):
        a1 += 1
    m = _UNIT_TAIL.match("".join(t.key for t in a[a1 : a1 + 4]))
    need = len(m.group()) if m else 0
    while need > 0 and a1 < len(a):
        need -= len(a[a1].key)
        a1 += 1
    return a0, a1


def describe_change(old: str, new: str) -> list[str]:
    """删除“制定本办法” / 增加“（试行）” / 将“20万元”修改为“30万元”: one phrase per changed
    region. Short or scattered edits are quoted with their surrounding phrase (up to the nearest
    ，；：。) so the reader sees where they are."""
    a, b = tokenize(old), tokenize(new)
    codes = _codes(a, b)
    groups: list[list[int]] = []  # [a0, a1, b0, b1, scattered]
    for idx, (tag, a0, a1, b0, b1) in enumerate(codes):
        if tag == "equal":
            continue
        if groups and idx >= 2 and codes[idx - 1][0] == "equal":
            _t, e0, e1, _f0, _f1 = codes[idx - 1]
            gap_keys = {t.key for t in a[e0:e1]}
            if e1 - e0 <= _GAP and not gap_keys & _MAJOR_KEYS and groups[-1][1] == e0:
                groups[-1][1], groups[-1][3], groups[-1][4] = a1, b1, 1
                continue
        groups.append([a0, a1, b0, b1, 0])
    out: list[str] = []
    for a0, a1, b0, b1, scattered in groups:
        # Outside the group both sides are equal token by token, so a widening by k tokens on
        # one side is a widening by k tokens on the other.
        w0, w1 = _expand_numbers(a, a0, a1)
        v0, v1 = _expand_numbers(b, b0, b1)
        left = max(a0 - w0, b0 - v0)
        right = max(w1 - a1, v1 - b1)
        a0, b0, a1, b1 = a0 - left, b0 - left, a1 + right, b1 + right
        o, n = _trim(_raw(a[a0:a1])), _trim(_raw(b[b0:b1]))
        if not scattered and not n and len(o) >= 3:
            out.append(f"删除{_quote(o)}")
        elif not scattered and not o and len(n) >= 3:
            out.append(f"增加{_quote(n)}")
        elif not scattered and len(o) >= 2 and len(n) >= 2:
            out.append(f"将{_quote(o)}修改为{_quote(n)}")
        else:
            out.append(_phrase_change(a, b, a0, a1, b0, b1))
    return list(dict.fromkeys(out))


def _phrase_change(a: list[Token], b: list[Token], a0: int, a1: int, b0: int, b1: int) -> str:
    """将“<phrase>”修改为“<phrase>”, the phrase running to the nearest ，；：。 on each side
    (or a few characters of context when the phrase is long)."""
    def stop(t: Token) -> bool:  # ，；：。 or the end of a printed line
        return t.key in _MAJOR_KEYS or "\n" in t.raw

    left = 0
    while a0 - left > 0 and b0 - left > 0 and not stop(a[a0 - left - 1]):
        left += 1
    right = 0
    while a1 + right < len(a) and b1 + right < len(b) and not stop(a[a1 + right]):
        right += 1
    if max(a1 - a0, b1 - b0) + left + right > _PHRASE_MAX:
        left, right = min(left, _WINDOW), min(right, _WINDOW)
    o = _trim(_raw(a[a0 - left : a1 + right]))
    n = _trim(_raw(b[b0 - left : b1 + right]))
    if not n:
        return f"删除{_quote(o)}"
    if not o:
        return f"增加{_quote(n)}"
    return f"将{_quote(o)}修改为{_quote(n)}"


def _number_ranges(numbers: Iterable[int], unit: str) -> str:
    """[26, 27, 28] → 第二十六条至第二十八条; [3, 5] → 第三条、第五条."""
    ns = sorted(set(numbers))
    runs: list[tuple[int, int]] = []
    for n in ns:
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    parts = []
    for lo, hi in runs:
        first = f"第{numbering.zh_number(lo)}{unit}"
        if hi == lo:
            parts.append(first)
        elif hi == lo + 1:
            parts.append(f"{first}、第{numbering.zh_number(hi)}{unit}")
        else:
            parts.append(f"{first}至第{numbering.zh_number(hi)}{unit}")
    return "、".join(parts)


def _short(text: str, limit: int = 40) -> str:
    t = _trim(text)
    return _quote(t) if len(t) <= limit else _quote(t[: limit - 1] + "…")


# --------------------------------------------------------------------------------------------
# Rule-aware layer
# --------------------------------------------------------------------------------------------

KIND_ZH = {
    "award": "奖励事项", "eligibility": "申报条件", "exclusion": "不予奖励情形", "combine": "核拨规则",
    "procedure": "程序", "budget": "资金规模", "sanctions": "处罚", "caps": "限额", "quota": "名额",
    "bans": "禁止申报", "obligations": "义务", "effective": "施行日期", "validity": "有效期",
    "parameter": "参数", "fact": "申报事实",
}
FIELD_ZH = {
    "amount": "金额", "when": "条件", "qualification": "资格", "first_time": "首次", "one_time": "一次性",
    "group": "就高不就低分组", "name": "名称", "reason": "理由", "rule": "规则", "budget": "预算事实",
    "step": "步骤", "duration": "时限", "where": "地点", "by": "主体", "text": "表述", "date": "日期",
    "after_publication_days": "发布后天数", "years": "年限", "until": "截止日期", "minimum": "最低额",
    "maximum": "最高额", "per": "周期", "revoke": "取消资格", "recover": "收回资金", "ban_years": "禁止申报年限",
    "credit_record": "列入信用记录", "values": "取值", "type": "类型", "unit": "单位", "max": "上限",
    "used": "已用额", "from": "起算", "rank_by": "排序依据", "default": "默认值", "optional": "可不填",
}
RULE_KEYS_RAW = ("budget", "sanctions", "caps", "quota", "bans", "obligations")
COMBINE_ZH = {"highest_per_group": "就高不就低", "no_repeat": "不得重复享受", "one_payment": "一次性拨付",
              "until_budget_exhausted": "用完即止"}


@dataclass
class RuleSnap:
    kind: str
    id: str
    name: str
    clause: Clause | None
    fields: dict[str, str]
    amount: Expr | None = None  # awards with a plain expression amount
    alt: str = ""  # secondary matching key (when the ids differ)


def _yes(v: bool) -> str:
    return "是" if v else "否"


def _amount_text(amount: Expr | Tiers) -> str:
    if isinstance(amount, Expr):
        return amount.text
    bands = "；".join(f"{b.range_src} {b.value.text}" for b in amount.bands)
    other = f"；其他 {amount.otherwise.text}" if amount.otherwise else ""
    return f"按{amount.of.text}分档：{bands}{other}"


def _flat(value: Any, prefix: str = "") -> dict[str, str]:
    if isinstance(value, dict):
        out: dict[str, str] = {}
        for k, v in value.items():
            out.update(_flat(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        return {prefix or "value": "、".join(str(_flat(v).get("value", v)) for v in value)}
    if isinstance(value, bool):
        return {prefix or "value": _yes(value)}
    return {prefix or "value": str(value)}


def rule_snapshots(policy: Policy) -> dict[tuple[str, str], RuleSnap]:
    snaps: list[RuleSnap] = []
    for a in policy.awards:
        snaps.append(RuleSnap("award", a.id, a.name, a.clause, {
            "name": a.name, "qualification": a.qualification or "", "amount": _amount_text(a.amount),
            "when": a.when.text if a.when else "", "first_time": _yes(a.first_time),
            "one_time": _yes(a.one_time), "group": a.group or "",
        }, a.amount if isinstance(a.amount, Expr) else None, a.qualification or a.name))
    for r in [*policy.eligibility, *policy.exclusions]:
        snaps.append(RuleSnap(r.kind, r.id, r.reason, r.clause, {"when": r.when.text, "reason": r.reason},
                              alt=substance(r.when.text)))
    for c in policy.combine:
        snaps.append(RuleSnap("combine", c.id, COMBINE_ZH.get(c.rule, c.rule), c.clause,
                              {"rule": COMBINE_ZH.get(c.rule, c.rule), "budget": c.budget or ""}, alt=c.rule))
    for p in policy.procedure:
        snaps.append(RuleSnap("procedure", p.id, p.step, p.clause, {
            "step": p.step, "duration": p.duration.text if p.duration else "", "where": p.where or "",
            "by": p.by or "",
        }, alt=p.step))
    for clause in walk(policy):
        if clause.raw is None:
            continue
        for key in RULE_KEYS_RAW:
            if key in clause.raw:
                snaps.append(RuleSnap(key, f"{clause.address}:{key}", KIND_ZH[key], clause,
                                      _flat(plain(clause.raw[key])), alt=key))
    m = policy.meta
    eff_clause = policy.clauses.get(m.effective_clause or "")
    if m.effective_text or m.effective_date:
        snaps.append(RuleSnap("effective", "meta.effective", "施行日期", eff_clause, {
            "text": m.effective_text or "",
            "date": evalrt.zh_date(m.effective_date) if m.effective_date else "",
        }))
    if m.validity_text or m.valid_until:
        snaps.append(RuleSnap("validity", "meta.validity", "有效期", eff_clause, {
            "text": m.validity_text or "", "years": str(m.validity_years or ""),
            "until": evalrt.zh_date(m.valid_until) if m.valid_until else "",
        }))
    for name, param in policy.parameters.items():
        values = "；".join(f"自{evalrt.zh_date(v.start)}起{v.value.text}" for v in param.values)
        snaps.append(RuleSnap("parameter", name, name, policy.clauses.get(param.clause or ""), {"values": values}))
    for name, fact in policy.facts.items():
        snaps.append(RuleSnap("fact", name, name, policy.clauses.get(fact.clause or ""), {
            "type": fact.type, "unit": fact.unit.name if fact.unit else "",
            "values": "、".join(fact.values) if fact.values else "",
        }))
    return {(s.kind, s.id): s for s in snaps}


def _money_literal(expr: Expr | None) -> Decimal | None:
    node = expr.node if expr else None
    if isinstance(node, ast.Quantity) and node.unit is not None and node.unit.dims == (("money", 1),):
        return node.value
    return None


def _quantities(node: ast.Node | None) -> list[ast.Quantity]:
    out: list[ast.Quantity] = []

    def rec(n: Any) -> None:
        if isinstance(n, ast.Quantity):
            out.append(n)
            return
        if isinstance(n, ast.Node):
            for f in dataclasses.fields(n):
                rec(getattr(n, f.name))
        elif isinstance(n, tuple):
            for x in n:
                rec(x)

    rec(node)
    return out


def _masked(expr: Expr) -> str:
    text = expr.text
    for q in sorted(_quantities(expr.node), key=lambda q: q.pos[0], reverse=True):
        text = text[: q.pos[0]] + "#" + text[q.pos[1] :]
    return substance(text)


def _amount_delta(old: Expr | None, new: Expr | None) -> tuple[Decimal | None, str]:
    """(change in 元, wording) for two amount expressions: a literal, or a formula whose only
    difference is one money literal (20万元 × 项数 → 30万元 × 项数: 单项金额)."""
    a, b = _money_literal(old), _money_literal(new)
    if a is not None and b is not None:
        return b - a, ""
    if old is None or new is None or old.node is None or new.node is None or _masked(old) != _masked(new):
        return None, ""
    qa, qb = _quantities(old.node), _quantities(new.node)
    diffs = [(x, y) for x, y in zip(qa, qb, strict=True) if x.value != y.value or x.unit != y.unit]
    if len(diffs) == 1:
        x, y = diffs[0]
        if x.unit and y.unit and x.unit.dims == y.unit.dims == (("money", 1),):
            return y.value - x.value, "单项"
    return None, ""


def _delta_text(delta: Decimal) -> str:
    if delta == 0:
        return "金额不变"
    return f"{'增加' if delta > 0 else '减少'}{evalrt.money_text(abs(delta))}"


def compare_rules(old: Policy, new: Policy) -> list[RuleChange]:
    a, b = rule_snapshots(old), rule_snapshots(new)
    pairs: list[tuple[RuleSnap | None, RuleSnap | None]] = []
    rest_a = [snap for k, snap in a.items() if k not in b]
    rest_b = [snap for k, snap in b.items() if k not in a]
    pairs.extend((snap, b[k]) for k, snap in a.items() if k in b)
    # Rules renamed between versions still match on what they are (qualification, condition …).
    alt_b = {(snap.kind, snap.alt): snap for snap in rest_b if snap.alt}
    for snap in rest_a:
        other = alt_b.pop((snap.kind, snap.alt), None) if snap.alt else None
        pairs.append((snap, other))
        if other is not None:
            rest_b.remove(other)
    pairs.extend((None, snap) for snap in rest_b)
    out: list[RuleChange] = []
    for s, t in pairs:
        ref = t or s
        assert ref is not None
        kind_zh = KIND_ZH.get(ref.kind, ref.kind)
        cite = (t.clause.cite if t and t.clause else s.clause.cite if s and s.clause else "")
        old_clause = s.clause.address if s and s.clause else None
        new_clause = t.clause.address if t and t.clause else None
        if s is None or t is None:
            change = "added" if s is None else "removed"
            if ref.kind in ("effective", "validity"):
                # A draft has no date in force yet: say what the other version fixes.
                day = ref.fields.get("date") or ref.fields.get("until")
                words = _quote(ref.fields["text"]) + (f"（{'至' if ref.kind == 'validity' else ''}{day}）" if day else "")
                text = (f"{kind_zh}：原文本未定，现为{words}" if s is None else f"{kind_zh}：原为{words}，现文本未定")
            else:
                extra = f"（{ref.fields['amount']}）" if ref.kind == "award" else ""
                text = f"{'新增' if s is None else '删除'}{kind_zh}「{ref.name}」{extra}"
            out.append(RuleChange(ref.kind, ref.id, ref.name, change, None, None, None, old_clause, new_clause,
                                  cite, text))
            continue
        for fname in dict.fromkeys([*s.fields, *t.fields]):
            x, y = s.fields.get(fname, ""), t.fields.get(fname, "")
            if substance(x) == substance(y):
                continue
            delta: Decimal | None = None
            fzh = FIELD_ZH.get(fname.split(".")[-1], fname)
            if fname == "amount":
                delta, per = _amount_delta(s.amount, t.amount)
                if delta is not None and per:
                    text = f"{kind_zh}「{t.name}」金额由“{x}”调整为“{y}”（{per}{_delta_text(delta)}）"
                elif delta is not None:
                    text = f"{kind_zh}「{t.name}」金额由{x}调整为{y}（{_delta_text(delta)}）"
                else:
                    text = f"{kind_zh}「{t.name}」金额由“{x}”调整为“{y}”"
            else:
                text = f"{kind_zh}「{t.name}」{fzh}由“{x or '无'}”改为“{y or '无'}”"
            out.append(RuleChange(ref.kind, ref.id, t.name, "modified", fname, x or None, y or None,
                                  old_clause, new_clause, cite, text, delta))
    return out


def compare_meta(old: Policy, new: Policy) -> list[MetaChange]:
    def date(d: dt.date | None) -> str | None:
        return evalrt.zh_date(d) if d else None

    def consultation(p: Policy) -> str | None:
        c = p.meta.consultation
        if not c:
            return None
        days = [evalrt.zh_date(dt.date.fromisoformat(str(c[k]))) for k in ("from", "to") if k in c]
        window = "至".join(days)
        return f"{window}（{c.get('by', '')}）" if c.get("by") else window

    fields = [
        ("status", "状态", STATUS_ZH.get(old.meta.status, old.meta.status), STATUS_ZH.get(new.meta.status, new.meta.status)),
        ("doc_number", "文号", old.meta.doc_number, new.meta.doc_number),
        ("issuer", "发文机关", old.meta.issuer, new.meta.issuer),
        ("published", "发布日期", date(old.meta.published), date(new.meta.published)),
        ("consultation", "征求意见", consultation(old), consultation(new)),
        ("repeals", "废止文件", "、".join(d for d, _ in old.meta.repeals) or None,
         "、".join(d for d, _ in new.meta.repeals) or None),
    ]
    return [MetaChange(f, name, x, y) for f, name, x, y in fields if x != y]


# --------------------------------------------------------------------------------------------
# Consequences: the same applications under both versions
# --------------------------------------------------------------------------------------------


@dataclass
class Application:
    name: str
    source: str
    facts: dict[str, Any]
    as_of: dt.date


def load_applications(path: Path, label: str | None = None) -> list[Application]:
    """A case file (`*.cases.yaml`, its expectations ignored) or a facts file (one application)."""
    name = label or display_path(path)
    tree = yamlsrc.load_yaml(path, name)
    if isinstance(tree, YMap) and "cases" in tree:
        return [Application(c.name, name, c.facts, c.as_of) for c in load_cases(path).cases]
    tree = schema.validated(tree, name, "facts")
    if "as_of" not in tree:
        raise PolicyError([Diagnostic("E707", "申报信息缺少评价日期 as_of", tree.span,
                                      hint="在文件中写 as_of: 2026-06-01")])
    return [Application(path.stem.removesuffix(".facts"), name, plain(tree["facts"]),
                        dt.date.fromisoformat(str(tree["as_of"])))]


@dataclass
class _Outcome:
    ok: bool
    result: dict[str, Any] | None
    problem: str


def _run(interp: Interpreter, app: Application) -> _Outcome:
    unknown = sorted(k for k in app.facts if k not in interp.p.facts)
    if unknown:
        return _Outcome(False, None, "未声明事实：" + "、".join(unknown))
    try:
        return _Outcome(True, interp.evaluate(app.facts, app.as_of, trace=False), "")
    except evalrt.FactsError as exc:
        parts = []
        if exc.missing:
            parts.append("缺少事实：" + "、".join(exc.missing))
        if exc.invalid:
            parts.append("事实取值无效：" + "、".join(n for n, _ in exc.invalid))
        return _Outcome(False, None, "；".join(parts) or "申报信息有误")
    except evalrt.EvaluationError as exc:
        return _Outcome(False, None, f"无法计算（{exc.cite}）：{exc.message}")


def _statuses(result: dict[str, Any]) -> dict[str, tuple[str, Any, str, str]]:
    """award → (granted | deferred | refused, amount or rule, cite, clause address)."""
    out: dict[str, tuple[str, Any, str, str]] = {}
    for g in result["granted"]:
        out[g["award"]] = ("granted", g["amount"], g["cite"], g["clause"])
    for d in result.get("deferred", []):
        out[d["award"]] = ("deferred", d["amount"], d["cite"], d["clause"])
    for r in result["refused"]:
        out[r["award"]] = ("refused", r["rule"], r["cite"], r["clause"])
    return out


def _decision(status: tuple[str, Any, str, str] | None) -> tuple[Any, ...] | None:
    """What counts in an outcome: granted/deferred with the amount, or refused."""
    if status is None:
        return None
    return (status[0],) if status[0] == "refused" else status[:2]


def compare_outcomes(old: Policy, new: Policy, apps: Sequence[Application], old_name: str,
                     new_name: str) -> tuple[list[CaseChange], list[CaseChange]]:
    """(changed, not comparable) applications. An application whose facts one version does not
    declare, or that one version cannot evaluate, is not comparable; it never stops the diff."""
    io, inew = Interpreter(old), Interpreter(new)
    names = {a.id: a.name for a in [*old.awards, *new.awards]}
    changed: list[CaseChange] = []
    incomparable: list[CaseChange] = []
    for app in apps:
        x, y = _run(io, app), _run(inew, app)
        if not x.ok or not y.ok:
            if x.ok or y.ok or x.problem != y.problem:
                why = "；".join(f"{label}{o.problem}" for label, o in ((old_name, x), (new_name, y)) if not o.ok)
                incomparable.append(CaseChange(app.name, app.source, "not-comparable", None, None, [], [], why))
            continue
        assert x.result is not None and y.result is not None
        sa, sb = _statuses(x.result), _statuses(y.result)
        awards: list[AwardOutcome] = []
        clauses: list[str] = []
        for award in dict.fromkeys([*sa, *sb]):
            before, after = sa.get(award), sb.get(award)
            # Eligibility and amount decide; which clause refused (its number may have moved)
            # or which rule refused is not a change in the outcome.
            if _decision(before) == _decision(after):
                continue
            awards.append(AwardOutcome(
                award, names.get(award, award),
                before[1] if before and before[0] == "granted" else None,
                after[1] if after and after[0] == "granted" else None,
                before[2] if before and before[0] == "refused" else None,
                after[2] if after and after[0] == "refused" else None,
            ))
            clauses.extend(st[3] for st in (before, after) if st and st[3])
        if not awards and x.result["total"] == y.result["total"]:
            continue
        parts = []
        for aw in awards:
            was = evalrt.money_text(aw.old) if aw.old is not None else (
                f"不予奖励（{aw.old_refused}）" if aw.old_refused else "未申报")
            now = evalrt.money_text(aw.new) if aw.new is not None else (
                f"不予奖励（{aw.new_refused}）" if aw.new_refused else "未申报")
            parts.append(f"「{aw.name}」{was} → {now}")
        change = CaseChange(app.name, app.source, "changed", x.result["total"], y.result["total"], awards,
                            list(dict.fromkeys(clauses)), "")
        delta = change.delta or Decimal(0)
        change.reason = (f"合计{evalrt.money_text(change.old_total or Decimal(0))} → "
                         f"{evalrt.money_text(change.new_total or Decimal(0))}（{_delta_text(delta)}）："
                         + "；".join(parts))
        changed.append(change)
    return changed, incomparable


# --------------------------------------------------------------------------------------------
# Overrides of the 修改说明
# --------------------------------------------------------------------------------------------


@dataclass
class Notes:
    file: str
    old: str
    new: str
    notes: dict[str, str]
    spans: dict[str, Span]
    tree: YMap


def load_notes(path: Path, label: str | None = None) -> Notes:
    name = label or display_path(path)
    tree = load_document(path, "diff-notes", name)
    notes = tree["notes"]
    return Notes(name, str(tree["old"]), str(tree["new"]), {str(k): str(v) for k, v in notes.items()},
                 dict(notes.key_spans), tree)


def apply_notes(entries: list[Entry], notes: Notes, old: Policy, new: Policy) -> None:
    errors: list[Diagnostic] = []
    for field_name, policy in (("old", old), ("new", new)):
        want = getattr(notes, field_name)
        if want != policy.version:
            errors.append(Diagnostic(
                "E706", f"修改说明文件写的{'原' if field_name == 'old' else '新'}版本是「{want}」，"
                        f"实际比较的是「{policy.version}」", notes.tree.value_spans.get(field_name),
                hint="old/new 写被比较的两个 version；每对版本一个文件：diffs/<old>-<new>.yaml",
            ))
    by_key = {e.key: e for e in entries}
    for key, text in notes.notes.items():
        entry = by_key.get(key)
        if entry is None:
            guess = did_you_mean(key, by_key)
            errors.append(Diagnostic(
                "E705", f"修改说明「{key}」对应的条款在两个版本之间没有变化（或不存在）", notes.spans.get(key),
                hint=(f"你是不是想写「{guess}」？" if guess else
                      "可以写的键：" + "、".join(by_key) if by_key else "两个版本之间没有实质修改"),
            ))
            continue
        entry.note, entry.note_source = text.strip(), "override"
    if errors:
        raise PolicyError(errors)


# --------------------------------------------------------------------------------------------
# The comparison
# --------------------------------------------------------------------------------------------


def version_info(policy: Policy, file: str) -> VersionInfo:
    m = policy.meta
    return VersionInfo(file, policy.policy_id, policy.version, m.status, m.title, m.doc_number, m.issuer, m.published)


def _art_side(a: Article) -> Side:
    return Side(a.clause.address, a.id, a.clause.cite, a.label, a.body, chapter_label(a.chapter))


def _unit_side(art: Article, u: Unit) -> Side:
    """A 款 or 项; its label is the citation inside the article (empty for an article's only text)."""
    return Side(u.clause.address, u.clause.id, u.clause.cite, u.rel_cite, u.text, chapter_label(art.chapter))


def _alignables_units(units: Sequence[Unit]) -> list[Alignable]:
    return [Alignable(u.ident, u.key, u.number) for u in units]


def _unit_changes(o: Article, n: Article) -> tuple[list[UnitChange], list[Unit], list[Unit], bool]:
    """Changes of the 款/项 of two aligned articles; returns also the unpaired units (candidates
    for a move to or from another article) and whether unchanged 项 were renumbered."""
    if len(o.units) == 1 and len(n.units) == 1:
        pairs = [(0, 0)]
    else:
        pairs = align(_alignables_units(o.units), _alignables_units(n.units))
    stable = stable_pairs(pairs)
    paired_o = {i for i, _ in pairs}
    paired_n = {j for _, j in pairs}
    changes: list[tuple[tuple[float, ...], UnitChange]] = []
    for i, j in pairs:
        u, v = o.units[i], n.units[j]
        moved = (i, j) not in stable
        if u.key == v.key and not moved:
            continue
        ops = inline_ops(u.text, v.text)
        kind = "moved" if moved else "modified"
        changes.append(((j, 1, 0), UnitChange(kind, _unit_side(o, u), _unit_side(n, v), ops, "")))
    order = dict(pairs)
    lone_o = [u for u in o.units if u.index not in paired_o]
    lone_n = [v for v in n.units if v.index not in paired_n]
    for v in lone_n:
        changes.append(((v.index, 1, 0), UnitChange("added", None, _unit_side(n, v),
                                                     [Op("insert", "", v.text)], "")))
    for u in lone_o:
        prev = max((order[i] for i in order if i < u.index), default=-1)
        changes.append(((prev, 2, u.index), UnitChange("deleted", _unit_side(o, u), None,
                                                        [Op("delete", u.text, "")], "")))
    changes.sort(key=lambda c: c[0])
    renumbered = any(o.units[i].number != n.units[j].number and o.units[i].key == n.units[j].key
                     for i, j in pairs if (i, j) in stable)
    return [c for _, c in changes], lone_o, lone_n, renumbered


def _describe_unit(change: UnitChange) -> str:
    o, n = change.old, change.new
    if change.kind == "added" and n is not None:
        return f"新增{n.label or '内容'}{_short(n.text)}"
    if change.kind == "deleted" and o is not None:
        return f"删除{'原' + o.label if o.label else '内容'}{_short(o.text)}"
    if change.kind == "moved-out" and o is not None and n is not None:
        return f"原{o.label or '内容'}移至{n.cite}"
    if change.kind == "moved-in" and o is not None and n is not None:
        return f"{n.label or '本条'}由原{o.cite}移入"
    assert o is not None and n is not None
    words = describe_change(o.text, n.text) if substance(o.text) != substance(n.text) else []
    text = (f"{n.label}：" if n.label and words else "") + "，".join(words)
    if change.kind == "moved":
        move = f"原{o.label}调整为{n.label}"
        text = f"{move}，{'，'.join(words)}" if words else move
    return text


def compare(old: Policy, new: Policy, *, old_file: str | None = None, new_file: str | None = None,
            applications: Sequence[Application] = (), notes: Notes | None = None,
            show_formatting: bool = False) -> DiffResult:
    """Compare two versions of a policy (see the module docstring)."""
    c = _Comparison(old, new, show_formatting)
    c.chapters()
    c.title()
    c.paired_articles()
    c.units_moved_between_articles()
    c.unpaired_articles()
    c.splits_and_merges()
    c.stale_references()
    rules = c.rules()
    changed, incomparable, unattributed = c.consequences(applications)
    c.entries.sort(key=lambda e: e.position)
    c.formatting.sort(key=lambda e: e.position)
    for e in c.entries:
        e.auto_note = e.note = _auto_note(e, c.oa, c.na, c.partner)
    if notes is not None:
        apply_notes(c.entries, notes, old, new)
    return DiffResult(
        version_info(old, old_file or old.file), version_info(new, new_file or new.file), c.entries,
        c.formatting, compare_meta(old, new), rules, len(applications), changed, incomparable, unattributed,
        show_formatting, _counts(c.entries, c.formatting),
    )


class _Comparison:
    """The state of one comparison; each method adds the rows of one kind of change. Row
    positions are tuples sorting in new-document order (deleted rows after the new position of
    their old predecessor)."""

    def __init__(self, old: Policy, new: Policy, show_formatting: bool) -> None:
        self.old, self.new, self.fmt = old, new, show_formatting
        self.oa, self.na = articles_of(old), articles_of(new)
        self.entries: list[Entry] = []
        self.formatting: list[Entry] = []
        self.by_new: dict[str, Entry] = {}  # article id (new side) → its row
        self.by_old: dict[str, Entry] = {}
        pairs = align(_alignables_arts(self.oa), _alignables_arts(self.na))
        self.splits = find_splits(_alignables_arts(self.oa), _alignables_arts(self.na), pairs)
        self.merges = find_splits(_alignables_arts(self.na), _alignables_arts(self.oa), [(j, i) for i, j in pairs])
        self.grouped_old = {i for i, _ in self.splits} | {i for _, parts in self.merges for i in parts}
        self.grouped_new = {j for _, parts in self.splits for j in parts} | {j for j, _ in self.merges}
        self.pairs = [(i, j) for i, j in pairs if i not in self.grouped_old and j not in self.grouped_new]
        self.partner = dict(self.pairs)
        self.lone_units_o: list[tuple[Article, Unit, Entry]] = []
        self.lone_units_n: list[tuple[Article, Unit, Entry]] = []
        self.chapter_map: dict[str, str] = {}

    def ops(self, old: str, new: str) -> list[Op]:
        return inline_ops(old, new, show_formatting=self.fmt)

    def prev_new(self, i: int) -> int:
        """New position of the nearest paired article before old article i."""
        return max((j for k, j in self.partner.items() if k < i), default=-1)

    def add(self, entry: Entry, old_ids: Iterable[str] = (), new_ids: Iterable[str] = ()) -> Entry:
        self.entries.append(entry)
        for a in old_ids:
            self.by_old[a] = entry
        for a in new_ids:
            self.by_new[a] = entry
        return entry

    def chapters(self) -> None:
        och, nch, oa, na = self.old.chapters, self.new.chapters, self.oa, self.na
        chapter_pairs = _align_chapters(och, nch, [(oa[i], na[j]) for i, j in self.pairs])
        self.chapter_map = {och[i].id: nch[j].id for i, j in chapter_pairs.items()}
        first_new: dict[str, int] = {}
        for a in reversed(na):
            first_new[a.chapter.id] = a.index
        for ci, c in enumerate(och):
            side_o = _chapter_side(c)
            if ci in chapter_pairs:
                d = nch[chapter_pairs[ci]]
                pos: tuple[float, ...] = (first_new.get(d.id, len(na)), 0, 0, 0)
                ops = self.ops(c.title, d.title)
                renamed = substance(c.title) != substance(d.title)
                if renamed or (c.number != d.number and c.title):
                    self.add(Entry("chapter", "renamed" if renamed else "renumbered", f"chapter:{d.id}", [side_o],
                                   [_chapter_side(d)], ops, pos, renumbered=c.number != d.number,
                                   text_changed=renamed))
                elif c.title != d.title:
                    self.formatting.append(Entry("chapter", "formatting", f"chapter:{d.id}", [side_o],
                                                 [_chapter_side(d)], ops, pos))
            elif c.title:  # the untitled chapter of a document without 章 is never printed
                first = next((a.index for a in oa if a.chapter is c), len(oa))
                pos = (self.partner[first], 0, 0, -1) if first in self.partner else (self.prev_new(first), 2, first, 0)
                self.add(Entry("chapter", "deleted", f"chapter:{c.id}", [side_o], [], [Op("delete", c.title, "")],
                               pos, text_changed=True))
        paired = set(chapter_pairs.values())
        for cj, d in enumerate(nch):
            if cj not in paired and d.title:
                self.add(Entry("chapter", "added", f"chapter:{d.id}", [], [_chapter_side(d)],
                               [Op("insert", "", d.title)], (first_new.get(d.id, len(na)), 0, 0, 0),
                               text_changed=True))

    def title(self) -> None:
        a, b = self.old.meta.title, self.new.meta.title
        if a == b:
            return
        changed = substance(a) != substance(b)
        entry = Entry("title", "modified" if changed else "formatting", "title",
                      [Side("title", "title", "标题", "标题", a)], [Side("title", "title", "标题", "标题", b)],
                      self.ops(a, b), (-1, 0, 0, 0), text_changed=changed)
        (self.entries if changed else self.formatting).append(entry)

    def paired_articles(self) -> None:
        stable = stable_pairs(self.pairs)
        for i, j in self.pairs:
            o, n = self.oa[i], self.na[j]
            text_changed = o.key != n.key
            moved = (i, j) not in stable
            renumbered = o.number != n.number
            move = None
            if self.chapter_map.get(o.chapter.id) != n.chapter.id:
                move = (chapter_label(o.chapter), chapter_label(n.chapter))
            ops = self.ops(o.body, n.body)
            if not (text_changed or moved or renumbered or move):
                if o.body != n.body:
                    self.formatting.append(Entry("article", "formatting", n.id, [_art_side(o)], [_art_side(n)], ops,
                                                 (j, 1, 0, 1)))
                continue
            kind = "modified" if text_changed else "moved" if (moved or move) else "renumbered"
            entry = self.add(Entry("article", kind, n.id, [_art_side(o)], [_art_side(n)], ops, (j, 1, 0, 1),
                                   renumbered=renumbered, moved=moved, chapter_move=move,
                                   text_changed=text_changed), [o.id], [n.id])
            if text_changed:
                entry.changes, lone_o, lone_n, entry.items_renumbered = _unit_changes(o, n)
                self.lone_units_o.extend((o, u, entry) for u in lone_o)
                self.lone_units_n.extend((n, v, entry) for v in lone_n)

    def units_moved_between_articles(self) -> None:
        """A 项 that left one article and arrived in another is a move, not a deletion plus an
        addition."""
        moves: list[tuple[float, int, int]] = []
        for x, (art_o, u, _eo) in enumerate(self.lone_units_o):
            for y, (art_n, v, _en) in enumerate(self.lone_units_n):
                if art_o.id != art_n.id:
                    s = similarity(u.key, v.key)
                    if s >= SIMILAR:
                        moves.append((-s, x, y))
        done_o: set[int] = set()
        done_n: set[int] = set()
        for _s, x, y in sorted(moves):
            if x in done_o or y in done_n:
                continue
            done_o.add(x)
            done_n.add(y)
            art_o, u, eo = self.lone_units_o[x]
            art_n, v, en = self.lone_units_n[y]
            so, sn = _unit_side(art_o, u), _unit_side(art_n, v)
            ops = inline_ops(u.text, v.text)
            for k, ch in enumerate(eo.changes):
                if ch.kind == "deleted" and ch.old and ch.old.address == so.address:
                    eo.changes[k] = UnitChange("moved-out", so, sn, ops, "")
            for k, ch in enumerate(en.changes):
                if ch.kind == "added" and ch.new and ch.new.address == sn.address:
                    en.changes[k] = UnitChange("moved-in", so, sn, ops, "")

    def unpaired_articles(self) -> None:
        paired_new = set(self.partner.values())
        for j, n in enumerate(self.na):
            if j not in self.grouped_new and j not in paired_new:
                self.add(Entry("article", "added", n.id, [], [_art_side(n)], [Op("insert", "", n.body)],
                               (j, 1, 0, 1), text_changed=True), new_ids=[n.id])
        for i, o in enumerate(self.oa):
            if i not in self.grouped_old and i not in self.partner:
                self.add(Entry("article", "deleted", o.id, [_art_side(o)], [], [Op("delete", o.body, "")],
                               (self.prev_new(i), 2, i, 1), text_changed=True), old_ids=[o.id])

    def splits_and_merges(self) -> None:
        oa, na = self.oa, self.na
        for i, parts in self.splits:
            o, news = oa[i], [na[j] for j in parts]
            self.add(Entry("article", "split", o.id, [_art_side(o)], [_art_side(n) for n in news],
                           self.ops(o.body, _joined(news)), (min(parts), 1, 0, 1), text_changed=True),
                     [o.id], [n.id for n in news])
        for j, parts in self.merges:
            n, olds = na[j], [oa[i] for i in parts]
            self.add(Entry("article", "merged", n.id, [_art_side(o) for o in olds], [_art_side(n)],
                           self.ops(_joined(olds), n.body), (j, 1, 0, 1), text_changed=True),
                     [o.id for o in olds], [n.id])

    def stale_references(self) -> None:
        for i, j, text in _stale_references(self.oa, self.na, self.pairs):
            o, n = self.oa[i], self.na[j]
            home = self.by_new.get(n.id) or self.add(
                Entry("article", "reference", n.id, [_art_side(o)], [_art_side(n)], self.ops(o.body, n.body),
                      (j, 1, 0, 1)), [o.id], [n.id])
            home.warnings.append(text)

    def rules(self) -> list[RuleChange]:
        """Rule changes, each on the row of its clause (a row is made when the text did not change)."""
        rules = compare_rules(self.old, self.new)
        for r in rules:
            home = _entry_for(r.new_clause, self.by_new) or _entry_for(r.old_clause, self.by_old)
            if home is None:
                home = _rules_entry(r, self.oa, self.na, self.partner)
                if home is None:
                    continue
                self.add(home, [s.id for s in home.old], [s.id for s in home.new])
            home.rules.append(r)
        return rules

    def consequences(self, applications: Sequence[Application]
                     ) -> tuple[list[CaseChange], list[CaseChange], list[CaseChange]]:
        """Run the applications under both versions; attach each changed one to the rows of the
        clauses that decided it (rows whose rules changed first)."""
        old, new = self.old, self.new
        old_name, new_name = STATUS_ZH.get(old.meta.status, old.version), STATUS_ZH.get(new.meta.status, new.version)
        if old_name == new_name:
            old_name, new_name = f"原版本（{old.version}）", f"新版本（{new.version}）"
        changed, incomparable = compare_outcomes(old, new, applications, old_name, new_name)
        unattributed: list[CaseChange] = []
        for case in changed:
            found: list[Entry] = []
            for address in case.clauses:
                for index in (self.by_new, self.by_old):
                    hit = _entry_for(address, index)
                    if hit is not None and hit not in found:
                        found.append(hit)
            targets = [e for e in found if e.rules] or found
            for e in targets:
                e.consequences.append(case)
            if not targets:
                unattributed.append(case)
        return changed, incomparable, unattributed


def _references(text: str) -> list[tuple[str, int]]:
    return [(m.group(0), numbering.parse_zh_number(m.group(1))) for m in numbering.CROSS_REF_RE.finditer(text)]


def _stale_references(oa: list[Article], na: list[Article],
                      pairs: list[tuple[int, int]]) -> list[tuple[int, int, str]]:
    """References (本办法第X条) that still read as in the old text although the article they
    pointed at now has another number, or was deleted. Mainland revisions renumber every later
    article, and a reference not carried along silently points at a different article."""
    new_number = {oa[i].number: na[j].number for i, j in pairs}
    out: list[tuple[int, int, str]] = []
    for i, j in pairs:
        old_refs, new_refs = _references(oa[i].body), _references(na[j].body)
        if len(old_refs) != len(new_refs):
            continue  # references added or removed: a text change, reported as such
        for (_w, y), (written, x) in zip(old_refs, new_refs, strict=True):
            if x != y or y > len(oa):
                continue
            z = new_number.get(y)
            if z is None:
                out.append((i, j, f"“{written}”所指的原{numbering.article_label(y)}已删除或拆分，请核对引用"))
            elif z != y:
                out.append((i, j, f"“{written}”未随条序调整：原指的{numbering.article_label(y)}现为"
                                  f"{numbering.article_label(z)}，请核对引用"))
    return out


def _chapter_side(c: Chapter) -> Side:
    label = numbering.chapter_label(c.number)
    return Side(f"chapter:{c.id}", c.id, label, label, c.title)


def _align_chapters(och: Sequence[Chapter], nch: Sequence[Chapter],
                    art_pairs: Sequence[tuple[Article, Article]]) -> dict[int, int]:
    """Chapters by id, then identical title, then by the articles they hold (a chapter renamed
    and given a new id still holds its articles), then by similar title."""
    exact = align([Alignable(c.id, substance(c.title), c.number) for c in och],
                  [Alignable(c.id, substance(c.title), c.number) for c in nch], fuzzy=False)
    pairs = dict(exact)
    votes: Counter[tuple[int, int]] = Counter(
        (o.chapter.number - 1, n.chapter.number - 1) for o, n in art_pairs
    )
    for (ci, cj), _count in sorted(votes.items(), key=lambda kv: (-kv[1], sum(kv[0]), abs(kv[0][0] - kv[0][1]))):
        if ci not in pairs and cj not in pairs.values():
            pairs[ci] = cj
    rest_o = [i for i in range(len(och)) if i not in pairs]
    rest_n = [j for j in range(len(nch)) if j not in pairs.values()]
    fuzzy = align([Alignable(None, substance(och[i].title), och[i].number) for i in rest_o],
                  [Alignable(None, substance(nch[j].title), nch[j].number) for j in rest_n], by_id=False)
    pairs.update({rest_o[x]: rest_n[y] for x, y in fuzzy})
    return pairs


def _alignables_arts(arts: Sequence[Article]) -> list[Alignable]:
    return [Alignable(a.id, a.key, a.number) for a in arts]


def _joined(arts: Sequence[Article]) -> str:
    """Several articles as one text (a split's parts, a merge's sources), each after the first
    with its own label so the reader sees where one ends."""
    out = arts[0].body
    for a in arts[1:]:
        out += f"\n{a.label} {a.body}"
    return out


def _entry_for(address: str | None, index: dict[str, Entry]) -> Entry | None:
    if not address:
        return None
    return index.get(address.split(".")[0])


def _rules_entry(r: RuleChange, oa: list[Article], na: list[Article], pairs: dict[int, int]) -> Entry | None:
    """A rule changed in an article whose text did not: the row still belongs in the table."""
    back = {j: i for i, j in pairs.items()}
    for address, arts in ((r.new_clause, na), (r.old_clause, oa)):
        art = next((a for a in arts if address and a.id == address.split(".")[0]), None)
        if art is None:
            continue
        if arts is na:
            n: Article | None = art
            o = oa[back[art.index]] if art.index in back else None
        else:
            o, n = art, (na[pairs[art.index]] if art.index in pairs else None)
        pos = (float(n.index), 1, 0, 1) if n else (float(max((j for i, j in pairs.items() if i < art.index),
                                                              default=-1)), 2, art.index, 1)
        return Entry("article", "rules", (n or art).id, [_art_side(o)] if o else [], [_art_side(n)] if n else [],
                     inline_ops(o.body if o else "", n.body if n else ""), pos,
                     renumbered=bool(o and n and o.number != n.number))
    return None


def _counts(entries: list[Entry], formatting: list[Entry]) -> dict[str, dict[str, int]]:
    arts = Counter(e.kind for e in entries if e.level == "article")
    chapters = Counter(e.kind for e in entries if e.level == "chapter")
    units = Counter(c.kind for e in entries for c in e.changes)
    return {
        "articles": {k: arts.get(k, 0) for k in ("modified", "added", "deleted", "moved", "renumbered",
                                                   "split", "merged", "rules", "reference")}
        | {"chapter_moves": sum(1 for e in entries if e.chapter_move)},
        "clauses": {k: units.get(k, 0) for k in ("modified", "added", "deleted", "moved")}
        | {"moved_between_articles": units.get("moved-in", 0)},
        "chapters": {k: chapters.get(k, 0) for k in ("renamed", "added", "deleted", "renumbered")},
        "title": {"modified": sum(1 for e in entries if e.level == "title")},
    }


def na_chapters(arts: list[Article]) -> list[Chapter]:
    return list({id(a.chapter): a.chapter for a in arts}.values())


def _auto_note(e: Entry, oa: list[Article], na: list[Article], partner: dict[int, int]) -> str:
    parts: list[str] = []
    if e.level == "title":
        parts.append("标题" + "，".join(describe_change(e.old[0].text, e.new[0].text)))
    elif e.level == "chapter":
        if e.kind == "deleted":
            head = e.old[0]
            olds = [a for a in oa if f"chapter:{a.chapter.id}" == head.address]
            kept = [a for a in olds if a.index in partner]
            text = f"删除{head.label}“{head.text}”"
            if kept:
                targets = sorted({na[partner[a.index]].chapter.number for a in kept})
                dest = "、".join(_chapter_words(chapter_label(ch)) for ch in na_chapters(na) if ch.number in targets)
                text += f"，原{_number_ranges((a.number for a in kept), '条')}移入{dest}"
            elif olds:
                text += "（本章各条一并删除）"
            parts.append(text)
        elif e.kind == "added":
            head = e.new[0]
            parts.append(f"新增{head.label}“{head.text}”")
        elif e.kind == "renamed":
            parts.append(f"将章名“{e.old[0].text}”修改为“{e.new[0].text}”")
            if e.renumbered:
                parts.append(f"章序调整（原{e.old[0].label}）")
        else:
            parts.append(f"章序调整（原{e.old[0].label}）")
    elif e.kind == "added":
        parts.append("新增本条")
    elif e.kind == "deleted":
        parts.append("删除本条")
    elif e.kind == "split":
        parts.append(f"将原{e.old[0].label}拆分为" + "、".join(s.label for s in e.new))
    elif e.kind == "merged":
        parts.append("将原" + "、".join(s.label for s in e.old) + "合并为本条")
    else:
        for c in e.changes:
            c.text = words = _describe_unit(c)
            if words:
                parts.append(words)
        if e.items_renumbered:
            parts.append("其余各项序号相应调整")
        if e.moved:
            parts.append(f"条序调整：原{e.old[0].label}移至{e.new[0].label}")
        elif e.renumbered:
            parts.append(f"条序调整（原{e.old[0].label}）")
        if e.chapter_move:
            src, dst = e.chapter_move
            parts.append(f"本条由{_chapter_words(src)}移至{_chapter_words(dst)}")
        if e.kind == "rules":
            parts.append("条文未修改，所附规则有变化")
    text = "；".join(p for p in parts if p)
    return text + "。" if text else ""


def _chapter_words(label: str) -> str:
    number, _, title = label.partition(" ")
    return f"{number}“{title}”"


# --------------------------------------------------------------------------------------------
# Loading OLD and NEW: a file, or REV:path from git
# --------------------------------------------------------------------------------------------


@dataclass
class Loaded:
    policy: Policy
    label: str  # as shown to the user
    folder: Path | None  # working-tree folder of the policy (its cases and diffs/ live there)


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise PolicyError([Diagnostic("E704", "找不到 git 命令，无法读取 版本:路径 形式的文件",
                                      hint="安装 git，或先用 git show 导出文件再比较")]) from None


def load_version(spec: str, cwd: Path | None = None) -> Loaded:
    """A policy file, or `REV:path` (the file as it was in a git revision; the path is relative
    to the repository root, as in `git show`)."""
    cwd = cwd or Path.cwd()
    path = Path(spec)
    if not (cwd / path).exists() and ":" in spec and not re.match(r"^[A-Za-z]:[\\/]", spec):
        rev, _, rel = spec.partition(":")
        return _load_from_git(spec, rev, rel, cwd)
    full = path if path.is_absolute() else cwd / path
    name = display_path(full)
    tree = yamlsrc.load_yaml(full, name)
    return Loaded(policy_from_tree(tree, name), name, full.parent)


def _load_from_git(spec: str, rev: str, rel: str, cwd: Path) -> Loaded:
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise PolicyError([Diagnostic("E704", f"当前目录不在 git 仓库中，无法读取「{spec}」",
                                      hint="在仓库目录中运行，或直接给出文件路径")])
    root = Path(top.stdout.decode().strip())
    if not rev or _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], cwd).returncode != 0:
        raise PolicyError([Diagnostic("E702", f"git 版本「{rev}」不存在（{spec}）",
                                      hint="用 git log --oneline 查看可用的版本，如 HEAD~1、提交号或分支名")])
    if not rel or _git(["cat-file", "-e", f"{rev}:{rel}"], cwd).returncode != 0:
        raise PolicyError([Diagnostic("E703", f"git 版本「{rev}」中没有文件「{rel}」",
                                      hint="路径从仓库根目录写起（与 git show 相同），如 HEAD~1:policies/x/final.yaml")])
    blob = _git(["show", f"{rev}:{rel}"], cwd)
    try:
        text = blob.stdout.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError([Diagnostic("E002", f"{spec} 不是 UTF-8 编码", Span(spec, 1, 1))]) from None
    tree = yamlsrc.parse_yaml(text, spec)
    return Loaded(policy_from_tree(tree, spec), spec, (root / rel).parent)


def case_files(folders: Iterable[Path | None]) -> list[Path]:
    out: list[Path] = []
    for folder in folders:
        if folder is not None and folder.is_dir():
            for p in sorted(folder.glob("*.cases.yaml")):
                if p.resolve() not in {q.resolve() for q in out}:
                    out.append(p)
    return out


def notes_path(folder: Path | None, old: Policy, new: Policy) -> Path | None:
    if folder is None:
        return None
    p = folder / "diffs" / f"{old.version}-{new.version}.yaml"
    return p if p.is_file() else None


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------

Segment = tuple[str, str]  # (style, text); style: "" | del | ins | fmt | num | placeholder


def cell_segments(e: Entry, side: str) -> list[Segment]:
    """What one column of the table shows for an entry: label + text, with the marks."""
    sides = e.old if side == "old" else e.new
    if not sides:
        return [("placeholder", "（新增）" if side == "old" else "（删除）")]
    out: list[Segment] = []
    label = sides[0].label
    if e.level == "article" or e.level == "chapter":
        out.append(("num" if e.renumbered or e.moved else "", label))
        out.append(("", " " if e.level == "chapter" else "　"))
    for op in e.ops:
        if side == "old":
            style = {"equal": "", "format": "fmt", "delete": "del", "replace": "del"}.get(op.op)
            if style is not None and op.old:
                out.append((style, op.old))
        else:
            style = {"equal": "", "format": "fmt", "insert": "ins", "replace": "ins"}.get(op.op)
            if style is not None and op.new:
                out.append((style, op.new))
    return out


def note_lines(e: Entry) -> list[str]:
    lines = [e.note] if e.note else []
    lines += [f"提示：{w}。" for w in e.warnings]
    if e.rules:
        lines.append("规则：" + "；".join(r.text for r in e.rules) + "。")
    for c in e.consequences:
        lines.append(f"影响：用例「{c.case}」{c.reason}。")
    return lines


def summary_lines(r: DiffResult, *, cli: bool = True) -> list[str]:
    a, ch, cl = r.counts["articles"], r.counts["chapters"], r.counts["clauses"]
    bits = [f"修改{a['modified']}条", f"新增{a['added']}条", f"删除{a['deleted']}条"]
    optional = (("moved", "移动{}条"), ("renumbered", "仅条序调整{}条"), ("split", "拆分{}条"),
                ("merged", "合并{}条"), ("chapter_moves", "{}条改属其他章"), ("rules", "{}条仅规则变化"))
    bits += [template.format(a[key]) for key, template in optional if a[key]]
    warnings = sum(len(e.warnings) for e in r.entries)
    if warnings:
        bits.append(f"{warnings}处引用待核对")
    if r.counts["title"]["modified"]:
        bits.insert(0, "修改标题")
    chap = [f"{zh}{ch[k]}章" for k, zh in (("added", "新增"), ("deleted", "删除"), ("renamed", "更名"),
                                          ("renumbered", "章序调整")) if ch[k]]
    lines = ["概要：" + "，".join(bits + chap) + "。"]
    sub = [f"{zh}{cl[k]}处" for k, zh in (("modified", "修改"), ("added", "新增"), ("deleted", "删除"),
                                        ("moved", "调整次序")) if cl[k]]
    if cl["moved_between_articles"]:
        sub.append(f"在条之间移动{cl['moved_between_articles']}处")
    if sub:
        lines.append("条内各款、项：" + "，".join(sub) + "。")
    fmt = len(r.formatting)
    shown = ("，已在下文标出" if r.show_formatting else
             "，未列入（用 --show-formatting 显示）" if cli else "，未列入本表")
    lines.append(f"仅标点、空格等格式不同的{fmt}处不算实质修改{shown}。" if fmt else "没有仅标点、空格等格式不同之处。")
    if r.rule_changes:
        lines.append(f"规则变化{len(r.rule_changes)}项" + ("，其中涉及奖励金额。" if r.amounts_changed else
                                                        "；奖励金额均未改变。"))
    else:
        lines.append("规则未变化；奖励金额均未改变。")
    if r.cases_compared:
        lines.append(f"用例：比较{r.cases_compared}件，结果变化{len(r.case_changes)}件，"
                     f"无法比较{len(r.not_comparable)}件。")
    return lines


def header_lines(r: DiffResult, *, files: bool = True) -> list[str]:
    def where(v: VersionInfo) -> str:
        return f"，{v.file}" if files else ""

    return [f"原条文：《{r.old.title}》{r.old.label}{where(r.old)}",
            f"修改后条文：《{r.new.title}》{r.new.label}{where(r.new)}"]


def table_title(r: DiffResult) -> str:
    if r.old.status == "draft" and r.new.status == "issued":
        return f"《{r.new.title}》征求意见稿与正式文本条文对照表"
    return f"《{r.new.title}》修改前后条文对照表"


def _rows(r: DiffResult) -> list[Entry]:
    rows = list(r.entries)
    if r.show_formatting:
        rows = sorted([*rows, *r.formatting], key=lambda e: e.position)
    return rows


def _format_note(e: Entry) -> str:
    return "仅标点、空格等格式差异，无实质修改。" if e.kind == "formatting" else e.note


# -- terminal text ------------------------------------------------------------------------------

_ANSI = {"del": "\x1b[9;31m", "ins": "\x1b[4;32m", "fmt": "\x1b[2;33m", "num": "\x1b[1m", "placeholder": "\x1b[2m"}
_PLAIN = {"del": ("[-", "-]"), "ins": ("{+", "+}"), "fmt": ("{~", "~}")}


def render_text(r: DiffResult, *, colour: bool = False) -> str:
    def seg(segments: list[Segment]) -> str:
        out = ""
        for style, text in segments:
            if colour and style in _ANSI:
                out += "\n".join(f"{_ANSI[style]}{line}\x1b[0m" if line else "" for line in text.split("\n"))
            elif not colour and style in _PLAIN:
                a, b = _PLAIN[style]
                out += f"{a}{text}{b}"
            else:
                out += text
        return out.replace("\n", "\n      ")

    lines = [table_title(r), *header_lines(r), ""]
    lines += [f"文件信息：{m.text}" for m in r.meta]
    lines += summary_lines(r)
    if not colour:
        lines.append("标记：[-删除-] {+新增+}" + (" {~格式~}" if r.show_formatting else ""))
    for e in _rows(r):
        old_cite = e.old_cite or "（无）"
        head = f"{old_cite} → {e.cite if e.new else '（删除）'}　[{_KIND_ZH.get(e.kind, e.kind)}]"
        lines += ["", head, "  原：" + seg(cell_segments(e, "old")), "  新：" + seg(cell_segments(e, "new"))]
        for i, line in enumerate(note_lines(e) if e.kind != "formatting" else [_format_note(e)]):
            lines.append(("  说明：" if i == 0 else "        ") + line)
    if r.not_comparable:
        lines += ["", "无法比较的用例："]
        lines += [f"  {c.source}：{c.case}：{c.reason}" for c in r.not_comparable]
    if r.unattributed:
        lines += ["", "结果变化但未能归属到具体条款的用例："]
        lines += [f"  {c.source}：{c.case}：{c.reason}" for c in r.unattributed]
    if not _rows(r) and not r.meta:
        lines += ["", "两个版本的条文没有实质差异。"]
    return "\n".join(lines) + "\n"


_KIND_ZH = {"modified": "修改", "added": "新增", "deleted": "删除", "moved": "移动", "renumbered": "条序调整",
            "split": "拆分", "merged": "合并", "renamed": "更名", "rules": "规则变化", "formatting": "仅格式",
            "reference": "引用待核对"}


# -- Markdown -----------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")


def _md_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_cell(segments: list[Segment]) -> str:
    tags = {"del": ("<del>", "</del>"), "ins": ("<ins>", "</ins>"), "fmt": ("<mark>", "</mark>"),
            "num": ("<u>", "</u>")}
    out = ""
    for style, text in segments:
        parts = text.split("\n")
        a, b = tags.get(style, ("", ""))
        out += "<br>".join(f"{a}{_md_escape(p)}{b}" if p else "" for p in parts)
    return out


def render_markdown(r: DiffResult) -> str:
    lines = [f"# {_md_escape(table_title(r))}", ""]
    lines += [f"- {_md_escape(h)}" for h in header_lines(r)]
    lines += [f"- 文件信息：{_md_escape(m.text)}" for m in r.meta]
    lines.append("")
    lines += [_md_escape(s) + "  " for s in summary_lines(r, cli=False)]
    lines += ["", "注：<del>删除线</del>为删除内容，<ins>下划线</ins>为新增或修改内容"
              + ("，<mark>底色</mark>为仅格式差异" if r.show_formatting else "") + "；条序变化的条号加<u>下划线</u>。", ""]
    lines += ["| 原条文 | 修改后条文 | 修改说明 |", "| --- | --- | --- |"]
    for e in _rows(r):
        note = "<br>".join(_md_escape(x) for x in (note_lines(e) if e.kind != "formatting" else [_format_note(e)]))
        lines.append(f"| {_md_cell(cell_segments(e, 'old'))} | {_md_cell(cell_segments(e, 'new'))} | {note} |")
    if not _rows(r):
        lines.append("| （无实质修改） | （无实质修改） | 两个版本的条文没有实质差异。 |")
    for title, items in (("无法比较的用例", r.not_comparable), ("结果变化但未能归属到具体条款的用例", r.unattributed)):
        if items:
            lines += ["", f"## {title}", ""]
            lines += [f"- {_md_escape(c.source)}：{_md_escape(c.case)}：{_md_escape(c.reason)}" for c in items]
    return "\n".join(lines) + "\n"


# -- HTML ---------------------------------------------------------------------------------------


def _lines_of(segments: list[Segment]) -> list[list[Segment]]:
    """Marked segments split into the lines of a table cell (a segment may span a line break)."""
    out: list[list[Segment]] = [[]]
    for style, text in segments:
        for k, part in enumerate(text.split("\n")):
            if k:
                out.append([])
            if part:
                out[-1].append((style, part))
    return out


def render_html(r: DiffResult) -> str:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("compiler.documents", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )

    rows = [
        {"kind": _KIND_ZH.get(e.kind, e.kind), "old": _lines_of(cell_segments(e, "old")),
         "new": _lines_of(cell_segments(e, "new")),
         "note": note_lines(e) if e.kind != "formatting" else [_format_note(e)], "cite": e.cite}
        for e in _rows(r)
    ]
    return env.get_template("diff.html.j2").render(
        title=table_title(r), header=header_lines(r), meta=[m.text for m in r.meta],
        summary=summary_lines(r, cli=False),
        rows=rows, show_formatting=r.show_formatting,
        not_comparable=[f"{c.source}：{c.case}：{c.reason}" for c in r.not_comparable],
        unattributed=[f"{c.source}：{c.case}：{c.reason}" for c in r.unattributed],
    )


# -- JSON ---------------------------------------------------------------------------------------


def render_json(r: DiffResult) -> str:
    return json.dumps(r.to_json(), ensure_ascii=False, indent=2) + "\n"


# -- Word ---------------------------------------------------------------------------------------

_DOCX_FONT = "仿宋_GB2312"
_DOCX_HEAD_FONT = "黑体"


def render_docx(r: DiffResult) -> bytes:
    """Landscape GB/T 9704 page (via wordstyle), title, summary, then the three-column table:
    deleted characters struck through in red, inserted ones underlined, renumbered 条 numbers
    double-underlined; the header row repeats on every page."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_UNDERLINE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt, RGBColor

    from compiler.documents import wordstyle

    size = Pt(14)  # 四号, as in the guides' tables: one size below the 三号 body text
    widths_mm = (79.0, 79.0, 67.0)  # the 225 mm 版心 width of a landscape page

    def child(parent: Any, tag: str, **attrs: str) -> Any:
        node = parent.find(qn(tag))
        if node is None:
            node = OxmlElement(tag)
            parent.append(node)
        for key, value in attrs.items():
            node.set(qn(f"w:{key}"), value)
        return node

    def fonts(run: Any, name: str) -> None:
        rpr = run._r.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = OxmlElement("w:rFonts")
            rpr.insert(0, rfonts)
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            rfonts.set(qn(attr), name)

    def para_format(p: Any, align: Any) -> None:
        f = p.paragraph_format
        f.space_before = Pt(0)
        f.space_after = Pt(0)
        f.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        f.line_spacing = Pt(size.pt * 1.35)
        p.alignment = align
        # Table text is smaller than the body: off the page's 22-line grid, or every cell line
        # would take a full body line.
        child(p._p.get_or_add_pPr(), "w:snapToGrid", val="0")

    def write_cell(cell: Any, width: float, segments: list[Segment], *, head: bool = False,
                   note: bool = False) -> None:
        cell.width = Mm(width)
        child(cell._tc.get_or_add_tcPr(), "w:vAlign", val="center" if head else "top")
        for n, line in enumerate(_lines_of(segments)):
            p = cell.paragraphs[0] if n == 0 else cell.add_paragraph()
            para_format(p, WD_ALIGN_PARAGRAPH.CENTER if head else
                        WD_ALIGN_PARAGRAPH.LEFT if note else WD_ALIGN_PARAGRAPH.JUSTIFY)
            for style, text in line:
                run = p.add_run(text)
                run.font.size = size
                fonts(run, _DOCX_HEAD_FONT if head else _DOCX_FONT)
                if style == "del":
                    run.font.strike = True
                    run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
                elif style == "ins":
                    run.font.underline = WD_UNDERLINE.SINGLE
                elif style == "fmt":
                    run.font.underline = WD_UNDERLINE.DOTTED
                elif style == "num":
                    run.font.underline = WD_UNDERLINE.DOUBLE

    doc = wordstyle.new_document(landscape=True)
    wordstyle.add_title(doc, table_title(r))
    for line in header_lines(r, files=False):
        wordstyle.add_body(doc, line, first_line_indent=False)
    if r.meta:
        wordstyle.add_body(doc, "文件信息：" + "；".join(m.text for m in r.meta) + "。")
    wordstyle.add_body(doc, "".join(summary_lines(r, cli=False)))
    wordstyle.add_body(doc, "注：删除线为删除内容，下划线为新增或修改内容"
                       + ("，点线为仅格式差异" if r.show_formatting else "") + "；条序变化的条号加双下划线。")
    rows = _rows(r)
    table = doc.add_table(rows=0, cols=3)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    borders = child(tbl_pr, "w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        child(borders, f"w:{edge}", val="single", sz="4", space="0", color="000000")
    child(tbl_pr, "w:tblLayout", type="fixed")
    for col, width in zip(table._tbl.tblGrid.iterchildren(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(round(width / 25.4 * 1440)))
    head = table.add_row()
    tr_pr = head._tr.get_or_add_trPr()
    child(tr_pr, "w:tblHeader", val="1")  # the column heads repeat on every page
    child(tr_pr, "w:cantSplit", val="1")
    for k, text in enumerate(("原条文", "修改后条文", "修改说明")):
        write_cell(head.cells[k], widths_mm[k], [("", text)], head=True)
    cells: list[tuple[list[Segment], list[Segment], list[Segment]]] = [
        (cell_segments(e, "old"), cell_segments(e, "new"),
         [("", "\n".join(note_lines(e) if e.kind != "formatting" else [_format_note(e)]))])
        for e in rows
    ] or [([("", "（无实质修改）")], [("", "（无实质修改）")], [("", "两个版本的条文没有实质差异。")])]
    for row_cells in cells:
        row = table.add_row()
        for k, segments in enumerate(row_cells):
            write_cell(row.cells[k], widths_mm[k], segments, note=k == 2)
    for title, items in (("无法比较的用例", r.not_comparable), ("结果变化但未能归属到具体条款的用例", r.unattributed)):
        if items:
            wordstyle.add_heading(doc, title, 1)
            for c in items:
                wordstyle.add_body(doc, f"{c.source}：{c.case}：{c.reason}")
    return wordstyle.to_bytes(doc)


RENDERERS: dict[str, Callable[[DiffResult], str | bytes]] = {
    "text": render_text, "md": render_markdown, "html": render_html, "json": render_json, "docx": render_docx,
}


# --------------------------------------------------------------------------------------------
# Command line and build
# --------------------------------------------------------------------------------------------


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("old", help="原版本：政策文件，或 git 版本:路径（如 HEAD~1:policies/x/final.yaml）")
    p.add_argument("new", help="修改后版本：政策文件，或 git 版本:路径")
    p.add_argument("--format", choices=list(RENDERERS), default="text", help="输出格式（默认 text）")
    p.add_argument("-o", "--output", type=Path, help="写入文件（docx 必须指定）；默认输出到终端")
    p.add_argument("--cases", type=Path, action="append", default=[],
                   help="另外比较的申请名单：用例文件（*.cases.yaml）或申报信息文件；可重复")
    p.add_argument("--notes", type=Path, help="修改说明覆盖文件；默认 <政策目录>/diffs/<原version>-<新version>.yaml")
    p.add_argument("--show-formatting", action="store_true", help="同时列出仅标点、空格等格式不同之处")
    p.add_argument("--force", action="store_true", help="允许比较两个不同政策（policy 不同）的文件")


def run_diff(args: argparse.Namespace) -> int:
    old, new = load_version(args.old), load_version(args.new)
    if old.policy.policy_id != new.policy.policy_id and not args.force:
        span = new.policy.tree.value_spans.get("policy")
        raise PolicyError([Diagnostic(
            "E701", f"两个文件属于不同的政策：{old.label} 是「{old.policy.policy_id}」，"
                    f"{new.label} 是「{new.policy.policy_id}」", span,
            hint="条文对照表比较同一政策的两个版本；确实要比较不同政策时加 --force",
        )])
    apps: list[Application] = []
    for path in case_files([old.folder, new.folder]):
        apps.extend(load_applications(path))
    for path in args.cases:
        apps.extend(load_applications(path))
    notes_file = args.notes or notes_path(new.folder, old.policy, new.policy)
    notes = load_notes(notes_file) if notes_file else None
    result = compare(old.policy, new.policy, old_file=old.label, new_file=new.label, applications=apps,
                     notes=notes, show_formatting=args.show_formatting)
    if args.format == "text":
        colour = args.output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
        out: str | bytes = render_text(result, colour=colour)
    else:
        out = RENDERERS[args.format](result)
    if args.output is not None:

        atomic_write(args.output, out.encode("utf-8") if isinstance(out, str) else out)
        print(f"已写入 {display_path(args.output)}（{len(result.entries)} 处实质修改）。", file=sys.stderr)
    elif isinstance(out, bytes):
        if sys.stdout.isatty():
            raise UsageError("docx 是二进制格式，请用 -o 指定输出文件")
        sys.stdout.buffer.write(out)
    else:
        sys.stdout.write(out)
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "diff": ("比较同一政策的两个版本，生成条文对照表（原条文｜修改后条文｜修改说明）", _add_arguments, run_diff),
}


def build_outputs(root: Path, policies: list[tuple[Path, Policy]]) -> dict[str, bytes]:
    """generated/<policy>/diff-<old>-<new>.{md,html,docx} for each pair of consecutive versions
    of a policy (ordered by publication date), with the policy's cases and 修改说明 overrides."""
    groups: dict[str, list[tuple[Path, Policy]]] = {}
    for path, policy in policies:
        groups.setdefault(policy.policy_id, []).append((path, policy))
    outputs: dict[str, bytes] = {}
    for pid, versions in sorted(groups.items()):
        versions.sort(key=lambda vp: (vp[1].meta.published or dt.date.min, vp[1].version))
        folder = root / "policies" / pid
        apps: list[Application] = []
        for path in case_files([folder]):
            apps.extend(load_applications(path, path.relative_to(root).as_posix()))
        for (po, old), (pn, new) in zip(versions, versions[1:], strict=False):
            notes_file = notes_path(folder, old, new)
            notes = load_notes(notes_file, notes_file.relative_to(root).as_posix()) if notes_file else None
            result = compare(old, new, old_file=po.relative_to(root).as_posix(),
                             new_file=pn.relative_to(root).as_posix(), applications=apps, notes=notes)
            base = f"{pid}/diff-{old.version}-{new.version}"
            outputs[f"{base}.md"] = render_markdown(result).encode("utf-8")
            outputs[f"{base}.html"] = render_html(result).encode("utf-8")
            outputs[f"{base}.docx"] = render_docx(result)
    return outputs

