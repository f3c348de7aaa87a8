"""The 检查表 of a compliance regime (`policyc build` → generated/<policy>/<version>.checklist.md,
.html, .docx): what an inspector checks at a holder, one line per duty, each citing its article,
with how it is checked, the boxes to tick, and the 项 of the sanctions clause a failure falls
under; then the sanctions clause's graded measures, the payments and the signatures.

Everything is derived from the rules (`Policy.compliance`); nothing internal (ids, file names,
expressions) is printed: the lines are the duties' `check` wording and the clauses' own text.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from compiler.model.compliance import Compliance, Obligation
from compiler.model.policy import Policy

RESULT = {"violation": "□符合\n□不符合", "principle": "□符合\n□未达到\n（说明理由）", "notice": "□未超过\n□超过"}
HEADER = ["序号", "检查内容", "依据", "核查方式", "检查结果", "所属情形", "备注"]
WIDTHS_MM = [13, 69, 26, 38, 31, 28, 20]  # the 225 mm of a landscape 版心
BLANK = "＿" * 12
SEVERITY_NOTE = {"principle": "“原则上”的要求：未达到的由承储企业说明理由，无正当理由的按所属情形处理。",
                 "notice": "提示事项不构成违反本办法，只需核实原因。"}


@dataclass
class Row:
    number: str
    check: str
    cite: str
    how: str
    result: str
    breach: str
    remark: str

    def cells(self) -> list[str]:
        return [self.number, self.check, self.cite, self.how, self.result, self.breach, self.remark]


@dataclass
class Section:
    title: str
    rows: list[Row]


@dataclass
class Checklist:
    title: str
    subtitle: str
    fields: list[str]
    sections: list[Section]
    notes: list[str]
    sanctions: list[str]
    payments: list[str]
    signatures: list[str]
    tail: list[str]  # the headings after the checks: 违规情形及处理, 补贴核算, 填表说明


def _short(cite: str) -> str:
    """第二十九条第（一）项 → 第二十九条（一）: the column is narrow."""
    return cite.replace("第（", "（").replace("）项", "）")


def _row(policy: Policy, c: Compliance, n: int, ob: Obligation) -> Row:
    how = ob.evidence or "现场查看"
    if ob.per is not None:
        how += f"；{policy.records[ob.per].label}逐条核对"
    breach = _short(c.violations[ob.breach].cite) if ob.breach and ob.severity != "notice" else "—"
    remark = {"principle": "原则上", "notice": "提示"}.get(ob.severity, "")
    return Row(str(n), ob.check, ob.cite, how, RESULT[ob.severity], breach, remark)


def derive(policy: Policy) -> Checklist:
    c = policy.compliance
    assert c is not None
    chapter_of = {a.id: ch for ch in policy.chapters for a in ch.articles}
    sections: list[Section] = []
    n = 0
    for ob in c.obligations:
        ch = chapter_of[ob.address.split(".")[0]]
        if not sections or sections[-1].title != ch.title:
            sections.append(Section(ch.title, []))
        n += 1
        sections[-1].rows.append(_row(policy, c, n, ob))
    for i, section in enumerate(sections, 1):
        section.title = f"{_zh(i)}、{section.title}"
    tail = [f"{_zh(len(sections) + i)}、{t}" for i, t in enumerate(("违规情形及处理", "补贴核算", "填表说明"), 1)]
    m = policy.meta
    sanctions = []
    for measures in c.measures:
        sanctions.append(f"{measures.cite}：{measures.text}")
        sanctions += [f"（{_zh(i)}）{v.text}" for i, v in enumerate(
            (v for v in c.violations.values() if v.parent == measures.address), 1)]
    payments = [f"{p.name}（{p.cite}）" + (f"：{p.note}" if p.note else "") for p in c.payments]
    severities = sorted({ob.severity for ob in c.obligations} - {"violation"})
    notes = [
        "检查结果逐项勾选；不符合、未达到或超过的，在备注栏或另页写明事实和数量。",
        "“所属情形”一栏是该项未做到时所属的第二十九条违规情形；“—”表示第二十九条未列明，"
        "按委托代储协议约定的违约责任处理。",
        *(SEVERITY_NOTE[s] for s in severities),
        "日期的计算：“30天内”“1个月内”自次日起算，含期限的末日。",
    ]
    return Checklist(
        title=f"{m.title.removesuffix('（试行）')}监督检查表",
        subtitle=f"依据《{m.title}》（{m.doc_number}）" if m.doc_number else f"依据《{m.title}》",
        fields=[f"被检查单位：{BLANK}", "检查日期：＿＿年＿＿月＿＿日", f"承储计划规模：{BLANK}吨", f"检查人员：{BLANK}"],
        sections=sections, notes=notes, sanctions=sanctions, payments=payments,
        signatures=[f"检查人员（签字）：{BLANK}", f"被检查单位负责人（签字）：{BLANK}", "日期：＿＿年＿＿月＿＿日"],
        tail=tail if payments else [tail[0], tail[1].replace("补贴核算", "填表说明")],
    )


_DIGITS = "零一二三四五六七八九"


def _zh(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")


def render_markdown(cl: Checklist) -> str:
    out = [f"# {cl.title}", "", cl.subtitle, "", "　".join(cl.fields), ""]
    for section in cl.sections:
        out += [f"## {section.title}", "", "| " + " | ".join(HEADER) + " |", "|---:|" + "---|" * (len(HEADER) - 1)]
        out += ["| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in row.cells()) + " |"
                for row in section.rows]
        out.append("")
    out += [f"## {cl.tail[0]}", ""] + [f"{line}" + "  " for line in cl.sanctions] + [""]
    if cl.payments:
        out += [f"## {cl.tail[1]}", ""] + [f"{i}. {line}" for i, line in enumerate(cl.payments, 1)] + [""]
    out += [f"## {cl.tail[-1]}", ""] + [f"{i}. {note}" for i, note in enumerate(cl.notes, 1)] + [""]
    out += ["　".join(cl.signatures), ""]
    return "\n".join(out)


_CSS = """\
  html { background: #e8e8e8; }
  body { margin: 0; color: #000; }
  main { box-sizing: border-box; max-width: 297mm; margin: 12px auto; padding: 18mm 16mm; background: #fff;
         box-shadow: 0 1px 6px rgba(0, 0, 0, .3);
         font: 12pt/1.6 "仿宋_GB2312", "FangSong_GB2312", "仿宋", FangSong, STFangsong, "Noto Serif CJK SC", serif; }
  h1 { margin: 0 0 .3em; font: 20pt/1.5 "方正小标宋简体", "华文中宋", STZhongsong, "Noto Serif CJK SC", serif;
       text-align: center; }
  .sub { text-align: center; margin: 0 0 1em; }
  .fields { display: flex; flex-wrap: wrap; gap: .4em 3em; margin: 0 0 1em; }
  .fields span { min-width: 14em; }
  h2 { margin: 1.2em 0 .4em; font: 14pt/1.5 "黑体", SimHei, "Heiti SC", "Noto Sans CJK SC", sans-serif; }
  p { margin: 0 0 .3em; }
  table { width: 100%; table-layout: fixed; border-collapse: collapse; font-size: 10.5pt; line-height: 1.45; }
  thead { display: table-header-group; }
  th, td { border: 0.5pt solid #000; padding: 3pt 5pt; vertical-align: top; text-align: left; }
  th { font-family: "黑体", SimHei, "Heiti SC", "Noto Sans CJK SC", sans-serif; font-weight: normal;
       text-align: center; background: #f2f2f2; }
  td.c { text-align: center; white-space: nowrap; }
  tr { break-inside: avoid; }
  ol { margin: 0; padding-left: 2em; }
  .sign { display: flex; justify-content: space-between; margin-top: 2em; }
  @page { size: A4 landscape; margin: 15mm; }
  @media print { html { background: none; } main { max-width: none; margin: 0; padding: 0; box-shadow: none; } }
"""
_CENTRED = {0, 2, 4, 5, 6}


def render_html(cl: Checklist) -> str:
    e = html.escape
    total = sum(WIDTHS_MM)
    out = ["<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">', f"<title>{e(cl.title)}</title>",
           "<style>", _CSS.rstrip("\n"), "</style>", "</head>", "<body>", "<main>", f"<h1>{e(cl.title)}</h1>",
           f'<p class="sub">{e(cl.subtitle)}</p>',
           '<div class="fields">' + "".join(f"<span>{e(f)}</span>" for f in cl.fields) + "</div>"]
    for section in cl.sections:
        out += [f"<h2>{e(section.title)}</h2>", "<table>",
                "<colgroup>" + "".join(f'<col style="width: {100 * w / total:.1f}%">' for w in WIDTHS_MM) + "</colgroup>",
                "<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in HEADER) + "</tr></thead>", "<tbody>"]
        for row in section.rows:
            cells = [e(v).replace("\n", "<br>") for v in row.cells()]
            out.append("<tr>" + "".join(f'<td class="c">{v}</td>' if i in _CENTRED else f"<td>{v}</td>"
                                        for i, v in enumerate(cells)) + "</tr>")
        out += ["</tbody>", "</table>"]
    out.append(f"<h2>{e(cl.tail[0])}</h2>")
    out += [f"<p>{e(line)}</p>" for line in cl.sanctions]
    if cl.payments:
        out += [f"<h2>{e(cl.tail[1])}</h2>", "<ol>"] + [f"<li>{e(line)}</li>" for line in cl.payments] + ["</ol>"]
    out += [f"<h2>{e(cl.tail[-1])}</h2>", "<ol>"] + [f"<li>{e(note)}</li>" for note in cl.notes] + ["</ol>"]
    out += ['<div class="sign">' + "".join(f"<span>{e(s)}</span>" for s in cl.signatures) + "</div>"]
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)


def render_docx(cl: Checklist, policy: Policy) -> bytes:
    from docx.shared import Pt

    from compiler.documents import wordstyle

    doc = wordstyle.new_document(landscape=True)
    date = policy.meta.effective_date or policy.meta.published
    assert date is not None
    wordstyle.set_properties(doc, title=cl.title, author=policy.meta.issuer, date=date, subject=cl.subtitle)
    wordstyle.add_title(doc, cl.title)
    wordstyle.add_body(doc, cl.subtitle, first_line_indent=False)
    for left, right in zip(cl.fields[::2], cl.fields[1::2], strict=False):
        wordstyle.add_body(doc, f"{left}　　{right}", first_line_indent=False)
    for section in cl.sections:
        wordstyle.add_heading(doc, section.title, 1)
        wordstyle.add_table(doc, HEADER, [row.cells() for row in section.rows], WIDTHS_MM, size=Pt(12),
                            align=["center" if i in _CENTRED else "left" for i in range(len(HEADER))])
    wordstyle.add_heading(doc, cl.tail[0], 1)
    for line in cl.sanctions:
        wordstyle.add_body(doc, line)
    if cl.payments:
        wordstyle.add_heading(doc, cl.tail[1], 1)
        for i, line in enumerate(cl.payments, 1):
            wordstyle.add_body(doc, f"{i}. {line}")
    wordstyle.add_heading(doc, cl.tail[-1], 1)
    for i, note in enumerate(cl.notes, 1):
        wordstyle.add_body(doc, f"{i}. {note}")
    wordstyle.add_spacer(doc)
    for line in cl.signatures:
        wordstyle.add_body(doc, line, first_line_indent=False)
    return wordstyle.to_bytes(doc)


def build_outputs(root: Path, policies: list[tuple[Path, Policy]]) -> dict[str, bytes]:
    """generated/<policy>/<version>.checklist.md, .html and .docx for every compliance regime."""
    del root
    out: dict[str, bytes] = {}
    for _path, policy in policies:
        if policy.compliance is None:
            continue
        cl = derive(policy)
        base = f"{policy.policy_id}/{policy.version}.checklist"
        out[f"{base}.md"] = render_markdown(cl).encode("utf-8")
        out[f"{base}.html"] = render_html(cl).encode("utf-8")
        out[f"{base}.docx"] = render_docx(cl, policy)
    return out
