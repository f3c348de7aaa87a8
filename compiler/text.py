"""The 办法's text: rebuild it from the YAML, normalise it, and compare it with the source file.

Normalisation removes what is not substance in a Chinese document: whitespace, full-width vs
half-width forms (NFKC), quotation-mark styles, markdown left by PDF conversion, and 第1章 vs
第一章. What remains must be identical between the YAML and the issued text.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from . import numbering
from .diagnostics import Diagnostic
from .model import Clause, Policy

_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"', "『": '"', "』": '"'})
_ARABIC_HEADING = re.compile(r"第(\d+)([章节条])")
_WS = re.compile(r"\s+")


def normalise(text: str) -> str:
    """Text reduced to its substance, for comparisons (see the module docstring)."""
    text = _ARABIC_HEADING.sub(lambda m: f"第{numbering.zh_number(int(m.group(1)))}{m.group(2)}", text)
    text = text.replace("**", "").replace("#", "")
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _WS.sub("", text)


def article_lines(article: Clause) -> list[str]:
    """The printed lines of one article: 第X条 + first 款; items inline or one per line."""
    lines: list[str] = []
    paragraphs = article.children or [article]
    for pi, para in enumerate(paragraphs):
        head = f"{numbering.article_label(article.article_no)} " if pi == 0 else ""
        line = head + para.text
        items = [f"{numbering.item_label(i.item_no or 0)}{i.text}" for i in para.children]
        if para.inline_items:
            lines.append(line + "".join(items))
        else:
            lines.append(line)
            lines.extend(items)
    return [ln for ln in lines if ln.strip()]


def rebuild(policy: Policy) -> str:
    """The whole 办法 as plain text, rebuilt from the YAML (numbers derived from the order)."""
    out = [policy.meta.title, ""]
    for chapter in policy.chapters:
        out.append(f"{numbering.chapter_label(chapter.number)} {chapter.title}")
        for article in chapter.articles:
            out.extend(article_lines(article))
    return "\n".join(out) + "\n"


_ARTICLE_START = re.compile(r"^\s*(?:\*\*)?\s*第([一二三四五六七八九十百零〇两\d]+)条")
_CHAPTER_START = re.compile(r"^\s*#*\s*(?:\*\*)?\s*第([一二三四五六七八九十百零〇两\d]+)章")


@dataclass
class SourceDocument:
    """One 办法 inside a source file: its chapters' headings and each article's text."""

    start_line: int
    chapters: list[str]
    articles: dict[int, str]  # article number → raw text (all its lines)
    article_lines: dict[int, int]  # article number → line in the source file


def extract_document(source: str, title: str) -> SourceDocument | None:
    """Find the document whose title line equals `title` and split it into articles."""
    lines = source.splitlines()
    target = normalise(title)
    start = next((i for i, ln in enumerate(lines) if normalise(ln) == target), None)
    if start is None:
        return None
    chapters: list[str] = []
    articles: dict[int, str] = {}
    where: dict[int, int] = {}
    current: int | None = None
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            if articles and i + 1 < len(lines) and not lines[i + 1].strip():
                break  # two blank lines after the articles: the document has ended
            continue
        if articles and _looks_like_new_document(line):
            break
        if _CHAPTER_START.match(line):
            chapters.append(line.strip())
            current = None
            continue
        m = _ARTICLE_START.match(line)
        if m:
            number = numbering.parse_zh_number(m.group(1))
            if number in articles or (articles and number != max(articles) + 1):
                break  # the next document has begun
            current = number
            articles[number] = line
            where[number] = i + 1
        elif current is not None:
            articles[current] += "\n" + line
    return SourceDocument(start + 1, chapters, articles, where)


def _looks_like_new_document(line: str) -> bool:
    return bool(re.match(r"^\s*关于印发|^\s*.*〔\d{4}〕\d+号\s*$", line))


def compare_with_source(policy: Policy, policy_dir: Path) -> list[Diagnostic]:
    """Differences between each article of the YAML and the issued text (after normalisation)."""
    source_path = policy_dir / policy.meta.source_file
    try:
        source = source_path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        return [Diagnostic("E501", f"无法读取源文件 {policy.meta.source_file}：{exc}")]
    title = policy.meta.document_title or policy.meta.title
    doc = extract_document(source, title)
    if doc is None:
        return [Diagnostic("E502", f"源文件 {policy.meta.source_file} 中找不到标题为「{title}」的文件")]
    diags: list[Diagnostic] = []
    yaml_articles = policy.articles
    for article in yaml_articles:
        src = doc.articles.get(article.article_no)
        if src is None:
            diags.append(Diagnostic("E503", f"源文件中没有{article.cite}", article.span, article.cite))
            continue
        got, want = normalise("".join(article_lines(article))), normalise(src)
        if got != want:
            diags.append(Diagnostic(
                "E504", f"{article.cite}与源文件不一致：{describe_difference(want, got)}",
                article.span, article.cite,
                hint=f"源文件 {policy.meta.source_file} 第 {doc.article_lines[article.article_no]} 行",
            ))
    for number in sorted(set(doc.articles) - {a.article_no for a in yaml_articles}):
        diags.append(Diagnostic(
            "E503", f"源文件有{numbering.article_label(number)}，YAML 中没有", None,
            numbering.article_label(number),
        ))
    return diags


def describe_difference(source: str, yaml_text: str) -> str:
    """Characters missing from / added to the YAML, in Chinese, for a drafter to fix."""
    parts = []
    matcher = difflib.SequenceMatcher(None, source, yaml_text, autojunk=False)
    for op, a0, a1, b0, b1 in matcher.get_opcodes():
        if op == "equal":
            continue
        ctx = source[max(0, a0 - 6) : a0]
        if op == "delete":
            parts.append(f"在「…{ctx}」之后缺少「{source[a0:a1]}」")
        elif op == "insert":
            parts.append(f"在「…{ctx}」之后多出「{yaml_text[b0:b1]}」")
        else:
            parts.append(f"在「…{ctx}」之后，源文件为「{source[a0:a1]}」，YAML 为「{yaml_text[b0:b1]}」")
    return "；".join(parts[:5]) + ("……" if len(parts) > 5 else "")
