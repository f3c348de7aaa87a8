"""What the computation procedure is given: a computing policy version compiled into data.

A `Computation` holds the parameters (`ParamItem`: dated values, tables by a key with aliases,
regional values), the named values in dependency order (`Step`s of the person and `RecordKind`
loops over records), the conditions on payments and how every value is shown. Both engines build
one: the interpreter with tree-walking callables, the generated module with compiled functions
(and, for runs without a trace, each record loop written out as its `kernel`). The procedure
itself is runtime/computation.py.

Standard library only: copied into every generated evaluator of a computing policy after `core`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from compiler.runtime.core import FactSpec, money_text, zh_date

# --- runtime: inlined into generated modules from here on ---

Env = dict[str, Any]
Fn = Callable[[Env], Any]
# A generated record loop (trace off): (the records' result entries, what later values read of
# each record, the sum of each payment), or None when it declines the records (RecordKind.kernel).
Kernel = Callable[[Any, Sequence[Any], Env], "tuple[list[Row], list[Env], dict[str, Decimal]] | None"]
# A record's row: its refusals, its trace (None: not traced) and the values of RecordKind.columns.
Row = tuple[Any, ...]


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
                 "untils", "region", "spec", "label", "constant")  # fmt: skip

    def __init__(
        self, name: str, clause: str, cite: str, *, shown: Shown, label: str, on: str | None = None,
        by: str | None = None, alias: Mapping[str, str] | None = None, keys: tuple[str, ...] = (),
        values: tuple[Fn, ...] = (), starts: tuple[dt.date, ...] = (), untils: tuple[dt.date | None, ...] = (),
        region: str | None = None, spec: FactSpec | None = None, constant: bool = False,
    ) -> None:
        self.name, self.clause, self.cite, self.shown, self.label = name, clause, cite, shown, label
        self.on, self.by = on, by  # the date that chooses a dated value; the key of a table
        self.alias = dict(alias or {})
        self.keys, self.values = keys, values  # a table's keys and their values (or one value)
        self.starts, self.untils = starts, untils  # dated values: first and last day of each
        self.region = region  # None, "required" or "override"
        self.spec = spec  # how a region file's value is read (unit, domain)
        # One value that reads nothing (no key, no date, constants only): the same for everyone
        # with the same region, so a run without a trace chooses it once per region.
        self.constant = constant


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

    __slots__ = ("name", "label", "order", "period", "specs", "steps", "defaults", "base_units", "kernel",
                 "raw_ok", "before_loop", "before_loop_chosen", "constants_key", "columns", "shown_columns",
                 "paid_columns")  # fmt: skip

    def __init__(
        self, name: str, label: str, *, order: str | None, period: str | None, specs: Mapping[str, FactSpec],
        steps: tuple[Step, ...], kernel: Kernel | None = None,
    ) -> None:
        self.name, self.label, self.order, self.period = name, label, order, period
        self.specs, self.steps = specs, steps
        # Generated code: the record loop with the steps written out, for runs with the trace off.
        # It takes records only as `_as_given` would take them (and in order, inside the validity)
        # and returns None for anything else, and it explains nothing: settle then runs the steps
        # one by one, which convert, locate the error or explain it.
        self.kernel = kernel
        # The values of fields a record may leave out (defaults, or empty when optional).
        self.defaults = {n: (sp.default if sp.has_default else None) for n, sp in specs.items()
                         if sp.has_default or sp.optional}
        # Number fields whose own unit is the base unit (元, not 万元): a number given is taken as it is.
        self.base_units = frozenset(n for n, sp in specs.items() if sp.units and sp.units.get(sp.unit or "") == 1)
        # Whether the kernel may read the records as given (no number needs converting to its base unit).
        self.raw_ok = all(sp.kind != "num" or n in self.base_units for n, sp in specs.items())
        # Parameters that no record chooses (no key or date among the record's fields and values),
        # chosen once for the person before the loop; filled in by Computation.
        self.before_loop: tuple[str, ...] = ()
        self.before_loop_chosen: tuple[str, ...] = ()  # those that are not constants (chosen for each person)
        self.constants_key = ("constants", name)  # where a run keeps the constants with the region's values
        # What each record's row holds after its refusals and trace: the values the result shows
        # and the payments, in step order (Computation fills them in: the outputs are the plan's).
        self.columns: tuple[str, ...] = ()
        self.shown_columns: tuple[tuple[int, str, Shown], ...] = ()  # (position in the row, name, unit)
        self.paid_columns: tuple[tuple[int, str, bool], ...] = ()  # (position, name, whether shown too)


class Computation:
    """Everything `settle` needs to know about one computing policy version."""

    __slots__ = ("policy", "version", "doc_number", "read_facts", "params", "schedule", "conditions",
                 "validity", "outputs", "records", "shown", "guards", "region_cache", "person_shown",
                 "kernels", "dated", "columns")  # fmt: skip

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
        # The region last read (a copy, compared by value) and what was read of it.
        self.region_cache: tuple[Any, Region] | None = None
        # How the person's values are shown (their step's unit), and whether any loop has a kernel.
        self.person_shown = {s.name: s.shown for s in schedule if isinstance(s, Step)}
        self.kernels = any(k.kernel is not None for k in self.records.values())
        self.dated = all(k.order is not None for k in self.records.values())  # every kind of record has a date
        for kind in self.records.values():
            inside = set(kind.specs) | {s.name for s in kind.steps}
            chosen = (n for s in kind.steps for n in s.params
                      if self.params[n].by not in inside and self.params[n].on not in inside)
            kind.before_loop = tuple(dict.fromkeys(chosen))
            kind.before_loop_chosen = tuple(n for n in kind.before_loop if not self.params[n].constant)
            kind.columns = tuple(s.name for s in kind.steps if s.name in outputs or s.payment)
            steps = {s.name: s for s in kind.steps}
            kind.shown_columns = tuple((2 + i, n, steps[n].shown) for i, n in enumerate(kind.columns) if n in outputs)
            # A payment also shown has the same text in both places (it is a Decimal in 元).
            kind.paid_columns = tuple((2 + i, n, n in outputs and steps[n].shown.money)
                                      for i, n in enumerate(kind.columns) if steps[n].payment)  # fmt: skip
        self.columns = {k.name: k.columns for k in self.records.values()}  # what each record's row holds


class Region:
    """A region file read for one plan: its values in base units, where each came from and the
    notice (read_region), and what the record loops chose from them (`tables`: tables by name,
    each loop's constants and tables). A caller settling many persons with one file reads it once
    (`prepare_region`) and passes this instead of the file's mapping: no settlement then compares
    or reads the file again."""

    __slots__ = ("plan", "values", "sources", "notice", "tables")

    def __init__(self, plan: Computation, values: Env, sources: dict[str, str], notice: str | None) -> None:
        self.plan, self.values, self.sources, self.notice = plan, values, sources, notice
        self.tables: dict[Any, Any] = {}
