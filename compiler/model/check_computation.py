"""Checks of computing policies: the types of computed values, which record each value belongs
to, and the order they are computed in (the schedule both engines run).

A computed value is typed when an expression first reads it (so values may be written in the
order of the text, not of the computation); a value that reads itself, through others, is an
error. A value belongs to the record kind whose fields it reads (directly or through other
values and parameters); one that reads no record is a value of the person (or company). A value
of all records (`total`, `count`) is computed after the loop over its records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from compiler.lang import ast
from compiler.lang.units import MONEY, describe_dims
from compiler.model.policy import Computed, Expr, Policy, Tiers
from compiler.model.types import ANY, BOOL, Type, _TypeError, fact_type
from compiler.source.diagnostics import Collector, did_you_mean


class Checker(Protocol):
    """What these checks use of `model.check.Checker` (which calls in here)."""

    p: Policy
    env: dict[str, Type]
    diag: Collector
    computed_types: dict[str, Type | None]

    def typecheck(self, expr: Expr, clause: str | None, want: str, what: str) -> Type | None: ...

    def check_band_layout(self, tiers: Tiers, clause: str) -> None: ...

COUNT = Type("num", ())


def record_fields(policy: Policy) -> dict[str, str]:
    """Every record field → the kind of record it belongs to."""
    return {f: name for name, rec in policy.records.items() for f in rec.fields}


def add_names(checker: Checker) -> None:
    """Record fields and the parameters' table keys join the checker's names."""
    for rec in checker.p.records.values():
        for name, fact in rec.fields.items():
            checker.env[name] = fact_type(fact.type, fact.unit.dims if fact.unit else (), fact.values, fact.optional)


def computed_type(checker: Checker, node: ast.Node, name: str) -> Type:
    """The type of the computed value `name`, checking its definition the first time."""
    state: dict[str, Type | None] = checker.computed_types
    if name in state:
        t = state[name]
        if t is None:
            raise _TypeError(node, f"计算值「{name}」直接或间接引用了它自己", "检查各计算值之间的引用，去掉循环", "E313")
        return t
    item = next(c for c in checker.p.computes if c.name == name)
    state[name] = None  # being typed: reading it again now is a cycle
    t = _type_of(checker, item)
    state[name] = t if t is not None else ANY
    return state[name] or ANY


def _typecheck(checker: Checker, expr: Expr, cite: str, want: str, what: str) -> Type | None:
    return checker.typecheck(expr, cite, want, what)


def _type_of(checker: Checker, c: Computed) -> Type | None:
    cite = c.clause.cite
    what = f"计算值「{c.name}」"
    want = "money" if c.payment else "any"
    if c.where is not None:
        _typecheck(checker, c.where, cite, "bool", f"{what}的条件")
    t: Type | None = None
    if c.kind == "value" and c.value is not None:
        t = _typecheck(checker, c.value, cite, want, what)
    elif c.kind == "tiers" and c.tiers is not None:
        t = _tiers_type(checker, c, want)
    elif c.kind in ("running_sum", "total"):
        t = _summed_type(checker, c)
    elif c.kind in ("running_count", "count"):
        t = COUNT
    if t is not None and t.kind == "num" and c.unit is not None and c.unit.dims != t.dims:
        checker.diag.error(
            "E303", f"{what}的单位 {c.unit.name} 与它的值（{describe_dims(t.dims)}）不一致", c.span, cite,
        )
    if t is not None and c.payment and (t.kind != "num" or t.dims != MONEY):
        checker.diag.error("E302", f"{what}是支付金额，应为金额（元），这里是{t.describe()}", c.span, cite)
    return t


def _tiers_type(checker: Checker, c: Computed, want: str) -> Type | None:
    tiers = c.tiers
    assert tiers is not None
    cite = c.clause.cite
    of_t = _typecheck(checker, tiers.of, cite, "num", "分档依据")
    t: Type | None = None
    values = [(b.value, f"（{b.range_src}）") for b in tiers.bands]
    if tiers.otherwise is not None:
        values.append((tiers.otherwise, "（其他情形）"))
    for band in tiers.bands:
        if of_t is not None and band.band.unit is not None and band.band.unit.dims != of_t.dims:
            checker.diag.error(
                "E303", f"分档区间「{band.range_src}」的单位与分档依据（{describe_dims(of_t.dims)}）不一致",
                band.range_src.span, cite,
            )
    for expr, which in values:
        bt = _typecheck(checker, expr, cite, want, f"计算值「{c.name}」{which}")
        if bt is None:
            continue
        if t is not None and (bt.kind != t.kind or bt.dims != t.dims):
            checker.diag.error("E303", f"计算值「{c.name}」各档的值类型不一致：{bt.describe()} 与 {t.describe()}",
                               expr.src.span, cite)
        t = t or bt
    checker.check_band_layout(tiers, cite)
    return t


def _summed_type(checker: Checker, c: Computed) -> Type | None:
    of = c.of or ""
    fields = record_fields(checker.p)
    names = {x.name for x in checker.p.computes}
    if of not in names and of not in fields:
        guess = did_you_mean(of, [*names, *fields])
        checker.diag.error(
            "E301", f"计算值「{c.name}」累计的「{of}」不是计算值或记录字段", c.span, c.clause.cite,
            f"你是不是想写「{guess}」？" if guess else "写要累计的计算值或记录字段的名称",
        )
        return None
    if c.unit is not None and c.kind == "running_sum":
        # A running value usually feeds what it sums (a cap on this year's payments): its type
        # is its declared unit, and what it sums is checked against that when it is typed.
        return Type("num", c.unit.dims)
    try:
        t = checker.env[of] if of in fields else computed_type(checker, ast.Name((0, 0), of), of)
    except _TypeError:
        checker.diag.error(
            "E313", f"计算值「{c.name}」累计的「{of}」又用到了「{c.name}」", c.span, c.clause.cite,
            f"给「{c.name}」写明 unit（例如 unit: 元），它就按此前记录累计，不构成循环",
        )
        return None
    if t.kind != "num":
        checker.diag.error("E302", f"计算值「{c.name}」只能累计数值，「{of}」是{t.describe()}", c.span, c.clause.cite)
        return None
    return Type("num", t.dims)


def check(checker: Checker) -> None:
    """Type every computed value, then check levels and the schedule."""
    for c in checker.p.computes:
        computed_type(checker, ast.Name((0, 0), c.name), c.name)
    for name, param in checker.p.parameters.items():
        _check_parameter(checker, name, param)
    if checker.p.computes:
        levels(checker.p, checker)
        schedule(checker.p, checker)
    for out in checker.p.evaluation.outputs:
        if out not in {c.name for c in checker.p.computes}:
            checker.diag.error("E301", f"evaluation.outputs 中的「{out}」不是计算值",
                               checker.p.spans.get("evaluation.outputs"))


def _check_parameter(checker: Checker, name: str, param: Any) -> None:
    span, cite = param.span, param.clause
    if param.by is not None:
        t = checker.env.get(param.by)
        if t is None and param.by in {c.name for c in checker.p.computes}:
            t = computed_type(checker, ast.Name((0, 0), param.by), param.by)
        if t is None or t.kind != "text" or t.values is None:
            checker.diag.error("E302", f"参数「{name}」的 by「{param.by}」应为单选（enum）的事实、记录字段或计算值",
                               span, cite)
            return
        keys = set(t.values)
        for src, dst in param.alias.items():
            if src not in keys or dst not in keys:
                checker.diag.error("E302", f"参数「{name}」的 alias「{src}: {dst}」不是「{param.by}」的取值", span, cite)
        wanted = keys - set(param.alias)
        if param.table:
            missing = sorted(wanted - set(param.table))
            extra = sorted(set(param.table) - keys)
            if missing:
                checker.diag.error("E302", f"参数「{name}」的 table 缺少「{param.by}」为 {'、'.join(missing)} 的值",
                                   span, cite, "逐项写出，或用 alias 写明按哪一项执行")
            if extra:
                checker.diag.error("E302", f"参数「{name}」的 table 中 {'、'.join(extra)} 不是「{param.by}」的取值",
                                   span, cite)
    elif param.table:
        checker.diag.error("E102", f"参数「{name}」写了 table，需要 by 指明按哪个取值查表", span, cite)
    for key, expr in param.table.items():
        t = checker.typecheck(expr, cite, "num", f"参数「{name}」（{key}）的值")
        if t is not None and param.unit is not None and t.dims != param.unit.dims:
            checker.diag.error("E303", f"参数「{name}」的值「{expr.text}」与单位 {param.unit.name} 不一致", expr.src.span)
    has_default = bool(param.values or param.table)
    if param.region == "required" and has_default:
        checker.diag.error("E302", f"参数「{name}」由统筹地区确定（region: required），不应再写本办法的值", span, cite,
                           "本办法写了默认值（原则上……）而地区可以另定时，写 region: override")
    if param.region in (None, "override") and not has_default:
        checker.diag.error("E102", f"参数「{name}」没有值：写 values 或 table，或写 region: required", span, cite)
    if param.region is not None and param.unit is None:
        checker.diag.error("E102", f"地区参数「{name}」需要 unit（地区参数文件的值按它换算）", span, cite)
    if param.date_fact and param.date_fact in record_fields(checker.p):
        if checker.env[param.date_fact].kind != "date":
            checker.diag.error("E301", f"参数「{name}」的 date「{param.date_fact}」不是日期字段", span, cite)
    for v in param.values:
        if v.until is not None and v.until < v.start:
            checker.diag.error("E312", f"参数「{name}」自 {v.start} 起的值，until {v.until} 早于开始日期", span, cite)


# -- levels and schedule --------------------------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """What runs, in order: person-level values (names) and record loops (kind, value names)."""

    entries: tuple[str | tuple[str, tuple[str, ...]], ...]
    levels: dict[str, str | None]  # computed value or parameter → its record kind (None: the person's)
    params: dict[str, tuple[str, ...]]  # computed value → the parameters its definition reads


def _reads(c: Computed) -> list[str]:
    exprs = [e for e in (c.value, c.where) if e is not None]
    if c.tiers is not None:
        exprs += [c.tiers.of, *(b.value for b in c.tiers.bands)]
        if c.tiers.otherwise is not None:
            exprs.append(c.tiers.otherwise)
    names = [n.name for e in exprs for n in ast.names(e.node)]
    if c.of is not None:
        names.append(c.of)
    return list(dict.fromkeys(names))


def _param_reads(policy: Policy, name: str) -> list[str]:
    param = policy.parameters[name]
    names = [n for n in (param.by, param.date_fact) if n]
    for expr in [*(v.value for v in param.values), *param.table.values()]:
        names += [n.name for n in ast.names(expr.node)]
    return names


def levels(policy: Policy, checker: Checker | None = None) -> dict[str, str | None]:
    """The record kind of every computed value and parameter (None: the person's): the least
    fixpoint of "a value belongs to the kinds of the records it reads", so values that feed each
    other through a running value (this year's payments so far) get their kind too."""
    fields = record_fields(policy)
    by_name = {c.name: c for c in policy.computes}
    reads = {n: _reads(c) for n, c in by_name.items()}
    reads.update({n: _param_reads(policy, n) for n in policy.parameters})
    kinds: dict[str, set[str]] = {n: set() for n in reads}
    changed = True
    while changed:
        changed = False
        for name, names in reads.items():
            c = by_name.get(name)
            if c is not None and c.kind in ("total", "count"):
                continue  # a value of all records belongs to the person
            found = set(kinds[name])
            for n in names:
                found |= {fields[n]} if n in fields else kinds.get(n, set())
            if found != kinds[name]:
                kinds[name], changed = found, True
    out: dict[str, str | None] = {}
    for name, found in kinds.items():
        out[name] = min(found) if found else None
        c = by_name.get(name)
        if c is None or checker is None:
            continue
        if len(found) > 1:
            checker.diag.error("E313", f"计算值「{name}」同时用到了{'、'.join(sorted(found))}两类记录",
                               c.span, c.clause.cite, "分别计算，再用 total 汇总后相加")
        if c.kind in ("total", "count") and not any(n in fields or kinds.get(n) for n in reads[name]):
            checker.diag.error("E313", f"计算值「{name}」汇总的不是记录上的值", c.span, c.clause.cite,
                               "total 写某类记录上的计算值或字段；人（企业）层面的值直接引用即可")
        if c.kind in ("running_sum", "running_count") and not found:
            checker.diag.error("E313", f"计算值「{name}」是此前记录的累计，但它累计的不是记录上的值", c.span,
                               c.clause.cite)
    return out


def _loop_of(policy: Policy, c: Computed, fields: dict[str, str], lv: dict[str, str | None]) -> str | None:
    """The record loop a `total`/`count` value is computed after."""
    for name in _reads(c):
        kind = fields.get(name) or lv.get(name)
        if kind is not None:
            return kind
    return None


def schedule(policy: Policy, checker: Checker | None = None) -> Schedule:
    """Person-level values and record loops in an order where each comes after what it reads."""
    lv = levels(policy)
    fields = record_fields(policy)
    by_name = {c.name: c for c in policy.computes}
    # Nodes: person-level value names, and "@<kind>" for the loop over a kind of record.
    deps: dict[str, set[str]] = {}
    per_record: dict[str, list[str]] = {k: [] for k in policy.records}

    def node_of(name: str) -> str | None:
        if name in by_name:
            kind = lv.get(name)
            return f"@{kind}" if kind is not None else name
        return None

    for c in policy.computes:
        kind = lv.get(c.name)
        node = f"@{kind}" if kind is not None else c.name
        deps.setdefault(node, set())
        if kind is not None:
            per_record[kind].append(c.name)
        if c.kind in ("total", "count"):
            loop = _loop_of(policy, c, fields, lv)
            if loop is not None:
                deps[node].add(f"@{loop}")
            continue
        for name in _reads(c):
            target = node_of(name) if c.kind not in ("running_sum",) or name != c.of else None
            if target is not None and target != node:
                deps[node].add(target)
        for pname in (n for n in _reads(c) if n in policy.parameters):
            for n in _param_reads(policy, pname):
                target = node_of(n)
                if target is not None and target != node:
                    deps[node].add(target)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            if checker is not None:
                loop = " → ".join(n.lstrip("@") for n in [*path[path.index(node):], node])
                checker.diag.error("E313", f"计算值之间有循环：{loop}", None, None,
                                   "记录上的值不能依赖汇总全部记录的值（total）")
            return
        state[node] = 1
        for dep in sorted(deps.get(node, ())):
            visit(dep, [*path, node])
        state[node] = 2
        order.append(node)

    for c in policy.computes:  # document order, where dependencies allow
        kind = lv.get(c.name)
        visit(f"@{kind}" if kind is not None else c.name, [])
    entries: list[str | tuple[str, tuple[str, ...]]] = []
    for node in order:
        if node.startswith("@"):
            kind = node[1:]
            entries.append((kind, tuple(_record_order(policy, per_record[kind], by_name, checker))))
        else:
            entries.append(node)
    params = {c.name: tuple(_params_read(policy, c)) for c in policy.computes}
    return Schedule(tuple(entries), lv, params)


def _params_read(policy: Policy, c: Computed) -> list[str]:
    """Parameters a value reads, with those their keys or dates read first; for a payment, also
    those the conditions concerning it read (水重复利用率 45%以上), chosen before they are tested."""
    out: list[str] = []

    def add(name: str) -> None:
        if name in out:
            return
        for n in _param_reads(policy, name):
            if n in policy.parameters:
                add(n)
        out.append(name)

    reads = _reads(c)
    if c.payment:
        for rule in (*policy.eligibility, *policy.exclusions):
            if rule.applies_to is None or c.name in rule.applies_to:
                reads += [n.name for n in ast.names(rule.when.node)]
    for name in reads:
        if name in policy.parameters:
            add(name)
    return out


def _record_order(
    policy: Policy, names: list[str], by_name: dict[str, Computed], checker: Checker | None
) -> list[str]:
    """The values of one record in dependency order (running values first: they are state)."""
    inside = set(names)
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            return  # a cycle: reported by computed_type
        state[name] = 1
        c = by_name[name]
        if c.kind not in ("running_sum", "running_count"):
            reads = set(_reads(c))
            for pname in (n for n in list(reads) if n in policy.parameters):
                reads.update(_param_reads(policy, pname))
            for dep in sorted(reads & inside):
                visit(dep)
        state[name] = 2
        order.append(name)

    for name in sorted(names, key=lambda n: by_name[n].kind not in ("running_sum", "running_count")):
        visit(name)
    return order


__all__ = ["BOOL", "Schedule", "add_names", "check", "computed_type", "levels", "record_fields", "schedule"]
