"""Printed numbering of 章/条/款/项 (立法法 conventions) and the citations built from it.

款 carry no printed number; they are cited by position (第二款). 项 print as （一）. Numbers are
always derived from the order of clauses in the YAML, never stored.
"""

from __future__ import annotations

import re
from functools import cache

import cn2an


@cache
def zh_number(n: int) -> str:
    """11 → 十一, 20 → 二十, 105 → 一百零五 (the form used in 第十一条)."""
    if n <= 0:
        raise ValueError(n)
    return str(cn2an.an2cn(n, "low"))


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


_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}  # fmt: skip


def parse_zh_number(text: str) -> int:
    """十一 → 11, 二十八 → 28, 一百零五 → 105; ASCII digits are accepted too."""
    if text.isdigit():
        return int(text)
    value = int(cn2an.cn2an(text, "smart"))
    return value


CROSS_REF_RE = re.compile(
    r"本(?:办法|规定|细则|条例|措施)第([一二三四五六七八九十百零〇两\d]+)条"
    r"(?:第([一二三四五六七八九十\d]+)款)?"
    r"(?:第[（(]([一二三四五六七八九十\d]+)[）)]项)?"
)
