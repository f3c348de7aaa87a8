"""Text from YAML as literal Markdown, for every Markdown page the documents write."""

from __future__ import annotations

import re

# Characters that start Markdown markup anywhere in a line. `<` and `>` are escaped too, so
# text such as 「<del>」 or 「a<b」 never becomes an HTML tag in a renderer that allows inline HTML.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#])")
# At the start of a line these make a list item or a setext heading underline.
_LINE_START = ("-", "+", "=")


def md_escape(text: object) -> str:
    """Backslash-escape every Markdown markup character, so the text renders as written."""
    out = _SPECIAL.sub(r"\\\1", str(text))
    return "\\" + out if out[:1] in _LINE_START else out
