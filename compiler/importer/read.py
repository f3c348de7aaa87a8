"""Reading a source file: UTF-8 (with or without BOM), GB18030/GBK, UTF-16 with BOM, or .docx
(by content, not name); empty, binary and undecodable files are refused with a located message."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from compiler.source.diagnostics import Diagnostic, PolicyError, Span, remember_source
from compiler.source.files import display_path


@dataclass
class Source:
    path: Path
    name: str  # as shown in messages
    text: str
    encoding: str
    unit: str  # what a "line" is: 行 for text files, 段 (paragraph) for .docx

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


def fail(code: str, message: str, span: Span | None = None, hint: str | None = None) -> PolicyError:
    return PolicyError([Diagnostic(code, message, span, None, hint)])


def _docx_text(data: bytes, name: str) -> str:
    """The paragraphs of a .docx body in order, one per line; a table row is one line with its
    cells separated by tabs, so a table of amounts reads as rows, not as a run of cut lines."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds for a damaged package
        raise fail("E610", f"无法读取 Word 文件：{exc}", Span(name, 1, 1)) from None
    lines: list[str] = []
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            lines.append(Paragraph(block, document).text)
        elif tag == "tbl":
            seen: list[object] = []  # the cells' XML elements (kept alive, so `is` holds)
            for row in Table(block, document).rows:
                cells = []
                for cell in row.cells:
                    if any(cell._tc is tc for tc in seen):  # a merged cell: listed once per row and column it spans
                        continue
                    seen.append(cell._tc)
                    cells.append(" ".join(p.text.strip() for p in cell.paragraphs if p.text.strip()))
                lines.append("\t".join(cells))
    return "\n".join(lines)


def read_source(path: Path) -> Source:
    """Decode a source file; refuses empty, binary and undecodable files with a located message."""
    name = display_path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise fail("E601", f"找不到源文件 {name}") from None
    except IsADirectoryError:
        raise fail("E601", f"源文件 {name} 是一个目录，不是文件") from None
    except PermissionError:
        raise fail("E601", f"没有读取源文件 {name} 的权限") from None
    except OSError as exc:
        raise fail("E601", f"无法读取源文件 {name}（{exc.strerror or type(exc).__name__}）") from None
    if not data.strip():
        raise fail("E602", f"源文件 {name} 是空的", Span(name, 1, 1), "导入需要办法的全文（.txt 或 .docx）")
    unit = "行"
    if data.startswith(b"PK\x03\x04"):
        try:
            is_docx = "word/document.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            is_docx = False
        if not is_docx:
            raise fail("E603", f"源文件 {name} 是压缩包或其他二进制文件，不是文本或 Word 文件", Span(name, 1, 1))
        text, encoding, unit = _docx_text(data, name), "docx", "段"
    elif data.startswith(b"\xef\xbb\xbf"):
        text, encoding = _decode(data[3:], "utf-8", name), "UTF-8（带 BOM）"
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text, encoding = _decode(data, "utf-16", name), "UTF-16"
    else:
        if b"\x00" in data:
            line = data.count(b"\n", 0, data.index(b"\x00")) + 1
            raise fail(
                "E603", f"源文件 {name} 是二进制文件（第 {line} 行有 NUL 字节），不是文本",
                Span(name, line, 1), "导入 .txt（UTF-8 或 GB18030）或 .docx 文件",
            )
        try:
            text, encoding = data.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError as utf8_error:
            try:
                text, encoding = data.decode("gb18030"), "GB18030"
            except UnicodeDecodeError:
                line = data.count(b"\n", 0, utf8_error.start) + 1
                col = utf8_error.start - (data.rfind(b"\n", 0, utf8_error.start) + 1) + 1
                raise fail(
                    "E604", f"源文件 {name} 的编码无法识别：第 {line} 行第 {col} 个字节"
                    f"（0x{data[utf8_error.start]:02X}）既不是 UTF-8 也不是 GB18030",
                    Span(name, line, 1), "另存为 UTF-8 文本后再导入",
                ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = next((i for i, ch in enumerate(text) if ord(ch) < 32 and ch not in "\n\t\f\v"), None)
    if bad is not None:
        line = text.count("\n", 0, bad) + 1
        raise fail("E603", f"源文件 {name} 第 {line} {unit}含有控制字符，不是文本文件", Span(name, line, 1))
    if not text.strip():
        raise fail("E602", f"源文件 {name} 没有文字", Span(name, 1, 1))
    remember_source(name, text)
    return Source(path, name, text, encoding, unit)


def _decode(data: bytes, codec: str, name: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise fail("E604", f"源文件 {name} 不是有效的 {codec.upper()}：第 {line} 行有无法解码的字节", Span(name, line, 1)) from None
