"""Hostile and malformed input (issue "Hardening"): every file here crashed, hung, exhausted memory
or misreported before. Each must now give exit 1 and a Chinese diagnostic with file:line:column,
within 1 s and 100 MB, measured in a fresh process (`_run`), never a traceback."""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from compiler.cli import main

MINI = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")

# Runs policyc's main() once per argument list in one child process and reports, for each run,
# the exit code, output and CPU time of main() (CPU rather than wall time, so other jobs on a
# shared CI machine do not make the tests flaky), and the child's peak memory over all runs:
# VmHWM only grows, so a peak under 100 MB bounds every run (ru_maxrss would include the memory
# of the forking pytest process on Linux).
_CHILD = """
import contextlib, io, json, resource, sys, time
from compiler.cli import main
runs = []
for argv in json.loads(sys.stdin.read()):
    out, err = io.StringIO(), io.StringIO()
    t0 = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv)
        except BaseException as exc:  # an escaping crash fails its own test, not the batch
            code = "crash: " + repr(exc)[:500]
    runs.append({"code": code, "seconds": time.process_time() - t0, "stdout": out.getvalue(),
                 "stderr": err.getvalue()})
rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:
    status = open("/proc/self/status").read()
    rss_mb = int(status.split("VmHWM:")[1].split()[0]) / 1024
except (OSError, IndexError):
    pass
json.dump({"runs": runs, "rss_mb": rss_mb}, sys.stdout)
"""


class Outcome:
    def __init__(self, run: dict[str, object], rss_mb: float) -> None:
        self.code = run["code"]
        self.seconds = float(run["seconds"])  # type: ignore[arg-type]
        self.stdout = str(run["stdout"])
        self.stderr = str(run["stderr"])
        self.rss_mb = rss_mb


def _run_all(argvs: list[list[str]], cwd: Path = ROOT) -> list[Outcome]:
    proc = subprocess.run([sys.executable, "-c", _CHILD], input=json.dumps(argvs), cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    return [Outcome(run, result["rss_mb"]) for run in result["runs"]]


def _run(args: list[str], cwd: Path = ROOT) -> Outcome:
    return _run_all([args], cwd)[0]


def _main(args: list[str]) -> Outcome:
    """main() in this process (for the cases whose time and memory are not in question)."""
    out, err = io.StringIO(), io.StringIO()
    t0 = time.process_time()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(args)
    return Outcome({"code": code, "seconds": time.process_time() - t0, "stdout": out.getvalue(),
                    "stderr": err.getvalue()}, 0.0)


def _assert_located(out: Outcome, name: str, code: str) -> re.Match[str]:
    assert "Traceback" not in out.stderr, out.stderr[-3000:]
    assert out.code == 1, (out.code, out.stderr[-3000:])
    # by file name: the path is shown relative to the working directory, which varies
    m = re.search(rf"{re.escape(Path(name).name)}:(\d+):(\d+): 错误\[{code}\]: (.+)", out.stderr)
    assert m, out.stderr[-3000:]
    assert not m.group(3).isascii(), "the message is Chinese"
    return m


def _assert_bounded(out: Outcome) -> None:
    assert out.seconds < 1.0, f"took {out.seconds:.2f} s"
    assert out.rss_mb < 100, f"used {out.rss_mb:.0f} MB"


def _alias_bomb(levels: int = 9) -> str:
    lines = ["a0: &a0 [" + ", ".join(["lol"] * 9) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE_YAML: dict[str, tuple[str | bytes, str, int]] = {
    # name: (content, expected code, expected line)
    "alias_bomb": (_alias_bomb(), "E005", 5),
    "alias_self": ("a: &a [1, *a]\n", "E005", 1),
    "nested_brackets_500": ("a: " + "[" * 500 + "]" * 500 + "\n", "E005", 1),
    "nested_flow_mappings_2000": ("a: " + "{a: " * 2000 + "1" + "}" * 2000 + "\n", "E005", 1),
    "nested_block_mappings_200": ("".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n",
                                  "E005", 51),
    "nul_byte": (b"format: policyc/1\ntitle: a\x00b\n", "E003", 2),
    "bel_byte": (b"format: policyc/1\ntitle: a\x07b\n", "E003", 2),
    "del_byte": (b"format: policyc/1\ntitle: a\x7fb\n", "E003", 2),
    "escaped_esc": ('format: policyc/1\ntitle: "a\\e[31mb"\n', "E007", 2),
    "escaped_surrogate": ('format: policyc/1\ntitle: "a\\ud800"\n', "E007", 2),
    "binary_tag": ("format: policyc/1\ntitle: !!binary aGVsbG8=\n", "E006", 2),
    "set_tag": ("format: policyc/1\nfacts: !!set {a, b}\n", "E006", 2),
    "local_tag": ("format: policyc/1\ntitle: !shell rm\n", "E006", 2),
    "python_tag": ("format: policyc/1\ntitle: !!python/object:os.system [echo]\n", "E006", 2),
    "empty": ("", "E103", 1),
    "bom_only": ("\ufeff".encode(), "E103", 1),
    "comment_only": ("# nothing\n", "E103", 1),
}


@pytest.fixture(scope="module")
def hostile_yaml_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Outcome]]:
    folder = tmp_path_factory.mktemp("hostile")
    paths = {}
    for name, (content, _, _) in HOSTILE_YAML.items():
        paths[name] = folder / f"{name}.yaml"
        paths[name].write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    runs = _run_all([["validate", str(paths[name])] for name in HOSTILE_YAML])
    return {name: (paths[name], run) for name, run in zip(HOSTILE_YAML, runs, strict=True)}


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_hostile_yaml_gives_a_located_diagnostic_quickly(
    name: str, hostile_yaml_runs: dict[str, tuple[Path, Outcome]]
) -> None:
    _, code, line = HOSTILE_YAML[name]
    path, out = hostile_yaml_runs[name]
    m = _assert_located(out, str(path), code)
    assert int(m.group(1)) == line, out.stderr
    _assert_bounded(out)


def test_reader_errors_give_line_and_column_not_a_character_offset(tmp_path: Path) -> None:
    path = tmp_path / "bel.yaml"
    path.write_bytes("format: policyc/1\nmeta:\n  title: 甲乙\x07丙\n".encode())
    out = _main(["validate", str(path)])
    m = _assert_located(out, str(path), "E003")
    assert (m.group(1), m.group(2)) == ("3", "12") and "U+0007" in m.group(3), out.stderr
    assert "position" not in out.stderr and "unacceptable" not in out.stderr


def test_alias_bomb_in_facts_and_cases_files(tmp_path: Path) -> None:
    facts = tmp_path / "bomb.facts.yaml"
    facts.write_text("as_of: 2026-06-01\nfacts:\n" + "".join("  " + ln + "\n" for ln in _alias_bomb().splitlines()),
                     encoding="utf-8")
    out = _run(["eval", str(ROOT / "policies/hami-quality-fund/final.yaml"), str(facts)])
    _assert_located(out, str(facts), "E005")
    _assert_bounded(out)
    cases = tmp_path / "bomb.cases.yaml"
    cases.write_text(facts.read_text(encoding="utf-8"), encoding="utf-8")
    out = _run(["test", str(cases)])
    _assert_located(out, str(cases), "E005")


def test_aliases_within_the_budget_still_work(tmp_path: Path) -> None:
    from compiler.source.yamlsrc import parse_yaml

    tree = parse_yaml("a: &x [1, 2]\nb: *x\nc: {k: *x}\n", "x.yaml")
    assert tree["b"] == [1, 2] and tree["c"] == {"k": [1, 2]}


def test_a_huge_scalar_is_refused_by_size_and_prints_little(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_bytes(b"format: policyc/1\ntitle: " + b"x" * 50_000_000 + b"\n")
    out = _run(["validate", str(path)])
    _assert_located(out, str(path), "E008")
    _assert_bounded(out)
    assert len(out.stderr) < 2000


def test_many_keys_print_a_bounded_number_of_diagnostics(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(MINI + "".join(f"k{i}: {i}\n" for i in range(3000)), encoding="utf-8")
    out = _run(["validate", str(path)])
    _assert_located(out, str(path), "E101")
    assert out.stderr.count("错误[E101]") == 100
    assert "……另有 2900 个错误未显示" in out.stderr and "共 3000 个错误。" in out.stderr
    assert len(out.stderr.splitlines()) < 1000
    out = _run(["validate", str(path), "--format", "json"])
    errors = json.loads(out.stdout)["errors"]
    assert len(errors) == 101 and errors[-1]["code"] == "E009" and "2900" in errors[-1]["message"]


def test_a_long_line_is_cut_around_the_caret(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text(MINI.replace("reason: 不是本市企业", "reason: " + "长" * 5000 + " 且: x", 1), encoding="utf-8")
    out = _main(["validate", str(path)])
    _assert_located(out, str(path), "E003")
    excerpt = [ln for ln in out.stderr.splitlines() if " | " in ln]
    assert excerpt and all(len(ln) < 200 for ln in excerpt), excerpt


def _policy_case(tmp_path: Path, old: str, new: str) -> Path:
    assert old in MINI
    root = tmp_path / "proj"
    (root / "policies/mini-fund").mkdir(parents=True)
    path = root / "policies/mini-fund/final.yaml"
    path.write_text(MINI.replace(old, new, 1), encoding="utf-8")
    return path


POLICY_CASES: dict[str, tuple[str, str, str]] = {
    # name: (text in mini.yaml, replacement, expected code)
    "esc_in_clause_text": ("text: 本办法支持对象为本市企业。", 'text: "本办法支持对象为\\e[2J本市企业。"', "E007"),
    "nul_in_award_name": ("name: 金奖", 'name: "金\\0奖"', "E007"),
    "bel_in_reason": ("reason: 不是本市企业", 'reason: "不是\\a本市企业"', "E007"),
    "newline_in_award_name": ("name: 金奖", 'name: "金奖\\n| 伪造的一行 |"', "E104"),
    "line_separator_in_award_name": ("name: 金奖", 'name: "金奖\\L另一行"', "E104"),
    "and_chain_350": ("when: 营业收入 100万元以上", "when: " + " 且 ".join(["在本市"] * 350), "E201"),
    "not_500": ("when: 营业收入 100万元以上", "when: " + "非 " * 500 + "在本市", "E201"),
    "minus_1000": ("amount: 10万元", "amount: " + "-" * 1000 + "10万元", "E201"),
    "literal_4400_digits": ("when: 营业收入 100万元以上", "when: 营业收入 " + "1" * 4400 + "万元以上", "E201"),
    "amount_30_digits": ("amount: 10万元", "amount: " + "1" * 30 + "万元", "E201"),
    "long_expression": ("when: 营业收入 100万元以上", "when: 营业收入 100万元以上" + " " * 2000 + "且 在本市", "E201"),
}


@pytest.fixture(scope="module")
def policy_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Outcome, Outcome]]:
    paths = {name: _policy_case(tmp_path_factory.mktemp(name), old, new)
             for name, (old, new, _) in POLICY_CASES.items()}
    argvs = []
    for path in paths.values():
        argvs += [["validate", str(path)], ["--root", str(path.parents[2]), "build"]]
    runs = _run_all(argvs)
    return {name: (path, runs[2 * i], runs[2 * i + 1]) for i, (name, path) in enumerate(paths.items())}


@pytest.mark.parametrize("name", sorted(POLICY_CASES))
def test_hostile_policy_values_fail_validate_not_build(
    name: str, policy_runs: dict[str, tuple[Path, Outcome, Outcome]]
) -> None:
    _, new, code = POLICY_CASES[name]
    path, validate, build = policy_runs[name]
    m = _assert_located(validate, str(path), code)
    line = next(i for i, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if new.split("\n")[0] in ln)
    assert int(m.group(1)) == line, validate.stderr[-2000:]
    _assert_bounded(validate)
    _assert_located(build, "final.yaml", code)
    assert not (path.parents[2] / "generated").exists()


def test_redundant_parentheses_do_not_count_as_nesting(tmp_path: Path) -> None:
    path = _policy_case(tmp_path, "when: 营业收入 100万元以上", "when: " + "(" * 300 + "营业收入 100万元以上" + ")" * 300)
    out = _main(["validate", str(path)])
    assert out.code == 0, out.stderr[-2000:]


def test_expression_errors_point_into_the_expression(tmp_path: Path) -> None:
    path = _policy_case(tmp_path, "when: 营业收入 100万元以上", "when: 营业收入 " + "1" * 40 + "万元以上")
    out = _main(["validate", str(path)])
    m = _assert_located(out, str(path), "E201")
    assert "位数过多" in m.group(3) and int(m.group(2)) == path.read_text(encoding="utf-8").splitlines()[
        int(m.group(1)) - 1].index("1111") + 1


BAD_DATES = {"2026-02-30": "不存在", "2026-13-01": "不存在", "２０２６-06-01": "不符合要求", "2026-06-01T00:00": "不符合要求"}


@pytest.mark.parametrize("as_of", sorted(BAD_DATES))
def test_impossible_or_full_width_dates_in_facts_and_cases(as_of: str, tmp_path: Path) -> None:
    src = (ROOT / "examples/hami-china-quality-award.facts.yaml").read_text(encoding="utf-8")
    facts = tmp_path / "f.facts.yaml"
    facts.write_text(re.sub(r"as_of: .*", f"as_of: '{as_of}'", src, count=1), encoding="utf-8")
    out = _main(["eval", str(ROOT / "policies/hami-quality-fund/final.yaml"), str(facts)])
    m = _assert_located(out, str(facts), "E104")
    assert BAD_DATES[as_of] in m.group(3), out.stderr
    cases_src = (ROOT / "policies/hami-quality-fund/final.cases.yaml").read_text(encoding="utf-8")
    cases = tmp_path / "final.cases.yaml"
    policy = (ROOT / "policies/hami-quality-fund/final.yaml").as_posix()
    cases_src = re.sub(r"^policy: .*", f"policy: {policy}", cases_src, count=1, flags=re.M)
    cases.write_text(re.sub(r"as_of: .*", f"as_of: '{as_of}'", cases_src, count=1), encoding="utf-8")
    out = _main(["test", str(cases)])
    _assert_located(out, str(cases), "E104")


def test_control_characters_from_a_facts_value_reach_the_terminal_escaped(tmp_path: Path) -> None:
    from compiler.source.diagnostics import printable

    assert printable("a\x1b[2Jb\x00c\u202ed\te\n") == "a\\x1b[2Jb\\x00c\\u202ed\te\n"
    facts = tmp_path / "f.facts.yaml"
    # raw in the file name (a path is text the CLI prints too) and escaped in a value
    weird = tmp_path / "x\x1b[31m.facts.yaml"
    src = (ROOT / "examples/hami-china-quality-award.facts.yaml").read_text(encoding="utf-8")
    weird.write_text(src.replace("as_of:", "bogus\u202e: 1\nas_of:", 1), encoding="utf-8")
    out = _main(["eval", str(ROOT / "policies/hami-quality-fund/final.yaml"), str(weird)])
    assert out.code == 1 and "\x1b" not in out.stderr and "\u202e" not in out.stderr
    assert "x\\x1b[31m.facts.yaml" in out.stderr and "bogus\\u202e" in out.stderr
    facts.write_text(src.replace("as_of:", 'x: "\\e]0;pwned\\a"\nas_of:', 1), encoding="utf-8")
    out = _main(["eval", str(ROOT / "policies/hami-quality-fund/final.yaml"), str(facts)])
    _assert_located(out, str(facts), "E007")
    assert "\x1b" not in out.stderr and "\x07" not in out.stderr
