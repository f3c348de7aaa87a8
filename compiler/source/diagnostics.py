"""Diagnostics: source spans, structured errors and their Chinese rendering.

Every stage reports problems as `Diagnostic` objects (code, span, clause, message, hint); text is
built only here, at the end, so the CLI can print them as text or JSON.
"""

from __future__ import annotations

import difflib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Span:
    """A region of a source file; lines and columns are 1-based, columns count characters."""

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, line_delta: int, col: int, length: int) -> Span:
        line = self.line + line_delta
        return Span(self.file, line, col, line, col + max(length, 1))


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in a policy, a facts file or a case file."""

    code: str
    message: str
    span: Span | None = None
    clause: str | None = None  # printed citation, e.g. 第十一条第（一）项
    hint: str | None = None
    severity: str = "error"

    def sort_key(self) -> tuple[str, int, int, str]:
        if self.span is None:
            return ("", 0, 0, self.code)
        return (self.span.file, self.span.line, self.span.col, self.code)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.span is not None:
            out.update(file=self.span.file, line=self.span.line, column=self.span.col)
        if self.clause:
            out["clause"] = self.clause
        if self.hint:
            out["hint"] = self.hint
        return out


class PolicyError(Exception):
    """Raised by a stage that found errors; carries all of them (exit code 1)."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = sorted(diagnostics, key=Diagnostic.sort_key)
        super().__init__("\n".join(d.message for d in self.diagnostics))


class UsageError(Exception):
    """A command-line usage problem (exit code 2)."""


@dataclass
class Collector:
    """Accumulates diagnostics so a stage can report every error of a file in one run."""

    items: list[Diagnostic] = field(default_factory=list)

    def error(
        self,
        code: str,
        message: str,
        span: Span | None = None,
        clause: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.items.append(Diagnostic(code, message, span, clause, hint))

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        self.items.extend(diags)

    def raise_if_any(self) -> None:
        errors = [d for d in self.items if d.severity == "error"]
        if errors:
            raise PolicyError(self.items)


MAX_SHOWN = 100  # diagnostics printed per run; the rest are counted (README, 限制)
MAX_EXCERPT = 160  # display columns of a source line shown under a diagnostic
MAX_MESSAGE = 300  # characters of a message (messages quote values, which may be huge)

_CHAR_NAMES = {0x00: "空字符 NUL", 0x07: "响铃 BEL", 0x08: "退格 BS", 0x0B: "垂直制表符 VT",
               0x0C: "换页符 FF", 0x0D: "回车符 CR", 0x1B: "转义符 ESC", 0x7F: "删除符 DEL"}

# What a terminal would interpret rather than show: C0/C1 controls (except tab and line feed),
# DEL, bidirectional overrides and isolates, and unpaired surrogates.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def describe_char(ch: str) -> str:
    """U+001B（转义符 ESC）: how a message names an invisible character."""
    name = _CHAR_NAMES.get(ord(ch))
    return f"U+{ord(ch):04X}" + (f"（{name}）" if name else "")


def printable(text: str) -> str:
    """`text` safe for a terminal: control characters shown as \\x1b / \\u202e escapes, so a
    value from an input file can neither move the cursor nor recolour or reorder the screen."""
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)


def shorten(text: str, limit: int = 60) -> str:
    """`text` cut to `limit` characters with "…" (values quoted in messages)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def display_width(text: str) -> int:
    """Terminal columns taken by `text`: wide (CJK, full-width) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    """A '你是不是想写 …' suggestion for a misspelt key or name, or None."""
    matches = difflib.get_close_matches(word, sorted(set(candidates)), n=1, cutoff=0.5)
    return matches[0] if matches else None


_source_cache: dict[str, list[str]] = {}


def _source_line(file: str, line: int) -> str | None:
    lines = _source_cache.get(file)
    if lines is None:
        try:  # inputs are read through remember_source; a file that was not is read only if small
            path = Path(file)
            small = path.stat().st_size <= 4 * 1024 * 1024
            lines = path.read_text(encoding="utf-8-sig").splitlines() if small else []
        except (OSError, UnicodeDecodeError):
            lines = []
        _source_cache[file] = lines
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


def remember_source(file: str, text: str) -> None:
    """Register the text of a file so excerpts can be shown even for in-memory sources."""
    _source_cache[file] = text.splitlines()


def _excerpt(src: str, col: int, end_col: int) -> tuple[str, int, int]:
    """The source line (controls escaped) cut to a window of about MAX_EXCERPT display columns
    that shows [col, end_col); returns it with the caret's offset and width in columns."""
    src = printable(src.replace("\t", " "))  # escapes before cutting, so widths stay true
    start, end = min(col - 1, len(src)), min(max(end_col - 1, col), len(src))
    if len(src) > MAX_EXCERPT // 2 and display_width(src[: MAX_EXCERPT + 1]) > MAX_EXCERPT or (
        len(src) > MAX_EXCERPT
    ):
        left = max(0, start - MAX_EXCERPT // 4)
        right, width = left, 0
        while right < len(src) and width + display_width(src[right]) <= MAX_EXCERPT - 2:
            width += display_width(src[right])
            right += 1
        prefix = "…" if left else ""
        suffix = "…" if right < len(src) else ""
        end = min(end, right)
        src = prefix + src[left:right] + suffix
        start, end = start - left + len(prefix), end - left + len(prefix)
    return src, display_width(src[:start]), max(display_width(src[start:end]), 1)


def render(diag: Diagnostic) -> str:
    """Render one diagnostic as the Chinese text a drafter reads, with a caret excerpt."""
    label = "错误" if diag.severity == "error" else "警告"
    head = f"{printable(str(diag.span))}: " if diag.span else ""
    lines = [f"{head}{label}[{diag.code}]: {printable(shorten(diag.message, MAX_MESSAGE))}"]
    if diag.span is not None:
        src = _source_line(diag.span.file, diag.span.line)
        if src is not None:
            one_line = diag.span.end_line == diag.span.line and diag.span.end_col > diag.span.col
            text, pad, width = _excerpt(src, diag.span.col, diag.span.end_col if one_line else diag.span.col + 1)
            gutter = str(diag.span.line)
            lines.append(f" {gutter} | {text}")
            lines.append(f" {' ' * len(gutter)} | {' ' * pad}{'^' * max(width, 1)}")
    if diag.clause:
        lines.append(f"  = 条款：{diag.clause}")
    if diag.hint:
        lines.append(f"  = 提示：{printable(shorten(diag.hint, MAX_MESSAGE))}")
    return "\n".join(lines)


def _omitted(diags: Sequence[Diagnostic]) -> Diagnostic | None:
    """The closing note for the diagnostics beyond MAX_SHOWN, or None when all are shown."""
    rest = diags[MAX_SHOWN:]
    if not rest:
        return None
    errors = sum(1 for d in rest if d.severity == "error")
    what = f"{errors} 个错误" + (f"、{len(rest) - errors} 个警告" if len(rest) > errors else "")
    return Diagnostic("E009", f"……另有 {what}未显示（最多显示 {MAX_SHOWN} 个）",
                      hint="先改正上面的问题再重新运行；同一错误常会引出许多后续错误",
                      severity="error" if errors else "warning")


def render_all(diags: Sequence[Diagnostic]) -> str:
    shown = [render(d) for d in diags[:MAX_SHOWN]]
    more = _omitted(diags)
    if more is not None:
        shown.append(f"{more.message}\n  = 提示：{more.hint}")
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = len(diags) - errors
    summary = f"共 {errors} 个错误" + (f"，{warnings} 个警告" if warnings else "")
    return "\n\n".join(shown) + f"\n\n{summary}。"


def json_list(diags: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """The first MAX_SHOWN diagnostics as JSON objects, then one E009 object counting the rest."""
    more = _omitted(diags)
    return [d.to_json() for d in diags[:MAX_SHOWN]] + ([more.to_json()] if more else [])


def render_json(diags: Sequence[Diagnostic]) -> str:
    return json.dumps(json_list(diags), ensure_ascii=False, indent=2)
