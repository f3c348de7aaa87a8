"""Drafter's overrides of the 修改说明 (`policies/<id>/diffs/<old>-<new>.yaml`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.diff.model import Entry
from compiler.model.policy import Policy
from compiler.source.diagnostics import Diagnostic, PolicyError, Span, did_you_mean
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YMap


@dataclass
class Notes:
    file: str
    old: str
    new: str
    notes: dict[str, str]
    spans: dict[str, Span]
    tree: YMap


def load_notes(path: Path, label: str | None = None) -> Notes:
    name = label or display_path(path)
    tree = load_document(path, "diff-notes", name)
    notes = tree["notes"]
    return Notes(name, str(tree["old"]), str(tree["new"]), {str(k): str(v) for k, v in notes.items()},
                 dict(notes.key_spans), tree)


def apply_notes(entries: list[Entry], notes: Notes, old: Policy, new: Policy) -> None:
    errors: list[Diagnostic] = []
    for field_name, policy in (("old", old), ("new", new)):
        want = getattr(notes, field_name)
        if want != policy.version:
            errors.append(Diagnostic(
                "E706", f"修改说明文件写的{'原' if field_name == 'old' else '新'}版本是「{want}」，"
                        f"实际比较的是「{policy.version}」", notes.tree.value_spans.get(field_name),
                hint="old/new 写被比较的两个 version；每对版本一个文件：diffs/<old>-<new>.yaml",
            ))
    by_key = {e.key: e for e in entries}
    for key, text in notes.notes.items():
        entry = by_key.get(key)
        if entry is None:
            guess = did_you_mean(key, by_key)
            errors.append(Diagnostic(
                "E705", f"修改说明「{key}」对应的条款在两个版本之间没有变化（或不存在）", notes.spans.get(key),
                hint=(f"你是不是想写「{guess}」？" if guess else
                      "可以写的键：" + "、".join(by_key) if by_key else "两个版本之间没有实质修改"),
            ))
            continue
        entry.note, entry.note_source = text.strip(), "override"
    if errors:
        raise PolicyError(errors)
