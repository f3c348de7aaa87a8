"""Benchmark: `policyc batch` end to end on synthetic Hami applications, xlsx → xlsx.

    python benchmarks/bench_batch.py [--sizes 10000 100000] [--seed 1] [--budget 300万元] [--reader auto|stream|whole]

For each size it writes a synthetic 申报汇总 workbook (not timed), then runs the batch in a fresh
process — read (`--reader auto`: calamine for a sheet whose XML is at most 48 MiB, streamed above
— 10,000 rows are 9 MB, 100,000 are 92 MB; `stream` or `whole` force one reader), evaluate (the
generated evaluator, trace off), allocate (the
rules across applications, 用完即止), write (the result workbook) — and reports wall time per
phase, applications/second and the child's peak memory (resource.getrusage ru_maxrss). Comparing
the sizes shows how memory grows with N. The machine is noisy: read the figures as rough.
"""

from __future__ import annotations

import argparse
import datetime as dt
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

HAMI = ROOT / "policies/hami-quality-fund/final.yaml"
AS_OF = dt.date(2026, 7, 1)
CLAIMABLE = ["国家级质量强链重点项目", "自治区级质量强链重点项目", "中国质量奖", "中国质量奖提名奖", "自治区政府质量奖",
             "哈密市政府质量奖提名奖", "CNAS实验室认可", "国家级检验检测平台", "自治区级检验检测平台",
             "全国优秀质量管理小组（质量信得过班组）", "新疆品质区域公共品牌认证"]


def make_input(path: Path, n: int, seed: int) -> None:
    from openpyxl import Workbook

    from compiler.batch.columns import layout
    from compiler.model.load import load_policy

    rng = random.Random(seed)
    headers = [c.header for c in layout(load_policy(HAMI)).columns]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("申报汇总")
    ws.append(headers)
    for _ in range(n):
        org = rng.randrange(max(1, n * 4 // 5))  # about one organisation in five applies twice
        row = {
            "统一社会信用代码": f"916522{org:012d}", "单位名称": f"哈密市第{org}号有限公司",
            "申报日期": (AS_OF - dt.timedelta(days=rng.randrange(1, 120))).isoformat(),
            "在哈密市依法设立": "是" if rng.random() < 0.97 else "否", "单位类型": "企业",
            "申报资格": "、".join(rng.sample(CLAIMABLE, rng.randrange(0, 3))),
            "主导制定地方标准数": rng.choice([0, 0, 0, 1, 2]), "符合产业政策": "是",
            "取得法定资质": "是", "列入失信名单": "是" if rng.random() < 0.02 else "否", "列入负面清单": "否",
            "已获得同类政策支持": "否", "与质量强市建设相关": "是", "存在其他违法违规情形": "否",
        }
        ws.append([row.get(h) for h in headers])
    wb.save(path)


def child(src: Path, out: Path, budget: str, reader: str) -> None:
    from compiler.batch import read_xlsx
    from compiler.batch.columns import parse_amount
    from compiler.batch.command import write_outputs
    from compiler.batch.run import run_batch
    from compiler.model.load import load_policy

    if reader != "auto":
        read_xlsx.STREAM_ABOVE = -1 if reader == "stream" else 1 << 62
    t0 = time.perf_counter()
    policy = load_policy(HAMI)
    t1 = time.perf_counter()
    result = run_batch(policy, HAMI, src, AS_OF, parse_amount(budget))
    t2 = time.perf_counter()
    write_outputs(result, [out])
    t3 = time.perf_counter()
    print(json.dumps({
        "rows": len(result.apps), "claims": len(result.claims), "bad": len(result.bad_apps),
        "load_policy_s": t1 - t0, "read_evaluate_allocate_s": t2 - t1, "write_s": t3 - t2, "total_s": t3 - t0,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "paid": str(result.allocation.paid), "carried": str(result.allocation.carried),
        "output_mb": out.stat().st_size / 1e6,
    }))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--budget", default="300万元")
    ap.add_argument("--reader", choices=["auto", "stream", "whole"], default="auto")
    ap.add_argument("--child", nargs=4, metavar=("SRC", "OUT", "BUDGET", "READER"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(Path(args.child[0]), Path(args.child[1]), args.child[2], args.child[3])
        return
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            src, out = Path(tmp) / f"in-{n}.xlsx", Path(tmp) / f"out-{n}.xlsx"
            make_input(src, n, args.seed)
            proc = subprocess.run([sys.executable, __file__, "--child", str(src), str(out), args.budget, args.reader],
                                  check=True, capture_output=True, text=True)
            r = json.loads(proc.stdout)
            print(f"N={n:>7}: {r['total_s']:6.1f} s end to end ({n / r['total_s']:,.0f} applications/s; "
                  f"read+evaluate+allocate {r['read_evaluate_allocate_s']:.1f} s, write {r['write_s']:.1f} s), "
                  f"peak memory {r['peak_rss_mb']:.0f} MB, {r['claims']} claims, input {src.stat().st_size / 1e6:.1f} MB, "
                  f"output {r['output_mb']:.1f} MB, paid {r['paid']}, carried {r['carried']}")


if __name__ == "__main__":
    main()
