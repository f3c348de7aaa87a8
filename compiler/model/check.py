"""Stage 4–5, expressions and checks: parse every expression, then check names, types, units,
clause references, numbering, coverage, tiers and dates. Every error of a file is collected.

Types are small frozen values (`Type`); quantities carry their dimension so 元 + % and a date
compared with money are compile errors with file:line:column and the clause.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from decimal import Decimal

from compiler.lang import ast, numbering
from compiler.lang.units import (
    DURATION_DIMS,
    MONEY,
    describe_dims,
    divide_dims,
    multiply_dims,
    parse_unit,
)
from compiler.model import award_round, check_compliance, check_computation
from compiler.model.policy import (
    Amount,
    Clause,
    Expr,
    Fact,
    Policy,
    Tiers,
    effective_after,
    leaves,
    valid_until,
    walk,
)
from compiler.model.types import ANY, BOOL, DATE, TEXT, _TypeError, fact_type
from compiler.model.types import Type as Type
from compiler.runtime.core import CalendarError
from compiler.source.diagnostics import Collector, Span, did_you_mean
from compiler.source.yamlsrc import YStr

BUILTINS = {"评价日期": "评价的基准日期（as of）"}
KEYWORDS = ("且", "并且", "或", "或者", "非", "属于", "不属于", "包含", "不包含", "为空", "不为空", "则", "否则")


class Checker:
    def __init__(self, policy: Policy) -> None:
        self.p = policy
        self.diag = Collector()
        self.env: dict[str, Type] = {}
        for name, fact in policy.facts.items():
            values = fact.values
            if fact.values_from_qualifications:
                values = tuple(policy.qualifications())
            self.env[name] = fact_type(fact.type, fact.unit.dims if fact.unit else (), values, fact.optional)
        for name, param in policy.parameters.items():
            self.env[name] = Type("num", param.unit.dims if param.unit else ())
        self.env["评价日期"] = DATE
        self.types: dict[ast.Node, Type] = {}
        self.computed_types: dict[str, Type | None] = {}  # None while a value is being typed
        self.computed_names = {c.name for c in policy.computes}
        check_computation.add_names(self)

    # -- expressions ----------------------------------------------------------------------
    def span_of(self, src: YStr, node: ast.Node) -> Span:
        return src.offset_span(node.pos[0], node.pos[1])

    def typecheck(self, expr: Expr, clause: str | None, want: str, what: str) -> Type | None:
        """Type an expression; `want` is "bool", "money", "num" or "any"."""
        if isinstance(expr.node, ast.Unparsed):
            return None  # the syntax error was reported when the model was built
        try:
            t = self.infer(expr.node)
        except _TypeError as exc:
            self.diag.error(exc.code, exc.message, self.span_of(expr.src, exc.node), clause, exc.hint)
            return None
        ok = (
            want == "any"
            or (want == "bool" and t.kind == "bool")
            or (want == "money" and t.kind == "num" and t.dims == MONEY)
            or (want == "num" and t.kind == "num")
        )
        if not ok:
            wanted = {"bool": "条件（是/否）", "money": "金额（元）", "num": "数值"}[want]
            hint = None
            if want == "money" and t.kind == "num":
                hint = "金额要以元、万元等为单位；例如 20万元，或 200元/吨 × 数量"
            self.diag.error("E302", f"{what}应为{wanted}，这里是{t.describe()}", expr.src.span, clause, hint)
            return None
        return t

    def infer(self, node: ast.Node) -> Type:
        t = self._infer(node)
        self.types[node] = t
        return t

    def _infer(self, node: ast.Node) -> Type:
        match node:
            case ast.Quantity(unit=unit):
                return Type("num", unit.dims if unit else ())
            case ast.DateLit():
                return DATE
            case ast.Text():
                return TEXT
            case ast.Bool():
                return BOOL
            case ast.Name(name=name):
                return self.lookup(node, name)
            case ast.ListLit(items=items):
                if not items:
                    return Type("list", elem=ANY)
                types = [self.infer(i) for i in items]
                for item, t in zip(items, types, strict=True):
                    if t.kind != types[0].kind or t.dims != types[0].dims:
                        raise _TypeError(item, f"列表中的元素类型不一致：{t.describe()} 与 {types[0].describe()}")
                return Type("list", elem=types[0])
            case ast.Negate(operand=o):
                t = self.infer(o)
                if t.kind != "num":
                    raise _TypeError(node, f"负号只能用于数值，这里是{t.describe()}")
                return t
            case ast.Not(operand=o):
                self.expect_bool(o, "「非」")
                return BOOL
            case ast.Logic(left=a, right=b, op=op):
                word = "「且」" if op == "and" else "「或」"
                self.expect_bool(a, word)
                self.expect_bool(b, word)
                return BOOL
            case ast.Binary():
                return self.infer_binary(node)
            case ast.Compare():
                self.infer_compare(node)
                return BOOL
            case ast.Member(item=item, collection=coll):
                ct = self.infer(coll)
                it = self.infer(item)
                if ct.kind not in ("set", "list"):
                    raise _TypeError(coll, f"「属于/包含」的集合一方应为集合或列表，这里是{ct.describe()}")
                elem = ct.elem or ANY
                if it.kind != elem.kind and elem.kind != "any" and it.kind != "any":
                    raise _TypeError(item, f"{it.describe()} 不能与{elem.describe()}的集合比较")
                self.check_values(item, it, ct)
                if isinstance(coll, ast.ListLit):
                    for member in coll.items:
                        self.check_values(member, self.infer(member), it)
                return BOOL
            case ast.IsNull(operand=o):
                if not isinstance(o, ast.Name):
                    raise _TypeError(node, "「为空/不为空」只能用于事实名称")
                t = self.infer(o)
                if not t.nullable:
                    raise _TypeError(
                        o, f"事实「{o.name}」不是可选的（optional），不会为空",
                        "在 facts 中给它加上 optional: true，或去掉这个判断",
                    )
                return BOOL
            case ast.Call(args=args, word=word):
                types = [self.infer(a) for a in args]
                for a, t in zip(args, types, strict=True):
                    if t.kind != "num":
                        raise _TypeError(a, f"{word}() 的参数应为数值，这里是{t.describe()}")
                    if t.dims != types[0].dims:
                        raise _TypeError(
                            a, f"{word}() 的参数单位不一致：{describe_dims(t.dims)} 与 {describe_dims(types[0].dims)}"
                        )
                return Type("num", types[0].dims)
            case ast.Conditional(test=t, then=a, otherwise=b):
                self.expect_bool(t, "「如果」")
                ta, tb = self.infer(a), self.infer(b)
                if ta.kind != tb.kind or ta.dims != tb.dims:
                    raise _TypeError(b, f"「如果…则…否则…」两个分支类型不一致：{ta.describe()} 与 {tb.describe()}")
                if ta.kind == "text" and ta.values != tb.values:
                    return _text_union(ta, a, tb, b)
                return ta
        raise _TypeError(node, "无法识别的表达式")  # pragma: no cover

    def lookup(self, node: ast.Node, name: str) -> Type:
        if name in self.env:
            return self.env[name]
        if name in self.computed_names:
            return check_computation.computed_type(self, node, name)
        candidates = list(self.env)
        guess = did_you_mean(name, candidates)
        hint = f"你是不是想写「{guess}」？" if guess else None
        kw = next((k for k in KEYWORDS if k in name and name != k), None)
        if kw:
            hint = (hint + "；" if hint else "") + f"如果「{kw}」是运算符，请在它两侧加空格"
        if not hint:
            hint = "在 facts 中声明这个事实（type、label），或检查拼写"
        raise _TypeError(node, f"未声明的事实「{name}」", hint, "E301")

    def expect_bool(self, node: ast.Node, word: str) -> None:
        t = self.infer(node)
        if t.kind != "bool":
            raise _TypeError(node, f"{word}的两侧应为条件（是/否），这里是{t.describe()}")

    def infer_binary(self, node: ast.Binary) -> Type:
        a, b = self.infer(node.left), self.infer(node.right)
        if node.op in ("+", "-"):
            if a.kind == "date" and b.kind == "num" and b.dims in DURATION_DIMS:
                return DATE
            if a.kind == "date" and b.kind == "date" and node.op == "-":
                return Type("num", (("day", 1),))
            if a.kind == "num" and b.kind == "num":
                if a.dims != b.dims:
                    raise _TypeError(
                        node, f"不能把{describe_dims(a.dims)}与{describe_dims(b.dims)}相{'加' if node.op == '+' else '减'}",
                        "两边单位要一致，例如都是金额（元、万元）", "E303",
                    )
                return a
            raise _TypeError(node, f"不能对{a.describe()}和{b.describe()}做「{node.word}」运算")
        if a.kind != "num" or b.kind != "num":
            bad = node.left if a.kind != "num" else node.right
            raise _TypeError(bad, f"「{node.word}」只能用于数值，这里是{(a if a.kind != 'num' else b).describe()}")
        if node.op == "*":
            return Type("num", multiply_dims(a.dims, b.dims))
        return Type("num", divide_dims(a.dims, b.dims))

    def infer_compare(self, node: ast.Compare) -> None:
        a, b = self.infer(node.left), self.infer(node.right)
        if a.kind == "num" and b.kind == "num":
            if a.dims != b.dims:
                raise _TypeError(
                    node, f"不能比较{describe_dims(a.dims)}与{describe_dims(b.dims)}（「{node.word}」）",
                    "比较的两边单位要一致", "E303",
                )
            return
        if a.kind != b.kind and "any" not in (a.kind, b.kind):
            raise _TypeError(node, f"不能比较{a.describe()}与{b.describe()}（「{node.word}」）")
        if a.kind in ("text", "bool", "set") and node.op not in ("==", "!="):
            raise _TypeError(node, f"{a.describe()}只能比较相等或不相等，不能用「{node.word}」")
        self.check_values(node.right, b, a)
        self.check_values(node.left, a, b)

    def check_values(self, node: ast.Node, t: Type, other: Type) -> None:
        """A text literal compared with an enum/set must be one of its values."""
        if isinstance(node, ast.Text) and other.values is not None and node.value not in other.values:
            guess = did_you_mean(node.value, other.values)
            hint = f"你是不是想写「{guess}」？" if guess else "可选：" + "、".join(sorted(other.values))
            raise _TypeError(node, f"「{node.value}」不是可选的取值", hint, "E310")

    # -- the policy -----------------------------------------------------------------------
    def run(self) -> Collector:
        p = self.p
        for award in p.awards:
            self.check_award_amount(award.amount, award.clause.cite, f"奖励「{award.name}」的金额")
            if award.when is not None:
                self.typecheck(award.when, award.clause.cite, "bool", f"奖励「{award.name}」的条件")
            if award.qualification and p.evaluation.claims is None:
                self.diag.error(
                    "E311", f"奖励「{award.name}」写了 qualification，但 evaluation.claims 未指定申报资格事实",
                    award.span, award.clause.cite, "在 evaluation 中写 claims: 申报资格（一个 set 类型的事实）",
                )
            if award.first_time and not award.qualification:
                self.diag.error("E311", f"奖励「{award.name}」写了 first_time，但没有 qualification", award.span, award.clause.cite)
            if award.first_time and p.evaluation.previously_obtained is None:
                self.diag.error(
                    "E311", f"奖励「{award.name}」要求首次，但 evaluation.previously_obtained 未指定", award.span,
                    award.clause.cite, "在 evaluation 中写 previously_obtained: 以往取得资格",
                )
            if award.qualification is None and award.when is None and award.grant is None:  # a grant: decided in a round
                self.diag.error(
                    "E311", f"奖励「{award.name}」既没有 qualification 也没有 when，无法判断何时适用",
                    award.span, award.clause.cite,
                )
        award_ids = {a.id for a in p.awards} | {c.name for c in p.computes if c.payment}
        for rule in p.eligibility + p.exclusions:
            self.typecheck(rule.when, rule.clause.cite, "bool", "条件")
            for aid in sorted(rule.applies_to or ()):
                if aid not in award_ids:
                    guess = did_you_mean(aid, award_ids)
                    self.diag.error(
                        "E305", f"规则「{rule.id}」的 applies_to 引用了不存在的奖励事项「{aid}」",
                        rule.applies_span or rule.span, rule.clause.cite,
                        f"你是不是想写「{guess}」？" if guess else "applies_to 写奖励事项的 id",
                    )
        for step in p.procedure:
            if step.duration is not None:
                t = self.typecheck(step.duration, step.clause.cite, "num", "期限")
                if t is not None and t.dims not in ((("day", 1),), (("workday", 1),)):
                    self.diag.error(
                        "E303", f"期限「{step.duration.text}」应以自然日或工作日计", step.duration.src.span,
                        step.clause.cite, "例如：7个自然日、5个工作日",
                    )
        for combine in p.combine:
            if combine.rule == "until_budget_exhausted":
                fact = p.facts.get(combine.budget or "")
                if combine.budget is None or fact is None:
                    self.diag.error(
                        "E301", f"「用完即止」规则 {combine.id} 需要 budget：一个金额事实的名称", combine.span,
                        combine.clause.cite,
                    )
                elif fact.type != "number" or fact.unit is None or fact.unit.dims != MONEY:
                    self.diag.error("E302", f"预算事实「{combine.budget}」应为金额（元）", combine.span, combine.clause.cite)
            if combine.rule == "no_repeat" and p.evaluation.previously_rewarded is None:
                self.diag.error(
                    "E311", "「不得重复享受」需要 evaluation.previously_rewarded（已获奖励资格）", combine.span,
                    combine.clause.cite,
                )
        check_computation.check(self)
        check_compliance.check(self)
        award_round.check(self.p, self.diag)
        self.check_facts()
        self.check_parameters()
        self.check_evaluation()
        self.check_clauses()
        self.check_meta()
        return self.diag

    def check_award_amount(self, amount: Amount, clause: str, what: str) -> None:
        if isinstance(amount, Expr):
            self.typecheck(amount, clause, "money", what)
            return
        self.check_tiers(amount, clause, what)

    def check_tiers(self, tiers: Tiers, clause: str, what: str) -> None:
        of_t = self.typecheck(tiers.of, clause, "num", "分档依据")
        for band in tiers.bands:
            if of_t is not None and band.band.unit is not None and band.band.unit.dims != of_t.dims:
                self.diag.error(
                    "E303", f"分档区间「{band.range_src}」的单位与分档依据（{describe_dims(of_t.dims)}）不一致",
                    band.range_src.span, clause,
                )
            self.typecheck(band.value, clause, "money", f"{what}（{band.range_src}）")
        if tiers.otherwise is not None:
            self.typecheck(tiers.otherwise, clause, "money", f"{what}（其他情形）")
        self.check_band_layout(tiers, clause)

    def check_band_layout(self, tiers: Tiers, clause: str) -> None:
        """Bands must not overlap; gaps between them are reported unless `otherwise` covers them.
        A band that did not parse (E201, no bound) is left out rather than overlapping them all."""
        bands = [b for b in tiers.bands if b.band.lower is not None or b.band.upper is not None]
        for i, a in enumerate(bands):
            for b in bands[i + 1 :]:
                point = _overlap(a.band, b.band)
                if point is not None:
                    self.diag.error(
                        "E307", f"分档「{a.range_src}」与「{b.range_src}」重叠（{point} 同时落在两档）",
                        b.range_src.span, clause,
                        "按民法典第一千二百五十九条，“以上、以下、以内、届满”包括本数，“不满、超过、以外”不包括本数；"
                        "把其中一档改为“不满”或“超过”",
                    )
        if tiers.otherwise is not None:
            return
        ordered = sorted(
            bands, key=lambda b: b.band.lower if b.band.lower is not None else Decimal("-Infinity"),
        )
        for a, b in zip(ordered, ordered[1:], strict=False):
            gap = _gap(a.band, b.band)
            if gap:
                self.diag.error(
                    "E307", f"分档「{a.range_src}」与「{b.range_src}」之间有空档（{gap} 不属于任何一档）",
                    b.range_src.span, clause, "调整区间的“以上/不满”，或用 otherwise 写明不落入任何一档时的金额",
                )

    def check_facts(self) -> None:
        p = self.p
        for fact in p.facts.values():
            if fact.type in ("enum", "set") and fact.values is None and not fact.values_from_qualifications:
                self.diag.error("E102", f"事实「{fact.name}」是 {fact.type}，需要 values 列出取值", fact.span)
            if fact.type == "number" and fact.unit is None:
                self.diag.error(
                    "E102", f"数值事实「{fact.name}」需要 unit", fact.span,
                    hint="例如 unit: 元；不计单位的个数写 unit: 个",
                )
            if fact.clause and self.resolve(fact.clause) is None:
                self.diag.error("E305", f"事实「{fact.name}」引用的条款「{fact.clause}」不存在", fact.span,
                                hint=self.clause_hint(fact.clause))
            self.check_domain(fact)
            if fact.has_default and fact.default is not None:
                problem = _default_problem(fact, self.env[fact.name])
                if problem:
                    self.diag.error("E302", f"事实「{fact.name}」的缺省值{problem}", fact.default_span or fact.span)

    def check_domain(self, fact: Fact) -> None:
        """`whole`, `minimum` and `maximum` belong to numbers; the bounds must admit a value."""
        if fact.subjects and fact.type != "set":
            self.diag.error("E302", f"事实「{fact.name}」不是集合（set），不能写 subjects", fact.span,
                            hint="subjects 只用于申报资格等 set 类型的事实")
        declared = fact.whole or fact.minimum is not None or fact.maximum is not None
        if declared and fact.type != "number":
            self.diag.error("E302", f"事实「{fact.name}」不是数值，不能规定 whole/minimum/maximum", fact.span,
                            hint="取值范围只用于 type: number 的事实")
        elif fact.minimum is not None and fact.maximum is not None and fact.minimum > fact.maximum:
            self.diag.error("E302", f"事实「{fact.name}」的 minimum（{fact.minimum}）大于 maximum（{fact.maximum}）",
                            fact.span)

    def check_parameters(self) -> None:
        for param in self.p.parameters.values():
            starts = [v.start for v in param.values]
            if starts != sorted(starts) or len(set(starts)) != len(starts):
                self.diag.error("E312", f"参数「{param.name}」的各个 from 日期应从早到晚且不重复", param.span)
            for v in param.values:
                t = self.typecheck(v.value, param.clause, "num", f"参数「{param.name}」的值")
                if t is not None and param.unit is not None and t.dims != param.unit.dims:
                    self.diag.error(
                        "E303", f"参数「{param.name}」的值「{v.value.text}」与单位 {param.unit.name} 不一致",
                        v.value.src.span,
                    )
            if param.date_fact and self.env.get(param.date_fact, ANY).kind != "date":
                self.diag.error("E301", f"参数「{param.name}」的 date「{param.date_fact}」不是日期事实", param.span)

    def check_evaluation(self) -> None:
        p = self.p
        for key in ("claims", "previously_obtained", "previously_rewarded"):
            name = getattr(p.evaluation, key)
            if name is None:
                continue
            fact = p.facts.get(name)
            span = p.spans.get(f"evaluation.{key}")
            if fact is None:
                guess = did_you_mean(name, p.facts)
                self.diag.error("E301", f"evaluation.{key} 指向未声明的事实「{name}」", span,
                                hint=f"你是不是想写「{guess}」？" if guess else None)
            elif fact.type != "set":
                self.diag.error("E302", f"evaluation.{key} 的事实「{name}」应为 set（多选）", span)

    def resolve(self, address: str) -> Clause | None:
        return self.p.clauses.get(address)

    def clause_hint(self, address: str) -> str | None:
        guess = did_you_mean(address, self.p.clauses)
        return f"你是不是想写「{guess}」？" if guess else "条款地址写作 条id 或 条id.款或项id"

    def check_clauses(self) -> None:
        p = self.p
        encoded_by_meta = {p.meta.effective_clause} if p.meta.effective_clause else set()
        number_prefix = re.compile(r"^\s*(第[一二三四五六七八九十百零\d]+条|[（(][一二三四五六七八九十]+[）)])")
        for clause in walk(p):
            if clause.text and number_prefix.match(clause.text):
                self.diag.error(
                    "E306", f"{clause.cite}的文字以编号「{number_prefix.match(clause.text).group(1)}」开头",  # type: ignore[union-attr]
                    clause.text_span, clause.cite,
                    "编号由顺序自动生成，不要写进 text；删除文字开头的编号",
                )
            for m in numbering.CROSS_REF_RE.finditer(clause.text):
                self.check_cross_ref(clause, m)
        for art in p.articles:
            for leaf in leaves(art):
                if leaf.rule_keys or self._nature(art, leaf) or leaf.address in encoded_by_meta or art.id in encoded_by_meta:
                    continue
                self.diag.error(
                    "E308", f"{leaf.cite}既没有机器规则，也没有标明性质（nature）", leaf.span, leaf.cite,
                    "加上 awards / exclusions 等规则，或写 nature: procedural（程序性）、discretionary（裁量性）、"
                    "declaratory（宣示性）、definitional（定义性）、organisational（职责分工）",
                )
        if p.meta.effective_clause and self.resolve(p.meta.effective_clause) is None:
            self.diag.error(
                "E305", f"meta.effective.clause 引用的条款「{p.meta.effective_clause}」不存在",
                p.spans.get("effective.clause"), hint=self.clause_hint(p.meta.effective_clause),
            )

    def _nature(self, art: Clause, leaf: Clause) -> str | None:
        if leaf.nature:
            return leaf.nature
        for node in [art, *art.children]:
            if node.nature and (node is art or leaf in leaves(node)):
                return node.nature
        return None

    def check_cross_ref(self, clause: Clause, m: re.Match[str]) -> None:
        arts = self.p.articles
        span = clause.text_span.shifted(0, clause.text_span.col, 1) if clause.text_span else clause.span
        if clause.text_span and isinstance(clause.raw, dict):
            src = clause.raw.get("text")
            if isinstance(src, YStr):
                span = src.offset_span(m.start(), m.end())
        art_no = numbering.parse_zh_number(m.group(1))
        first = self.p.meta.first_article
        if not first <= art_no < first + len(arts):
            if self.p.meta.excerpt:
                return  # an article of the source outside the excerpt: nothing here to check it against
            self.diag.error(
                "E305", f"引用了不存在的条款「{m.group(0)}」（本办法共 {len(arts)} 条）", span, clause.cite,
                "核对被引用条款的编号；条文增删后引用需要同步修改",
            )
            return
        target = arts[art_no - first]
        paras = target.children
        if m.group(2):
            pn = numbering.parse_zh_number(m.group(2))
            if pn > max(len(paras), 1):
                self.diag.error(
                    "E305", f"引用了不存在的款「{m.group(0)}」（{target.cite}只有 {max(len(paras), 1)} 款）", span,
                    clause.cite,
                )
                return
        if m.group(3):
            para = paras[numbering.parse_zh_number(m.group(2)) - 1] if m.group(2) and paras else (paras[0] if paras else None)
            n_items = len(para.children) if para else 0
            if numbering.parse_zh_number(m.group(3)) > n_items:
                self.diag.error(
                    "E305", f"引用了不存在的项「{m.group(0)}」（该款只有 {n_items} 项）", span, clause.cite,
                )

    def check_meta(self) -> None:
        m = self.p.meta
        if m.after_publication_days is not None and m.published and m.effective_date:
            try:
                expected: dt.date | None = effective_after(m.published, m.after_publication_days)
            except CalendarError as exc:
                expected = None
                self.diag.error("E309", f"施行日期无法计算：{m.published.isoformat()} 发布，"
                                f"{m.after_publication_days}日后施行，{exc}", self.p.spans.get("effective.date"),
                                hint="核对发布日期 published")
            if expected is not None and expected != m.effective_date:
                self.diag.error(
                    "E309", f"施行日期应为 {expected.isoformat()}（{m.published.isoformat()} 发布，"
                    f"{m.after_publication_days}日后施行），这里写的是 {m.effective_date.isoformat()}",
                    self.p.spans.get("effective.date"), hint="开始的当日不计入（民法典第二百零一条）",
                )
        if m.validity_years and m.effective_date and m.valid_until:
            start = m.effective_date
            try:
                expected_until: dt.date | None = valid_until(start, m.validity_years)
            except CalendarError as exc:
                expected_until = None
                self.diag.error("E309", f"有效期截止日无法计算：自 {start.isoformat()} 起{m.validity_years}年，{exc}",
                                self.p.spans.get("validity.until"), hint="核对施行日期 effective.date 与有效期年数")
            if expected_until is not None and expected_until != m.valid_until:
                self.diag.error(
                    "E309", f"有效期至应为 {expected_until.isoformat()}（自 {start.isoformat()} 起"
                    f"{m.validity_years}年），这里写的是 {m.valid_until.isoformat()}",
                    self.p.spans.get("validity.until"),
                )
        if m.effective_date and m.valid_until and m.valid_until < m.effective_date:
            self.diag.error("E309", "有效期截止日早于施行日期", self.p.spans.get("validity.until"))


def _overlap(a: ast.Band, b: ast.Band) -> str | None:
    """A value that lies in both bands, described in Chinese, or None."""
    lo, lo_inc = _max_lower(a, b)
    hi, hi_inc = _min_upper(a, b)
    if lo is None or hi is None:
        if lo is None and hi is None:
            return "全部数值"
        return f"{lo if lo is not None else hi}附近的数值"
    if lo < hi or (lo == hi and lo_inc and hi_inc):
        return f"{lo:f}" if lo == hi else f"{lo:f}至{hi:f}之间的数值"
    return None


def _max_lower(a: ast.Band, b: ast.Band) -> tuple[Decimal | None, bool]:
    if a.lower is None:
        return b.lower, b.lower_inclusive
    if b.lower is None:
        return a.lower, a.lower_inclusive
    if a.lower != b.lower:
        return (a.lower, a.lower_inclusive) if a.lower > b.lower else (b.lower, b.lower_inclusive)
    return a.lower, a.lower_inclusive and b.lower_inclusive


def _min_upper(a: ast.Band, b: ast.Band) -> tuple[Decimal | None, bool]:
    if a.upper is None:
        return b.upper, b.upper_inclusive
    if b.upper is None:
        return a.upper, a.upper_inclusive
    if a.upper != b.upper:
        return (a.upper, a.upper_inclusive) if a.upper < b.upper else (b.upper, b.upper_inclusive)
    return a.upper, a.upper_inclusive and b.upper_inclusive


def _gap(a: ast.Band, b: ast.Band) -> str | None:
    """Values between band a (lower) and band b (higher) that neither contains."""
    if a.upper is None or b.lower is None:
        return None
    if a.upper < b.lower:
        return f"{a.upper:f}至{b.lower:f}之间的数值"
    if a.upper == b.lower and not a.upper_inclusive and not b.lower_inclusive:
        return f"{a.upper:f}"
    return None


def _text_union(ta: Type, a: ast.Node, tb: Type, b: ast.Node) -> Type:
    """The branches of 如果…则…否则… on text: an enum when each branch is an enum or a literal
    (如果 … 则 "一级" 否则 医疗机构级别 is still one of the levels)."""
    def values(t: Type, node: ast.Node) -> frozenset[str] | None:
        return frozenset({node.value}) if isinstance(node, ast.Text) else t.values

    va, vb = values(ta, a), values(tb, b)
    merged = va | vb if va is not None and vb is not None else None
    return Type("text", values=merged, nullable=ta.nullable or tb.nullable)


def _default_problem(fact: Fact, t: Type) -> str | None:
    value = fact.default
    if t.kind == "num":
        if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
            return f"应为数值（如 0 或 0{fact.unit.name if fact.unit else ''}），实际是 {value!r}"
        m = re.fullmatch(r"\s*-?\d+(?:\.\d+)?\s*(\S*)\s*", str(value))
        if m is None:
            return f"应为数值，实际是「{value}」"
        if m.group(1) and fact.unit is not None:
            try:
                unit = parse_unit(m.group(1))
            except ValueError:
                return f"的单位「{m.group(1)}」无法识别"
            if unit.dims != fact.unit.dims:
                return f"的单位「{m.group(1)}」与事实的单位 {fact.unit.name} 不一致"
    if t.kind == "bool" and not isinstance(value, bool):
        return "应为 true 或 false"
    if t.kind == "set":
        if not isinstance(value, list):
            return "应为列表"
        bad = [v for v in value if t.values is not None and str(v) not in t.values]
        if bad:
            return f"包含不可选的取值「{bad[0]}」"
    if t.kind == "text" and t.values is not None and str(value) not in t.values:
        return f"「{value}」不是可选的取值"
    return None


def check(policy: Policy) -> tuple[Policy, Collector]:
    """Check every expression and clause of a policy: all diagnostics, and the checked policy —
    a copy of `policy` that carries the type of every expression node (the input is not changed)."""
    checker = Checker(policy)
    diagnostics = checker.run()
    return dataclasses.replace(policy, node_types=checker.types), diagnostics
