"""The comparison: align both versions and collect the rows of the 条文对照表 with their 款/项
changes, rule changes, consequences and stale cross-references."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from compiler.diff.align import (
    SIMILAR,
    Alignable,
    Article,
    Unit,
    align,
    articles_of,
    chapter_label,
    find_splits,
    similarity,
    stable_pairs,
)
from compiler.diff.model import (
    STATUS_ZH,
    CaseChange,
    DiffResult,
    Entry,
    RuleChange,
    Side,
    UnitChange,
    VersionInfo,
)
from compiler.diff.notes import Notes, apply_notes
from compiler.diff.outcomes import Application, compare_outcomes
from compiler.diff.rules import compare_meta, compare_rules
from compiler.diff.tokens import Op, inline_ops, substance
from compiler.diff.wording import auto_note
from compiler.lang import numbering
from compiler.model.policy import Chapter, Policy


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
    changed, incomparable, unattributed, in_force = c.consequences(applications, rules)
    c.entries.sort(key=lambda e: e.position)
    c.formatting.sort(key=lambda e: e.position)
    for e in c.entries:
        e.auto_note = e.note = auto_note(e, c.oa, c.na, c.partner)
    if notes is not None:
        apply_notes(c.entries, notes, old, new)
    return DiffResult(
        version_info(old, old_file or old.file), version_info(new, new_file or new.file), c.entries,
        c.formatting, compare_meta(old, new), rules, len(applications), changed, incomparable, unattributed,
        show_formatting, _counts(c.entries, c.formatting), in_force,
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

    def consequences(self, applications: Sequence[Application], rules: Sequence[RuleChange]
                     ) -> tuple[list[CaseChange], list[CaseChange], list[CaseChange], list[CaseChange]]:
        """Run the applications under both versions; attach each changed one to the rows of the
        clauses that decided it (rows whose rules changed first). Returns (changed, not
        comparable, unattributed, in force): an application decided only by the time in force,
        while the rules of the dates in force are the same (a draft counts its 30 days from a
        publication that has not happened), is a consequence of no row: it is listed apart."""
        old, new = self.old, self.new
        old_name, new_name = STATUS_ZH.get(old.meta.status, old.version), STATUS_ZH.get(new.meta.status, new.version)
        if old_name == new_name:
            old_name, new_name = f"原版本（{old.version}）", f"新版本（{new.version}）"
        changed, incomparable = compare_outcomes(old, new, applications, old_name, new_name)
        unattributed: list[CaseChange] = []
        in_force: list[CaseChange] = []
        dates_changed = any(r.kind in ("effective", "validity") for r in rules)
        for case in changed:
            if case.in_force_only and not dates_changed:
                in_force.append(case)
                continue
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
        return changed, incomparable, unattributed, in_force


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
    # A 款 or 项 has a label (第（四）项); an article's only text has none: it is the article's change.
    units = Counter(c.kind for e in entries for c in e.changes
                    for side in [c.new or c.old] if side is not None and side.label)
    return {
        "articles": {k: arts.get(k, 0) for k in ("modified", "added", "deleted", "moved", "renumbered",
                                                   "split", "merged", "rules", "reference")}
        | {"chapter_moves": sum(1 for e in entries if e.chapter_move)},
        "clauses": {k: units.get(k, 0) for k in ("modified", "added", "deleted", "moved")}
        | {"moved_between_articles": units.get("moved-in", 0)},
        "chapters": {k: chapters.get(k, 0) for k in ("renamed", "added", "deleted", "renumbered")},
        "title": {"modified": sum(1 for e in entries if e.level == "title")},
    }
