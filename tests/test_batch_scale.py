"""policyc batch: Parquet in and out, and the Dask engine (--engine dask) against the single process."""

from __future__ import annotations

import csv
import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
distributed = pytest.importorskip("distributed")

from compiler.batch import scale  # noqa: E402
from compiler.batch.columns import layout  # noqa: E402
from compiler.batch.results_parquet import write_parquet  # noqa: E402
from compiler.batch.run import BatchResult, run_batch  # noqa: E402
from compiler.batch.scale import run_dask  # noqa: E402
from compiler.cli import main  # noqa: E402
from tests.conftest import HAMI  # noqa: E402
from tests.test_batch import ACCEPTANCE, AS_OF, app, headers, policy, sheet_rows, write_xlsx  # noqa: E402

CLAIMABLE = ["国家级质量强链重点项目", "自治区级质量强链重点项目", "中国质量奖", "中国质量奖提名奖", "自治区政府质量奖",
             "CNAS实验室认可", "国家级检验检测平台", "自治区级检验检测平台"]


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    """One LocalCluster (loopback, 2 worker processes) for the module: starting one takes seconds."""
    import logging

    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, worker_dashboard_address=None,
                                       silence_logs=logging.CRITICAL)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def write_parquet_input(path: Path, rows: list[dict[str, Any]], *, row_group_size: int = 2,
                        types: dict[str, Any] | None = None, drop: tuple[str, ...] = ()) -> Path:
    hs = [h for h in headers() if h not in drop]
    fields = [pa.field(h, (types or {}).get(h, pa.string())) for h in hs]
    table = pa.table({h: [r.get(h) for r in rows] for h in hs}, schema=pa.schema(fields))
    pq.write_table(table, path, row_group_size=row_group_size)
    return path


def write_csv_input(path: Path, rows: list[dict[str, Any]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(headers())
        for r in rows:
            w.writerow(["" if r.get(h) is None else r.get(h) for h in headers()])
    return path


def detail(result: BatchResult, tmp: Path, name: str) -> tuple[bytes, list[dict[str, Any]]]:
    out = tmp / name
    write_parquet(result, out)
    return out.read_bytes(), pq.read_table(out).to_pylist()


# -- Parquet, single process ----------------------------------------------------------------
def test_parquet_input_decides_like_the_workbook(tmp_path: Path) -> None:
    xlsx = run_batch(policy(), HAMI, write_xlsx(tmp_path / "in.xlsx", ACCEPTANCE), AS_OF, Decimal(750000))
    par = run_batch(policy(), HAMI, write_parquet_input(tmp_path / "in.parquet", ACCEPTANCE), AS_OF, Decimal(750000))
    assert par.problems == [] and not par.failed
    assert [(c.app, c.award, c.status, c.amount) for c in par.claims] == \
        [(c.app, c.award, c.status, c.amount) for c in xlsx.claims]
    assert [a.row for a in par.apps] == [2, 3, 4, 5]  # the schema is row 1, as in the CSV exported from it


def test_parquet_results_read_back_and_are_deterministic(tmp_path: Path) -> None:
    src = write_parquet_input(tmp_path / "in.parquet", ACCEPTANCE)
    out = tmp_path / "结果.parquet"
    argv = ["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "--budget", "75万元", "-o", str(out)]
    assert main(argv) == 0
    first = out.read_bytes()
    assert main(argv) == 0
    assert out.read_bytes() == first
    table = pq.read_table(out)
    assert table.schema.field("金额（元）").type == pa.decimal128(20, 2)
    rows = table.to_pylist()
    got = [(r["行号"], r["奖励事项"], r["决定"], r["决定代码"], r["金额（元）"]) for r in rows]
    assert got == [
        (2, "国家级质量强链重点项目", "核拨", "paid", Decimal("200000.00")),
        (2, "中国质量奖", "结转下年度", "carried", Decimal("600000.00")),
        (3, "自治区级质量强链重点项目", "不重复核拨", "merged", None),
        (3, "中国质量奖", "不重复核拨", "merged", None),
        (4, "自治区政府质量奖", "不予奖励", "refused", None),
        (5, "CNAS实验室认可", "结转下年度", "carried", Decimal("100000.00")),
    ]
    assert rows[1]["如何改变结果"].startswith("预算不足，结转至2027年度")


def test_bad_parquet_is_reported_at_its_row_and_column(tmp_path: Path) -> None:
    rows = [app("甲公司", "91650000000000001A", "2026-06-01", "中国质量奖"),
            app("乙公司", "91650000000000002B", "2026-06-02", "CNAS实验室认可")]
    rows[0]["申报日期"], rows[1]["申报日期"] = 46174, 45000  # numbers in the date column
    rows[0]["符合产业政策"], rows[1]["符合产业政策"] = 1, 0  # numbers in a 是/否 column
    types = {"申报日期": pa.int64(), "符合产业政策": pa.int64(), "取得法定资质": pa.binary()}
    for r in rows:
        r["取得法定资质"] = b"\x01"
    src = write_parquet_input(tmp_path / "bad.parquet", rows, types=types, drop=("与质量强市建设相关",))
    result = run_batch(policy(), HAMI, src, AS_OF, None)
    file_problems = {(p.cell, p.reason.split("；")[0]) for p in result.problems}
    letter = headers().index("取得法定资质")  # no column dropped before it
    assert (f"{chr(65 + letter)}1", "列「取得法定资质」的 Parquet 类型 binary 不能作为单元格读取") in file_problems
    assert ("A1", "表头缺少必填列「与质量强市建设相关」") in file_problems
    cells = {(p.row, p.cell): p.reason for a in result.apps for p in a.problems}
    date_col = chr(65 + headers().index("申报日期"))
    bool_col = chr(65 + headers().index("符合产业政策"))
    assert cells[(3, f"{date_col}3")].startswith("「申报日期」日期列中填了数字「45000」")
    assert cells[(2, f"{bool_col}2")] == "「符合产业政策」应填「是」或「否」，实际是「1」"
    assert result.failed
    out = tmp_path / "r.parquet"
    assert main(["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "-o", str(out)]) == 1
    assert {r["决定代码"] for r in pq.read_table(out).to_pylist()} == {"bad_input"}


def test_a_file_that_is_not_parquet(tmp_path: Path) -> None:
    src = tmp_path / "x.parquet"
    src.write_bytes(b"PAR1 not really")
    result = run_batch(policy(), HAMI, src, AS_OF, None)
    assert [p.reason for p in result.problems][0].startswith("不是有效的 Parquet 文件")


# -- the Dask engine ------------------------------------------------------------------------
@st.composite
def rosters(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(1, 14))):
        org = draw(st.integers(0, 4))
        day = dt.date(2026, 5, 1) + dt.timedelta(days=draw(st.integers(0, 50)))
        claims = "、".join(draw(st.lists(st.sampled_from(CLAIMABLE), max_size=3, unique=True)))
        row = app(f"单位{org}", f"9165000000000000{org}X", day.isoformat(), claims,
                  列入失信名单=draw(st.sampled_from(["否", "否", "否", "是"])))
        spoil = draw(st.sampled_from([None, None, None, None, "date", "bool", "enum", "key"]))
        if spoil == "date":
            row["申报日期"] = "2026-13-01"
        elif spoil == "bool":
            row["符合产业政策"] = "也许"
        elif spoil == "enum":
            row["申报资格"] = "国家级质量强练重点项目"
        elif spoil == "key":
            row["统一社会信用代码"] = None
        row["主导制定地方标准数"] = str(draw(st.integers(0, 2))) if i % 3 == 0 else None
        rows.append(row)
    return rows


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rosters(), kind=st.sampled_from(["parquet", "csv"]), chunk=st.integers(1, 4),
       budget=st.sampled_from([None, Decimal(300000), Decimal(1500000)]))
def test_dask_results_equal_the_single_process_row_for_row(client: Any, rows: list[dict[str, Any]], kind: str,
                                                          chunk: int, budget: Decimal | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        src = write_parquet_input(t / "in.parquet", rows, row_group_size=chunk) if kind == "parquet" \
            else write_csv_input(t / "in.csv", rows)
        one = run_batch(policy(), HAMI, src, AS_OF, budget)
        many = run_dask(policy(), HAMI, src, AS_OF, budget, client=client, rows_per_chunk=chunk)
        a_bytes, a_rows = detail(one, t, "one.parquet")
        b_bytes, b_rows = detail(many, t, "many.parquet")
        assert b_rows == a_rows
        assert b_bytes == a_bytes
        assert (many.allocation.paid, many.allocation.carried, many.allocation.duplicates) == \
            (one.allocation.paid, one.allocation.carried, one.allocation.duplicates)
        assert many.problems == one.problems
        if budget is not None:
            assert many.allocation.paid <= budget
        assert many.allocation.paid + many.allocation.carried == many.allocation.approved


def test_one_applicant_stays_in_one_partition(client: Any, tmp_path: Path) -> None:
    """The shuffle keys on batch.key: 甲's two rows, in different input chunks, are decided in
    one partition — the once-at-highest rule (applied there) sees both."""
    rows = [app("甲公司", "91650000000000001A", "2026-06-01", "自治区级质量强链重点项目"),
            *[app(f"单位{i}", f"9165000000000009{i}X", "2026-06-02", "CNAS实验室认可") for i in range(5)],
            app("甲公司", "91650000000000001a ", "2026-06-03", "国家级质量强链重点项目")]
    src = write_parquet_input(tmp_path / "in.parquet", rows, row_group_size=1)
    assert scale.partition_columns(layout(policy())) == (0,)
    result = run_dask(policy(), HAMI, src, AS_OF, None, client=client, rows_per_chunk=1)
    by_row = {(result.apps[c.app].row, policy().awards[c.award].name): c.status for c in result.claims}
    assert by_row[(2, "自治区级质量强链重点项目")] == "merged"
    assert by_row[(8, "国家级质量强链重点项目")] == "paid"


def test_cli_engine_dask_on_a_scheduler(client: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv_input(tmp_path / "申报.csv", ACCEPTANCE)
    out = tmp_path / "结果.parquet"
    code = main(["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "--budget", "75万元", "-o", str(out),
                 "--engine", "dask", "--scheduler", client.scheduler.address, "--workers", "2", "--format", "json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["paid"], report["carried"], report["duplicates"]) == ("200000", "700000", 1)
    single = tmp_path / "single.parquet"
    assert main(["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "--budget", "75万元", "-o", str(single)]) == 0
    assert out.read_bytes() == single.read_bytes()
    xlsx = tmp_path / "结果.xlsx"  # the workbook from the Dask run is the single process's too
    assert main(["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "--budget", "75万元", "-o", str(xlsx),
                 "--engine", "dask", "--scheduler", client.scheduler.address]) == 0
    assert [r[7] for r in sheet_rows(xlsx, "明细")[1:]] == ["核拨", "结转下年度", "不重复核拨", "不重复核拨", "不予奖励", "结转下年度"]


def test_engine_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_csv_input(tmp_path / "申报.csv", ACCEPTANCE)
    base = ["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "-o", str(tmp_path / "r.parquet")]
    assert main([*base, "--workers", "2"]) == 2  # --workers without --engine dask
    assert "只用于 --engine dask" in capsys.readouterr().err
    xlsx = write_xlsx(tmp_path / "in.xlsx", ACCEPTANCE)
    assert main(["batch", str(HAMI), str(xlsx), "-o", str(tmp_path / "r.xlsx"), "--engine", "dask"]) == 2
    assert "读取 .parquet 或 .csv 输入" in capsys.readouterr().err
    monkeypatch.setattr(scale, "available", lambda: False)
    assert main([*base, "--engine", "dask"]) == 2
    err = capsys.readouterr().err
    assert "需要可选依赖" in err and "pip install 'policyc[scale]'" in err and "Traceback" not in err
