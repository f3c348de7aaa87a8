"""Normalised tokens and the inline diff: formatting (full-/half-width punctuation, spaces,
第1条/第一条) is never a substantive change; every diff is computed in a canonical orientation so
that swapping OLD and NEW mirrors it exactly."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from compiler.diff.words import word_boundaries
from compiler.documents.text import normalise
from compiler.lang import numbering

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


def opcodes(a: list[Token], b: list[Token]) -> list[Code]:
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


_WORD_GAP = 2  # characters: an unchanged word this short between two changed ones is marked with them
_PUNCTUATION = set(",;:.!?()、。“”\"'《》〈〉[]{}-—…·/")


def _boundaries(tokens: Sequence[Token]) -> set[int]:
    """Token indices at which a word of the normalised text starts or ends."""
    words = word_boundaries("".join(t.key for t in tokens))
    out, pos = set(), 0
    for k, t in enumerate(tokens):
        if pos in words:
            out.add(k)
        pos += len(t.key)
    out.add(len(tokens))
    return out


def word_opcodes(a: list[Token], b: list[Token]) -> list[Code]:
    """`opcodes` widened to whole words: each changed region grows over the unchanged characters
    around it until it starts and ends at a word boundary in both texts, and two regions
    separated only by a short unchanged word (no punctuation) become one. Both texts' boundaries
    count alike, so the result stays the mirror image of word_opcodes(b, a). Only unchanged
    characters are absorbed, so every equal run is still equal token by token."""
    codes = opcodes(a, b)
    edits = [[a0, a1, b0, b1] for tag, a0, a1, b0, b1 in codes if tag != "equal"]
    if not edits:
        return codes
    wa, wb = _boundaries(a), _boundaries(b)
    grown = True
    while grown:
        grown = False
        for k, e in enumerate(edits):
            lo_a, lo_b = (edits[k - 1][1], edits[k - 1][3]) if k else (0, 0)
            hi_a = edits[k + 1][0] if k + 1 < len(edits) else len(a)
            while (e[0] not in wa or e[2] not in wb) and e[0] > lo_a and e[2] > lo_b:
                e[0], e[2], grown = e[0] - 1, e[2] - 1, True
            while (e[1] not in wa or e[3] not in wb) and e[1] < hi_a and e[3] < len(b):
                e[1], e[3], grown = e[1] + 1, e[3] + 1, True
        merged = [edits[0]]
        for e in edits[1:]:
            last = merged[-1]
            gap = a[last[1] : e[0]]
            short = sum(len(t.key) for t in gap) <= _WORD_GAP and not any(t.key in _PUNCTUATION for t in gap)
            if short:
                last[1], last[3] = e[1], e[3]
                grown = True
            else:
                merged.append(e)
        edits = merged
    out: list[Code] = []
    pa = pb = 0
    for a0, a1, b0, b1 in edits:
        if a0 > pa:
            out.append(("equal", pa, a0, pb, b0))
        out.append(("replace" if a0 < a1 and b0 < b1 else "delete" if a0 < a1 else "insert", a0, a1, b0, b1))
        pa, pb = a1, b1
    if pa < len(a):
        out.append(("equal", pa, len(a), pb, len(b)))
    return out


def raw_text(tokens: Sequence[Token]) -> str:
    return "".join(t.raw for t in tokens)


def inline_ops(old: str, new: str, *, show_formatting: bool = False) -> list[Op]:
    """The inline diff of two texts, on normalised tokens, marking whole words (word_opcodes)."""
    a, b = tokenize(old), tokenize(new)
    # Text that tokenises to nothing (only spaces) is kept so the ops still add up to the texts.
    if not a and not b:
        return [Op("equal" if old == new or not show_formatting else "format", old, new)] if old or new else []
    if not a or not b:  # one side is only spaces: the spaces are replaced, not lost
        return [Op("replace" if old and new else "insert" if new else "delete", old, new)]
    out: list[Op] = []
    for tag, a0, a1, b0, b1 in word_opcodes(a, b):
        if tag != "equal":
            out.append(Op(tag, raw_text(a[a0:a1]), raw_text(b[b0:b1])))
        elif not show_formatting:
            out.append(Op("equal", raw_text(a[a0:a1]), raw_text(b[b0:b1])))
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
