"""Writing the policy file: header, meta, proposed facts (commented out) and the structure, as YAML
that reads back exactly as the source text."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from compiler.importer.result import ImportResult
from compiler.importer.structure import ArticleB

_PLAIN_BAD_START = set("-?:,[]{}#&*!|>'\"%@` ")
_YAML_SPECIAL = re.compile(r"(?i)^(?:true|false|yes|no|on|off|null|y|n|~)$|^[-+]?[\d._:]+(?:[eE][-+]?\d+)?$|^\d{4}-\d")


def yaml_scalar(value: str) -> str:
    """A YAML scalar that reads back as exactly `value` (plain when safe, else double-quoted)."""
    plain = (value and value == value.strip() and value[0] not in _PLAIN_BAD_START
             and ": " not in value and " #" not in value and not value.endswith(":")
             and not any(c in value for c in "\n\t\"\\") and not _YAML_SPECIAL.search(value))
    if plain:
        return value
    out = value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


@dataclass
class _Out:
    """The YAML being written: lines, with those of rule proposals marked (commented out)."""

    lines: list[tuple[str, bool]] = field(default_factory=list)
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)  # proposal id → line range

    def add(self, text: str, proposal: bool = False) -> None:
        self.lines.append((text, proposal))

    def render(self, live: bool) -> str:
        out = []
        for text, proposal in self.lines:
            if proposal and not live:
                indent = len(text) - len(text.lstrip(" "))
                text = f"{' ' * indent}# {text[indent:]}"
            out.append(text)
        return "\n".join(out) + "\n"


def leaf_address(article_id: str, suffix: str) -> str:
    return f"{article_id}.{suffix}" if suffix else article_id


def render_policy(imp: ImportResult, source_file: str) -> _Out:
    """The policy file: header, meta, proposed facts, structure (see docs/import.md)."""
    m, parsed, o = imp.meta, imp.parsed, _Out()
    o.add("# yaml-language-server: $schema=../../compiler/source/schemas/policy.schema.json")
    o.add(f"# 由 policyc import 从 meta.source 所指的源文件导入；修复与未写入条文的文字见 {imp.version}.import-report.md。")
    o.add("# 导入结果待人工确认：")
    o.add("#   * 每个最小条款的 nature 是按关键词推测的；")
    o.add("#   * 写有金额的条款带 note「待确认（自动提取）」，其下注释是规则草案（awards）；核对后取消注释，")
    o.add("#     改正名称、金额与条件，删除该条款的 nature 与 note，并取消注释 facts 与 evaluation 中的草案。")
    o.add("format: policyc/1")
    o.add(f"policy: {imp.policy_id}")
    o.add(f"version: {imp.version}")
    o.add("")
    o.add("meta:")
    o.add(f"  title: {yaml_scalar(m.title)}")
    if m.doc_number:
        o.add(f"  doc_number: {yaml_scalar(m.doc_number)}")
    o.add(f"  issuer: {yaml_scalar(m.issuer or '待填写：源文件中没有找到发文机关')}")
    if m.published:
        o.add(f"  published: {m.published.isoformat()}")
    o.add(f"  status: {m.status}")
    if parsed.mode == "measures":
        o.add("  numbering: measures")
    if parsed.excerpt:  # numbered as in the source: its 第十六条 stays 第十六条
        o.add("  excerpt:")
        if parsed.first_chapter > 1:
            o.add(f"    first_chapter: {parsed.first_chapter}")
        o.add(f"    first_article: {parsed.first_article}")
    if m.effective_text and m.effective_date:
        o.add("  effective:")
        o.add(f"    text: {yaml_scalar(m.effective_text)}")
        if m.effective_clause:
            o.add(f"    clause: {m.effective_clause}")
        if m.after_days is not None:
            o.add(f"    after_publication_days: {m.after_days}")
        o.add(f"    date: {m.effective_date.isoformat()}")
    if m.valid_until and m.effective_date:
        o.add("  validity:")
        if m.validity_text:
            o.add(f"    text: {yaml_scalar(m.validity_text)}")
        if m.validity_years:
            o.add(f"    years: {m.validity_years}")
        o.add(f"    until: {m.valid_until.isoformat()}")
    if m.repeals:
        o.add("  repeals:")
        for number, title in m.repeals:
            o.add(f"    - doc_number: {yaml_scalar(number)}")
            o.add(f"      title: {yaml_scalar(title)}")
    else:
        o.add("  repeals: []")
    o.add("  source:")
    o.add(f"    file: {yaml_scalar(source_file)}")
    o.add(f"    document_title: {yaml_scalar(m.document_title)}")
    if m.consultation:
        o.add("  consultation:")
        for key in ("from", "to"):
            if isinstance(m.consultation.get(key), dt.date):
                o.add(f"    {key}: {m.consultation[key].isoformat()}")
        if "by" in m.consultation:
            o.add(f"    by: {yaml_scalar(str(m.consultation['by']))}")
        if m.consultation.get("contacts"):
            o.add("    contacts:")
            for key, value in m.consultation["contacts"].items():
                o.add(f"      {yaml_scalar(key)}: {yaml_scalar(str(value))}")
    usable = [p for ps in imp.proposals.values() for p in ps if p.usable]
    if usable:
        o.add("")
        o.add("# 待确认（自动提取）：规则草案所需的事实与申报方式，随规则草案一起取消注释。")
        o.add("facts:", True)
        o.add("  申报资格:", True)
        o.add("    type: set", True)
        o.add("    values: qualifications", True)
        o.add("    default: []", True)
        o.add("    label: 本次申报哪些奖励（补贴）事项？", True)
        if any(p.first_time for p in usable):
            o.add("  以往取得资格:", True)
            o.add("    type: set", True)
            o.add("    values: qualifications", True)
            o.add("    default: []", True)
            o.add("    label: 本次申报之前已经取得过哪些资格？", True)
        seen: set[str] = set()
        for p in usable:
            for name, unit, label in p.facts:
                if name in seen:
                    continue
                seen.add(name)
                o.add(f"  {name}:", True)
                o.add("    type: number", True)
                o.add(f"    unit: {unit}", True)
                o.add(f"    label: {yaml_scalar(label)}", True)
        o.add("evaluation:", True)
        o.add("  claims: 申报资格", True)
        if any(p.first_time for p in usable):
            o.add("  previously_obtained: 以往取得资格", True)
    o.add("")
    o.add("structure:")
    for chapter in parsed.chapters:
        o.add(f"  - chapter: {'c' + str(chapter.number) if chapter.number else 'body'}")
        if chapter.title.text:
            o.add(f"    title: {yaml_scalar(chapter.title.text)}")
        o.add("    articles:")
        for art in chapter.articles:
            _render_article(o, imp, art)
    return o


def _render_leaf_rules(o: _Out, imp: ImportResult, address: str, indent: str) -> None:
    o.add(f"{indent}nature: {imp.natures[address]}")
    proposals = imp.proposals.get(address, [])
    if not proposals:
        return
    amounts = "、".join(p.amount for p in proposals)
    if any(p.usable for p in proposals):
        o.add(f"{indent}note: {yaml_scalar(f'待确认（自动提取）：本条款写有金额（{amounts}），规则草案见下方注释')}")
        o.add(f"{indent}awards:", True)
    else:
        o.add(f"{indent}note: {yaml_scalar(f'待确认（自动提取）：本条款写有金额（{amounts}），未能生成可用的规则草案，需人工编码')}")
    for p in proposals:
        if not p.usable:
            continue
        start = len(o.lines) + 1
        o.add(f"{indent}  - id: {p.id}", True)
        o.add(f"{indent}    name: {yaml_scalar(p.name)}", True)
        o.add(f"{indent}    qualification: {yaml_scalar(p.name)}", True)
        if p.first_time:
            o.add(f"{indent}    first_time: true", True)
        if p.one_time:
            o.add(f"{indent}    one_time: true", True)
        o.add(f"{indent}    amount: {yaml_scalar(p.amount)}", True)
        o.add(f"{indent}    note: {yaml_scalar('待确认（自动提取）：「' + p.quote + '」')}", True)
        o.spans[p.id] = (start, len(o.lines))


def _render_article(o: _Out, imp: ImportResult, art: ArticleB) -> None:
    aid = f"a{art.number}"
    o.add(f"      - id: {aid}")
    if art.title is not None:
        o.add(f"        title: {yaml_scalar(art.title.text)}")
    simple = len(art.paragraphs) == 1 and not art.paragraphs[0].items and art.paragraphs[0].text.text
    if simple:
        o.add(f"        text: {yaml_scalar(art.paragraphs[0].text.text)}")
        _render_leaf_rules(o, imp, aid, "        ")
        return
    o.add("        paragraphs:")
    many = len(art.paragraphs) > 1
    for pi, para in enumerate(art.paragraphs, start=1):
        if many:
            o.add(f"          - id: p{pi}")
            o.add(f"            text: {yaml_scalar(para.text.text)}")
        else:
            o.add(f"          - text: {yaml_scalar(para.text.text)}")
        if para.inline:
            o.add("            inline_items: true")
        if not para.items:
            _render_leaf_rules(o, imp, leaf_address(aid, f"p{pi}"), "            ")
            continue
        o.add("            items:")
        for item in para.items:
            iid = f"p{pi}-i{item.number}" if many else f"i{item.number}"
            o.add(f"              - id: {iid}")
            o.add(f"                text: {yaml_scalar(item.text.text)}")
            _render_leaf_rules(o, imp, leaf_address(aid, iid), "                ")
