"""Benchmark: generated evaluator vs tree-walking interpreter on the Hami fund, same run.

    python benchmarks/bench_evaluator.py [--n 100000] [--seed 1]

Both engines evaluate the same generated applications, once with full traces and once in batch
mode (trace=False, the same decisions without trace entries); the script checks they agree on a
sample, then prints applications/second for each and the ratio. It also
times `policyc build` of every policy against parsing the same YAML files with PyYAML alone.
Timings are measured in one run because the machine is noisy; compare ratios, not seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from compiler import build  # noqa: E402
from compiler.evaluate.cases import compile_evaluator  # noqa: E402
from compiler.evaluate.interpreter import Interpreter  # noqa: E402
from compiler.model.load import load_policy  # noqa: E402
from compiler.source.files import find_policy_files  # noqa: E402

HAMI = ROOT / "policies/hami-quality-fund/final.yaml"
COUNTS = [
    "主导制定国家标准数", "主导制定行业标准数", "参与制定地方标准数", "主导修订团体标准数",
]  # fmt: skip


def applications(n: int, seed: int, qualifications: list[str]) -> list[tuple[dict[str, Any], dt.date]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        facts: dict[str, Any] = {
            "单位所在地在哈密市": rng.random() < 0.95,
            "单位类型": rng.choice(["企业", "企业", "企业", "事业单位", "社会组织", "其他"]),
            "申报资格": rng.sample(qualifications, rng.choice([0, 1, 1, 1, 2, 3])),
            "以往取得资格": rng.sample(qualifications, rng.choice([0, 0, 1])),
            "已获奖励资格": rng.sample(qualifications, rng.choice([0, 0, 0, 1])),
            "符合产业政策": rng.random() < 0.97,
            "取得法定资质": rng.random() < 0.98,
            "列入失信名单": rng.random() < 0.03,
            "列入负面清单": rng.random() < 0.01,
            "已获得同类政策支持": rng.random() < 0.05,
            "与质量强市建设相关": rng.random() < 0.98,
            "存在其他违法违规情形": rng.random() < 0.01,
        }
        for name in COUNTS:
            facts[name] = rng.choice([0, 0, 0, 1, 2])
        if rng.random() < 0.05:
            facts["弄虚作假认定日期"] = dt.date(2023 + rng.randint(0, 3), rng.randint(1, 12), 1)
        if rng.random() < 0.1:
            facts["年度剩余预算"] = Decimal(rng.choice([100000, 500000, 3000000]))
        out.append((facts, dt.date(2026, 5, 1) + dt.timedelta(days=rng.randint(0, 1200))))
    return out


def seconds(fn: Any, apps: list[tuple[dict[str, Any], dt.date]], trace: bool) -> float:
    start = time.perf_counter()
    for facts, day in apps:
        fn(facts, day, trace=trace)
    return time.perf_counter() - start


def compare(generated: Any, interpreter: Any, apps: list[tuple[dict[str, Any], dt.date]], trace: bool) -> None:
    # Interleave the two engines chunk by chunk so machine noise hits both alike; the ratio of
    # each chunk is kept and the median reported (robust against a burst of load).
    chunk = max(1, len(apps) // 20)
    gen_time = int_time = 0.0
    ratios = []
    for i in range(0, len(apps), chunk):
        part = apps[i : i + chunk]
        g = seconds(generated, part, trace)
        t = seconds(interpreter, part, trace)
        gen_time, int_time = gen_time + g, int_time + t
        ratios.append(t / g)
    gen_rate, int_rate = len(apps) / gen_time, len(apps) / int_time
    label = "with full traces" if trace else "without traces (batch mode)"
    print(f"-- {label}")
    print(f"   generated evaluator:      {gen_rate:>10,.0f} applications/s")
    print(f"   tree-walking interpreter: {int_rate:>10,.0f} applications/s")
    print(f"   ratio generated/interpreter: {gen_rate / int_rate:.1f}x overall, "
          f"median of {len(ratios)} interleaved chunks {statistics.median(ratios):.1f}x "
          f"(min {min(ratios):.1f}x, max {max(ratios):.1f}x)")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    policy = load_policy(HAMI)
    generated = compile_evaluator(policy, HAMI)
    interpreter = Interpreter(policy).evaluate
    apps = applications(args.n, args.seed, policy.qualifications())
    for facts, day in apps[:2000]:
        assert generated(facts, day) == interpreter(facts, day)
        assert generated(facts, day, trace=False) == interpreter(facts, day, trace=False)
    print(f"applications: {len(apps):,} (Hami fund, 42 award items)")
    compare(generated, interpreter, apps, trace=True)
    compare(generated, interpreter, apps, trace=False)

    files = find_policy_files(ROOT / "policies")
    runs = 5
    start = time.perf_counter()
    for _ in range(runs):
        build.build_all(ROOT)
    build_s = (time.perf_counter() - start) / runs
    start = time.perf_counter()
    for _ in range(runs):
        for f in files:
            yaml.safe_load(f.read_text(encoding="utf-8"))
    parse_s = (time.perf_counter() - start) / runs
    print(f"policyc build (all {len(files)} policies): {build_s * 1000:.0f} ms; "
          f"PyYAML parse alone: {parse_s * 1000:.0f} ms; ratio {build_s / parse_s:.1f}x")


if __name__ == "__main__":
    main()
