"""Printed numbering of 章/条/款/项 (立法法 conventions) and the citations built from it.

款 carry no printed number; they are cited by position (第二款). 项 print as （一）. Numbers are
always derived from the order of clauses in the YAML, never stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

# Article numbers need only 1–99,999. A converter of our own instead of cn2an, whose import alone
# takes ~120 ms of every command's start-up; tests check both directions against cn2an on 1–20,000.
_DIGITS = "零一二三四五六七八九"
_POWERS = ((10000, "万"), (1000, "千"), (100, "百"), (10, "十"))


@cache
def zh_number(n: int) -> str:
    """11 → 十一, 20 → 二十, 105 → 一百零五 (the form used in 第十一条)."""
    if not 0 < n < 100000:
        raise ValueError(n)
    out, pending_zero = "", False
    for power, name in _POWERS:
        digit, n = divmod(n, power)
        if digit:
            out += ("零" if pending_zero else "") + _DIGITS[digit] + name
            pending_zero = False
        elif out:
            pending_zero = True
    if n:
        out += ("零" if pending_zero else "") + _DIGITS[n]
    return out[1:] if out.startswith("一十") else out  # 十一, not 一十一


def chapter_label(n: int) -> str:
    return f"第{zh_number(n)}章"


def article_label(n: int) -> str:
    return f"第{zh_number(n)}条"


def paragraph_label(n: int) -> str:
    return f"第{zh_number(n)}款"


def item_label(n: int) -> str:
    """The printed prefix of a 项: （一）."""
    return f"（{zh_number(n)}）"


def cite(article: int, paragraph: int | None = None, item: int | None = None) -> str:
    """A citation: 第十一条, 第十三条第二款, 第十一条第（一）项, 第十三条第一款第（二）项.

    `paragraph` is given only when the article has several 款 (the 款 number is then needed)."""
    out = article_label(article)
    if paragraph is not None:
        out += paragraph_label(paragraph)
    if item is not None:
        out += f"第{item_label(item)}项"
    return out


def measure_cite(article: int, paragraph: int | None = None, item: int | None = None) -> str:
    """A citation in a document of numbered measures (一、二、…, meta.numbering: measures): 五,
    六（一）, 十三第二款 — never a 第X条 the document does not have."""
    out = zh_number(article)
    if paragraph is not None:
        out += paragraph_label(paragraph)
    if item is not None:
        out += item_label(item)
    return out


def cite_for(numbering: str) -> Callable[[int, int | None, int | None], str]:
    """The citation function of a document numbered by `numbering` ("articles" or "measures")."""
    return measure_cite if numbering == "measures" else cite


_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip


_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}


def parse_zh_number(text: str) -> int:
    """十一 → 11, 二十八 → 28, 一百零五 → 105, 二〇二六 → 2026; ASCII digits are accepted too.
    Raises ValueError for anything else."""
    if text.isdigit() and text.isascii():
        return int(text)
    if text and all(ch in _ZH_DIGITS for ch in text) and len(text) > 1:  # 二〇二六: digit by digit
        return int("".join(str(_ZH_DIGITS[ch]) for ch in text))
    total, section, digit, last_unit = 0, 0, None, 100000
    for ch in text:
        if ch in _ZH_DIGITS:
            if digit is not None and _ZH_DIGITS[ch] != 0:
                raise ValueError(text)
            digit = _ZH_DIGITS[ch] or None
        elif ch in _UNITS:
            unit = _UNITS[ch]
            if unit == 10000:
                total, section, digit, last_unit = (section + (digit or 0)) * unit, 0, None, 100000
                continue
            if unit >= last_unit:
                raise ValueError(text)
            section += (digit if digit is not None else 1) * unit  # 十二: a bare unit counts one
            digit, last_unit = None, unit
        else:
            raise ValueError(text)
    value = total + section + (digit or 0)
    if not text or value <= 0 and text not in ("零", "〇"):
        raise ValueError(text)
    return value


CROSS_REF_RE = re.compile(
    r"本(?:办法|规定|细则|条例|措施)第([一二三四五六七八九十百零〇两\d]+)条"
    r"(?:第([一二三四五六七八九十\d]+)款)?"
    r"(?:第[（(]([一二三四五六七八九十\d]+)[）)]项)?"
)
