"""The computation procedure, defined once for both engines: computed benefits.

A policy that computes (a deductible, a rate by hospital level, a cap over a year's visits, a
freight rate that changes on a date) is compiled into a `Computation`: its parameters, its named
values (`computes` of the clauses they come from) in dependency order, its conditions, and the
records the values run over (a person's visits, a company's shipments). `settle` is the one
definition of how they are evaluated and explained:

1. facts, records and the region's values are read and checked (units, domains, record order,
   every record dated inside the 办法's validity, every value the 办法 delegates to the 统筹地区
   present in the region file);
2. the schedule runs in order: a value of the person (or company), or a loop over one kind of
   record, in which each record's values are computed in order with the running values of the
   earlier records of the same period (本年度已支付, 本年度第几次就诊);
3. a payment is refused (0元, with the reason and its clause) when a condition that concerns it
   fails, and is rounded to 分 once, where it is computed (half up, 四舍五入);
4. parameters are chosen where they are read: a dated value by the date of the event, a table
   entry by its key (with the 办法's aliases, 未定级 → 一级), a regional value from the region
   file, each traced with where its value comes from.

`settle` returns the result document (policyc-computation/1); `settle_amounts` the same
settlement's numbers without it (Decimal totals and each record's row), for rosters of millions.
With the trace off, a generated module's record loops (`RecordKind.kernel`) run where they take
the records; where they decline, the steps run one by one (`_compute`).

Standard library only: this module is copied into every generated evaluator of a computing
policy after `core` and `computation_plan` (the plan's data classes). A new step kind is a value
of `Step.kind`, a branch of `_Run.step`, and a callable each engine supplies (and a branch of the
generated record loop, evaluate/codegen_kernel.py, or a kernel-less kind).
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from compiler.runtime.computation_plan import Band as Band
from compiler.runtime.computation_plan import Computation as Computation
from compiler.runtime.computation_plan import Condition as Condition
from compiler.runtime.computation_plan import Env as Env
from compiler.runtime.computation_plan import Fn as Fn
from compiler.runtime.computation_plan import ParamItem as ParamItem
from compiler.runtime.computation_plan import RecordKind as RecordKind
from compiler.runtime.computation_plan import Region as Region
from compiler.runtime.computation_plan import Row as Row
from compiler.runtime.computation_plan import Shown as Shown
from compiler.runtime.computation_plan import Step as Step
from compiler.runtime.core import (
    EvaluationError,
    FactsError,
    RecordsError,
    _coerce_one,
    amount_json,
    coerce_facts,
    money,
    require_date,
    zh_date,
)

# --- runtime: inlined into generated modules from here on ---

COMPUTATION_FORMAT = "policyc-computation/1"


class RegionError(Exception):
    """The region's values are missing or invalid: `names` are the parameters concerned."""

    def __init__(self, message: str, names: tuple[str, ...]) -> None:
        super().__init__(message)
        self.message, self.names = message, names


# -- reading ------------------------------------------------------------------------------


def read_records(kind: RecordKind, raw: Any, validity: tuple[dt.date, dt.date | None, str, str] | None) -> list[Env]:
    """A kind's records checked and in base units; raises RecordsError naming the record."""
    if raw is None:
        return []
    if isinstance(raw, str | bytes | Mapping) or not isinstance(raw, Sequence):
        raise RecordsError(kind.name, 0, None, "应为记录的列表（每条记录一组字段）")
    out: list[Env] = []
    previous: dt.date | None = None
    for index, item in enumerate(raw):
        if not isinstance(item, Mapping):
            raise RecordsError(kind.name, index, None, "应为一组字段（字段名: 值）")
        record = _as_given(kind, item)
        try:
            if record is None:
                record = coerce_facts(kind.specs, item)
        except FactsError as exc:
            names = exc.missing or [n for n, _ in exc.invalid] or [n for n, _ in exc.unknown]
            field = names[0] if names else None
            # A record's values are its fields (the message of FactsError speaks of facts).
            raise RecordsError(kind.name, index, field, str(exc).replace("事实", "字段")) from None
        if kind.order is not None:
            day = record[kind.order]
            if previous is not None and day < previous:
                raise RecordsError(
                    kind.name, index, kind.order,
                    f"「{kind.order}」{zh_date(day)}早于上一条记录的{zh_date(previous)}；记录应按{kind.order}先后排列",
                )
            if validity is not None:
                _check_dated(validity, day, kind.name, index, kind.order)
            previous = day
        out.append(record)
    return out


def _as_given(kind: RecordKind, item: Mapping[str, Any]) -> Env | None:
    """A record whose every value already has its checked type and lies in its domain, in base
    units (a date, an int or Decimal in a unit of scale 1, an admitted text, a bool), taken as it
    is; None sends it through coerce_facts, which explains what is wrong. Measured: reading a
    record this way is about a third of the cost of converting it."""
    out = dict(kind.defaults)
    specs = kind.specs
    for name, value in item.items():
        spec = specs.get(name)
        if spec is None:
            return None
        k, cls = spec.kind, value.__class__
        if k == "num":
            if (cls is not int and cls is not Decimal) or name not in kind.base_units:
                return None
            if cls is Decimal and not value.is_finite():
                return None  # NaN would raise in the comparisons below; coerce_facts refuses it
            if spec.minimum is not None and value < spec.minimum:
                return None
            if spec.maximum is not None and value > spec.maximum:
                return None
            if spec.whole and cls is not int:
                return None
        elif k == "text":
            if cls is not str or (spec.values is not None and value not in spec.values):
                return None
        elif k == "bool":
            if cls is not bool:
                return None
        elif k != "date" or cls is not dt.date:
            return None
        out[name] = value
    return out if len(out) == len(specs) else None


def _check_dated(
    validity: tuple[dt.date, dt.date | None, str, str], day: dt.date, kind: str, index: int, field: str
) -> None:
    start, until, _clause, cite = validity
    if day < start or (until is not None and day > until):
        span = f"{zh_date(start)}起" + (f"至{zh_date(until)}" if until else "")
        raise RecordsError(kind, index, field, f"「{field}」{zh_date(day)}不在本办法施行期间（{span}，依据{cite}）")


def prepare_region(plan: Computation, region: Mapping[str, Any] | Region | None) -> Region:
    """The region file read for `plan` once (RegionError naming what is missing or invalid), to be
    passed to every settlement of a roster in place of the file's mapping."""
    return _region_of(plan, region)


def _region_of(plan: Computation, region: Mapping[str, Any] | Region | None) -> Region:
    """The region as read for `plan`: a Region as it is; a mapping read again only when it differs
    from the last one given (a roster gives every person the same file) — compared by value, not
    identity, so a changed one is read again."""
    if isinstance(region, Region):
        if region.plan is not plan:
            raise RegionError(f"地区参数是为另一办法（{region.plan.policy} {region.plan.version}）读取的", ())
        return region
    cached = plan.region_cache
    if cached is not None and cached[0] == region:
        return cached[1]
    read = Region(plan, *read_region(plan, region))
    plan.region_cache = (copy.deepcopy(region), read)
    return read


def read_region(plan: Computation, region: Mapping[str, Any] | None) -> tuple[Env, dict[str, str], str | None]:
    """The region's values in base units (tables as dicts), where each came from, and the notice
    every output computed from them must carry (示例数据，非官方) — or RegionError naming every
    value that is missing or invalid."""
    needed = [p for p in plan.params.values() if p.region is not None]
    if not needed:
        return {}, {}, None
    required = tuple(p.name for p in needed if p.region == "required")
    if region is None:
        if required:
            raise RegionError("本办法的下列参数由统筹地区确定，需要地区参数文件：" + "、".join(required), required)
        return {}, {}, None
    if not isinstance(region, Mapping):  # (a Region read by another module is not one of ours)
        raise RegionError("地区参数应为地区参数文件的内容（「parameters: …」），或本办法 read_region_file 读取的结果", ())
    given = region.get("parameters") or {}
    if not isinstance(given, Mapping):
        raise RegionError("地区参数文件的 parameters 应为「参数名: 取值」", ())
    values: Env = {}
    sources: dict[str, str] = {}
    missing: list[str] = []
    for param in needed:
        raw = given.get(param.name)
        if raw is None:
            if param.region == "required":
                missing.append(param.name)
            continue
        values[param.name] = _region_value(param, raw)
        source = raw.get("source") if isinstance(raw, Mapping) else None
        sources[param.name] = str(source) if source else "地区参数文件"
    if missing:
        raise RegionError("地区参数文件缺少下列参数：" + "、".join(missing), tuple(missing))
    unknown = [str(n) for n in given if n not in plan.params or plan.params[str(n)].region is None]
    if unknown:
        raise RegionError("地区参数文件中的参数不由统筹地区确定（或不存在）：" + "、".join(unknown), tuple(unknown))
    notice = region.get("notice")
    official = region.get("official")
    if official is not True and not notice:
        notice = "示例数据，非官方"
    return values, sources, str(notice) if notice else None


def _region_value(param: ParamItem, raw: Any) -> Any:
    assert param.spec is not None
    entry = raw.get("value", raw.get("values")) if isinstance(raw, Mapping) else raw
    try:
        if param.by is None:
            return _coerce_one(param.spec, entry)
        if not isinstance(entry, Mapping):
            raise ValueError(f"应按「{param.by}」逐项给出：{'、'.join(param.keys)}")
        absent = [k for k in param.keys if k not in entry]
        if absent:
            raise ValueError(f"缺少「{param.by}」为 {'、'.join(absent)} 的取值")
        extra = [str(k) for k in entry if k not in param.keys]
        if extra:
            raise ValueError(f"「{param.by}」没有 {'、'.join(extra)} 这一项；可选：{'、'.join(param.keys)}")
        return {str(k): _coerce_one(param.spec, v) for k, v in entry.items()}
    except ValueError as exc:
        raise RegionError(f"地区参数「{param.name}」{exc}", (param.name,)) from None


# -- evaluating ---------------------------------------------------------------------------


class _Run:
    """One settlement: the region's values, the trace being written, and the refusals."""

    __slots__ = ("plan", "region", "sources", "notice", "tracing", "done", "fast", "tables", "sums")

    def __init__(
        self, plan: Computation, region: Env, sources: dict[str, str], notice: str | None, tracing: bool,
        fast: bool = False, tables: dict[Any, Any] | None = None,
    ) -> None:
        self.plan, self.region, self.sources, self.notice, self.tracing = plan, region, sources, notice, tracing
        self.done: dict[str, list[Env]] = {}  # each record kind's records with their values, once computed
        self.fast = fast  # the generated record loops run (trace off)
        # Kept with the region's values: tables by name, each loop's constants by ("constants", kind),
        # and each generated record loop's tables by its number.
        self.tables: dict[Any, Any] = {} if tables is None else tables
        self.sums: dict[str, dict[str, Decimal]] = {}  # each payment's sum over a kind's records (a kernel's)

    def param(self, param: ParamItem, env: Env, trace: list[dict[str, Any]]) -> Any:
        """Choose a parameter's value in `env` and say where it comes from."""
        key = None
        if param.by is not None:
            raw_key = env[param.by]
            if raw_key is None:
                raise EvaluationError(param.cite, f"「{param.by}」为空，无法确定参数「{param.name}」的取值")
            key = param.alias.get(raw_key, raw_key)
        if param.name in self.region:
            value = self.region[param.name]
            if key is not None:
                value = value[key]
            whence = f"{self.sources[param.name]}" + (f"（{self.notice}）" if self.notice else "")
        elif param.on is not None:
            on = env[param.on]
            chosen = -1
            for i, start in enumerate(param.starts):
                until = param.untils[i]
                if start <= on and (until is None or on <= until):
                    chosen = i
            if chosen < 0:
                raise EvaluationError(param.cite, f"参数「{param.name}」在{zh_date(on)}（{param.on}）没有适用的值")
            value = param.values[chosen](env)
            until = param.untils[chosen]
            span = f"{zh_date(param.starts[chosen])}起" + (f"至{zh_date(until)}" if until else "")
            whence = f"{param.on}{zh_date(on)}适用{span}的标准"
        elif key is not None:
            if key not in param.keys:
                raise EvaluationError(param.cite, f"参数「{param.name}」没有「{param.by}」为「{key}」的取值")
            value = param.values[param.keys.index(key)](env)
            whence = ""
        else:
            value = param.values[0](env)
            whence = ""
        env[param.name] = value
        if self.tracing:
            about = ""
            if key is not None:
                raw_key = env[param.by] if param.by else key
                about = f"（{param.by}：{raw_key}" + (f"，按{key}执行" if raw_key != key else "") + "）"
            detail = f"{param.label}{about}为{param.shown.text(value)}" + (f"，{whence}" if whence else "")
            trace.append({"clause": param.clause, "cite": param.cite, "step": param.name, "detail": detail,
                          "value": _json(value, param.shown), "unit": param.shown.unit})
        return value

    def table(self, param: ParamItem) -> dict[Any, Any]:
        """A table parameter whose values read nothing (constants, or the region's): its value for
        each key it may be read with (aliases included), as `param` would choose it; for a
        generated record loop, which looks one up per record. Remembered with the region."""
        tables = self.tables
        out: dict[Any, Any] | None = tables.get(param.name)
        if out is None:
            out = tables[param.name] = {}
            for raw in (*param.keys, *param.alias):
                key = param.alias.get(raw, raw)
                if param.name in self.region:
                    out[raw] = self.region[param.name][key]
                elif key in param.keys:
                    out[raw] = param.values[param.keys.index(key)]({})
        return out

    def table_group(self, params: tuple[ParamItem, ...]) -> dict[Any, tuple[Any, ...]]:
        """Tables by the same key as one (for a generated record loop): each key any of them may
        be read with gives the value of each; a key one of them lacks is left out (the loop
        declines it, and the steps one by one say which table has no such key)."""
        tables = [self.table(p) for p in params]
        return {k: tuple(t[k] for t in tables) for k in tables[0] if all(k in t for t in tables)}

    def step(self, step: Step, env: Env, trace: list[dict[str, Any]], refused: list[dict[str, Any]],
             done: dict[str, list[Env]]) -> None:
        for name in step.params:
            if name not in env:
                self.param(self.plan.params[name], env, trace)
        if step.plain and not self.tracing:
            # Most values: an expression, nothing to refuse, nothing to explain (trace off).
            env[step.name] = step.fn(env)  # type: ignore[misc]
            return
        kind = step.kind
        band_text = ""
        if kind in ("value", "tiers") and step.where is not None and not step.where(env):
            # A payment that does not concern this record (a day surgery is not an ordinary visit).
            env[step.name] = Decimal(0)
            if self.tracing:
                trace.append({"clause": step.clause, "cite": step.cite, "step": step.name,
                              "detail": f"{step.label}：不适用（{step.where_text}），为0元",
                              "value": "0", "unit": step.shown.unit})
            return
        if kind == "value":
            assert step.fn is not None
            value = step.fn(env)
        elif kind == "tiers":
            assert step.fn is not None
            basis = step.fn(env)
            for band in step.bands:
                if band.contains(basis):
                    value, band_text = band.value(env), band.range_text
                    break
            else:
                if step.otherwise is None:
                    raise EvaluationError(step.cite, f"「{step.text}」的值{basis}不落入任何一档", step.text)
                value, band_text = step.otherwise(env), "其他情形"
        elif kind in ("total", "count"):
            rows = done.get(step.record or "", [])
            if kind == "total":
                value = sum((r[step.of or ""] for r in rows if step.where is None or step.where(r)), Decimal(0))
            else:
                value = Decimal(sum(1 for r in rows if step.where is None or step.where(r)))
        else:  # running values are set by the record loop before the record's steps run
            value = env[step.name]
        refusal = None
        if step.payment:
            for cond in self.plan.guards[step.name]:
                held = bool(cond.test(env))
                if held == cond.exclusion:
                    refusal = cond
                    break
            value = Decimal(0) if refusal is not None else _money(step, value)
        env[step.name] = value
        if refusal is not None:
            refused.append(refusal_entry(step.name, refusal))
        if self.tracing:
            shown = step.shown.text(value)
            if refusal is not None:
                detail = f"{step.label}：{refusal.reason}（依据{refusal.cite}），为0元"
            elif kind == "tiers":
                detail = f"{step.label}：「{step.text}」落入「{band_text}」档，为{shown}"
            elif kind in ("running_sum", "running_count"):
                detail = f"{step.label}（本条记录之前）为{shown}"
            elif kind in ("total", "count"):
                detail = f"{step.label}（全部「{step.record}」记录）为{shown}"
            else:
                detail = f"{step.label} = {step.text}"
                worked = self.worked(step, env)
                if worked != step.text:
                    detail += f" = {worked}"
                detail += f" = {shown}"
            trace.append({"clause": step.clause, "cite": step.cite, "step": step.name, "detail": detail,
                          "value": _json(value, step.shown), "unit": step.shown.unit})

    def worked(self, step: Step, env: Env) -> str:
        """The step's expression with the value of each name it reads written in."""
        if step.pattern is None:
            return step.text
        plain = Shown("", Decimal(1))

        def value(m: re.Match[str]) -> str:
            name = m.group(0)
            if name not in env:
                return name
            v = env[name]
            if v is None:
                return "（空）"
            if isinstance(v, str):
                return f"“{v}”"
            return self.plan.shown.get(name, plain).text(v)

        return step.pattern.sub(value, step.text)

    def records(self, kind: RecordKind, rows: Sequence[Any], env: Env, trace: list[dict[str, Any]]) -> list[Row]:
        """Each record's row: (its refusals, its trace or None, *the values of kind.columns)."""
        if not self.tracing:  # traced runs choose them where first read
            # A constant is the same whoever reads it: chosen once per region, then set as a whole.
            constants: Env | None = self.tables.get(kind.constants_key)
            if constants is None:
                constants = self.tables[kind.constants_key] = {
                    n: self.param(self.plan.params[n], {}, trace)
                    for n in kind.before_loop if self.plan.params[n].constant}  # fmt: skip
            if env.keys().isdisjoint(constants):
                env.update(constants)
            else:
                for name, value in constants.items():
                    if name not in env:  # (a value the person's steps chose is the same constant)
                        env[name] = value
            for name in kind.before_loop_chosen:
                if name not in env:
                    self.param(self.plan.params[name], env, trace)
        if self.fast and kind.kernel is not None:
            # The generated module's loop with the steps written out (trace off); the same steps,
            # in the same order, through the same parameter choice, refusals and rounding.
            made = kind.kernel(self, rows, env)
            if made is None:
                raise _Declined(None)
            made_rows, self.done[kind.name], self.sums[kind.name] = made
            return made_rows
        running = [s for s in kind.steps if s.kind in ("running_sum", "running_count")]
        columns = kind.columns
        tracing = self.tracing
        state: dict[str, Decimal] = {}
        period: Any = object()
        out: list[Row] = []
        done = []
        no_rows: dict[str, list[Env]] = {}
        for record in rows:
            key = _period_key(kind, record)
            if key != period:
                period, state = key, {s.name: Decimal(0) for s in running}
            renv = {**env, **record, **state}
            record_trace: list[dict[str, Any]] = []
            refused: list[dict[str, Any]] = []
            for step in kind.steps:
                if step.bare and not tracing:
                    # A plain value reading no parameter, trace off: just the expression.
                    renv[step.name] = step.fn(renv)  # type: ignore[misc]
                else:
                    self.step(step, renv, record_trace, refused, no_rows)
            for s in running:
                if s.where is None or s.where(renv):
                    state[s.name] += renv[s.of or ""] if s.kind == "running_sum" else 1
            done.append(renv)
            out.append((refused, record_trace, *(renv[n] for n in columns)))
        self.done[kind.name] = done
        return out


def record_entries(kind: RecordKind, rows: list[Row]) -> list[dict[str, Any]]:
    """The records' entries in the result document: their index, the values shown, the payments
    in 元, the refusals and the trace."""
    shown, paid = kind.shown_columns, kind.paid_columns
    out = []
    for index, row in enumerate(rows):
        values = {}
        for i, name, sh in shown:
            value = row[i]
            if sh.money and value.__class__ is Decimal:
                values[name] = amount_json(value)
            else:
                values[name] = _json(value, sh)
        payments = {}
        for i, name, shared in paid:
            value = row[i]
            payments[name] = values[name] if shared else amount_json(value)
        trace = row[1]
        out.append({"index": index + 1, "values": values, "payments": payments, "refused": row[0],
                    "trace": trace if trace is not None else []})  # fmt: skip
    return out


def refusal_entry(payment: str, cond: Condition) -> dict[str, Any]:
    """How a refused payment is reported: the condition, its clause and its reason."""
    return {"payment": payment, "condition": cond.id, "clause": cond.clause, "cite": cond.cite, "reason": cond.reason}


def _period_key(kind: RecordKind, record: Env) -> Any:
    if kind.period is None or kind.order is None:
        return None
    day = record[kind.order]
    return day.year if kind.period == "year" else (day.year, day.month)








def _money(step: Step, value: Any) -> Decimal:
    try:
        return money(Decimal(value))
    except ArithmeticError:
        raise EvaluationError(step.cite, f"「{step.text}」的结果超出可精确计算的范围，请核对取值", step.text) from None


def _json(value: Any, shown: Shown) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        if shown.money:
            return amount_json(Decimal(value))
        number = Decimal(value) / shown.scale
        return f"{number.normalize():f}" if number != number.to_integral_value() else str(int(number))
    return str(value)


def settle(
    plan: Computation, raw_facts: Mapping[str, Any], raw_records: Mapping[str, Any] | None,
    region: Mapping[str, Any] | Region | None, as_of: dt.date, trace: bool = True,
) -> dict[str, Any]:
    """Compute every value and payment of one person (or company) and their records: the result
    document (policyc-computation/1), amounts in 元 as text, with the trace if asked for."""
    done = _compute(plan, raw_facts, raw_records, region, as_of, trace)
    return {
        "format": COMPUTATION_FORMAT,
        "policy": plan.policy,
        "version": plan.version,
        "doc_number": plan.doc_number,
        "as_of": as_of.isoformat(),
        "notice": done.notice,
        "region_sources": done.sources,
        "values": {n: _json(done.env[n], plan.person_shown.get(n, _PLAIN)) for n in plan.outputs if n in done.env},
        "payments": {n: amount_json(v) for n, v in done.payments.items()},
        "total": amount_json(done.total),
        "refused": done.refused,
        "records": {k: record_entries(plan.records[k], rows) for k, rows in done.rows.items()},
        "trace": done.trace,
    }


class Amounts:
    """A settlement's numbers (what `settle_amounts` returns, and what `settle` writes its document
    from): each payment's total and the total (`payments`, `total`: Decimal in 元); per kind of
    record its rows (`rows`: one tuple per record — its refusals, its trace or None, then the
    values named in `columns[kind]`, as computed: Decimal in base units); the person's refused
    payments and trace; the person's values (`env`: facts, parameters chosen, values computed);
    the region's notice (示例数据，非官方 unless the region file is official) and sources. For a fund
    that settles millions of records and keeps only the numbers."""

    __slots__ = ("env", "payments", "total", "rows", "columns", "refused", "trace", "notice", "sources")

    def __init__(self, plan: Computation, env: Env, payments: dict[str, Decimal], rows: dict[str, list[Row]],
                 refused: list[dict[str, Any]], trace: list[dict[str, Any]], notice: str | None,
                 sources: dict[str, str]) -> None:  # fmt: skip
        self.env, self.payments, self.rows, self.refused, self.trace = env, payments, rows, refused, trace
        self.total = sum(payments.values(), _ZERO)
        self.columns = plan.columns
        self.notice, self.sources = notice, sources


def settle_amounts(
    plan: Computation, raw_facts: Mapping[str, Any], raw_records: Mapping[str, Any] | None,
    region: Mapping[str, Any] | Region | None, as_of: dt.date,
) -> Amounts:
    """The same settlement as `settle` with the trace off, returning the numbers only (Amounts)."""
    return _compute(plan, raw_facts, raw_records, region, as_of, False)


class _Declined(Exception):
    """A generated record loop did not take the records (not as given, or a step raised): the
    steps run one by one instead. `cause` is what the loop raised, if anything."""

    def __init__(self, cause: BaseException | None) -> None:
        super().__init__()
        self.cause = cause


# What the steps one by one may raise for input they explain (the loops raise them too, or their
# cause: a KeyError is a required field the record lacks).
_EXPLAINED = (TypeError, ArithmeticError, KeyError, EvaluationError, RecordsError, RegionError)


def _compute(
    plan: Computation, raw_facts: Mapping[str, Any], raw_records: Mapping[str, Any] | None,
    region: Mapping[str, Any] | Region | None, as_of: dt.date, trace: bool,
) -> Amounts:
    """The settlement: with the trace off through the generated record loops where there are
    any — on the records as given, else on the records as read (converted: "1000元", "2024-05-10")
    — and the steps one by one where the loops decline even those."""
    if trace or not plan.kernels:
        return _settle(plan, raw_facts, raw_records, region, as_of, trace, fast=False)
    declined: BaseException | None = None
    for as_given in (True, False):
        try:
            return _settle(plan, raw_facts, raw_records, region, as_of, False, fast=True, as_given=as_given)
        except _Declined as exc:
            # Records as read are as the loops take them: declining those is for the steps to explain.
            declined = exc.cause if exc.cause is not None or as_given else exc
        except _EXPLAINED as exc:  # which error comes first is the steps' to say
            declined = exc
        if declined is not None:
            break
    result = _settle(plan, raw_facts, raw_records, region, as_of, False, fast=False)
    if declined is not None:
        # The steps one by one computed what the loop could not: a fault in the generated loop.
        raise RuntimeError(f"生成的记录循环出错，而逐步计算没有出错：{declined!r}") from declined
    return result


def _settle(
    plan: Computation, raw_facts: Mapping[str, Any], raw_records: Mapping[str, Any] | None,
    region: Mapping[str, Any] | Region | None, as_of: dt.date, trace: bool, *, fast: bool, as_given: bool = False,
) -> Amounts:
    require_date(as_of)
    facts = plan.read_facts(raw_facts)
    given = dict(raw_records or {})
    unknown = [k for k in given if k not in plan.records] if not given.keys() <= plan.records.keys() else None
    if unknown:
        raise RecordsError(str(unknown[0]), 0, None, f"本办法没有「{unknown[0]}」这类记录；可用：{'、'.join(plan.records)}")
    rows: dict[str, Sequence[Any]] = {}
    for name, kind in plan.records.items():
        raw: Any = given.get(name)
        # A loop that reads records as given checks them itself (and declines what it cannot take).
        taken = as_given and kind.kernel is not None and kind.raw_ok and raw.__class__ is list
        rows[name] = raw if taken else read_records(kind, raw, plan.validity)
    read = _region_of(plan, region)
    notice = read.notice
    run = _Run(plan, read.values, read.sources, notice, trace, fast, read.tables)
    env: Env = dict(facts)
    env["评价日期"] = as_of
    person_trace: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    records: dict[str, list[Row]] = {}
    # Dated records were each checked against the validity; what is not dated by a record (the
    # person's facts, records without a date) is evaluated as of `as_of`, which must lie inside it.
    dated_only = any(rows.values()) and (plan.dated or all(plan.records[k].order is not None
                                                          for k, r in rows.items() if r))  # fmt: skip
    if plan.validity is not None and not dated_only:
        start, until, clause, cite = plan.validity
        if as_of < start or (until is not None and as_of > until):
            span = f"{zh_date(start)}起" + (f"至{zh_date(until)}" if until else "")
            raise EvaluationError(cite, f"评价日期{zh_date(as_of)}不在本办法施行期间（{span}）")
    payments: dict[str, Decimal] = {}
    for entry in plan.schedule:
        if isinstance(entry, RecordKind):
            records[entry.name] = run.records(entry, rows[entry.name], env, person_trace)
            sums = run.sums.get(entry.name)
            if sums is not None:
                payments.update(sums)
            else:
                for s in entry.steps:
                    if s.payment:
                        payments[s.name] = sum((r[s.name] for r in run.done[entry.name]), Decimal(0))
        else:
            run.step(entry, env, person_trace, refused, run.done)
            if entry.payment:
                payments[entry.name] = env[entry.name]
    return Amounts(plan, env, payments, records, refused, person_trace, notice, read.sources)


_PLAIN = Shown("", Decimal(1))
_ZERO = Decimal(0)
# A record field not given at all: what a generated loop reads it as, to tell it from one given as
# None and to count the fields it knows (evaluate/codegen_kernel.py).
_ABSENT = object()
