"""Stage 3, model: a schema-valid located tree → `Policy` (clauses, facts, rules), pure conversion.

Dates become `datetime.date`, amounts stay expression sources (parsed in the next stage), and
every clause gets its address (`article` or `article.sub`), derived printed numbers and its
citation (第十一条第（一）项). Structural problems the schema cannot see (an article with both
`text` and `paragraphs`, duplicate ids) are reported here, all at once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from compiler.lang import ast, numbering
from compiler.lang.parser import ExprSyntaxError, parse, parse_band
from compiler.lang.units import Unit, parse_unit
from compiler.model.batch_section import Batch as Batch
from compiler.model.batch_section import build_batch
from compiler.model.compliance import Compliance, build_compliance, clause_infos
from compiler.model.expr import Band as Band
from compiler.model.expr import Expr as Expr
from compiler.model.expr import Tiers as Tiers
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Collector, Span
from compiler.source.yamlsrc import YMap, YStr, locate

NATURE_ZH = {
    "procedural": "程序性",
    "discretionary": "裁量性",
    "declaratory": "宣示性",
    "definitional": "定义性",
    "organisational": "职责分工",
}
RULE_KEYS = (
    "awards", "eligibility", "exclusions", "combine", "procedure", "sanctions", "caps", "quota",
    "bans", "obligations", "budget", "computes", "violation", "payments",
)  # fmt: skip


Amount = Expr | Tiers


@dataclass
class Award:
    id: str
    name: str
    amount: Amount
    clause: Clause
    span: Span
    qualification: str | None = None
    first_time: bool = False
    one_time: bool = False
    when: Expr | None = None
    group: str | None = None
    evidence: tuple[str, ...] = ()
    note: str | None = None
    level: str | None = None  # 国家级 / 自治区级 / 国家标准 … as printed in guides
    grant: str | None = None  # a non-monetary award (证书、奖牌): its amount is 0元 and not printed


@dataclass
class ConditionRule:
    """An eligibility rule (must hold) or an exclusion (must not hold)."""

    id: str
    kind: str  # "eligibility" | "exclusion"
    when: Expr
    reason: str
    clause: Clause
    span: Span
    evidence: tuple[str, ...] = ()
    applies_to: frozenset[str] | None = None  # award ids; None = every award
    applies_span: Span | None = None

    def covers(self, award_id: str) -> bool:
        return self.applies_to is None or award_id in self.applies_to


@dataclass
class CombineRule:
    id: str
    rule: str
    clause: Clause
    span: Span
    budget: str | None = None


@dataclass
class ProcedureStep:
    id: str
    step: str
    clause: Clause
    span: Span
    duration: Expr | None = None
    where: str | None = None
    by: str | None = None


@dataclass
class Clause:
    """An article, a 款 or a 项. Leaves carry the text that is printed after the number."""

    kind: str  # "article" | "paragraph" | "item"
    id: str
    address: str
    text: str
    span: Span
    text_span: Span | None
    article_no: int
    paragraph_no: int | None  # printed only when the article has several 款
    item_no: int | None
    cite: str
    nature: str | None = None
    note: str | None = None
    inline_items: bool = False
    children: list[Clause] = field(default_factory=list)
    rule_keys: tuple[str, ...] = ()
    raw: YMap | None = None
    title: str | None = None  # a numbered measure's heading (一、出疆棉运费补贴)

    @property
    def is_leaf(self) -> bool:
        return not self.children


@dataclass
class Chapter:
    id: str
    number: int
    title: str
    articles: list[Clause]
    span: Span


@dataclass
class Fact:
    name: str
    type: str
    span: Span
    unit: Unit | None = None
    values: tuple[str, ...] | None = None
    values_from_qualifications: bool = False
    has_default: bool = False
    default: Any = None
    default_span: Span | None = None
    optional: bool = False
    label: str | None = None
    clause: str | None = None
    evidence: tuple[str, ...] = ()
    supplied_by: str = "applicant"  # "authority": checked by the reviewer, not submitted
    whole: bool = False  # numbers: whole numbers only (counts of 项, 人, 次 …)
    minimum: Decimal | None = None  # numbers: bounds in the fact's own unit, inclusive
    maximum: Decimal | None = None
    subjects: bool = False  # sets: an item may name its subject, {资格: …, 对象: …}


@dataclass
class ParamValue:
    start: dt.date
    value: Expr
    clause: str | None
    until: dt.date | None = None  # the last day the value holds (None: until the next one)


@dataclass
class Parameter:
    name: str
    unit: Unit | None
    values: list[ParamValue]
    span: Span
    date_fact: str | None = None
    clause: str | None = None
    label: str | None = None
    by: str | None = None  # a table's key: an enum fact, record field or computed value (G3)
    alias: dict[str, str] = field(default_factory=dict)  # key → the key it is read as (未定级 → 一级)
    table: dict[str, Expr] = field(default_factory=dict)
    region: str | None = None  # "required": the 统筹地区 sets it; "override": it may replace it (G6)


@dataclass
class RecordType:
    """A kind of record an evaluation runs over (a person's visits, a company's shipments): G7."""

    name: str
    label: str
    fields: dict[str, Fact]
    span: Span
    order: str | None = None  # a date field; records come in its order
    period: str | None = None  # "year" | "month": running values restart with each period


@dataclass
class Computed:
    """A named value computed under the clause it is written on (G2): an expression, tiers (G4),
    a running value over the earlier records of the period or a value over all records (G7)."""

    name: str
    kind: str  # value | tiers | running_sum | running_count | total | count
    clause: Clause
    span: Span
    value: Expr | None = None
    tiers: Tiers | None = None
    of: str | None = None  # the value summed (running_sum, total)
    where: Expr | None = None  # which records count (running_*, total, count)
    payment: bool = False  # reported as paid: rounded to 分, refused by the conditions concerning it
    label: str | None = None
    unit: Unit | None = None  # how the value is printed (and checked)
    note: str | None = None


@dataclass
class Meta:
    title: str
    issuer: str
    status: str
    source_file: str
    doc_number: str | None = None
    published: dt.date | None = None
    effective_date: dt.date | None = None
    effective_text: str | None = None
    effective_clause: str | None = None
    after_publication_days: int | None = None
    validity_text: str | None = None
    validity_years: int | None = None
    valid_until: dt.date | None = None
    repeals: tuple[tuple[str, str | None], ...] = ()
    document_title: str | None = None
    document_kind: str | None = None
    consultation: dict[str, Any] = field(default_factory=dict)
    numbering: str = "articles"  # "measures": articles print as 一、二、… (a 通知 of measures)
    # An excerpt numbers as its source does: its first 章 and 条 are these (1 for a whole text).
    first_chapter: int = 1
    first_article: int = 1

    @property
    def excerpt(self) -> bool:
        return self.first_chapter > 1 or self.first_article > 1


@dataclass
class Evaluation:
    claims: str | None = None
    previously_obtained: str | None = None
    previously_rewarded: str | None = None
    outputs: tuple[str, ...] = ()  # computing policies: the values each result lists


@dataclass
class Policy:
    file: str
    policy_id: str
    version: str
    meta: Meta
    facts: dict[str, Fact]
    parameters: dict[str, Parameter]
    evaluation: Evaluation
    chapters: list[Chapter]
    clauses: dict[str, Clause]  # by address, in document order
    awards: list[Award]
    eligibility: list[ConditionRule]
    exclusions: list[ConditionRule]
    combine: list[CombineRule]
    procedure: list[ProcedureStep]
    tree: YMap
    spans: dict[str, Span] = field(default_factory=dict)  # span of each `meta` field etc.
    # expression node → its checked type (check.Type): set only by the checker, which returns a
    # new Policy with it rather than filling this one in
    node_types: dict[Any, Any] = field(default_factory=dict)
    batch: Batch | None = None  # the `batch` section, when the policy has one
    records: dict[str, RecordType] = field(default_factory=dict)
    computes: list[Computed] = field(default_factory=list)  # in document order
    compliance: Compliance | None = None  # a compliance regime's duties, sanctions, payments (G11, G12)

    @property
    def articles(self) -> list[Clause]:
        return [a for ch in self.chapters for a in ch.articles]

    def rule_expressions(self) -> list[tuple[Expr, str]]:
        """Every expression evaluated for an application, with the citation of its clause."""
        out: list[tuple[Expr, str]] = []
        for award in self.awards:
            cite = award.clause.cite
            if award.when is not None:
                out.append((award.when, cite))
            if isinstance(award.amount, Tiers):
                tiers = award.amount
                out += [(tiers.of, cite), *((b.value, cite) for b in tiers.bands)]
                if tiers.otherwise is not None:
                    out.append((tiers.otherwise, cite))
            else:
                out.append((award.amount, cite))
        out += [(rule.when, rule.clause.cite) for rule in (*self.eligibility, *self.exclusions)]
        for name, param in self.parameters.items():
            out += [(v.value, param.clause or name) for v in param.values]
        return out

    def qualifications(self) -> list[str]:
        seen: list[str] = []
        for award in self.awards:
            if award.qualification and award.qualification not in seen:
                seen.append(award.qualification)
        return seen


def _date(value: Any, span: Span | None, where: str, errors: Collector) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        errors.error("E104", f"{where} 的日期「{value}」无效", span, hint="日期写作 YYYY-MM-DD，如 2026-05-19")
        return None


def _evidence(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (str(value),)
    return tuple(str(v) for v in value)


def _unit(value: Any, span: Span | None, where: str, errors: Collector) -> Unit | None:
    if value is None:
        return None
    try:
        return parse_unit(str(value))
    except ValueError as exc:
        errors.error(
            "E303", f"{where} 的单位「{value}」无法识别（「{exc}」不是已知单位）", span,
            hint="已知单位如：元、万元、%、元/吨、人、年、个自然日",
        )
        return None


class _Builder:
    def __init__(self, tree: YMap, file: str) -> None:
        self.tree = tree
        self.file = file
        self.errors = Collector()
        self.clauses: dict[str, Clause] = {}
        self.awards: list[Award] = []
        self.eligibility: list[ConditionRule] = []
        self.exclusions: list[ConditionRule] = []
        self.combine: list[CombineRule] = []
        self.procedure: list[ProcedureStep] = []
        self.rule_ids: dict[str, Span] = {}
        self.computes: list[Computed] = []
        self.computed_names: dict[str, Span] = {}
        meta = tree.get("meta")
        measures = isinstance(meta, dict) and meta.get("numbering") == "measures"
        # A document of numbered measures is cited as it numbers them (六（一）), not by 第X条.
        self.cite = numbering.cite_measure if measures else numbering.cite

    # -- structure -----------------------------------------------------------------------
    def build_structure(self) -> list[Chapter]:
        chapters: list[Chapter] = []
        first_chapter, first_article = _excerpt_start(self.tree["meta"].get("excerpt"))
        article_no = first_article - 1  # numbers follow the source, also in an excerpt
        chapter_ids: dict[str, Span] = {}
        article_ids: dict[str, Span] = {}
        for ci, ch in enumerate(self.tree["structure"]):
            cid = str(ch["chapter"])
            cspan = ch.value_spans["chapter"]
            if cid in chapter_ids:
                self.errors.error(
                    "E304", f"章编号「{cid}」重复（第一次在第 {chapter_ids[cid].line} 行）", cspan,
                    hint="每一章的 chapter 编号必须唯一",
                )
            chapter_ids.setdefault(cid, cspan)
            arts: list[Clause] = []
            for art in ch["articles"]:
                article_no += 1
                arts.append(self.build_article(art, article_no, article_ids))
            # A document without 章 is one chapter without a title (nothing is printed for it).
            chapters.append(Chapter(cid, first_chapter + ci, str(ch.get("title", "")), arts, ch.span))
        return chapters

    def build_article(self, art: YMap, number: int, seen: dict[str, Span]) -> Clause:
        aid = str(art["id"])
        id_span = art.value_spans["id"]
        if aid in seen:
            self.errors.error(
                "E304", f"条编号「{aid}」重复（第一次在第 {seen[aid].line} 行）", id_span,
                self.cite(number), "每一条的 id 必须在整个文件中唯一",
            )
        seen.setdefault(aid, id_span)
        has_text, has_paras = "text" in art, "paragraphs" in art
        if has_text == has_paras:
            self.errors.error(
                "E102" if not has_text else "E106",
                f"条「{aid}」必须有 text 或 paragraphs 之一" if not has_text
                else f"条「{aid}」不能同时有 text 和 paragraphs",
                art.span, self.cite(number),
                "只有一款且没有项时用 text；否则用 paragraphs 列出各款",
            )
        clause = Clause(
            "article", aid, aid, str(art.get("text", "")), art.span,
            art["text"].span if isinstance(art.get("text"), YStr) else None,
            number, None, None, self.cite(number), raw=art,
            title=str(art["title"]) if "title" in art else None,
        )
        self._common(clause, art)
        self._register(clause, aid, id_span)
        paras = art.get("paragraphs") or []
        many = len(paras) > 1
        sub_ids: dict[str, Span] = {}
        for pi, para in enumerate(paras):
            clause.children.append(self.build_paragraph(clause, para, pi + 1, many, sub_ids))
        self._rules(clause, art)
        return clause

    def build_paragraph(
        self, article: Clause, para: YMap, number: int, many: bool, sub_ids: dict[str, Span]
    ) -> Clause:
        pid = str(para["id"]) if "id" in para else None
        if many and pid is None:
            self.errors.error(
                "E102", f"{article.cite} 有多款，第{numbering.zh_number(number)}款缺少 id", para.span,
                self.cite(article.article_no, number), "有多款时每一款都需要稳定编号 id，例如 id: p2",
            )
        pid = pid or f"p{number}"
        pno = number if many else None
        address = f"{article.id}.{pid}" if many or "id" in para else article.id
        text = para.get("text", "")
        clause = Clause(
            "paragraph", pid, address, str(text), para.span,
            text.span if isinstance(text, YStr) else None,
            article.article_no, pno, None, self.cite(article.article_no, pno),
            inline_items=bool(para.get("inline_items", False)), raw=para,
        )
        self._common(clause, para)
        if "id" in para:
            self._sub_id(article, pid, para.value_spans["id"], sub_ids, clause.cite)
            self._register(clause, address, para.value_spans["id"])
        for ii, item in enumerate(para.get("items") or []):
            iid = str(item["id"])
            ispan = item.value_spans["id"]
            self._sub_id(article, iid, ispan, sub_ids, self.cite(article.article_no, pno, ii + 1))
            child = Clause(
                "item", iid, f"{article.id}.{iid}", str(item["text"]), item.span, item["text"].span,
                article.article_no, pno, ii + 1, self.cite(article.article_no, pno, ii + 1),
                raw=item,
            )
            self._common(child, item)
            self._register(child, child.address, ispan)
            self._rules(child, item)
            clause.children.append(child)
        self._rules(clause, para)
        return clause

    def _sub_id(self, article: Clause, sid: str, span: Span, seen: dict[str, Span], cite: str) -> None:
        if sid in seen:
            self.errors.error(
                "E304", f"{article.cite}内的编号「{sid}」重复（第一次在第 {seen[sid].line} 行）", span,
                cite, "同一条内各款、各项的 id 必须互不相同",
            )
        seen.setdefault(sid, span)

    def _register(self, clause: Clause, address: str, span: Span) -> None:
        if address not in self.clauses:
            self.clauses[address] = clause

    def _common(self, clause: Clause, node: YMap) -> None:
        clause.nature = str(node["nature"]) if "nature" in node else None
        clause.note = str(node["note"]) if "note" in node else None
        clause.rule_keys = tuple(k for k in RULE_KEYS if k in node)

    def _rule_id(self, rid: str, span: Span, clause: Clause) -> None:
        self.rule_id(rid, span, clause.cite)

    def rule_id(self, rid: str, span: Span, cite: str) -> None:
        if rid in self.rule_ids:
            self.errors.error(
                "E304", f"规则编号「{rid}」重复（第一次在第 {self.rule_ids[rid].line} 行）", span,
                cite, "awards、exclusions、eligibility、combine、procedure 等规则的 id 在整个文件中必须唯一",
            )
        self.rule_ids.setdefault(rid, span)

    def _expr(self, value: Any, cite: str | None) -> Expr:
        """Parse an expression where it is written; a syntax error is reported at its column."""
        assert isinstance(value, YStr)
        try:
            return Expr(value, parse(str(value)))
        except ExprSyntaxError as exc:
            self.errors.error("E201", f"表达式语法错误：{exc.message}", value.offset_span(exc.start, exc.end),
                              cite, exc.hint)
            return Expr(value, ast.Unparsed((0, len(value)), str(value)))

    def _band(self, raw: YMap, cite: str) -> Band:
        src = raw["range"]
        try:
            band = parse_band(str(src))
        except ExprSyntaxError as exc:
            self.errors.error("E201", exc.message, src.span, cite, exc.hint)
            band = ast.Band(None, False, None, False, None, str(src))
        return Band(src, self._expr(raw["value"], cite), band)

    def _rules(self, clause: Clause, node: YMap) -> None:
        for raw in node.get("awards") or []:
            self._rule_id(str(raw["id"]), raw.value_spans["id"], clause)
            amount_raw = raw["amount"] if "amount" in raw else YStr("0元", raw.value_spans["grant"])
            amount: Amount
            if isinstance(amount_raw, YMap):
                t = amount_raw["tiers"]
                amount = Tiers(
                    self._expr(t["of"], clause.cite),
                    [self._band(b, clause.cite) for b in t["bands"]],
                    self._expr(t["otherwise"], clause.cite) if "otherwise" in t else None,
                    amount_raw.span,
                )
            else:
                amount = self._expr(amount_raw, clause.cite)
            self.awards.append(
                Award(
                    str(raw["id"]), str(raw["name"]), amount, clause, raw.span,
                    str(raw["qualification"]) if "qualification" in raw else None,
                    bool(raw.get("first_time", False)), bool(raw.get("one_time", False)),
                    self._expr(raw["when"], clause.cite) if "when" in raw else None,
                    str(raw["group"]) if "group" in raw else None,
                    _evidence(raw.get("evidence")), str(raw["note"]) if "note" in raw else None,
                    str(raw["level"]) if "level" in raw else None,
                    str(raw["grant"]) if "grant" in raw else None,
                )
            )
        for kind, target in (("eligibility", self.eligibility), ("exclusion", self.exclusions)):
            key = "eligibility" if kind == "eligibility" else "exclusions"
            for raw in node.get(key) or []:
                self._rule_id(str(raw["id"]), raw.value_spans["id"], clause)
                target.append(
                    ConditionRule(
                        str(raw["id"]), kind, self._expr(raw["when"], clause.cite), str(raw["reason"]), clause,
                        raw.span, _evidence(raw.get("evidence")),
                        frozenset(str(a) for a in raw["applies_to"]) if "applies_to" in raw else None,
                        raw.value_spans.get("applies_to"),
                    )
                )
        for raw in node.get("combine") or []:
            self._rule_id(str(raw["id"]), raw.value_spans["id"], clause)
            self.combine.append(
                CombineRule(
                    str(raw["id"]), str(raw["rule"]), clause, raw.span,
                    str(raw["budget"]) if "budget" in raw else None,
                )
            )
        for raw in node.get("procedure") or []:
            self._rule_id(str(raw["id"]), raw.value_spans["id"], clause)
            self.procedure.append(
                ProcedureStep(
                    str(raw["id"]), str(raw["step"]), clause, raw.span,
                    self._expr(raw["duration"], clause.cite) if "duration" in raw else None,
                    str(raw["where"]) if "where" in raw else None,
                    str(raw["by"]) if "by" in raw else None,
                )
            )

        for raw in node.get("computes") or []:
            self.computes.append(self._computed(clause, raw))

    def _computed(self, clause: Clause, raw: YMap) -> Computed:
        name, cite = str(raw["name"]), clause.cite
        if name in self.computed_names:
            self.errors.error("E304", f"计算值「{name}」重复（第一次在第 {self.computed_names[name].line} 行）",
                              raw.value_spans["name"], cite, "每个计算值的名称在整个文件中必须唯一")
        self.computed_names.setdefault(name, raw.value_spans["name"])
        kind = next(k for k in COMPUTED_KINDS if k in raw)
        item = Computed(
            name, kind, clause, raw.span, payment=bool(raw.get("payment", False)),
            label=str(raw["label"]) if "label" in raw else None,
            unit=_unit(raw.get("unit"), locate(raw, ["unit"]), f"计算值「{name}」", self.errors),
            note=str(raw["note"]) if "note" in raw else None,
            where=self._expr(raw["where"], cite) if "where" in raw else None,
        )
        if kind == "value":
            item.value = self._expr(raw["value"], cite)
        elif kind == "tiers":
            t = raw["tiers"]
            item.tiers = Tiers(self._expr(t["of"], cite), [self._band(b, cite) for b in t["bands"]],
                               self._expr(t["otherwise"], cite) if "otherwise" in t else None, t.span)
        elif kind in ("running_sum", "total"):
            item.of = str(raw[kind])
        elif kind in ("running_count", "count"):
            item.where = self._expr(raw[kind], cite)
        return item

    # -- facts, parameters, meta ---------------------------------------------------------
    def build_facts(self, raw_facts: YMap | None = None) -> dict[str, Fact]:
        out: dict[str, Fact] = {}
        raw_facts = self.tree.get("facts") or YMap() if raw_facts is None else raw_facts
        for name, raw in raw_facts.items():
            span = raw_facts.key_spans[name]
            values = raw.get("values")
            fact = Fact(
                str(name), str(raw["type"]), span,
                _unit(raw.get("unit"), locate(raw_facts, [name, "unit"]), f"事实「{name}」", self.errors),
                tuple(str(v) for v in values) if isinstance(values, list) else None,
                values == "qualifications",
                "default" in raw, raw.get("default"),
                raw.value_spans.get("default"),
                bool(raw.get("optional", False)),
                str(raw["label"]) if "label" in raw else None,
                str(raw["clause"]) if "clause" in raw else None,
                _evidence(raw.get("evidence")),
                str(raw.get("supplied_by", "applicant")),
                bool(raw.get("whole", False)),
                self._bound(raw, raw_facts, name, "minimum"),
                self._bound(raw, raw_facts, name, "maximum"),
                bool(raw.get("subjects", False)),
            )
            out[str(name)] = fact
        return out

    def _bound(self, raw: YMap, raw_facts: YMap, name: str, key: str) -> Decimal | None:
        """A fact's `minimum`/`maximum`: a number in the fact's unit (E303 when it is not one)."""
        if key not in raw:
            return None
        try:
            value = Decimal(str(raw[key]).strip())
        except ArithmeticError:
            value = Decimal("NaN")
        if not value.is_finite():
            self.errors.error("E302", f"事实「{name}」的 {key} 应为数值，实际是「{raw[key]}」",
                              locate(raw_facts, [name, key]), hint="写成整数或小数，如 0、100、0.5")
            return None
        return value

    def build_records(self) -> dict[str, RecordType]:
        out: dict[str, RecordType] = {}
        raw_records = self.tree.get("records") or YMap()
        for name, raw in raw_records.items():
            out[str(name)] = RecordType(
                str(name), str(raw.get("label", name)), self.build_facts(raw["fields"]), raw_records.key_spans[name],
                str(raw["order"]) if "order" in raw else None, str(raw["period"]) if "period" in raw else None,
            )
        return out

    def build_parameters(self) -> dict[str, Parameter]:
        out: dict[str, Parameter] = {}
        raw_params = self.tree.get("parameters") or YMap()
        for name, raw in raw_params.items():
            span = raw_params.key_spans[name]
            values: list[ParamValue] = []
            for i, v in enumerate(raw.get("values") or []):
                start = _date(v["from"], locate(raw, ["values", i, "from"]), f"参数「{name}」", self.errors)
                until = _date(v.get("until"), locate(raw, ["values", i, "until"]), f"参数「{name}」", self.errors)
                if start is not None:
                    clause_id = str(v["clause"]) if "clause" in v else None
                    values.append(ParamValue(start, self._expr(v["value"], None), clause_id, until))
            table = raw.get("table") or YMap()
            out[str(name)] = Parameter(
                str(name),
                _unit(raw.get("unit"), locate(raw, ["unit"]), f"参数「{name}」", self.errors),
                values, span,
                str(raw["date"]) if "date" in raw else None,
                str(raw["clause"]) if "clause" in raw else None,
                str(raw["label"]) if "label" in raw else None,
                str(raw["by"]) if "by" in raw else None,
                {str(k): str(v) for k, v in (raw.get("alias") or {}).items()},
                {str(k): self._expr(v, None) for k, v in table.items()},
                str(raw["region"]) if "region" in raw else None,
            )
        return out

    def build_meta(self) -> tuple[Meta, dict[str, Span]]:
        m = self.tree["meta"]
        spans: dict[str, Span] = {}

        def d(path: list[str]) -> dt.date | None:
            node: Any = m
            for p in path:
                if not isinstance(node, dict) or p not in node:
                    return None
                node = node[p]
            span = locate(m, path)
            if span:
                spans[".".join(path)] = span
            return _date(node, span, "meta." + ".".join(path), self.errors)

        eff = m.get("effective") or YMap()
        val = m.get("validity") or YMap()
        if "clause" in eff:
            spans["effective.clause"] = eff.value_spans["clause"]
        for key in ("file", "document_title"):
            if key in m["source"]:
                spans[f"source.{key}"] = m["source"].value_spans[key]
        meta = Meta(
            str(m["title"]), str(m["issuer"]), str(m["status"]), str(m["source"]["file"]),
            str(m["doc_number"]) if "doc_number" in m else None,
            d(["published"]), d(["effective", "date"]),
            str(eff["text"]) if "text" in eff else None,
            str(eff["clause"]) if "clause" in eff else None,
            int(eff["after_publication_days"]) if "after_publication_days" in eff else None,
            str(val["text"]) if "text" in val else None,
            int(val["years"]) if "years" in val else None,
            d(["validity", "until"]),
            tuple((str(r["doc_number"]), str(r["title"]) if "title" in r else None) for r in m.get("repeals") or []),
            str(m["source"]["document_title"]) if "document_title" in m["source"] else None,
            str(m["document_kind"]) if "document_kind" in m else None,
            dict(m.get("consultation") or {}),
            str(m.get("numbering", "articles")),
            *_excerpt_start(m.get("excerpt")),
        )
        return meta, spans

COMPUTED_KINDS = ("value", "tiers", "running_sum", "running_count", "total", "count")


def _excerpt_start(excerpt: Any) -> tuple[int, int]:
    """(first chapter, first article) of an excerpt; (1, 1) for a whole text."""
    if not isinstance(excerpt, dict):
        return 1, 1
    return int(excerpt.get("first_chapter", 1)), int(excerpt["first_article"])


def build(tree: YMap, file: str) -> tuple[Policy, Collector]:
    """Convert a schema-valid tree into a Policy; returns the diagnostics found on the way."""
    b = _Builder(tree, file)
    chapters = b.build_structure()
    facts = b.build_facts()
    params = b.build_parameters()
    meta, spans = b.build_meta()
    ev = tree.get("evaluation") or YMap()
    evaluation = Evaluation(
        str(ev["claims"]) if "claims" in ev else None,
        str(ev["previously_obtained"]) if "previously_obtained" in ev else None,
        str(ev["previously_rewarded"]) if "previously_rewarded" in ev else None,
        tuple(str(o) for o in ev.get("outputs") or ()),
    )
    for key in ("claims", "previously_obtained", "previously_rewarded"):
        if key in ev:
            spans[f"evaluation.{key}"] = ev.value_spans[key]
    policy = Policy(
        file, str(tree["policy"]), str(tree["version"]), meta, facts, params, evaluation,
        chapters, b.clauses, b.awards, b.eligibility, b.exclusions, b.combine, b.procedure,
        tree, spans, batch=build_batch(tree), records=b.build_records(), computes=b.computes,
        compliance=build_compliance(tree, clause_infos(chapters), b.errors,
                                    lambda rid, span, cite: b.rule_id(rid, span, cite)),
    )
    return policy, b.errors


def effective_after(published: dt.date, days: int) -> dt.date:
    """First day in force of "自发布之日起N日后施行": the day of publication is not counted
    (民法典 第二百零一条), and the text is in force from the day after the Nth day.
    Raises evalrt.CalendarError past 9999-12-31."""
    return evalrt.add_days(published, Decimal(days + 1))


def valid_until(effective: dt.date, years: int) -> dt.date:
    """Last day in force of "有效期N年" counted from the first day in force (which counts);
    29 February rolls back to 28 February (evalrt.add_years). Raises evalrt.CalendarError past
    9999-12-31."""
    return evalrt.add_days(evalrt.add_years(effective, Decimal(years)), Decimal(-1))


def leaves(clause: Clause) -> list[Clause]:
    if clause.is_leaf:
        return [clause]
    out: list[Clause] = []
    for child in clause.children:
        out.extend(leaves(child))
    return out


def walk(policy: Policy) -> list[Clause]:
    """Every clause in document order (article, its 款, their 项)."""
    out: list[Clause] = []

    def rec(c: Clause) -> None:
        out.append(c)
        for ch in c.children:
            rec(ch)

    for art in policy.articles:
        rec(art)
    return out
