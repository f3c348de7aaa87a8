"""What a registered document's status is on a given day, and the sentence that says so.

The statuses, in the order a listing shows them:

* 现行有效 — in force: its 施行 date has come (or, when it states none, the day it was issued)
  and it has neither expired nor been repealed;
* 尚未施行 — issued, not yet in force;
* 已失效（有效期届满） — past the last day of its 有效期;
* 已废止 — a repeal took effect (on the day the repealing document takes effect); a document
  that had already expired when the repeal came stays 已失效, and the reason says both;
* 草案（不具效力） — a draft (征求意见稿, 起草说明): never in force;
* 状态不明 — neither its issue nor its 施行 date is in the texts we hold, and it is not (yet)
  repealed: the registry does not guess.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from compiler.registry.model import Document, Quote, Registry, Repeal
from compiler.runtime.core import add_days, zh_date

LABELS = {
    "in-force": "现行有效",
    "not-yet": "尚未施行",
    "expired": "已失效（有效期届满）",
    "repealed": "已废止",
    "draft": "草案（不具效力）",
    "unknown": "状态不明",
}
ORDER = tuple(LABELS)


@dataclass(frozen=True)
class Standing:
    """`document`'s status on `day`; `basis` is the document whose words decide it (itself, or
    the one that repealed it) and `quote` those words; `reason` is the citation with what follows
    from it on that day."""

    document: Document
    day: dt.date
    status: str
    reason: str
    basis: Document
    quote: Quote | None

    @property
    def label(self) -> str:
        return LABELS[self.status]


def dates_reason(doc: Document) -> str:
    """第二十八条：自发布之日起30日后实施，有效期3年 → 2026年5月19日起施行，有效期至2029年5月18日."""
    eff, term = doc.effect, doc.term
    if eff is None:
        if doc.issued is None:
            return "所录文本未载明其发布、施行日期"
        return f"施行日期未载明，按发布日期计 → {zh_date(doc.issued)}起施行"
    said = eff.quote.cited()
    if term is not None and term.quote.text != eff.quote.text:
        if term.quote.clause in (None, eff.quote.clause):
            said += f"，{term.quote.text}"
        else:
            said += f"；{term.quote.cited()}"
    said = said.rstrip("。")  # the arrow follows: 本办法自发布之日起30日后施行 → …
    follows = f"{zh_date(eff.date)}起施行"
    if term is not None:
        follows += f"，有效期至{zh_date(term.until)}"
    return f"{said} → {follows}"


def repeal_reason(registry: Registry, rep: Repeal) -> str:
    """哈政办规〔2026〕1号第三十一条：“……同时废止。” → 2026年5月21日起废止."""
    by = registry.get(rep.by)
    clause = rep.quote.clause or ""
    text = f"{by.name}{clause}：“{rep.quote.text}” → {zh_date(rep.date)}起废止"
    if rep.dated_by_issue:
        text += "（废止文件未载明施行日期，按其发布日期计）"
    return text


def standing(registry: Registry, doc: Document, day: dt.date) -> Standing:
    if doc.draft is not None:
        final = next((d for d in registry.documents if d.draft is None and doc.policy_id
                      and d.policy_id == doc.policy_id), None)
        reason = "草案不具效力"
        if final is not None:
            reason += f"；正式文本为{final.doc_number or ''}{final.quoted_title}"
        return Standing(doc, day, "draft", reason, doc, None)
    rep = doc.repealed_by
    expiry = doc.term.until if doc.term is not None else None
    own = doc.effect.quote if doc.effect is not None else None
    if rep is not None and rep.date <= day and (expiry is None or rep.date <= expiry):
        return Standing(doc, day, "repealed", repeal_reason(registry, rep), registry.get(rep.by), rep.quote)
    if expiry is not None and expiry < day:
        reason = dates_reason(doc) + "（已届满）"
        if rep is not None and rep.date <= day:
            reason += f"；另：{repeal_reason(registry, rep)}"
        return Standing(doc, day, "expired", reason, doc, doc.term.quote if doc.term else own)
    start = doc.effect.date if doc.effect is not None else doc.issued
    if start is None:
        reason = dates_reason(doc)
        if rep is not None:
            reason += f"；{repeal_reason(registry, rep)}"
        return Standing(doc, day, "unknown", reason, doc, None)
    status = "not-yet" if day < start else "in-force"
    reason = dates_reason(doc)
    if rep is not None:  # in force or not yet, with a repeal to come
        reason += f"；{repeal_reason(registry, rep)}"
    return Standing(doc, day, status, reason, doc, own)


def standings(registry: Registry, day: dt.date) -> list[Standing]:
    """Every document's standing on `day`, grouped by status (ORDER), in registry order within."""
    found = [standing(registry, d, day) for d in registry.documents]
    return sorted(found, key=lambda s: ORDER.index(s.status))


def changes(doc: Document) -> list[tuple[dt.date, str]]:
    """The days on which the document's status changes, with what happens."""
    out: list[tuple[dt.date, str]] = []
    if doc.draft is not None:
        return out
    if doc.effect is not None:
        out.append((doc.effect.date, "施行"))
    elif doc.issued is not None:
        out.append((doc.issued, "施行"))
    rep = doc.repealed_by
    if doc.term is not None and (rep is None or rep.date > doc.term.until):
        out.append((add_days(doc.term.until, Decimal(1)), "有效期届满"))
    if rep is not None:
        out.append((rep.date, "废止"))
    return out


def next_change(registry: Registry, day: dt.date) -> tuple[dt.date, list[tuple[Document, str]]] | None:
    """The first day after `day` on which some document's status changes, and what changes."""
    upcoming = [(when, doc, what) for doc in registry.documents for when, what in changes(doc) if when > day]
    if not upcoming:
        return None
    first = min(when for when, _, _ in upcoming)
    return first, [(doc, what) for when, doc, what in upcoming if when == first]
