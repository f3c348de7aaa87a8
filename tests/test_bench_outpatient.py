"""The outpatient benchmark's two engines compute the same payments (benchmarks/bench_outpatient.py):
its workload generator, the generated evaluator and the OpenFisca model on about 2,000 visits.
Skipped when openfisca-core (the `bench` extra) is not installed. Timings are never asserted."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("openfisca_core", reason="openfisca-core is in the optional `bench` extra")

ROOT = Path(__file__).resolve().parent.parent


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_outpatient", ROOT / "benchmarks/bench_outpatient.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    return _bench()


def test_workload_is_seeded_and_mixed(bench: ModuleType) -> None:
    people = bench.workload(2000, 7)
    assert people == bench.workload(2000, 7)
    visits = [v for _, vs in people for v in vs]
    assert len(visits) == 2000
    assert all(1 <= len(vs) <= 40 for _, vs in people)
    assert {v["医疗机构级别"] for v in visits} == {"一级", "二级", "三级", "未定级"}
    assert {v["就诊方式"] for v in visits} == set(bench.MODES)
    assert any(v["就诊类别"] == "日间手术" for v in visits)
    assert any(v["住院期间"] for v in visits) and any(v["急诊抢救"] for v in visits)
    assert any(f["符合条件的退休人员"] for f, _ in people)
    for _, vs in people:
        assert [v["就诊日期"] for v in vs] == sorted(v["就诊日期"] for v in vs)


def test_both_engines_agree_on_2000_visits(bench: ModuleType) -> None:
    people = bench.workload(2000, 3)
    module = bench.load_generated()
    exact = bench.run_generated(module, people, trace=False)
    per_visit = bench.generated_per_visit(module, people)
    assert sum(per_visit, Decimal(0)) == exact
    assert exact > 0 and exact == exact.quantize(Decimal("0.01"))
    hand_sum, hand = bench.run_hand_written(people)
    assert hand == per_visit and hand_sum == exact  # the yardstick computes the same, to the 分
    paid, total = bench.run_openfisca(people)
    assert len(paid) == len(per_visit) == 2000
    assert abs(float(total) - float(exact)) <= 0.01 * len(paid)
    # Per visit: float32 and half-up ties at the 分 differ by a 分 a visit, and the visit on which
    # the annual cap binds carries the running difference of the person-year's earlier visits.
    diffs = [abs(float(paid[i]) - float(a)) for i, a in enumerate(per_visit)]
    assert max(diffs) <= 0.01 * 40
    assert sum(d > 0.011 for d in diffs) <= len(diffs) // 100
    # The annual cap binds for someone (no day surgery): both engines stop at 4000元 that year.
    start, capped = 0, 0
    for _facts, visits in people:
        end = start + len(visits)
        ours = sum(per_visit[start:end], Decimal(0))
        if ours == 4000 and all(v["就诊类别"] == "普通门诊" for v in visits):
            capped += 1
            assert abs(float(paid[start:end].astype("float64").sum()) - 4000) < 0.01
        start = end
    assert capped >= 1


def test_trace_on_gives_the_same_sum(bench: ModuleType) -> None:
    people = bench.workload(300, 5)
    module = bench.load_generated()
    assert bench.run_generated(module, people, trace=True) == bench.run_generated(module, people, trace=False)


def test_amounts_and_the_values_openfisca_shows_agree(bench: ModuleType) -> None:
    """The numbers-only path gives the documents' sum; OpenFisca, asked for every value the
    generated result shows for a visit, computes the same values (to float32's 分)."""
    people = bench.workload(1500, 11)
    module = bench.load_generated()
    assert bench.run_generated_amounts(module, people) == bench.run_generated(module, people, trace=False)
    shown: dict[str, object] = {}
    bench.run_openfisca(people, None, shown)
    region = bench.read_region()
    values = [r["values"] for facts, visits in people
              for r in module.evaluate(facts, {"就诊": visits}, region, bench.AS_OF, trace=False)["records"]["就诊"]]
    assert set(shown) == set(bench.SHOWN)
    for name, column in shown.items():
        diffs = [abs(float(column[i]) - float(v[name])) for i, v in enumerate(values)]  # type: ignore[index]
        assert max(diffs) <= 0.01 * 40, name  # a 分 a visit at most, over at most 40 visits
        if name != "本年度普通门诊累计支付":  # a running total carries the earlier visits' 分
            assert sum(d > 0.011 for d in diffs) <= len(diffs) // 50, name
