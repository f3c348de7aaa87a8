"""`policyc batch`: a year's applications in one spreadsheet → a result workbook (and HTML report).

Pipeline: columns (the policy's `batch` section) → read (rows streamed from xlsx/CSV/YAML) →
evaluation (each row by the generated evaluator, trace off) → allocate (the rules across
applications: 就高不就低 per organisation, duplicates, 用完即止) → counterfactual (what would change
each outcome) → tables (the content) → workbook / report_html (the files), written atomically.
`--template` writes the empty 申报汇总表 instead. docs/batch.md describes it all.

Exit codes: 0 every row read and decided; 1 a bad row or a bad file (the result is still written,
bad rows marked) or a policy error; 2 usage.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.batch.columns import layout, parse_amount
from compiler.batch.evaluation import CARRIED, PAID
from compiler.batch.run import BAD_ZH, DECISION_ZH, BatchResult, run_batch
from compiler.batch.simulate import (
    Comparison,
    compare,
    comparison_json,
    comparison_sheet,
    comparison_text,
)
from compiler.batch.tables import Sheet
from compiler.runtime.core import amount_json, money_text
from compiler.source.diagnostics import Diagnostic, PolicyError, UsageError
from compiler.source.files import atomic_write, display_path

JSON_FORMAT = "policyc-batch/1"
INPUTS = (".xlsx", ".xlsm", ".csv", ".parquet", ".yaml", ".yml")
OUTPUTS = (".xlsx", ".html", ".parquet")
SCALE_INPUTS = (".csv", ".parquet")


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", type=Path, help="政策文件（含 batch 部分）")
    p.add_argument("input", type=Path, nargs="?", help="申报汇总表：.xlsx、.csv（UTF-8 或 GBK）、.parquet 或 .yaml")
    p.add_argument("--as-of", dest="as_of", help="评价日期（YYYY-MM-DD）；默认今天。预算年度为其年份")
    p.add_argument("--budget", help="本年度专项资金预算，如 3000000 或 300万元；优先于申报表中的预算单元格")
    p.add_argument("-o", "--output", type=Path, action="append", default=[],
                   help="结果文件：.xlsx、.html 或 .parquet（明细表，每项申报一行）；可重复")
    p.add_argument("--template", action="store_true", help="只写出空白的申报汇总表模板（-o 模板.xlsx）")
    p.add_argument("--format", choices=["text", "json"], default="text", help="标准输出上的摘要格式")
    p.add_argument("--compare", type=Path, metavar="POLICY2",
                   help="预算模拟：同一申报表在另一版本（如征求意见稿）下的结果，与本版本对比")
    p.add_argument("--compare-budget", dest="compare_budget", metavar="AMOUNT",
                   help="预算模拟：同一申报表在另一年度预算下的结果（可与 --compare 同用）")
    p.add_argument("--engine", choices=["single", "dask"], default="single",
                   help="single：单进程（默认）；dask：在 Dask 集群上分区并行评价 .parquet/.csv 输入（需安装 policyc[scale]）")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="--engine dask：Dask 调度器地址（如 tcp://10.0.0.5:8786）；不给时在本机启动集群（仅回环地址）")
    p.add_argument("--workers", type=int, metavar="N",
                   help="--engine dask：本机集群的工作进程数（默认 1）；与 --scheduler 同用时，等待 N 个工作进程就绪")


def _as_of(text: str | None) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--as-of 的日期「{text}」无效，应写作 YYYY-MM-DD") from None


def cmd_batch(args: argparse.Namespace) -> int:
    from compiler.model.load import load_policy

    if not args.output:
        raise UsageError("请用 -o 指定输出文件（如 -o 结果.xlsx）")
    for out in args.output:
        if out.suffix.lower() not in OUTPUTS:
            raise UsageError(f"输出文件「{out}」的扩展名应为 {'、'.join(OUTPUTS)}")
    as_of = _as_of(args.as_of)
    if args.template:
        if args.input is not None:
            raise UsageError("--template 只写出模板，不读取申报表；去掉申报表参数")
        policy = load_policy(args.policy)
        from compiler.batch.workbook import template_workbook

        for out in args.output:
            if out.suffix.lower() != ".xlsx":
                raise UsageError("模板只能写成 .xlsx")
            atomic_write(out, template_workbook(layout(policy), policy.meta.published or as_of))
            print(f"已写出申报汇总表模板：{display_path(out)}")
        return 0
    if args.input is None:
        raise UsageError("缺少申报表参数（.xlsx、.csv 或 .yaml），或用 --template 写出模板")
    if args.input.suffix.lower() not in INPUTS:
        raise UsageError(f"申报表「{args.input}」的扩展名应为 {'、'.join(INPUTS)}")
    if not args.input.exists():
        raise PolicyError([Diagnostic("E804", f"找不到申报表「{display_path(args.input)}」", None,
                                      hint="检查文件路径")])
    if any(out.resolve() == args.input.resolve() for out in args.output):
        raise UsageError("输出文件不能覆盖申报表本身")
    budget = _amount(args.budget, "--budget")
    compare_budget = _amount(args.compare_budget, "--compare-budget")
    _check_engine(args)
    policy = load_policy(args.policy)
    layout(policy)  # a policy without `batch`, or naming an unknown fact, stops here
    with _Progress(args.format == "text") as tick:
        if args.engine == "dask":
            from compiler.batch.scale import run_dask

            result = run_dask(policy, args.policy, args.input, as_of, budget, scheduler=args.scheduler,
                              workers=args.workers, tick=tick)
        else:
            result = run_batch(policy, args.policy, args.input, as_of, budget, tick)
    comparison = None
    if args.compare is not None or compare_budget is not None:
        comparison = _simulate(args, result, compare_budget)
    extra = [comparison_sheet(comparison)] if comparison is not None else []
    written = write_outputs(result, args.output, extra)
    if args.format == "json":
        report = result_json(result, written)
        if comparison is not None:
            report["comparison"] = comparison_json(comparison)
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(summary_text(result, written))
        if comparison is not None:
            print(comparison_text(comparison))
    return 1 if result.failed else 0


def _check_engine(args: argparse.Namespace) -> None:
    """--engine, --scheduler, --workers and the optional libraries they need (usage errors)."""
    from compiler.batch import read_parquet, scale

    if args.engine != "dask" and (args.scheduler is not None or args.workers is not None):
        raise UsageError("--scheduler 和 --workers 只用于 --engine dask")
    if args.workers is not None and not 1 <= args.workers <= 1024:
        raise UsageError(f"--workers 应为 1 到 1024 之间的整数，实际是 {args.workers}")
    wants_parquet = args.input.suffix.lower() == ".parquet" or any(o.suffix.lower() == ".parquet" for o in args.output)
    if args.engine == "dask":
        if not scale.available():
            raise UsageError(scale.MISSING_EXTRA)
        if args.input.suffix.lower() not in SCALE_INPUTS:
            raise UsageError(f"--engine dask 读取 .parquet 或 .csv 输入，不读取「{args.input.suffix}」；"
                             "请先把申报表另存为 CSV，或去掉 --engine dask")
        if args.compare is not None or args.compare_budget is not None:
            raise UsageError("--engine dask 不做预算模拟（--compare、--compare-budget）；请在单进程中模拟")
    elif wants_parquet and not read_parquet.available():
        raise UsageError("读写 .parquet 需要可选依赖 pyarrow，当前环境未安装；请运行 pip install 'policyc[scale]'")


def _amount(text: str | None, option: str) -> Decimal | None:
    if text is None:
        return None
    try:
        return parse_amount(text)
    except ValueError:
        raise UsageError(f"{option}「{text}」不是金额，应写作 3000000 或 300万元") from None


def _simulate(args: argparse.Namespace, a: BatchResult, budget_b: Decimal | None) -> Comparison:
    """Scenario B: the same roster under --compare's version and/or --compare-budget."""
    from compiler.model.load import load_policy

    other_path = args.compare or args.policy
    other = load_policy(other_path) if args.compare is not None else a.policy
    borrowed = other.batch is None
    if borrowed:
        other = dataclasses.replace(other, batch=a.policy.batch)
    budget = budget_b if budget_b is not None else a.allocation.budget
    b = run_batch(other, other_path, args.input, a.as_of, budget)

    def label(r: BatchResult, amount: Decimal | None) -> str:
        return f"{r.policy.version}版，年度预算{money_text(amount) if amount is not None else '未限定'}"

    return compare(a, b, label(a, a.allocation.budget), label(b, budget), borrowed)


def write_outputs(result: BatchResult, outputs: list[Path], extra: list[Sheet] | None = None) -> list[str]:
    from compiler.batch.report_html import render_html
    from compiler.batch.tables import sheets
    from compiler.batch.workbook import result_workbook

    written = []
    for out in outputs:
        if out.suffix.lower() == ".xlsx":
            atomic_write(out, result_workbook([*sheets(result), *(extra or [])], result.as_of))
        elif out.suffix.lower() == ".parquet":
            from compiler.batch.results_parquet import write_parquet

            write_parquet(result, out)
        else:
            atomic_write(out, render_html(result, extra).encode("utf-8"))
        written.append(display_path(out))
    return written


class _Progress:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""

    def __init__(self, wanted: bool) -> None:
        self.bar: Any = None
        if wanted and sys.stderr.isatty():
            from rich.console import Console
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.bar = Progress(SpinnerColumn(), TextColumn("正在评价：{task.completed} 行"), TimeElapsedColumn(),
                                console=Console(stderr=True), transient=True)

    def __enter__(self) -> Callable[[int], None] | None:
        if self.bar is None:
            return None
        self.bar.start()
        task = self.bar.add_task("batch", total=None)

        def tick(n: int) -> None:
            if n % 500 == 0:
                self.bar.update(task, completed=n)

        return tick

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def summary_text(result: BatchResult, written: list[str]) -> str:
    al = result.allocation
    apps = result.apps
    bad = result.bad_apps
    lines = [f"{result.policy.meta.title}　批量评价（评价日期 {result.as_of.isoformat()}）",
             f"  申报表 {result.input_name}：{len(apps)} 行，已评价 {len(apps) - len(bad)} 行，输入有误 {len(bad)} 行",
             f"  核定 {money_text(al.approved)}；本年度拨付 {money_text(al.paid)}；结转下年度 {money_text(al.carried)}"]
    if al.budget is not None:
        lines.append(f"  年度预算 {money_text(al.budget)}（{result.budget_source}）；结余 {money_text(al.budget - al.paid)}")
        lines.append(f"  拨付顺序：{al.order_text}（{al.budget_cite}）；预算不足时：{al.shortfall_text}")
    else:
        lines.append("  未给出年度预算（--budget 或申报表的预算单元格）：核定的奖励全部列为本年度拨付")
    if al.duplicates:
        lines.append(f"  重复申报 {len(al.duplicates)} 项（{al.highest_cite}，只核拨一次）")
    problems = [*result.problems, *(p for a in bad for p in a.problems)]
    if problems:
        lines.append(f"  输入问题 {len(problems)} 处（详见结果的「输入问题」工作表）：")
        lines += [f"    {p.where()}：{p.reason}" for p in problems[:20]]
        if len(problems) > 20:
            lines.append(f"    …… 另有 {len(problems) - 20} 处")
    lines += [f"  已写出：{w}" for w in written]
    return "\n".join(lines)


def result_json(result: BatchResult, written: list[str]) -> dict[str, Any]:
    al = result.allocation
    awards = result.policy.awards

    def money(v: Decimal | None) -> str | None:
        return amount_json(v) if v is not None else None

    claims = []
    for app, mine in result.claims_by_app():
        base = {"sheet": app.sheet, "row": app.row, "key": app.key, "name": app.name}
        if app.bad:
            claims.append({**base, "decision": "bad_input", "decision_zh": BAD_ZH,
                           "problems": [{"cell": p.cell, "reason": p.reason} for p in app.problems]})
        for i, c in mine:
            claims.append({**base, "award": awards[c.award].id, "award_name": awards[c.award].name,
                           "decision": c.status, "decision_zh": DECISION_ZH[c.status],
                           "amount": money(c.amount) if c.status in (PAID, CARRIED) else None,
                           "reason": result.reason(i), "cite": c.cite or awards[c.award].clause.cite,
                           "change": result.change(i)})
    return {
        "format": JSON_FORMAT, "policy": result.policy.policy_id, "version": result.policy.version,
        "as_of": result.as_of.isoformat(), "input": result.input_name, "encoding": result.encoding,
        "budget": money(al.budget), "budget_source": result.budget_source or None, "year": al.year,
        "approved": money(al.approved), "paid": money(al.paid), "carried": money(al.carried),
        "remaining": money(al.remaining), "order": list(result.layout.batch.order), "order_zh": al.order_text,
        "shortfall": result.layout.batch.shortfall, "shortfall_zh": al.shortfall_text,
        "rows": len(result.apps), "bad_rows": len(result.bad_apps), "duplicates": len(al.duplicates),
        "problems": [{"sheet": p.sheet, "cell": p.cell, "row": p.row, "reason": p.reason}
                     for p in [*result.problems, *(p for a in result.bad_apps for p in a.problems)]],
        "claims": claims, "outputs": written, "committed_evaluator": result.committed_evaluator,
    }


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "batch": ("批量评价一个年度的申报汇总表（Excel/CSV/Parquet，可在 Dask 集群上并行）：跨申报规则、用完即止、结果工作簿与公示名单", _add_arguments, cmd_batch),
}
