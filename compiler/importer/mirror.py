"""Undoing what web mirrors do to an issued text: pinyin inserted in brackets after characters
(網(wǎng), 計算(suan)機) and the whole text converted to traditional characters (第十八條, 辦法).

The issued 办法 of a mainland government is in simplified characters; a mirror's traditional text
and its pinyin are the mirror's, not the issuer's. Both are undone on import, and each change is
a `Repair` (kind "pinyin": the characters removed; kind "traditional": the mirror's characters
and the simplified ones that replace them), so the report lists every one and the mirror's text
stays recoverable character by character. A file is treated as a mirror's only when it shows the
artefact several times, so an issued simplified text is never touched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from compiler.documents.text import Located, Repair

# One pinyin syllable, with or without tone marks (xin, guī, wǎng, lü); brackets may repeat when
# a mirror annotated a character twice ("信(xin)(xin)").
_SYLLABLE = r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüńňǹ]{2,6}"
_PINYIN_RUN = re.compile(rf"(?<=[\u4e00-\u9fff])((?:[(（]{_SYLLABLE}[)）])+)")
_VOWEL = re.compile(r"[aeiouüvāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ]")
# Characters common in any 办法 whose traditional form differs from the simplified one; a file
# with several of them is a traditional text (a simplified text has none of them).
_TRADITIONAL_MARKERS = set("條辦這為與會關網國發經個們來說時對過還後從當動實現點種應進業產書規則區級費資")
_MIN_ARTEFACTS = 3


@dataclass(frozen=True)
class Mirror:
    """What a source file shows of a mirror's artefacts (decided once per file)."""

    pinyin: bool
    traditional: bool


def _pinyin_runs(text: str) -> list[re.Match[str]]:
    runs = []
    for m in _PINYIN_RUN.finditer(text):
        syllables = re.findall(r"[(（]([^()（）]+)[)）]", m.group(1))
        if all(_VOWEL.search(s) for s in syllables):
            runs.append(m)
    return runs


def detect(text: str) -> Mirror:
    traditional = sum(1 for ch in text if ch in _TRADITIONAL_MARKERS) >= _MIN_ARTEFACTS
    return Mirror(len(_pinyin_runs(text)) >= _MIN_ARTEFACTS, traditional)


@lru_cache(maxsize=1)
def _converter() -> Any:
    import opencc  # imported here: only a traditional source needs it

    return opencc.OpenCC("t2s")


def _simplified(text: str) -> str:
    """The simplified form of `text`, one character for one (phrase conversion when it keeps the
    length, so the positions of the source stay valid; else character by character)."""
    whole: str = _converter().convert(text)
    if len(whole) == len(text):
        return whole
    out = []
    for ch in text:
        one: str = _converter().convert(ch)
        out.append(one if len(one) == 1 else ch)
    return "".join(out)


def undo(loc: Located, mirror: Mirror) -> tuple[Located, list[Repair]]:
    """One line with the mirror's pinyin removed and its characters simplified, and the repairs."""
    repairs: list[Repair] = []
    if mirror.pinyin:
        for m in reversed(_pinyin_runs(loc.text)):
            line, col = loc.where[m.start(1)]
            context = loc.text[max(0, m.start(1) - 1) : m.end(1)]
            repairs.append(Repair("pinyin", line, col, m.group(1), f"「{context}」"))
            loc = loc[: m.start(1)] + loc[m.end(1) :]
    if mirror.traditional and loc.text:
        simple = _simplified(loc.text)
        i = 0
        while i < len(simple):
            if simple[i] == loc.text[i]:
                i += 1
                continue
            j = i + 1  # a run of changed characters, contiguous in the source line
            while (j < len(simple) and simple[j] != loc.text[j]
                   and loc.where[j] == (loc.where[j - 1][0], loc.where[j - 1][1] + 1)):
                j += 1
            line, col = loc.where[i]
            repairs.append(Repair("traditional", line, col, loc.text[i:j], f"改为「{simple[i:j]}」"))
            i = j
        loc = Located(simple, loc.where)
    return loc, sorted(repairs, key=lambda r: (r.line, r.col))
