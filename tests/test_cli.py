"""The command line as a user meets it: exit codes 0/1/2, Chinese messages with locations,
no tracebacks, and builds that write nothing when anything fails."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from compiler import build
from compiler.cli import main

HAMI = "policies/hami-quality-fund/final.yaml"


def run(args: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "compiler", *args], cwd=cwd, capture_output=True, text=True)


def test_eval_grants_600000_citing_article_11() -> None:
    out = run(["eval", HAMI, "examples/hami-china-quality-award.facts.yaml", "--format", "json"])
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["total"] == "600000"
    assert result["granted"][0]["cite"] == "第十一条第（一）项"
    assert result["format"] == "policyc-result/1"
    assert result["as_of"] == "2026-06-01"  # a datetime.date in Python, ISO 8601 in JSON


def test_eval_blacklisted_gets_nothing_citing_article_17() -> None:
    out = run(["eval", HAMI, "examples/hami-blacklisted.facts.yaml"])
    assert out.returncode == 0, out.stderr
    assert "合计：0元" in out.stdout
    assert "依据第十七条第（二）项" in out.stdout


def test_eval_engines_agree() -> None:
    a = run(["eval", HAMI, "examples/hami-china-quality-award.facts.yaml", "--format", "json"])
    b = run(["eval", HAMI, "examples/hami-china-quality-award.facts.yaml", "--format", "json",
             "--engine", "interpreter"])
    assert a.stdout == b.stdout


def test_eval_missing_and_unknown_facts(tmp_path: Path) -> None:
    facts = tmp_path / "f.yaml"
    facts.write_text("as_of: 2026-06-01\nfacts:\n  单位类形: 企业\n  申报资格: [中国质量奖]\n", encoding="utf-8")
    out = run(["eval", HAMI, str(facts)])
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert "缺少必需的事实" in out.stderr and "列入失信名单" in out.stderr
    assert "f.yaml:3:3" in out.stderr and "你是不是想写「单位类型」" in out.stderr


def test_eval_bad_value_points_at_it(tmp_path: Path) -> None:
    src = (ROOT / "examples/hami-china-quality-award.facts.yaml").read_text(encoding="utf-8")
    facts = tmp_path / "f.yaml"
    facts.write_text(src.replace("单位类型: 企业", "单位类型: 公司"), encoding="utf-8")
    out = run(["eval", HAMI, str(facts)])
    assert out.returncode == 1 and "取值「公司」无效" in out.stderr
    line = next(i for i, ln in enumerate(facts.read_text().splitlines(), 1) if "公司" in ln)
    assert f"f.yaml:{line}:" in out.stderr


def test_eval_as_of_option_and_missing_as_of(tmp_path: Path) -> None:
    out = run(["eval", HAMI, "examples/hami-china-quality-award.facts.yaml", "--as-of", "2030-01-01"])
    assert out.returncode == 0 and "不在本办法有效期内" in out.stdout and "第二十八条" in out.stdout
    facts = tmp_path / "f.yaml"
    facts.write_text("facts: {}\n", encoding="utf-8")
    out = run(["eval", HAMI, str(facts)])
    assert out.returncode == 1 and "as_of" in out.stderr
    out = run(["eval", HAMI, "examples/hami-china-quality-award.facts.yaml", "--as-of", "明天"])
    assert out.returncode == 2


@pytest.mark.parametrize(
    ("args", "code", "fragment"),
    [
        (["eval", "policies/nope.yaml", "examples/hami-blacklisted.facts.yaml"], 1, "找不到文件"),
        (["frobnicate"], 2, "用法错误"),
        (["eval", HAMI], 2, "缺少必需的参数"),
        ([], 2, "命令"),
        (["validate", "--format", "xml"], 2, "无效的选项"),
    ],
)
def test_usage_and_missing_files(args: list[str], code: int, fragment: str) -> None:
    out = run(args)
    assert out.returncode == code
    assert fragment in out.stderr + out.stdout
    assert "Traceback" not in out.stderr


def test_validate_non_utf8_and_malformed(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.yaml"
    gbk.write_bytes((ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8").encode("gb18030"))
    out = run(["validate", str(gbk)])
    assert out.returncode == 1 and "不是 UTF-8" in out.stderr and "Traceback" not in out.stderr
    out = run(["validate", "tests/bad/yaml_syntax.yaml", "tests/bad/unit_mismatch.yaml"])
    assert out.returncode == 1
    assert "yaml_syntax.yaml:7:13" in out.stderr and "unit_mismatch.yaml:70:29" in out.stderr


def test_validate_json_and_coverage() -> None:
    out = run(["validate", HAMI, "--coverage", "--format", "json"])
    assert out.returncode == 0
    data = json.loads(out.stdout)
    cov = data["coverage"][0]
    assert cov["counts"].get("missing", 0) == 0
    assert cov["counts"]["encoded"] >= 40


def test_test_command_runs_all_cases() -> None:
    out = run(["test"])
    assert out.returncode == 0, out.stdout
    assert "个通过，0 个失败。" in out.stdout, "the summary is Chinese"


def _copy_project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    shutil.copytree(ROOT / "policies", root / "policies")
    shutil.copytree(ROOT / "generated", root / "generated")
    return root


def test_build_check_detects_stale_and_extra_files(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    assert main(["--root", str(root), "build", "--check"]) == 0
    (root / "generated/hami-quality-fund/final.txt").write_text("tampered", encoding="utf-8")
    (root / "generated/orphan.py").write_text("", encoding="utf-8")
    assert main(["--root", str(root), "build", "--check"]) == 1
    assert main(["--root", str(root), "build", "--clean"]) == 0
    assert not (root / "generated/orphan.py").exists()
    assert main(["--root", str(root), "build", "--check"]) == 0


def test_build_refuses_to_delete_files_it_did_not_produce(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _copy_project(tmp_path)
    (root / "generated/hami-quality-fund/final.txt").write_text("tampered", encoding="utf-8")
    (root / "generated/notes.md").write_text("mine", encoding="utf-8")
    assert main(["--root", str(root), "build"]) == 1
    err = capsys.readouterr().err
    assert "generated/notes.md" in err and "--clean" in err
    assert (root / "generated/notes.md").read_text(encoding="utf-8") == "mine"
    assert (root / "generated/hami-quality-fund/final.txt").read_text(encoding="utf-8") == "tampered", \
        "nothing is written when the build refuses"
    assert main(["--root", str(root), "build", "--clean"]) == 0
    assert "已删除 1 个多余的文件" in capsys.readouterr().out
    assert not (root / "generated/notes.md").exists()


def test_build_writes_nothing_when_a_policy_is_broken(tmp_path: Path) -> None:
    root = _copy_project(tmp_path)
    shutil.rmtree(root / "generated")
    broken = root / "policies/broken"
    broken.mkdir()
    shutil.copy(ROOT / "tests/bad/unit_mismatch.yaml", broken / "final.yaml")
    assert main(["--root", str(root), "build"]) == 1
    assert not (root / "generated").exists()


def test_build_is_byte_identical_and_committed_generated_is_fresh() -> None:
    first = build.build_all(ROOT)
    second = build.build_all(ROOT)
    assert first == second
    assert build.stale(ROOT, first) == [], "generated/ is stale: run policyc build"


def test_atomic_write_gives_ordinary_permissions(tmp_path: Path) -> None:
    import os

    target = tmp_path / "out" / "guide.md"
    build.atomic_write(target, "内容".encode())
    umask = os.umask(0)
    os.umask(umask)
    assert target.read_text(encoding="utf-8") == "内容"
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in target.parent.iterdir()] == ["guide.md"]  # no temporary file left


def test_eval_error_points_at_the_rule(tmp_path: Path) -> None:
    """A rule that cannot be computed (division by zero) is reported at its clause in the YAML."""
    policy = tmp_path / "p.yaml"
    text = (ROOT / "tests/fixtures/mini.yaml").read_text(encoding="utf-8")
    policy.write_text(text.replace("amount: 10万元", "amount: 10万元 × 100万元 ÷ (营业收入 - 100万元)"), encoding="utf-8")
    facts = tmp_path / "f.yaml"
    facts.write_text("as_of: 2026-06-01\nfacts: {在本市: true, 营业收入: 100万元, 申报资格: [银奖]}\n", encoding="utf-8")
    out = run(["eval", str(policy), str(facts)])
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "除以零" in out.stderr and "第三条第（二）项" in out.stderr
    # at the amount as written, and the hint names the fact it used, at its place in the facts file
    lines = policy.read_text(encoding="utf-8").splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if "amount: 10万元 × 100万元" in ln)
    assert f"p.yaml:{line}:{lines[line - 1].index('10万元 ×') + 1}:" in out.stderr
    assert "核对申报信息中这条规则用到的事实：「营业收入」（" in out.stderr and "f.yaml:2:" in out.stderr


@pytest.mark.parametrize("engine", ["generated", "interpreter"])
def test_eval_amount_out_of_range_is_an_error_at_the_amount(tmp_path: Path, engine: str) -> None:
    """10^26 standards: the amount cannot be held to the 分 in 28 digits — an E404 at the amount,
    not a decimal.InvalidOperation traceback."""
    facts = tmp_path / "f.yaml"
    facts.write_text(
        "as_of: 2026-06-01\nfacts:\n  单位所在地在哈密市: true\n  单位类型: 企业\n  申报资格: []\n"
        "  符合产业政策: true\n  取得法定资质: true\n  列入失信名单: false\n  列入负面清单: false\n"
        "  已获得同类政策支持: false\n  与质量强市建设相关: true\n  存在其他违法违规情形: false\n"
        f"  主导制定国家标准数: {10**26}\n", encoding="utf-8")
    out = run(["eval", HAMI, str(facts), "--engine", engine])
    assert out.returncode == 1 and "Traceback" not in out.stderr, out.stderr
    lines = (ROOT / HAMI).read_text(encoding="utf-8").splitlines()
    line = next(i for i, ln in enumerate(lines, 1) if "amount: 20万元 × 主导制定国家标准数" in ln)
    assert f"final.yaml:{line}:" in out.stderr and "E404" in out.stderr
    assert "超出可精确计算的范围" in out.stderr and "第十三条第一款第（一）项" in out.stderr
    assert "「主导制定国家标准数」（" in out.stderr and "f.yaml:13:" in out.stderr


def _readme_setup_commands() -> list[str]:
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_setup_commands_use_a_venv_and_ci_runs_the_test_command() -> None:
    """PEP 668: on Debian 12 / Ubuntu 23.04+ pip refuses the system Python, so both set-up
    commands must create and activate a virtual environment before pip; .ci/run must run the
    README's test command exactly."""
    commands = _readme_setup_commands()
    assert len(commands) == 2, commands
    for command in commands:
        steps = [s.strip() for s in command.split("&&")]
        assert steps[0] == "python3 -m venv .venv" and steps[1] == ". .venv/bin/activate", command
        assert steps[2].startswith("pip install "), command
        assert not any("python3 -m pip" in s for s in steps), "pip must be the venv's"
    main_cmd, test_cmd = commands
    assert main_cmd.endswith("pip install . && policyc build")
    assert test_cmd.endswith("policyc build --check && python -m pytest -q")
    ci = [ln for ln in (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
          if ln.strip() and not ln.startswith(("#", "set ", "cd "))]
    assert ci == [test_cmd], ci


def test_an_escaping_crash_is_an_internal_error_with_exit_code_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from compiler import cli

    def crash(args: object) -> int:
        raise ZeroDivisionError("boom\nsecond line")

    monkeypatch.setitem(cli.COMMANDS, "validate", crash)
    assert main(["validate"]) == 3
    err = capsys.readouterr().err
    (line,) = err.strip().splitlines()
    assert "内部错误" in line and "ZeroDivisionError" in line and "报告" in line and "Traceback" not in err


def test_unknown_option_shows_the_subcommand_usage() -> None:
    out = run(["eval", "--bogus"])
    assert out.returncode == 2 and out.stderr.startswith("usage: policyc eval"), out.stderr
    out = run(["eval", HAMI, "examples/hami-china-quality-award.facts.yaml", "--bogus"])
    assert out.returncode == 2 and out.stderr.startswith("usage: policyc eval"), out.stderr
    assert "无法识别的参数：--bogus" in out.stderr


def test_test_given_a_policy_file_says_so_in_chinese() -> None:
    out = run(["test", HAMI])
    assert out.returncode == 1
    assert "错误[E106]: 这是政策文件，不是测试用例文件" in out.stderr
    assert f"{HAMI}:2:1" in out.stderr and "final.cases.yaml" in out.stderr
    assert out.stderr.count("错误[") == 1, "one clear message, not the schema's complaints"
    assert "共 0 个用例：0 个通过，0 个失败；1 个用例文件有错误，未能运行。" in out.stdout


def test_evaluate_with_a_string_date_is_a_clear_type_error() -> None:
    import datetime as dt

    from compiler.evaluate.interpreter import Interpreter
    from compiler.model.load import load_policy
    from compiler.runtime.core import require_date

    assert require_date(dt.date(2026, 6, 1)) == dt.date(2026, 6, 1)
    with pytest.raises(TypeError, match="评价日期 as_of 应为 datetime.date，实际是 str"):
        require_date("2026-06-01")
    with pytest.raises(TypeError, match="datetime"):
        require_date(dt.datetime(2026, 6, 1, 12, 0))
    with pytest.raises(TypeError, match="评价日期"):  # checked before the facts
        Interpreter(load_policy(ROOT / HAMI)).evaluate({}, "2026-06-01")  # type: ignore[arg-type]


def test_a_closed_pipe_is_not_an_internal_error() -> None:
    """policyc eval … | head: the reader stops before policyc writes; no traceback, no 内部错误,
    exit 141 (128 + SIGPIPE). The pipe is closed before the child can have written anything."""
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-m", "compiler", "eval", HAMI, "examples/hami-china-quality-award.facts.yaml"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode("utf-8")
    assert child.wait(timeout=60) == 141, err
    assert "内部错误" not in err and "Traceback" not in err
