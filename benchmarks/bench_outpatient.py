"""Benchmark: the generated outpatient evaluator against the same formula in OpenFisca, in one run.

    python benchmarks/bench_outpatient.py [--visits 1000000] [--seed 1] [--trace-visits 100000]
                                          [--check-persons 2000] [--profile 0] [--rounds 3]

Needs the `bench` extra (`pip install -e '.[bench]'`: openfisca-core and numpy).

Workload. `workload(n, seed)` draws `n` visits for 2025, grouped by person-year, in date order,
as the claims system hands them over: one dict of facts per person-year and the visits as dicts
with the policy's field names, dates as datetime.date and amounts as Decimal to the 分. Mix
(seeded random.Random): 1–40 visits a person-year (heavy-tailed, mean ≈ 6, so the 4000元 annual
cap binds for some); 30% retirees; hospitals 一级/二级/三级/未定级; 5% “互联网+” visits with the
level of the hospital behind them, 7% prescriptions filled at a designated pharmacy, 3% at a
non-designated provider; 4% emergencies; 3% visits during an inpatient stay; 2% day surgeries
(costs in the thousands); costs log-normal (median ≈ 150元, a long tail into the tens of
thousands); 5% chronic-disease patients with part of some costs covered by that scheme; 1% of
persons who have nearly used the shared annual limit (150000元 in the example region) so that day
surgeries spill into 大额医疗费用补助.

Engines, each timed end to end on the whole workload:
* generated — `generated/xj-outpatient-mutual-aid/final.py`, `evaluate(..., trace=False)` once
  per person-year (reading the region file included), summing the Decimal totals; and with the
  trace on over the first `--trace-visits` visits (a full trace of 1M visits takes minutes and
  the rate does not depend on n).
* hand-written — benchmarks/hand_written_outpatient.py, straight-line Decimal code with no checks
  and no result document: not an engine, the floor for pure Python (its payments must equal the
  generated evaluator's to the 分).
* OpenFisca — the same per-visit formula written as an OpenFisca user would: building the
  tax-benefit system (entities, variables, parameters from the 办法's numbers and the same region
  file), turning the workload into arrays, building the simulation and calculating the fund's
  payment per visit, then summing it; timed twice: calculating the payment only, and also every
  other value the generated evaluator's result shows for a visit (本年度普通门诊累计支付,
  本次转入大额医疗费用补助, 本次个人负担) — the same work as the generated evaluator does.

Modelling in OpenFisca. Two entities: `visit` is the person entity (one row per visit: OpenFisca
computes over arrays of a person entity) and `person_year` the group entity whose members are its
visits, carrying the person-year's facts (retiree, shared limit already used), which formulas read
with the projector `visit.person_year(...)`. One period (the year 2025): every variable is
defined per YEAR and the visit's date only orders the rows. OpenFisca has no operator for
"the earlier records of my group", so the running values are computed the vectorised way on the
rows in order (members contiguous, which the input preparation checks): the number of earlier
counted ordinary visits is a cumulative sum minus the sum before the group's first row; the
annual cap is paid_i = min(C_i, cap) − min(C_{i−1}, cap) with C the running sum of the
per-visit-capped amounts (the same for the shared limit of day surgeries, less what was used
before). The global cumulative sums run in float64 (in float32, 1M visits' running total loses
whole 元) and the results are stored in OpenFisca's float32. A chain of one-level-`where`
formulas would be the literal reading; the variables below follow the 办法's clauses instead.

Printed: both wall times, visits/second, both sums and the difference in 元 from the exact Decimal
sum, the ratio OpenFisca time / generated time, and a per-visit cross-check on the first
`--check-persons` person-years. `--profile N` runs cProfile on the generated evaluator over the
first N visits and prints where the time goes (µs per visit), after timing the phases of
`settle` one by one without the profiler.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import importlib.util
import io
import math
import pstats
import random
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any, cast

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from hand_written_outpatient import Outpatient  # noqa: E402

POLICY_DIR = ROOT / "policies/xj-outpatient-mutual-aid"
REGION_FILE = POLICY_DIR / "regions/example.yaml"
GENERATED = ROOT / "generated/xj-outpatient-mutual-aid/final.py"
YEAR = 2025
AS_OF = dt.date(YEAR, 12, 31)
LEVELS = ("一级", "二级", "三级", "未定级")
MODES = ("定点医疗机构门诊", "互联网医院门诊", "定点零售药店外配处方", "非定点医药机构")

PersonYear = tuple[dict[str, Any], list[dict[str, Any]]]


# -- the workload -----------------------------------------------------------------------------


def _cents(value: float) -> Decimal:
    return Decimal(max(1, round(value * 100))) / 100


def workload(n: int, seed: int) -> list[PersonYear]:
    """`n` visits in 2025 grouped by person-year, in date order (see the module docstring)."""
    rng = random.Random(seed)
    out: list[PersonYear] = []
    left = n
    while left > 0:
        count = min(left, 40, 1 + int(rng.paretovariate(1.6) * 3) - 3 + rng.randrange(4))
        count = max(count, 1)
        left -= count
        retiree = rng.random() < 0.30
        chronic = rng.random() < 0.05
        near_limit = rng.random() < 0.01
        facts: dict[str, Any] = {"符合条件的退休人员": retiree}
        if near_limit:
            facts["本年度共用限额此前已支付"] = _cents(rng.uniform(140000, 150000))
        days = sorted(rng.randrange(365) for _ in range(count))
        home = rng.choices(LEVELS, weights=(40, 30, 20, 10))[0]  # where the person usually goes
        visits: list[dict[str, Any]] = []
        for day in days:
            surgery = rng.random() < 0.02
            mode = rng.choices(MODES, weights=(85, 5, 7, 3))[0]
            level = home if rng.random() < 0.6 else rng.choices(LEVELS, weights=(35, 30, 25, 10))[0]
            if surgery:
                cost = _cents(rng.lognormvariate(math.log(6000), 0.6))
            else:
                cost = _cents(min(rng.lognormvariate(math.log(150), 1.1), 60000))
            visit: dict[str, Any] = {
                "就诊日期": dt.date(YEAR, 1, 1) + dt.timedelta(days=day),
                "就诊类别": "日间手术" if surgery else "普通门诊",
                "就诊方式": mode,
                "医疗机构级别": "未定级" if mode == "互联网医院门诊" else level,
                "急诊抢救": rng.random() < 0.04,
                "住院期间": rng.random() < 0.03,
                "政策范围内费用": cost,
                "门诊慢特病限额内费用": (cost * Decimal(rng.randrange(20, 100)) / 100).quantize(Decimal("0.01"))
                if chronic and rng.random() < 0.3 else Decimal(0),
            }  # fmt: skip
            if mode == "互联网医院门诊":
                visit["依托实体医疗机构级别"] = rng.choice(LEVELS[:3])
            visits.append(visit)
        out.append((facts, visits))
    return out


def read_region() -> dict[str, Any]:
    with REGION_FILE.open(encoding="utf-8") as f:
        region: dict[str, Any] = yaml.safe_load(f)
    return region


# -- the generated evaluator --------------------------------------------------------------------


def load_generated() -> ModuleType:
    spec = importlib.util.spec_from_file_location("xj_outpatient_generated", GENERATED)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_generated(module: ModuleType, people: Sequence[PersonYear], *, trace: bool) -> Decimal:
    """Every person-year through `evaluate`; the exact sum of what the fund pays. The region file is
    read once for the roster (`read_region_file`), as OpenFisca's tax-benefit system is built once."""
    region = module.read_region_file(read_region())
    evaluate: Callable[..., dict[str, Any]] = module.evaluate
    total = Decimal(0)
    for facts, visits in people:
        total += Decimal(evaluate(facts, {"就诊": visits}, region, AS_OF, trace=trace)["total"])
    return total


def run_generated_amounts(module: ModuleType, people: Sequence[PersonYear]) -> Decimal:
    """Every person-year through `evaluate_amounts` (the same settlement, trace off, numbers only:
    what a fund keeps of millions of visits); the exact sum of what the fund pays."""
    region = module.read_region_file(read_region())
    evaluate: Callable[..., Any] = module.evaluate_amounts
    total = Decimal(0)
    for facts, visits in people:
        total += evaluate(facts, {"就诊": visits}, region, AS_OF).total
    return total


def generated_per_visit(module: ModuleType, people: Sequence[PersonYear]) -> list[Decimal]:
    """What the fund pays for each visit (ordinary outpatient + day surgery), in workload order."""
    region = read_region()
    out: list[Decimal] = []
    for facts, visits in people:
        result = module.evaluate(facts, {"就诊": visits}, region, AS_OF, trace=False)
        out.extend(sum((Decimal(v) for v in r["payments"].values()), Decimal(0)) for r in result["records"]["就诊"])
    return out


def run_hand_written(people: Sequence[PersonYear]) -> tuple[Decimal, list[Decimal]]:
    """The yardstick (benchmarks/hand_written_outpatient.py): (sum, per-visit payments)."""
    model = Outpatient(read_region())
    out: list[Decimal] = []
    for facts, visits in people:
        out.extend(model.person_year(facts, visits))
    return sum(out, Decimal(0)), out


# -- OpenFisca --------------------------------------------------------------------------------


def _amount(text: Any) -> float:
    """A region file's "400元", "90%" or number as a float (the unit OpenFisca's parameters use)."""
    s = str(text).strip()
    if s.endswith("%"):
        return float(s[:-1]) / 100
    return float(s.removesuffix("元"))


def openfisca_system(region: Mapping[str, Any]) -> Any:
    """The tax-benefit system: entities, parameters (the 办法's numbers, the region's values) and
    the formula as variables."""
    import numpy as np
    from openfisca_core.entities import build_entity  # type: ignore[import-untyped,unused-ignore]
    from openfisca_core.indexed_enums import Enum  # type: ignore[import-untyped,unused-ignore]
    from openfisca_core.model_api import YEAR as PERIOD  # type: ignore[import-untyped,unused-ignore]
    from openfisca_core.model_api import Variable
    from openfisca_core.parameters import ParameterNode  # type: ignore[import-untyped,unused-ignore]
    from openfisca_core.taxbenefitsystems import TaxBenefitSystem  # type: ignore[import-untyped,unused-ignore]

    visit = build_entity("visit", "visits", "一次门诊就诊", is_person=True)
    person_year = build_entity("person_year", "person_years", "参保人员的一个自然年度",
                               roles=[{"key": "visit", "plural": "visits", "label": "就诊"}])  # fmt: skip

    class Level(Enum):
        yiji = "一级"
        erji = "二级"
        sanji = "三级"
        weidingji = "未定级"

    class Mode(Enum):
        designated = "定点医疗机构门诊"
        internet = "互联网医院门诊"
        pharmacy = "定点零售药店外配处方"
        non_designated = "非定点医药机构"

    class Kind(Enum):
        ordinary = "普通门诊"
        day_surgery = "日间手术"

    one, unrated = cast(Any, Level.yiji).index, cast(Any, Level.weidingji).index  # positions in the enum
    given = region["parameters"]
    since = "2024-04-26"

    def dated(value: float) -> dict[str, Any]:
        return {"values": {since: {"value": value}}}

    def by_level(values: Mapping[str, Any]) -> dict[str, Any]:
        return {key: dated(_amount(values[name])) for key, name in (("yiji", "一级"), ("erji", "二级"), ("sanji", "三级"))}

    parameters = ParameterNode("", data={"outpatient": {
        "first_deductible_share": dated(0.10),  # 第十四条第二款
        "later_deductible_share": dated(0.05),
        "inpatient_deductible": by_level(given["首次住院起付线"]["values"]),  # 统筹地区
        "visit_cap": by_level({"一级": 300, "二级": 800, "三级": 1300}),
        "annual_cap": dated(4000.0),
        "rate": by_level({"一级": "80%", "二级": "70%", "三级": "60%"}),  # 第十四条第三款
        "retiree_increment": dated(0.05),
        "inpatient_rate": by_level(given["住院统筹支付比例"]["values"]),  # 第十七条, 统筹地区
        "shared_annual_limit": dated(_amount(given["统筹基金年度支付限额"]["value"])),  # 第十八条
    }})  # fmt: skip

    def before_in_group(population: Any, values: Any, dtype: Any = np.float64) -> Any:
        """For each visit, the sum of `values` over the earlier visits of its person-year (the
        rows of a person-year are contiguous and in date order)."""
        group = population.simulation.populations["person_year"].members_entity_id
        running = np.cumsum(values, dtype=dtype)
        before = running - values
        first = np.ones(len(group), dtype=bool)
        first[1:] = group[1:] != group[:-1]
        return before - before[first][np.cumsum(first) - 1]

    def capped_running(population: Any, amounts: Any, limit: Any) -> Any:
        """paid_i = min(C_i, limit) − min(C_{i−1}, limit), C the running sum in the person-year."""
        previous = before_in_group(population, amounts.astype(np.float64))
        return np.minimum(previous + amounts, limit) - np.minimum(previous, limit)

    def fen(x: Any) -> Any:
        return np.round(x, 2)

    def make(name: str, entity: Any, value_type: Any, formula: Any = None, **extra: Any) -> type:
        attrs: dict[str, Any] = {"value_type": value_type, "entity": entity, "definition_period": PERIOD,
                                 "label": name, **extra}  # fmt: skip
        if formula is not None:
            attrs["formula"] = formula  # OpenFisca reads it from the class dict, unbound
        return type(name, (Variable,), attrs)

    # Inputs.
    inputs = [
        make("cost", visit, float),  # 政策范围内费用
        make("chronic_part", visit, float),  # 门诊慢特病限额内费用
        make("level", visit, Enum, possible_values=Level, default_value=Level.yiji),
        make("backing_level", visit, Enum, possible_values=Level, default_value=Level.weidingji),
        make("mode", visit, Enum, possible_values=Mode, default_value=Mode.designated),
        make("kind", visit, Enum, possible_values=Kind, default_value=Kind.ordinary),
        make("emergency", visit, bool),
        make("inpatient_stay", visit, bool),
        make("retiree", person_year, bool),
        make("shared_used_before", person_year, float),
    ]

    def applied_level(v: Any, period: Any) -> Any:  # 第二十六条, 第二十七条, 第十四条第三款（未定级参照一级）
        mode, level, backing = v("mode", period), v("level", period), v("backing_level", period)
        chosen = np.where(mode == Mode.internet, backing, level)
        chosen = np.where(mode == Mode.pharmacy, one, chosen)
        return np.where(chosen == unrated, one, chosen)

    def covered(v: Any, period: Any) -> Any:  # 第十四条第一款, 第二十八条
        return (v("mode", period) != Mode.non_designated) + v("emergency", period)

    def counted_visit(v: Any, period: Any) -> Any:  # 第十四条第二款, 第十九条
        return (v("kind", period) == Kind.ordinary) * v("covered", period) * np.logical_not(v("inpatient_stay", period))

    def earlier_counted_visits(v: Any, period: Any) -> Any:
        return before_in_group(v, v("counted_visit", period).astype(np.int64), np.int64)

    def reimbursable(v: Any, period: Any) -> Any:  # 第十九条
        return np.maximum(v("cost", period) - v("chronic_part", period), 0)

    def deductible(v: Any, period: Any, parameters: Any) -> Any:  # 第十四条第二款
        p = parameters(period).outpatient
        share = np.where(v("earlier_counted_visits", period) == 0, p.first_deductible_share, p.later_deductible_share)
        return p.inpatient_deductible[v("applied_level", period)] * share

    def ordinary_rate(v: Any, period: Any, parameters: Any) -> Any:  # 第十四条第三款
        p = parameters(period).outpatient
        return p.rate[v("applied_level", period)] + v.person_year("retiree", period) * p.retiree_increment

    def ordinary_per_visit(v: Any, period: Any, parameters: Any) -> Any:  # 第十四条, 单次限额
        p = parameters(period).outpatient
        due = np.maximum(v("reimbursable", period) - v("deductible", period), 0) * v("ordinary_rate", period)
        capped = fen(np.minimum(due, p.visit_cap[v("applied_level", period)]))
        return np.where(v("counted_visit", period), capped, 0)

    def ordinary_paid(v: Any, period: Any, parameters: Any) -> Any:  # 第十四条第二款, 年度限额
        return capped_running(v, v("ordinary_per_visit", period), parameters(period).outpatient.annual_cap)

    def day_surgery_due(v: Any, period: Any, parameters: Any) -> Any:  # 第十七条
        p = parameters(period).outpatient
        due = np.maximum(v("reimbursable", period) - v("deductible", period), 0) * p.inpatient_rate[v("applied_level", period)]
        return np.where((v("kind", period) == Kind.day_surgery) * v("covered", period), fen(due), 0)

    def day_surgery_paid(v: Any, period: Any, parameters: Any) -> Any:  # 第十八条, 共用年度限额
        limit = parameters(period).outpatient.shared_annual_limit
        left = np.maximum(limit - v.person_year("shared_used_before", period).astype(np.float64), 0)
        return capped_running(v, v("day_surgery_due", period), left)

    def fund_paid(v: Any, period: Any) -> Any:
        return v("ordinary_paid", period) + v("day_surgery_paid", period)

    # The other values the generated evaluator's result shows for each visit (evaluation.outputs).
    def day_surgery_share(v: Any, period: Any, parameters: Any) -> Any:  # 第十七条 日间手术按比例应付
        p = parameters(period).outpatient
        due = np.maximum(v("reimbursable", period) - v("deductible", period), 0) * p.inpatient_rate[v("applied_level", period)]
        return np.where(v("kind", period) == Kind.day_surgery, due, 0)

    def overflow(v: Any, period: Any, parameters: Any) -> Any:  # 第十八条 本次转入大额医疗费用补助
        # What exceeds the shared limit left before this visit, for a covered day surgery only.
        limit = parameters(period).outpatient.shared_annual_limit
        left = np.maximum(limit - v.person_year("shared_used_before", period).astype(np.float64), 0)
        paid = v("day_surgery_paid", period).astype(np.float64)
        remaining = np.maximum(left - before_in_group(v, paid), 0)
        over = np.maximum(v("day_surgery_share", period) - remaining, 0)
        return np.where(v("covered", period), over, 0)

    def personal_burden(v: Any, period: Any) -> Any:  # 第十四条第一款 本次个人负担
        return np.maximum(v("cost", period) - v("chronic_part", period) - v("ordinary_paid", period)
                          - v("day_surgery_paid", period) - v("overflow", period), 0)  # fmt: skip

    def ordinary_year_total(v: Any, period: Any) -> Any:  # 第十四条第二款 本年度普通门诊累计支付
        paid = v("ordinary_paid", period).astype(np.float64)
        return before_in_group(v, paid) + paid

    formulas = [
        make("applied_level", visit, Enum, applied_level, possible_values=Level, default_value=Level.yiji),
        make("covered", visit, bool, covered),
        make("counted_visit", visit, bool, counted_visit),
        make("earlier_counted_visits", visit, int, earlier_counted_visits),
        make("reimbursable", visit, float, reimbursable),
        make("deductible", visit, float, deductible),
        make("ordinary_rate", visit, float, ordinary_rate),
        make("ordinary_per_visit", visit, float, ordinary_per_visit),
        make("ordinary_paid", visit, float, ordinary_paid),
        make("day_surgery_due", visit, float, day_surgery_due),
        make("day_surgery_paid", visit, float, day_surgery_paid),
        make("fund_paid", visit, float, fund_paid),
        make("day_surgery_share", visit, float, day_surgery_share),
        make("overflow", visit, float, overflow),
        make("personal_burden", visit, float, personal_burden),
        make("ordinary_year_total", visit, float, ordinary_year_total),
    ]
    system = TaxBenefitSystem([visit, person_year])
    system.parameters = parameters
    for variable in inputs + formulas:
        system.add_variable(variable)
    return system


def openfisca_inputs(people: Sequence[PersonYear]) -> dict[str, Any]:
    """The workload as OpenFisca's input arrays: one row per visit, one per person-year."""
    import numpy as np

    level_index = {name: i for i, name in enumerate(LEVELS)}
    mode_index = {name: i for i, name in enumerate(MODES)}
    group: list[int] = []
    cost: list[float] = []
    chronic: list[float] = []
    level: list[int] = []
    backing: list[int] = []
    mode: list[int] = []
    surgery: list[bool] = []
    emergency: list[bool] = []
    inpatient: list[bool] = []
    retiree: list[bool] = []
    used: list[float] = []
    for p, (facts, visits) in enumerate(people):
        retiree.append(bool(facts.get("符合条件的退休人员", False)))
        used.append(float(facts.get("本年度共用限额此前已支付", 0)))
        previous = None
        for v in visits:
            day = v["就诊日期"]
            if previous is not None and day < previous:
                raise ValueError(f"第 {p + 1} 个人的就诊记录未按日期排列")
            previous = day
            group.append(p)
            cost.append(float(v["政策范围内费用"]))
            chronic.append(float(v.get("门诊慢特病限额内费用", 0)))
            level.append(level_index[v["医疗机构级别"]])
            backing.append(level_index[v.get("依托实体医疗机构级别") or "未定级"])
            mode.append(mode_index[v["就诊方式"]])
            surgery.append(v.get("就诊类别", "普通门诊") == "日间手术")
            emergency.append(bool(v.get("急诊抢救", False)))
            inpatient.append(bool(v.get("住院期间", False)))
    return {
        "group": np.array(group, dtype=np.int64), "persons": len(people),
        "visit": {
            "cost": np.array(cost, dtype=np.float32), "chronic_part": np.array(chronic, dtype=np.float32),
            "level": np.array(level, dtype=np.int16), "backing_level": np.array(backing, dtype=np.int16),
            "mode": np.array(mode, dtype=np.int16), "kind": np.array(surgery, dtype=np.int16),
            "emergency": np.array(emergency), "inpatient_stay": np.array(inpatient),
        },
        "person_year": {"retiree": np.array(retiree), "shared_used_before": np.array(used, dtype=np.float32)},
    }  # fmt: skip


# What the generated evaluator's result shows for each visit, as OpenFisca variables.
SHOWN = {"本次普通门诊统筹支付": "ordinary_paid", "本次日间手术统筹支付": "day_surgery_paid",
         "本年度普通门诊累计支付": "ordinary_year_total", "本次转入大额医疗费用补助": "overflow",
         "本次个人负担": "personal_burden"}  # fmt: skip


def openfisca_paid(system: Any, arrays: Mapping[str, Any], shown: dict[str, Any] | None = None) -> Any:
    """The simulation over the arrays; what the fund pays for each visit (float32). With `shown`,
    also every other value the generated evaluator shows for a visit, calculated into it."""
    import numpy as np
    from openfisca_core.simulations import SimulationBuilder  # type: ignore[import-untyped,unused-ignore]

    builder = SimulationBuilder()
    builder.create_entities(system)
    group = arrays["group"]
    builder.declare_person_entity("visit", np.arange(len(group)))
    person_years = builder.declare_entity("person_year", np.arange(arrays["persons"]))
    builder.join_with_persons(person_years, group, np.zeros(len(group), dtype=np.int64))
    simulation = builder.build(system)
    period = str(YEAR)
    for entity in ("visit", "person_year"):
        for name, values in arrays[entity].items():
            simulation.set_input(name, period, values)
    paid = simulation.calculate("fund_paid", period)
    if shown is not None:
        for name, variable in SHOWN.items():
            shown[name] = simulation.calculate(variable, period)
    return paid


def run_openfisca(people: Sequence[PersonYear], phases: dict[str, float] | None = None,
                  shown: dict[str, Any] | None = None) -> tuple[Any, Any]:
    """End to end: the system, the input arrays, the simulation. (per-visit payments, their sum);
    `phases` receives the wall time of each of the three; with `shown`, every value the generated
    evaluator shows for a visit is calculated too (the same work as the generated evaluator)."""
    t0 = time.perf_counter()
    system = openfisca_system(read_region())
    t1 = time.perf_counter()
    arrays = openfisca_inputs(people)
    t2 = time.perf_counter()
    paid = openfisca_paid(system, arrays, shown)
    total = paid.sum()
    if phases is not None:
        phases.update({"tax-benefit system": t1 - t0, "input arrays": t2 - t1,
                       "simulation and sum": time.perf_counter() - t2})  # fmt: skip
    return paid, total


# -- the run ----------------------------------------------------------------------------------


def cross_check(module: ModuleType, people: Sequence[PersonYear], paid: Any) -> tuple[int, int, float, float]:
    """Per-visit comparison on `people` (the first person-years of the workload): (visits, visits
    that differ by more than 1分, largest difference in 元, at which amount). Float32 rounds the
    half-分 ties (x.xx5 元) either way, so single visits differ by 1分; the visit on which the
    annual cap binds carries the person-year's running difference."""
    exact = generated_per_visit(module, people)
    worst, at, over = 0.0, 0.0, 0
    for i, amount in enumerate(exact):
        diff = abs(float(paid[i]) - float(amount))
        over += diff > 0.0101
        if diff > worst:
            worst, at = diff, float(amount)
    return len(exact), over, worst, at


def profile_generated(module: ModuleType, people: Sequence[PersonYear], visits: int) -> str:
    """cProfile of the generated evaluator (trace off) over the first `visits` visits."""
    chosen: list[PersonYear] = []
    count = 0
    for person in people:
        if count >= visits:
            break
        chosen.append(person)
        count += len(person[1])
    profiler = cProfile.Profile()
    profiler.enable()
    run_generated(module, chosen, trace=False)
    profiler.disable()
    stats = pstats.Stats(profiler)
    raw: dict[Any, Any] = stats.stats  # type: ignore[attr-defined]
    rows = sorted(raw.items(), key=lambda kv: kv[1][2], reverse=True)  # by own (total) time
    out = io.StringIO()
    out.write(f"cProfile, trace off, {count} visits in {len(chosen)} person-years (µs per visit; "
              f"cProfile's own overhead inflates every call):\n")  # fmt: skip
    out.write(f"{'own µs':>9} {'cum µs':>9} {'calls/visit':>11}  function\n")
    for (file, line, name), (_cc, calls, own, cum, _callers) in rows[:25]:
        where = f"{Path(file).name}:{line}" if line else file
        out.write(f"{own / count * 1e6:9.2f} {cum / count * 1e6:9.2f} {calls / count:11.2f}  {name} ({where})\n")
    return out.getvalue()


def phases_generated(module: ModuleType, people: Sequence[PersonYear], visits: int) -> str:
    """Where `evaluate` (trace off) spends its time, without a profiler's overhead: each phase of
    `settle` timed by calling the module's own functions on the first `visits` visits; what is
    left (the record loop and the result dict) is the whole minus the phases."""
    chosen = list(people[: max(1, visits // 4)])
    while sum(len(v) for _, v in chosen) > visits and len(chosen) > 1:
        chosen.pop()
    count = sum(len(v) for _, v in chosen)
    region = read_region()
    plan, kind = module.PLAN, module.PLAN.records["就诊"]
    # settle's own way of reading the region: remembered across calls where the module does so
    region_reader: Callable[..., object] = getattr(module, "_region_of", module.read_region)

    def best(run: Callable[[], object]) -> float:
        times = []
        for _ in range(3):
            t = time.process_time()  # this process's CPU time: the machine is shared
            run()
            times.append(time.process_time() - t)
        return min(times) / count * 1e6

    whole = best(lambda: [module.evaluate(f, {"就诊": v}, region, AS_OF, trace=False) for f, v in chosen])
    parts = {
        f"{region_reader.__name__} (the region file checked and converted, per person-year)":
            best(lambda: [region_reader(plan, region) for _ in chosen]),
        "read_facts (person facts through coerce_facts)": best(lambda: [plan.read_facts(f) for f, _ in chosen]),
        "read_records (visits checked, _as_given, date order, validity)":
            best(lambda: [module.read_records(kind, v, plan.validity) for _, v in chosen]),
    }  # fmt: skip
    out = io.StringIO()
    out.write(f"evaluate, trace off, {count} visits in {len(chosen)} person-years: {whole:.1f} µs per visit "
              f"(process time, best of 3, no profiler)\n")  # fmt: skip
    for name, us in parts.items():
        out.write(f"  {us:7.1f} µs  {us / whole:5.1%}  {name}\n")
    rest = whole - sum(parts.values())
    out.write(f"  {rest:7.1f} µs  {rest / whole:5.1%}  the rest: the record loop (merging env, the steps, the "
              f"level-keyed parameters through _Run.param, running values, the result dicts) and settle's totals; the profile below splits it\n")  # fmt: skip
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--visits", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--trace-visits", type=int, default=100_000)
    parser.add_argument("--check-persons", type=int, default=2000)
    parser.add_argument("--profile", type=int, default=0, help="profile the generated evaluator over N visits")
    parser.add_argument("--rounds", type=int, default=3, help="time every engine this many times, in turn")
    args = parser.parse_args(argv)
    try:
        import openfisca_core  # type: ignore[import-untyped,unused-ignore]  # noqa: F401
    except ImportError:
        print("需要 openfisca-core：pip install -e '.[bench]'", file=sys.stderr)
        return 2

    t = time.perf_counter()
    people = workload(args.visits, args.seed)
    n = sum(len(v) for _, v in people)
    print(f"工作量：{n} 次就诊，{len(people)} 个参保人年度（seed {args.seed}），生成用时 {time.perf_counter() - t:.1f} s")
    module = load_generated()

    # Rounds: every engine once per round, in turn, so that a slow spell of a shared machine falls
    # on all of them; each engine's best round is its time (the median is printed too).
    timings: dict[str, list[tuple[float, float]]] = {"documents": [], "amounts": [], "openfisca": [],
                                                     "openfisca-shown": [], "hand": []}  # fmt: skip
    shown: dict[str, Any] = {}

    def timed(engine: str, run: Callable[[], Any]) -> Any:
        t, c = time.perf_counter(), time.process_time()
        out = run()
        timings[engine].append((time.perf_counter() - t, time.process_time() - c))
        return out

    phases: dict[str, float] = {}
    for _ in range(args.rounds):
        exact = timed("documents", lambda: run_generated(module, people, trace=False))
        amounts = timed("amounts", lambda: run_generated_amounts(module, people))
        phases.clear()
        paid, of_sum = timed("openfisca", lambda: run_openfisca(people, phases))
        timed("openfisca-shown", lambda: run_openfisca(people, None, shown))
        hand_sum, hand = timed("hand", lambda: run_hand_written(people))

    def best(engine: str) -> tuple[float, float, float]:
        """(best wall time, its process time, median wall time)."""
        runs = sorted(timings[engine])
        return runs[0][0], runs[0][1], runs[len(runs) // 2][0]

    def line(label: str, engine: str, total: str, note: str) -> None:
        wall, cpu, median = best(engine)
        print(f"{label:21s}: {wall:8.2f} s  {n / wall:10,.0f} visits/s  sum {total}  (process time {cpu:.2f} s; "
              f"median of {args.rounds} rounds {median:.2f} s{note})", flush=True)  # fmt: skip

    of64 = float(paid.astype("float64").sum())
    print(f"rounds: {args.rounds} (each engine once per round, in turn; best round shown)")
    line("generated, documents", "documents", f"{exact} 元", "; evaluate(..., trace=False): the result documents")
    line("generated, amounts", "amounts", f"{amounts} 元", "; evaluate_amounts: the numbers, no document")
    line("OpenFisca (float32)", "openfisca", f"{float(of_sum):.2f} 元", f"; {of64:.2f} summed in float64; "
         "the fund's payment only")
    line("OpenFisca, same values", "openfisca-shown", f"{float(of_sum):.2f} 元",
         "; also the other values the generated result shows for a visit")
    print("  OpenFisca phases   : " + "，".join(f"{k} {v:.2f} s" for k, v in phases.items()) + " (last round)")
    print(f"  OpenFisca − exact  : {float(of_sum) - float(exact):+.2f} 元 (float32 sum), "
          f"{of64 - float(exact):+.4f} 元 (float32 amounts summed in float64)")  # fmt: skip
    for of_label, of_engine in (("payment only", "openfisca"), ("same values", "openfisca-shown")):
        of_s, of_cpu, of_median = best(of_engine)
        for label, engine in (("result documents", "documents"), ("amounts", "amounts")):
            g_s, g_cpu, g_median = best(engine)
            verdict = "generated at least as fast" if g_s <= of_s else "generated SLOWER than OpenFisca"
            print(f"  ratio OpenFisca ({of_label}) time / generated time ({label}): {of_s / g_s:.2f}  ({verdict}); "
                  f"process time {of_cpu / g_cpu:.2f}; medians {of_median / g_median:.2f}", flush=True)  # fmt: skip
    line("hand-written Decimal", "hand", f"{hand_sum} 元", "; yardstick: no checks, no result document")
    hw_cpu = best("hand")[1]
    print(f"  hand-written − exact: {hand_sum - exact} 元, amounts − exact: {amounts - exact} 元; generated / "
          f"hand-written process time {best('documents')[1] / hw_cpu:.1f} (documents), "
          f"{best('amounts')[1] / hw_cpu:.1f} (amounts)", flush=True)  # fmt: skip

    traced: list[PersonYear] = []
    count = 0
    for person in people:
        if count >= args.trace_visits:
            break
        traced.append(person)
        count += len(person[1])
    if traced:
        t = time.perf_counter()
        traced_sum = run_generated(module, traced, trace=True)
        tr_s = time.perf_counter() - t
        print(f"generated, trace on  : {tr_s:8.2f} s  {count / tr_s:10,.0f} visits/s  over the first {count} visits "
              f"(sum {traced_sum} 元)", flush=True)  # fmt: skip

    sample = people[: args.check_persons]
    sample_visits = sum(len(v) for _, v in sample)
    if hand[:sample_visits] != generated_per_visit(module, sample):
        print("cross-check: the hand-written yardstick differs from the generated evaluator", flush=True)
    checked, over, worst, at = cross_check(module, sample, paid)
    print(f"cross-check: {checked} visits of {len(sample)} person-years: {over} differ by more than 1分, "
          f"the largest per-visit difference is {worst:.4f} 元 (at {at:.2f} 元)", flush=True)  # fmt: skip
    region = read_region()
    values = [r["values"] for facts, visits in sample
              for r in module.evaluate(facts, {"就诊": visits}, region, AS_OF, trace=False)["records"]["就诊"]]
    worst_by = {name: max(abs(float(shown[name][i]) - float(v[name])) for i, v in enumerate(values)) for name in SHOWN}
    print("cross-check of the other values shown (largest per-visit difference, 元): "
          + "，".join(f"{name} {diff:.4f}" for name, diff in worst_by.items()), flush=True)
    if args.profile:
        print(phases_generated(module, people, args.profile))
        print(profile_generated(module, people, args.profile))
    return 0


if __name__ == "__main__":
    sys.exit(main())
