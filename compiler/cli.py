"""Stage 7, cli: `policyc validate | build | eval | test`.

Exit codes: 0 ok, 1 policy or input errors (all reported, with file:line:column and clause),
2 usage errors, 3 an internal error (a defect of policyc: reported as such, never as a finding).
No traceback reaches the user. Text output passes through `printable`, so control characters
from an input file reach the terminal as visible escapes, never as terminal commands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from compiler import __version__
from compiler.evaluate.explain import result_json, result_text
from compiler.evaluate.precompiled import fresh_module, load_module
from compiler.lang.ast import names
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import (
    Diagnostic,
    PolicyError,
    UsageError,
    json_list,
    printable,
    render_all,
    render_json,
)
from compiler.source.files import GENERATED, display_path, find_policy_files, find_root
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap, load_yaml, locate, plain

if TYPE_CHECKING:
    from compiler.model.policy import Policy


class _Parser(argparse.ArgumentParser):
    commands: dict[str, argparse.ArgumentParser]  # the subcommands' parsers (top level only)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(_zh_usage(message))


class _Printable:
    """A text stream that writes through `printable` (the CLI's stdout and stderr in text mode)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def write(self, text: str) -> int:
        return self.stream.write(printable(text))

    def flush(self) -> None:
        self.stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def _zh_usage(message: str) -> str:
    replacements = {
        "the following arguments are required": "缺少必需的参数",
        "unrecognized arguments": "无法识别的参数",
        "invalid choice": "无效的选项",
        "argument": "参数",
        "expected one argument": "需要一个值",
    }
    for en, zh in replacements.items():
        message = message.replace(en, zh)
    return message


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    p = _Parser(prog="policyc", description="政策即数据（policy-as-data）编译器：把办法的 YAML 编译为求值器与申报指南。")
    p.add_argument("--version", action="version", version=f"policyc {__version__}")
    p.add_argument("--root", type=Path, default=None, help="项目根目录（含 policies/ 与 generated/）；默认从当前目录向上查找")
    sub = p.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)

    v = sub.add_parser("validate", help="检查政策文件（格式、表达式、名称、类型、单位、引用、覆盖）")
    v.add_argument("paths", nargs="*", type=Path, help="政策文件或目录；默认 policies/ 下全部")
    v.add_argument("--coverage", action="store_true", help="同时输出逐条覆盖报告（哪些条款已编码、哪些标明不可计算）")
    v.add_argument("--format", choices=["text", "json"], default="text")

    b = sub.add_parser("build", help="把 policies/ 下全部政策编译到 generated/")
    b.add_argument("--check", action="store_true", help="只检查 generated/ 是否最新；过期时退出码为 1")
    b.add_argument("--clean", action="store_true",
                   help="同时删除 generated/ 中不是这次生成的文件（默认列出它们并停止）")

    e = sub.add_parser("eval", help="按政策评价一件申请")
    e.add_argument("policy", type=Path, help="政策文件（.yaml）")
    e.add_argument("facts", type=Path, help="申报信息文件（.yaml）：as_of 与 facts")
    e.add_argument("--as-of", dest="as_of", help="评价日期（YYYY-MM-DD）；优先于文件中的 as_of")
    e.add_argument("--format", choices=["text", "json"], default="text")
    e.add_argument("--region", type=Path, default=None,
                   help="计算型办法：地区参数文件（办法交由统筹地区确定的数值）；缺省用输入文件中的 region")
    e.add_argument("--engine", choices=["generated", "interpreter"], default="generated",
                   help="求值方式：生成的代码（默认）或参考解释器")

    t = sub.add_parser("test", help="运行政策的测试用例（生成代码与参考解释器都要通过且一致）")
    t.add_argument("paths", nargs="*", type=Path, help="用例文件；默认 policies/ 下全部 *.cases.yaml")
    if command not in OWN_COMMANDS:  # another command, or help: the subcommands of the other stages
        for table in _stage_commands():
            for name, (help_text, add_arguments, run) in table.items():
                add_arguments(sub.add_parser(name, help=help_text))
                COMMANDS[name] = run
    p.commands = dict(sub.choices)
    return p


def _stage_commands() -> list[dict[str, Any]]:
    """The subcommands that import, diff and write guides. Imported only when one of them (or the
    whole help) is asked for: they load Jinja2 and python-docx, which validate/eval/test never need."""
    from compiler.batch.command import COMMANDS as batch_commands
    from compiler.diff.command import COMMANDS as diff_commands
    from compiler.documents.guide.command import COMMANDS as guide_commands
    from compiler.evaluate.award_round_command import COMMANDS as round_commands
    from compiler.importer.command import COMMANDS as import_commands
    from compiler.registry.command import COMMANDS as registry_commands

    return [import_commands, diff_commands, guide_commands, registry_commands, batch_commands, round_commands]


def _command_word(argv: Sequence[str]) -> str | None:
    """The subcommand named on the command line (skipping --root DIR and other options)."""
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--root":
            skip = True
        elif not word.startswith("-"):
            return word
    return None


def _expand(paths: Sequence[Path], root_policies: Path) -> list[Path]:
    if not paths:
        return find_policy_files(root_policies)
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = find_policy_files(path) or [
                q for q in sorted(path.glob("*.yaml")) if not q.name.endswith(".cases.yaml")
            ]
            out.extend(found)
        else:
            out.append(path)
    return out


def cmd_validate(args: argparse.Namespace) -> int:
    from compiler.documents import reports
    from compiler.model.load import load_policies

    root_policies = find_root(args.root).joinpath("policies") if not args.paths else Path("policies")
    files = _expand(args.paths, root_policies)
    policies, errors = load_policies(files)
    if args.format == "json":
        print(json.dumps({
            "files": [display_path(f) for f in files],
            "errors": json_list(errors),
            "coverage": [reports.coverage(p) for p in policies] if args.coverage else None,
        }, ensure_ascii=False, indent=2))
        return 1 if errors else 0
    if errors:
        print(render_all(errors), file=sys.stderr)
    for policy in policies:
        unit = "项措施" if policy.meta.numbering == "measures" else "条"
        if policy.computes:
            payments = sum(c.payment for c in policy.computes)
            rules = f"{len(policy.computes)} 个计算值，其中 {payments} 项支付"
        else:
            rules = f"{len(policy.awards)} 个奖励事项"
        print(f"✓ {policy.file}：{policy.meta.title}（{len(policy.articles)} {unit}，{rules}）")
        if args.coverage:
            print(reports.coverage_text(policy))
    return 1 if errors else 0


def cmd_build(args: argparse.Namespace) -> int:
    from compiler import stamp

    root = find_root(args.root)
    if not args.check and stamp.unchanged(root):
        print("generated/ 已是最新：自上次生成以来输入没有变化。")
        return 0
    from compiler import build  # the whole pipeline and every document writer

    outputs = build.build_all(root)
    if args.check:
        problems = build.stale(root, outputs)
        if problems:
            print("generated/ 不是最新的：", file=sys.stderr)
            for line in problems:
                print(f"  {line}", file=sys.stderr)
            print("运行 policyc build 重新生成，并提交 generated/。", file=sys.stderr)
            return 1
        print(f"generated/ 是最新的（{len(outputs)} 个文件）。")
        return 0
    extra = build.extra_files(root, outputs)
    if extra and not args.clean:
        print(f"generated/ 中有 {len(extra)} 个文件不是这次生成的，没有写入任何文件：", file=sys.stderr)
        for rel in extra:
            print(f"  {GENERATED}/{rel}", file=sys.stderr)
        print("确认可以删除后运行 policyc build --clean（会删除这些文件），或把它们移出 generated/。",
              file=sys.stderr)
        return 1
    written = build.write(root, outputs, remove=extra)
    stamp.record(root)
    print(f"已生成 {len(outputs)} 个文件（更新 {written} 个）到 generated/。"
          + (f"已删除 {len(extra)} 个多余的文件。" if extra else ""))
    return 0


def load_facts_file(path: Path) -> tuple[dict[str, Any], dt.date | None, YMap]:
    tree = load_document(path, "facts")
    as_of = dt.date.fromisoformat(str(tree["as_of"])) if "as_of" in tree else None
    return plain(tree["facts"]), as_of, tree


def facts_diagnostics(exc: evalrt.FactsError, tree: YMap, file: str) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if exc.missing:
        out.append(Diagnostic(
            "E401", "申报信息缺少必需的事实：" + "、".join(exc.missing), tree.key_spans.get("facts"),
            hint="在 facts 下补上这些事实；不适用的是否题也要如实填写 true 或 false",
        ))
    for name, why in exc.invalid:
        out.append(Diagnostic("E402", f"事实「{name}」{why}", locate(tree, ["facts", name])))
    for name, guess in exc.unknown:
        out.append(Diagnostic(
            "E403", f"未知的事实「{name}」", locate(tree, ["facts", name], key=True),
            hint=f"你是不是想写「{guess}」？" if guess else "政策中没有声明这个事实",
        ))
    return out


def evaluation_diagnostic(policy: Policy, exc: evalrt.EvaluationError, tree: YMap, file: str) -> Diagnostic:
    """An evaluation error at the failing rule as written (else at its clause), with a hint naming
    the given facts the rule uses, each at its place in the facts file."""
    rule = next((e for e, cite in policy.rule_expressions() if cite == exc.cite and e.text == exc.rule), None)
    clause = next((c for c in policy.clauses.values() if c.cite == exc.cite), None)
    given = tree.get("facts")
    places = []
    if rule is not None and rule.node is not None and isinstance(given, YMap):
        for name in dict.fromkeys(n.name for n in names(rule.node)):
            span = locate(tree, ["facts", name]) if name in given else None
            if span is not None:
                places.append(f"「{name}」（{file}:{span.line}:{span.col}）")
    return Diagnostic(
        "E404", f"无法计算：{exc.message}",
        rule.src.span if rule is not None else clause.span if clause else None, exc.cite,
        hint=("核对申报信息中这条规则用到的事实：" + "、".join(places)) if places
        else f"检查 {file} 中这条规则用到的事实",
    )


def _eval_round(args: argparse.Namespace, facts: dict[str, Any], tree: YMap, as_of: dt.date,
                module: dict[str, Any] | None, policy: Policy | None) -> int:
    """`policyc eval` of a periodic award (evaluate/award_round_command.py), from the committed
    module when fresh, else from the policy already loaded."""
    from compiler.evaluate import award_round_command
    from compiler.model.load import load_policy

    found = award_round_command.round_engine(args.policy, args.engine, module, policy)
    assert found is not None
    try:
        return award_round_command.print_assessment(found, facts, tree, as_of, args.format)
    except evalrt.FactsError as exc:
        raise PolicyError(facts_diagnostics(exc, tree, display_path(args.facts))) from None
    except evalrt.EvaluationError as exc:
        policy = load_policy(args.policy)
        raise PolicyError([evaluation_diagnostic(policy, exc, tree, display_path(args.facts))]) from None


def cmd_eval(args: argparse.Namespace) -> int:
    facts, as_of, tree = load_facts_file(args.facts)
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise UsageError(f"--as-of 的日期「{args.as_of}」无效，应写作 YYYY-MM-DD") from None
    if as_of is None:
        raise PolicyError([Diagnostic(
            "E102", "申报信息缺少评价日期 as_of", tree.span,
            hint="在文件中写 as_of: 2026-06-01，或在命令行用 --as-of 指定",
        )])
    try:
        policy_text: str | None = args.policy.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        policy_text = None  # loading the policy below reports it, with the file's name
    from compiler.evaluate.cases import compile_evaluator, wrap_generated
    from compiler.evaluate.interpreter import Interpreter
    from compiler.model.load import load_policy

    module = None
    if args.engine == "generated":
        root = _root_of(args.policy)
        committed = fresh_module(args.policy, policy_text, root / GENERATED) if root and policy_text else None
        module = load_module(committed) if committed else None
    computing_policy = None
    if module is None:
        computing_policy = load_policy(args.policy)
    if (module is not None and module.get("KIND") == "compliance") or (
            computing_policy is not None and computing_policy.compliance is not None):
        from compiler.evaluate.compliance_command import run_eval as run_inspection

        return run_inspection(args.policy, tree, as_of, engine=args.engine, fmt=args.format, module=module,
                              policy=computing_policy)
    if (module is not None and module.get("KIND") == "computation") or (
            computing_policy is not None and computing_policy.computes):
        from compiler.evaluate.computation_command import run_eval

        return run_eval(args.policy, args.facts, tree, as_of, engine=args.engine, fmt=args.format,
                        region_option=args.region, module=module, policy=computing_policy)
    from compiler.model.award_round import round_spec

    if (module is not None and "assess_round" in module) or (
            computing_policy is not None and round_spec(computing_policy) is not None):
        return _eval_round(args, facts, tree, as_of, module, computing_policy)  # a periodic award
    if module is not None:
        # The committed evaluator is fresh: no need to load, check and compile the policy.
        evaluate, title, doc_number = wrap_generated(module), module["TITLE"], module["DOC_NUMBER"]
    else:
        policy = computing_policy or load_policy(args.policy)
        evaluate = (compile_evaluator(policy, args.policy) if args.engine == "generated"
                    else Interpreter(policy).evaluate)
        title, doc_number = policy.meta.title, policy.meta.doc_number
    try:
        result = evaluate(facts, as_of)
    except evalrt.FactsError as exc:
        raise PolicyError(facts_diagnostics(exc, tree, display_path(args.facts))) from None
    except evalrt.EvaluationError as exc:
        policy = load_policy(args.policy)  # only now: the diagnostic points at the rule as written
        raise PolicyError([evaluation_diagnostic(policy, exc, tree, display_path(args.facts))]) from None
    if args.format == "json":
        print(json.dumps(result_json(result), ensure_ascii=False, indent=2))
    else:
        print(result_text(title, doc_number, result))
    return 0


def _root_of(path: Path) -> Path | None:
    """The project a policy file belongs to (the folder above its policies/), if any."""
    for parent in path.resolve().parents:
        if parent.name == "policies":
            return parent.parent
    return None


def cmd_test(args: argparse.Namespace) -> int:
    from compiler.evaluate.cases import find_case_files, run_file
    from compiler.evaluate.round_cases import find_round_case_files, run_round_file

    policies = find_root(args.root) / "policies" if not args.paths else Path("policies")
    files = list(args.paths) or find_case_files(policies) + find_round_case_files(policies)
    if not files:
        print("没有找到测试用例文件（*.cases.yaml）。", file=sys.stderr)
        return 1
    failed = total = broken = 0
    errors: list[Diagnostic] = []
    for path in files:
        try:
            results: Sequence[Any] = (run_round_file(path) if path.name.endswith(".round-cases.yaml")
                                      else run_file(path))
        except PolicyError as exc:
            errors.extend(_not_a_cases_file(path) or exc.diagnostics)
            broken += 1
            continue
        for r in results:
            total += 1
            if not r.ok:
                failed += 1
                print(f"✗ {r.case.span}: {r.case.name}")
                for f in r.failures:
                    print(f"    {f}")
        print(f"{display_path(path)}：{len(results) - sum(not r.ok for r in results)}/{len(results)} 通过")
    if errors:
        print(render_all(errors), file=sys.stderr)
    summary = f"共 {total} 个用例：{total - failed} 个通过，{failed} 个失败"
    if broken:
        summary += f"；{broken} 个用例文件有错误，未能运行"
    print(summary + "。")
    return 1 if failed or errors else 0


def _not_a_cases_file(path: Path) -> list[Diagnostic]:
    """One clear diagnostic when `path` is a policy file given to `policyc test` (else [])."""
    try:
        tree = load_yaml(path, display_path(path))
    except PolicyError:
        return []
    if not isinstance(tree, YMap) or tree.get("format") != "policyc/1":
        return []
    cases = path.with_name(f"{path.stem}.cases.yaml")
    return [Diagnostic(
        "E106", "这是政策文件，不是测试用例文件", tree.key_spans.get("format", tree.span),
        hint=f"policyc test 需要测试用例文件（*.cases.yaml），例如 {display_path(cases)}；"
        "检查政策文件请用 policyc validate",
    )]


COMMANDS: dict[str, Any] = {"validate": cmd_validate, "build": cmd_build, "eval": cmd_eval, "test": cmd_test}
OWN_COMMANDS = frozenset(COMMANDS)


def _parse(parser: _Parser, argv: Sequence[str] | None) -> argparse.Namespace:
    """parse_args, except that an unknown option is reported with the usage of its subcommand
    (`policyc eval --bogus` shows how to call eval, not the list of commands)."""
    args, extra = parser.parse_known_args(argv)
    if extra:
        target = parser.commands.get(args.command or "", parser)
        target.error(f"无法识别的参数：{' '.join(extra)}")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    words = sys.argv[1:] if argv is None else list(argv)
    parser = _parser(_command_word(words))
    assert isinstance(parser, _Parser)
    fmt = "text"
    stdout, stderr = sys.stdout, sys.stderr
    sys.stderr = _Printable(stderr)
    try:
        args = _parse(parser, words)
        fmt = getattr(args, "format", "text")
        if fmt != "json":  # JSON escapes control characters itself
            sys.stdout = _Printable(stdout)
        if not args.command:
            parser.print_help(sys.stderr)
            return 2
        code: int = COMMANDS[args.command](args)
        return code
    except UsageError as exc:
        print(f"policyc: 用法错误：{exc}", file=sys.stderr)
        return 2
    except PolicyError as exc:
        if fmt == "json":
            print(render_json(exc.diagnostics))
        else:
            print(render_all(exc.diagnostics), file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # pragma: no cover
        return 130
    except BrokenPipeError:
        # The reader stopped reading (policyc eval … | head): not an error of ours or the input's.
        # Point stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE, what a shell reports for a command whose pipe was closed
    except Exception as exc:  # a defect of policyc, not a finding about the input: exit 3
        detail = " ".join(str(exc).split())[:200]  # one line, whatever the exception says
        print(f"policyc: 内部错误（{type(exc).__name__}: {detail}）。这是 policyc 自身的缺陷，"
              "不是输入文件的问题；请把所用的命令和输入文件报告给维护者。", file=sys.stderr)
        return 3
    finally:
        sys.stdout, sys.stderr = stdout, stderr

