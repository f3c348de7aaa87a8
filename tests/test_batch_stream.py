"""policyc batch: the streaming .xlsx reader (a long sheet) reads what calamine reads, and the
result sheets written as XML hold what openpyxl would have written."""

from __future__ import annotations

import datetime as dt
import tempfile
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

import tests.test_batch as tb
from compiler.batch import read_xlsx
from compiler.batch.run import run_batch
from compiler.batch.tables import sheets
from compiler.batch.workbook import result_workbook
from tests.conftest import HAMI

TEXTS = st.lists(st.sampled_from([*"甲乙丙 &<>\"'=+-@ab1\t", "\x01", "&#20013;", "&amp;"]), max_size=8).map("".join)


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(read_xlsx, "STREAM_ABOVE", -1)  # every sheet is long


def test_acceptance_streamed(streamed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tb.test_acceptance_detail_and_carried(tmp_path, capsys)


def test_bad_input_streamed(streamed: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """formulas, a merged cell, a number in a date column, an unknown value, an extra sheet"""
    tb.test_bad_input_is_located_and_good_rows_still_evaluated(tmp_path, capsys)


def test_column_b_claims_sheet_and_control_characters_streamed(streamed: None, tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    for sub in "bcd":
        (tmp_path / sub).mkdir()
    tb.test_a_sheet_that_starts_in_column_b_is_located_right(tmp_path / "b")
    tb.test_claims_as_rows_of_the_claims_sheet(tmp_path / "c")
    tb.test_a_control_character_in_a_cell_is_located_not_a_crash(tmp_path / "d", capsys)


def test_a_damaged_long_sheet_is_a_file_problem(streamed: None, tmp_path: Path) -> None:
    src = tb.write_xlsx(tmp_path / "in.xlsx", tb.ACCEPTANCE)
    damaged = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(damaged, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<c r="B3"', b'<c r="XFE3"')  # beyond Excel's last column
            zout.writestr(info, data)
    result = run_batch(tb.policy(), HAMI, damaged, tb.AS_OF, None)
    assert any(p.reason.startswith("不是有效的 Excel 文件") for p in result.problems)


def _cells(path: Path) -> list[tuple[Any, ...]]:
    with zipfile.ZipFile(path) as z:
        book = read_xlsx.Workbook(z)
        return [(n, tuple(cells), tuple(f)) for n, cells, f in book.rows("xl/worksheets/sheet1.xml")]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.one_of(st.none(), TEXTS, st.integers(-10**6, 10**6), st.booleans(),
                                   st.dates(dt.date(1950, 1, 1), dt.date(2100, 1, 1)),
                                   st.decimals(-10**6, 10**6, places=2)), min_size=1, max_size=5),
                min_size=1, max_size=5))
def test_the_stream_reads_what_openpyxl_wrote(rows: list[list[Any]]) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    clean = [[v.replace("\x01", "") if isinstance(v, str) else v for v in r] for r in rows]
    for r in clean:
        ws.append(r)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "x.xlsx"
        wb.save(path)
        got = {(n, j): v for n, cells, _ in _cells(path) for j, v in enumerate(cells) if v is not None}
    want = {}
    for i, r in enumerate(clean, start=1):
        for j, v in enumerate(r):
            if v is None or v == "":
                continue
            if isinstance(v, str) and v.startswith("="):
                continue  # openpyxl writes it as a formula: reported, not read
            want[(i, j)] = float(f"{float(v):.16g}") if isinstance(v, int | Decimal) and not isinstance(v, bool) else v
    got = {k: v for k, v in got.items() if not (isinstance(v, str) and v == "")}
    assert got == want


@settings(max_examples=12, deadline=None)
@given(st.lists(TEXTS, min_size=1, max_size=6))
def test_rows_written_as_xml_read_back_as_written(names: list[str]) -> None:
    """Names of any text (formula-like, markup, character references) in the long sheets, read back."""
    rows = [tb.app("单位" + name.replace("\x01", ""), f"9165000000000000{i}X", "2026-06-01", "CNAS实验室认可")
            for i, name in enumerate(names)]
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        result = run_batch(tb.policy(), HAMI, tb.write_xlsx(t / "in.xlsx", rows), tb.AS_OF, None)
        out = t / "r.xlsx"
        out.write_bytes(result_workbook(sheets(result), tb.AS_OF))
        detail = tb.sheet_rows(out, "明细")
        public = tb.sheet_rows(out, "公示名单")
        with zipfile.ZipFile(out) as z:
            assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/"))
        wb = load_workbook(out)  # the whole workbook parses
        assert wb.sheetnames[:4] == ["汇总", "明细", "结转下年度", "公示名单"]
    assert [r[3] for r in detail[1:]] == [a.name for a in result.apps]
    assert [(r[1], r[3]) for r in public[1:]] == [(a.name, Decimal(100000)) for a in result.apps]
