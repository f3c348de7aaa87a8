"""Fuzzing (hypothesis): random and mutated inputs to the YAML loader + schemas, the expression
parser, the facts loader and both engines, the importer and the diff only ever give a result or
the project's own diagnostics with a location — never another exception, never a hang.

CI runs a fixed-seed budget (derandomize=True, about 2,300 inputs in all, well under a minute). A larger random
budget: `POLICYC_FUZZ=long python -m pytest -q tests/test_fuzz_inputs.py --hypothesis-show-statistics`;
it also caps the process's address space (resource.setrlimit), so a blow-up fails as MemoryError
instead of taking the machine down. Each input is bounded in time by the per-example deadline.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
from datetime import timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.lang.parser import ExprSyntaxError, parse, parse_band
from compiler.model.load import policy_from_tree
from compiler.model.policy import Policy
from compiler.runtime import core as evalrt
from compiler.source import schema
from compiler.source.diagnostics import Diagnostic, PolicyError, UsageError, render_all, render_json
from compiler.source.yamlsrc import parse_yaml, plain

LONG = os.environ.get("POLICYC_FUZZ") == "long"
if LONG:  # bound memory for the long run: 3 GiB of address space for the whole process
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, resource.getrlimit(resource.RLIMIT_AS)[1]))


def budget(ci: int, long: int, seconds: float = 5.0) -> Any:
    """A fixed, reproducible budget in CI; a large random one with POLICYC_FUZZ=long."""
    return settings(
        max_examples=long if LONG else ci, derandomize=not LONG, database=None,
        deadline=timedelta(seconds=seconds), print_blob=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


HAMI = ROOT / "policies/hami-quality-fund"
SEEDS: dict[str, tuple[str, str]] = {  # name: (schema, text)
    "final.yaml": ("policy", (HAMI / "final.yaml").read_text(encoding="utf-8")),
    "mini.yaml": ("policy", (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")),
    "final.cases.yaml": ("cases", (HAMI / "final.cases.yaml").read_text(encoding="utf-8")),
    "award.facts.yaml": ("facts", (ROOT / "examples/hami-china-quality-award.facts.yaml").read_text(encoding="utf-8")),
    "2026.yaml": ("guide-year", (HAMI / "guides/2026.yaml").read_text(encoding="utf-8")),
}
# Fragments that broke something once, or that YAML and the expression language treat specially.
SNIPPETS = [
    "&a ", "*a", "&a [*a, *a]", "!!binary ", "!!set ", "!x ", "[", "]", "{", "}", ": ", "- ", "? ", "<<: ",
    "---\n", "...\n", "%YAML 1.1\n", "|\n", ">-\n", "#", "'", '"', '"\\e"', '"\\0"', '"\\ud800"', "\t", "\r",
    "\ufeff", "\u2028", "\x85", "\x00", "\x1b", "\x7f", "2026-02-30", "2026-13-01", "２０２６", "9" * 30,
    "1" * 4400, " 且 ", " 或 ", "非 ", "-" * 50, "(", ")", "万元", "以上", "null", "~", "true", "1e999",
    ".inf", ".nan", "0x1F", "0o17", "1_000", "　", "第一条", "（一）", "\n", "\n\n",
]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """`text` with 1–4 edits: delete, duplicate or swap lines, insert or replace a fragment."""
    lines = text.split("\n")
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "replace", "truncate"]))
        if kind == "delete" and len(lines) > 1:
            del lines[i]
        elif kind == "duplicate":
            lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
        elif kind == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif kind == "truncate":
            lines = lines[: i + 1]
            lines[-1] = lines[-1][: draw(st.integers(0, len(lines[-1])))]
        else:
            piece = draw(st.sampled_from(SNIPPETS) | st.text(max_size=8))
            j = draw(st.integers(0, len(lines[i])))
            cut = j + (draw(st.integers(0, 6)) if kind == "replace" else 0)
            lines[i] = lines[i][:j] + piece + lines[i][cut:]
    return "\n".join(lines)


def joined(pieces: list[str], max_size: int) -> st.SearchStrategy[str]:
    """Strings built of `pieces` (characters and longer fragments)."""
    return st.lists(st.sampled_from(pieces), max_size=max_size).map("".join)


YAMLISH = joined(list(":-[]{},&*!|>'\"#?% \n\t甲乙12.万元且或") + SNIPPETS, 80)


def assert_own_diagnostics(diags: list[Diagnostic], file: str) -> None:
    assert diags, "a PolicyError carries its diagnostics"
    for d in diags:
        assert d.span is not None, f"{d.code} {d.message}: no location"
        assert d.span.file == file and d.span.line >= 1 and d.span.col >= 1, d
        assert not d.message.isascii(), f"{d.code}: not Chinese: {d.message}"
    assert render_all(diags) and render_json(diags)


def load_any(text: str, name: str, schema_name: str) -> Any:
    """Stages 1–5 for a policy, 1–2 for other files; PolicyError is checked and returns None."""
    try:
        tree = parse_yaml(text, name)
        if schema_name == "policy":
            return policy_from_tree(tree, name)
        return schema.validated(tree, name, schema_name)
    except PolicyError as exc:
        assert_own_diagnostics(exc.diagnostics, name)
        return None


# -- the YAML loader and the schemas -------------------------------------------------------------

@budget(ci=200, long=20000)
@given(st.sampled_from(sorted(SEEDS)), st.data())
def test_fuzz_mutated_yaml_files(seed: str, data: st.DataObject) -> None:
    schema_name, text = SEEDS[seed]
    result = load_any(data.draw(mutated(text)), "m.yaml", schema_name)
    if isinstance(result, Policy):
        from compiler.documents import text as rebuilt
        from compiler.evaluate.codegen import generate

        compile(generate(result, text, "m.yaml"), "m.py", "exec")
        rebuilt.rebuild(result)


@budget(ci=300, long=30000, seconds=2)
@given(YAMLISH, st.sampled_from(schema.SCHEMAS))
def test_fuzz_random_yaml(text: str, schema_name: str) -> None:
    load_any(text, "r.yaml", schema_name)


# -- the expression parser -----------------------------------------------------------------------

@cache
def _expressions() -> list[str]:
    from compiler.model.load import load_policy

    out = [e.text for e, _ in load_policy(HAMI / "final.yaml").rule_expressions()]
    return sorted(set(out)) + ["3000元以上不满5000元", "超过1000元", "20万元 × 主导制定国家标准数 + 1万元"]


EXPR_CHARS = list("甲乙丙营业收入在本市 ()（）[]［］,，、\"“”.0123456789+-*/×÷<>=≥≤≠%") + [
    " 且 ", " 或 ", "非 ", " 属于 ", " 包含 ", " 为空", " 则 ", " 否则 ", "万元", "元", "人", "年", "以上", "以下",
    "不满", "超过", "取整(", "最大(", "2026-06-01", "2026年6月1日", "评价日期", "true", "false",
]


def _check_expr(text: str) -> None:
    for fn in (parse, parse_band):
        try:
            fn(text)
        except ExprSyntaxError as exc:
            assert 0 <= exc.start <= exc.end <= len(text) + 1, (exc.start, exc.end, len(text))
            assert exc.message and not exc.message.isascii()


@budget(ci=500, long=50000, seconds=2)
@given(joined(EXPR_CHARS, 40))
def test_fuzz_random_expressions(text: str) -> None:
    _check_expr(text)


@budget(ci=300, long=30000, seconds=2)
@given(st.data())
def test_fuzz_mutated_expressions(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(_expressions()))
    for _ in range(data.draw(st.integers(1, 3))):
        i = data.draw(st.integers(0, len(text)))
        piece = data.draw(st.sampled_from(EXPR_CHARS) | st.text(max_size=3))
        text = text[:i] + piece + text[i + data.draw(st.integers(0, 2)):]
    _check_expr(text)


# -- the facts loader and both engines ----------------------------------------------------------

@cache
def _engines() -> tuple[Policy, Any, Any]:
    from compiler.evaluate.cases import compile_evaluator
    from compiler.evaluate.interpreter import Interpreter
    from compiler.model.load import load_policy

    policy = load_policy(HAMI / "final.yaml")
    return policy, compile_evaluator(policy, HAMI / "final.yaml"), Interpreter(policy).evaluate


def _outcome(fn: Any, facts: dict[str, Any], as_of: dt.date) -> tuple[str, Any]:
    try:
        return "ok", fn(facts, as_of, trace=False)
    except evalrt.FactsError as exc:
        return "facts", (exc.missing, exc.invalid, exc.unknown)
    except evalrt.EvaluationError as exc:
        return "evaluation", (exc.cite, exc.message)


def _evaluate_file(text: str) -> None:
    from compiler.cli import facts_diagnostics

    tree = load_any(text, "f.yaml", "facts")
    if tree is None:
        return
    policy, generated, reference = _engines()
    as_of = dt.date.fromisoformat(str(tree.get("as_of", "2026-06-01")))
    facts = plain(tree["facts"])
    kind, detail = _outcome(reference, facts, as_of)
    assert _outcome(generated, facts, as_of) == (kind, detail), "the engines agree"
    if kind == "facts":
        diags = facts_diagnostics(evalrt.FactsError(*detail), tree, "f.yaml")
        assert_own_diagnostics(diags, "f.yaml")


@budget(ci=150, long=15000)
@given(st.data())
def test_fuzz_mutated_facts_files(data: st.DataObject) -> None:
    _evaluate_file(data.draw(mutated(SEEDS["award.facts.yaml"][1])))


FACT_VALUES = st.one_of(
    st.booleans(), st.none(), st.integers(-10**6, 10**6), st.integers(), st.decimals(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2),
    st.sampled_from(["企业", "中国质量奖", "20万元", "-1", "1.5", "2026-06-01", "", "是", "１２"]),
    st.lists(st.sampled_from(["中国质量奖", "自治区政府质量奖", "企业", "x"]), max_size=3),
)


@budget(ci=300, long=30000)
@given(st.data())
def test_fuzz_fact_values_in_both_engines(data: st.DataObject) -> None:
    """Any value for any declared fact: both engines give the same result or the same error."""
    policy, generated, reference = _engines()
    names = sorted(policy.facts)
    base = {k: v for k, v in plain(parse_yaml(SEEDS["award.facts.yaml"][1], "f.yaml"))["facts"].items()}
    facts = dict(base)
    for name in data.draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        facts[name] = data.draw(FACT_VALUES)
    if data.draw(st.booleans()):
        facts.pop(data.draw(st.sampled_from(sorted(facts))), None)
    as_of = data.draw(st.dates(dt.date(2000, 1, 1), dt.date(2100, 12, 31)))
    assert _outcome(generated, facts, as_of) == _outcome(reference, facts, as_of)


# -- the importer ---------------------------------------------------------------------------------

SOURCES = sorted((HAMI / "sources").glob("*.txt")) + sorted((ROOT / "tests/fixtures/seeds").glob("*.txt"))


def _import(text: str | bytes, folder: Path) -> None:
    from compiler.importer.command import import_document

    path = folder / "source.txt"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass"))
    try:
        import_document(path, folder / "out" / "final.yaml")
    except PolicyError as exc:
        for d in exc.diagnostics:
            assert not d.message.isascii(), f"{d.code}: not Chinese: {d.message}"
        assert render_all(exc.diagnostics)
    except UsageError as exc:
        assert not str(exc).isascii()


@budget(ci=15, long=400, seconds=10)
@given(st.sampled_from(SOURCES), st.data())
def test_fuzz_mutated_source_documents(source: Path, data: st.DataObject) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        _import(data.draw(mutated(source.read_text(encoding="utf-8"))), Path(folder))


@budget(ci=100, long=10000, seconds=5)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_fuzz_random_source_documents(content: str | bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        _import(content, Path(folder))


def test_items_numbered_from_two_import(tmp_path: Path) -> None:
    """Found by fuzzing: items numbered from （二） crashed the importer (zh_number(0)); now a
    located diagnostic saying the items' numbering is broken."""
    from compiler.importer.command import import_document

    path = tmp_path / "s.txt"
    path.write_text("某市专项资金管理办法\n第一章 总则\n第一条 奖励事项及金额：\n（二）获得银奖的，给予10万元奖励；\n"
                    "（三）获得铜奖的，给予5万元奖励。\n第二条 本办法自发布之日起施行。\n", encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        import_document(path, tmp_path / "o" / "final.yaml")
    assert "项的编号不连续" in info.value.diagnostics[0].message and info.value.diagnostics[0].span is not None


def test_a_source_of_one_comment_character_is_refused_cleanly(tmp_path: Path) -> None:
    """Found by fuzzing: a source whose only character is stripped as page furniture crashed (IndexError)."""
    with pytest.raises(PolicyError) as info:
        from compiler.importer.command import import_document

        path = tmp_path / "source.txt"
        path.write_bytes(b"#")
        import_document(path, tmp_path / "out" / "final.yaml")
    assert info.value.diagnostics[0].code in ("E605", "E601")


@pytest.mark.parametrize("default", ["[]", "{a: 1}", "true", "5吨", "abc"])
def test_a_bad_default_for_a_number_fact_fails_validate(default: str) -> None:
    """Found by fuzzing: validate accepted `default: []` on a number fact and code generation
    crashed; every default a number fact cannot hold is now a located E302."""
    text = SEEDS["mini.yaml"][1].replace("    unit: 万元\n", f"    unit: 万元\n    default: {default}\n", 1)
    assert f"default: {default}" in text
    with pytest.raises(PolicyError) as info:
        policy_from_tree(parse_yaml(text, "m.yaml"), "m.yaml")
    assert any(d.code == "E302" and "缺省值" in d.message and d.span is not None for d in info.value.diagnostics)


# -- the diff -------------------------------------------------------------------------------------

@budget(ci=300, long=30000, seconds=2)
@given(st.text(max_size=80), st.text(max_size=80))
def test_fuzz_text_diff(old: str, new: str) -> None:
    from compiler.diff.tokens import inline_ops
    from compiler.diff.wording import describe_change

    ops = inline_ops(old, new)
    assert ops is not None
    describe_change(old, new)


@cache
def _draft() -> Policy:
    from compiler.model.load import load_policy

    return load_policy(HAMI / "draft.yaml")


@budget(ci=25, long=2500, seconds=15)
@given(st.data())
def test_fuzz_diff_of_mutated_versions(data: st.DataObject) -> None:
    from compiler.diff.compare import compare
    from compiler.diff.render_html import render_html
    from compiler.diff.render_md import render_markdown

    new = load_any(data.draw(mutated(SEEDS["final.yaml"][1])), "m.yaml", "policy")
    if new is None:
        return
    result = compare(_draft(), new, old_file="draft.yaml", new_file="m.yaml")
    assert render_markdown(result) and render_html(result)


def test_fuzz_budget_is_fixed_in_ci() -> None:
    """The CI budget is reproducible: derandomized, with no example database."""
    if not LONG:
        assert budget(1, 2).derandomize and budget(1, 2).max_examples == 1
    assert Decimal(1)  # keeps the Decimal import honest for FACT_VALUES' places=2 decimals


# -- batch inputs (CSV and Excel) -------------------------------------------------------------------

def _batch(path: Path, tmp: Path) -> None:
    """`policyc batch` on a hostile roster: a result (exit 0, or 1 with the bad rows located), or
    the project's own diagnostic; never another exception (exit 3) and never a usage error."""
    import contextlib
    import io

    from compiler.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(["batch", str(HAMI / "final.yaml"), str(path), "--as-of", "2026-06-01", "-o", str(tmp / "out.xlsx")])
    assert code in (0, 1), err.getvalue()
    assert "内部错误" not in err.getvalue() and "Traceback" not in err.getvalue()


@cache
def _roster_header() -> str:
    from compiler.batch.columns import layout
    from compiler.model.load import load_policy

    return ",".join(c.header for c in layout(load_policy(HAMI / "final.yaml")).columns)


CSV_CELLS = st.one_of(
    st.sampled_from(["是", "否", "true", "企业", "其他", "中国质量奖", "中国质量奖、CNAS实验室认可", "2026-06-01",
                     "2026-02-30", "２０２６-06-01", "1.5", "-3", "=1+1", "@SUM(A1)", "", " ", "\"", "20万元"]),
    st.text(max_size=12),
)


@budget(ci=40, long=4000, seconds=20)
@given(st.lists(st.lists(CSV_CELLS, min_size=0, max_size=26), max_size=6), st.sampled_from(["utf-8", "gb18030"]))
def test_fuzz_batch_csv(rows: list[list[str]], encoding: str) -> None:
    import csv
    import io
    import tempfile

    buffer = io.StringIO()
    buffer.write(_roster_header() + "\n")
    csv.writer(buffer).writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.csv"
        path.write_bytes(buffer.getvalue().encode(encoding, "replace"))
        _batch(path, Path(folder))


@budget(ci=25, long=2500, seconds=20)
@given(st.binary(max_size=64), st.integers(min_value=0, max_value=4000))
def test_fuzz_batch_damaged_xlsx(junk: bytes, at: int) -> None:
    """An .xlsx damaged anywhere (a zip with bytes overwritten) is refused with a diagnostic."""
    import tempfile

    from openpyxl import Workbook

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster.xlsx"
        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.append(_roster_header().split(","))
        ws.append(["甲公司", "91650000000000001A", "2026-06-01", "中国质量奖"])
        wb.save(path)
        data = bytearray(path.read_bytes())
        at %= max(len(data), 1)
        data[at : at + len(junk)] = junk
        path.write_bytes(bytes(data))
        _batch(path, Path(folder))
