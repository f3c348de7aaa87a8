"""The block model of a guide and the `Builder` a kind template lays its content out with
(`{% do doc.para(text, cites) %}`): text is passed as data, never parsed, and every paragraph
carries its citation or says why not."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from compiler.documents.guide.cite import cite_text
from compiler.documents.guide.data import GuideData, balance_title
from compiler.documents.guide.document import Document
from compiler.documents.guide.tables import fit_widths, table_size
from compiler.documents.guide.templates import environment, template_error
from compiler.lang import numbering
from compiler.model.policy import Clause
from compiler.source.diagnostics import Diagnostic, PolicyError


@dataclass
class Block:
    kind: str  # title | heading | para | table | attachments | signature | sign | attachment
    text: str = ""
    level: int = 0
    lines: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()
    align: tuple[str, ...] = ()
    size: float = 14.0  # table font size (pt)
    min_row_mm: float = 0.0  # forms: rows tall enough to write in
    indent: bool = True
    cited: bool = False
    date: dt.date | None = None


class TemplateError(Exception):
    pass


_PUNCT = "。；，：;,:"
FORM_ROW_MM = 10.0  # a handwritten line


class Builder:
    """The API a kind template uses. Numbers headings (一、（一）) and items (1．) itself, so a
    section a policy lacks leaves no gap; appends each paragraph's citation."""

    def __init__(self, data: Document) -> None:
        self.data = data
        self.blocks: list[Block] = []
        self._h1 = self._h2 = self._item = 0

    def _cite(self, clauses: Any) -> str:
        if isinstance(clauses, Clause):
            clauses = [clauses]
        if not clauses:
            raise TemplateError("段落缺少依据条款：传入 cites，或写明 plain=true")
        return f"（{self.data.short}{cite_text(self.data.policy, clauses)}）"

    def title(self, text: str | None = None, lines: Sequence[str] | None = None) -> str:
        text = text or self.data.title
        self.blocks.append(Block("title", text, lines=tuple(lines or balance_title(text))))
        return ""

    def heading(self, text: str, level: int = 1) -> str:
        if level == 1:
            self._h1 += 1
            self._h2 = self._item = 0
            label = f"{numbering.zh_number(self._h1)}、"
        elif level == 2:
            self._h2 += 1
            self._item = 0
            label = numbering.item_label(self._h2)
        else:
            raise TemplateError(f"标题级别只能是 1 或 2，不是 {level}")
        self.blocks.append(Block("heading", label + text, level=level))
        return ""

    def para(self, text: str, cites: Any = None, *, inline: bool = False, plain: bool = False,
             indent: bool = True) -> str:
        """A body paragraph; `cites` (clauses) are appended before its final punctuation.
        `inline`: the text cites itself; `plain`: data that no article states (a phone number)."""
        if not (inline or plain):
            cite = self._cite(cites)
            text = text[:-1] + cite + text[-1] if text and text[-1] in _PUNCT else text + cite + "。"
        self.blocks.append(Block("para", text, indent=indent, cited=not plain))
        self._item = 0  # a paragraph ends a numbered list; `item` restores its own count
        return ""

    def item(self, text: str, cites: Any = None, *, plain: bool = False, inline: bool = False,
             end: str = "；") -> str:
        """A numbered item (1．) of the list that follows the last heading or paragraph."""
        number = self._item + 1
        self.para(f"{number}．{text.rstrip(_PUNCT)}{end}", cites, plain=plain, inline=inline)
        self._item = number
        return ""

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]],
              widths: Sequence[float] | None = None, align: Sequence[str] | None = None,
              form: bool = False) -> str:
        """A ruled table; `widths` (mm) default to widths computed from the cells; `form`: rows
        tall enough to fill in by hand."""
        cells = tuple(tuple(str(c) for c in r) for r in rows)
        if any(len(r) != len(header) for r in cells) or (widths is not None and len(widths) != len(header)):
            raise TemplateError("表格每行的列数必须与表头一致，每列一个宽度")
        aligns = tuple(align or ["center"] * len(header))
        size = table_size(len(header))
        self.blocks.append(Block(
            "table", header=tuple(header), rows=cells,
            widths=tuple(float(w) for w in widths) if widths is not None else fit_widths(header, cells, aligns, size),
            align=aligns, size=size, min_row_mm=FORM_ROW_MM if form else 0.0,
        ))  # fmt: skip
        return ""

    def attachments(self, names: Sequence[str]) -> str:
        if names:
            self.blocks.append(Block("attachments", lines=tuple(names)))
        return ""

    def signature(self, issuer: str | None = None, date: dt.date | None = None) -> str:
        """署名, 成文日期 and the 附注 below them (（此件公开发布）, from the year file)."""
        self.blocks.append(Block("signature", issuer or self.data.params.issuer,
                                 date=date or self.data.params.published,
                                 lines=(f"（{self.data.params.release}）",)))
        return ""

    def sign_lines(self, lines: Sequence[str]) -> str:
        """Where a form is signed and stamped (kept on one page with the paragraph before)."""
        self.blocks.append(Block("sign", lines=tuple(lines)))
        return ""

    def attachment(self, title: str, number: int | None = None) -> str:
        label = "附件" if number is None else f"附件{number}"
        self.blocks.append(Block("attachment", title, lines=(label,)))
        self._h1 = self._h2 = self._item = 0
        return ""


def build_blocks(data: GuideData, policy_path: Path) -> list[Block]:
    return render_blocks(data, policy_path, f"{data.kind}.j2")


def render_blocks(data: Document, policy_path: Path, name: str) -> list[Block]:
    """Run the kind template `name` over `data` (as `g`) with a Builder (as `doc`)."""
    env = environment(policy_path)
    builder = Builder(data)
    try:
        env.get_template(name).render(g=data, doc=builder)
    except TemplateError as exc:
        raise PolicyError([Diagnostic("E631", f"模板 {name}：{exc}")]) from None
    except jinja2.TemplateNotFound:
        raise PolicyError([Diagnostic("E630", f"找不到模板 {name}")]) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise template_error(exc, name) from None
    return builder.blocks
