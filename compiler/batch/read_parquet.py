"""Reading a Parquet batch input with pyarrow, one record batch at a time.

A Parquet file has no cells, so it is located like the CSV exported from it: the schema's
column names are row 1 (the header, letters A, B, … in schema order) and the k-th record is row
k + 1. Values come as Python values of their Arrow type (text, whole and decimal numbers, dates,
booleans, lists of text for a multi-choice fact) and are read by the same column rules as a
spreadsheet's cells; a float NaN (how pandas writes a missing number) is an empty cell. A column
of a type that is not a cell value (binary, struct, map, time of day, …) is reported at its
header and read as absent.

pyarrow belongs to the optional `scale` extra; `available()` says whether it is installed.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from compiler.batch.problems import Problem, column_letter

BATCH_ROWS = 4096  # records decoded at a time (a batch becomes Python values at once)


def available() -> bool:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        return False
    return True


def _readable(kind: Any) -> bool:
    import pyarrow.types as pt

    if pt.is_list(kind) or pt.is_large_list(kind):
        return _readable(kind.value_type) and not (pt.is_list(kind.value_type) or pt.is_large_list(kind.value_type))
    if pt.is_dictionary(kind):
        return _readable(kind.value_type)
    return bool(pt.is_string(kind) or pt.is_large_string(kind) or pt.is_boolean(kind) or pt.is_integer(kind)
                or pt.is_floating(kind) or pt.is_decimal(kind) or pt.is_date(kind) or pt.is_timestamp(kind)
                or pt.is_null(kind))


def open_parquet(path: Path, problems: list[Problem]) -> Any | None:
    """The pyarrow ParquetFile, or None with the file's problem recorded."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path)
    except (pa.ArrowException, OSError, ValueError) as exc:
        problems.append(Problem(path.name, "", f"不是有效的 Parquet 文件（{type(exc).__name__}）"))
        return None


def header_cells(pf: Any, sheet: str, problems: list[Problem]) -> tuple[list[Any], list[bool]]:
    """The schema's column names (the header row) and which columns can be read."""
    schema = pf.schema_arrow
    names: list[Any] = list(schema.names)
    readable = []
    for j, f in enumerate(schema):
        ok = _readable(f.type)
        readable.append(ok)
        if not ok:
            problems.append(Problem(sheet, f"{column_letter(j)}1",
                                    f"列「{f.name}」的 Parquet 类型 {f.type} 不能作为单元格读取；"
                                    "应为文字、数值、日期、是/否或文字列表", 1))
    return names, readable


def _cell(value: Any) -> Any:
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, list):
        return "、".join(str(v) for v in value if v is not None)
    return value


def record_rows(pf: Any, readable: Sequence[bool], first: int,
                row_groups: Sequence[int] | None = None) -> Iterator[tuple[int, list[Any], list[str]]]:
    """(row number, cells, no formulas) of the records of `row_groups` (all when None), the first
    numbered `first`."""
    number = first
    for batch in pf.iter_batches(batch_size=BATCH_ROWS, row_groups=row_groups, use_threads=False):
        columns = [batch.column(j).to_pylist() if ok else [None] * batch.num_rows
                   for j, ok in enumerate(readable)]
        for cells in zip(*columns, strict=True):
            yield number, [_cell(v) for v in cells], []
            number += 1


def parquet_rows(path: Path, problems: list[Problem]) -> Iterator[tuple[int, list[Any], list[str]]]:
    """The header row, then every record: what InputFile reads a sheet from."""
    pf = open_parquet(path, problems)
    if pf is None:
        return
    names, readable = header_cells(pf, path.name, problems)
    yield 1, names, []
    yield from record_rows(pf, readable, 2)
