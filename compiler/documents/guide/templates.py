"""The Jinja2 environment of the guide templates: kind templates (`<document_kind>.j2`) and page
layouts (`page.<fmt>.j2`), looked up in the policy's own templates/ folder first."""

from __future__ import annotations

import re
from pathlib import Path

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from compiler.documents.guide.tables import wrap
from compiler.documents.markdown import md_escape
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Diagnostic, PolicyError, Span

TEMPLATES_DIR = "templates"
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMATS = ("md", "html", "docx")  # md and html have a page layout template; docx is written by wordstyle


def cell_html(text: str, width_mm: float, size: float) -> Markup:
    """A table cell as HTML: escaped, in the lines the guide broke it into (as in Word)."""
    return Markup("<br>").join(Markup('<span class="nb">{}</span>').format(line)
                               for line in wrap(str(text), width_mm, size))


# An amount with its unit, and the operator after it, kept on one line: browsers break between a
# number and a following Chinese unit (1000|元), which Chinese typesetting does not.
_AMOUNT = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日|\d[\d.]*(?:(?:万元|亿元|元/吨|元/千瓦时|元/人|元/月|元|个百分点|%|千瓦时|吨|次|人|支)[－＋×÷＝]?|[－＋×÷＝])")


def keep_html(text: str) -> Markup:
    """A paragraph as HTML: escaped, each amount (and an operator after it) in a no-wrap span."""
    escaped = str(escape(text))
    return Markup(_AMOUNT.sub(lambda m: f'<span class="nb">{m.group(0)}</span>', escaped))


def template_dirs(policy_path: Path) -> list[Path]:
    """Where templates are looked up: the policy's own folder first (drafter overrides)."""
    return [policy_path.parent / TEMPLATES_DIR, PACKAGE_TEMPLATES]



def environment(policy_path: Path) -> SandboxedEnvironment:
    loader = jinja2.FileSystemLoader([str(p) for p in template_dirs(policy_path)])
    env = SandboxedEnvironment(
        loader=loader, autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                                           default_for_string=False),
        undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"],
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters["md"] = md_escape
    env.filters["cell"] = cell_html
    env.filters["keep"] = keep_html
    env.filters["zh_date"] = evalrt.zh_date
    env.filters["money"] = evalrt.money_text
    return env


def template_error(exc: Exception, name: str) -> PolicyError:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        span = Span(exc.filename or name, exc.lineno or 1, 1) if exc.lineno else None
        return PolicyError([Diagnostic("E630", f"模板 {exc.name or name} 语法错误：{exc.message}", span)])
    message = str(exc)
    message = message if len(message) <= 160 else message[:160] + "…"
    return PolicyError([Diagnostic("E630", f"模板 {name} 出错：{message}", None,
                                   hint="检查模板中使用的字段名（见 docs/guides.md）")])

