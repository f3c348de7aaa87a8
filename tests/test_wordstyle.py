"""GB/T 9704 Word layout read back with python-docx: page, margins, grid, fonts and sizes of the
title, headings, body and page numbers; literal text; byte-identical output."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.text.paragraph import Paragraph

from compiler.documents import wordstyle


def _sample() -> bytes:
    doc = wordstyle.new_document()
    wordstyle.add_title(doc, "关于<script>alert(1)</script>的通知")
    wordstyle.add_heading(doc, "一、总体要求", 1)
    wordstyle.add_heading(doc, "（一）工作目标", 2)
    wordstyle.add_body(doc, "正文第一段，含 & < > 等字符。")
    wordstyle.add_table(doc, ["序号", "事项"], [["1", "甲"], ["2", "乙"]], [20, 136])
    wordstyle.add_signature(doc, "某市市场监督管理局", dt.date(2027, 2, 22))
    return wordstyle.to_bytes(doc)


def _mm(emu: int) -> int:
    return round(emu / 36000)  # Word stores twips: compare whole millimetres


def _read(data: bytes) -> Document:
    return docx.Document(io.BytesIO(data))


def font_of(p: Paragraph) -> tuple[str | None, float | None]:
    """The East Asian font and the size in pt a paragraph's first run is shown in (run, then
    paragraph style and its base styles)."""
    run = p.runs[0]
    east: str | None = None
    size = run.font.size.pt if run.font.size else None
    fonts = run._r.rPr.find(qn("w:rFonts")) if run._r.rPr is not None else None
    if fonts is not None:
        east = fonts.get(qn("w:eastAsia"))
    style = p.style
    while style is not None and (east is None or size is None):
        rpr = style.element.rPr
        if east is None and rpr is not None and rpr.find(qn("w:rFonts")) is not None:
            east = rpr.find(qn("w:rFonts")).get(qn("w:eastAsia"))
        if size is None and style.font.size is not None:
            size = style.font.size.pt
        style = style.base_style
    return east, size


def test_page_margins_and_line_grid() -> None:
    doc = _read(_sample())
    section = doc.sections[0]
    assert (_mm(section.page_width), _mm(section.page_height)) == (210, 297)
    assert [round(m / 36000) for m in (section.top_margin, section.bottom_margin,
                                      section.left_margin, section.right_margin)] == [37, 35, 28, 26]
    grid = section._sectPr.find(qn("w:docGrid"))
    pitch_pt = int(grid.get(qn("w:linePitch"))) / 20
    assert 22 * pitch_pt <= (297 - 37 - 35) / 25.4 * 72 < 23 * pitch_pt  # exactly 22 lines fit
    body = next(p for p in doc.paragraphs if p.text.startswith("正文"))
    assert body.style.paragraph_format.line_spacing == Pt(28.9)
    # 28 characters per line: 三号 condensed to the character pitch of a 156 mm line.
    spacing = int(body.style.element.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20
    assert 28 * (16 + spacing) <= 156 / 25.4 * 72 < 29 * (16 + spacing)


def test_fonts_and_sizes() -> None:
    doc = _read(_sample())
    by_text = {p.text: p for p in doc.paragraphs if p.text}
    title = next(p for t, p in by_text.items() if t.startswith("关于"))
    assert font_of(title) == ("方正小标宋简体", 22.0)
    assert title.style.paragraph_format.alignment == 1  # centred
    assert font_of(by_text["一、总体要求"]) == ("黑体", 16.0)
    assert font_of(by_text["（一）工作目标"]) == ("楷体_GB2312", 16.0)
    body = next(p for t, p in by_text.items() if t.startswith("正文"))
    assert font_of(body) == ("仿宋_GB2312", 16.0)
    assert body.style.element.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    # No theme font may override the names (Word prefers w:eastAsiaTheme over w:eastAsia).
    styles_xml = doc.styles.element.xml
    assert "eastAsiaTheme" not in styles_xml and "asciiTheme" not in styles_xml


def test_signature_is_right_indented_four_characters() -> None:
    doc = _read(_sample())
    date = next(p for p in doc.paragraphs if p.text == "2027年2月22日")
    issuer = next(p for p in doc.paragraphs if p.text == "某市市场监督管理局")
    assert date.paragraph_format.right_indent == Pt(64)  # 4 字 of 三号
    assert date.style.paragraph_format.alignment == 2  # right
    # The issuer is centred on the date: its indent is the date's plus half the width difference.
    expected = 4 + (wordstyle.text_width("2027年2月22日") - wordstyle.text_width("某市市场监督管理局")) / 2
    assert issuer.paragraph_format.right_indent == Pt(16 * expected)


def test_page_numbers_in_the_footer() -> None:
    data = _sample()
    doc = _read(data)
    assert doc.settings.odd_and_even_pages_header_footer
    odd = doc.sections[0].footer.paragraphs[0]
    even = doc.sections[0].even_page_footer.paragraphs[0]
    for p, align in ((odd, 2), (even, 0)):
        assert p.paragraph_format.alignment == align
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert "PAGE" in p._p.xml
        assert font_of(p) == ("宋体", 14.0)


def test_text_is_literal() -> None:
    doc = _read(_sample())
    assert any(p.text == "关于<script>alert(1)</script>的通知" for p in doc.paragraphs)
    xml = zipfile.ZipFile(io.BytesIO(_sample())).read("word/document.xml").decode()
    assert "&lt;script&gt;" in xml and "<script>" not in xml


def test_bytes_are_deterministic() -> None:
    first, second = _sample(), _sample()
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as z:
        assert z.namelist()[0] == "[Content_Types].xml"
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
        assert "2000-01-01" in core  # a fixed date, never the time of the build
        assert not any("thumbnail" in n or "stylesWithEffects" in n for n in z.namelist())


def test_landscape() -> None:
    doc = _read(wordstyle.to_bytes(wordstyle.new_document(landscape=True)))
    section = doc.sections[0]
    assert (_mm(section.page_width), _mm(section.page_height)) == (297, 210)
    assert _mm(section.page_width - section.left_margin - section.right_margin) == 225


def test_east_asian_theme_language_is_zh_cn() -> None:
    # python-docx's template says ja-JP: Word would pick Japanese theme fonts and line breaking.
    with zipfile.ZipFile(io.BytesIO(_sample())) as z:
        settings = z.read("word/settings.xml").decode()
    assert 'w:eastAsia="zh-CN"' in settings and "ja-JP" not in settings


def test_long_core_properties_are_cut_not_refused() -> None:
    doc = wordstyle.new_document()
    long = "来源文件：" + "、".join(f"policies/p{i}/guides/{2000 + i}.yaml" for i in range(30))
    wordstyle.set_properties(doc, title="标题", author="某局", date=dt.date(2027, 2, 22), comments=long, keywords=long)
    props = _read(wordstyle.to_bytes(doc)).core_properties
    assert len(props.comments) == 255 and props.comments.endswith("…") and long.startswith(props.comments[:-1])
    assert len(props.keywords) == 255


def test_text_width_counts_chinese_symbols_full_width() -> None:
    assert wordstyle.text_width("20万元") == 3.0
    assert wordstyle.text_width("□是　□否") == 5.0  # □ and “” are full width in a Chinese font
    assert wordstyle.text_width("“前言”") == 4.0


def test_signature_is_kept_with_the_attachment_note() -> None:
    doc = wordstyle.new_document()
    wordstyle.add_body(doc, "正文。")
    wordstyle.add_attachment_note(doc, ["申报表", "审核要点"])
    wordstyle.add_signature(doc, "某市市场监督管理局", dt.date(2027, 2, 22))
    paragraphs = _read(wordstyle.to_bytes(doc)).paragraphs
    texts = [p.text for p in paragraphs]
    start = texts.index("附件：1．申报表")
    # 附件说明, the blank line and the 署名 keep with what follows, so the 成文日期 never stands alone.
    assert all(p.paragraph_format.keep_with_next for p in paragraphs[start:texts.index("2027年2月22日")])
