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

Standard library only: this module is copied into every generated evaluator of a computing
policy after `core`. A new step kind is a value of `Step.kind`, a branch of `_run_step`, and a
callable each engine supplies.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from compiler.runtime.core import (
    EvaluationError,
    FactsError,
    FactSpec,
    RecordsError,
    _coerce_one,
    amount_json,
    coerce_facts,
    money,
    money_text,
    require_date,
    zh_date,
)

# --- runtime: inlined into generated modules from here on ---

COMPUTATION_FORMAT = "policyc-computation/1"
Env = dict[str, Any]
Fn = Callable[[Env], Any]
Kernel = Callable[[Any, list[Env], Env], tuple[list[dict[str, Any]], list[Env]]]


class RegionError(Exception):
    """The region's values are missing or invalid: `names` are the parameters concerned."""

    def __init__(self, message: str, names: tuple[str, ...]) -> None:
        super().__init__(message)
        self.message, self.names = message, names


class Shown:
    """How a value of one dimension is printed: its unit name and scale (base units per unit)."""

    __slots__ = ("unit", "scale", "money")

    def __init__(self, unit: str, scale: Decimal) -> None:
        self.unit, self.scale, self.money = unit, scale, unit == "元"

    def text(self, value: Any) -> str:
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, dt.date):
            return zh_date(value)
        if not isinstance(value, Decimal | int):
            return str(value)
        if self.money:
            return money_text(Decimal(value))
        number = Decimal(value) / self.scale
        if number == number.to_integral_value():
            digits = str(int(number))
        else:
            digits = f"{number.normalize():f}"
        return digits + self.unit


class ParamItem:
    """A parameter: one value, dated values chosen by the date of an event, or a table chosen by a
    key; the 统筹地区 may supply it (`region` "required") or replace the 办法's default
    ("override")."""

    __slots__ = ("name", "clause", "cite", "shown", "on", "by", "alias", "keys", "values", "starts",
                 "untils", "region", "spec", "label")  # fmt: skip

    def __init__(
        self, name: str, clause: str, cite: str, *, shown: Shown, label: str, on: str | None = None,
        by: str | None = None, alias: Mapping[str, str] | None = None, keys: tuple[str, ...] = (),
        values: tuple[Fn, ...] = (), starts: tuple[dt.date, ...] = (), untils: tuple[dt.date | None, ...] = (),
        region: str | None = None, spec: FactSpec | None = None,
    ) -> None:
        self.name, self.clause, self.cite, self.shown, self.label = name, clause, cite, shown, label
        self.on, self.by = on, by  # the date that chooses a dated value; the key of a table
        self.alias = dict(alias or {})
        self.keys, self.values = keys, values  # a table's keys and their values (or one value)
        self.starts, self.untils = starts, untils  # dated values: first and last day of each
        self.region = region  # None, "required" or "override"
        self.spec = spec  # how a region file's value is read (unit, domain)


class Condition:
    """A condition on payments: an eligibility rule (must hold) or an exclusion (must not)."""

    __slots__ = ("id", "clause", "cite", "reason", "test", "exclusion", "applies_to", "text")

    def __init__(
        self, id: str, clause: str, cite: str, *, reason: str, test: Fn, exclusion: bool, text: str,
        applies_to: frozenset[str] | None,
    ) -> None:
        self.id, self.clause, self.cite, self.reason, self.test = id, clause, cite, reason, test
        self.exclusion, self.text, self.applies_to = exclusion, text, applies_to


class Band:
    """One band of a tiered value: its bounds in base units (None: open) and its value."""

    __slots__ = ("lower", "lower_inclusive", "upper", "upper_inclusive", "value", "range_text")

    def __init__(
        self, lower: Decimal | None, lower_inclusive: bool, upper: Decimal | None, upper_inclusive: bool,
        value: Fn, range_text: str,
    ) -> None:
        self.lower, self.lower_inclusive = lower, lower_inclusive
        self.upper, self.upper_inclusive = upper, upper_inclusive
        self.value, self.range_text = value, range_text

    def contains(self, x: Decimal) -> bool:
        if self.lower is not None and (x < self.lower or (x == self.lower and not self.lower_inclusive)):
            return False
        return not (self.upper is not None and (x > self.upper or (x == self.upper and not self.upper_inclusive)))


class Step:
    """A named value: `value` (an expression), `tiers` (the band its basis falls in), a running
    value over the earlier records of the period (`running_sum`, `running_count`), or a value
    over all records of a kind (`total`, `count`). A `payment` is reported as paid."""

    __slots__ = ("name", "clause", "cite", "kind", "fn", "of", "where", "bands", "otherwise", "payment",
                 "shown", "text", "params", "record", "label", "names", "pattern", "where_text", "plain",
                 "bare")  # fmt: skip

    def __init__(
        self, name: str, clause: str, cite: str, *, kind: str, text: str, shown: Shown, fn: Fn | None = None,
        of: str | None = None, where: Fn | None = None, bands: tuple[Band, ...] = (), otherwise: Fn | None = None,
        payment: bool = False, params: tuple[str, ...] = (), record: str | None = None, label: str | None = None,
        names: tuple[str, ...] = (), where_text: str = "",
    ) -> None:
        self.name, self.clause, self.cite, self.kind, self.text = name, clause, cite, kind, text
        self.where_text = where_text  # a payment's scope: which records it concerns
        self.plain = kind == "value" and not payment and where is None
        self.bare = self.plain and not params
        self.names = names  # the names its expression reads: the trace shows their values in it
        # Longest first, so that a name inside a longer one is not replaced on its own.
        ordered = sorted(names, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(n) for n in ordered)) if ordered else None
        self.fn, self.of, self.where, self.bands, self.otherwise = fn, of, where, bands, otherwise
        self.payment, self.shown, self.params, self.record = payment, shown, params, record
        self.label = label or name


class RecordKind:
    """One kind of record (就诊, 发运 …): how it is read, its order and period, and the steps
    computed for each record, in order."""

    __slots__ = ("name", "label", "order", "period", "specs", "steps", "defaults", "base_units", "kernel")

    def __init__(
        self, name: str, label: str, *, order: str | None, period: str | None, specs: Mapping[str, FactSpec],
        steps: tuple[Step, ...], kernel: Kernel | None = None,
    ) -> None:
        self.name, self.label, self.order, self.period = name, label, order, period
        self.specs, self.steps = specs, steps
        self.kernel = kernel  # generated code: the record loop with the steps written out, trace off
        # The values of fields a record may leave out (defaults, or empty when optional).
        self.defaults = {n: (sp.default if sp.has_default else None) for n, sp in specs.items()
                         if sp.has_default or sp.optional}
        # Number fields whose own unit is the base unit (元, not 万元): a number given is taken as it is.
        self.base_units = frozenset(n for n, sp in specs.items() if sp.units and sp.units.get(sp.unit or "") == 1)


class Computation:
    """Everything `settle` needs to know about one computing policy version."""

    __slots__ = ("policy", "version", "doc_number", "read_facts", "params", "schedule", "conditions",
                 "validity", "outputs", "records", "shown", "guards", "region_cache")  # fmt: skip

    def __init__(
        self, policy: str, version: str, doc_number: str | None, *, read_facts: Callable[[Mapping[str, Any]], Env],
        params: tuple[ParamItem, ...], schedule: tuple[Step | RecordKind, ...], conditions: tuple[Condition, ...],
        validity: tuple[dt.date, dt.date | None, str, str] | None, outputs: tuple[str, ...],
        shown: Mapping[str, Shown] | None = None,
    ) -> None:
        self.policy, self.version, self.doc_number = policy, version, doc_number
        self.read_facts = read_facts
        self.params = {p.name: p for p in params}
        self.schedule = schedule  # person-level steps and record loops, in dependency order
        self.records = {s.name: s for s in schedule if isinstance(s, RecordKind)}
        self.conditions = conditions
        # The conditions concerning each payment, in rule order (eligibility first, as given).
        payments = [s.name for entry in schedule for s in (entry.steps if isinstance(entry, RecordKind) else (entry,))
                    if s.payment]
        self.guards = {p: tuple(c for c in conditions if c.applies_to is None or p in c.applies_to) for p in payments}
        self.validity = validity  # (施行日期, 有效期至 or None, clause, cite)
        self.outputs = outputs  # the values each record's (or the person's) summary shows
        self.shown = dict(shown or {})  # how each fact, field, parameter and value is printed
        self.region_cache: tuple[Any, tuple[Env, dict[str, str], str | None]] | None = None


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


def _region_of(plan: Computation, region: Mapping[str, Any] | None) -> tuple[Env, dict[str, str], str | None]:
    """read_region, remembered for the last region given: a roster evaluates every person with the
    same region file. The region is compared by value (not identity), so a changed one is read again."""
    cached = plan.region_cache
    if cached is not None and cached[0] == region:
        return cached[1]
    read = read_region(plan, region)
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

    __slots__ = ("plan", "region", "sources", "notice", "tracing", "done")

    def __init__(
        self, plan: Computation, region: Env, sources: dict[str, str], notice: str | None, tracing: bool
    ) -> None:
        self.plan, self.region, self.sources, self.notice, self.tracing = plan, region, sources, notice, tracing
        self.done: dict[str, list[Env]] = {}  # each record kind's records with their values, once computed

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

    def by_key(self, param: ParamItem, env: Env) -> dict[Any, Any]:
        """A table parameter's value for each key it may be read with (aliases included), as
        `param` would choose it; for a record loop that reads one per record (trace off)."""
        out: dict[Any, Any] = {}
        for raw in (*param.keys, *param.alias):
            key = param.alias.get(raw, raw)
            if param.name in self.region:
                out[raw] = self.region[param.name][key]
            elif key in param.keys:
                out[raw] = param.values[param.keys.index(key)](env)
        return out

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

    def records(self, kind: RecordKind, rows: list[Env], env: Env, trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
        running = [s for s in kind.steps if s.kind in ("running_sum", "running_count")]
        outputs = set(self.plan.outputs)
        shown_out = [(s.name, s.shown) for s in kind.steps if s.name in outputs]
        paid = [s.name for s in kind.steps if s.payment]
        # Parameters that no record chooses (no key or date among the record's fields and values)
        # are chosen once, for the person, before the loop.
        inside = set(kind.specs) | {s.name for s in kind.steps}
        for s in (kind.steps if not self.tracing else ()):  # traced runs choose them where first read
            for name in s.params:
                param = self.plan.params[name]
                if name not in env and param.by not in inside and param.on not in inside:
                    self.param(param, env, trace)
        tracing = self.tracing
        if not tracing and kind.kernel is not None:
            # The generated module's loop with the steps written out (trace off); the same steps,
            # in the same order, through the same parameter choice, refusals and rounding.
            out, done = kind.kernel(self, rows, env)
            self.done[kind.name] = done
            return out
        state: dict[str, Decimal] = {}
        period: Any = object()
        out = []
        done = []
        no_rows: dict[str, list[Env]] = {}
        for index, record in enumerate(rows):
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
            out.append({
                "index": index + 1,
                "values": {n: value_json(renv[n], sh) for n, sh in shown_out},
                "payments": {n: amount_json(renv[n]) for n in paid},
                "refused": refused,
                "trace": record_trace,
            })
        self.done[kind.name] = done
        return out


def value_json(value: Any, shown: Shown) -> Any:
    """A value as a result reports it: an amount in 元 as amount_json, others in their unit."""
    if shown.money and value.__class__ is Decimal:
        return amount_json(value)
    return _json(value, shown)


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
    region: Mapping[str, Any] | None, as_of: dt.date, trace: bool = True,
) -> dict[str, Any]:
    """Compute every value and payment of one person (or company) and their records."""
    require_date(as_of)
    facts = plan.read_facts(raw_facts)
    given = dict(raw_records or {})
    unknown = [k for k in given if k not in plan.records]
    if unknown:
        raise RecordsError(str(unknown[0]), 0, None, f"本办法没有「{unknown[0]}」这类记录；可用：{'、'.join(plan.records)}")
    rows = {name: read_records(kind, given.get(name), plan.validity) for name, kind in plan.records.items()}
    values, sources, notice = _region_of(plan, region)
    run = _Run(plan, values, sources, notice, trace)
    env: Env = dict(facts)
    env["评价日期"] = as_of
    person_trace: list[dict[str, Any]] = []
    refused: list[dict[str, Any]] = []
    records: dict[str, list[dict[str, Any]]] = {}
    # Dated records were each checked against the validity; what is not dated by a record (the
    # person's facts, records without a date) is evaluated as of `as_of`, which must lie inside it.
    dated_only = any(rows.values()) and all(plan.records[k].order is not None for k, r in rows.items() if r)
    if plan.validity is not None and not dated_only:
        start, until, clause, cite = plan.validity
        if as_of < start or (until is not None and as_of > until):
            span = f"{zh_date(start)}起" + (f"至{zh_date(until)}" if until else "")
            raise EvaluationError(cite, f"评价日期{zh_date(as_of)}不在本办法施行期间（{span}）")
    payments: dict[str, Decimal] = {}
    for entry in plan.schedule:
        if isinstance(entry, RecordKind):
            records[entry.name] = run.records(entry, rows[entry.name], env, person_trace)
            for s in entry.steps:
                if s.payment:
                    payments[s.name] = sum((r[s.name] for r in run.done[entry.name]), Decimal(0))
        else:
            run.step(entry, env, person_trace, refused, run.done)
            if entry.payment:
                payments[entry.name] = env[entry.name]
    total = sum(payments.values(), Decimal(0))
    return {
        "format": COMPUTATION_FORMAT,
        "policy": plan.policy,
        "version": plan.version,
        "doc_number": plan.doc_number,
        "as_of": as_of.isoformat(),
        "notice": notice,
        "region_sources": sources,
        "values": {n: _json(env[n], _person_shown(plan, n)) for n in plan.outputs if n in env},
        "payments": {n: amount_json(v) for n, v in payments.items()},
        "total": amount_json(total),
        "refused": refused,
        "records": records,
        "trace": person_trace,
    }


def _person_shown(plan: Computation, name: str) -> Shown:
    for entry in plan.schedule:
        if isinstance(entry, Step) and entry.name == name:
            return entry.shown
    return Shown("", Decimal(1))
