"""Diagnostics: source spans, structured errors and their Chinese rendering.

Every stage reports problems as `Diagnostic` objects (code, span, clause, message, hint); text is
built only here, at the end, so the CLI can print them as text or JSON.
"""

from __future__ import annotations

import difflib
import json
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
        try:
            lines = Path(file).read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        _source_cache[file] = lines
    if 1 <= line <= len(lines):
        return lines[line - 1]
    return None


def remember_source(file: str, text: str) -> None:
    """Register the text of a file so excerpts can be shown even for in-memory sources."""
    _source_cache[file] = text.splitlines()


def render(diag: Diagnostic) -> str:
    """Render one diagnostic as the Chinese text a drafter reads, with a caret excerpt."""
    label = "错误" if diag.severity == "error" else "警告"
    head = f"{diag.span}: " if diag.span else ""
    lines = [f"{head}{label}[{diag.code}]: {diag.message}"]
    if diag.span is not None:
        src = _source_line(diag.span.file, diag.span.line)
        if src is not None:
            src = src.replace("\t", " ")
            pad = display_width(src[: diag.span.col - 1])
            if diag.span.end_line == diag.span.line and diag.span.end_col > diag.span.col:
                width = display_width(src[diag.span.col - 1 : diag.span.end_col - 1])
            else:
                width = display_width(src[diag.span.col - 1 : diag.span.col]) or 1
            gutter = str(diag.span.line)
            lines.append(f" {gutter} | {src}")
            lines.append(f" {' ' * len(gutter)} | {' ' * pad}{'^' * max(width, 1)}")
    if diag.clause:
        lines.append(f"  = 条款：{diag.clause}")
    if diag.hint:
        lines.append(f"  = 提示：{diag.hint}")
    return "\n".join(lines)


def render_all(diags: Sequence[Diagnostic]) -> str:
    body = "\n\n".join(render(d) for d in diags)
    errors = sum(1 for d in diags if d.severity == "error")
    warnings = len(diags) - errors
    summary = f"共 {errors} 个错误" + (f"，{warnings} 个警告" if warnings else "")
    return f"{body}\n\n{summary}。"


def render_json(diags: Sequence[Diagnostic]) -> str:
    return json.dumps([d.to_json() for d in diags], ensure_ascii=False, indent=2)
