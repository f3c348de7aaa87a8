"""Stage 2, schema: a located YAML tree → Chinese diagnostics from the JSON Schema (draft 2020-12).

Every error of the file is reported (iter_errors, not validate), translated from jsonschema's
structured fields — never from its English `.message` — and pointed at the offending key or
value, with the YAML path and, inside `structure`, the clause it belongs to.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from compiler.lang.numbering import cite
from compiler.source.diagnostics import Diagnostic, PolicyError, Span, did_you_mean, shorten
from compiler.source.files import display_path
from compiler.source.yamlsrc import YMap, load_yaml, locate

SCHEMAS = ("policy", "cases", "facts", "guide-year", "holidays")
SINGLE_LINE = "^[^\\n\\r\\u0085\\u2028\\u2029]*$"  # the schemas' pattern for one-line names


@cache
def load_schema(name: str) -> dict[str, Any]:
    text = resources.files("compiler.source").joinpath(f"schemas/{name}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    # The format checker makes "format": "date" mean a real calendar date (no 2026-02-30).
    return Draft202012Validator(load_schema(name), format_checker=Draft202012Validator.FORMAT_CHECKER)


_TYPE_NAMES = {
    "string": "文字",
    "object": "映射（键: 值）",
    "array": "列表",
    "integer": "整数",
    "number": "数字",
    "boolean": "true 或 false",
    "null": "空",
}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "映射"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, str):
        return f"文字「{shorten(value)}」"
    if value is None:
        return "空值"
    return f"数字 {shorten(str(value))}"


def yaml_path(path: Iterable[Any]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "（文件顶层）"


def clause_for_path(tree: Any, path: list[Any]) -> str | None:
    """The printed citation of the clause a YAML path lies in, e.g. 第十一条第（一）项."""
    if len(path) < 4 or path[0] != "structure" or path[2] != "articles":
        return None
    chapters = tree.get("structure") if isinstance(tree, dict) else None
    if not isinstance(chapters, list):
        return None
    number = 0
    for ci, chapter in enumerate(chapters):
        arts = chapter.get("articles") if isinstance(chapter, dict) else None
        count = len(arts) if isinstance(arts, list) else 0
        if ci == path[1]:
            if not isinstance(path[3], int) or not isinstance(arts, list):
                return None
            number += path[3] + 1
            article = arts[path[3]] if path[3] < len(arts) else None
            break
        number += count
    else:
        return None
    rest = path[4:]
    if len(rest) >= 2 and rest[0] == "paragraphs" and isinstance(rest[1], int):
        paras = article.get("paragraphs") if isinstance(article, dict) else None
        many = isinstance(paras, list) and len(paras) > 1
        para_no = rest[1] + 1 if many else None
        if len(rest) >= 4 and rest[2] == "items" and isinstance(rest[3], int):
            return cite(number, para_no, rest[3] + 1)
        return cite(number, para_no)
    return cite(number)


def _schema_at(schema_path: Iterable[Any], root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in schema_path:
        node = node[part]
    return node if isinstance(node, dict) else {}


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node[part]
        return _resolve(node, root)
    return schema


def _translate(err: ValidationError, tree: Any, file: str, root: dict[str, Any]) -> list[Diagnostic]:
    path = list(err.absolute_path)
    where = yaml_path(path)
    clause = clause_for_path(tree, path)
    kw = err.validator
    value = err.instance
    schema = err.schema if isinstance(err.schema, dict) else {}
    if kw == "additionalProperties" and isinstance(value, dict):
        allowed = list(schema.get("properties", {}))
        extras = [k for k in value if k not in allowed]
        out = []
        for key in extras:
            guess = did_you_mean(key, allowed)
            hint = f"你是不是想写「{guess}」？" if guess else None
            if not hint and allowed:
                hint = "可用的键：" + "、".join(allowed)
            out.append(
                Diagnostic(
                    "E101",
                    f"{where} 中有未知的键「{key}」",
                    locate(tree, [*path, key], key=True),
                    clause,
                    hint,
                )
            )
        return out
    if kw == "required" and isinstance(value, dict):
        required: list[str] = list(err.validator_value)  # type: ignore[arg-type]
        missing = [k for k in required if k not in value]
        span = value.span if isinstance(value, YMap) else locate(tree, path)
        return [
            Diagnostic(
                "E102",
                f"{where} 缺少必需的键「{key}」",
                span,
                clause,
                _describe_property(schema, key, root),
            )
            for key in missing
        ]
    span = locate(tree, path)
    if kw == "type":
        raw_wanted: Any = err.validator_value
        wanted: list[str] = [str(t) for t in (raw_wanted if isinstance(raw_wanted, list) else [raw_wanted])]
        names = [_TYPE_NAMES.get(t, t) for t in wanted]
        msg = f"{where} 应为{'或'.join(names)}，实际是{_type_of(value)}"
        hint = None
        if "string" in wanted and not isinstance(value, str):
            hint = "如果这是文字、日期或金额，请加引号"
        return [Diagnostic("E103", msg, span, clause, hint)]
    if kw in ("enum", "const"):
        raw_options: Any = err.validator_value if kw == "enum" else [err.validator_value]
        opts: list[str] = [str(o) for o in raw_options]
        guess = did_you_mean(str(value), opts)
        hint = f"你是不是想写「{guess}」？" if guess and guess != str(value) else None
        desc = schema.get("description")
        if desc and not hint:
            hint = str(desc)
        return [Diagnostic("E104", f"{where} 的取值「{shorten(str(value))}」无效；可选：{'、'.join(opts)}",
                           span, clause, hint)]
    if kw == "pattern" and err.validator_value == SINGLE_LINE:
        return [Diagnostic("E104", f"{where} 中有换行", span, clause,
                           "名称要写在一行内：它会出现在表格和标题中（YAML 双引号里的 \\n 也是换行）")]
    if kw == "pattern":
        return [
            Diagnostic(
                "E104",
                f"{where} 的写法「{shorten(str(value))}」不符合要求",
                span,
                clause,
                str(schema.get("description") or f"应匹配 {err.validator_value}"),
            )
        ]
    if kw == "format" and err.validator_value == "date":
        return [Diagnostic("E104", f"{where} 的日期「{value}」不存在", span, clause,
                           "日期写作 YYYY-MM-DD：月份 01–12，日不超过当月的天数")]
    if kw in ("minLength", "minItems"):
        return [Diagnostic("E105", f"{where} 不能为空", span, clause)]
    if kw in ("minimum", "exclusiveMinimum"):
        return [Diagnostic("E104", f"{where} 应不小于 {err.validator_value}，实际是 {shorten(str(value))}", span, clause)]
    if kw in ("anyOf", "oneOf"):
        desc = schema.get("description") or ""
        return [Diagnostic("E103", f"{where} 的内容形式不对：实际是{_type_of(value)}", span, clause, desc or None)]
    return [Diagnostic("E100", f"{where} 不符合格式要求（{kw}）", span, clause)]


def _describe_property(schema: dict[str, Any], key: str, root: dict[str, Any]) -> str | None:
    prop = schema.get("properties", {}).get(key)
    if not isinstance(prop, dict):
        return None
    prop = _resolve(prop, root)
    desc = prop.get("description")
    return f"「{key}」：{desc}" if desc else None


def validated(tree: Any, file: str, schema_name: str) -> YMap:
    """The tree itself when it is valid against the schema; otherwise PolicyError with every error."""
    diags = validate(tree, file, schema_name)
    if diags:
        raise PolicyError(diags)
    assert isinstance(tree, YMap)
    return tree


def validate(tree: Any, file: str, schema_name: str = "policy") -> list[Diagnostic]:
    """Validate a located tree against a packaged schema; returns every diagnostic found."""
    root = load_schema(schema_name)
    if tree is None:  # an empty file (or one holding only a BOM, comments or "---")
        return [Diagnostic("E103", "文件是空的", Span(file, 1, 1), hint="文件中没有任何内容；写入这类文件应有的各个键")]
    if not isinstance(tree, dict):
        from compiler.source.yamlsrc import YList, YStr

        span = tree.span if isinstance(tree, (YMap, YList, YStr)) else Span(file, 1, 1)
        return [Diagnostic("E103", f"文件顶层应为映射（键: 值），实际是{_type_of(tree)}", span)]
    errors = sorted(_validator(schema_name).iter_errors(tree), key=lambda e: list(map(str, e.absolute_path)))
    out: list[Diagnostic] = []
    seen: set[tuple[str, str, int, int]] = set()
    for err in errors:
        for diag in _translate(err, tree, file, root):
            key = (diag.code, diag.message, diag.span.line if diag.span else 0, diag.span.col if diag.span else 0)
            if key not in seen:
                seen.add(key)
                out.append(diag)
    return out


def load_document(path: Path, schema_name: str, name: str | None = None) -> YMap:
    """Stages 1–2 for any YAML input (cases, facts, year parameters, calendars, diff notes):
    load with positions and validate against its schema; raises PolicyError."""
    display = name or display_path(path)
    return validated(load_yaml(path, display), display, schema_name)
