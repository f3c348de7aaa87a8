"""No code from caches or temp files: the expression parser's LALR tables ship in the package as
JSON (compiler/lang/grammar_tables.json); nothing is read from or written to the temp directory,
so a file planted there by another local user is never unpickled or run."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT
from lark import Lark, Tree

from compiler.lang import parser

_PLANT = """
import pathlib, tempfile
from lark import Lark
from compiler.lang import units
# Lark's cache=True with the grammar and options of the old parser.py: it writes its pickle
# under the name it would later read, which is where an attacker would plant one.
text = pathlib.Path("compiler/lang/grammar.lark").read_text(encoding="utf-8")
text = text.replace("%UNIT%", units.COMPOUND_UNIT_PATTERN.replace("/", "\\\\/"))
Lark(text, parser="lalr", start=["start", "band"], propagate_positions=True, maybe_placeholders=False, cache=True)
print(*[str(p) for p in pathlib.Path(tempfile.gettempdir()).glob(".lark_cache_*")], sep="\\n")
"""


class _Exploit:
    """Unpickling this creates the file named `marker`: proof that the pickle was loaded."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, ...]]:
        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_planted_in_the_temp_dir_is_never_loaded(tmp_path: Path) -> None:
    scratch, shared = tmp_path / "scratch", tmp_path / "shared-tmp"
    scratch.mkdir()
    shared.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch)}
    found = subprocess.run([sys.executable, "-c", _PLANT], env=env, cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    assert found, "Lark's cache file name could not be determined"
    marker = tmp_path / "pwned"
    for name in found:  # plant the exploit under the exact names the old code read
        # Lark reads a hash line, then unpickles: the exploit runs whatever the hash says
        (shared / Path(name).name).write_bytes(b"0\n" + pickle.dumps(_Exploit(marker)))
    planted = sorted(p.name for p in shared.iterdir())
    out = subprocess.run([sys.executable, "-m", "compiler", "validate", "policies/hami-quality-fund/final.yaml"],
                         env={**os.environ, "TMPDIR": str(shared)}, cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert not marker.exists(), "a pickle from the temp directory was loaded"
    assert sorted(p.name for p in shared.iterdir()) == planted, "nothing is written to the temp directory"


def test_the_parser_never_unpickles(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "loads", refuse)
    parser._lark.cache_clear()
    try:
        assert parser.parse("营业收入 20万元以上 且 在本市") is not None
    finally:
        parser._lark.cache_clear()


def test_shipped_tables_match_the_grammar() -> None:
    import json

    doc = json.loads(parser.TABLES.read_text(encoding="utf-8"))
    assert doc["fingerprint"] == parser._fingerprint(parser.grammar_text()), (
        "compiler/lang/grammar_tables.json is stale: run python -m compiler.lang.parser")


def _plain(tree: object) -> object:
    if isinstance(tree, Tree):
        return (str(tree.data), [_plain(c) for c in tree.children], tree.meta.start_pos, tree.meta.end_pos)
    return (getattr(tree, "type", None), str(tree))


def test_tables_parse_exactly_like_a_fresh_build() -> None:
    """The shipped tables and a parser built from grammar.lark agree on every expression of the
    policies and on the errors of broken ones."""
    from compiler.model.load import load_policy

    fresh = Lark(parser.grammar_text(), **parser._OPTIONS)
    shipped = parser._lark()
    texts = []
    for path in sorted((ROOT / "policies").glob("*/*.yaml")):
        if path.name.endswith(".cases.yaml") or path.parent.name != path.parents[0].name:
            continue
        try:
            texts += [e.text for e, _ in load_policy(path).rule_expressions()]
        except Exception:  # noqa: BLE001 - not every YAML file there is a policy
            continue
    texts += ["营业收入 >", "甲 且 且 乙", "1万元 + ", "(甲", "取整(1.5) × 2万元"]
    assert len(texts) > 20
    for text in texts:
        a = b = None
        try:
            a = repr(_plain(fresh.parse(text, start="start")))
        except Exception as exc:  # noqa: BLE001
            a = type(exc).__name__ + str(sorted(getattr(exc, "expected", None) or []))
        try:
            b = repr(_plain(shipped.parse(text, start="start")))
        except Exception as exc:  # noqa: BLE001
            b = type(exc).__name__ + str(sorted(getattr(exc, "expected", None) or []))
        assert a == b, text


def test_stale_tables_fall_back_to_building(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    stale = tmp_path / "tables.json"
    stale.write_text('{"fingerprint": "old", "data": {}, "memo": {}}', encoding="utf-8")
    monkeypatch.setattr(parser, "TABLES", stale)
    parser._lark.cache_clear()
    try:
        assert parser.parse("在本市") is not None
    finally:
        parser._lark.cache_clear()
