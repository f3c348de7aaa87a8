"""Benchmark: the generated evaluator of the Hami fund against two baselines, in the same run.

    python benchmarks/bench_evaluator.py [--n 100000] [--seed 1]

Baselines: a hand-written evaluator (benchmarks/hand_written_hami.py: what a careful programmer
writes for speed — same inputs, same fact checks, same Decimal amounts and result shape, no
trace) and the tree-walking interpreter. Every engine evaluates the same generated applications;
the script first checks they agree on a sample, then times them interleaved chunk by chunk, in
batch mode (trace=False) and with full traces, and prints applications/second and the ratios
(median of the chunks). It also times `policyc build` of every policy against parsing the same
YAML files with PyYAML alone. The machine is noisy: compare ratios, not seconds.
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
sys.path.insert(0, str(ROOT / "benchmarks"))

import yaml  # noqa: E402
from hand_written_hami import evaluate as hand_written  # noqa: E402

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


def seconds(fn: Any, apps: list[tuple[dict[str, Any], dt.date]], trace: bool | None) -> float:
    """Seconds to evaluate `apps`; trace None: an engine that takes no trace argument."""
    start = time.perf_counter()
    if trace is None:
        for facts, day in apps:
            fn(facts, day)
    else:
        for facts, day in apps:
            fn(facts, day, trace=trace)
    return time.perf_counter() - start


def compare(engines: dict[str, Any], apps: list[tuple[dict[str, Any], dt.date]], trace: bool) -> None:
    """Time each engine over the same chunks, in turn, so machine noise hits them alike; print
    rates and, for the generated evaluator, its time as a ratio to each other engine's."""
    chunk = max(1, len(apps) // 20)
    totals = dict.fromkeys(engines, 0.0)
    per_chunk: dict[str, list[float]] = {name: [] for name in engines}
    for i in range(0, len(apps), chunk):
        part = apps[i : i + chunk]
        for name, (fn, traced) in engines.items():
            t = seconds(fn, part, trace if traced else None)
            totals[name] += t
            per_chunk[name].append(t)
    print(f"-- {'with full traces' if trace else 'without traces (batch mode)'}")
    for name in engines:
        print(f"   {name + ':':<28}{len(apps) / totals[name]:>10,.0f} applications/s")
    gen = per_chunk["generated evaluator"]
    for name in engines:
        if name == "generated evaluator":
            continue
        ratios = [g / o for g, o in zip(gen, per_chunk[name], strict=True)]
        # The fastest chunk of each engine is the least disturbed by other load on the machine.
        best = min(gen) / min(per_chunk[name])
        print(f"   time generated / {name}: median {statistics.median(ratios):.2f}x, "
              f"fastest chunks {best:.2f}x (range {min(ratios):.2f}–{max(ratios):.2f}x over {len(ratios)} chunks)")


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
        assert generated(facts, day, trace=False) == interpreter(facts, day, trace=False) == hand_written(facts, day)
    print(f"applications: {len(apps):,} (Hami fund, 42 award items)")
    compare({"generated evaluator": (generated, True), "hand-written evaluator": (hand_written, False),
             "tree-walking interpreter": (interpreter, True)}, apps, trace=False)
    compare({"generated evaluator": (generated, True), "hand-written evaluator": (hand_written, False),
             "tree-walking interpreter": (interpreter, True)}, apps, trace=True)

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
