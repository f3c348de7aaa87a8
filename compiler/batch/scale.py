"""`policyc batch … --engine dask`: the same generated evaluator over partitions of a Parquet or CSV
input, on a Dask cluster (dask.dataframe + distributed), then the budget allocation on the client.

1. The client plans the input without reading its records: a Parquet file's row groups (from its
   footer), a CSV's byte ranges (one pass counting quotes, so a quoted line break never splits a
   record), grouped into chunks of about CHUNK_ROWS records that know their first row number. The
   header is read and checked here, as InputFile does (the same problems, at the same cells).
2. Each chunk is read by a worker (`_load`, through `read.data_row`, so a row means what it means
   in a single process) into a dask.dataframe partition: row number, partitioning key, the
   layout's values, the row's cell problems.
3. The frame is shuffled on the partitioning key — the policy's `batch.key` (`partition_columns`)
   — so every record that must be decided together (one applicant's claims; later, one person's
   visits in a year) is in one partition.
4. Each partition is decided by `_decide`: the evaluator's source text (the committed module from
   generated/, checked fresh by evaluate.precompiled, or generated from the policy on the
   client) is shipped in the task and compiled in the worker — nothing is run from a cache or a
   temporary file — each row is decided alone, and the rule that spans one organisation's rows
   (the same 资格认定 paid once, at the highest level) is applied within the partition.
5. The client gathers the small per-application results, puts them back in input order, and
   runs the budget allocation (用完即止 needs the global order) on them: the BatchResult every
   writer reads, equal row for row to a single-process run.

dask[distributed] and pyarrow are the optional `scale` extra.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.batch.allocate import allocate, highest_rule, merge_highest, qualification_key
from compiler.batch.columns import Layout, layout
from compiler.batch.evaluation import (
    Application,
    Claim,
    EvaluatorSource,
    RowEvaluator,
    award_index,
    compile_source,
    evaluator_source,
)
from compiler.batch.read import InputFile, Problem, RawRow, data_row, detect_encoding, org_key
from compiler.batch.run import BatchResult
from compiler.evaluate.cases import Evaluator
from compiler.model.policy import Policy
from compiler.source.diagnostics import UsageError

CHUNK_ROWS = 100_000
MISSING_EXTRA = ("--engine dask 需要可选依赖 dask[distributed] 与 pyarrow，当前环境未安装；"
                 "请运行 pip install 'policyc[scale]' 后重试，或去掉 --engine dask 在单进程中评价")


def available() -> bool:
    try:
        import dask.dataframe  # noqa: F401
        import distributed  # noqa: F401
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def partition_columns(lay: Layout) -> tuple[int, ...]:
    """The layout columns whose values key a partition: the policy's `batch.key` (the layout's
    first column). Records with the same key are decided together and never split; a policy whose
    records group by more than one column (a person and a year) names them here the same way."""
    return tuple(i for i, c in enumerate(lay.columns) if c.header == lay.batch.key)


@dataclass(frozen=True)
class Chunk:
    """A slice of the input a worker reads: Parquet row groups, or a CSV byte range."""

    path: str
    first: int  # the row number of its first record
    row_groups: tuple[int, ...] = ()
    start: int = 0
    end: int = 0


@dataclass(frozen=True)
class Plan:
    """Everything a worker needs, as plain data (sent with the tasks)."""

    kind: str  # "parquet" or "csv"
    sheet: str
    layout: Layout
    awards: dict[str, int]
    qualifications: tuple[str, ...]
    highest: tuple[str, str] | None  # (rule id, cite) of the once-at-highest rule
    source: EvaluatorSource
    as_of: dt.date
    where: tuple[int | None, ...]
    letters: tuple[str, ...]
    readable: tuple[bool, ...]  # Parquet: the columns that can be read
    key_columns: tuple[int, ...]
    encoding: str = ""


# -- planning (on the client) ---------------------------------------------------------------
def _plan_parquet(source: InputFile, rows_per_chunk: int) -> tuple[list[Chunk], tuple[bool, ...]] | None:
    from compiler.batch.read_parquet import header_cells, open_parquet

    pf = open_parquet(source.path, source.problems)
    if pf is None:
        return None
    names, readable = header_cells(pf, source.path.name, source.problems)
    source.header_cells = names
    chunks: list[Chunk] = []
    groups: list[int] = []
    first = row = 2  # the schema is row 1
    for g in range(pf.metadata.num_row_groups):
        groups.append(g)
        row += pf.metadata.row_group(g).num_rows
        if row - first >= rows_per_chunk:
            chunks.append(Chunk(str(source.path), first, tuple(groups)))
            groups, first = [], row
    if groups:
        chunks.append(Chunk(str(source.path), first, tuple(groups)))
    return chunks, tuple(readable)


def _csv_records(path: Path) -> Iterator[tuple[int, int]]:
    """(start, end) byte offsets of each CSV record: a line break ends a record when the quotes
    before it are balanced (a quote inside a field is doubled). In UTF-8 and GB18030 the bytes of
    '"' and '\\n' never occur inside a multi-byte character."""
    with path.open("rb") as f:
        start = pos = quotes = 0
        for line in f:
            pos += len(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                yield start, pos
                start, quotes = pos, 0
        if pos > start:
            yield start, pos


def _csv_cells(data: bytes, encoding: str) -> list[list[Any]]:
    return [[c if c != "" else None for c in cells] for cells in csv.reader(io.StringIO(data.decode(encoding), newline=""))]


def _plan_csv(source: InputFile, rows_per_chunk: int) -> list[Chunk]:
    path = source.path
    source.encoding = encoding = detect_encoding(path)
    chunks: list[Chunk] = []
    records = _csv_records(path)
    number = 0
    with path.open("rb") as f:
        for start, end in records:  # the header: the first record with a value
            number += 1
            f.seek(start)
            try:
                cells = (_csv_cells(f.read(end - start), encoding) or [[]])[0]
            except UnicodeDecodeError:
                source.problems.append(Problem(path.name, "", f"文件编码无法识别（按 {encoding} 读取失败）；请另存为 UTF-8 的 CSV"))
                return []
            if any(v is not None and str(v).strip() for v in cells):
                if number != 1:
                    source.problems.append(Problem(path.name, f"A{number}", "表头应在第1行"))
                source.header_cells = cells
                break
        else:
            return []
    first, begin, count, last = number + 1, -1, 0, -1
    for start, end in records:
        if begin < 0:
            begin = start
        count += 1
        last = end
        if count >= rows_per_chunk:
            chunks.append(Chunk(str(path), first, start=begin, end=last))
            first, begin, count = first + count, -1, 0
    if count:
        chunks.append(Chunk(str(path), first, start=begin, end=last))
    return chunks


# -- on the workers -------------------------------------------------------------------------
def _records(chunk: Chunk, plan: Plan) -> Iterator[tuple[int, list[Any]]]:
    if plan.kind == "parquet":
        import pyarrow.parquet as pq

        from compiler.batch.read_parquet import record_rows

        pf = pq.ParquetFile(chunk.path)
        for number, cells, _ in record_rows(pf, plan.readable, chunk.first, list(chunk.row_groups)):
            yield number, cells
        return
    with open(chunk.path, "rb") as f:
        f.seek(chunk.start)
        data = f.read(chunk.end - chunk.start)
    try:
        records = _csv_cells(data, plan.encoding)
    except UnicodeDecodeError:
        # reported by the client as a file problem (a negative row is not a record)
        yield -chunk.first, [Problem(plan.sheet, "", f"文件编码无法识别（第{chunk.first}行起按 {plan.encoding} 读取失败）；"
                                                   "请另存为 UTF-8 的 CSV", chunk.first)]
        return
    for i, cells in enumerate(records):
        yield chunk.first + i, cells


def _load(chunk: Chunk, plan: Plan) -> Any:
    """A chunk → a partition: row, key, values (by layout column), problems (of its cells)."""
    import pandas as pd

    rows: list[int] = []
    keys: list[str] = []
    values: list[list[Any]] = []
    problems: list[list[Problem]] = []
    where = list(plan.where)
    letters = list(plan.letters)
    for number, cells in _records(chunk, plan):
        if number < 0:
            rows.append(number)
            keys.append("")
            values.append([])
            problems.append(cells)
            continue
        raw = data_row(plan.sheet, number, cells, where, letters)
        if raw is None:
            continue
        rows.append(number)
        keys.append("\x1f".join(org_key(raw.values[k]) if raw.values[k] is not None else "" for k in plan.key_columns))
        values.append(raw.values)
        problems.append(raw.problems)
    return _frame(pd, rows, keys, values, problems)


def _frame(pd: Any, rows: list[int], keys: list[str], values: list[list[Any]], problems: list[list[Problem]]) -> Any:
    return pd.DataFrame({
        "row": pd.Series(rows, dtype="int64"), "key": pd.Series(keys, dtype=object),
        "values": pd.Series(values, dtype=object), "problems": pd.Series(problems, dtype=object),
    })


_COMPILED: dict[str, Evaluator] = {}  # this process's evaluators, by the sha256 of the text sent


def _evaluator(source: EvaluatorSource) -> Evaluator:
    digest = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
    if digest not in _COMPILED:
        _COMPILED[digest] = compile_source(source)
    return _COMPILED[digest]


# (applications, claims, duplicates (claim, the claim it repeats), file problems), indices local
Part = tuple[list[Application], list[Claim], list[tuple[int, int]], list[Problem]]
# The same as plain tuples, to travel back to the client: pickling a tuple of values is done in
# C, a dataclass instance through its __reduce_ex__ (four times slower, measured).
Packed = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[int, int]], list[Problem]]
_APP_FIELDS = ("seq", "sheet", "row", "key", "name", "time", "problems")
_CLAIM_FIELDS = ("app", "award", "amount", "status", "rule", "cite", "reason", "other", "left")


def _pack(part: Part) -> Packed:
    apps, claims, dups, problems = part
    return ([tuple(getattr(a, f) for f in _APP_FIELDS) for a in apps],
            [tuple(getattr(c, f) for f in _CLAIM_FIELDS) for c in claims], dups, problems)


def _unpack(packed: Packed) -> Part:
    apps, claims, dups, problems = packed
    return [Application(*a) for a in apps], [Claim(*c) for c in claims], dups, problems


def _decide_packed(frame: Any, plan: Plan) -> Packed:
    return _pack(_decide(frame, plan))


def _decide(frame: Any, plan: Plan) -> Part:
    """One partition: each row decided alone, then the once-at-highest rule over its
    organisations (all of whose rows are here). Application.seq is local, in row order."""
    decide = RowEvaluator(plan.awards, plan.layout, _evaluator(plan.source), plan.as_of)
    frame = frame.sort_values("row")
    apps: list[Application] = []
    claims: list[Claim] = []
    file_problems: list[Problem] = []
    letters = list(plan.letters)
    for number, values, problems in zip(frame["row"].tolist(), frame["values"].tolist(), frame["problems"].tolist(),
                                        strict=True):
        if number < 0:
            file_problems += problems
            continue
        app, mine = decide(RawRow(plan.sheet, number, list(values), letters, list(problems)))
        apps.append(app)
        claims += mine
    duplicates: list[tuple[int, int]] = []
    if plan.highest is not None:
        merge_highest(plan.qualifications, apps, claims, plan.highest[0], plan.highest[1], duplicates)
    return apps, claims, duplicates, file_problems


# -- back on the client ---------------------------------------------------------------------
def _merge(parts: Sequence[Part]) -> tuple[list[Application], list[Claim], list[tuple[int, int]]]:
    """The partitions' results in input order, with global application and claim indices."""
    order = sorted((app.row, p, a) for p, (apps, _, _, _) in enumerate(parts) for a, app in enumerate(apps))
    by_app: list[list[list[int]]] = []  # partition → local app → its local claim indices
    for apps, claims, _, _ in parts:
        mine: list[list[int]] = [[] for _ in apps]
        for i, c in enumerate(claims):
            mine[c.app].append(i)
        by_app.append(mine)
    apps_out: list[Application] = []
    claims_out: list[Claim] = []
    where: dict[tuple[int, int], int] = {}  # (partition, local claim) → global claim
    for seq, (_, p, a) in enumerate(order):
        app = parts[p][0][a]
        app.seq = seq
        apps_out.append(app)
        for i in by_app[p][a]:
            c = parts[p][1][i]
            c.app = seq
            where[(p, i)] = len(claims_out)
            claims_out.append(c)
    for p, (_, claims, _, _) in enumerate(parts):
        for c in claims:
            if c.other is not None:
                c.other = where[(p, c.other)]
    duplicates = [(where[(p, i)], where[(p, w)]) for p, (_, _, dups, _) in enumerate(parts) for i, w in dups]
    return apps_out, claims_out, duplicates


class _Cluster:
    """A client of the given scheduler, or of a LocalCluster started here (loopback only)."""

    def __init__(self, scheduler: str | None, workers: int | None) -> None:
        from distributed import Client, LocalCluster

        self.cluster: Any = None
        try:
            if scheduler is not None:
                self.client = Client(scheduler, timeout="20s")
                if workers:
                    self.client.wait_for_workers(workers, timeout=120)
            else:
                self.cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True,
                                            host="127.0.0.1", dashboard_address=None, worker_dashboard_address=None,
                                            silence_logs=logging.CRITICAL)
                self.client = Client(self.cluster)
        except (OSError, TimeoutError) as exc:
            self.close()
            where = f" Dask 调度器「{scheduler}」" if scheduler else "本机 Dask 集群"
            raise UsageError(f"无法连接{where}（{type(exc).__name__}）；检查地址（如 tcp://10.0.0.5:8786）、"
                             "网络与工作进程数") from None

    def close(self) -> None:
        client = getattr(self, "client", None)
        if client is not None:
            client.close()
        if self.cluster is not None:
            self.cluster.close()


def run_dask(policy: Policy, policy_path: Path, input_path: Path, as_of: dt.date, budget: Decimal | None, *,
             scheduler: str | None = None, workers: int | None = None, client: Any = None,
             rows_per_chunk: int = CHUNK_ROWS, tick: Callable[[int], None] | None = None) -> BatchResult:
    """The batch on Dask: `client` (an existing distributed.Client) or a new one (see _Cluster)."""
    lay = layout(policy)
    source = InputFile(input_path, lay)
    plan, chunks, opened = _plan(policy, policy_path, source, as_of, rows_per_chunk)
    parts: list[Part] = []
    if plan is not None and chunks:
        own = _Cluster(scheduler, workers) if client is None else None
        try:
            parts = _compute(own.client if own is not None else client, plan, chunks, tick)
        finally:
            if own is not None:
                own.close()
    apps, claims, duplicates = _merge(parts)
    for p in sorted({p for part in parts for p in part[3]}, key=lambda p: p.row or 0):
        source.problems.append(Problem(p.sheet, p.cell, p.reason))
    if not apps and opened:
        source.problems.append(Problem(input_path.name, "", "没有申报数据（除表头和填写说明外没有数据行）"))
    rule = highest_rule(policy)
    allocation = allocate(policy, apps, claims, budget, as_of, merged=duplicates if rule is not None else None)
    committed = plan.source.committed if plan is not None else False
    return BatchResult(policy, lay, input_path.name, as_of, apps, claims, source.problems, allocation,
                       "命令行 --budget" if allocation.budget is not None else "", committed, source.encoding)


def _plan(policy: Policy, policy_path: Path, source: InputFile, as_of: dt.date,
          rows_per_chunk: int) -> tuple[Plan | None, list[Chunk], bool]:
    """The plan and the chunks, and whether the file could be opened as a table (as InputFile,
    which then reports a table without data rows)."""
    path = source.path
    if not path.is_file() or path.stat().st_size == 0:
        source.problems.append(Problem(path.name, "", "文件为空（0 字节），没有可读取的申报数据"))
        return None, [], False
    kind = "parquet" if path.suffix.lower() == ".parquet" else "csv"
    readable: tuple[bool, ...] = ()
    if kind == "parquet":
        planned = _plan_parquet(source, rows_per_chunk)
        if planned is None:
            return None, [], True
        chunks, readable = planned
    else:
        chunks = _plan_csv(source, rows_per_chunk)
    header = source.header_cells
    if header is None:
        return None, [], not (source.problems and source.problems[-1].reason.startswith("文件编码无法识别"))
    where, letters = source.header(path.name, header)
    rule = highest_rule(policy)
    plan = Plan(kind, path.name, source.layout, award_index(policy), tuple(qualification_key(a) for a in policy.awards),
                (rule.id, rule.clause.cite) if rule is not None else None, evaluator_source(policy, policy_path), as_of,
                tuple(where), tuple(letters), readable, partition_columns(source.layout), source.encoding or "")
    return plan, chunks, True


def _compute(client: Any, plan: Plan, chunks: list[Chunk], tick: Callable[[int], None] | None) -> list[Part]:
    import dask
    import dask.dataframe as dd
    import pandas as pd
    from distributed import as_completed

    with dask.config.set({"dataframe.convert-string": False}):
        meta = _frame(pd, [], [], [], [])
        frame = dd.from_map(_load, chunks, plan=plan, meta=meta, enforce_metadata=False)
        shuffled = frame.shuffle(on="key", npartitions=len(chunks), shuffle_method="tasks")
        tasks = [dask.delayed(_decide_packed)(part, plan) for part in shuffled.to_delayed()]
        futures = client.compute(tasks)
        index = {f.key: i for i, f in enumerate(futures)}
        packed: list[Packed] = [([], [], [], [])] * len(futures)
        done = 0
        for future in as_completed(futures):
            packed[index[future.key]] = result = future.result()  # fetched once, as each finishes
            done += len(result[0])
            if tick is not None:
                tick(done - done % 500)  # the progress bar redraws on multiples of 500
    return [_unpack(p) for p in packed]
