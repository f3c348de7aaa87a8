"""derive: everything a 政策明白纸 of a computing policy says, from the policy, its leaflet file
and the region file the examples use.

* each part (`sections`) quotes its clauses, lists the conditions under which a payment is
  refused (the rules' reasons, cited with the clauses of the fields they read) and tables the
  parameters those clauses set (`table` by key, `values` by date);
* the 统筹地区's part lists every regional parameter, what the 办法 says of it and the example
  region's value (marked 示例数据，非官方 unless the region file is official);
* the worked examples are evaluated by the reference interpreter (`ComputingInterpreter.settle`)
  and printed from its result (worked.py). Nothing is typed.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.documents.guide.cite import SHORT
from compiler.documents.guide.data import Entry, Source, balance_title, fund_name
from compiler.documents.guide.provenance import content_hash, relative_path, template_sources
from compiler.documents.leaflet.data import (
    KIND,
    LeafletData,
    LeafletParams,
    RegionPart,
    Section,
    SectionSpec,
    Table,
    WorkedExample,
)
from compiler.documents.leaflet.worked import CITE_IN_REASON, Explainer, Line, RecordLines, yuan
from compiler.evaluate import derive_computation as dc
from compiler.evaluate.computation_command import INPUT_ERRORS, input_diagnostics, load_region
from compiler.evaluate.interpret_computation import ComputingInterpreter
from compiler.evaluate.interpreter import Q
from compiler.model.policy import Clause, ConditionRule, Parameter, Policy, walk
from compiler.runtime import computation as rt
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Collector, Diagnostic, PolicyError, did_you_mean
from compiler.source.yamlsrc import YMap, plain

_HALF = {",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"}
_CJK = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef“”‘’]"
_HALF_PUNCT = re.compile(rf"(?<={_CJK})\s*([,;:?!])\s*|\s*([,;:?!])\s*(?={_CJK})|\((?={_CJK})|(?<={_CJK})\)")


def typeset(text: str) -> str:
    """Clause text as printed for the public: ASCII punctuation between Chinese characters (a
    gazette's 费用,单次 and 治疗的,统筹基金) set full-width; the words are not touched."""
    return _HALF_PUNCT.sub(lambda m: _HALF[(m.group(1) or m.group(2) or m.group(0)).strip()], text)


class _Derive:
    def __init__(self, policy: Policy, params: LeafletParams) -> None:
        self.p = policy
        self.params = params
        self.errors = Collector()
        self.interp = ComputingInterpreter(policy)
        self.explain = Explainer(policy, self.interp)
        self.order = {c.address: i for i, c in enumerate(walk(policy))}
        self.short = short_name(policy.meta.title)

    # -- clauses --------------------------------------------------------------------------
    def clause(self, address: str, *path: str | int) -> Clause | None:
        found = self.p.clauses.get(address)
        if found is None:
            guess = did_you_mean(address, self.p.clauses)
            self.errors.error("E642", f"{self.short}中没有条款「{address}」", self.params.span(*path),
                              hint=f"你是不是想写「{guess}」？" if guess else "写条款地址，如 a14.p2")
        return found

    def covered(self, address: str, listed: list[str]) -> bool:
        return any(address == a or address.startswith(a + ".") for a in listed)

    def quote(self, text: str) -> str:
        """Clause text with 本办法 / 本通知 … read as the short name the lead-in defines."""
        return re.sub(r"本(办法|细则|规定|措施|通知|意见|方案)", self.short, text)

    def quotes(self, clause: Clause) -> list[Entry]:
        if clause.children:
            lead = [Entry(typeset(self.quote(clause.text)), [clause])] if clause.text else []
            return lead + [e for ch in clause.children for e in self.quotes(ch)]
        return [Entry(typeset(self.quote(clause.text)), [clause])] if clause.text else []

    def needs_explaining(self) -> list[tuple[Clause, str]]:
        """The clauses whose rules the leaflet must explain: computed values, parameters,
        conditions on payments."""
        out: dict[str, tuple[Clause, str]] = {}
        for c in self.p.computes:
            out.setdefault(c.clause.address, (c.clause, f"计算「{c.name}」"))
        for name, param in self.p.parameters.items():
            clause = self.p.clauses.get(param.clause or "")
            if clause is not None:
                out.setdefault(clause.address, (clause, f"规定参数「{name}」"))
        for rule in self.rules():
            out.setdefault(rule.clause.address, (rule.clause, f"规定支付条件「{rule.id}」"))
        return sorted(out.values(), key=lambda x: self.order[x[0].address])

    def rules(self) -> list[ConditionRule]:
        return [*self.p.eligibility, *self.p.exclusions]

    # -- values as printed -----------------------------------------------------------------
    def param_value(self, param: Parameter, node: Any) -> str:
        v = self.interp.ev(node, {})
        unit, scale = dc.param_shown(param)
        return rt.Shown(unit, scale).text(v.v if isinstance(v, Q) else v)

    def dated(self, param: Parameter) -> list[tuple[str, str]]:
        """A parameter's values by date: (2024年1月1日至2024年8月31日, 300元/吨), …"""
        out = []
        for i, v in enumerate(param.values):
            until = dc.until(param.values, i)
            span = f"{evalrt.zh_date(v.start)}至{evalrt.zh_date(until)}" if until else f"{evalrt.zh_date(v.start)}起"
            out.append((span, self.param_value(param, v.value.node)))
        return out

    def param_text(self, param: Parameter) -> str:
        """A parameter without a key as the 办法 sets it: one value, or its values by date."""
        if len(param.values) == 1:
            return self.param_value(param, param.values[0].value.node)
        return "；".join(f"{span}：{value}" for span, value in self.dated(param))

    # -- parts ----------------------------------------------------------------------------
    def default_sections(self) -> list[SectionSpec]:
        """Without `sections`: one part per article whose rules need explaining, titled by the
        article's own heading (a numbered measure's 出疆棉运费补贴) or else its first payment."""
        out: dict[str, SectionSpec] = {}
        for clause, _ in self.needs_explaining():
            article = self.p.clauses[clause.address.split(".")[0]]
            if article.address not in out:
                pays = [c for c in self.p.computes if c.payment and self.covered(c.clause.address, [article.address])]
                names = pays or [c for c in self.p.computes if c.kind in ("value", "tiers")
                                 and self.covered(c.clause.address, [article.address])]
                title = article.title or (self.explain.label(names[0].name).removeprefix("本次") if names else article.cite)
                out[article.address] = SectionSpec(re.sub(r"^[一二三四五六七八九十]+、", "", title), [article.address], -1)
        return list(out.values())

    def sections(self) -> list[Section]:
        listed: list[str] = []
        out: list[Section] = []
        for spec in self.params.sections or self.default_sections():
            clauses = [c for j, a in enumerate(spec.clauses)
                       if (c := self.clause(a, "sections", spec.index, "clauses", j)) is not None]
            listed += [c.address for c in clauses]
            out.append(self.section(spec.title, clauses))
        for clause, what in self.needs_explaining():
            if not self.covered(clause.address, listed):
                self.errors.error(
                    "E643", f"{clause.cite}{what}，明白纸的 sections 没有讲到这一条款", self.params.span("sections"),
                    clause.cite, hint=f"把 {clause.address} 加到讲它的那一部分的 clauses 中",
                )  # fmt: skip
        return out

    def section(self, title: str, clauses: list[Clause]) -> Section:
        addresses = [c.address for c in clauses]
        quotes = [e for c in clauses for e in self.quotes(c)]
        rules = [r for r in self.rules() if self.covered(r.clause.address, addresses)]
        conditions = [Entry(CITE_IN_REASON.sub("", r.reason), self.explain.rule_clauses(r)) for r in rules]
        lead = Entry("下列情形不予支付：", [r.clause for r in rules]) if rules else None
        params = [p for p in self.p.parameters.values()
                  if p.region != "required" and self.covered(p.clause or "", addresses)]
        tables: list[Table] = []
        notes: list[Entry] = []
        by_key: dict[str, list[Parameter]] = {}
        for p in params:
            if p.by is not None and p.table:
                by_key.setdefault(p.by, []).append(p)
        for by, group in by_key.items():
            keys = tuple(group[0].table)
            rows = [(p.label or p.name, *(self.param_value(p, p.table[k].node) if k in p.table else "—" for k in keys),
                     self.p.clauses[p.clause or ""].cite) for p in group]
            tables.append(Table(("项目", *keys, "依据"), rows, ("left", *("center" for _ in keys), "center")))
            aliases: dict[tuple[str, str], list[Clause]] = {}
            for p in group:
                clause = self.p.clauses[p.clause or ""]
                for k, v in p.alias.items():
                    aliases.setdefault((k, v), []).append(clause)
            notes += [Entry(f"{by}为{k}的，按{v}执行", cs) for (k, v), cs in aliases.items()]
        scalar = [p for p in params if p.by is None]
        if scalar:
            rows = []
            for p in scalar:
                cite = self.p.clauses[p.clause or ""].cite
                other = "（统筹地区可另定）" if p.region == "override" else ""
                if len(p.values) == 1:
                    rows.append((p.label or p.name, self.param_value(p, p.values[0].value.node) + other, cite))
                    continue
                for period, value in self.dated(p):  # a value by date: one row per period
                    rows.append((f"{p.label or p.name}（{period}）", value + other, cite))
            tables.append(Table(("项目", "标准", "依据"), rows, ("left", "center", "center")))
        return Section(title, quotes, conditions, lead, tables, notes)

    def region_part(self, region: dict[str, Any] | None) -> RegionPart | None:
        params = [p for p in self.p.parameters.values() if p.region is not None]
        if not params:
            return None
        try:
            given, _, _ = rt.read_region(self.interp.computation, region)
        except rt.RegionError:
            given = {}  # the examples report it, located in the region file
        notice = None
        if region is not None and region.get("official") is not True:
            notice = str(region.get("notice") or "示例数据，非官方")
        name = str(region["region"]) if region is not None else None
        mark = f"（{notice}）" if notice else ""
        tables: list[Table] = []
        # Values by key (首次住院起付线 by level): one table per key, a column per key; the
        # example region's row marked 示例数据，非官方. Then the single values, one row each.
        by_key: dict[str, list[Parameter]] = {}
        for p in params:
            if p.by is not None:
                by_key.setdefault(p.by, []).append(p)
        for group in by_key.values():
            keys = self.keys(group[0])
            rows: list[tuple[str, ...]] = []
            for p in group:
                cite = self.p.clauses[p.clause or ""].cite
                if p.table:
                    rows.append((f"{p.label or p.name}（{self.short}）", *(self.param_value(p, p.table[k].node) for k in keys), cite))
                if name is not None:
                    value = given.get(p.name)
                    cells = tuple(self.region_text(p, value[k]) if isinstance(value, dict) else f"按{self.short}" for k in keys)
                    rows.append((f"{p.label or p.name}{mark}", *cells, cite))
                elif not p.table:
                    rows.append((p.label or p.name, *("由统筹地区确定" for _ in keys), cite))
            tables.append(Table(("项目", *keys, "依据"), rows, ("left", *("center" for _ in keys), "center")))
        scalar = [p for p in params if p.by is None]
        if scalar:
            rows = []
            for p in scalar:
                rule = "由统筹地区确定" if p.region == "required" else self.param_text(p)
                row = [p.label or p.name, rule]
                if name is not None:
                    value = given.get(p.name)
                    row.append(self.region_text(p, value) + mark if value is not None else f"按{self.short}")
                rows.append((*row, self.p.clauses[p.clause or ""].cite))
            header = ("项目", f"{self.short}规定") + ((name,) if name else ()) + ("依据",)
            tables.append(Table(header, rows, ("left", "center") + (("center",) if name else ()) + ("center",)))
        clauses = sorted({c.address: c for p in params if (c := self.p.clauses.get(p.clause or ""))}.values(),
                         key=lambda c: self.order[c.address])
        lead = Entry(f"下列标准由各统筹地区确定，或由统筹地区在{self.short}规定的基础上另行确定，以参保地统筹地区公布的标准为准：", clauses)
        return RegionPart(name, notice, lead, tables, clauses)

    def keys(self, param: Parameter) -> tuple[str, ...]:
        """A table's keys in the order the policy lists them (a table's own, else the enum's)."""
        keys = tuple(self.interp.computation.params[param.name].keys)
        tables = [p.table for p in self.p.parameters.values() if p.by == param.by and p.table]
        enums = [f.values for f in self.explain.fields.values() if f.values and set(keys) <= set(f.values)]
        order = list(tables[0]) if tables else list(enums[0]) if enums else list(keys)
        return tuple(sorted(keys, key=lambda k: order.index(k) if k in order else len(order)))

    def region_text(self, param: Parameter, value: Any) -> str:
        """A region's value (base units; a table as a dict) as printed."""
        unit, scale = dc.param_shown(param)
        shown = rt.Shown(unit, scale)
        if isinstance(value, dict):
            return "、".join(f"{k}{shown.text(v)}" for k, v in value.items())
        return shown.text(value)

    def examples(self, region: dict[str, Any] | None, region_tree: YMap | None, region_path: Path | None) -> list[WorkedExample]:
        out: list[WorkedExample] = []
        for ex in self.params.examples:
            assert isinstance(ex, YMap)
            name = str(ex["name"])
            as_of = self.params.as_of
            facts = plain(ex.get("facts") or {})
            records = plain(ex.get("records") or {})
            try:
                result = self.interp.settle(facts, records, region, as_of)
                worked = self.worked(name, as_of, facts, records, result)
            except INPUT_ERRORS as exc:
                self.errors.extend(Diagnostic(d.code, f"算例「{name}」：{d.message}", d.span, d.clause, d.hint)
                                   for d in input_diagnostics(exc, self.p, ex, region_tree, region_path))
                continue
            out.append(worked)
        return out

    def worked(self, name: str, as_of: Any, facts: dict[str, Any], records: dict[str, Any],
               result: dict[str, Any]) -> WorkedExample:
        x = self.explain
        plan = self.interp.computation
        base = {**plan.read_facts(facts), "评价日期": as_of}
        person = x.env(base, result["trace"])
        notice = result.get("notice")
        regional = {n: notice for n in result.get("region_sources") or {}}
        given = "，".join(x.given(n, person[n]) for n in self.p.facts if n in facts)
        payments = [c for c in self.p.computes if c.payment]
        applying: set[str] = set()
        recs: list[RecordLines] = []
        summaries: list[Table] = []
        seen: set[str] = set()
        for kind_name, kind in plan.records.items():
            rows = rt.read_records(kind, records.get(kind_name), plan.validity)
            steps = {s.name for s in kind.steps}
            outputs = [o for o in plan.outputs if o in kind.specs or o in steps]
            shown_out = [o for o in outputs if any(r["values"].get(o) not in (None, "0") for r in result["records"][kind_name])]
            money_fields = [f for f, spec in kind.specs.items()
                            if x.shown.get(f) is not None and x.shown[f].money and any(f in r for r in records.get(kind_name) or [])]
            table_rows = []
            for row, rec in zip(rows, result["records"][kind_name], strict=True):
                env = x.env({**person, **row}, rec["trace"])
                refused = {str(r["payment"]) for r in rec["refused"]}
                here = {c.name for c in payments if c.name in steps and x.applies(c, env)} - refused
                applying |= here
                show = x.behind(here) | refused | {o for o in shown_out if rec["values"].get(o) not in (None, "0")}
                raw = (records.get(kind_name) or [])[rec["index"] - 1]
                text = "，".join(x.given(f, row[f]) for f in kind.specs if f in raw and f != kind.order)
                if kind.order:
                    head = f"第{rec['index']}次{kind_name}（{x.text(kind.order, row[kind.order])}）"
                else:
                    head = f"{kind_name}（第{rec['index']}条）"
                kept = [ln for ln in x.lines(rec["trace"], env, rec["refused"], show, regional)
                        if ln.step not in self.p.parameters or ln.text not in seen]  # a table's value once per example
                seen.update(ln.text for ln in kept)
                recs.append(RecordLines(rec["index"], f"{head}：{text}", kept))
                table_rows.append((str(rec["index"]), *(x.text(f, row[f]) for f in money_fields),
                                   *(x.text(o, env.get(o)) for o in shown_out)))
            if len(table_rows) > 1:
                header = ("次序", *money_fields, *(x.label(o) if len(x.label(o)) <= len(o) else o for o in shown_out))
                summaries.append(Table(header, table_rows, ("center",) * len(header)))
        # Person-level payments: those paid, and the refusals an example is about.
        paid_here = {n for n, v in result["payments"].items() if v != "0" and n in person}
        show = x.behind(applying | paid_here)
        amounts = {n for n in facts if isinstance(person.get(n), Decimal) and not isinstance(person.get(n), bool)}
        for r in result["refused"]:
            # A refusal is shown when nothing is paid, or when the example gives what the
            # payment would be computed from (生产用电量 for 生产用电补贴).
            if (not applying and not paid_here) or x.behind([str(r["payment"])]) & amounts:
                show.add(str(r["payment"]))
        trace = result["trace"]
        before = x.lines([t for t in trace if t["step"] in self.p.parameters], person, result["refused"], show, regional)
        after = x.lines([t for t in trace if t["step"] not in self.p.parameters], person, result["refused"], show, regional)
        paid = [(n, v) for n, v in result["payments"].items() if v != "0"]
        totals = "，".join(f"{x.label(n).removeprefix('本次')}{yuan(Decimal(v))}" for n, v in paid) or "不予支付"
        if len(paid) > 1:
            totals += f"，共计{yuan(Decimal(result['total']))}"
        lines: list[Line] = [*before, *after, *(ln for r in recs for ln in r.lines)]
        clauses = sorted({c.address: c for ln in lines for c in ln.clauses}.values(), key=lambda c: self.order[c.address])
        return WorkedExample(name, as_of, given, before, recs, after, summaries, totals, clauses, notice, result)


def short_name(title: str) -> str:
    """How the leaflet refers to the document after its first mention: 《办法》, 《通知》, 《措施》 …"""
    m = re.search(r"(办法|细则|规定|措施|通知|意见|方案)(?:（(?:试行|暂行)）)?$", title)
    return f"《{m.group(1)}》" if m else SHORT


def derive(policy: Policy, params: LeafletParams, root: Path | None, policy_path: Path) -> LeafletData:
    """Compute everything the leaflet says; raises PolicyError with every problem found."""
    if not policy.computes:
        raise PolicyError([Diagnostic("E644", f"{policy.file} 没有计算规则（computes），不能按计算类政策生成明白纸",
                                      params.span("policy"), hint="明白纸参数文件只用于含 computes 的政策")])
    d = _Derive(policy, params)
    scope = [e for j, a in enumerate(params.scope) if (c := d.clause(a, "scope", j)) is not None for e in d.quotes(c)]
    sections = d.sections()
    region = region_tree = None
    if params.region is not None:
        region, region_tree = load_region(params.region)
        if str(region.get("policy")) != policy.policy_id:
            d.errors.error("E641", f"地区参数文件属于政策「{region.get('policy')}」，不是「{policy.policy_id}」",
                           params.span("region"))
    d.errors.raise_if_any()
    region_part = d.region_part(region)
    examples = d.examples(region, region_tree, params.region)
    d.errors.raise_if_any()
    fund = fund_name(policy.meta.title)
    m = re.search(r"关于(.+)的通知$", policy.meta.title)
    subject = m.group(1).removesuffix("措施").removesuffix("政策") if m else fund.removesuffix("政策")
    title = params.title or f"{subject}政策明白纸"
    number = f"{policy.meta.doc_number}，" if policy.meta.doc_number else ""
    short = d.short
    reference = f"《{policy.meta.title}》（{number}以下简称{short}）"
    sources = [Source(relative_path(policy_path, root), policy_path.read_bytes()),
               Source(relative_path(params.path, root), params.path.read_bytes())]
    if params.region is not None:
        sources.append(Source(relative_path(params.region, root), params.region.read_bytes()))
    sources += template_sources(policy_path, KIND, root)
    return LeafletData(policy, params, KIND, title, balance_title(title), short, reference, params.audience, scope,
                       sections, region_part, examples, sources, content_hash(sources))

