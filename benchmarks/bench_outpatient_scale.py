"""Benchmark: a province's outpatient visits in Parquet through the generated evaluator on Dask,
against a plain single-process loop over the same file, in one run.

    python benchmarks/bench_outpatient_scale.py [--visits 10000000] [--workers 1,2] [--seed 1]
                                                [--dir /tmp/policyc-visits] [--group-rows 250000]

Needs the `scale` extra (pyarrow, dask[distributed]).

1. The input: `--visits` synthetic visits of 2025 (the seeded workload of
   benchmarks/bench_outpatient.py: person-years of 1–40 visits, levels, retirees, day surgeries,
   emergencies …) written to one Parquet file, one row per visit with the person-year's key and
   facts, amounts as decimal128(12, 2), dates as date32. Row groups end on a person-year
   boundary: a person's visits in a year are decided together (running totals, the annual cap),
   so a row group is the unit a worker takes, and no shuffle is needed. (A claims extract that is
   not grouped would be shuffled on the key first, as `policyc batch --engine dask` does.)
2. Each engine reads the row groups, turns each into the evaluator's input (facts, the visits in
   date order), runs the committed generated module
   (generated/xj-outpatient-mutual-aid/final.py, shipped as source text and compiled in the
   worker: nothing is run from a cache or a temporary file) — `evaluate_amounts`, the same
   settlement's numbers without the result document — and writes the payment of every visit
   to a Parquet part file (decimal128, no floats), returning its visit count and exact sum.
3. Printed: wall time, visits/second, the speed-up over the single process, peak memory (maximum
   resident set) of the single process and of each worker, and the sums, which must be equal.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

from bench_outpatient import workload  # noqa: E402

GENERATED = ROOT / "generated/xj-outpatient-mutual-aid/final.py"
POLICY = ROOT / "policies/xj-outpatient-mutual-aid/final.yaml"
REGION = ROOT / "policies/xj-outpatient-mutual-aid/regions/example.yaml"
AS_OF = dt.date(2025, 12, 31)
FIELDS = ("就诊日期", "就诊类别", "就诊方式", "医疗机构级别", "依托实体医疗机构级别", "急诊抢救", "住院期间",
          "政策范围内费用", "门诊慢特病限额内费用")


def _schema() -> Any:
    import pyarrow as pa

    money = pa.decimal128(12, 2)
    return pa.schema([
        ("参保人年度", pa.int64()), ("符合条件的退休人员", pa.bool_()), ("本年度共用限额此前已支付", money),
        ("就诊日期", pa.date32()), ("就诊类别", pa.string()), ("就诊方式", pa.string()),
        ("医疗机构级别", pa.string()), ("依托实体医疗机构级别", pa.string()), ("急诊抢救", pa.bool_()),
        ("住院期间", pa.bool_()), ("政策范围内费用", money), ("门诊慢特病限额内费用", money),
    ])


def write_input(path: Path, visits: int, seed: int, group_rows: int) -> int:
    """The synthetic visits as Parquet, row groups ending on person-year boundaries; returns the
    number of row groups."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = _schema()
    writer = pq.ParquetWriter(path, schema)
    groups, key, made = 0, 0, 0
    while made < visits:
        batch = workload(min(group_rows, visits - made), seed + groups)  # whole person-years
        columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        for facts, rows in batch:
            key += 1
            for visit in rows:
                columns["参保人年度"].append(key)
                columns["符合条件的退休人员"].append(facts["符合条件的退休人员"])
                columns["本年度共用限额此前已支付"].append(facts.get("本年度共用限额此前已支付", Decimal(0)))
                for name in FIELDS:
                    columns[name].append(visit.get(name))
                made += 1
        writer.write_table(pa.table(columns, schema=schema), row_group_size=len(columns["参保人年度"]))
        groups += 1
    writer.close()
    return groups


def decide_group(source: str, region: dict[str, Any], path: str, group: int, out_dir: str) -> tuple[int, str, int]:
    """One row group: every person-year in it through the generated evaluator (trace off); the
    payments of every visit written to out_dir/part-<group>.parquet. Returns (visits, exact sum as
    text, peak resident memory in KiB)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    namespace: dict[str, Any] = {"__name__": "policyc_generated_outpatient"}
    exec(compile(source, str(GENERATED), "exec"), namespace)  # noqa: S102 - the committed module's text
    evaluate = namespace["evaluate_amounts"]  # the numbers of each settlement, without its document
    table = pq.ParquetFile(path).read_row_group(group)
    rows = table.to_pylist()
    keys: list[int] = []
    paid: list[Decimal] = []
    total = Decimal(0)
    start = 0
    while start < len(rows):
        key = rows[start]["参保人年度"]
        end = start
        while end < len(rows) and rows[end]["参保人年度"] == key:
            end += 1
        first = rows[start]
        facts = {"符合条件的退休人员": first["符合条件的退休人员"],
                 "本年度共用限额此前已支付": first["本年度共用限额此前已支付"]}
        visits = [{k: v for k, v in ((n, r[n]) for n in FIELDS) if v is not None} for r in rows[start:end]]
        result = evaluate(facts, {"就诊": visits}, region, AS_OF)
        columns = result.columns["就诊"]  # each row: refusals, trace (None), then these values
        ordinary, surgery = 2 + columns.index("本次普通门诊统筹支付"), 2 + columns.index("本次日间手术统筹支付")
        for row in result.rows["就诊"]:
            keys.append(key)
            paid.append(row[ordinary] + row[surgery])
        total += result.total
        start = end
    out = pa.table({"参保人年度": pa.array(keys, pa.int64()), "统筹基金支付": pa.array(paid, pa.decimal128(14, 2))})
    pq.write_table(out, Path(out_dir) / f"part-{group:05d}.parquet")
    return len(rows), str(total), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def run_single(source: str, region: dict[str, Any], path: Path, groups: int, out: Path) -> tuple[int, Decimal]:
    visits, total = 0, Decimal(0)
    for g in range(groups):
        n, s, _ = decide_group(source, region, str(path), g, str(out))
        visits, total = visits + n, total + Decimal(s)
    return visits, total


def run_dask(source: str, region: dict[str, Any], path: Path, groups: int, out: Path,
             workers: int) -> tuple[int, Decimal, list[int]]:
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as cluster, Client(cluster) as client:
        futures = [client.submit(decide_group, source, region, str(path), g, str(out), pure=False)
                   for g in range(groups)]
        results = client.gather(futures)
        peaks = sorted(client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss).values())
    visits = sum(r[0] for r in results)
    total = sum((Decimal(r[1]) for r in results), Decimal(0))
    return visits, total, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=10_000_000)
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=Path("/tmp/policyc-visits"))
    parser.add_argument("--group-rows", type=int, default=250_000)
    args = parser.parse_args()
    from compiler.evaluate.precompiled import fresh_module

    if fresh_module(POLICY, POLICY.read_text(encoding="utf-8"), ROOT / "generated") is None:
        sys.exit("generated/ is stale: run policyc build first")
    source = GENERATED.read_text(encoding="utf-8")
    region = yaml.safe_load(REGION.read_text(encoding="utf-8"))
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "visits.parquet"
    t = time.perf_counter()
    groups = write_input(path, args.visits, args.seed, args.group_rows)
    print(f"输入：{args.visits:,} 次就诊，{groups} 个行组，{path.stat().st_size / 2**20:.0f} MiB，"
          f"生成用时 {time.perf_counter() - t:.1f} s")
    out = args.dir / "single"
    out.mkdir(exist_ok=True)
    t = time.perf_counter()
    visits, total = run_single(source, region, path, groups, out)
    single = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"single process : {single:8.1f} s  {visits / single:10,.0f} visits/s  peak {peak / 1024:.0f} MiB"
          f"  sum {total} 元")
    for workers in (int(w) for w in args.workers.split(",")):
        out = args.dir / f"dask-{workers}"
        out.mkdir(exist_ok=True)
        t = time.perf_counter()
        n, s, peaks = run_dask(source, region, path, groups, out, workers)
        wall = time.perf_counter() - t
        same = "same sum" if (n, s) == (visits, total) else f"DIFFERENT: {n} visits, {s} 元"
        print(f"dask, {workers} worker{'s' if workers > 1 else ' '}: {wall:8.1f} s  {n / wall:10,.0f} visits/s  "
              f"speed-up {single / wall:.2f}×  peak per worker {', '.join(f'{p / 1024:.0f}' for p in peaks)} MiB"
              f"  {same}")


if __name__ == "__main__":
    main()
