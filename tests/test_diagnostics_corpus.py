"""The bad-input corpus: one broken policy per error class, with the expected errors marked
inline as `# E: CODE[:COLUMN]` on the offending line (mypy style). Every rendered message is
also kept as a golden file, so wording and carets are reviewed like code."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import ROOT, check_golden

from compiler.model.load import load_policy
from compiler.source.diagnostics import PolicyError, render_all

BAD = Path(__file__).parent / "bad"
GOLDEN = Path(__file__).parent / "golden" / "diagnostics"
MARK = re.compile(r"#\s*E:\s*(E\d{3})(?::(\d+))?")


def expected_marks(path: Path) -> set[tuple[int, str, int | None]]:
    out = set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        for m in MARK.finditer(line):
            out.add((lineno, m.group(1), int(m.group(2)) if m.group(2) else None))
    return out


@pytest.mark.parametrize("path", sorted(BAD.glob("*.yaml")), ids=lambda p: p.stem)
def test_bad_policy_reports_marked_errors(path: Path, update_golden: bool) -> None:
    marks = expected_marks(path)
    assert marks, f"{path.name} has no # E: marker"
    cwd = os.getcwd()
    os.chdir(ROOT)  # messages show paths relative to the project root
    try:
        with pytest.raises(PolicyError) as info:
            load_policy(path.relative_to(ROOT))
    finally:
        os.chdir(cwd)
    diags = info.value.diagnostics
    got = {(d.span.line, d.code) for d in diags if d.span}
    assert got == {(line, code) for line, code, _ in marks}, render_all(diags)
    for line, code, col in marks:
        if col is not None:
            cols = [d.span.col for d in diags if d.span and (d.span.line, d.code) == (line, code)]
            assert col in cols, f"{code} at line {line}: expected column {col}, got {cols}"
    for d in diags:
        assert d.span is not None and d.span.file.endswith(path.name)
        assert d.message and not d.message.isascii(), "messages are Chinese"
    check_golden(GOLDEN / f"{path.stem}.txt", render_all(diags) + "\n", update_golden)


def test_undeclared_fact_suggests_the_close_name() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(BAD / "undeclared_fact.yaml")
    (diag,) = info.value.diagnostics
    assert diag.hint == "你是不是想写「营业收入」？"
    assert diag.clause == "第三条第（二）项"


def test_glued_keyword_hint_says_to_add_spaces() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(BAD / "keyword_glued.yaml")
    (diag,) = info.value.diagnostics
    assert "「或」" in (diag.hint or "") and "空格" in (diag.hint or "")


def test_unknown_key_suggests_the_schema_key() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(BAD / "unknown_key.yaml")
    hints = {d.code: d.hint for d in info.value.diagnostics}
    assert hints["E101"] == "你是不是想写「title」？"
    assert hints["E104"] == "你是不是想写「issued」？"


def test_caret_is_aligned_by_display_width() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy(BAD / "undeclared_fact.yaml")
    text = render_all(info.value.diagnostics)
    src_line, caret_line = [ln for ln in text.splitlines() if " | " in ln][:2]
    src = src_line.split(" | ", 1)[1]
    caret = caret_line.split(" | ", 1)[1]
    # the caret starts under 营业收人: 26 ASCII columns of indentation and "when: "
    assert caret.startswith(" " * 26 + "^^^^^^^^")
    assert src[26:30] == "营业收人"


def test_mutated_policies_only_ever_raise_policy_errors() -> None:
    """Random line deletions, duplications and character edits of the Hami policy: every outcome
    is a valid policy or a PolicyError that renders — never a traceback."""
    import random

    from compiler.evaluate.codegen import generate
    from compiler.model.load import policy_from_tree
    from compiler.source.yamlsrc import parse_yaml

    lines = (ROOT / "policies/hami-quality-fund/final.yaml").read_text(encoding="utf-8").splitlines()
    rng = random.Random(1)
    alphabet = list("：:-[]{}\"'#&*!|>% 　\t且或非0123456789万元年日支人")
    for _ in range(60):
        mutated = list(lines)
        for _ in range(rng.randint(1, 3)):
            i = rng.randrange(len(mutated))
            roll = rng.random()
            if roll < 0.25:
                del mutated[i]
            elif roll < 0.45:
                mutated.insert(i, mutated[rng.randrange(len(mutated))])
            else:
                j = rng.randrange(len(mutated[i]) + 1)
                mutated[i] = mutated[i][:j] + rng.choice(alphabet) + mutated[i][j + (roll < 0.8):]
        text = "\n".join(mutated)
        try:
            generate(policy_from_tree(parse_yaml(text, "m.yaml"), "m.yaml"), text, "m.yaml")
        except PolicyError as exc:
            assert render_all(exc.diagnostics)
