"""Benchmark: `policyc batch --engine dask` on a Parquet input, against the plain single-process loop.

    python benchmarks/bench_scale.py [--rows 200000] [--workers 1 2] [--seed 1] [--chunk 50000]

Writes N synthetic Hami applications to Parquet (not timed; row groups of --chunk records), then,
each in a fresh process: the single-process run (`run_batch`, the Parquet read in record batches)
and the Dask engine on a LocalCluster of 1 and 2 worker processes (loopback; the cluster's start-up
is timed apart). Each writes the Parquet results. Reported: wall time, records/second, the
speed-up over the single process, the client's peak memory and each worker's (ru_maxrss), and
whether the results are byte-identical to the single process's. On the 2-core machine this is
measured on, two workers share the cores with the client and the scheduler: read the speed-up as
what the partitioning costs and gives, not as what a cluster of separate machines would give.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_batch import AS_OF, CLAIMABLE, HAMI  # noqa: E402  (this folder, run as a script)


def make_input(path: Path, n: int, seed: int, chunk: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from compiler.batch.columns import layout
    from compiler.model.load import load_policy

    rng = random.Random(seed)
    headers = [c.header for c in layout(load_policy(HAMI)).columns]
    columns: dict[str, list[object]] = {h: [] for h in headers}
    for _ in range(n):
        org = rng.randrange(max(1, n * 4 // 5))
        row = {
            "统一社会信用代码": f"916522{org:012d}", "单位名称": f"哈密市第{org}号有限公司",
            "申报日期": AS_OF.fromordinal(AS_OF.toordinal() - rng.randrange(1, 120)),
            "在哈密市依法设立": "是" if rng.random() < 0.97 else "否", "单位类型": "企业",
            "申报资格": rng.sample(CLAIMABLE, rng.randrange(0, 3)),
            "主导制定地方标准数": rng.choice([0, 0, 0, 1, 2]), "符合产业政策": "是",
            "取得法定资质": "是", "列入失信名单": "是" if rng.random() < 0.02 else "否", "列入负面清单": "否",
            "已获得同类政策支持": "否", "与质量强市建设相关": "是", "存在其他违法违规情形": "否",
        }
        for h in headers:
            columns[h].append(row.get(h))
    pq.write_table(pa.table(columns), path, row_group_size=chunk)


def child(mode: str, src: Path, out: Path, workers: int, chunk: int) -> None:
    from compiler.batch.columns import parse_amount
    from compiler.batch.results_parquet import write_parquet
    from compiler.batch.run import run_batch
    from compiler.model.load import load_policy

    policy = load_policy(HAMI)
    budget = parse_amount("300万元")
    startup = 0.0
    worker_mb: list[float] = []
    if mode == "single":
        t0 = time.perf_counter()
        result = run_batch(policy, HAMI, src, AS_OF, budget)
        write_parquet(result, out)
        total = time.perf_counter() - t0
    else:
        import logging

        from distributed import Client, LocalCluster

        from compiler.batch.scale import run_dask

        s0 = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                               dashboard_address=None, worker_dashboard_address=None, silence_logs=logging.CRITICAL)
        client = Client(cluster)
        startup = time.perf_counter() - s0
        t0 = time.perf_counter()
        result = run_dask(policy, HAMI, src, AS_OF, budget, client=client, rows_per_chunk=chunk)
        write_parquet(result, out)
        total = time.perf_counter() - t0
        usage = client.run(lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        worker_mb = sorted(float(v) for v in usage.values())
        client.close()
        cluster.close()
    print(json.dumps({
        "rows": len(result.apps), "total_s": total, "startup_s": startup,
        "client_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "worker_mb": worker_mb,
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(), "paid": str(result.allocation.paid),
    }))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--chunk", type=int, default=50_000)
    ap.add_argument("--child", nargs=4, metavar=("MODE", "SRC", "OUT", "WORKERS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]), Path(args.child[2]), int(args.child[3]), args.chunk)
        return
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "in.parquet"
        make_input(src, args.rows, args.seed, args.chunk)
        print(f"N={args.rows:,} applications in Parquet ({src.stat().st_size / 1e6:.1f} MB, row groups of {args.chunk:,})")
        runs = [("single", 0), *(("dask", w) for w in args.workers)]
        base: dict[str, object] | None = None
        for mode, w in runs:
            out = Path(tmp) / f"out-{mode}-{w}.parquet"
            proc = subprocess.run([sys.executable, __file__, "--chunk", str(args.chunk), "--child", mode, str(src),
                                   str(out), str(w)], check=True, capture_output=True, text=True)
            r = json.loads(proc.stdout.strip().splitlines()[-1])
            base = base or r
            assert isinstance(base["total_s"], float)
            label = "single process" if mode == "single" else f"dask, {w} worker{'s' if w > 1 else ''}"
            extra = ""
            if mode == "dask":
                extra = (f", cluster start {r['startup_s']:.1f} s, speed-up {base['total_s'] / r['total_s']:.2f}×, "
                         f"peak per worker {', '.join(f'{m:.0f}' for m in r['worker_mb'])} MB, "
                         f"results {'identical' if r['sha256'] == base['sha256'] else 'DIFFERENT'}")
            print(f"  {label:<18} {r['total_s']:6.1f} s ({r['rows'] / r['total_s']:,.0f} records/s), "
                  f"client peak {r['client_mb']:.0f} MB{extra}")


if __name__ == "__main__":
    main()
