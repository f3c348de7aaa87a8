"""policyc batch: reading, the rules across applications, the result workbook, bad input."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import json
import zipfile
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from compiler.batch.allocate import allocate
from compiler.batch.columns import layout
from compiler.batch.evaluation import APPROVED, CARRIED, MERGED, PAID, REFUSED, Application, Claim
from compiler.batch.run import BatchResult, run_batch
from compiler.batch.tables import sheets
from compiler.batch.workbook import display_width, result_workbook
from compiler.cli import main
from compiler.model.load import load_policy
from compiler.model.policy import Policy
from tests.conftest import HAMI

AS_OF = dt.date(2026, 7, 1)
GOOD = {"在哈密市依法设立": "是", "单位类型": "企业", "符合产业政策": "是", "取得法定资质": "是", "列入失信名单": "否",
        "列入负面清单": "否", "已获得同类政策支持": "否", "与质量强市建设相关": "是", "存在其他违法违规情形": "否"}


@cache
def policy() -> Policy:
    return load_policy(HAMI)


def headers() -> list[str]:
    return [c.header for c in layout(policy()).columns]


def app(name: str, key: str, date: str, claims: str, **more: Any) -> dict[str, Any]:
    return {**GOOD, "单位名称": name, "统一社会信用代码": key, "申报日期": date, "申报资格": claims, **more}


def write_xlsx(path: Path, rows: list[dict[str, Any]], *, extra_sheet: bool = False, budget: Any = None,
               merge: str | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "申报汇总"
    hs = headers()
    ws.append(hs)
    for r in rows:
        ws.append([r.get(h) for h in hs])
    if merge:
        ws.merge_cells(merge)
    if extra_sheet:
        wb.create_sheet("草稿").append(["随手记"])
    if budget is not None:
        wb.create_sheet("年度预算")["B2"] = budget
    wb.save(path)
    return path


# The acceptance batch: overlapping qualifications (国家级 and 自治区级 of one group in two rows of one
# organisation), a duplicate (中国质量奖 twice), an exclusion (失信), and a budget (75万元) below the
# approved total (90万元).
ACCEPTANCE = [
    app("甲公司", "91650000000000001A", "2026-06-01", "国家级质量强链重点项目、中国质量奖"),
    app("甲公司", "91650000000000001A", "2026-06-03", "自治区级质量强链重点项目、中国质量奖"),
    app("乙公司", "91650000000000002B", "2026-06-02", "自治区政府质量奖", 列入失信名单="是"),
    app("丙公司", "91650000000000003C", "2026-06-02", "CNAS实验室认可"),
]


def run(tmp_path: Path, rows: list[dict[str, Any]], budget: str | None, *args: str, **kw: Any) -> tuple[int, Path]:
    src = write_xlsx(tmp_path / "申报.xlsx", rows, **kw)
    out = tmp_path / "结果.xlsx"
    argv = ["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "-o", str(out), *args]
    if budget:
        argv += ["--budget", budget]
    return main(argv), out


def sheet_rows(path: Path, name: str) -> list[tuple[Any, ...]]:
    wb = load_workbook(path, read_only=True)
    rows = [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    wb.close()
    return rows


def test_acceptance_detail_and_carried(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run(tmp_path, ACCEPTANCE, "75万元")
    assert code == 0
    detail = sheet_rows(out, "明细")
    assert detail[0][:9] == ("序号", "工作表", "行号", "单位名称", "统一社会信用代码", "奖励事项", "所在条款", "决定", "金额（元）")
    got = [(r[2], r[5], r[7], r[8], r[10]) for r in detail[1:]]
    assert got == [
        (2, "国家级质量强链重点项目", "核拨", 200000, "第十条第（一）项"),
        (2, "中国质量奖", "结转下年度", 600000, "第二十条第（一）项"),
        (3, "自治区级质量强链重点项目", "不重复核拨", None, "第二十条第（二）项"),
        (3, "中国质量奖", "不重复核拨", None, "第二十条第（二）项"),
        (4, "自治区政府质量奖", "不予奖励", None, "第十七条第（二）项"),
        (5, "CNAS实验室认可", "结转下年度", 100000, "第二十条第（一）项"),  # carry_rest: after the shortfall
    ]
    reasons = {(r[2], r[5]): (r[9], r[11]) for r in detail[1:]}
    assert "重复申报" in reasons[(3, "中国质量奖")][0]
    assert "就高不就低" in reasons[(3, "自治区级质量强链重点项目")][0]
    assert reasons[(4, "自治区政府质量奖")][1] == ("如不存在「未取得法定资质或许可，或被列入失信名单、负面清单」的情形"
                                                   "（第十七条第（二）项），可获奖励30万元")
    assert reasons[(2, "中国质量奖")][1].startswith("预算不足，结转至2027年度（第二十条第（一）项）")
    carried = sheet_rows(out, "结转下年度")
    assert [(r[1], r[3], r[4]) for r in carried[1:]] == [("甲公司", "中国质量奖", 600000), ("丙公司", "CNAS实验室认可", 100000)]
    public = sheet_rows(out, "公示名单")
    assert public == [("序号", "单位名称", "奖励事项", "奖励金额（元）"), (1, "甲公司", "国家级质量强链重点项目", 200000)]
    summary = {r[0]: r[1] for r in sheet_rows(out, "汇总") if len(r) > 1 and r[0]}
    assert (summary["年度预算"], summary["本年度拨付"], summary["结转下年度"]) == (750000, 200000, 700000)
    assert "按申报日期先后" in summary["拨付顺序（用完即止）"]
    assert "不部分拨付" in summary["预算不足时"]
    assert "本年度拨付 20万元" in capsys.readouterr().out


def test_the_smaller_later_award_is_paid_when_the_policy_says_so(tmp_path: Path) -> None:
    """batch.shortfall is the policy's choice: pay_smaller pays 丙's 10万元 after 甲's 60万元 did not fit."""
    result = _result(tmp_path, ACCEPTANCE, Decimal(750000))
    assert (result.allocation.paid, result.allocation.carried) == (Decimal(200000), Decimal(700000))
    assert policy().batch is not None
    smaller = dataclasses.replace(policy(), batch=dataclasses.replace(policy().batch, shortfall="pay_smaller"))
    result = _result(tmp_path, ACCEPTANCE, Decimal(750000), smaller)
    assert (result.allocation.paid, result.allocation.carried) == (Decimal(300000), Decimal(600000))
    assert "仍在剩余预算内的事项继续核拨" in result.allocation.shortfall_text


def _result(tmp_path: Path, rows: list[dict[str, Any]], budget: Decimal | None, pol: Policy | None = None) -> BatchResult:
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    return run_batch(pol or policy(), HAMI, src, AS_OF, budget)


def test_a_lower_level_paid_says_what_the_higher_level_would_give(tmp_path: Path) -> None:
    result = _result(tmp_path, [app("丁公司", "91650000000000004D", "2026-06-01", "自治区级质量强链重点项目")], None)
    assert [c.status for c in result.claims] == [PAID]
    assert [result.change(i) for i in range(len(result.claims))] == ["如取得国家级认定（「国家级质量强链重点项目」，第十条第（一）项），可获奖励20万元"]


def test_output_bytes_are_deterministic(tmp_path: Path) -> None:
    _, first = run(tmp_path, ACCEPTANCE, "75万元")
    a = first.read_bytes()
    _, second = run(tmp_path, ACCEPTANCE, "75万元")
    assert second.read_bytes() == a
    with zipfile.ZipFile(first) as z:
        assert {i.date_time for i in z.infolist()} == {(2026, 7, 1, 0, 0, 0)}
        core = z.read("docProps/core.xml").decode()
        assert "2026-07-01T00:00:00Z</dcterms:created>" in core and "2026-07-01T00:00:00Z</dcterms:modified>" in core


def test_frozen_header_widths_and_chart(tmp_path: Path) -> None:
    _, out = run(tmp_path, ACCEPTANCE, "75万元")
    wb = load_workbook(out)
    assert all(ws.freeze_panes == "A2" for ws in wb)
    detail = wb["明细"]
    width = detail.column_dimensions["J"].width  # 理由: the longest Chinese reason fits (capped at 60)
    longest = max(display_width(str(c.value or "")) for c in detail["J"])
    assert width == min(longest + 2, 60)
    assert display_width("中国a") == 5
    with zipfile.ZipFile(out) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert charts and b"barChart" in z.read(charts[0])


def test_text_that_looks_like_a_formula_is_written_as_text(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    hs = headers()
    rows = [app(name, f"9165000000000000{i}X", "2026-06-01", "CNAS实验室认可")
            for i, name in enumerate(["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)"])]
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(hs)
        w.writerows([[r.get(h, "") for h in hs] for r in rows])
    out = tmp_path / "out.xlsx"
    assert main(["batch", str(HAMI), str(src), "--as-of", "2026-07-01", "-o", str(out)]) == 0
    names = [r[1] for r in sheet_rows(out, "公示名单")[1:]]
    assert names == ["=HYPERLINK(\"http://x\")", "+1", "-1", "@SUM(A1)"]
    with zipfile.ZipFile(out) as z:
        assert all(b"<f>" not in z.read(n) and b"<f " not in z.read(n)
                   for n in z.namelist() if n.startswith("xl/worksheets/"))


def test_bad_input_is_located_and_good_rows_still_evaluated(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = [
        app("好公司", "91650000000000009Z", "2026-06-01", "CNAS实验室认可"),
        app("缺失公司", "91650000000000008Y", "2026-06-01", "CNAS实验室认可", 符合产业政策=None),
        app("枚举公司", "91650000000000007X", "2026-06-01", "CNAS实验室认可", 单位类型="外星机构"),
        app("日期公司", "91650000000000006W", 45000, "CNAS实验室认可"),
        app("公式公司", "91650000000000005V", "2026-06-01", "CNAS实验室认可", 主导制定国家标准数="=1+1"),
        app("合并公司", "91650000000000004U", "2026-06-01", "CNAS实验室认可"),
        app("合并公司二", "91650000000000003T", "2026-06-01", "CNAS实验室认可"),
    ]
    src = write_xlsx(tmp_path / "in.xlsx", rows, extra_sheet=True, merge="E7:E8")
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    out = tmp_path / "out.xlsx"
    code = main(["batch", str(HAMI), str(src), "--as-of", "2026-07-01", "-o", str(out), "--format", "json"])
    assert code == 1
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before  # the input is never modified
    report = json.loads(capsys.readouterr().out)
    assert report["format"] == "policyc-batch/1"
    where = {(p["sheet"], p["cell"]): p["reason"] for p in report["problems"]}
    assert "必填" in where[("申报汇总", "U3")]
    assert "「外星机构」不是可选的取值" in where[("申报汇总", "E4")]
    assert "日期列中填了数字「45000」" in where[("申报汇总", "C5")]
    assert "公式" in where[("申报汇总", "H6")]
    assert "合并单元格（E7:E8）" in where[("申报汇总", "E7")] and ("申报汇总", "E8") in where
    assert "多余的工作表「草稿」" in where[("草稿", "")]
    decisions = [(c["row"], c["decision"]) for c in report["claims"]]
    assert decisions == [(2, "paid"), (3, "bad_input"), (4, "bad_input"), (5, "bad_input"), (6, "bad_input"),
                         (7, "bad_input"), (8, "bad_input")]
    detail = sheet_rows(out, "明细")
    assert [r[7] for r in detail[1:]] == ["核拨", *["输入有误（未评价）"] * 6]  # marked, not dropped
    assert ("申报汇总", "E4", 4) in {r[:3] for r in sheet_rows(out, "输入问题")}


def test_gbk_csv_is_read(tmp_path: Path) -> None:
    src = tmp_path / "gbk.csv"
    hs = headers()
    rows = [app("哈密市某某有限公司", "91650000000000001A", "2026-06-01", "CNAS实验室认可")]
    with src.open("w", encoding="gbk", newline="") as f:
        w = csv.writer(f)
        w.writerow(hs)
        w.writerows([[r.get(h, "") for h in hs] for r in rows])
    result = run_batch(policy(), HAMI, src, AS_OF, None)
    assert result.encoding == "gb18030" and not result.failed
    assert result.apps[0].name == "哈密市某某有限公司" and [c.status for c in result.claims] == [PAID]
    bom = tmp_path / "bom.csv"
    bom.write_bytes(src.read_bytes().decode("gbk").encode("utf-8-sig"))
    assert run_batch(policy(), HAMI, bom, AS_OF, None).apps[0].name == "哈密市某某有限公司"


def test_an_empty_file_is_reported(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    out = tmp_path / "out.xlsx"
    assert main(["batch", str(HAMI), str(empty), "--as-of", "2026-07-01", "-o", str(out)]) == 1
    assert any("文件为空" in r[3] for r in sheet_rows(out, "输入问题")[1:])


def test_template_and_its_round_trip(tmp_path: Path) -> None:
    tpl = tmp_path / "申报汇总表.xlsx"
    assert main(["batch", str(HAMI), "--template", "-o", str(tpl)]) == 0
    again = tmp_path / "again.xlsx"
    assert main(["batch", str(HAMI), "--template", "-o", str(again)]) == 0
    assert again.read_bytes() == tpl.read_bytes()
    wb = load_workbook(tpl)
    ws = wb["申报汇总"]
    assert [c.value for c in ws[1]] == headers()
    assert str(ws["A2"].value).startswith("【填写说明】必填")
    assert ws.freeze_panes == "B3"
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation
             if dv.type == "list"}
    assert lists["E"] == '"行政机关,事业单位,社会组织,科研机构,企业,其他"' and lists["D"] == '"是,否"'
    assert "年度预算" in wb.sheetnames
    # filled in (the notes row kept), with the budget in its cell
    for j, v in enumerate([app("甲公司", "91650000000000001A", "2026-06-01", "中国质量奖").get(h) for h in headers()], 1):
        ws.cell(row=3, column=j, value=v)
    wb["年度预算"]["B2"] = 500000
    wb.save(tpl)
    result = run_batch(policy(), HAMI, tpl, AS_OF, None)
    assert not result.failed and len(result.apps) == 1
    assert result.allocation.budget == Decimal(500000) and result.budget_source == "输入文件 年度预算!B2"
    assert [c.status for c in result.claims] == [CARRIED]


def test_html_report_has_the_same_content(tmp_path: Path) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", ACCEPTANCE)
    out = tmp_path / "out.html"
    assert main(["batch", str(HAMI), str(src), "--as-of", "2026-07-01", "--budget", "75万元", "-o", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    for text in ("<h2>汇总</h2>", "<h2>明细</h2>", "<h2>结转下年度</h2>", "<h2>公示名单</h2>", "结转至2027年度", "class=\"paid\""):
        assert text in html


def test_a_policy_without_batch_is_refused(tmp_path: Path) -> None:
    draft = HAMI.parent / "draft.yaml"
    src = write_xlsx(tmp_path / "in.xlsx", ACCEPTANCE)
    assert main(["batch", str(draft), str(src), "-o", str(tmp_path / "o.xlsx")]) == 1
    assert main(["batch", str(HAMI), str(src)]) == 2  # no -o


# -- property: the budget is never exceeded and nothing approved is lost ------------------------
@st.composite
def batches(draw: st.DrawFn) -> tuple[list[Application], list[Claim], Decimal, str, tuple[str, ...]]:
    n_awards = len(policy().awards)
    apps: list[Application] = []
    claims: list[Claim] = []
    for seq in range(draw(st.integers(0, 12))):
        day = dt.date(2026, 6, 1) + dt.timedelta(days=draw(st.integers(0, 30)))
        apps.append(Application(seq, "申报汇总", seq + 2, f"K{draw(st.integers(0, 4))}", f"单位{seq}", day))
        for award in sorted(set(draw(st.lists(st.integers(0, n_awards - 1), max_size=4)))):
            amount = Decimal(draw(st.integers(0, 800000))) / 100 * 100
            status = draw(st.sampled_from([APPROVED, APPROVED, REFUSED]))
            claims.append(Claim(seq, award, amount if status == APPROVED else None, status))
    budget = Decimal(draw(st.integers(0, 3000000)))
    shortfall = draw(st.sampled_from(["carry_rest", "pay_smaller"]))
    order = tuple(draw(st.permutations(["application_time", "article", "amount_desc", "amount_asc", "row"]))[:2])
    return apps, claims, budget, shortfall, order


@settings(max_examples=200, deadline=None)
@given(batches())
def test_allocation_never_exceeds_the_budget(batch: tuple[list[Application], list[Claim], Decimal, str, tuple[str, ...]]) -> None:
    apps, claims, budget, shortfall, order = batch
    base = policy()
    assert base.batch is not None
    pol = dataclasses.replace(base, batch=dataclasses.replace(base.batch, shortfall=shortfall, order=order))
    al = allocate(pol, apps, claims, budget, AS_OF)
    paid = sum((c.amount for c in claims if c.status == PAID and c.amount is not None), Decimal(0))
    carried = sum((c.amount for c in claims if c.status == CARRIED and c.amount is not None), Decimal(0))
    assert al.paid == paid <= budget
    assert al.carried == carried
    assert al.paid + al.carried == al.approved
    assert all(c.status != APPROVED for c in claims)
    # one organisation is paid at most once per 资格认定 (group, qualification or award)
    from compiler.batch.allocate import qualification_key

    seen = set()
    for c in claims:
        if c.status in (PAID, CARRIED):
            key = (apps[c.app].key, qualification_key(pol.awards[c.award]))
            assert key not in seen
            seen.add(key)
    assert all(c.other is not None for c in claims if c.status == MERGED)


def test_amounts_are_exact_decimals_in_the_workbook(tmp_path: Path) -> None:
    result = _result(tmp_path, [app("甲公司", "91650000000000001A", "2026-06-01", "", 主导制定地方标准数=3)], None)
    assert [c.amount for c in result.claims] == [Decimal(150000)]
    data = result_workbook(sheets(result), AS_OF)
    out = tmp_path / "r.xlsx"
    out.write_bytes(data)
    with zipfile.ZipFile(out) as z:
        sheet = z.read("xl/worksheets/sheet4.xml").decode()  # 公示名单
    assert "<v>150000</v>" in sheet


_WIDTH_CHARS = [chr(c) for c in [*range(32, 127), *range(0x2010, 0x2030), *range(0x3000, 0x3040), *range(0x3400, 0x3410),
                                 *range(0x4DB0, 0x4E10), *range(0x9FF0, 0xA010), *range(0xFF00, 0xFFF0), 0xE9, 0x1F600]]


@given(st.text(st.sampled_from(_WIDTH_CHARS), max_size=12))
def test_the_fast_width_is_the_display_width(text: str) -> None:
    from compiler.batch.workbook import _fast_width

    assert _fast_width(text) == display_width(text)


def test_a_sheet_that_starts_in_column_b_is_located_right(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "申报汇总"
    hs = headers()
    row = app("甲公司", "91650000000000001A", "2026-06-01", "CNAS实验室认可", 单位类型="外星机构")
    for j, h in enumerate(hs, start=2):
        ws.cell(row=1, column=j, value=h)
        ws.cell(row=2, column=j, value=row.get(h))
    src = tmp_path / "b.xlsx"
    wb.save(src)
    result = run_batch(policy(), HAMI, src, AS_OF, None)
    assert [(p.cell, p.reason[:6]) for p in result.apps[0].problems] == [("F2", "「单位类型」")]


def test_claims_as_rows_of_the_claims_sheet(tmp_path: Path) -> None:
    """batch.claims_sheet: 申报事项 rows keyed by 统一社会信用代码 add to the organisation's first row;
    a bad item is located in that sheet; a key with no application is reported."""
    rows = [app("甲公司", "91650000000000001A", "2026-06-01", "中国质量奖"),
            app("乙公司", "91650000000000002B", "2026-06-01", "")]
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    wb = load_workbook(src)
    ws = wb.create_sheet("申报事项")
    ws.append(["统一社会信用代码", "单位名称", "申报资格"])
    ws.append(["【填写说明】必填", "", ""])
    ws.append(["91650000000000001a", "甲公司", "CNAS实验室认可"])  # compared upper-case
    ws.append(["91650000000000002B", "乙公司", "国家级检验检测平台"])
    ws.append(["91650000000000002B", "乙公司", "自治区级检验检测平台"])  # same group: 就高不就低 in the row
    ws.append(["91650000000000009Z", "无名公司", "CNAS实验室认可"])
    wb.save(src)
    result = run_batch(policy(), HAMI, src, AS_OF, None)
    awards = policy().awards
    got = [(result.apps[c.app].name, awards[c.award].name, c.status) for c in result.claims]
    assert got == [("甲公司", "中国质量奖", PAID), ("甲公司", "CNAS实验室认可", PAID),
                   ("乙公司", "国家级检验检测平台", PAID), ("乙公司", "自治区级检验检测平台、质量标准实验室", REFUSED)]
    assert [(p.sheet, p.cell) for p in result.problems] == [("申报事项", "C6")]
    ws = wb["申报事项"]
    ws["C4"] = "火星奖"
    wb.save(src)
    result = run_batch(policy(), HAMI, src, AS_OF, None)
    assert [(p.sheet, p.cell, p.reason[:6]) for a in result.bad_apps for p in a.problems] == [("申报事项", "C4", "「申报资格」")]


def test_budget_simulation_two_budgets_and_two_versions(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_xlsx(tmp_path / "in.xlsx", ACCEPTANCE)
    out = tmp_path / "sim.xlsx"
    argv = ["batch", str(HAMI), str(src), "--as-of", "2026-07-01", "--budget", "75万元", "-o", str(out), "--format", "json"]
    assert main([*argv, "--compare-budget", "100万元"]) == 0
    report = json.loads(capsys.readouterr().out)["comparison"]
    assert (report["a"]["paid"], report["b"]["paid"], report["b"]["carried"]) == ("200000", "900000", "0")
    assert [(r["name"], r["paid_a"], r["paid_b"]) for r in report["affected"]] == [
        ("甲公司", "200000", "800000"), ("丙公司", "0", "100000")]
    assert "「中国质量奖」结转下年度60万元→核拨60万元" in report["affected"][0]["changes"]
    sheet = sheet_rows(out, "预算模拟")
    assert sheet[1][:3] == ("情景", "final版，年度预算75万元", "final版，年度预算100万元")
    draft = HAMI.parent / "draft.yaml"
    assert main([*argv, "--compare", str(draft)]) == 0
    report = json.loads(capsys.readouterr().out)["comparison"]
    assert report["borrowed_batch"] is True and report["b"]["label"].startswith("draft版")


def test_progress_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from compiler.batch.command import _Progress

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stderr", io.StringIO())
    with _Progress(True) as tick:
        assert tick is None  # not a terminal: quiet
    tty = Tty()
    monkeypatch.setattr("sys.stderr", tty)
    with _Progress(True) as tick:
        assert tick is not None
        tick(500)
    with _Progress(False) as tick:  # --format json: never
        assert tick is None


def test_a_missing_column_and_a_file_that_is_not_excel(tmp_path: Path) -> None:
    rows = [app("甲公司", "91650000000000001A", "2026-06-01", "CNAS实验室认可")]
    src = write_xlsx(tmp_path / "in.xlsx", rows)
    wb = load_workbook(src)
    ws = wb["申报汇总"]
    ws.delete_cols(headers().index("符合产业政策") + 1)
    wb.save(src)
    result = run_batch(policy(), HAMI, src, AS_OF, None)
    assert [(p.cell, p.reason) for p in result.problems] == [("A1", "表头缺少必填列「符合产业政策」")]
    assert [(p.cell, p.reason) for p in result.apps[0].problems] == [("A2", "「符合产业政策」必填，不能为空，但申报表缺少这一列")]
    fake = tmp_path / "fake.xlsx"
    fake.write_text("不是表格", encoding="utf-8")
    out = tmp_path / "out.xlsx"
    assert main(["batch", str(HAMI), str(fake), "--as-of", "2026-07-01", "-o", str(out)]) == 1
    assert any("不是有效的 Excel 文件" in r[3] for r in sheet_rows(out, "输入问题")[1:])


def test_output_bytes_are_the_same_across_processes(tmp_path: Path) -> None:
    """Two processes with different hash seeds and clocks write the same bytes (the document's
    modified date is openpyxl's clock unless fixed)."""
    import os
    import subprocess
    import sys
    import time

    src = write_xlsx(tmp_path / "in.xlsx", ACCEPTANCE)
    outs = []
    for seed in ("1", "2"):
        out = tmp_path / f"out{seed}.xlsx"
        env = {**os.environ, "PYTHONHASHSEED": seed}
        subprocess.run([sys.executable, "-m", "compiler", "batch", str(HAMI), str(src), "--as-of", "2026-07-01",
                        "--budget", "75万元", "-o", str(out), "-o", str(out.with_suffix(".html"))],
                       check=True, capture_output=True, env=env)
        outs.append(out)
        time.sleep(1.1)  # a second later: a clock-dated field would differ
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert outs[0].with_suffix(".html").read_bytes() == outs[1].with_suffix(".html").read_bytes()


def test_a_control_character_in_a_cell_is_located_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Found by fuzzing: a \\x1f in a CSV cell crashed writing the result workbook (openpyxl's
    IllegalCharacterError → exit 3). Now the cell is reported and the result is still written."""
    rows = [app("甲\x1f公司", "91650000000000001A", "2026-06-01", "中国质量奖"),
            app("丙公司", "91650000000000003C", "2026-06-02", "CNAS实验室认可")]
    src = tmp_path / "申报.csv"
    with src.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(headers())
        for r in rows:
            w.writerow([r.get(h) for h in headers()])
    out = tmp_path / "结果.xlsx"
    code = main(["batch", str(HAMI), str(src), "--as-of", AS_OF.isoformat(), "-o", str(out)])
    captured = capsys.readouterr()
    assert code == 1 and "内部错误" not in captured.err
    assert "控制字符（U+001F）" in captured.out + captured.err
    assert out.exists() and any("丙公司" in str(r) for r in sheet_rows(out, "明细"))
