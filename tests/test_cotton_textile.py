"""The cotton/textile measures (新政办发〔2024〕16号) as a computing policy: citations name the
measures as the document numbers them, the coverage report covers computed values, and the draft
cases (final.cases.yaml, run by test_policy_cases on both engines) are hand-calculated."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from compiler.documents.reports import coverage
from compiler.evaluate.interpret_computation import ComputingInterpreter
from compiler.model.load import load_policy

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "policies" / "xj-cotton-textile" / "final.yaml"


class _Loader(yaml.SafeLoader):
    """Numbers with a fraction stay exact (Decimal), as money must."""


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    return Decimal(str(loader.construct_scalar(node)))


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)


@pytest.fixture(scope="module")
def interpreter() -> ComputingInterpreter:
    return ComputingInterpreter(load_policy(POLICY))


def test_measures_are_cited_as_numbered_not_as_articles() -> None:
    policy = load_policy(POLICY)
    cites = {a: policy.clauses[a].cite for a in ("a1", "a6.i1", "a11.i4", "a12", "a13.p1", "a13.p3")}
    assert cites == {"a1": "一", "a6.i1": "六（一）", "a11.i4": "十一（四）", "a12": "十二",
                     "a13.p1": "十三第一段", "a13.p3": "十三第三段"}
    outpatient = load_policy(ROOT / "policies" / "xj-outpatient-mutual-aid" / "final.yaml")
    assert outpatient.clauses["a14.p2"].cite == "第十四条第二款"


def test_every_clause_is_encoded_or_marked() -> None:
    cov = coverage(load_policy(POLICY))
    assert cov["counts"].get("missing", 0) == 0
    assert {r["cite"]: r["status"] for r in cov["clauses"]}["六（一）"] == "encoded"


def test_a_condition_reads_a_parameter_its_payment_does_not(interpreter: ComputingInterpreter) -> None:
    facts = {"企业所在地区": "南疆地区", "纺织服装生产企业": True, "在新疆境内依法登记注册并纳税": True,
             "在自治区备案并独立核算": True, "正式在册职工人数": 100}
    row = {"统计期末日": "2024-12-31", "实际印染废水排放量": 100, "水重复利用率": 45, "废水和盐排放达标": True,
           "印染产品疆内使用率": 50}
    low = {**row, "水重复利用率": "44.99"}
    result = interpreter.settle(facts, {"印染废水": [row, low]}, None, dt.date(2024, 12, 31))
    assert result["payments"]["印染专项补贴"] == "300"
    refused = result["records"]["印染废水"][1]["refused"]
    assert [(r["condition"], r["cite"]) for r in refused] == [("dyeing-water-conditions", "十一（三）")]
