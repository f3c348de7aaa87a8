"""The batch result as Parquet (`-o 结果.parquet`): the 明细 table, one row per claim, for the
next program (a fund's settlement system, a data warehouse) rather than for a reader.

The columns are 明细's, in its order, plus 决定代码 (paid, refused, merged, carried, bad_input,
none): 序号 and 行号 int64, 金额（元） decimal128(20, 2) (from Decimal, to the fen, never a float;
null when nothing is paid or carried), the rest UTF-8 text. Rows are written in row groups as
they are produced (never the whole table in memory), to a temporary file beside the target that
replaces it when complete. The bytes depend only on the result and the pyarrow version.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.batch.run import BAD_ZH, DECISION_ZH, BatchResult
from compiler.batch.tables import DETAIL_HEADERS, detail_sheet
from compiler.source.files import atomic_target

GROUP_ROWS = 16384  # rows per row group, held as Python values until written
CODE_HEADER = "决定代码"
_CODES = {**{zh: code for code, zh in DECISION_ZH.items()}, BAD_ZH: "bad_input", "未申报": "none"}
_CENT = Decimal("0.01")


def _schema() -> Any:
    import pyarrow as pa

    fields = []
    for h in DETAIL_HEADERS:
        if h in ("序号", "行号"):
            fields.append(pa.field(h, pa.int64()))
        elif h == "金额（元）":
            fields.append(pa.field(h, pa.decimal128(20, 2)))
        else:
            fields.append(pa.field(h, pa.string()))
    fields.append(pa.field(CODE_HEADER, pa.string()))
    return pa.schema(fields)


def write_parquet(result: BatchResult, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    decision = DETAIL_HEADERS.index("决定")
    amount = DETAIL_HEADERS.index("金额（元）")
    with atomic_target(path) as tmp, pq.ParquetWriter(str(tmp), schema, compression="zstd") as writer:
        columns: list[list[Any]] = [[] for _ in schema]

        def flush() -> None:
            writer.write_table(pa.Table.from_arrays(
                [pa.array(c, type=f.type) for c, f in zip(columns, schema, strict=True)], schema=schema))
            for c in columns:
                c.clear()

        for row in detail_sheet(result).sections[0].rows():
            for j, v in enumerate(row):
                if j == amount and isinstance(v, Decimal):
                    v = v.quantize(_CENT)
                elif j not in (0, 2, amount) and v is not None:
                    v = str(v)
                columns[j].append(v)
            columns[-1].append(_CODES[str(row[decision])])
            if len(columns[0]) >= GROUP_ROWS:
                flush()
        if columns[0]:
            flush()
