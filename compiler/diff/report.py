"""The drafter's report that goes with a 条文对照表 (`policyc diff --consequences`): what changed
in the machine rules, which cross-references to check, and what changes for the applications
run under both versions. It names files and cases, so it is never part of the published table."""

from __future__ import annotations

from compiler.diff.model import CaseChange, DiffResult, VersionInfo
from compiler.diff.table import table_title

Section = tuple[str, str, list[str]]  # (heading, what the list is, its items)

IN_FORCE_NOTE = ("下列用例的评价日期在一个版本的施行期间内、在另一个版本的施行期间外。两个版本施行日期和有效期的"
                 "规则相同，只是起算的发布日期不同（或原版本尚未发布），故不属于规则变化。")


def report_title(r: DiffResult) -> str:
    return f"{table_title(r)}：规则与用例核对（起草人用，不随对照表发布）"


def _version(what: str, v: VersionInfo) -> str:
    return f"{what}：《{v.title}》{v.label}，{v.file}"


def _case(c: CaseChange) -> str:
    return f"{c.source}：用例“{c.case}”{c.reason}"


def report_intro(r: DiffResult) -> list[str]:
    lines = [_version("原版本", r.old), _version("新版本", r.new)]
    lines += [f"文件信息：{m.text}" for m in r.meta]
    if r.rule_changes:
        lines.append(f"规则变化{len(r.rule_changes)}项" + ("，其中涉及奖励金额。" if r.amounts_changed else
                                                        "；奖励金额均未改变。"))
    else:
        lines.append("规则未变化；奖励金额均未改变。")
    if r.cases_compared:
        extra = f"（其中{len(r.in_force)}件只因施行期间不同）" if r.in_force else ""
        lines.append(f"用例：比较{r.cases_compared}件，结果变化{len(r.case_changes)}件{extra}，"
                     f"无法比较{len(r.not_comparable)}件。")
    return lines


def report_sections(r: DiffResult) -> list[Section]:
    """Only the sections that have something to say."""
    rules = [f"{x.cite}{'（条文未修改）' if e.kind == 'rules' else ''}：{x.text}。" for e in r.entries for x in e.rules]
    warnings = [f"{e.cite}：{w}。" for e in r.entries for w in e.warnings]
    consequences = [f"{e.cite}：{_case(c)}。" for e in r.entries for c in e.consequences]
    sections: list[Section] = [
        ("规则变化", "", rules),
        ("引用待核对", "", warnings),
        ("结果变化的用例（按条）", "", consequences),
        ("只因施行期间不同而结果变化的用例", IN_FORCE_NOTE, [_case(c) + "。" for c in r.in_force]),
        ("无法比较的用例", "", [f"{c.source}：{c.case}：{c.reason}" for c in r.not_comparable]),
        ("结果变化但未能归属到具体条款的用例", "", [_case(c) + "。" for c in r.unattributed]),
    ]
    return [s for s in sections if s[2]]
