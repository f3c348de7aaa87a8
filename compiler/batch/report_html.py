"""The batch result as one HTML page: the same sheets as the workbook, each a section with its
tables; the budget by article as CSS bars (no images, no scripts). Every text is escaped."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from compiler.batch.run import BatchResult
from compiler.batch.tables import Sheet, cell_text, sheets

_STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:2em}h3{font-size:1.05em}
table{border-collapse:collapse;margin:.5em 0 1.5em}th,td{border:1px solid #bbb;padding:.25em .5em;vertical-align:top}
th{background:#ddebf7;position:sticky;top:0}td.money{text-align:right;white-space:nowrap}
.bar{display:flex;align-items:center;gap:.5em;margin:.2em 0}.bar span{display:inline-block;height:1em}
.paid{background:#4472c4}.carried{background:#ed7d31}.label{width:8em}
"""


def _chart(sheet: Sheet) -> str:
    if sheet.chart is None:
        return ""
    section = sheet.sections[sheet.chart[0]]
    rows = list(section.rows())
    values = [(str(r[0]), r[2], r[3]) for r in rows if isinstance(r[2], Decimal) and isinstance(r[3], Decimal)]
    top = max((p + c for _, p, c in values), default=Decimal(0))
    if top == 0:
        return ""
    out = ['<figure><figcaption>年度预算按条款分布（蓝：本年度拨付；橙：结转下年度）</figcaption>']
    for label, paid, carried in values:
        wp, wc = (paid * 400 / top).quantize(Decimal(1)), (carried * 400 / top).quantize(Decimal(1))
        out.append(f'<div class="bar"><span class="label">{escape(label)}</span>'
                   f'<span class="paid" style="width:{wp}px"></span><span class="carried" style="width:{wc}px"></span>'
                   f"{escape(cell_text(paid, True))} / {escape(cell_text(carried, True))}</div>")
    out.append("</figure>")
    return "\n".join(out)


def render_html(result: BatchResult, extra: list[Sheet] | None = None) -> str:
    meta = result.policy.meta
    parts = ["<!DOCTYPE html>", '<html lang="zh-CN"><head><meta charset="utf-8">',
             f"<title>{escape(meta.title)} 批量评价结果</title><style>{_STYLE}</style></head><body>",
             f"<h1>{escape(meta.title)}　批量评价结果</h1>"]
    for sheet in [*sheets(result), *(extra or [])]:
        parts.append(f"<h2>{escape(sheet.name)}</h2>")
        for section in sheet.sections:
            if section.title:
                parts.append(f"<h3>{escape(section.title)}</h3>")
            parts.append("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in section.headers)
                         + "</tr></thead><tbody>")
            for row in section.rows():
                cells = []
                for j, v in enumerate(row):
                    money = j in section.money and isinstance(v, Decimal)
                    cls = ' class="money"' if money else ""
                    cells.append(f"<td{cls}>{escape(cell_text(v, money))}</td>")
                parts.append("<tr>" + "".join(cells) + "</tr>")
            parts.append("</tbody></table>")
        parts.append(_chart(sheet))
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)
