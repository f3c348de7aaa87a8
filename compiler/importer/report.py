"""`<version>.import-report.md` and the listing of a source's documents: what was imported,
repaired, kept out and proposed."""

from __future__ import annotations

from compiler.documents.text import render_repairs
from compiler.importer.documents import Document
from compiler.importer.read import Source
from compiler.importer.result import ImportResult
from compiler.importer.structure import Parsed, excerpt_note
from compiler.lang import numbering


def render_report(imp: ImportResult, source_file: str) -> str:
    """`<version>.import-report.md`: what was imported, repaired, left out and proposed."""
    p, m, s = imp.parsed, imp.meta, imp.source
    c = p.counts()
    unit = "项措施" if p.mode == "measures" else "条"
    out = [
        f"# 导入报告：{m.document_title}",
        "",
        f"- 源文件：`{source_file}`（{s.encoding}），第 {p.lines[0]}–{p.lines[1]} {s.unit}；文件中的第 {imp.document.index} 个文件",
        f"- 结构：{c['chapters']} 章，{c['articles']} {unit}，{c['paragraphs']} 款，{c['items']} 项",
        f"- 状态：{m.status}" + ("（标题带征求意见稿等字样）" if m.status == "draft" else ""),
    ]
    out += [f"- {f}" for f in m.found]
    if m.effective_text:
        out.append(f"- 施行：「{m.effective_text}」（{m.effective_clause}）"
                   + (f" → {m.effective_date.isoformat()}" if m.effective_date else "（日期无法计算）"))
    if m.validity_text:
        out.append(f"- 有效期：「{m.validity_text}」" + (f" → 至 {m.valid_until.isoformat()}" if m.valid_until else ""))
    for number, title in m.repeals:
        out.append(f"- 废止：《{title}》（{number}）")
    if m.missing:
        out += ["", "## 没有找到、需要人工填写", ""] + [f"- {x}" for x in m.missing]
    if p.warnings:
        out += ["", "## 警告", ""] + [f"- {w}" for w in p.warnings]
    out += ["", f"## 修复（{len(p.repairs)} 处）", "",
            "导入时对文字所做的每一处改动；`policyc check-source` 比对时按同样的规则修复源文件。", ""]
    out += render_repairs(p.repairs, s.path.name)
    out += ["", "## 没有写入条文的文字", "",
            "以下各段原样照录，不属于条文（元数据取自其中）；与条文和上面删除的字符合起来就是所选文件的全部文字。"]
    for ex in p.excluded:
        out += ["", f"### 第 {ex.first}–{ex.last} {s.unit}：{ex.what}", "", "```text", ex.text, "```"]
    if not p.excluded:
        out += ["", "（无：所选文件从标题到最后一条都写入了政策文件。）"]
    proposals = [(a, q) for a, qs in imp.proposals.items() for q in qs]
    out += ["", f"## 规则草案（待确认，共 {len(proposals)} 条）", "",
            "写在政策文件的注释中，不参与校验和求值；人工核对名称、金额与条件后取消注释。", ""]
    cites = {f"a{a.number}": a for a in p.articles}
    for address, q in proposals:
        art = cites[address.split(".")[0]]
        state = "" if q.usable else "（未能生成可用的规则，仅在条款 note 中提示）"
        out.append(f"- `{address}`（第{numbering.zh_number(art.number)}{'项措施' if p.mode == 'measures' else '条'}）"
                   f"`{q.id}` {q.name}：{q.amount}{state}")
    counts: dict[str, int] = {}
    for nature in imp.natures.values():
        counts[nature] = counts.get(nature, 0) + 1
    out += ["", "## 性质（nature）推测", "",
            "按关键词推测，每个最小条款一个，须人工确认：" + "，".join(f"{k} {v}" for k, v in sorted(counts.items())) + "。"]
    return "\n".join(out) + "\n"


def listing(source: Source, docs: list[Document], parsed: dict[int, Parsed]) -> str:
    rows = [f"{source.name}（{source.encoding}）中有 {len(docs)} 个文件："]
    for d in docs:
        title = d.title or f"（无标题）{source.lines[d.start].strip()[:24]}……"
        if d.importable:
            what = f"可导入：{parsed[d.index].summary()}" if d.index in parsed else "可导入"
            if d.index in parsed and parsed[d.index].excerpt:
                what = f"{excerpt_note(parsed[d.index])}，{parsed[d.index].summary()}；按原编号导入（meta.excerpt）"
        else:
            what = d.role or "不是办法"
        rows.append(f"  [{d.index}] 第 {d.start + 1} {source.unit}　{title}　— {what}")
    rows.append("用 --document N（或 --title 标题）选择要导入的文件，用 -o policies/<政策编号>/<版本>.yaml 指定输出。")
    return "\n".join(rows)
