"""The registry on a date: the `policyc status` listing (text, `policyc-status/1` JSON) and the
registry page (Markdown, HTML) that `policyc build` publishes.

The page is for an official: a table per status, each row with 文号, title, issuer, dates and the
sentence that decides the status. It carries nothing internal — no ids, file names or digests —
and is a function of the registry alone (its `status_date`, never today's date), so a build is
reproducible.
"""

from __future__ import annotations

import datetime as dt
import html
import json
from typing import Any

from compiler.registry.model import Document, Registry
from compiler.registry.standing import LABELS, ORDER, Standing, next_change, standings
from compiler.runtime.core import zh_date

STATUS_FORMAT = "policyc-status/1"
PAGE_TITLE = "文件效力状态登记表"
UNSTATED = "未载明"


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def dates_line(doc: Document) -> str:
    """2026年4月18日发布；2026年5月19日起施行；有效期至2029年5月18日；2026年5月21日起废止."""
    if doc.draft is not None:
        return doc.draft
    dated = [(doc.issued, f"{zh_date(doc.issued)}发布")] if doc.issued else []
    dated += [(event.date, f"{zh_date(event.date)}{event.kind}") for event in doc.history]
    if doc.effect is not None:
        dated.append((doc.effect.date, f"{zh_date(doc.effect.date)}起施行"))
    if doc.term is not None:
        dated.append((doc.term.until, f"有效期至{zh_date(doc.term.until)}"))
    if doc.repealed_by is not None:
        dated.append((doc.repealed_by.date, f"{zh_date(doc.repealed_by.date)}起废止"))
    parts = [text for _, text in sorted(dated, key=lambda dt_text: dt_text[0])]  # stable: 发布 before 施行 on a day
    return "；".join(parts if doc.issued else [f"发布日期{UNSTATED}", *parts])


def _repeals_line(registry: Registry, doc: Document) -> str | None:
    if not doc.repeals:
        return None
    return "废止：" + "、".join(f"{registry.get(r.target).name}（{zh_date(r.date)}起）" for r in doc.repeals)


def _grouped(found: list[Standing]) -> list[tuple[str, list[Standing]]]:
    return [(status, [s for s in found if s.status == status]) for status in ORDER
            if any(s.status == status for s in found)]


# ---------------------------------------------------------------------------------------------
# policyc status


def status_text(registry: Registry, day: dt.date) -> str:
    found = standings(registry, day)
    counts = "，".join(f"{LABELS[status]} {len(group)} 件" for status, group in _grouped(found))
    lines = [f"文件效力状态（{zh_date(day)}）：共 {len(found)} 件；{counts}", ""]
    for status, group in _grouped(found):
        lines.append(f"{LABELS[status]}（{len(group)} 件）")
        for s in group:
            d = s.document
            head = f"  {d.doc_number + '　' if d.doc_number else ''}{d.quoted_title}"
            lines.append(head + (f"　{d.issuer}" if d.issuer else ""))
            lines.append(f"      {dates_line(d)}")
            lines.append(f"      依据：{s.reason}")
            if (also := _repeals_line(registry, d)) is not None:
                lines.append(f"      {also}")
        lines.append("")
    return "\n".join(lines)


def _quote_json(clause: str | None, text: str | None) -> dict[str, Any]:
    return {"clause": clause, "text": text}


def _document_json(registry: Registry, s: Standing) -> dict[str, Any]:
    d = s.document
    eff, term, rep = d.effect, d.term, d.repealed_by
    return {
        "id": d.id, "doc_number": d.doc_number, "title": d.title, "issuer": d.issuer, "issued": _iso(d.issued),
        "effective": None if eff is None else {
            "date": eff.date.isoformat(), "rule": eff.rule, "days": eff.days, **_quote_json(eff.quote.clause, eff.quote.text)},
        "validity": None if term is None else {
            "until": term.until.isoformat(), "years": term.years, **_quote_json(term.quote.clause, term.quote.text)},
        "repealed_by": None if rep is None else {
            "document": rep.by, "doc_number": registry.get(rep.by).doc_number, "date": rep.date.isoformat(),
            "dated_by_issue": rep.dated_by_issue, **_quote_json(rep.quote.clause, rep.quote.text)},
        "repeals": [{"document": r.target, "doc_number": registry.get(r.target).doc_number, "date": r.date.isoformat(),
                     **_quote_json(r.quote.clause, r.quote.text)} for r in d.repeals],
        "history": [{"date": e.date.isoformat(), "kind": e.kind, "by": e.by} for e in d.history],
        "draft": d.draft,
        "status": s.status, "status_label": s.label, "reason": s.reason,
        "basis": {"document": s.basis.id, "doc_number": s.basis.doc_number,
                  **_quote_json(s.quote.clause if s.quote else None, s.quote.text if s.quote else None)},
        "source": {"file": f"policies/{d.source_file}", "title": d.source_title},
        "policy": f"policies/{d.policy_file}" if d.policy_file else None,
    }


def status_json(registry: Registry, day: dt.date) -> str:
    found = standings(registry, day)
    coming = next_change(registry, day)
    doc = {
        "format": STATUS_FORMAT,
        "on": day.isoformat(),
        "registry": registry.file,
        "counts": {status: sum(s.status == status for s in found) for status in ORDER},
        "documents": [_document_json(registry, s) for s in found],
        "next_change": None if coming is None else {
            "date": coming[0].isoformat(),
            "documents": [{"document": d.id, "change": what} for d, what in coming[1]],
        },
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


# ---------------------------------------------------------------------------------------------
# The registry page


def _intro(registry: Registry) -> list[str]:
    day = registry.status_date
    found = standings(registry, day)
    counts = "，".join(f"{LABELS[status]}{len(group)}件" for status, group in _grouped(found))
    lines = [f"本表按所录文件原文整理，列明每件文件的文号、标题、发文机关、日期及确定其效力的条款原文。"
             f"所列效力状态以{zh_date(day)}为准：共{len(found)}件，其中{counts}。"]
    coming = next_change(registry, day)
    if coming is not None:
        what = "、".join(f"{d.name}{change}" for d, change in coming[1])
        lines.append(f"此后第一次状态变化在{zh_date(coming[0])}（{what}），届时本表应重新生成。")
    lines.append("废止自废止文件施行之日起生效；原文未载明施行日期的，按其发布日期计。草案不具效力。")
    return lines


def _row(registry: Registry, s: Standing) -> list[list[str]]:
    """The cells of a row, each as its lines: 文号, 标题, 发文机关, 日期, 依据."""
    d = s.document
    basis = [s.reason]
    if s.basis.source_title:
        basis.append(f"出处：{s.basis.source_title}")
    basis += [f"废止：{registry.get(r.target).name}（{zh_date(r.date)}起）" for r in d.repeals]
    return [[d.doc_number or "—"], [d.title], [d.issuer or UNSTATED], dates_line(d).split("；"), basis]


HEADER = ["文号", "标题", "发文机关", "日期", "依据"]


def _md_cell(lines: list[str]) -> str:
    return "；".join(lines).replace("|", "\\|").replace("\n", " ")


def registry_markdown(registry: Registry) -> str:
    out = [f"# {PAGE_TITLE}", ""]
    for para in _intro(registry):
        out += [para, ""]
    for status, group in _grouped(standings(registry, registry.status_date)):
        out += [f"## {LABELS[status]}（{len(group)}件）", ""]
        out.append("| 序号 | " + " | ".join(HEADER) + " |")
        out.append("|---:|" + "---|" * len(HEADER))
        for n, s in enumerate(group, 1):
            out.append(f"| {n} | " + " | ".join(_md_cell(c) for c in _row(registry, s)) + " |")
        out.append("")
    return "\n".join(out)


_CSS = """\
  html { background: #e8e8e8; }
  body { margin: 0; color: #000; }
  main {
    box-sizing: border-box; max-width: 297mm; margin: 12px auto; padding: 20mm 18mm;
    background: #fff; box-shadow: 0 1px 6px rgba(0, 0, 0, .3);
    font: 12pt/1.6 "仿宋_GB2312", "FangSong_GB2312", "仿宋", FangSong, STFangsong, "Noto Serif CJK SC", serif;
  }
  h1 { margin: 0 0 1em; font: 20pt/1.5 "方正小标宋简体", "华文中宋", STZhongsong, "Noto Serif CJK SC", serif;
       text-align: center; }
  h2 { margin: 1.5em 0 .5em; font: 14pt/1.5 "黑体", SimHei, "Heiti SC", "Noto Sans CJK SC", sans-serif; }
  p { margin: 0 0 .4em; text-indent: 2em; text-align: justify; }
  table { width: 100%; border-collapse: collapse; font-size: 10.5pt; line-height: 1.45; }
  thead { display: table-header-group; }
  th, td { border: 0.5pt solid #000; padding: 3pt 5pt; vertical-align: top; text-align: left; }
  th { font-family: "黑体", SimHei, "Heiti SC", "Noto Sans CJK SC", sans-serif; font-weight: normal;
       text-align: center; background: #f2f2f2; }
  td.n, th:first-child { text-align: center; white-space: nowrap; }
  tr { break-inside: avoid; }
  @page { size: A4 landscape; margin: 15mm; }
  @media print { html { background: none; } main { max-width: none; margin: 0; padding: 0; box-shadow: none; } }
"""
_WIDTHS = [5, 13, 21, 11, 17, 33]  # per cent: 序号, 文号, 标题, 发文机关, 日期, 依据


def registry_html(registry: Registry) -> str:
    e = html.escape
    out = [
        "<!DOCTYPE html>", '<html lang="zh-CN">', "<head>", '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(PAGE_TITLE)}</title>", "<style>", _CSS.rstrip("\n"), "</style>", "</head>", "<body>", "<main>",
        f"<h1>{e(PAGE_TITLE)}</h1>",
    ]
    out += [f"<p>{e(para)}</p>" for para in _intro(registry)]
    for status, group in _grouped(standings(registry, registry.status_date)):
        out.append(f"<h2>{e(LABELS[status])}（{len(group)}件）</h2>")
        out.append("<table>")
        out.append("<colgroup>" + "".join(f'<col style="width: {w}%">' for w in _WIDTHS) + "</colgroup>")
        out.append("<thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in ["序号", *HEADER]) + "</tr></thead>")
        out.append("<tbody>")
        for n, s in enumerate(group, 1):
            cells = ("<br>".join(e(line) for line in lines) for lines in _row(registry, s))
            out.append(f'<tr><td class="n">{n}</td>' + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        out += ["</tbody>", "</table>"]
    out += ["</main>", "</body>", "</html>", ""]
    return "\n".join(out)
