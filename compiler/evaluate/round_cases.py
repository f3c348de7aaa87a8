"""Test cases of a periodic award as data (`<version>.round-cases.yaml`): eligibility from facts
and history, a round's result from a ranked list, a round's calendar — or the input error each
must give, with its place in the input.

Like `cases.py`, every case runs on the generated module and on the reference interpreter, which
must meet the expectation and agree exactly (whole results, traces and error problems included).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler.evaluate.award_round_command import where_text
from compiler.evaluate.award_round_engines import GeneratedRound, InterpreterRound, RoundEngine
from compiler.evaluate.codegen import generate
from compiler.evaluate.interpreter import Interpreter
from compiler.model.award_round import duration_of
from compiler.model.load import load_policy
from compiler.runtime import core as evalrt
from compiler.runtime.award_round import CalendarUnknown, RoundInputError
from compiler.source.diagnostics import Diagnostic, PolicyError, Span
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, plain


@dataclass
class RoundCase:
    name: str
    kind: str  # eligibility | round | calendar
    given: dict[str, Any]
    expect: YMap
    span: Span


@dataclass
class RoundCaseFile:
    path: Path
    policy_path: Path
    cases: list[RoundCase]


@dataclass
class RoundCaseResult:
    case: RoundCase
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def find_round_case_files(root: Path) -> list[Path]:
    return sorted(root.glob("*/*.round-cases.yaml"))


def load_round_cases(path: Path) -> RoundCaseFile:
    tree = load_document(path, "round-cases")
    defaults = plain(tree.get("defaults") or {})
    cases, errors = [], []
    for i, raw in enumerate(tree["cases"]):
        kinds = [k for k in ("eligibility", "round", "calendar") if k in raw]
        if len(kinds) != 1:
            errors.append(Diagnostic("E102", f"用例「{raw['name']}」应恰好写 eligibility、round、calendar 之一", raw.span))
            continue
        given = plain(raw[kinds[0]])
        if kinds[0] == "eligibility":
            facts = dict(defaults.get("facts") or {})
            facts.update(given.get("facts") or {})
            for key in given.get("unset") or []:
                facts.pop(key, None)
            as_of = given.get("as_of", defaults.get("as_of"))
            if as_of is None:
                errors.append(Diagnostic("E102", f"用例「{raw['name']}」缺少 as_of（申报日期）", raw.span))
                continue
            given = {"facts": facts, "history": given.get("history"), "as_of": dt.date.fromisoformat(str(as_of))}
        cases.append(RoundCase(str(raw["name"]), kinds[0], given, raw["expect"], tree["cases"].item_spans[i]))
    if errors:
        raise PolicyError(errors)
    return RoundCaseFile(path, path.parent / str(tree["policy"]), cases)


def engines(policy_path: Path) -> tuple[RoundEngine, RoundEngine]:
    """(generated, reference) round engines of a policy."""
    policy = load_policy(policy_path)
    src = generate(policy, policy_path.read_text(encoding="utf-8-sig"), display_path(policy_path))
    ns: dict[str, Any] = {"__name__": f"policyc_generated_{policy.policy_id}"}
    exec(compile(src, f"<generated {policy.policy_id}/{policy.version}>", "exec"), ns)
    return GeneratedRound(ns), InterpreterRound(policy, Interpreter(policy).build_plan())


def outcome(engine: RoundEngine, case: RoundCase) -> tuple[str, Any]:
    g = case.given
    try:
        if case.kind == "eligibility":
            return "ok", engine.assess(g["facts"], g["history"], g["as_of"])
        if case.kind == "round":
            return "ok", engine.result(g["candidates"], g.get("proposal"))
        durations = {k: duration_of(str(v)) or (0, False) for k, v in (g.get("durations") or {}).items()}
        events = {k: dt.date.fromisoformat(str(v)) for k, v in (g.get("events") or {}).items()}
        return "ok", engine.calendar(dt.date.fromisoformat(str(g["start"])), events, durations)
    except RoundInputError as exc:
        return "input_error", exc.problems
    except CalendarUnknown as exc:
        return "calendar_unknown", exc.year
    except evalrt.FactsError as exc:
        return "facts_error", (exc.missing, exc.invalid, exc.unknown)
    except evalrt.EvaluationError as exc:
        return "evaluation_error", (exc.cite, exc.message, exc.rule)


def run_round_case(case: RoundCase, generated: RoundEngine, reference: RoundEngine) -> RoundCaseResult:
    res = RoundCaseResult(case)
    gen, ref = outcome(generated, case), outcome(reference, case)
    if gen != ref:
        res.failures.append("生成的求值器与参考解释器结果不一致（差异测试失败）")
    kind, out = gen
    exp = plain(case.expect)
    if "error" in exp:
        if kind != "input_error":
            res.failures.append(f"应在 {exp['error']['at']} 报错，实际{'计算成功' if kind == 'ok' else kind}")
            return res
        places = {where_text(path): message for path, message, _ in out}
        at = exp["error"]["at"]
        if at not in places:
            res.failures.append(f"应在 {at} 报错，实际报错位置为 {sorted(places)}")
        elif exp["error"].get("contains") and exp["error"]["contains"] not in places[at]:
            res.failures.append(f"{at} 的错误应含「{exp['error']['contains']}」，实际为「{places[at]}」")
        return res
    if kind != "ok":
        res.failures.append(f"计算失败：{kind} {out}")
        return res
    r: dict[str, Any] = out
    checks: list[tuple[str, Any, Any]] = []
    if "eligible" in exp:
        checks.append(("可否申报", exp["eligible"], r["eligible"]))
    if "refused" in exp:
        checks.append(("拒绝理由所引条款", exp["refused"], [x["cite"] for x in r["refused"]]))
    if "bans" in exp:
        want = {k: [str(d) for d in v] for k, v in exp["bans"].items()}
        checks.append(("禁止申报期", want, {b["rule"]: [b["from"].isoformat(), b["until"].isoformat()] for b in r["bans"]}))
    if "awarded" in exp:
        checks.append(("获奖组织", exp["awarded"], {a["organisation"]: a["name"] for a in r["awarded"]}))
    if "vacant" in exp:
        checks.append(("空缺", exp["vacant"], {p["name"]: p["vacant"] for p in r["places"] if p["vacant"] is not None}))
    if "undecided" in exp:
        checks.append(("并列待定", exp["undecided"], r["undecided"]["names"] if r["undecided"] else []))
    if "differences" in exp:
        checks.append(("与建议名单的差异数", exp["differences"], len(r["differences"])))
    if "steps" in exp:
        got = {s["step"]: [s["from"].isoformat(), s["to"].isoformat()] for s in r["steps"]}
        want = {k: [str(d) for d in v] for k, v in exp["steps"].items()}
        checks.append(("程序日期", want, {k: got.get(k) for k in want}))
    if "moved" in exp:
        got_moved = {s["step"]: s["moved_from"].isoformat() for s in r["steps"] if s["moved_from"]}
        checks.append(("顺延", {k: str(v) for k, v in exp["moved"].items()}, got_moved))
    if "unplaced" in exp:
        checks.append(("未排定的步骤", sorted(exp["unplaced"]), sorted(u["step"] for u in r["unplaced"])))
    for what, want, got in checks:
        if want != got:
            res.failures.append(f"{what}应为 {want}，实际为 {got}")
    return res


def run_round_file(path: Path) -> list[RoundCaseResult]:
    cf = load_round_cases(path)
    generated, reference = engines(cf.policy_path)
    return [run_round_case(case, generated, reference) for case in cf.cases]
