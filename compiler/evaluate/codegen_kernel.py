"""The record loop a generated computing evaluator runs with the trace off (a `RecordKind.kernel`).

`settle` (runtime/computation.py) is the procedure. A settlement without a trace only needs the
numbers, and a fund settles millions of visits, so the generated module also writes each kind of
record's loop out as one function, `_records_N`: every record field, computed value, running
value and parameter is a local variable (named as the 办法 names it, where Python allows), the
steps run as statements in the schedule's order, and each record's result entry is built in
place. Measured on the outpatient evaluator (callgrind, `evaluate_amounts`): about 35k
instructions a visit this way, against 151k through the steps one by one.

The loop takes records only as `_as_given` takes them (a dict of known fields, each of its
checked type and inside its domain, in base units; in date order inside the 办法's validity) and
looks a parameter up only in a table of constants (`_Run.table`). Anything else — a text to
convert, an unknown key, a band no value falls in, a step that raises — makes it decline (return
None, or let the exception go), and `settle` runs the steps one by one, which convert, locate the
error and explain it. So the loop never explains anything itself: what it computes is the
procedure's arithmetic, and every case compares it with the traced run and the interpreter.
"""

from __future__ import annotations

import keyword
import unicodedata
from decimal import Decimal
from typing import Any

from compiler.evaluate import derive_computation as dc
from compiler.evaluate.codegen import _unwrap
from compiler.evaluate.expressions import ExprCompiler
from compiler.evaluate.pywriter import WIDTH, PyWriter, wrap_code
from compiler.lang import ast
from compiler.model.check_computation import Schedule
from compiler.model.policy import Computed, Expr, Policy
from compiler.runtime.core import FactSpec


class _Locals(ExprCompiler):
    """Names are local variables of the loop: bound in the record (fields, values, running values,
    parameters chosen per record) or read once from the person's environment before the loop."""

    def __init__(self, policy: Policy, constants: dict[str, tuple[str, Any]]) -> None:
        super().__init__(policy)
        self.constants = constants  # shared with the module's other code: one _K per constant
        self.bound: dict[str, str] = {}  # name → local, bound inside the loop
        self.from_env: dict[str, str] = {}  # name → local, read from `env` before the loop
        self.taken: set[str] = set()
        self.temps = 0

    def local(self, name: str) -> str:
        """The local variable for `name`: the name itself where it is a Python identifier that no
        helper of the loop uses (Chinese names are; helpers are ASCII), else `_n<k>`."""
        plain = (name.isidentifier() and not name.isascii() and not keyword.iskeyword(name)
                 and unicodedata.normalize("NFKC", name) == name)  # fmt: skip
        local = name if plain and name not in self.taken else f"_n{len(self.taken)}"
        self.taken.add(local)
        return local

    def bind(self, name: str) -> str:
        if name not in self.bound:
            self.bound[name] = self.from_env.get(name) or self.local(name)
        return self.bound[name]

    def compile(self, node: ast.Node) -> str:
        if isinstance(node, ast.Call) and node.func in ("max", "min") and len(node.args) >= 2:
            # max/min written out: a call of the builtin costs more than the comparison. max keeps
            # the first of equal values (a ≥ b → a), min too (a ≤ b → a), as the builtins do.
            op = ">=" if node.func == "max" else "<="
            code = self.compile(node.args[0])
            for arg in node.args[1:]:
                a, b = self.temporary(code), self.temporary(self.compile(arg))
                code = f"({a[0]} if {a[1]} {op} {b[1]} else {b[0]})"
            return code
        return super().compile(node)

    def temporary(self, code: str) -> tuple[str, str]:
        """(how to read `code` again, how to compute it the first time): a local, or a walrus."""
        if code.isidentifier() or (code.startswith("(") and code.endswith(")") and code[1:-1].isidentifier()):
            return code, code
        self.temps += 1
        return f"_m{self.temps}", f"(_m{self.temps} := {code})"

    def name(self, name: str) -> str:
        if name in self.bound:
            return self.bound[name]
        if name not in self.from_env:
            self.from_env[name] = self.local(name)
        return self.from_env[name]


class KernelWriter:
    """Writes `_records_N` for one kind of record, or says why it cannot (then the kind has none)."""

    def __init__(self, policy: Policy, sched: Schedule, constants: dict[str, tuple[str, Any]]) -> None:
        self.p, self.sched, self.constants = policy, sched, constants
        self.by_name = {c.name: c for c in policy.computes}

    def supported(self, names: tuple[str, ...], specs: dict[str, FactSpec]) -> bool:
        """Whether the loop can be written: values over all records have no place in it, and it
        takes fields of the kinds `_as_given` takes (a set is always converted, so a loop could
        never take its records); such a kind runs through the steps one by one."""
        return all(self.by_name[n].kind in ("value", "tiers", "running_sum", "running_count") for n in names) \
            and all(sp.kind in ("num", "text", "bool", "date") for sp in specs.values())

    def write(self, w: PyWriter, kind: str, names: tuple[str, ...], number: int,
              specs: dict[str, FactSpec]) -> str:
        p, by_name = self.p, self.by_name
        rec = p.records[kind]
        self.kind = kind
        x = _Locals(p, self.constants)
        self.x = x
        inside = set(rec.fields) | set(names)
        tables = self.tables(names, inside)
        self.groups: dict[str, list[str]] = {}
        for pname, group in tables.items():
            self.groups.setdefault(group, []).append(pname)
        body = PyWriter()
        body.level = 2
        # The fields, checked as _as_given takes them: the ordering field first.
        fields = sorted(rec.fields, key=lambda n: n != rec.order)
        required = [n for n in fields if not (specs[n].has_default or specs[n].optional)]
        for n in fields:
            self.field(body, n, specs[n], kind, rec.order)
        if required:
            body.line(f"unread -= {len(required)}  # the required fields, each read (else KeyError)")
        body.line("if unread:")
        with body.indent():
            body.line("return None")
        if rec.period is not None and rec.order is not None:
            day = x.bound[rec.order]
            body.line(f"key = {day}.year" if rec.period == "year" else f"key = ({day}.year, {day}.month)")
        running = [n for n in names if by_name[n].kind in ("running_sum", "running_count")]
        for n in running:
            x.bind(n)
        if running and rec.period is not None and rec.order is not None:
            body.line("if key != period:")
            with body.indent():
                body.line("period = key")
                for n in running:
                    body.line(f"{x.bound[n]} = {self.zero(n)}  # {n}")
        body.line("refused: list[dict[str, Any]] = []")
        self.chosen: set[str] = set()
        for j, n in enumerate(names):
            self.step(body, by_name[n], j, inside, tables)
        for n in running:
            c = by_name[n]
            add = x.name(c.of or "") if c.kind == "running_sum" else "1"
            if c.where is not None:
                body.line(f"if {self.code(c.where)}:")
                with body.indent():
                    body.line(f"{x.bound[n]} += {add}")
            else:
                body.line(f"{x.bound[n]} += {add}")
        self.entry(body, kind, names)

        name = f"_records_{number}"
        w.line(f"def {name}(run: _Run, rows: Sequence[Any], env: Env) -> "
               "tuple[list[Row], list[Env], dict[str, Decimal]] | None:")  # fmt: skip
        with w.indent():
            w.line(f'"""The 「{kind}」 records with the trace off: their rows, what later values read of them')
            w.line("and the payments' sums; None when they are not as given (see")
            w.line('compiler/evaluate/codegen_kernel.py)."""')
            if tables:
                # The tables this loop reads, chosen once per region (kept with the region's values):
                # the tables by the same key as one, each key giving the values of all of them.
                groups = self.groups
                w.line(f"tables = run.tables.get({number})")
                w.line("if tables is None:")
                with w.indent():
                    w.line(f"tables = run.tables[{number}] = (")
                    with w.indent():
                        for members in groups.values():
                            if len(members) == 1:
                                w.line(f"run.table(PLAN.params[{members[0]!r}]),")
                            else:
                                chosen = ", ".join(f"PLAN.params[{m!r}]" for m in members)
                                self.line(w, f"run.table_group(({chosen})),")
                    w.line(")")
                unpacked = ", ".join(groups)
                w.line(f"{unpacked if len(groups) > 1 else f'({unpacked},)'} = tables")
                for local, members in groups.items():
                    w.comment(f"{local}: {'、'.join(members)}")
            if x.from_env:
                w.comment("The person's values the steps read.")
            for n, local in x.from_env.items():
                w.line(f"{local} = env[{n!r}]")
            w.line("out: list[Row] = []")
            w.line("done: list[Env] = []")
            paid = [n for n in names if by_name[n].payment]
            for i, n in enumerate(paid):
                w.line(f"paid{i} = {x.const(Decimal(0))}  # {n}")
            if rec.order is not None:
                validity = dc.validity(self.p)
                first = f"{x.const(validity[0])}" if validity is not None else "dt.date.min"
                w.line(f"previous = {first}  # the date the next record may not be before")
            if running and rec.period is not None and rec.order is not None:
                w.line("period: Any = None")
            for n in running:
                w.line(f"{x.bound[n]} = {self.zero(n)}  # {n}")
            w.line("for record in rows:")
            with w.indent():
                w.line("if record.__class__ is not dict:")
                with w.indent():
                    w.line("return None")
                # A key the policy does not know: every known field is read below and counted off
                # the record's size, so what is left over is unknown (cheaper than keys() <= known).
                w.line("unread = len(record)")
                for line in body.lines:
                    w.lines.append(line)
            sums = ", ".join(f"{n!r}: paid{i}" for i, n in enumerate(paid))
            w.line(f"return out, done, {{{sums}}}")
        w.line()
        w.line()
        return name

    # -- pieces ------------------------------------------------------------------------------

    def outputs(self) -> set[str]:
        p = self.p
        return set(p.evaluation.outputs or [c.name for c in p.computes if c.payment])

    def tables(self, names: tuple[str, ...], inside: set[str]) -> dict[str, str]:
        """The table parameters a record chooses by key whose values read nothing (constants, or the
        region's): looked up once per region (run.table), then per record by its key; the local
        of each, one for the tables by the same key."""
        out: dict[str, str] = {}
        by_key: dict[str, str] = {}
        for n in names:
            for pname in self.sched.params[n]:
                param = self.p.parameters[pname]
                constant = all(not list(ast.names(e.node)) for e in param.table.values())
                if param.by in inside and param.date_fact is None and constant and pname not in out:
                    out[pname] = by_key.setdefault(param.by, f"t{len(by_key)}")
        return out

    def code(self, expr: Expr) -> str:
        return _unwrap(self.x.compile(expr.node))

    def field(self, w: PyWriter, name: str, spec: FactSpec, kind: str, order: str | None) -> None:
        """Read one field into its local; decline unless `_as_given` would take it as it is."""
        x = self.x
        local = x.bind(name)
        if spec.has_default or spec.optional:
            w.line(f"{local} = record.get({name!r}, _ABSENT)")
            w.line(f"if {local} is _ABSENT:")
            with w.indent():
                w.line(f"{local} = {x.const(spec.default) if spec.has_default else 'None'}")
            w.line("else:")
            with w.indent():
                w.line("unread -= 1")
        else:
            # A required field: absent, the KeyError declines the records (the steps name the field).
            w.line(f"{local} = record[{name!r}]")
        tests: list[str] = []
        if spec.kind == "num":
            # An int, or a finite Decimal (whole, for a count: as read, "3人" is Decimal(3)).
            empty_ok = f"{local} is not None and " if spec.optional else ""
            w.line(f"if {local}.__class__ is Decimal:")
            with w.indent():
                whole = f" or {local} != {local}.to_integral_value()" if spec.whole else ""
                w.line(f"if not {local}.is_finite(){whole}:")
                with w.indent():
                    w.line("return None")
            w.line(f"elif {empty_ok}{local}.__class__ is not int:")
            with w.indent():
                w.line("return None")
            if spec.minimum is not None:
                tests.append(f"{local} < {self.bound(spec.minimum)}")
            if spec.maximum is not None:
                tests.append(f"{local} > {self.bound(spec.maximum)}")
        elif spec.kind == "text":
            tests.append(f"{local}.__class__ is not str")
            if spec.values is not None:
                tests.append(f"{local} not in {x.const(spec.values)}")
        elif spec.kind == "bool":
            tests.append(f"{local}.__class__ is not bool")
        else:
            tests.append(f"{local}.__class__ is not dt.date")
            if name == order:
                # `previous` starts at the 办法's first day (see write): one comparison declines a
                # record out of order and one dated before the validity.
                tests.append(f"{local} < previous")
                validity = dc.validity(self.p)
                if validity is not None and validity[1] is not None:
                    tests.append(f"{local} > {x.const(validity[1])}")
        if tests:
            test = " or ".join(tests)
            if spec.optional:
                test = f"{local} is not None and ({test})"
            self.branch(w, "if", test)
            with w.indent():
                w.line("return None")
        if name == order:
            w.line(f"previous = {local}")

    def bound(self, value: Any) -> str:
        return self.x.const(value)  # a Decimal: most fields are (a Decimal compares faster with a Decimal)

    def zero(self, name: str) -> str:
        """A running value's start: a count is an int in the loop (exact, and its arithmetic and
        comparisons with an int are many times cheaper), shown as the Decimal the steps give."""
        return "0" if self.by_name[name].kind == "running_count" else self.x.const(Decimal(0))

    def as_stepped(self, name: str) -> str:
        """A local as the steps one by one would hold it (a count as a Decimal)."""
        local = self.x.name(name)
        return f"Decimal({local})" if name in self.by_name and self.by_name[name].kind == "running_count" else local

    def params(self, w: PyWriter, c: Computed, inside: set[str], tables: dict[str, str]) -> None:
        """Choose the parameters a step reads that depend on the record, into locals."""
        x = self.x
        for pname in self.sched.params[c.name]:
            param = self.p.parameters[pname]
            if pname in self.chosen or not (param.by in inside or param.date_fact in inside):
                continue
            self.chosen.add(pname)
            local = x.bind(pname)
            if pname in tables:
                members = self.groups[tables[pname]]
                key = x.name(param.by or "")
                if len(members) == 1:
                    w.line(f"{local} = {tables[pname]}.get({key})  # {pname}")
                    w.line(f"if {local} is None:")
                else:
                    # All the tables by this key at once (the steps choose them all for every record).
                    w.line(f"row = {tables[pname]}.get({key})  # {'、'.join(members)}")
                    w.line("if row is None:")
                with w.indent():
                    w.line("return None")  # an empty or unknown key: run.param says which
                if len(members) > 1:
                    for m in members:
                        self.chosen.add(m)
                        x.bind(m)
                    w.line(f"{', '.join(x.bound[m] for m in members)} = row")
            else:
                # A value by the record's date (or computed from other values): the runtime's
                # choice over what the record has bound so far.
                bound = ", ".join(f"{n!r}: {self.as_stepped(n)}" for n in x.bound if n != pname)
                self.line(w, f"g = {{**env, {bound}}}")
                w.line(f"{local} = run.param(PLAN.params[{pname!r}], g, [])")

    def step(self, w: PyWriter, c: Computed, j: int, inside: set[str], tables: dict[str, str]) -> None:
        if c.kind in ("running_sum", "running_count"):
            return  # bound before the steps, added to after them
        x = self.x
        cite = c.clause.cite
        self.params(w, c, inside, tables)
        # Compile before binding: a value never reads itself.
        where = self.code(c.where) if c.where is not None else None
        local = x.bind(c.name)
        w.comment(f"{cite} {c.name}" + ("（支付）" if c.payment else ""))
        if where is not None:
            self.branch(w, "if", f"not ({where})")
            with w.indent():
                w.line(f"{local} = {x.const(Decimal(0))}")
            w.line("else:")
            with w.indent():
                self.compute(w, c, j, local)
        else:
            self.compute(w, c, j, local)

    def compute(self, w: PyWriter, c: Computed, j: int, local: str) -> None:
        target = "value" if c.payment else local
        if c.kind == "value" and c.value is not None:
            self.assign(w, target, self.code(c.value))
        elif c.tiers is not None:
            t = c.tiers
            self.assign(w, "basis", self.code(t.of))
            word = "if"
            for b in t.bands:
                tests = []
                if b.band.lower is not None:
                    tests.append(f"basis {'>=' if b.band.lower_inclusive else '>'} {self.bound(b.band.lower)}")
                if b.band.upper is not None:
                    tests.append(f"basis {'<=' if b.band.upper_inclusive else '<'} {self.bound(b.band.upper)}")
                w.line(f"{word} {' and '.join(tests) or 'True'}:  # {b.range_src}")
                with w.indent():
                    self.assign(w, target, self.code(b.value))
                word = "elif"
            w.line("else:")
            with w.indent():
                if t.otherwise is not None:
                    self.assign(w, target, self.code(t.otherwise))
                else:
                    w.line("return None")  # no band: the step says so
        if not c.payment:
            return
        p = self.p
        rules = (*p.eligibility, *p.exclusions)
        index = {r.id: i for i, r in enumerate(rules)}
        word = "if"
        for r in rules:
            if r.applies_to is not None and c.name not in r.applies_to:
                continue
            test = self.code(r.when)
            self.branch(w, word, f"{'not ' if r.kind == 'eligibility' else ''}({test})")
            with w.indent():
                w.line(f"{local} = {self.x.const(Decimal(0))}")
                w.line(f"refused.append(refusal_entry({c.name!r}, PLAN.conditions[{index[r.id]}]))")
            word = "elif"
        # Rounded to 分 as _money rounds (an int, or a value beyond 28 digits, through _money itself).
        step = f"PLAN.records[{self.kind!r}].steps[{j}]"  # for _money's message, when it has one to give
        rounded = f"value.quantize(CENT, ROUND_HALF_UP) if value.__class__ is Decimal else _money({step}, value)"
        if word == "elif":
            w.line("else:")
            with w.indent():
                self.assign(w, local, rounded)
        else:
            self.assign(w, local, rounded)

    def branch(self, w: PyWriter, word: str, test: str) -> None:
        """`if test:` (or elif), the test in parentheses when it must be split over lines."""
        text = f"{word} {test}:"
        if 4 * w.level + len(text) > WIDTH:
            text = f"{word} ({test}):"
        for part in wrap_code(text, 4 * w.level):
            w.line(part)

    def assign(self, w: PyWriter, target: str, code: str) -> None:
        """`target = code`, the value in parentheses when it must be split over lines (the
        splitter breaks only inside brackets)."""
        text = f"{target} = {code}"
        if 4 * (w.level + 1) + len(text) > WIDTH:
            text = f"{target} = ({code})"
        self.line(w, text)

    def line(self, w: PyWriter, code: str) -> None:
        for text in wrap_code(code, 4 * (w.level + 1)):
            w.line(text)

    def later(self, kind: str) -> dict[str, None] | None:
        """What the person's later values read of each record of `kind` (a total or count over
        them sums or filters by), or None when none reads them."""
        later: dict[str, None] | None = None
        for c in self.p.computes:
            if c.kind in ("total", "count") and dc.record_of(self.p, c, self.sched) == kind:
                later = later if later is not None else {}
                if c.of:
                    later[c.of] = None
                if c.where is not None:
                    later.update(dict.fromkeys(n.name for n in ast.names(c.where.node)))
        return later

    def columns(self, names: tuple[str, ...]) -> list[str]:
        """RecordKind.columns: the values the result shows and the payments, in step order."""
        outputs = self.outputs()
        return [n for n in names if n in outputs or self.by_name[n].payment]

    def entry(self, w: PyWriter, kind: str, names: tuple[str, ...]) -> None:
        """The record's row (refusals, no trace, the values of RecordKind.columns), the payments'
        sums and what later values read of the record."""
        x = self.x
        paid = [n for n in names if self.by_name[n].payment]
        for i, n in enumerate(paid):
            w.line(f"if {x.bound[n]}:")  # most are 0
            with w.indent():
                w.line(f"paid{i} += {x.bound[n]}")
        later = self.later(kind)
        if later is not None:
            self.line(w, "done.append({" + ", ".join(f"{n!r}: {self.as_stepped(n)}" for n in later) + "})")
        self.line(w, "out.append((refused, None, " + ", ".join(self.as_stepped(n) for n in self.columns(names)) + "))")
