"""Stage 1, load: YAML text → a located tree (dicts, lists and strings that know their spans).

A private SafeLoader subclass composes the node graph; we build the values ourselves so that
every mapping, list and string carries its position, duplicate keys are refused, dates stay
strings (the model converts them) and non-integer numbers become `Decimal`, never float.

Hostile input is bounded here, before anything else sees it (README, 限制): the file size, the
nesting depth (PyYAML's composer recurses), the number of nodes reached through aliases (an
"alias bomb" of nested anchors expands ×9 per level), and the characters and tags a file may use.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from compiler.source.diagnostics import (
    Diagnostic,
    PolicyError,
    Span,
    describe_char,
    remember_source,
)

MAX_FILE_BYTES = 524_288  # 512 KiB: the largest policy today is 46 KB, and parsing costs ~10 s per MiB
MAX_DEPTH = 50  # nested mappings/lists; policies nest 12 deep
MAX_ALIAS_NODES = 10_000  # nodes a file may reach through aliases (*name), counted with repeats
MAX_NUMBER_CHARS = 100  # of an unquoted integer (0x1F… would otherwise become a 10,000-digit int)

# Characters no YAML input may carry, even through a double-quoted escape ("\e", "\x00"):
# C0 controls except tab, line feed and carriage return (the three XML allows), DEL, C1
# controls, lone surrogates and non-characters. They break the Word writer (XML forbids them),
# corrupt terminals (output escapes them anyway) and cannot be encoded.
FORBIDDEN_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

_STR, _SEQ, _MAP = "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:map"
# The tags the resolver gives plain YAML; any other (!!binary, !!set, !!python/…, !local) is refused.
_SCALAR_TAGS = {_STR, *(f"tag:yaml.org,2002:{t}" for t in ("null", "bool", "int", "float", "timestamp"))}


class _Limit(Exception):
    """A structural limit was exceeded while composing; becomes an E005 diagnostic."""

    def __init__(self, message: str, mark: Any, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.line: int = mark.line + 1 if mark is not None else 1
        self.col: int = mark.column + 1 if mark is not None else 1
        self.hint = hint


class _Loader(yaml.SafeLoader):
    """Private loader: nothing is registered on PyYAML's global classes. Composing is bounded:
    nesting depth (checked before PyYAML's recursive composer descends) and the total size of
    the nodes that aliases refer to (each alias counts the whole subtree it stands for)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._alias_nodes = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent):
            alias = super().compose_node(parent, index)
            size = self._sizes.get(id(alias))
            if size is None:
                raise _Limit(f"别名「*{event.anchor}」引用了包含它自己的节点（循环引用）", event.start_mark,
                             "YAML 别名不能指向它所在的映射或列表；把内容直接写出来")
            self._alias_nodes += size
            if self._alias_nodes > MAX_ALIAS_NODES:
                raise _Limit(f"别名展开后的内容过多（超过 {MAX_ALIAS_NODES} 个节点）", event.start_mark,
                             "文件中的别名（*名称）层层引用，展开后过于庞大；把内容直接写出来")
            assert alias is not None
            return alias
        collection = isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent))
        self._depth += collection
        if self._depth > MAX_DEPTH:
            raise _Limit(f"嵌套层数超过 {MAX_DEPTH} 层", event.start_mark,
                         f"映射和列表最多嵌套 {MAX_DEPTH} 层；检查是否缺少闭合的括号，或缩进是否错乱")
        node = super().compose_node(parent, index)
        assert node is not None
        self._depth -= collection
        size = 1
        if isinstance(node, yaml.SequenceNode):
            size += sum(self._sizes[id(child)] for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            size += sum(self._sizes[id(k)] + self._sizes[id(v)] for k, v in node.value)
        self._sizes[id(node)] = size
        return node


class YStr(str):
    """A string scalar with the span of its value and the information needed to map an offset
    inside the string back to a line and column of the file (for expression errors)."""

    span: Span
    style: str | None
    block_indent: int

    def __new__(cls, value: str, span: Span, style: str | None = None, block_indent: int = 0) -> YStr:
        obj = super().__new__(cls, value)
        obj.span = span
        obj.style = style
        obj.block_indent = block_indent
        return obj

    def offset_span(self, start: int, end: int) -> Span:
        """Span of characters [start, end) of this string's value inside the YAML file."""
        value = str(self)
        line_delta = value.count("\n", 0, start)
        if self.style in ("|", ">"):
            line_start = value.rfind("\n", 0, start) + 1
            col = self.block_indent + 1 + (start - line_start)
            return self.span.shifted(1 + line_delta, col, end - start)
        quote = 1 if self.style in ("'", '"') else 0
        if line_delta == 0:
            return self.span.shifted(0, self.span.col + quote + start, end - start)
        line_start = value.rfind("\n", 0, start) + 1
        return self.span.shifted(line_delta, 1 + (start - line_start), end - start)


class YMap(dict[str, Any]):
    """A mapping with the span of the whole mapping, of each key and of each value."""

    span: Span
    key_spans: dict[str, Span]
    value_spans: dict[str, Span]


class YList(list[Any]):
    span: Span
    item_spans: list[Span]


def _span(file: str, node: yaml.Node) -> Span:
    s, e = node.start_mark, node.end_mark
    return Span(file, s.line + 1, s.column + 1, e.line + 1, e.column + 1)


def _tag_error(file: str, node: yaml.Node) -> Diagnostic:
    tag = node.tag.replace("tag:yaml.org,2002:", "!!")
    return Diagnostic("E006", f"不支持的 YAML 标签「{tag}」", _span(file, node),
                      hint="政策文件只用普通的文字、数字、列表和映射；删除这个标签")


def _scalar(file: str, node: yaml.ScalarNode, text_lines: list[str], errors: list[Diagnostic]) -> Any:
    span = _span(file, node)
    tag = node.tag
    value = node.value
    if tag not in _SCALAR_TAGS:
        errors.append(_tag_error(file, node))
        return YStr(value, span, node.style)
    bad = FORBIDDEN_CHARS.search(value)
    if bad:
        errors.append(Diagnostic(
            "E007", f"文字中含有不允许的控制字符 {describe_char(bad.group())}", span,
            hint="删除该字符（常见于从网页或 Word 复制的文字，或双引号中的 \\x、\\e 转义）",
        ))
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        return value.lower() in ("true", "yes", "on")
    if tag == "tag:yaml.org,2002:int":
        if len(value) > MAX_NUMBER_CHARS:  # 0x… has no int-to-str limit; its decimal form would
            errors.append(Diagnostic("E005", f"数字「{value[:20]}…」过长（超过 {MAX_NUMBER_CHARS} 个字符）", span,
                                     hint="这样的数字没有意义；如果它是文字（编号、代码），请加引号"))
            return YStr(value, span, node.style)
        try:
            return int(value.replace("_", ""), 0)
        except ValueError:
            return YStr(value, span, node.style)
    if tag == "tag:yaml.org,2002:float":
        try:
            return Decimal(value.replace("_", ""))
        except InvalidOperation:
            return YStr(value, span, node.style)
    indent = 0
    if node.style in ("|", ">"):
        for raw in text_lines[node.start_mark.line + 1 :]:
            if raw.strip():
                indent = len(raw) - len(raw.lstrip(" "))
                break
    return YStr(value, span, node.style, indent)


def _build(file: str, node: yaml.Node, text_lines: list[str], errors: list[Diagnostic]) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return _scalar(file, node, text_lines, errors)
    if node.tag not in (_SEQ, _MAP):
        errors.append(_tag_error(file, node))
    if isinstance(node, yaml.SequenceNode):
        out_list = YList()
        out_list.span = _span(file, node)
        out_list.item_spans = []
        for child in node.value:
            out_list.append(_build(file, child, text_lines, errors))
            out_list.item_spans.append(_span(file, child))
        return out_list
    if isinstance(node, yaml.MappingNode):
        out = YMap()
        out.span = _span(file, node)
        out.key_spans = {}
        out.value_spans = {}
        for key_node, value_node in node.value:
            key = _build(file, key_node, text_lines, errors)
            key_span = _span(file, key_node)
            if not isinstance(key, str):
                errors.append(Diagnostic("E004", f"键必须是文字，这里是 {key!r}", key_span))
                continue
            key = str(key)
            if key in out:
                first = out.key_spans[key]
                errors.append(
                    Diagnostic(
                        "E004",
                        f"键「{key}」重复出现（第一次在第 {first.line} 行）",
                        key_span,
                        hint="YAML 中同一映射的键不能重复；删除或合并其中一个",
                    )
                )
                continue
            out[key] = _build(file, value_node, text_lines, errors)
            out.key_spans[key] = key_span
            out.value_spans[key] = _span(file, value_node)
        return out
    raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover - composer guarantees


def read_text(path: Path, display: str | None = None) -> str:
    """Read a UTF-8 file (a BOM is accepted); a missing or undecodable file is a PolicyError."""
    name = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise PolicyError([_too_large(name, size)])
        with path.open("rb") as fh:  # read at most one byte past the limit (the file may grow)
            data = fh.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise PolicyError([_too_large(name, len(data))])
    except FileNotFoundError:
        raise PolicyError([Diagnostic("E001", f"找不到文件 {name}", hint="检查路径是否拼写正确")]) from None
    except IsADirectoryError:
        raise PolicyError([Diagnostic("E001", f"{name} 是目录，不是文件")]) from None
    except OSError as exc:
        raise PolicyError([Diagnostic("E001", f"无法读取 {name}：{exc.strerror}")]) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PolicyError(
            [
                Diagnostic(
                    "E002",
                    f"文件不是 UTF-8 编码（第 {exc.start} 字节无法解码）",
                    Span(name, line, col),
                    hint="用 UTF-8 重新保存该文件（GBK/GB18030 文本请先转换）",
                )
            ]
        ) from None
    remember_source(name, text)
    return text


def _too_large(name: str, size: int) -> Diagnostic:
    remember_source(name, "")  # no excerpt: rendering must not read the huge file either
    return Diagnostic("E008", f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES} 字节）", Span(name, 1, 1),
                      hint="一个办法的政策文件远小于这个上限；检查是否选错了文件")


def _line_col(text: str, index: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, index) + 1
    return text.count("\n", 0, index) + 1, index - line_start + 1


def parse_yaml(text: str, name: str) -> Any:
    """Parse YAML text into a located tree; syntax errors, duplicate keys, unsupported tags,
    control characters and inputs beyond the limits raise PolicyError."""
    if len(text) > MAX_FILE_BYTES:  # characters ≤ bytes, so this never refuses what read_text let in
        raise PolicyError([_too_large(name, len(text.encode("utf-8", "surrogatepass")))])
    remember_source(name, text)
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        node = loader.get_single_node()
    except _Limit as exc:
        raise PolicyError([Diagnostic("E005", exc.message, Span(name, exc.line, exc.col), hint=exc.hint)]) from None
    except yaml.reader.ReaderError as exc:
        line, col = _line_col(text, exc.position)
        raise PolicyError([Diagnostic(
            "E003", f"文件中含有 YAML 不允许的字符 {describe_char(chr(exc.character))}", Span(name, line, col),
            hint="删除该字符（常见于从网页或 Word 复制的文字）；需要制表符时改用空格",
        )]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        span = Span(name, mark.line + 1, mark.column + 1) if mark else Span(name, 1, 1)
        problem = exc.problem or exc.context or "YAML 语法错误"
        raise PolicyError(
            [
                Diagnostic(
                    "E003",
                    f"YAML 语法错误：{_zh_yaml_problem(problem)}",
                    span,
                    hint="检查缩进（只能用空格）、冒号后的空格，以及引号是否成对",
                )
            ]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    if node is None:
        return None
    errors: list[Diagnostic] = []
    tree = _build(name, node, text.splitlines(), errors)
    if errors:
        raise PolicyError(errors)
    return tree


def load_yaml(path: Path, display: str | None = None) -> Any:
    name = display or str(path)
    return parse_yaml(read_text(path, name), name)


_PROBLEMS = {  # PyYAML's problem texts (prefixes) → what a drafter reads
    "mapping values are not allowed here": "此处不能出现映射值（冒号后缺少空格，或缩进不对）",
    "could not find expected ':'": "找不到应有的冒号「:」",
    "found character '\\t' that cannot start any token": "出现了制表符（Tab）；YAML 只能用空格缩进",
    "expected <block end>, but found '<block mapping start>'": "缩进不一致",
    "did not find expected key": "缩进不一致或缺少键",
    "found unexpected end of stream": "文件意外结束（引号未闭合？）",
    "found undefined alias": "使用了未定义的别名",
    "found duplicate anchor": "锚点（&名称）重复定义",
    "found character": "出现了不能作为开头的字符（如 @、`、%）；这样的文字请加引号",
    "found unknown escape character": "双引号中有无法识别的转义（\\ 后的字符）；文字中的反斜杠请写成 \\\\ 或改用单引号",
    "found unexpected document separator": "文件中间出现了文档分隔线「---」或「...」",
    "found undefined tag handle": "使用了未定义的标签（!名称）",
    "found non-specific tag": "不支持的 YAML 标签「!」",
    "found incompatible YAML document": "不支持的 YAML 版本声明",
    "found duplicate YAML directive": "重复的 %YAML 声明",
    "expected ',' or ']', but got": "方括号列表中缺少逗号或右方括号「]」",
    "expected ',' or '}', but got": "花括号映射中缺少逗号或右花括号「}」",
    "expected a single document in the stream": "文件中只能有一个文档（删除多余的「---」）",
    "expected a comment or a line break, but found": "此处应换行或写注释（多余的字符？）",
    "expected the node content, but found": "此处缺少内容",
    "expected alphabetic or numeric character, but found": "锚点或别名（&名称、*名称）的名称中有不允许的字符",
    "expected chomping or indentation indicators, but found": "块文字标记（| 或 >）后有多余的字符",
    "expected indentation indicator in the range 1-9": "块文字的缩进标记应为 1–9",
    "expected escape sequence of": "双引号中的 \\x、\\u 转义位数不对",
    "expected ' ', but found": "此处缺少空格",
    "expected <block end>, but found": "缩进不一致",
    "sequence entries are not allowed here": "此处不能出现列表项「- 」（缩进不对？）",
    "mapping keys are not allowed here": "此处不能出现键（缩进不对？）",
    "invalid indentation or unclosed '[' or '{'": "缩进不对，或方括号、花括号没有闭合",
    "while scanning a quoted scalar": "引号没有闭合",
    "while scanning a simple key": "找不到应有的冒号「:」",
    "while scanning": "无法识别的写法",
    "while parsing": "结构不完整",
}


def _zh_yaml_problem(problem: str) -> str:
    for en, zh in _PROBLEMS.items():
        if problem.startswith(en):
            return zh
    return f"无法解析（{problem}）"


def locate(tree: Any, path: list[Any] | tuple[Any, ...], key: bool = False) -> Span | None:
    """Span of the value at `path` in a located tree (or of its key when `key` is true);
    falls back to the nearest enclosing node that exists."""
    node = tree
    best: Span | None = getattr(tree, "span", None)
    for i, part in enumerate(path):
        last = i == len(path) - 1
        if isinstance(node, YMap) and isinstance(part, str) and part in node:
            best = node.key_spans[part] if (key and last) else node.value_spans[part]
            node = node[part]
        elif isinstance(node, YList) and isinstance(part, int) and 0 <= part < len(node):
            best = node.item_spans[part]
            node = node[part]
        else:
            break
    if isinstance(node, YStr) and not key:
        return node.span
    return best


def plain(value: Any) -> Any:
    """A located YAML value as plain Python (str, Decimal, list, dict)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value
