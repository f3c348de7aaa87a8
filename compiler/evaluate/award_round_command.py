"""Periodic awards on the command line: `policyc eval` of a periodic award (facts and history →
eligibility, hooked from cli.cmd_eval), `policyc round` (a ranked list → the round's result) and
`policyc calendar` (a round's procedure calendar). Each runs on the generated evaluator (the
committed one when fresh) or, with --engine interpreter, on the reference interpreter.
Input problems are diagnostics at their place in the input file (exit 1)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.evaluate.award_round_engines import GeneratedRound, InterpreterRound, RoundEngine
from compiler.evaluate.precompiled import fresh_module, load_module
from compiler.model.award_round import duration_of
from compiler.model.policy import Policy
from compiler.runtime import core as evalrt
from compiler.runtime.award_round import CalendarUnknown, RoundInputError
from compiler.source.diagnostics import Diagnostic, PolicyError, UsageError
from compiler.source.files import GENERATED, display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, locate, plain


def engine_for(policy_path: Path, engine: str) -> tuple[RoundEngine, str, str | None] | None:
    """The round engine of a policy, its title and number; None when it is not a periodic award.
    The generated engine is the committed module when it is fresh."""
    from compiler.model.load import load_policy

    if engine == "generated":
        try:
            text: str | None = policy_path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            text = None
        folder = policy_path.resolve().parent
        root = folder.parent.parent if folder.parent.name == "policies" else None
        committed = fresh_module(policy_path, text, root / GENERATED) if text and root else None
        if committed is not None:
            return round_engine(policy_path, engine, load_module(committed), None)
    return round_engine(policy_path, engine, None, load_policy(policy_path))


def round_engine(policy_path: Path, engine: str, module: dict[str, Any] | None,
                 policy: Policy | None) -> tuple[RoundEngine, str, str | None] | None:
    """The round engine from a loaded generated module, or else from a loaded policy (compiled
    for the generated engine); None when it is not a periodic award."""
    from compiler.evaluate.codegen import generate
    from compiler.evaluate.interpreter import Interpreter
    from compiler.model.award_round import round_spec

    if module is not None:
        return (GeneratedRound(module), module["TITLE"], module["DOC_NUMBER"]) if "assess_round" in module else None
    assert policy is not None
    if round_spec(policy) is None:
        return None
    if engine == "interpreter":
        return InterpreterRound(policy, Interpreter(policy).build_plan()), policy.meta.title, policy.meta.doc_number
    src = generate(policy, policy_path.read_text(encoding="utf-8-sig"), display_path(policy_path))
    ns: dict[str, Any] = {"__name__": f"policyc_generated_{policy.policy_id}"}
    exec(compile(src, f"<generated {policy.policy_id}/{policy.version}>", "exec"), ns)
    return GeneratedRound(ns), policy.meta.title, policy.meta.doc_number


def where_text(path: tuple[str | int, ...]) -> str:
    """("proposal", "质量奖", 2) → proposal.质量奖[2]"""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def input_diagnostics(exc: RoundInputError, tree: YMap, code: str = "E705") -> list[Diagnostic]:
    out = []
    for path, message, hint in exc.problems:
        span = None
        for cut in range(len(path), 0, -1):
            span = locate(tree, list(path[:cut]))
            if span is not None:
                break
        out.append(Diagnostic(code, f"{message}（{where_text(path)}）", span or tree.span, hint=hint))
    return out


def calendar_diagnostic(exc: CalendarUnknown) -> Diagnostic:
    return Diagnostic("E706", exc.message, None,
                      hint=f"国务院办公厅公布{exc.year}年节假日安排后更新 chinese-calendar；或改用收录年份内的日期")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, default=lambda v: v.isoformat())


def _head(title: str, doc_number: str | None) -> str:
    return f"《{title}》" + (f"（{doc_number}）" if doc_number else "")


def assessment_text(title: str, doc_number: str | None, r: dict[str, Any]) -> str:
    lines = [_head(title, doc_number), f"申报日期：{evalrt.zh_date(r['as_of'])}", ""]
    lines.append("结论：" + ("可以申报" if r["eligible"] else "不得申报"))
    for a in r["awards"]:
        lines.append(f"  {'✓' if a['eligible'] else '✗'} {a['name']}" + (
            "" if a["eligible"] else "　依据" + "、".join(a["cites"])))
    if r["refused"]:
        lines += ["", "理由："]
        lines += [f"  ✗ {x['reason']}　依据{x['cite']}" for x in r["refused"]]
    if r["bans"]:
        lines += ["", "禁止申报期："]
        for b in r["bans"]:
            state = "在禁止期内" if b["active"] else "不在禁止期内"
            lines.append(f"  · {b['cite']}　{evalrt.zh_date(b['from'])}「{b['event']}」起{evalrt.zh_date(b['until'])}止："
                         f"{state}")
    lines += ["", "判断过程："]
    lines += [f"  {i:>2}. {s['cite']}　{s['detail']}" for i, s in enumerate(r["trace"], 1)]
    return "\n".join(lines) + "\n"


def result_text(title: str, r: dict[str, Any]) -> str:
    lines = [f"《{title}》一届评选结果" + ("" if r["final"] else "（未最终确定）"), ""]
    for place in r["places"]:
        state = "待定" if place["pending"] else (f"空缺{place['vacant']}个" if place["vacant"] else "满额")
        winners = "、".join(place["winners"]) or "无"
        lines.append(f"{place['name']}（每届不超过{place['max']}个，依据{place['cite']}）：{winners}；{state}")
    if r["undecided"]:
        lines += ["", f"并列待定：{r['undecided']['reason']}（依据{r['undecided']['cite']}）"]
    if r["not_awarded"]:
        lines += ["", "未授奖："] + [f"  · {x['name']}：{x['reason']}" for x in r["not_awarded"]]
    if r["differences"]:
        lines += ["", "建议名单与排序结果不一致："] + [f"  · {d}" for d in r["differences"]]
    return "\n".join(lines) + "\n"


def calendar_text(title: str, r: dict[str, Any]) -> str:
    lines = [f"《{title}》评选程序日历（申报通知{evalrt.zh_date(r['start'])}发布；各步骤按最早可能的日期排列）", ""]
    for s in r["steps"]:
        moved = f"；届满日{evalrt.zh_date(s['moved_from'])}为法定休假日，顺延（民法典第二百零三条）" if s["moved_from"] else ""
        lines.append(f"  · {s['name']}（{s['duration']}，依据{s['cite']}）：{evalrt.zh_date(s['from'])}至"
                     f"{evalrt.zh_date(s['to'])}，含{s['workdays']}个工作日{moved}")
    if r["unplaced"]:
        lines += ["", "未排定："] + [f"  · {u['name']}（{u['cite']}）：{u['reason']}" for u in r["unplaced"]]
    return "\n".join(lines) + "\n"


def _engine(args: argparse.Namespace) -> tuple[RoundEngine, str, str | None]:
    if not args.policy.exists():
        raise UsageError(f"找不到政策文件 {args.policy}")
    found = engine_for(args.policy, args.engine)
    if found is None:
        raise UsageError(f"{display_path(args.policy)} 不是评选表彰类办法（没有名额与禁止申报期）")
    return found


def run_round(args: argparse.Namespace) -> int:
    tree = load_document(args.round, "round")
    engine, title, _ = _engine(args)
    try:
        result = engine.result(plain(tree["candidates"]), plain(tree["proposal"]) if "proposal" in tree else None)
    except RoundInputError as exc:
        raise PolicyError(input_diagnostics(exc, tree)) from None
    sys.stdout.write(_json(result) + "\n" if args.format == "json" else result_text(title, result))
    return 0


def _pairs(values: list[str], what: str) -> dict[str, str]:
    out = {}
    for value in values or []:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise UsageError(f"{what}「{value}」应写作 名称=值")
        out[name] = rest
    return out


def run_calendar(args: argparse.Namespace) -> int:
    try:
        start = dt.date.fromisoformat(args.start)
        events = {k: dt.date.fromisoformat(v) for k, v in _pairs(args.event, "--event").items()}
    except ValueError:
        raise UsageError("日期应写作 YYYY-MM-DD") from None
    durations = {}
    for step, text in _pairs(args.duration, "--duration").items():
        parsed = duration_of(text)
        if parsed is None:
            raise UsageError(f"--duration 的期限「{text}」应写作 10日 或 5个工作日")
        durations[step] = parsed
    engine, title, _ = _engine(args)
    try:
        result = engine.calendar(start, events, durations)
    except CalendarUnknown as exc:
        raise PolicyError([calendar_diagnostic(exc)]) from None
    except RoundInputError as exc:
        option = {"durations": "--duration", "start": "--start"}
        raise PolicyError([Diagnostic("E705", f"{message}（{option.get(str(path[0]), path[0])}）", None, hint=hint)
                           for path, message, hint in exc.problems]) from None
    sys.stdout.write(_json(result) + "\n" if args.format == "json" else calendar_text(title, result))
    return 0


def print_assessment(found: tuple[RoundEngine, str, str | None], facts: dict[str, Any], tree: YMap,
                     as_of: dt.date, fmt: str) -> int:
    """`policyc eval` of a periodic award (FactsError and EvaluationError are left to the caller)."""
    engine, title, doc_number = found
    history = plain(tree["history"]) if "history" in tree else None
    try:
        result = engine.assess(facts, history, as_of)
    except RoundInputError as exc:
        raise PolicyError(input_diagnostics(exc, tree)) from None
    sys.stdout.write(_json(result) + "\n" if fmt == "json" else assessment_text(title, doc_number, result))
    return 0


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--engine", choices=["generated", "interpreter"], default="generated",
                   help="求值方式：生成的代码（默认）或参考解释器")


def _round_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", type=Path, help="政策文件（.yaml）")
    p.add_argument("round", type=Path, help="一届评选的文件（.yaml）：candidates（委员会投票排序）与可选的 proposal（建议名单）")
    _common(p)


def _calendar_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", type=Path, help="政策文件（.yaml）")
    p.add_argument("--start", required=True, help="申报通知发布日期（YYYY-MM-DD）")
    p.add_argument("--event", action="append", default=[], metavar="事件=日期",
                   help="起算事件的日期，如 收到异议材料之日=2026-09-30；可重复")
    p.add_argument("--duration", action="append", default=[], metavar="步骤=期限",
                   help="办法未规定、由申报通知规定的期限，如 supplement=10日；可重复")
    _common(p)


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "round": ("按名额由候选名单（委员会投票排序）确定一届评选结果，并核对建议名单", _round_arguments, run_round),
    "calendar": ("由申报通知发布日期排出一届评选的程序日历（工作日、节假日与调休、期限顺延）",
                 _calendar_arguments, run_calendar),
}
