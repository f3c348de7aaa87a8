"""修改说明: each row's change described in plain Chinese (删除“…”、将“…”修改为“…”、条序调整 …)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal

from compiler.diff.align import Article, chapter_label
from compiler.diff.model import Entry, UnitChange
from compiler.diff.tokens import Token, opcodes, raw_text, substance, tokenize
from compiler.lang import numbering
from compiler.model.policy import Chapter
from compiler.runtime import core as evalrt

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


def _ascii_word(ch: str) -> bool:
    return ch.isascii() and ch.isalnum()


def full_width(text: str) -> str:
    """Half-width , ; : ( ) ? ! in Chinese text as full-width (a draft typed with ASCII commas is
    shown and quoted in standard form); only between two ASCII letters or digits (1,000, a:b)
    and in a URL's :// do they stay. One character for one, so marked segments keep their lengths."""
    out = []
    for k, ch in enumerate(text):
        latin = 0 < k < len(text) - 1 and _ascii_word(text[k - 1]) and (
            _ascii_word(text[k + 1]) or text[k : k + 3] == "://")
        out.append(ch if latin else ch.translate(_FULL))
    return "".join(out)


def quote(text: str) -> str:
    return f"“{full_width(text)}”"


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
    codes = opcodes(a, b)
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
        o, n = _trim(raw_text(a[a0:a1])), _trim(raw_text(b[b0:b1]))
        if not scattered and not n and len(o) >= 3:
            out.append(f"删除{quote(o)}")
        elif not scattered and not o and len(n) >= 3:
            out.append(f"增加{quote(n)}")
        elif not scattered and len(o) >= 2 and len(n) >= 2:
            out.append(f"将{quote(o)}修改为{quote(n)}")
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
    o = _trim(raw_text(a[a0 - left : a1 + right]))
    n = _trim(raw_text(b[b0 - left : b1 + right]))
    if not n:
        return f"删除{quote(o)}"
    if not o:
        return f"增加{quote(n)}"
    return f"将{quote(o)}修改为{quote(n)}"


def number_ranges(numbers: Iterable[int], unit: str) -> str:
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
    return quote(t) if len(t) <= limit else quote(t[: limit - 1] + "…")


def delta_text(delta: Decimal) -> str:
    if delta == 0:
        return "金额不变"
    return f"{'增加' if delta > 0 else '减少'}{evalrt.money_text(abs(delta))}"


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


def na_chapters(arts: list[Article]) -> list[Chapter]:
    return list({id(a.chapter): a.chapter for a in arts}.values())


def auto_note(e: Entry, oa: list[Article], na: list[Article], partner: dict[int, int]) -> str:
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
                dest = "、".join(chapter_words(chapter_label(ch)) for ch in na_chapters(na) if ch.number in targets)
                text += f"，原{number_ranges((a.number for a in kept), '条')}移入{dest}"
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
            parts.append(f"本条由{chapter_words(src)}移至{chapter_words(dst)}")
        if e.kind == "rules":
            parts.append("条文未修改，所附规则有变化")
    text = "；".join(p for p in parts if p)
    return text + "。" if text else ""


def chapter_words(label: str) -> str:
    number, _, title = label.partition(" ")
    return f"{number}“{title}”"
