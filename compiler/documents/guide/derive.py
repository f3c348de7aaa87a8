"""derive: everything a guide says, computed from the policy and the year parameters.

* 申报对象 from the eligibility rules' clauses, the 奖励标准 tables from `awards`, 不予奖励情形
  from `exclusions`, 申报材料 and 审核要点 from the `evidence` of facts and awards, 核拨规则
  from `combine`, 处理措施 from `sanctions`, procedure dates from `procedure` durations and
  the year's schedule;
* the year parameters are checked against the policy (version, clauses, 有效期).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from compiler.documents.guide.cite import SHORT, quote
from compiler.documents.guide.data import (
    KIND_NAMES,
    AwardRow,
    Category,
    Entry,
    Example,
    GuideData,
    Step,
    balance_title,
    fund_name,
)
from compiler.documents.guide.form import application_form
from compiler.documents.guide.materials import (
    award_materials,
    checks,
    general_materials,
    supporting_clauses,
)
from compiler.documents.guide.provenance import content_hash, guide_sources
from compiler.documents.guide.wording import (
    amount_names,
    amount_text,
    extra_condition,
    level_text,
    names_in,
)
from compiler.documents.guide.year import YearParams, parse_day
from compiler.documents.workdays import CalendarError, WorkCalendar
from compiler.evaluate.interpreter import Interpreter
from compiler.lang import ast
from compiler.lang.parser import ExprSyntaxError, parse
from compiler.model.policy import Award, Clause, Policy, walk
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Collector, Span, did_you_mean
from compiler.source.yamlsrc import YMap, plain

_DATE_RANGE_SEP = "至"
AWARD_KINDS = ("award-fund", "periodic-award")  # kinds whose year file needs a qualifying period


def _descendants(clause: Clause) -> list[Clause]:
    return [clause] + [d for ch in clause.children for d in _descendants(ch)]


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
                notes = [Entry(quote(c.text), [c]) for c in _descendants(article)
                         if c.nature == "definitional" and c.text]
                cats[article.id] = Category(quote(title), article, [], notes)
            no += 1
            name = award.name + ("（首次）" if award.first_time and "首次" not in award.name else "")
            standard = amount_text(self.policy, award) + ("（一次性）" if award.one_time else "")
            cats[article.id].rows.append(AwardRow(no, name, level_text(award), standard, award.clause, award))
        return list(cats.values())

    def first_time(self) -> Entry | None:
        awards = [a for a in self.policy.awards if a.first_time]
        if not awards:
            return None
        names = "、".join(a.name for a in awards)
        return Entry(f"下列事项仅奖励首次获得该资格认定的单位，以往已取得的不予奖励：{names}",
                     [a.clause for a in awards])

    def award_conditions(self) -> list[Entry]:
        """Each award's condition beyond its amount, cited where the condition is stated (the
        起草单位 rule of 第十三条第二款, not the award's 项)."""
        grouped: dict[tuple[tuple[int, ...], str], tuple[list[str], list[Clause]]] = {}
        for award in self.policy.awards:
            cond = extra_condition(self.policy, award)
            if cond:
                names = [n for n in names_in(award.when.node) if n not in amount_names(award)] \
                    if award.when else []
                clauses = supporting_clauses(self.policy, names, award.clause)
                key = (tuple(id(c) for c in clauses), cond)
                grouped.setdefault(key, ([], clauses))[0].append(award.name)
        return [Entry(f"申报{'、'.join(names)}的，须{cond}", clauses)
                for (_, cond), (names, clauses) in grouped.items()]

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

    def qualifying(self) -> list[Entry]:
        """The period awards must have been obtained in (year file), and how it meets the date
        the 办法 takes effect."""
        q, meta = self.params.qualifying, self.policy.meta
        if q is None:
            return []
        period = f"{evalrt.zh_date(q.start)}{_DATE_RANGE_SEP}{evalrt.zh_date(q.end)}"
        out = [Entry(f"本年度受理{period}期间获得的奖励事项", [self.basis()], origin="year")]
        effect = self.policy.clauses.get(meta.effective_clause or "")
        if meta.effective_date and effect is not None:
            # The 办法's own words (自发布之日起30日后实施) with the date they give.
            day = evalrt.zh_date(meta.effective_date)
            when = f"{SHORT}{meta.effective_text}（{day}起）" if meta.effective_text else f"{SHORT}自{day}起实施"
            verb = "施行" if meta.effective_text and "施行" in meta.effective_text else "实施"
            if q.start < meta.effective_date:
                text = f"{when}；上述期间内{SHORT}{verb}前获得的奖励事项，一并按本指南申报"
            else:
                text = f"{when}，上述期间在{SHORT}{verb}之后"
            out.append(Entry(text, [effect]))
        return out

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
                    step.start = parse_day(entry["from"])
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
                            step.end = parse_day(entry["to"])
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
            honour = "recover_items" in raw  # an honour (证书、奖牌), not a qualification paid in money
            if raw.get("requires_approval"):
                parts.append(f"经核实后报请{raw['requires_approval']}批准")
            if raw.get("revoke"):
                parts.append("取消其奖励" if honour else "取消其已被认定资格")
            if raw.get("recover_items"):
                parts.append(f"收回{raw['recover_items']}")
            if raw.get("recover"):
                parts.append("收回已拨付的资金")
            if raw.get("ban_years"):
                parts.append(f"{raw['ban_years']}年内不予受理其申报" if honour else f"{raw['ban_years']}年内不得申报")
            if raw.get("publish"):
                parts.append(str(raw["publish"]))
            elif raw.get("credit_record"):
                parts.append("按规定将失信行为列入信用信息公示系统")
            case = str(raw["case"]).rstrip("，,") if raw.get("case") else "申报单位在申报过程中有弄虚作假行为的"
            if parts:
                out.append(Entry(f"{case}，{'，'.join(parts)}", [clause]))
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
        out: list[Example] = []
        interp = Interpreter(self.policy)
        for i, ex in enumerate(self.params.examples):
            as_of = parse_day(ex["as_of"]) if "as_of" in ex else self.params.window_from
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
    q = params.qualifying
    if q is None and meta.document_kind in AWARD_KINDS and policy.qualifications():  # honours have none
        errors.error(
            "E624", "年度参数没有写资格取得期间（qualifying）：申报人无从判断哪些奖励事项可以在本年度申报",
            params.span("window", key=True),
            hint="在 window 之前加上 qualifying: {from: 2026-01-01, to: 2026-12-31}（在此期间获得的奖励事项本年度受理）",
        )  # fmt: skip
    if q is not None and first and q.start < first and not q.before_effect:
        errors.error(
            "E625", f"资格取得期间始于 {evalrt.zh_date(q.start)}，早于《办法》施行之日 {evalrt.zh_date(first)}",
            params.span("qualifying", "from"), effect.cite if effect else None,
            hint=f"改为 from: {first.isoformat()}；确要受理施行前获得的奖励事项，加上 before_effect: true",
        )  # fmt: skip
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
    kind = str(policy.meta.document_kind)
    rules, groups, one_time, budget = d.funding()
    categories = d.categories()
    checklist, authority_checks = checks(policy)
    form = application_form(policy, categories, checklist) if kind in AWARD_KINDS else None
    common = general_materials(params, form is not None)
    per_award = award_materials(policy)
    quotas, bans = d.quotas_and_bans()
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
    sources = guide_sources(policy_path, kind, params, calendar, root)
    digest = content_hash(sources)
    window = f"{evalrt.zh_date(params.window_from)}{_DATE_RANGE_SEP}{evalrt.zh_date(params.window_to)}"
    return GuideData(
        policy, params, kind, kind_name, params.year, title, lines, fund, SHORT, reference,
        d.basis(), d.eligibility(), d.exclusions(), d.first_time(), d.award_conditions(),
        categories, rules, groups, one_time, budget, d.qualifying(), common, per_award, checklist,
        authority_checks, form, steps,
        d.sanctions(), quotas, bans, examples, window, params.contacts, sources, digest,
        sorted(calendar.consulted),
    )  # fmt: skip
