"""Titles over two lines the way GB/T 9704 §7.3.1 wants them: words kept whole, a short line over
a longer one (梯形). Used by every document with a 二号 title (guides, 条文对照表)."""

from __future__ import annotations

import re
from collections.abc import Sequence

from compiler.documents import wordstyle

# Where any title may break: after 关于/开展 and the year, after a place name (哈密市, 某县), before
# 专项资金, before the kind of 办法 and before the name of a derived document (征求意见稿, 对照表).
_BREAKS = (
    r"(?<=关于)|(?<=开展)|(?<=年度)|(?<=[市县区州省])(?=[\u4e00-\u9fff])|(?=专项资金)|(?=的通知)"
    r"|(?=管理办法)|(?=实施办法)|(?=征求意见稿)|(?=修改前后)"
)


def balance_title(text: str, per_line: float = 20.0, breaks_before: Sequence[str] = ()) -> list[str]:
    """Split a title that does not fit one 二号 line (`per_line` 字: about 20 on a portrait page,
    28 on a landscape one) at a word boundary into a short line over a longer one (梯形), as even
    as the boundaries allow. A "\n" in `text` is a break chosen by the writer."""
    if "\n" in text:
        return [line for line in text.split("\n") if line]
    width = wordstyle.text_width
    if width(text) <= per_line:
        return [text]
    pattern = re.compile(_BREAKS + "".join(f"|(?={re.escape(name)})" for name in breaks_before))
    splits = sorted({m.start() for m in pattern.finditer(text) if 0 < m.start() < len(text)})
    pairs: list[tuple[str, str]] = [(text[:i], text[i:]) for i in splits]
    trapezoid = [p for p in pairs if width(p[0]) <= width(p[1]) <= per_line]
    if trapezoid:
        head, tail = max(trapezoid, key=lambda p: width(p[0]))
        return [head, tail]
    fitting = [p for p in pairs if max(width(p[0]), width(p[1])) <= per_line]
    if fitting:
        head, tail = min(fitting, key=lambda p: abs(width(p[0]) - width(p[1])))
        return [head, tail]
    half = len(text) // 2
    return [text[:half], text[half:]]
