"""Guidance documents regenerated from a policy: the annual 申报指南 and its siblings.

    policy YAML + guides/<year>.yaml ──derive──▶ GuideData ──kind template──▶ blocks ──▶ md / html / docx

* **derive** (`derive`): everything a guide says is computed from the policy — 申报对象 from the
  eligibility rules' clauses, the 奖励标准 tables from `awards`, 不予奖励情形 from `exclusions`,
  申报材料 and 审核要点 from the `evidence` of facts and awards, 核拨规则 from `combine`, 处理措施
  from `sanctions`, procedure dates from `procedure` durations and the year's schedule — plus
  the year parameters (window, place, contacts, budget, publication date), which are checked.
* **kind template** (`templates/<document_kind>.j2`, overridable in `policies/<id>/templates/`):
  a Jinja2 template per document kind, not per policy, that lays the derived content out by
  calling a `Builder` (`{% do doc.para(text, cites) %}`). Text is passed as data, never parsed,
  and every paragraph must carry its citation (`cites`) or say why not.
* **render**: blocks → Markdown (`page.md.j2`), one standalone HTML page with print CSS
  (`page.html.j2`, autoescaped) and Word per GB/T 9704 (`wordstyle`).

Every document carries the policy's 文号, version and the SHA-256 of its sources (policy YAML,
year parameters, the holiday schedules consulted and every template that could be used).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from compiler.documents import wordstyle
from compiler.documents.workdays import CalendarError, WorkCalendar, load_calendar
from compiler.lang import ast, numbering
from compiler.lang.parser import ExprSyntaxError, parse
from compiler.lang.units import MONEY, parse_unit
from compiler.model.load import load_document, load_policy
from compiler.model.policy import Award, Clause, Expr, Policy, Tiers, walk
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import (
    Collector,
    Diagnostic,
    PolicyError,
    Span,
    UsageError,
    did_you_mean,
)
from compiler.source.files import atomic_write, display_path, find_policy_files
from compiler.source.yamlsrc import YList, YMap, locate, plain

GUIDES_DIR = "guides"
TEMPLATES_DIR = "templates"
PACKAGE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
FORMATS = ("md", "html", "docx")
KIND_NAMES = {"award-fund": "申报指南", "periodic-award": "评选申报通知", "benefit": "政策明白纸"}
SHORT = "《办法》"  # how the guide refers to its policy after the first mention

_TITLE_RE = re.compile(r"^(?P<name>.+?)(?:管理|实施|暂行|试行)*(?:办法|细则|规定|措施)(?:（(?:试行|暂行)）)?$")
_DATE_RANGE_SEP = "至"


# ---------------------------------------------------------------------------------------------
# Year parameters


@dataclass
class Step:
    """One procedure step of the year: the policy's step with this year's dates."""

    id: str
    name: str
    clause: Clause
    text: str  # what the guide prints (the clause text, or the step name)
    start: dt.date | None = None
    end: dt.date | None = None
    duration: str | None = None  # 7个自然日 / 10个工作日, as written
    duration_from: str | None = None  # "policy" | "year"


@dataclass
class Contact:
    office: str
    person: str | None = None
    phone: str | None = None
    fax: str | None = None
    email: str | None = None
    address: str | None = None
    postcode: str | None = None

    def lines(self) -> list[tuple[str, str]]:
        out = [("咨询及受理单位", self.office)]
        for label, value in (
            ("联系人", self.person), ("联系电话", self.phone), ("传真", self.fax),
            ("电子邮箱", self.email), ("地址", self.address), ("邮政编码", self.postcode),
        ):  # fmt: skip
            if value:
                out.append((label, value))
        return out


@dataclass
class YearParams:
    file: str
    path: Path
    tree: YMap
    policy_id: str
    year: int
    version: str | None
    title: str | None
    issuer: str
    published: dt.date
    basis: str
    budget: Decimal | None
    budget_text: str | None
    window_from: dt.date
    window_to: dt.date
    window_procedure: str | None
    place: str
    method: str
    contacts: list[Contact]
    schedule: YList
    examples: YList

    def span(self, *path: str | int, key: bool = False) -> Span | None:
        return locate(self.tree, list(path), key=key) or self.tree.span


def _day(value: Any) -> dt.date:
    return dt.date.fromisoformat(str(value))


def load_year(path: Path, name: str | None = None) -> YearParams:
    """Load and check a year-parameter file on its own (policy-independent checks)."""
    name = name or display_path(path)
    if not path.is_file():
        raise PolicyError([Diagnostic(
            "E610", f"找不到年度参数文件 {name}", None,
            hint=f"在 {path.parent.name}/ 下按 docs/guides.md 写 {path.name}（申报期、受理方式、联系方式、发布日期）",
        )])  # fmt: skip
    tree = load_document(path, "guide-year", name)
    errors = Collector()
    dates: dict[tuple[str, ...], dt.date] = {}
    for key in (("published",), ("window", "from"), ("window", "to")):
        node: Any = tree
        for k in key:
            node = node[k]
        try:
            dates[key] = _day(node)
        except ValueError:
            errors.error("E104", f"{'.'.join(key)} 的日期「{node}」无效", locate(tree, list(key)),
                         hint="日期写作 YYYY-MM-DD，如 2027-03-01")
    errors.raise_if_any()
    year = int(tree["year"])
    if path.stem != str(year):
        errors.error("E611", f"文件名 {path.name} 与申报年度 {year} 不一致", tree.value_spans["year"],
                     hint=f"把文件命名为 {year}.yaml，或改正 year")
    start, end, published = dates[("window", "from")], dates[("window", "to")], dates[("published",)]
    if end < start:
        errors.error(
            "E612", f"申报截止日期 {evalrt.zh_date(end)} 早于开始日期 {evalrt.zh_date(start)}",
            locate(tree, ["window", "to"]), hint="window.from 是受理开始日期，window.to 是截止日期",
        )  # fmt: skip
    if published > start:
        errors.error(
            "E613", f"指南发布日期 {evalrt.zh_date(published)} 晚于申报开始日期 {evalrt.zh_date(start)}",
            locate(tree, ["published"]), hint="指南应在受理开始之前发布",
        )  # fmt: skip
    if start.year != year:
        errors.error("E614", f"申报开始日期 {evalrt.zh_date(start)} 不在{year}年度", locate(tree, ["window", "from"]))
    budget = budget_text = None
    if "budget" in tree:
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(元|万元|亿元)", str(tree["budget"]))
        assert m is not None  # the schema's pattern
        unit = parse_unit(m.group(2))
        assert unit.dims == MONEY
        budget = Decimal(m.group(1)) * unit.scale
        budget_text = evalrt.money_text(budget)
    errors.raise_if_any()
    contacts = [
        Contact(str(c["office"]), *(str(c[k]) if k in c else None
                                    for k in ("person", "phone", "fax", "email", "address", "postcode")))
        for c in tree["contacts"]
    ]
    window = tree["window"]
    return YearParams(
        name, path, tree, str(tree["policy"]), year,
        str(tree["version"]) if "version" in tree else None,
        str(tree["title"]) if "title" in tree else None,
        str(tree["issuer"]), published, str(tree["basis"]), budget, budget_text, start, end,
        str(window["procedure"]) if "procedure" in window else None,
        str(tree["submission"]["place"]), str(tree["submission"]["method"]), contacts,
        tree.get("schedule") or YList(), tree.get("examples") or YList(),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Derived content


@dataclass
class Entry:
    """A sentence of the guide and the clauses it comes from."""

    text: str
    clauses: list[Clause] = field(default_factory=list)


@dataclass
class AwardRow:
    no: int
    name: str
    level: str
    standard: str
    clause: Clause
    award: Award

    @property
    def cells(self) -> tuple[str, ...]:
        return (str(self.no), self.name, self.level, self.standard, self.clause.cite)

    @property
    def short_cells(self) -> tuple[str, ...]:
        return (str(self.no), self.name, self.standard, self.clause.cite)


@dataclass
class Category:
    title: str
    article: Clause
    rows: list[AwardRow]


@dataclass
class CheckRow:
    question: str
    evidence: str
    clauses: list[Clause]
    by_authority: bool


@dataclass
class Example:
    name: str
    as_of: dt.date
    facts: dict[str, Any]
    result: dict[str, Any]


@dataclass
class Source:
    name: str  # as printed (root-relative)
    data: bytes


@dataclass
class GuideData:
    """Everything a kind template may use; all of it derived from the policy and the year."""

    policy: Policy
    params: YearParams
    kind: str
    kind_name: str
    year: int
    title: str
    title_lines: list[str]
    fund: str
    short: str
    reference: str  # first mention: 《title》（文号，以下简称《办法》）
    basis: Clause
    eligibility: list[Entry]
    exclusions: list[Entry]
    first_time: Entry | None
    award_conditions: list[Entry]
    categories: list[Category]
    funding: list[Entry]
    groups: list[Entry]
    one_time: Entry | None
    budget: Entry | None
    materials_common: list[Entry]
    materials_awards: list[Entry]
    checklist: list[CheckRow]
    steps: list[Step]
    sanctions: list[Entry]
    quotas: list[Entry]
    bans: list[Entry]
    examples: list[Example]
    window: str
    contacts: list[Contact]
    sources: list[Source]
    digest: str
    calendar_sources: list[str]

    # -- helpers for templates -------------------------------------------------------------
    def cite(self, clauses: Iterable[Clause]) -> str:
        return cite_text(self.policy, clauses)

    def zh_date(self, day: dt.date) -> str:
        return evalrt.zh_date(day)

    def money(self, value: Decimal) -> str:
        return evalrt.money_text(value)

    def clause(self, address: str) -> Clause:
        return self.policy.clauses[address]

    def clauses_of(self, entries: Iterable[dict[str, Any]]) -> list[Clause]:
        """The clauses of evaluation-result entries (granted, refused: each has `clause`)."""
        return [self.policy.clauses[str(e["clause"])] for e in entries]

    def articles(self, clauses: Iterable[Clause]) -> list[Clause]:
        """The articles the clauses belong to, each once, in document order."""
        out: dict[str, Clause] = {}
        for c in clauses:
            article = self.policy.clauses[c.address.split(".")[0]]
            out.setdefault(article.id, article)
        return list(out.values())

    @property
    def exclusion_clauses(self) -> list[Clause]:
        return [r.clause for r in self.policy.exclusions]

    @property
    def highest_clauses(self) -> list[Clause]:
        return [r.clause for r in self.policy.combine if r.rule == "highest_per_group"]

    @property
    def checklist_cells(self) -> list[tuple[str, ...]]:
        return [
            (str(i), row.question, ("（审核部门核查）" if row.by_authority else "") + row.evidence,
             cite_text(self.policy, row.clauses, coarse=True))
            for i, row in enumerate(self.checklist, start=1)
        ]

    @property
    def all_rows(self) -> list[AwardRow]:
        return [row for cat in self.categories for row in cat.rows]

    @property
    def award_clauses(self) -> list[Clause]:
        return [row.clause for cat in self.categories for row in cat.rows]

    @property
    def procedure_clauses(self) -> list[Clause]:
        return [s.clause for s in self.steps]

    @property
    def sources_text(self) -> str:
        return "、".join(s.name for s in self.sources)


def _doc_order(policy: Policy) -> dict[int, int]:
    return {id(c): i for i, c in enumerate(walk(policy))}


def cite_text(policy: Policy, clauses: Iterable[Clause], *, coarse: bool = False) -> str:
    """第十七条第（一）项、第（二）项; three or more whole consecutive articles: 第九条至第十六条.
    `coarse` (for table cells): more than three clauses are cited by their articles."""
    order = _doc_order(policy)
    unique: dict[int, Clause] = {}
    for c in clauses:
        unique.setdefault(id(c), c)
    items = sorted(unique.values(), key=lambda c: order.get(id(c), 0))
    if not items:
        return ""
    articles = sorted({c.article_no for c in items})
    if len(articles) >= 3 and articles == list(range(articles[0], articles[-1] + 1)):
        return f"{numbering.article_label(articles[0])}至{numbering.article_label(articles[-1])}"
    if coarse and len(items) > 3:
        return _article_ranges(articles)
    parts: list[str] = []
    previous: int | None = None
    for c in items:
        label = numbering.article_label(c.article_no)
        if c.article_no == previous and c.cite != label:
            parts.append(c.cite.removeprefix(label))
        else:
            parts.append(c.cite)
        previous = c.article_no
    return "、".join(parts)


def _article_ranges(articles: Sequence[int]) -> str:
    """[9, 10, 11, 12, 14, 15, 16] → 第九条至第十二条、第十四条至第十六条 (runs of three or more)."""
    runs: list[list[int]] = []
    for a in articles:
        if runs and a == runs[-1][-1] + 1:
            runs[-1].append(a)
        else:
            runs.append([a])
    parts: list[str] = []
    for run in runs:
        if len(run) >= 3:
            parts.append(f"{numbering.article_label(run[0])}至{numbering.article_label(run[-1])}")
        else:
            parts.extend(numbering.article_label(a) for a in run)
    return "、".join(parts)


def quote(text: str) -> str:
    """Clause text as the guide prints it: 本办法 becomes 《办法》 (defined in the preamble)."""
    return re.sub(r"本(办法|细则|规定)", SHORT, text)


def fund_name(title: str) -> str:
    """哈密市质量提升发展专项资金管理办法（试行） → 哈密市质量提升发展专项资金."""
    m = _TITLE_RE.match(title)
    return m.group("name") if m else title


def balance_title(text: str, per_line: float = 20.0) -> list[str]:
    """Split a title that does not fit one 二号 line (about 20 字): before its last phrase when
    that keeps both lines whole (…专项资金 / 申报指南), otherwise in the middle."""
    if "\n" in text:
        return [line for line in text.split("\n") if line]
    if wordstyle.text_width(text) <= per_line:
        return [text]
    for suffix in (*KIND_NAMES.values(), "申报通知", "的通知", "通知"):
        head = text.removesuffix(suffix)
        if head != text and wordstyle.text_width(head) <= per_line:
            return [head, suffix]
    half = len(text) // 2
    return [text[:half], text[half:]]


def _level(award: Award) -> str:
    """The 级别 column: the award's declared `level` (data, never guessed from its name)."""
    return award.level or "—"


def _node(expr: Expr) -> ast.Node:
    if expr.node is None:
        expr.node = parse(expr.text)
    return expr.node


def amount_text(policy: Policy, award: Award) -> str:
    """60万元; 20万元 × 项数 → 每项20万元; tiers → 按…分档; otherwise the formula as written."""
    amount = award.amount
    if isinstance(amount, Tiers):
        bands = "；".join(f"{b.range_src}的，{_value_text(_node(b.value))}" for b in amount.bands)
        other = f"；其他情形{_value_text(_node(amount.otherwise))}" if amount.otherwise else ""
        return f"按{expr_text(policy, _node(amount.of))}分档：{bands}{other}"
    node = _node(amount)
    if isinstance(node, ast.Binary) and node.op == "*":
        for qty, name in ((node.left, node.right), (node.right, node.left)):
            if isinstance(qty, ast.Quantity) and isinstance(name, ast.Name):
                fact = policy.facts.get(name.name)
                unit = fact.unit.name if fact and fact.unit and not fact.unit.dims else None
                if unit:
                    return f"每{unit}{_value_text(qty)}"
    return _value_text(node) if isinstance(node, ast.Quantity) else expr_text(policy, node)


def _value_text(node: ast.Node) -> str:
    if isinstance(node, ast.Quantity):
        if node.unit is not None and node.unit.dims == MONEY:
            return evalrt.money_text(node.value)
        return node.text
    return str(node)


def _statement(policy: Policy, name: str) -> str:
    """A bool fact as a statement: its label without 是否 and the question mark."""
    fact = policy.facts.get(name)
    if fact and fact.type == "bool" and fact.label and "是否" in fact.label:
        return fact.label.replace("是否", "", 1).rstrip("？?")
    return name


_SYMBOL_WORDS = {">=": "不低于", "<=": "不高于", ">": "高于", "<": "低于", "==": "为", "!=": "不为"}


def expr_text(policy: Policy, node: ast.Node) -> str:
    """An expression read aloud in Chinese (for conditions the guide prints)."""
    match node:
        case ast.Name(name=name):
            return _statement(policy, name)
        case ast.Quantity() | ast.DateLit():
            return node.text
        case ast.Text(value=value):
            return f"“{value}”"
        case ast.Bool(value=value):
            return "是" if value else "否"
        case ast.ListLit(items=items):
            return "、".join(expr_text(policy, i) for i in items)
        case ast.Logic(op=op, left=a, right=b):
            return f"{expr_text(policy, a)}{'，且' if op == 'and' else '，或'}{expr_text(policy, b)}"
        case ast.Not(operand=o):
            return f"不满足“{expr_text(policy, o)}”"
        case ast.Compare(left=a, right=b, word=word, op=op):
            left = a.name if isinstance(a, ast.Name) else expr_text(policy, a)
            right = expr_text(policy, b)
            if word in ("以上", "以下", "以内", "以外"):
                return f"{left}{right}{word}"
            if re.fullmatch(r"[\u4e00-\u9fff]+", word):
                return f"{left}{word}{right}"
            return f"{left}{_SYMBOL_WORDS.get(op, word)}{right}"
        case ast.Member(item=item, collection=coll, negated=neg):
            if isinstance(coll, ast.Name) and coll.name in _roles(policy):
                verb = _roles(policy)[coll.name]
                return f"{'未' if neg else ''}{verb}{expr_text(policy, item)}"
            if isinstance(coll, ast.Name) and policy.facts.get(coll.name, None) is not None \
                    and policy.facts[coll.name].type == "set":
                return f"{coll.name}{'不包含' if neg else '包含'}{expr_text(policy, item)}"
            subject = item.name if isinstance(item, ast.Name) else expr_text(policy, item)
            return f"{subject}{'不属于' if neg else '属于'}{expr_text(policy, coll)}"
        case ast.IsNull(operand=o, negated=neg):
            return f"{expr_text(policy, o)}{'不为空' if neg else '为空'}"
        case ast.Binary(left=a, right=b, word=word):
            return f"{expr_text(policy, a)}{word}{expr_text(policy, b)}"
        case ast.Call(word=word, args=args):
            return f"{word}（{'，'.join(expr_text(policy, x) for x in args)}）"
        case ast.Conditional(test=t, then=a, otherwise=b):
            return f"{expr_text(policy, t)}时为{expr_text(policy, a)}，否则为{expr_text(policy, b)}"
        case ast.Negate(operand=o):
            return f"-{expr_text(policy, o)}"
    return str(node)  # pragma: no cover - every node kind is handled above


def _roles(policy: Policy) -> dict[str, str]:
    """How the sets named in `evaluation` read in a sentence (以往取得资格 包含 "x" → 已取得“x”)."""
    ev = policy.evaluation
    roles = {ev.claims: "申报", ev.previously_obtained: "已取得", ev.previously_rewarded: "已获本专项资金奖励的"}
    return {k: v for k, v in roles.items() if k}


def _conjuncts(node: ast.Node) -> list[ast.Node]:
    if isinstance(node, ast.Logic) and node.op == "and":
        return _conjuncts(node.left) + _conjuncts(node.right)
    return [node]


def _names(node: ast.Node | None) -> list[str]:
    return [n.name for n in ast.names(node)] if node is not None else []


def _amount_names(award: Award) -> set[str]:
    if isinstance(award.amount, Tiers):
        return set(_names(_node(award.amount.of)))
    return set(_names(_node(award.amount)))


def _extra_condition(policy: Policy, award: Award) -> str | None:
    """The part of an award's `when` a reader must know: comparisons of the very count the
    amount multiplies (主导制定国家标准数 1项以上 for 每项20万元) go without saying."""
    if award.when is None:
        return None
    implied = _amount_names(award)
    kept = [
        c for c in _conjuncts(_node(award.when))
        if not (isinstance(c, ast.Compare) and set(_names(c)) <= implied and _names(c))
    ]
    return "，且".join(expr_text(policy, c) for c in kept) or None


# ---------------------------------------------------------------------------------------------


class _Derive:
    def __init__(self, policy: Policy, params: YearParams, calendar: WorkCalendar) -> None:
        self.policy = policy
        self.params = params
        self.calendar = calendar
        self.errors = Collector()

    def fact_evidence(self, name: str) -> tuple[str, ...]:
        fact = self.policy.facts.get(name)
        return fact.evidence if fact else ()

    def eligibility(self) -> list[Entry]:
        by_clause: dict[int, Entry] = {}
        for rule in self.policy.eligibility:
            entry = by_clause.setdefault(id(rule.clause), Entry(quote(rule.clause.text) or rule.reason))
            entry.clauses.append(rule.clause)
        return list(by_clause.values())

    def exclusions(self) -> list[Entry]:
        """A 项 listing a 情形 is printed as written; a rule on a whole article (第二十四条 mixes
        the 情形 with its sanctions) by its reason."""
        out: dict[str, Entry] = {}
        for rule in self.policy.exclusions:
            text = quote(rule.clause.text) if rule.clause.kind == "item" else rule.reason
            out.setdefault(text, Entry(text)).clauses.append(rule.clause)
        return list(out.values())

    def categories(self) -> list[Category]:
        cats: dict[str, Category] = {}
        no = 0
        for award in self.policy.awards:
            article = self.policy.clauses[award.clause.address.split(".")[0]]
            if article.id not in cats:
                intro = next((c.text for c in article.children if c.text and not c.rule_keys), "")
                title = intro.rstrip("：:") if intro else article.cite
                cats[article.id] = Category(quote(title), article, [])
            no += 1
            name = award.name + ("（首次）" if award.first_time and "首次" not in award.name else "")
            standard = amount_text(self.policy, award) + ("（一次性）" if award.one_time else "")
            cats[article.id].rows.append(AwardRow(no, name, _level(award), standard, award.clause, award))
        return list(cats.values())

    def first_time(self) -> Entry | None:
        awards = [a for a in self.policy.awards if a.first_time]
        if not awards:
            return None
        names = "、".join(a.name for a in awards)
        return Entry(f"下列事项仅奖励首次获得该资格认定的单位，以往已取得的不予奖励：{names}",
                     [a.clause for a in awards])

    def award_conditions(self) -> list[Entry]:
        grouped: dict[tuple[int, str], tuple[list[str], Clause]] = {}
        for award in self.policy.awards:
            cond = _extra_condition(self.policy, award)
            if cond:
                names, _ = grouped.setdefault((id(award.clause), cond), ([], award.clause))
                names.append(award.name)
        return [Entry(f"申报{'、'.join(names)}的，须{cond}", [clause])
                for (_, cond), (names, clause) in grouped.items()]

    def funding(self) -> tuple[list[Entry], list[Entry], Entry | None, Entry | None]:
        rules: dict[int, Entry] = {}
        for rule in self.policy.combine:
            rules.setdefault(id(rule.clause), Entry(quote(rule.clause.text))).clauses.append(rule.clause)
        groups: dict[str, list[Award]] = {}
        for award in self.policy.awards:
            if award.group:
                groups.setdefault(award.group, []).append(award)
        highest = [r.clause for r in self.policy.combine if r.rule == "highest_per_group"]
        group_entries = [
            Entry("、".join(a.name for a in members), [a.clause for a in members])
            for members in groups.values() if len(members) > 1
        ] if highest else []  # fmt: skip
        once = [a for a in self.policy.awards if a.one_time]
        one_time = Entry(f"下列奖励为一次性奖励：{'、'.join(a.name for a in once)}",
                         [a.clause for a in once]) if once else None
        budget = None
        if self.params.budget_text:
            budget_clauses = [c for c in walk(self.policy) if "budget" in c.rule_keys]
            minimum = ""
            for c in budget_clauses:
                raw = c.raw.get("budget") if c.raw else None
                if isinstance(raw, dict) and "minimum" in raw:
                    minimum = f"，资金规模原则上每年不低于{raw['minimum']}"
            budget = Entry(f"{self.params.year}年度专项资金预算为{self.params.budget_text}{minimum}",
                           budget_clauses or [self.basis()])
        return list(rules.values()), group_entries, one_time, budget

    def basis(self) -> Clause:
        return self.policy.clauses[self.params.basis]

    def materials(self) -> tuple[list[Entry], list[Entry], list[CheckRow]]:
        policy = self.policy
        special = {policy.evaluation.claims, policy.evaluation.previously_obtained,
                   policy.evaluation.previously_rewarded}
        common: dict[str, Entry] = {}
        checks: dict[str, CheckRow] = {}

        def check(name: str, clause: Clause) -> None:
            fact = policy.facts.get(name)
            if fact is None:
                return
            question = fact.label or name
            evidence = "；".join(fact.evidence) or "—"
            row = checks.setdefault(name, CheckRow(question, evidence, [], fact.supplied_by == "authority"))
            row.clauses.append(clause)

        for rule in [*policy.eligibility, *policy.exclusions]:
            for name in _names(_node(rule.when)):
                check(name, rule.clause)
                fact = policy.facts.get(name)
                if fact is None or fact.supplied_by == "authority" or name in special:
                    continue
                for ev in (*fact.evidence, *rule.evidence):
                    common.setdefault(ev, Entry(ev)).clauses.append(rule.clause)
        per_award: dict[tuple[int, tuple[str, ...]], tuple[list[str], Clause]] = {}
        for award in policy.awards:
            evidence = list(award.evidence)
            names = _names(_node(award.when) if award.when else None) + sorted(_amount_names(award))
            for name in names:
                check(name, award.clause)
                fact = policy.facts.get(name)
                if fact and name not in special and fact.supplied_by != "authority":
                    evidence += [e for e in fact.evidence if e not in evidence]
            if award.qualification and policy.evaluation.claims:
                check(policy.evaluation.claims, award.clause)
            if award.first_time and policy.evaluation.previously_obtained:
                check(policy.evaluation.previously_obtained, award.clause)
            if evidence:
                key = (id(award.clause), tuple(evidence))
                per_award.setdefault(key, ([], award.clause))[0].append(award.name)
        for comb in policy.combine:
            fact_name = comb.budget if comb.rule == "until_budget_exhausted" else (
                policy.evaluation.previously_rewarded if comb.rule == "no_repeat" else None)
            if fact_name:
                check(fact_name, comb.clause)
        awards = [Entry(f"{'、'.join(names)}：{'；'.join(_widest(ev))}", [clause])
                  for (_, ev), (names, clause) in per_award.items()]
        return list(common.values()), awards, list(checks.values())

    def steps(self) -> list[Step]:
        policy, params = self.policy, self.params
        known = {p.id: p for p in policy.procedure}
        sched: dict[str, tuple[int, YMap]] = {}
        for i, entry in enumerate(params.schedule):
            pid = str(entry["procedure"])
            if pid not in known:
                guess = did_you_mean(pid, known)
                self.errors.error(
                    "E615", f"《办法》中没有程序步骤「{pid}」", params.span("schedule", i, "procedure"),
                    hint=f"你是不是想写「{guess}」？" if guess else "可用：" + "、".join(known),
                )  # fmt: skip
                continue
            if pid in sched:
                self.errors.error("E616", f"程序步骤「{pid}」重复安排", params.span("schedule", i, "procedure"))
            sched.setdefault(pid, (i, entry))
        wp = params.window_procedure
        if wp is not None and wp not in known:
            guess = did_you_mean(wp, known)
            self.errors.error("E615", f"《办法》中没有程序步骤「{wp}」", params.span("window", "procedure"),
                              hint=f"你是不是想写「{guess}」？" if guess else None)
        steps: list[Step] = []
        previous_end = params.window_to
        previous_name = "申报受理期"
        for proc in policy.procedure:
            clause = proc.clause
            alone = clause.is_leaf and sum(1 for p in policy.procedure if p.clause is clause) == 1
            text = quote(clause.text).rstrip("；。;") if alone else proc.step
            step = Step(proc.id, proc.step, clause, text)
            if proc.duration is not None:
                step.duration, step.duration_from = proc.duration.text, "policy"
            if proc.id == wp:
                step.start, step.end = params.window_from, params.window_to
            elif proc.id in sched:
                i, entry = sched[proc.id]
                try:
                    step.start = _day(entry["from"])
                except ValueError:
                    self.errors.error("E104", f"日期「{entry['from']}」无效", params.span("schedule", i, "from"))
                    continue
                if "duration" in entry:
                    if step.duration is not None:
                        self.errors.error(
                            "E617", f"{clause.cite}已规定{step.name}期限为{step.duration}，年度参数不得另行规定",
                            params.span("schedule", i, "duration"), hint="删去 duration，由办法规定的期限计算",
                        )  # fmt: skip
                    else:
                        step.duration, step.duration_from = str(entry["duration"]), "year"
                if "to" in entry:
                    if step.duration is not None:
                        self.errors.error(
                            "E617", f"{step.name}的结束日期由期限{step.duration}计算，不得另写 to",
                            params.span("schedule", i, "to"), hint="删去 to",
                        )  # fmt: skip
                    else:
                        try:
                            step.end = _day(entry["to"])
                        except ValueError:
                            self.errors.error("E104", f"日期「{entry['to']}」无效", params.span("schedule", i, "to"))
                            continue
                elif step.duration is not None:
                    step.end = self.period_end(step, i)
                if step.end is not None and step.end < step.start:
                    self.errors.error(
                        "E612", f"{step.name}的结束日期 {evalrt.zh_date(step.end)} 早于开始日期 {evalrt.zh_date(step.start)}",
                        params.span("schedule", i, "to"),
                    )  # fmt: skip
                if step.start < previous_end:
                    self.errors.error(
                        "E618", f"{step.name}开始日期 {evalrt.zh_date(step.start)} 早于{previous_name}结束日期 {evalrt.zh_date(previous_end)}",
                        params.span("schedule", i, "from"), hint="日程按《办法》规定的程序顺序排列，后一步在前一步结束后开始",
                    )  # fmt: skip
            if step.end is not None or step.start is not None:
                previous_end = step.end or step.start or previous_end
                previous_name = step.name
            steps.append(step)
        return steps

    def period_end(self, step: Step, index: int) -> dt.date | None:
        assert step.duration is not None and step.start is not None
        try:
            node = parse(step.duration)
        except ExprSyntaxError:
            node = None
        if not isinstance(node, ast.Quantity) or node.unit is None or node.unit.dims not in (
            (("day", 1),), (("workday", 1),)
        ):
            self.errors.error("E619", f"期限「{step.duration}」不是自然日或工作日", self._duration_span(step, index))
            return None
        workdays = node.unit.dims == (("workday", 1),)
        try:
            return self.calendar.period_end(step.start, int(node.value), workdays=workdays)
        except CalendarError as exc:
            self.errors.error("E620", f"{step.name}期限{step.duration}：{exc.message}",
                              self._duration_span(step, index), step.clause.cite, exc.hint)
            return None

    def _duration_span(self, step: Step, index: int) -> Span | None:
        if step.duration_from == "year":
            return self.params.span("schedule", index, "duration")
        proc = next(p for p in self.policy.procedure if p.id == step.id)
        return proc.duration.src.span if proc.duration is not None else proc.span

    def sanctions(self) -> list[Entry]:
        out = []
        for clause in walk(self.policy):
            raw = clause.raw.get("sanctions") if clause.raw is not None and "sanctions" in clause.rule_keys else None
            if not isinstance(raw, dict):
                continue
            parts = []
            if raw.get("revoke"):
                parts.append("取消其已被认定资格")
            if raw.get("recover"):
                parts.append("收回已拨付的资金")
            if raw.get("ban_years"):
                parts.append(f"{raw['ban_years']}年内不得申报")
            if raw.get("credit_record"):
                parts.append("按规定将失信行为列入信用信息公示系统")
            if parts:
                out.append(Entry(f"申报单位在申报过程中有弄虚作假行为的，{'，'.join(parts)}", [clause]))
        return out

    def quotas_and_bans(self) -> tuple[list[Entry], list[Entry]]:
        quotas, bans = [], []
        names = {a.id: a.name for a in self.policy.awards}
        for clause in walk(self.policy):
            raw = clause.raw
            if raw is None:
                continue
            for q in raw.get("quota") or [] if "quota" in clause.rule_keys else []:
                which = "、".join(names.get(str(a), str(a)) for a in q.get("awards", [])) or "奖励"
                per = f"每{q['per']}" if "per" in q else ""
                vacant = "，可以空缺" if q.get("may_be_vacant") else ""
                rank = f"，按{q['rank_by']}由高到低确定" if "rank_by" in q else ""
                quotas.append(Entry(f"{which}{per}不超过{q['max']}个{rank}{vacant}", [clause]))
            if "bans" in clause.rule_keys:
                for b in raw.get("bans") or []:
                    text = str(b["reason"]) if "reason" in b else f"自{b['from']}起{b['years']}年内不得申报"
                    bans.append(Entry(text, [clause]))
        return quotas, bans

    def examples(self) -> list[Example]:
        from compiler.evaluate.interpreter import Interpreter

        out: list[Example] = []
        interp = Interpreter(self.policy)
        for i, ex in enumerate(self.params.examples):
            as_of = _day(ex["as_of"]) if "as_of" in ex else self.params.window_from
            facts = plain(ex["facts"])
            try:
                result = interp.evaluate(facts, as_of, trace=False)
            except evalrt.FactsError as exc:
                for name in exc.missing:
                    self.errors.error("E621", f"算例「{ex['name']}」缺少事实「{name}」",
                                      self.params.span("examples", i, "facts"))
                for name, why in exc.invalid:
                    self.errors.error("E621", f"算例「{ex['name']}」的事实「{name}」{why}",
                                      self.params.span("examples", i, "facts", name))
                for name, guess in exc.unknown:
                    self.errors.error("E621", f"算例「{ex['name']}」有未知的事实「{name}」",
                                      self.params.span("examples", i, "facts", name, key=True),
                                      hint=f"你是不是想写「{guess}」？" if guess else None)
                continue
            except evalrt.EvaluationError as exc:
                self.errors.error("E621", f"算例「{ex['name']}」无法计算：{exc.message}",
                                  self.params.span("examples", i), exc.cite)
                continue
            out.append(Example(str(ex["name"]), as_of, facts, result))
        return out


def _widest(materials: Sequence[str]) -> list[str]:
    """Drop a material that another one of the list contains (标准文本 vs 标准文本或证明文件)."""
    return [m for m in materials if not any(m != other and m in other for other in materials)]


def _check_params(policy: Policy, params: YearParams, errors: Collector) -> None:
    if params.policy_id != policy.policy_id:
        errors.error("E611", f"年度参数属于政策「{params.policy_id}」，不是「{policy.policy_id}」",
                     params.span("policy"), hint=f"改为 policy: {policy.policy_id}")
    if params.version is not None and params.version != policy.version:
        errors.error("E611", f"年度参数指定版本「{params.version}」，而政策文件是版本「{policy.version}」",
                     params.span("version"))
    if params.basis not in policy.clauses:
        guess = did_you_mean(params.basis, policy.clauses)
        errors.error("E615", f"《办法》中没有条款「{params.basis}」", params.span("basis"),
                     hint=f"你是不是想写「{guess}」？" if guess else "写要求发布年度申报指南的条款地址，如 annual-guide")
    meta = policy.meta
    first, last = meta.effective_date, meta.valid_until
    effect = policy.clauses.get(meta.effective_clause or "")
    for key, day in (("from", params.window_from), ("to", params.window_to)):
        if (first and day < first) or (last and day > last):
            period = f"{evalrt.zh_date(first) if first else '发布'}至{evalrt.zh_date(last) if last else '废止'}"
            errors.error("E614", f"申报期日期 {evalrt.zh_date(day)} 不在《办法》有效期（{period}）内",
                         params.span("window", key), effect.cite if effect else None)
    if not meta.document_kind:
        errors.error("E622", f"{policy.file} 没有指定 meta.document_kind，无法选择指南模板",
                     policy.tree["meta"].span, hint="award-fund（申报指南）、periodic-award（评选申报通知）或 benefit（政策明白纸）")


def derive(policy: Policy, params: YearParams, calendar: WorkCalendar, root: Path | None,
           policy_path: Path) -> GuideData:
    """Compute everything the guide says; raises PolicyError with every problem found."""
    errors = Collector()
    _check_params(policy, params, errors)
    errors.raise_if_any()
    d = _Derive(policy, params, calendar)
    steps = d.steps()
    examples = d.examples()
    d.errors.raise_if_any()
    rules, groups, one_time, budget = d.funding()
    common, per_award, checklist = d.materials()
    quotas, bans = d.quotas_and_bans()
    kind = str(policy.meta.document_kind)
    kind_name = KIND_NAMES[kind]
    fund = fund_name(policy.meta.title)
    if params.title:
        title = params.title.replace("\n", "")
        lines = balance_title(params.title)
    elif kind == "periodic-award":
        title = f"关于开展{params.year}年度{fund}评选申报工作的通知"
        lines = balance_title(title)
    elif kind == "benefit":
        title = f"{fund}{kind_name}"
        lines = balance_title(title)
    else:
        title = f"{params.year}年度{fund}{kind_name}"
        lines = balance_title(title)
    number = f"{policy.meta.doc_number}，" if policy.meta.doc_number else ""
    reference = f"《{policy.meta.title}》（{number}以下简称{SHORT}）"
    sources = _sources(policy_path, kind, params, calendar, root)
    digest = content_hash(sources)
    window = f"{evalrt.zh_date(params.window_from)}{_DATE_RANGE_SEP}{evalrt.zh_date(params.window_to)}"
    return GuideData(
        policy, params, kind, kind_name, params.year, title, lines, fund, SHORT, reference,
        d.basis(), d.eligibility(), d.exclusions(), d.first_time(), d.award_conditions(),
        d.categories(), rules, groups, one_time, budget, common, per_award, checklist, steps,
        d.sanctions(), quotas, bans, examples, window, params.contacts, sources, digest,
        sorted(calendar.consulted),
    )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Provenance


def _rel(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def template_dirs(policy_path: Path) -> list[Path]:
    """Where templates are looked up: the policy's own folder first (drafter overrides)."""
    return [policy_path.parent / TEMPLATES_DIR, PACKAGE_TEMPLATES]


def _template_sources(policy_path: Path, kind: str, root: Path | None) -> list[Source]:
    """The templates a guide of this kind can use: its kind template, both page layouts and
    everything they import or include (found statically, so the digest is known before
    rendering and is the same for every format)."""
    from jinja2 import meta

    env = _environment(policy_path)
    pending = [f"{kind}.j2", *(f"page.{fmt}.j2" for fmt in FORMATS if fmt != "docx")]
    found: dict[str, Source] = {}
    while pending:
        name = pending.pop()
        if name in found:
            continue
        for directory in template_dirs(policy_path):
            path = directory / name
            if path.is_file():
                printed = f"policyc:templates/{name}" if directory == PACKAGE_TEMPLATES else _rel(path, root)
                data = path.read_bytes()
                found[name] = Source(printed, data)
                try:
                    refs = meta.find_referenced_templates(env.parse(data.decode("utf-8"), name, str(path)))
                except jinja2.TemplateSyntaxError as exc:
                    raise _template_error(exc, name) from None
                pending.extend(r for r in refs if r)
                break
    return [found[k] for k in sorted(found)]


def _sources(policy_path: Path, kind: str, params: YearParams, calendar: WorkCalendar,
             root: Path | None) -> list[Source]:
    out = [Source(_rel(policy_path, root), policy_path.read_bytes()),
           Source(_rel(params.path, root), params.path.read_bytes())]
    for sched in sorted(calendar.schedules.values(), key=lambda s: s.year):
        if sched.file in calendar.consulted:
            out.append(Source(_rel(sched.path, root), sched.path.read_bytes()))
    return out + _template_sources(policy_path, kind, root)


def content_hash(sources: Sequence[Source]) -> str:
    """SHA-256 over every source's name and bytes (length-prefixed, so no two inputs collide)."""
    h = hashlib.sha256()
    for s in sources:
        name = s.name.encode("utf-8")
        h.update(len(name).to_bytes(4, "big") + name + len(s.data).to_bytes(8, "big") + s.data)
    return h.hexdigest()


# ---------------------------------------------------------------------------------------------
# Blocks: what a kind template builds


@dataclass
class Block:
    kind: str  # title | heading | para | table | attachments | signature | attachment | provenance
    text: str = ""
    level: int = 0
    lines: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    widths: tuple[float, ...] = ()
    align: tuple[str, ...] = ()
    indent: bool = True
    cited: bool = False
    date: dt.date | None = None


class TemplateError(Exception):
    pass


_PUNCT = "。；，：;,:"


class Builder:
    """The API a kind template uses. Numbers headings (一、（一）) and items (1．) itself, so a
    section a policy lacks leaves no gap; appends each paragraph's citation."""

    def __init__(self, data: GuideData) -> None:
        self.data = data
        self.blocks: list[Block] = []
        self._h1 = self._h2 = self._item = 0

    def _cite(self, clauses: Any) -> str:
        if isinstance(clauses, Clause):
            clauses = [clauses]
        if not clauses:
            raise TemplateError("段落缺少依据条款：传入 cites，或写明 plain=true")
        return f"（{self.data.short}{cite_text(self.data.policy, clauses)}）"

    def title(self, text: str | None = None, lines: Sequence[str] | None = None) -> str:
        text = text or self.data.title
        self.blocks.append(Block("title", text, lines=tuple(lines or balance_title(text))))
        return ""

    def heading(self, text: str, level: int = 1) -> str:
        if level == 1:
            self._h1 += 1
            self._h2 = self._item = 0
            label = f"{numbering.zh_number(self._h1)}、"
        elif level == 2:
            self._h2 += 1
            self._item = 0
            label = numbering.item_label(self._h2)
        else:
            raise TemplateError(f"标题级别只能是 1 或 2，不是 {level}")
        self.blocks.append(Block("heading", label + text, level=level))
        return ""

    def para(self, text: str, cites: Any = None, *, inline: bool = False, plain: bool = False,
             indent: bool = True) -> str:
        """A body paragraph; `cites` (clauses) are appended before its final punctuation.
        `inline`: the text cites itself; `plain`: data that no article states (a phone number)."""
        if not (inline or plain):
            cite = self._cite(cites)
            text = text[:-1] + cite + text[-1] if text and text[-1] in _PUNCT else text + cite + "。"
        self.blocks.append(Block("para", text, indent=indent, cited=not plain))
        self._item = 0  # a paragraph ends a numbered list; `item` restores its own count
        return ""

    def item(self, text: str, cites: Any = None, *, plain: bool = False, end: str = "；") -> str:
        """A numbered item (1．) of the list that follows the last heading or paragraph."""
        number = self._item + 1
        self.para(f"{number}．{text.rstrip(_PUNCT)}{end}", cites, plain=plain)
        self._item = number
        return ""

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]], widths: Sequence[float],
              align: Sequence[str] | None = None) -> str:
        if len(widths) != len(header) or any(len(r) != len(header) for r in rows):
            raise TemplateError("表格每行的列数必须与表头一致，并给出每列宽度")
        self.blocks.append(Block(
            "table", header=tuple(header), rows=tuple(tuple(str(c) for c in r) for r in rows),
            widths=tuple(float(w) for w in widths), align=tuple(align or ["center"] * len(header)),
        ))  # fmt: skip
        return ""

    def attachments(self, names: Sequence[str]) -> str:
        if names:
            self.blocks.append(Block("attachments", lines=tuple(names)))
        return ""

    def signature(self, issuer: str | None = None, date: dt.date | None = None) -> str:
        self.blocks.append(Block("signature", issuer or self.data.params.issuer,
                                 date=date or self.data.params.published))
        return ""

    def attachment(self, title: str, number: int | None = None) -> str:
        label = "附件" if number is None else f"附件{number}"
        self.blocks.append(Block("attachment", title, lines=(label,)))
        self._h1 = self._h2 = self._item = 0
        return ""

    def provenance(self) -> str:
        d = self.data
        meta = d.policy.meta
        lines = (
            f"生成依据：《{meta.title}》（{meta.doc_number or '无文号'}，版本 {d.policy.version}）"
            f"及{d.year}年度参数；由 policyc 自动生成，请勿手工修改。",
            f"来源文件：{d.sources_text}"
            + (f"；节假日安排：{'、'.join(d.calendar_sources)}" if d.calendar_sources else "") + "。",
            f"来源摘要（SHA-256）：{d.digest}",
        )
        self.blocks.append(Block("provenance", lines=lines))
        return ""


def _environment(policy_path: Path) -> SandboxedEnvironment:
    loader = jinja2.FileSystemLoader([str(p) for p in template_dirs(policy_path)])
    env = SandboxedEnvironment(
        loader=loader, autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                                           default_for_string=False),
        undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"],
        keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
    )  # fmt: skip
    env.filters["md"] = md_escape
    env.filters["zh_date"] = evalrt.zh_date
    env.filters["money"] = evalrt.money_text
    return env


def _template_error(exc: Exception, name: str) -> PolicyError:
    if isinstance(exc, jinja2.TemplateSyntaxError):
        span = Span(exc.filename or name, exc.lineno or 1, 1) if exc.lineno else None
        return PolicyError([Diagnostic("E630", f"模板 {exc.name or name} 语法错误：{exc.message}", span)])
    message = str(exc)
    message = message if len(message) <= 160 else message[:160] + "…"
    return PolicyError([Diagnostic("E630", f"模板 {name} 出错：{message}", None,
                                   hint="检查模板中使用的字段名（见 docs/guides.md）")])


def build_blocks(data: GuideData, policy_path: Path) -> list[Block]:
    env = _environment(policy_path)
    name = f"{data.kind}.j2"
    builder = Builder(data)
    try:
        env.get_template(name).render(g=data, doc=builder)
    except TemplateError as exc:
        raise PolicyError([Diagnostic("E631", f"模板 {name}：{exc}")]) from None
    except jinja2.TemplateNotFound:
        raise PolicyError([Diagnostic("E630", f"找不到文档类型「{data.kind}」的模板 {name}")]) from None
    except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
        raise _template_error(exc, name) from None
    return builder.blocks


# ---------------------------------------------------------------------------------------------
# Renderers


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def md_escape(text: str) -> str:
    """Text from YAML as literal Markdown: markup characters are backslash-escaped."""
    out = _MD_SPECIAL.sub(r"\\\1", str(text))
    return "\\" + out if out[:1] in ("-", "+", "=") else out


def render_layout(data: GuideData, blocks: list[Block], policy_path: Path, fmt: str) -> str:
    env = _environment(policy_path)
    name = f"page.{fmt}.j2"
    try:
        text = env.get_template(name).render(g=data, blocks=blocks)
    except jinja2.TemplateError as exc:
        raise _template_error(exc, name) from None
    return text.rstrip("\n") + "\n"


def render_docx(data: GuideData, blocks: list[Block]) -> bytes:
    doc = wordstyle.new_document()
    meta = data.policy.meta
    wordstyle.set_properties(
        doc, title=data.title, author=data.params.issuer, date=data.params.published,
        subject=meta.title,
        keywords=f"{meta.doc_number or ''}; 版本 {data.policy.version}; sha256:{data.digest}",
        comments=f"由 policyc 根据 {data.sources_text} 生成",
    )  # fmt: skip
    for block in blocks:
        match block.kind:
            case "title":
                wordstyle.add_title(doc, "\n".join(block.lines))
            case "heading":
                wordstyle.add_heading(doc, block.text, block.level)
            case "para":
                wordstyle.add_body(doc, block.text, first_line_indent=block.indent)
            case "table":
                wordstyle.add_table(doc, block.header, block.rows, block.widths, align=block.align)
            case "attachments":
                wordstyle.add_blank_line(doc)
                wordstyle.add_attachment_note(doc, list(block.lines))
            case "signature":
                assert block.date is not None
                wordstyle.add_signature(doc, block.text, block.date)
            case "attachment":
                wordstyle.add_attachment_label(doc, block.lines[0], new_page=True)
                wordstyle.add_blank_line(doc)
                wordstyle.add_title(doc, block.text)
            case "provenance":
                wordstyle.add_blank_line(doc)
                for line in block.lines:
                    wordstyle.add_small(doc, line)
    return wordstyle.to_bytes(doc)


@dataclass
class Guide:
    data: GuideData
    blocks: list[Block]
    outputs: dict[str, bytes]


def project_root(policy_path: Path) -> Path | None:
    """The project root of a policy file: the folder holding policies/<id>/<version>.yaml."""
    parent = policy_path.resolve().parent
    if parent.parent.name == "policies":
        return parent.parent.parent
    return None


def year_file(policy_path: Path, year: int) -> Path:
    return policy_path.parent / GUIDES_DIR / f"{year}.yaml"


def make_guide(policy_path: Path, policy: Policy, year: int, *, root: Path | None = None,
               calendar: WorkCalendar | None = None, params_path: Path | None = None,
               formats: Sequence[str] = FORMATS) -> Guide:
    """Load the year parameters, derive the content and render it in `formats`."""
    root = root if root is not None else project_root(policy_path)
    params = load_year(params_path or year_file(policy_path, year))
    if params.year != year:
        raise PolicyError([Diagnostic("E611", f"年度参数文件写的是{params.year}年度，不是{year}年度",
                                      params.span("year"))])
    # A fresh record of consulted schedules per guide: only those this guide used are its sources.
    calendar = (calendar if calendar is not None else load_calendar(root)).session()
    data = derive(policy, params, calendar, root, policy_path)
    blocks = build_blocks(data, policy_path)
    out: dict[str, bytes] = {}
    for fmt in formats:
        out[fmt] = render_docx(data, blocks) if fmt == "docx" else \
            render_layout(data, blocks, policy_path, fmt).encode("utf-8")
    return Guide(data, blocks, out)


# ---------------------------------------------------------------------------------------------
# Build and command line


def guide_years(policy_path: Path) -> list[int]:
    directory = policy_path.parent / GUIDES_DIR
    if not directory.is_dir():
        return []
    return sorted(int(p.stem) for p in directory.glob("*.yaml") if p.stem.isdigit())


def build_outputs(root: Path, pairs: list[tuple[Path, Policy]]) -> dict[str, bytes]:
    """Build producer: generated/<policy>/guide-<year>.{md,html,docx} for every issued policy
    version with year parameters (the year file's `version` picks one when several are issued)."""
    outputs: dict[str, bytes] = {}
    errors: list[Diagnostic] = []
    calendar: WorkCalendar | None = None
    by_folder: dict[Path, list[tuple[Path, Policy]]] = {}
    for path, policy in pairs:
        if policy.meta.status == "issued":
            by_folder.setdefault(path.parent, []).append((path, policy))
    for folder, issued in sorted(by_folder.items()):
        for year in guide_years(issued[0][0]):
            try:
                params = load_year(folder / GUIDES_DIR / f"{year}.yaml")
                chosen = [(p, pol) for p, pol in issued if params.version in (None, pol.version)]
                if len(chosen) != 1:
                    versions = "、".join(pol.version for _, pol in issued)
                    raise PolicyError([Diagnostic(
                        "E611", f"{params.file}：现行版本有 {versions}，" + (
                            "请用 version 指定依据哪一个" if chosen else f"没有版本「{params.version}」"),
                        params.span("version") if params.version else params.tree.span,
                    )])  # fmt: skip
                if calendar is None:
                    calendar = load_calendar(root)
                path, policy = chosen[0]
                guide = make_guide(path, policy, year, root=root, calendar=calendar)
            except PolicyError as exc:
                errors.extend(exc.diagnostics)
                continue
            for fmt, content in guide.outputs.items():
                outputs[f"{policy.policy_id}/guide-{year}.{fmt}"] = content
    if errors:
        raise PolicyError(errors)
    return outputs


def _add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("policy", type=Path, help="政策文件（policies/<id>/<version>.yaml）或政策目录")
    p.add_argument("--year", type=int, required=True, help="申报年度；读取 policies/<id>/guides/<年度>.yaml")
    p.add_argument("--format", choices=FORMATS, default=None,
                   help="输出格式；省略时按 -o 的扩展名，两者都省略时写出全部三种")
    p.add_argument("-o", "--output", type=Path, default=None,
                   help="输出文件；省略时 md、html 写到标准输出，全部格式写到 --out-dir")
    p.add_argument("--out-dir", type=Path, default=Path("."),
                   help="不指定 --format 和 -o 时写出 <政策>-guide-<年度>.md/.html/.docx 的目录（默认当前目录）")


def _policy_file(arg: Path) -> Path:
    if arg.is_dir():
        files = find_policy_files(arg.parent) if arg.parent.name == "policies" else []
        files = [f for f in files if f.parent.resolve() == arg.resolve()] or sorted(
            q for q in arg.glob("*.yaml") if not q.name.endswith(".cases.yaml"))
        issued = [f for f in files if "status: issued" in f.read_text(encoding="utf-8-sig")]
        if len(issued) == 1:
            return issued[0]
        raise UsageError(f"{arg} 下有 {len(issued)} 个现行版本；请直接给出政策文件")
    if not arg.exists():
        raise UsageError(f"找不到政策文件 {arg}")
    return arg


def cmd_guide(args: argparse.Namespace) -> int:
    policy_path = _policy_file(args.policy)
    fmt: str | None = args.format
    if fmt is None and args.output is not None:
        suffix = args.output.suffix.lstrip(".").lower()
        if suffix not in FORMATS:
            raise UsageError(f"无法从 {args.output} 的扩展名判断格式；请用 --format 指定 md、html 或 docx")
        fmt = suffix
    if fmt == "docx" and args.output is None:
        raise UsageError("Word 文档是二进制文件，请用 -o 指定输出文件")
    root: Path | None = args.root if args.root is not None else project_root(policy_path)
    policy = load_policy(policy_path)
    guide = make_guide(policy_path, policy, args.year, root=root, formats=[fmt] if fmt else FORMATS)
    if fmt is None:
        targets = {f: args.out_dir / f"{policy.policy_id}-guide-{args.year}.{f}" for f in FORMATS}
        for f, target in targets.items():
            atomic_write(target, guide.outputs[f])
        print("已生成：" + "、".join(display_path(t) for t in targets.values()))
    elif args.output is None:
        sys.stdout.write(guide.outputs[fmt].decode("utf-8"))
    else:
        atomic_write(args.output, guide.outputs[fmt])
        print(f"已生成：{display_path(args.output)}")
    return 0


COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {
    "guide": ("生成年度申报指南等文件（Markdown、HTML、Word）", _add_arguments, cmd_guide),
}
