"""The year parameters of a guide (policies/<id>/guides/<year>.yaml): loaded and checked on their
own, before anything is derived from the policy (format: docs/guides.md)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from compiler.lang.units import MONEY, parse_unit
from compiler.runtime import core as evalrt
from compiler.source.diagnostics import Collector, Diagnostic, PolicyError, Span
from compiler.source.files import display_path
from compiler.source.schema import load_document
from compiler.source.yamlsrc import YList, YMap, locate

GUIDES_DIR = "guides"


@dataclass
class Contact:
    office: str
    person: str | None = None  # required by the schema: a notice names whom to ask
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
    hours: str  # office hours of the 受理 place
    contacts: list[Contact]
    schedule: YList
    examples: YList
    qualifying: Qualifying | None  # required for award kinds; checked against the policy in derive
    materials: list[str]  # general materials this year asks for (the 办法 lists none)
    release: str  # 附注 below the 成文日期: 此件公开发布

    def span(self, *path: str | int, key: bool = False) -> Span | None:
        return locate(self.tree, list(path), key=key) or self.tree.span


@dataclass
class Qualifying:
    """When an award must have been obtained to count in this year's round (资格取得期间)."""

    start: dt.date
    end: dt.date
    before_effect: bool  # the drafter accepts awards obtained before the 办法 took effect


def parse_day(value: Any) -> dt.date:
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
    keys = [("published",), ("window", "from"), ("window", "to")]
    if "qualifying" in tree:
        keys += [("qualifying", "from"), ("qualifying", "to")]
    for key in keys:
        node: Any = tree
        for k in key:
            node = node[k]
        try:
            dates[key] = parse_day(node)
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
    qualifying = None
    if "qualifying" in tree:
        q = tree["qualifying"]
        qualifying = Qualifying(dates[("qualifying", "from")], dates[("qualifying", "to")],
                                bool(q.get("before_effect", False)))
        if qualifying.end < qualifying.start:
            errors.error(
                "E612", f"资格取得期间的结束日期 {evalrt.zh_date(qualifying.end)} 早于开始日期 "
                f"{evalrt.zh_date(qualifying.start)}", locate(tree, ["qualifying", "to"]),
            )  # fmt: skip
        elif qualifying.end > end:
            errors.error(
                "E623", f"资格取得期间截至 {evalrt.zh_date(qualifying.end)}，晚于申报截止日期 {evalrt.zh_date(end)}",
                locate(tree, ["qualifying", "to"]), hint="申报的奖励事项应在申报截止之前已经取得",
            )  # fmt: skip
    seen: dict[str, int] = {}
    for i, material in enumerate(tree.get("materials") or []):
        if str(material) in seen:
            errors.error("E626", f"基本材料「{material}」重复列出（第{seen[str(material)] + 1}项已有）",
                         locate(tree, ["materials", i]), hint="每项材料只写一次")
        seen.setdefault(str(material), i)
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
        str(tree["submission"]["place"]), str(tree["submission"]["method"]),
        str(tree["submission"]["hours"]), contacts,
        tree.get("schedule") or YList(), tree.get("examples") or YList(), qualifying,
        [str(m) for m in tree.get("materials") or []], str(tree.get("release", "此件公开发布")),
    )  # fmt: skip


def year_file(policy_path: Path, year: int) -> Path:
    return policy_path.parent / GUIDES_DIR / f"{year}.yaml"


def guide_years(policy_path: Path) -> list[int]:
    directory = policy_path.parent / GUIDES_DIR
    if not directory.is_dir():
        return []
    return sorted(int(p.stem) for p in directory.glob("*.yaml") if p.stem.isdigit())
