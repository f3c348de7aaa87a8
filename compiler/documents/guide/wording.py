"""Rules read aloud: the Chinese a guide prints for an award's amount and for the conditions
of its rules (expressions of the policy, never re-typed by the drafter)."""

from __future__ import annotations

import re

from compiler.lang import ast
from compiler.lang.units import MONEY
from compiler.model.policy import Award, Policy, Tiers
from compiler.runtime import core as evalrt


def level_text(award: Award) -> str:
    """The 级别 column: the award's declared `level` (data, never guessed from its name)."""
    return award.level or "—"


def amount_text(policy: Policy, award: Award) -> str:
    """60万元; 20万元 × 项数 → 每项20万元; tiers → 按…分档; otherwise the formula as written;
    a non-monetary award (grant) → what is granted (颁发证书、奖牌)."""
    if award.grant is not None:
        return f"颁发{award.grant}"
    amount = award.amount
    if isinstance(amount, Tiers):
        bands = "；".join(f"{b.range_src}的，{_value_text(b.value.node)}" for b in amount.bands)
        other = f"；其他情形{_value_text(amount.otherwise.node)}" if amount.otherwise else ""
        return f"按{expr_text(policy, amount.of.node)}分档：{bands}{other}"
    node = amount.node
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


def names_in(node: ast.Node | None) -> list[str]:
    return [n.name for n in ast.names(node)] if node is not None else []


def amount_names(award: Award) -> set[str]:
    if isinstance(award.amount, Tiers):
        return set(names_in(award.amount.of.node))
    return set(names_in(award.amount.node))


def extra_condition(policy: Policy, award: Award) -> str | None:
    """The part of an award's `when` a reader must know: comparisons of the very count the
    amount multiplies (主导制定国家标准数 1项以上 for 每项20万元) go without saying."""
    if award.when is None:
        return None
    implied = amount_names(award)
    kept = [
        c for c in _conjuncts(award.when.node)
        if not (isinstance(c, ast.Compare) and set(names_in(c)) <= implied and names_in(c))
    ]
    return "，且".join(expr_text(policy, c) for c in kept) or None

