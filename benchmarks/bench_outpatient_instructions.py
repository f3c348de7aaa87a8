"""Benchmark: instructions per outpatient visit (callgrind), which a shared machine's load does not disturb.

    python benchmarks/bench_outpatient_instructions.py [--visits 5000] [--seed 1]

Needs valgrind. Wall times on a shared machine move by tens of per cent from one run to the
next (benchmarks/bench_outpatient.py therefore interleaves rounds); the number of instructions
executed does not. Each engine runs in its own process under `valgrind --tool=callgrind` twice —
once building the workload and loading the evaluator only, once also evaluating every visit — and
the difference, divided by the visits, is what one visit costs:

* generated, amounts — `evaluate_amounts` of generated/xj-outpatient-mutual-aid/final.py (the
  settlement's numbers, trace off);
* generated, documents — `evaluate(..., trace=False)` (the result documents);
* hand-written — benchmarks/hand_written_outpatient.py, the floor for pure Python.

The workload is benchmarks/bench_outpatient.py's (seeded person-years of 2025).
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ("amounts", "documents", "hand")


def _child(engine: str, visits: int, seed: int, run: bool) -> None:
    """What one measured process does."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_outpatient as bench
    from hand_written_outpatient import Outpatient

    people = bench.workload(visits, seed)
    region = bench.read_region()
    spec = importlib.util.spec_from_file_location("generated_outpatient", bench.GENERATED)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    hand = Outpatient(region)
    read = module.read_region_file(region)  # once for the roster, in both runs
    if not run:
        return
    for facts, visit_list in people:
        if engine == "amounts":
            module.evaluate_amounts(facts, {"就诊": visit_list}, read, bench.AS_OF)
        elif engine == "documents":
            module.evaluate(facts, {"就诊": visit_list}, read, bench.AS_OF, trace=False)
        else:
            hand.person_year(facts, visit_list)


def _instructions(engine: str, visits: int, seed: int, run: bool) -> int:
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
               "--child", engine, "--visits", str(visits), "--seed", str(seed)] + (["--run"] if run else [])  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise SystemExit(f"callgrind printed no count:\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--visits", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child, args.visits, args.seed, args.run)
        return 0
    if shutil.which("valgrind") is None:
        print("需要 valgrind（apt-get install valgrind）", file=sys.stderr)
        return 2
    per_visit: dict[str, float] = {}
    for engine in ENGINES:
        base = _instructions(engine, args.visits, args.seed, False)
        total = _instructions(engine, args.visits, args.seed, True)
        per_visit[engine] = (total - base) / args.visits
    hand = per_visit["hand"]
    print(f"instructions per visit (callgrind, {args.visits} visits, seed {args.seed}):")
    labels: dict[str, Any] = {"amounts": "generated, amounts", "documents": "generated, documents",
                              "hand": "hand-written Decimal"}  # fmt: skip
    for engine in ENGINES:
        print(f"  {labels[engine]:21s} {per_visit[engine]:9,.0f}  ({per_visit[engine] / hand:.2f}× hand-written)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
