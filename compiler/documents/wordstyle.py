"""Word documents in the layout of GB/T 9704-2012 《党政机关公文格式》, with deterministic bytes.

Shared by every Word output (申报指南, 条文对照表 …). The numbers come from the standard:

* A4 (210 mm × 297 mm); 天头 37 mm, 订口 28 mm, 版心 156 mm × 225 mm, so bottom 35 mm, right 26 mm.
* 22 lines × 28 characters in the 版心: the line pitch is 225 mm / 22 ≈ 28.9 pt (exact spacing,
  rounded *down* so that 22 lines really fit) and the character pitch 156 mm / 28 ≈ 15.8 pt, a
  little less than a 三号 (16 pt) character, hence a negative character grid (`docGrid`).
* 标题 二号 (22 pt) 方正小标宋简体, centred; 正文 三号 (16 pt) 仿宋_GB2312, first line indented
  2 字; 层次序数 一、 in 黑体, （一） in 楷体_GB2312.
* 页码 4号 (14 pt) 宋体 "— 1 —" below the 版心: odd pages right-indented 1 字, even pages
  left-indented 1 字.
* 成文日期 right-indented 4 字; 发文机关署名 centred on the 成文日期.

East Asian fonts are set with `w:eastAsia` (python-docx's `font.name` sets only the Latin slots,
and theme attributes such as `w:eastAsiaTheme` override explicit names, so they are removed).

Determinism: `to_bytes` writes fixed core-property dates and re-packs the zip with fixed entry
dates and attributes, stored (uncompressed) so that the bytes do not depend on the zlib build.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from typing import Any

import docx
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Mm, Pt
from docx.styles.style import ParagraphStyle
from docx.table import Table
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from compiler.runtime.core import zh_date

FONT_TITLE = "方正小标宋简体"
FONT_BODY = "仿宋_GB2312"
FONT_HEADING_1 = "黑体"
FONT_HEADING_2 = "楷体_GB2312"
FONT_PAGE_NUMBER = "宋体"

SIZE_TITLE = Pt(22)  # 二号
SIZE_BODY = Pt(16)  # 三号
SIZE_PAGE_NUMBER = Pt(14)  # 四号
SIZE_TABLE = Pt(14)  # 四号: tables keep 仿宋 but one size smaller so that columns fit 28 字
SIZE_NOTE = Pt(10.5)  # 五号

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGIN_TOP_MM, MARGIN_BOTTOM_MM, MARGIN_LEFT_MM, MARGIN_RIGHT_MM = 37, 35, 28, 26
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
# 225 mm / 22 = 28.99 pt; Word drops the last line when 22 × pitch exceeds the 版心, so round down.
LINE_PITCH = Pt(28.9)
TITLE_LINE_PITCH = Pt(35)  # 二号 glyphs are taller than one body line; common house rule: 35 磅
# 156 mm / 28 = 15.79 pt per character: a 三号 (16 pt) character condensed by 0.25 pt (in 1/20 pt)
# gives 15.75 pt, so exactly 28 fit on a line of the portrait 版心.
CHAR_SPACING = -5
FOOTER_DISTANCE_MM = 25  # puts the 一字线 about 7 mm below the 版心

# Fixed core-property date for documents whose caller sets none (never the time of the build).
EPOCH = dt.datetime(2000, 1, 1, 0, 0, 0)
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def _pt_to_twips(points: float) -> int:
    return round(points * 20)


def _char_width(ch: str) -> float:
    """Width of a character in 字: ½ for Latin letters, digits and ASCII punctuation; 1 for
    Chinese, full-width forms and the symbols a Chinese font sets full width (— “ ” … □)."""
    code = ord(ch)
    if code < 0x2000:
        return 0.5
    return 0.5 if 0xFF61 <= code <= 0xFFDC else 1.0  # half-width katakana and hangul forms


def text_width(text: str) -> float:
    """Width of `text` in 字, as the character grid lays it out."""
    return sum(_char_width(ch) for ch in text)


def set_fonts(element: BaseOxmlElement, east_asia: str, latin: str | None = None) -> None:
    """Set the fonts of a run or style `rPr` (or the element that owns one): every script slot,
    with `w:eastAsia` for Chinese, and without theme fonts (they would win over the names)."""
    rpr = element if element.tag == qn("w:rPr") else element.get_or_add_rPr()
    fonts = _child(rpr, "w:rFonts")
    for attr in list(fonts.attrib):
        if attr.endswith("Theme") or attr.endswith("theme"):
            del fonts.attrib[attr]
    latin = latin or east_asia
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:hint"), "eastAsia")


def style_run(run: Run, font: str, size: Pt, *, bold: bool = False) -> Run:
    """Direct formatting on a run, so the document reads the same where styles are ignored.
    三号 runs are condensed to the 28-字 character pitch of the 版心."""
    run.font.size = size
    run.font.bold = bold
    set_fonts(run._r, font)
    if size == SIZE_BODY:
        _set_attr_child(run._r.get_or_add_rPr(), "w:spacing", val=str(CHAR_SPACING))
    return run


# Child order of the property elements we touch (ECMA-376 sequences): Word refuses a document
# whose property children are out of order, so new children are inserted at their place.
_ORDER: dict[str, tuple[str, ...]] = {
    "w:rPr": (
        "w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:caps", "w:smallCaps", "w:strike",
        "w:dstrike", "w:outline", "w:shadow", "w:emboss", "w:imprint", "w:noProof", "w:snapToGrid",
        "w:vanish", "w:webHidden", "w:color", "w:spacing", "w:w", "w:kern", "w:position", "w:sz",
        "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd", "w:fitText", "w:vertAlign",
        "w:rtl", "w:cs", "w:em", "w:lang", "w:eastAsianLayout", "w:specVanish", "w:oMath",
    ),
    "w:pPr": (
        "w:pStyle", "w:keepNext", "w:keepLines", "w:pageBreakBefore", "w:framePr", "w:widowControl",
        "w:numPr", "w:suppressLineNumbers", "w:pBdr", "w:shd", "w:tabs", "w:suppressAutoHyphens",
        "w:kinsoku", "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
        "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind",
        "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
        "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
        "w:sectPr", "w:pPrChange",
    ),
    "w:tblPr": (
        "w:tblStyle", "w:tblpPr", "w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize",
        "w:tblStyleColBandSize", "w:tblW", "w:jc", "w:tblCellSpacing", "w:tblInd", "w:tblBorders",
        "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook",
    ),
    "w:trPr": (
        "w:cnfStyle", "w:divId", "w:gridBefore", "w:gridAfter", "w:wBefore", "w:wAfter",
        "w:cantSplit", "w:trHeight", "w:tblHeader", "w:tblCellSpacing", "w:jc", "w:hidden",
    ),
    "w:tcPr": (
        "w:cnfStyle", "w:tcW", "w:gridSpan", "w:hMerge", "w:vMerge", "w:tcBorders", "w:shd",
        "w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign", "w:hideMark",
    ),
    "w:sectPr": (
        "w:headerReference", "w:footerReference", "w:footnotePr", "w:endnotePr", "w:type",
        "w:pgSz", "w:pgMar", "w:paperSrc", "w:pgBorders", "w:lnNumType", "w:pgNumType", "w:cols",
        "w:formProt", "w:vAlign", "w:noEndnote", "w:titlePg", "w:textDirection", "w:bidi",
        "w:rtlGutter", "w:docGrid", "w:printerSettings", "w:sectPrChange",
    ),
}  # fmt: skip
_ORDER_BY_TAG = {qn(parent): {qn(t): i for i, t in enumerate(tags)} for parent, tags in _ORDER.items()}


def _child(parent: BaseOxmlElement, tag: str) -> BaseOxmlElement:
    """The `tag` child of a property element, created at its schema position when missing."""
    found: BaseOxmlElement | None = parent.find(qn(tag))
    if found is not None:
        return found
    child = OxmlElement(tag)
    order = _ORDER_BY_TAG.get(parent.tag, {})
    rank = order.get(qn(tag), len(order))
    for i, sibling in enumerate(parent):
        if order.get(sibling.tag, -1) > rank:
            parent.insert(i, child)
            return child
    parent.append(child)
    return child


def _set_attr_child(parent: BaseOxmlElement, tag: str, **attrs: str) -> BaseOxmlElement:
    child = _child(parent, tag)
    for key, value in attrs.items():
        child.set(qn(f"w:{key}"), value)
    return child


def _paragraph_format(
    target: Paragraph | ParagraphStyle,
    *,
    align: WD_ALIGN_PARAGRAPH | None = WD_ALIGN_PARAGRAPH.JUSTIFY,
    first_line_chars: int | None = 0,
    left_chars: float = 0,
    right_chars: float = 0,
    pitch: Pt | None = LINE_PITCH,
    keep_with_next: bool = False,
    size: Pt = SIZE_BODY,
    snap: bool = True,
    outline: int | None = None,
) -> None:
    """Paragraph properties of a style or (as an override) of one paragraph. Indents are in 字:
    the *Chars attributes follow the character grid, the absolute values are the fallback."""
    fmt = target.paragraph_format
    if align is not None:
        fmt.alignment = align
    if pitch is not None:
        fmt.space_before = Pt(0)
        fmt.space_after = Pt(0)
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = pitch
    if keep_with_next:
        fmt.keep_with_next = True
    element = target._p if isinstance(target, Paragraph) else target.element
    ppr = element.get_or_add_pPr()
    if first_line_chars is not None:
        fmt.first_line_indent = Pt(size.pt * first_line_chars)
    if left_chars:
        fmt.left_indent = Pt(size.pt * left_chars)
    if right_chars:
        fmt.right_indent = Pt(size.pt * right_chars)
    if first_line_chars is not None or left_chars or right_chars:
        ind = _child(ppr, "w:ind")
        if first_line_chars is not None:
            ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))
        if left_chars:
            ind.set(qn("w:leftChars"), str(round(left_chars * 100)))
        if right_chars:
            ind.set(qn("w:rightChars"), str(round(right_chars * 100)))
    if not snap:
        _set_attr_child(ppr, "w:snapToGrid", val="0")
    if outline is not None:
        _set_attr_child(ppr, "w:outlineLvl", val=str(outline))


# Paragraph styles (id → 中文名, font, size, paragraph properties). Formatting lives in styles,
# so a drafter who edits the Word file finds 公文正文, 公文一级标题 … and the XML stays small.
_STYLES: dict[str, tuple[str, str, Pt, dict[str, Any]]] = {
    "GBTitle": ("公文标题", FONT_TITLE, SIZE_TITLE, {
        "align": WD_ALIGN_PARAGRAPH.CENTER, "pitch": TITLE_LINE_PITCH, "keep_with_next": True,
        "snap": False, "first_line_chars": 0}),
    "GBBody": ("公文正文", FONT_BODY, SIZE_BODY, {"first_line_chars": 2}),
    "GBHeading1": ("公文一级标题", FONT_HEADING_1, SIZE_BODY, {
        "first_line_chars": 2, "keep_with_next": True, "outline": 0}),
    "GBHeading2": ("公文二级标题", FONT_HEADING_2, SIZE_BODY, {
        "first_line_chars": 2, "keep_with_next": True, "outline": 1}),
    "GBSignature": ("公文落款", FONT_BODY, SIZE_BODY, {
        "align": WD_ALIGN_PARAGRAPH.RIGHT, "first_line_chars": 0}),
    "GBAttachmentLabel": ("公文附件标识", FONT_HEADING_1, SIZE_BODY, {
        "align": WD_ALIGN_PARAGRAPH.LEFT, "keep_with_next": True, "first_line_chars": 0}),
    "GBTable": ("公文表格", FONT_BODY, SIZE_TABLE, {
        "align": WD_ALIGN_PARAGRAPH.LEFT, "pitch": Pt(SIZE_TABLE.pt * 1.35), "snap": False,
        "first_line_chars": 0, "size": SIZE_TABLE}),
    "GBTableHeader": ("公文表头", FONT_HEADING_1, SIZE_TABLE, {
        "align": WD_ALIGN_PARAGRAPH.CENTER, "pitch": Pt(SIZE_TABLE.pt * 1.35), "snap": False,
        "first_line_chars": 0, "size": SIZE_TABLE}),
    "GBNote": ("公文附注", FONT_BODY, SIZE_NOTE, {
        "align": WD_ALIGN_PARAGRAPH.LEFT, "pitch": Pt(15), "snap": False, "first_line_chars": 0,
        "size": SIZE_NOTE}),
    "GBPageNumber": ("公文页码", FONT_PAGE_NUMBER, SIZE_PAGE_NUMBER, {
        "pitch": Pt(SIZE_PAGE_NUMBER.pt * 1.5), "snap": False, "first_line_chars": 0,
        "size": SIZE_PAGE_NUMBER}),
}  # fmt: skip


def _add_styles(doc: Document) -> None:
    for style_id, (name, font, size, props) in _STYLES.items():
        style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
        assert isinstance(style, ParagraphStyle)
        style.style_id = style_id
        style.base_style = doc.styles["Normal"]
        style.quick_style = True
        style.font.size = size
        set_fonts(style.element, font)
        if size == SIZE_BODY:
            _set_attr_child(style.element.get_or_add_rPr(), "w:spacing", val=str(CHAR_SPACING))
        _paragraph_format(style, **props)


def _style(doc: Document, style_id: str) -> ParagraphStyle:
    style = doc.styles[_STYLES[style_id][0]]
    assert isinstance(style, ParagraphStyle)
    return style


def _paragraph(doc: Document, style_id: str, text: str = "") -> Paragraph:
    """A paragraph in one of the 公文 styles; `text` is one literal run (never parsed)."""
    # The style ids are the _STYLES keys (set in _add_styles): write the id directly, because
    # python-docx's style= argument searches every style of the document on each call.
    p = doc.add_paragraph()
    p._p.style = style_id
    if text:
        p.add_run(text)
    return p


def _configure_section(doc: Document, landscape: bool) -> None:
    section = doc.sections[0]
    if landscape:
        # The portrait 版心 turned a quarter: same 156 mm × 225 mm text block, binding edge on top.
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(PAGE_HEIGHT_MM), Mm(PAGE_WIDTH_MM)
        section.top_margin, section.bottom_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
        section.left_margin, section.right_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(PAGE_WIDTH_MM), Mm(PAGE_HEIGHT_MM)
        section.top_margin, section.bottom_margin = Mm(MARGIN_TOP_MM), Mm(MARGIN_BOTTOM_MM)
        section.left_margin, section.right_margin = Mm(MARGIN_LEFT_MM), Mm(MARGIN_RIGHT_MM)
    section.header_distance = Mm(15)
    section.footer_distance = Mm(FOOTER_DISTANCE_MM)
    section.gutter = Mm(0)
    # A line grid only: LibreOffice lays a character grid narrower than 16 pt out as two cells
    # per character, so the 28 字 per line come from character spacing instead (see CHAR_SPACING).
    _set_attr_child(section._sectPr, "w:docGrid", type="lines", linePitch=str(_pt_to_twips(LINE_PITCH.pt)))
    sect_pr = section._sectPr
    for attr in ("w:rsidR", "w:rsidRPr", "w:rsidSect"):
        sect_pr.attrib.pop(qn(attr), None)


def _configure_styles(doc: Document) -> None:
    styles = doc.styles.element
    defaults = styles.find(qn("w:docDefaults"))
    assert defaults is not None
    rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
    assert rpr is not None
    set_fonts(rpr, FONT_BODY)
    _set_attr_child(rpr, "w:sz", val=str(int(SIZE_BODY.pt * 2)))
    _set_attr_child(rpr, "w:szCs", val=str(int(SIZE_BODY.pt * 2)))
    # zh-CN makes LibreOffice and Word use Chinese line breaking (no 、。 at a line start).
    _set_attr_child(rpr, "w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA")
    ppr = defaults.find(qn("w:pPrDefault") + "/" + qn("w:pPr"))
    assert ppr is not None
    _set_attr_child(
        ppr, "w:spacing", after="0", before="0",
        line=str(_pt_to_twips(LINE_PITCH.pt)), lineRule="exact",
    )  # fmt: skip
    normal = doc.styles["Normal"]
    normal.font.size = SIZE_BODY
    set_fonts(normal.element, FONT_BODY)
    pf = normal.paragraph_format
    pf.space_after = Pt(0)
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE_PITCH


def _set_theme_language(doc: Document) -> None:
    """python-docx's template declares its theme fonts' East Asian language as ja-JP: Word then
    picks Japanese theme fonts and line-breaking rules for text without a font. zh-CN."""
    settings = doc.settings.element
    lang = settings.find(qn("w:themeFontLang"))
    if lang is None:
        lang = OxmlElement("w:themeFontLang")
        settings.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


def _remove_template_extras(doc: Document) -> None:
    """python-docx's template carries a thumbnail of an unrelated page and a Word 2010
    `stylesWithEffects` copy of its 160 styles (430 kB); neither is needed, so drop both."""
    package = doc.part.package
    for rid, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            del package.rels[rid]
    for rid, rel in list(doc.part.rels.items()):
        if rel.reltype.endswith("/stylesWithEffects"):
            doc.part.drop_rel(rid)


# The font table names the GB/T 9704 fonts with the names of their common stand-ins
# (`w:altName`): Windows ships 仿宋/楷体 but not the *_GB2312 fonts, and Word substitutes by it.
_FONT_TABLE = (
    (FONT_BODY, "仿宋", "modern", "fixed"),
    (FONT_TITLE, "宋体", "roman", "variable"),
    (FONT_HEADING_1, "SimHei", "modern", "fixed"),
    (FONT_HEADING_2, "楷体", "modern", "fixed"),
    (FONT_PAGE_NUMBER, "SimSun", "roman", "fixed"),
)


def _font_table_xml() -> bytes:
    w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    fonts = "".join(
        f'<w:font w:name="{name}"><w:altName w:val="{alt}"/><w:charset w:val="86"/>'
        f'<w:family w:val="{family}"/><w:pitch w:val="{pitch}"/></w:font>'
        for name, alt, family, pitch in _FONT_TABLE
    )
    xml = f"<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n<w:fonts xmlns:w=\"{w}\">{fonts}</w:fonts>"
    return xml.encode("utf-8")


def _replace_font_table(doc: Document) -> None:
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            rel.target_part._blob = _font_table_xml()


_STYLE_REFS = ("w:pStyle", "w:rStyle", "w:tblStyle", "w:numStyleLink", "w:styleLink")


def _prune_styles(doc: Document) -> None:
    """Keep only the styles the document uses (and what they are based on, link to or are
    followed by) plus the defaults: the template's 160 unused table and list styles are 350 kB."""
    used: set[str] = set()
    styles = doc.styles.element
    for part in doc.part.package.iter_parts():
        element = getattr(part, "_element", None)
        if element is None or element is styles:
            continue
        for tag in _STYLE_REFS:
            for ref in element.iter(qn(tag)):
                used.add(str(ref.get(qn("w:val"))))
    by_id = {str(st.get(qn("w:styleId"))): st for st in styles.iterchildren(qn("w:style"))}
    used |= {sid for sid, st in by_id.items() if st.get(qn("w:default")) in ("1", "true")}
    pending = list(used)
    while pending:
        st = by_id.get(pending.pop())
        if st is None:
            continue
        for tag in ("w:basedOn", "w:link", "w:next"):
            ref = st.find(qn(tag))
            if ref is not None and str(ref.get(qn("w:val"))) not in used:
                used.add(str(ref.get(qn("w:val"))))
                pending.append(str(ref.get(qn("w:val"))))
    for sid, st in by_id.items():
        if sid not in used:
            styles.remove(st)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _page_number_paragraph(doc: Document, paragraph: Paragraph, odd: bool) -> None:
    """— PAGE — in 4号宋体: odd pages flush right less 1 字, even pages flush left plus 1 字."""
    paragraph.style = _style(doc, "GBPageNumber")
    _paragraph_format(
        paragraph, align=WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT, pitch=None,
        first_line_chars=None, right_chars=1 if odd else 0, left_chars=0 if odd else 1,
        size=SIZE_PAGE_NUMBER,
    )  # fmt: skip
    for run in paragraph.runs:
        run._r.getparent().remove(run._r)
    paragraph.add_run("— ")
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "1"), ("end", None)):
        run = paragraph.add_run()
        if kind:
            fld = OxmlElement("w:fldChar")
            fld.set(qn("w:fldCharType"), kind)
            run._r.append(fld)
        elif text == " PAGE ":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        else:
            run.text = text or ""
    paragraph.add_run(" —")


def _add_page_numbers(doc: Document) -> None:
    doc.settings.odd_and_even_pages_header_footer = True
    section = doc.sections[0]
    _page_number_paragraph(doc, section.footer.paragraphs[0], odd=True)
    _page_number_paragraph(doc, section.even_page_footer.paragraphs[0], odd=False)


def new_document(*, landscape: bool = False) -> Document:
    """An empty GB/T 9704 document: page, margins, line grid, default fonts, page numbers."""
    doc = docx.Document()
    _configure_section(doc, landscape)
    _configure_styles(doc)
    _set_theme_language(doc)
    _add_styles(doc)
    _remove_template_extras(doc)
    _replace_font_table(doc)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    _add_page_numbers(doc)
    set_properties(doc, title="", author="policyc", date=EPOCH.date())
    return doc


PROPERTY_LIMIT = 255  # python-docx refuses a longer core property (ValueError)


def fit_property(text: str) -> str:
    """`text` cut to the core-property limit, marked with … where it was cut."""
    return text if len(text) <= PROPERTY_LIMIT else text[: PROPERTY_LIMIT - 1] + "…"


def set_properties(
    doc: Document, *, title: str, author: str, date: dt.date, subject: str = "", keywords: str = "",
    comments: str = "",
) -> None:
    """Core properties with dates taken from the document (成文日期), never from the clock.
    Text longer than a core property holds is cut (with …) rather than refused."""
    cp = doc.core_properties
    cp.title = fit_property(title)
    cp.author = fit_property(author)
    cp.last_modified_by = fit_property(author)
    cp.subject = fit_property(subject)
    cp.keywords = fit_property(keywords)
    cp.comments = fit_property(comments)
    stamp = dt.datetime(date.year, date.month, date.day)
    cp.created = stamp
    cp.modified = stamp
    cp.last_printed = stamp
    cp.revision = 1


def add_title(doc: Document, text: str) -> None:
    """标题: 二号方正小标宋简体, centred, followed by one blank line (GB/T 9704 §7.3.1).
    A "\n" in `text` is a chosen line break (titles break between whole words)."""
    for line in text.split("\n"):
        _paragraph(doc, "GBTitle", line)
    add_blank_line(doc)


def add_blank_line(doc: Document) -> Paragraph:
    return _paragraph(doc, "GBBody")


def keep_with_next(paragraph: Paragraph) -> None:
    paragraph.paragraph_format.keep_with_next = True


def add_heading(doc: Document, text: str, level: int) -> None:
    """层次序数 headings: level 1 (一、) 黑体, level 2 （一） 楷体_GB2312, both 三号, indented 2 字."""
    if level not in (1, 2):
        raise ValueError(f"heading level must be 1 or 2, not {level}")
    _paragraph(doc, "GBHeading1" if level == 1 else "GBHeading2", text)


def add_body(doc: Document, text: str, *, first_line_indent: bool = True) -> Paragraph:
    """正文 paragraph: 三号仿宋_GB2312, justified, first line indented 2 字. `text` is literal."""
    p = _paragraph(doc, "GBBody", text)
    if not first_line_indent:
        _paragraph_format(p, align=None, pitch=None, first_line_chars=0)
    return p


def add_runs(doc: Document, parts: Sequence[tuple[str, str]], *, first_line_indent: bool = True) -> Paragraph:
    """A body paragraph made of (text, font) runs, e.g. a 黑体 lead-in followed by 仿宋 text."""
    p = add_body(doc, "", first_line_indent=first_line_indent)
    for text, font in parts:
        set_fonts(p.add_run(text)._r, font)
    return p


def add_signature(doc: Document, issuer: str, date: dt.date) -> None:
    """发文机关署名 and 成文日期 below the body (GB/T 9704 §7.3.5): one blank line, the date
    right-indented 4 字, the issuer centred on the date (flush right when it is much longer)."""
    date_text = zh_date(date)
    date_indent = 4.0
    issuer_indent = max(0.0, date_indent + (text_width(date_text) - text_width(issuer)) / 2)
    add_blank_line(doc).paragraph_format.keep_with_next = True
    for text, indent in ((issuer, issuer_indent), (date_text, date_indent)):
        p = _paragraph(doc, "GBSignature", text)
        _paragraph_format(p, align=None, pitch=None, first_line_chars=None, right_chars=indent,
                          keep_with_next=text == issuer)


def add_sign_lines(doc: Document, lines: Sequence[str]) -> None:
    """The lines a form is signed on (法定代表人（签字）：, 单位（盖章）, 年　月　日): flush right
    less 4 字 like the 成文日期, one blank line above, all kept on one page."""
    add_blank_line(doc).paragraph_format.keep_with_next = True
    for i, text in enumerate(lines):
        p = _paragraph(doc, "GBSignature", text)
        _paragraph_format(p, align=WD_ALIGN_PARAGRAPH.LEFT, pitch=None, first_line_chars=None, left_chars=14,
                          keep_with_next=i < len(lines) - 1)


def add_attachment_note(doc: Document, names: Sequence[str]) -> None:
    """附件说明 (GB/T 9704 §7.3.4): 附件：1．名称 — indented 2 字, later names aligned after 附件：."""
    numbered = len(names) > 1
    for i, name in enumerate(names, start=1):
        text = f"{i}．{name}" if numbered else name
        if i == 1:
            p = _paragraph(doc, "GBBody", f"附件：{text}")
        else:
            p = _paragraph(doc, "GBBody", text)
            _paragraph_format(p, align=None, pitch=None, first_line_chars=0, left_chars=5)
        # Kept with what follows: the 署名 and 成文日期 never stand alone on a page.
        p.paragraph_format.keep_with_next = True


def add_release_note(doc: Document, text: str) -> Paragraph:
    """附注 such as （此件公开发布）: on the line below the 成文日期, indented 2 字 (GB/T 9704 §7.3.6)."""
    return _paragraph(doc, "GBBody", text)


def add_spacer(doc: Document, points: float = 14.0) -> Paragraph:
    """Half a line of space, e.g. between a table and the heading that follows it."""
    p = _paragraph(doc, "GBBody")
    _paragraph_format(p, align=None, pitch=Pt(points), first_line_chars=None, snap=False)
    return p


def add_small(doc: Document, text: str) -> Paragraph:
    """A small flush-left note (五号仿宋), e.g. how and from what a document was generated."""
    return _paragraph(doc, "GBNote", text)


def add_page_break(doc: Document) -> None:
    _paragraph(doc, "GBBody").add_run().add_break(WD_BREAK.PAGE)


def add_attachment_label(doc: Document, label: str = "附件", *, new_page: bool = True) -> None:
    """The 附件 mark at the top left of an attachment page: 三号黑体, flush left. The page break
    is a property of the mark (not an empty paragraph, which can itself spill onto a blank page
    when the body ends at the foot of a page)."""
    p = _paragraph(doc, "GBAttachmentLabel", label)
    if new_page:
        p.paragraph_format.page_break_before = True


def _cell_borders(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = _child(tbl_pr, "w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        b = OxmlElement(f"w:{edge}")
        b.set(qn("w:val"), "single")
        b.set(qn("w:sz"), "4")
        b.set(qn("w:space"), "0")
        b.set(qn("w:color"), "000000")
        borders.append(b)


def add_table(
    doc: Document,
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_mm: Sequence[float],
    *,
    size: Pt = SIZE_TABLE,
    align: Sequence[str] | None = None,
    min_row_mm: float = 0,
) -> Table:
    """A ruled table: header row in 黑体 (repeated on every page), cells in 仿宋, fixed widths.

    `align` gives per column "left" | "center" | "right" (default: centre short columns); a
    "\n" in a cell is a line break; `min_row_mm`: body rows at least this tall (forms)."""
    if len(widths_mm) != len(header):
        raise ValueError("one width per column")
    table: Table = doc.add_table(rows=0, cols=len(header))
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _cell_borders(table)
    _set_attr_child(table._tbl.tblPr, "w:tblLayout", type="fixed")
    aligns = list(align or ["center"] * len(header))
    mapping = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER,
               "right": WD_ALIGN_PARAGRAPH.RIGHT, "justify": WD_ALIGN_PARAGRAPH.JUSTIFY}
    for r, values in enumerate([list(header), *[list(row) for row in rows]]):
        if len(values) != len(header):
            raise ValueError("every row needs one value per column")
        row = table.add_row()  # type: ignore[no-untyped-call]
        tr_pr = row._tr.get_or_add_trPr()
        # A row is never split across pages; the header row repeats on every page.
        _set_attr_child(tr_pr, "w:cantSplit", val="1")
        if r == 0:
            _set_attr_child(tr_pr, "w:tblHeader", val="1")
        elif min_row_mm:
            _set_attr_child(tr_pr, "w:trHeight", val=str(round(min_row_mm / 25.4 * 1440)), hRule="atLeast")
        # row.cells walks the whole table in python-docx: take the row's cells once.
        cells = row.cells
        for c, value in enumerate(values):
            cell = cells[c]
            cell.width = Mm(widths_mm[c])
            tc_pr = cell._tc.get_or_add_tcPr()
            _set_attr_child(tc_pr, "w:vAlign", val="center")
            p = cell.paragraphs[0]
            p._p.style = "GBTableHeader" if r == 0 else "GBTable"  # ids, as in _paragraph
            if r > 0 and aligns[c] != "left":
                p.paragraph_format.alignment = mapping[aligns[c]]
            if size != SIZE_TABLE:
                p.paragraph_format.line_spacing = Pt(size.pt * 1.35)
            run = p.add_run(value)
            if size != SIZE_TABLE:
                run.font.size = size
    grid = table._tbl.tblGrid
    for col, width in zip(grid.iterchildren(qn("w:gridCol")), widths_mm, strict=True):
        col.set(qn("w:w"), str(round(width / 25.4 * 1440)))
    return table


def to_bytes(doc: Document) -> bytes:
    """The .docx bytes, identical for identical content: fixed zip entry dates, attributes and
    order, stored entries (no dependence on the zlib build)."""
    _prune_styles(doc)
    raw = io.BytesIO()
    doc.save(raw)
    raw.seek(0)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as dst:
        names = src.namelist()
        # [Content_Types].xml first (some readers expect it), the rest in a stable order.
        ordered = sorted(names, key=lambda n: (n != "[Content_Types].xml", n))
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 0
            dst.writestr(info, src.read(name))
    return out.getvalue()
