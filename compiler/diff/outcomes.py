"""Consequences: the same applications run under both versions with the reference interpreter."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.diff.model import AwardOutcome, CaseChange
from compiler.diff.wording import delta_text
from compiler.evaluate.cases import load_cases
from compiler.evaluate.interpreter import Interpreter
from compiler.model.policy import Policy
from compiler.runtime import core as evalrt
from compiler.source import schema, yamlsrc
from compiler.source.diagnostics import Diagnostic, PolicyError
from compiler.source.files import display_path
from compiler.source.yamlsrc import YMap, plain

IN_FORCE = "in-force"  # the interpreter's rule id for "the 办法 is not in force on that date"


@dataclass
class Application:
    name: str
    source: str
    facts: dict[str, Any]
    as_of: dt.date


def load_applications(path: Path, label: str | None = None) -> list[Application]:
    """A case file (`*.cases.yaml`, its expectations ignored) or a facts file (one application)."""
    name = label or display_path(path)
    tree = yamlsrc.load_yaml(path, name)
    if isinstance(tree, YMap) and tree.get("kind") == "computation":
        # Outcomes of computing policies (payments per record) are not compared by the diff yet.
        return []
    if isinstance(tree, YMap) and "cases" in tree:
        return [Application(c.name, name, c.facts, c.as_of) for c in load_cases(path).cases]
    tree = schema.validated(tree, name, "facts")
    if "as_of" not in tree:
        raise PolicyError([Diagnostic("E707", "申报信息缺少评价日期 as_of", tree.span,
                                      hint="在文件中写 as_of: 2026-06-01")])
    return [Application(path.stem.removesuffix(".facts"), name, plain(tree["facts"]),
                        dt.date.fromisoformat(str(tree["as_of"])))]


@dataclass
class _Outcome:
    ok: bool
    result: dict[str, Any] | None
    problem: str


def _run(interp: Interpreter, app: Application) -> _Outcome:
    unknown = sorted(k for k in app.facts if k not in interp.p.facts)
    if unknown:
        return _Outcome(False, None, "未声明事实：" + "、".join(unknown))
    try:
        return _Outcome(True, interp.evaluate(app.facts, app.as_of, trace=False), "")
    except evalrt.FactsError as exc:
        parts = []
        if exc.missing:
            parts.append("缺少事实：" + "、".join(exc.missing))
        if exc.invalid:
            parts.append("事实取值无效：" + "、".join(n for n, _ in exc.invalid))
        return _Outcome(False, None, "；".join(parts) or "申报信息有误")
    except evalrt.EvaluationError as exc:
        return _Outcome(False, None, f"无法计算（{exc.cite}）：{exc.message}")


def _statuses(result: dict[str, Any]) -> dict[str, tuple[str, Any, str, str]]:
    """award → (granted | deferred | refused, amount or rule, cite, clause address)."""
    out: dict[str, tuple[str, Any, str, str]] = {}
    for g in result["granted"]:
        out[g["award"]] = ("granted", g["amount"], g["cite"], g["clause"])
    for d in result.get("deferred", []):
        out[d["award"]] = ("deferred", d["amount"], d["cite"], d["clause"])
    for r in result["refused"]:
        out[r["award"]] = ("refused", r["rule"], r["cite"], r["clause"])
    return out


def _decision(status: tuple[str, Any, str, str] | None) -> tuple[Any, ...] | None:
    """What counts in an outcome: granted/deferred with the amount, or refused."""
    if status is None:
        return None
    return (status[0],) if status[0] == "refused" else status[:2]


def compare_outcomes(old: Policy, new: Policy, apps: Sequence[Application], old_name: str,
                     new_name: str) -> tuple[list[CaseChange], list[CaseChange]]:
    """(changed, not comparable) applications. An application whose facts one version does not
    declare, or that one version cannot evaluate, is not comparable; it never stops the diff."""
    io, inew = Interpreter(old), Interpreter(new)
    names = {a.id: a.name for a in [*old.awards, *new.awards]}
    changed: list[CaseChange] = []
    incomparable: list[CaseChange] = []
    for app in apps:
        x, y = _run(io, app), _run(inew, app)
        if not x.ok or not y.ok:
            if x.ok or y.ok or x.problem != y.problem:
                why = "；".join(f"{label}{o.problem}" for label, o in ((old_name, x), (new_name, y)) if not o.ok)
                incomparable.append(CaseChange(app.name, app.source, "not-comparable", None, None, [], [], why))
            continue
        assert x.result is not None and y.result is not None
        sa, sb = _statuses(x.result), _statuses(y.result)
        awards: list[AwardOutcome] = []
        clauses: list[str] = []
        in_force_only = True
        for award in dict.fromkeys([*sa, *sb]):
            before, after = sa.get(award), sb.get(award)
            # Eligibility and amount decide; which clause refused (its number may have moved)
            # or which rule refused is not a change in the outcome.
            if _decision(before) == _decision(after):
                continue
            awards.append(AwardOutcome(
                award, names.get(award, award),
                before[1] if before and before[0] == "granted" else None,
                after[1] if after and after[0] == "granted" else None,
                before[2] if before and before[0] == "refused" else None,
                after[2] if after and after[0] == "refused" else None,
            ))
            clauses.extend(st[3] for st in (before, after) if st and st[3])
            in_force_only &= any(st is not None and st[:2] == ("refused", IN_FORCE) for st in (before, after))
        if not awards and x.result["total"] == y.result["total"]:
            continue
        parts = []
        for aw in awards:
            was = evalrt.money_text(aw.old) if aw.old is not None else (
                f"不予奖励（{aw.old_refused}）" if aw.old_refused else "未申报")
            now = evalrt.money_text(aw.new) if aw.new is not None else (
                f"不予奖励（{aw.new_refused}）" if aw.new_refused else "未申报")
            parts.append(f"“{aw.name}”{was} → {now}")
        change = CaseChange(app.name, app.source, "changed", x.result["total"], y.result["total"], awards,
                            list(dict.fromkeys(clauses)), "", in_force_only=bool(awards) and in_force_only)
        delta = change.delta or Decimal(0)
        change.reason = (f"合计{evalrt.money_text(change.old_total or Decimal(0))} → "
                         f"{evalrt.money_text(change.new_total or Decimal(0))}（{delta_text(delta)}）："
                         + "；".join(parts))
        changed.append(change)
    return changed, incomparable
