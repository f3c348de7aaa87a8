"""The 申报表 (application form), an 附件 of the guide: who applies (name, credit code, legal
representative, payee account), the applicant's answers to the questions the rules ask (the
facts' labels), and one table per award category listing its awards to tick and prove."""

from __future__ import annotations

from compiler.documents.guide.cite import SHORT, cite_text
from compiler.documents.guide.data import ApplicationForm, Category, CheckRow, Entry, FormTable
from compiler.documents.guide.materials import FORM_NAME, special_facts
from compiler.documents.guide.wording import amount_names
from compiler.model.policy import Policy, walk

# Who applies and where the award is paid: what every 申报表 asks (not facts of any rule).
UNIT_FIELDS = ("单位名称", "统一社会信用代码", "单位地址", "法定代表人", "联系人及职务", "联系电话", "电子邮箱")
PAYEE_FIELDS = ("开户银行", "账户名称", "银行账号")
BOX = "□"


def _category_title(category: Category) -> str:
    """质量强企奖励事项及金额 → 质量强企奖励事项; an article without a lead-in (titled by its
    cite) → 申报事项."""
    if category.title == category.article.cite:
        return "申报事项"
    return category.title.removesuffix("及金额")


def application_form(policy: Policy, categories: list[Category], checklist: list[CheckRow]) -> ApplicationForm:
    """`checklist`: the applicant's rows of the 审核要点 (their questions become form lines)."""
    counted = {n for a in policy.awards for n in amount_names(a)}
    special = special_facts(policy) - {policy.evaluation.previously_obtained}
    unit_rows: list[tuple[str, ...]] = [(f, "") for f in UNIT_FIELDS]
    answers: list[tuple[str, ...]] = []
    for row in checklist:
        name = row.fact
        fact = policy.facts.get(name)
        if fact is None or name in special or name in counted:
            continue
        if fact.type == "enum" and fact.values:
            unit_rows.append((name, "　".join(BOX + v for v in fact.values)))
        elif fact.type == "bool":
            answers.append((str(len(answers) + 1), row.question, f"{BOX}是　{BOX}否"))
        else:
            answers.append((str(len(answers) + 1), row.question, ""))
    if any(a.grant is None for a in policy.awards):  # honours (证书、奖牌) are not paid into an account
        unit_rows += [(f, "") for f in PAYEE_FIELDS]
    tables = [FormTable("申报单位基本情况", ("项目", "填写内容"), unit_rows, None, ("center", "left"))]
    if answers:
        tables.append(FormTable("申报单位情况", ("序号", "事项", "填写"), answers, None,
                                ("center", "left", "center")))
    for cat in categories:
        has_count = any(amount_names(r.award) & counted for r in cat.rows)
        header = ("序号", "申报事项", "证明文件名称及文号", "取得日期", *(("项数",) if has_count else ()),
                  "申请金额（万元）")
        # Widths for handwriting (the empty columns give no content to size them by).
        widths = (14.8, 60.0, 32.0, 23.3, 25.9) if not has_count else (14.8, 50.6, 29.4, 23.3, 14.8, 23.1)
        rows = [(str(r.no), BOX + r.name, "", "", *(("",) if has_count else ()), "") for r in cat.rows]
        tables.append(FormTable(_category_title(cat), header, rows, widths,
                                ("center", "left", "left", "center", *(("center",) if has_count else ()), "center")))
    sanction_clauses = [c for c in walk(policy) if "sanctions" in c.rule_keys]
    liability = (f"{SHORT}{cite_text(policy, sanction_clauses)}规定的责任" if sanction_clauses else "相应责任")
    pledge = Entry(f"本单位承诺：本表所填内容及所附材料真实、合法、有效；如有弄虚作假，自愿承担{liability}。",
                   sanction_clauses)
    return ApplicationForm(FORM_NAME, tables, pledge,
                           ["法定代表人（签字）：", "申报单位（盖章）：", "　　　　年　　月　　日"])
