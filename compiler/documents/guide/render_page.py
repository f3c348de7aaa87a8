"""Blocks → a Markdown or HTML page through the layout template `page.<fmt>.j2`."""

from __future__ import annotations

from pathlib import Path

import jinja2

from compiler.documents.guide.blocks import Block
from compiler.documents.guide.document import Document
from compiler.documents.guide.templates import environment, template_error


def render_layout(data: Document, blocks: list[Block], policy_path: Path, fmt: str) -> str:
    env = environment(policy_path)
    name = f"page.{fmt}.j2"
    try:
        text = env.get_template(name).render(g=data, blocks=blocks)
    except jinja2.TemplateError as exc:
        raise template_error(exc, name) from None
    return text.rstrip("\n") + "\n"
