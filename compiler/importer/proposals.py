"""Guesses for a human to confirm: the `nature` of each leaf clause (by keywords) and award rules
proposed from the amounts a clause states; both are written as placeholders or YAML comments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compiler.lang import numbering

NATURE_RULES = (
    ("definitional", re.compile(r"所称|是指|本办法中的|本实施办法所称")),
    ("organisational", re.compile(r"职责|负责|牵头|会同|配合")),
    ("procedural", re.compile(r"申报|公示|审核|审查|提交|报送|报请|审批|评审|备案|受理|流程|程序|发布")),
    ("discretionary", re.compile(r"可以|可根据|可参照|可由|可委托|原则上|适时|酌情")),
)


def guess_nature(text: str, lead: str) -> str:
    """A keyword guess at a leaf's nature, for a human to confirm (docs/import.md)."""
    for nature, pattern in NATURE_RULES:
        if pattern.search(text) or (nature == "organisational" and pattern.search(lead)):
            return nature
    return "declaratory"


_AWARD_VERB = re.compile(r"给予|奖励|补贴|补助|资助|贴息|奖补")
_MONEY = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(亿元|万元|元)(?!\s*[/／])(?!\s*(?:以上|以下|以内|标准|）|\)))")
_RATE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*元\s*[/／]\s*(吨|公斤|千克|千瓦时|度)(?!\s*[/／])")
_PERCENT = re.compile(r"(?<![\d.])(?<!超过)(?<!达到)(?<!低于)(?<!上浮)(?<!使用率)(\d+(?:\.\d+)?)\s*[%％](?!\s*(?:以上|以下|以内))")
_CAP = re.compile(r"最高(?:补贴|奖励|资助)?(?:金额)?(?:不超过)?\s*(\d+(?:\.\d+)?)\s*(亿元|万元|元)")
_BASE = re.compile(r"按(?:照)?(?:企业)?([^\W\d]{2,16}?)的\s*(\d+(?:\.\d+)?)\s*[%％]")
_ANY_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:亿元|万元|元)(?:\s*[/／]\s*[^\d\W]{1,3})*")
_ORDINALS = "甲乙丙丁戊己庚辛壬癸"


@dataclass
class Proposal:
    """A machine rule proposed from the wording of one clause; written commented out."""

    id: str
    name: str
    amount: str
    quote: str
    first_time: bool = False
    one_time: bool = False
    facts: list[tuple[str, str, str]] = field(default_factory=list)  # (name, unit, label)
    usable: bool = True  # False once the checker rejected it: then only a note is written


def _ordinal(n: int) -> str:
    """甲, 乙, … 癸, 甲二, 乙二 …: fact names cannot contain digits (compiler/lang/grammar.lark)."""
    return _ORDINALS[n % 10] + (numbering.zh_number(n // 10 + 1) if n >= 10 else "")


def _near_verb(part: str, start: int, end: int) -> bool:
    """An amount is an award when a verb (给予, 奖励, 补贴 …) stands close to it: "给予20万元奖励",
    "奖励5万元"; "资金规模不低于300万元" is not."""
    return bool(_AWARD_VERB.search(part[max(0, start - 8) : end + 6]))


def propose(text: str, title: str, rule_id: str, counter: list[int]) -> list[Proposal]:
    """Award proposals for the amounts a clause states (X万元, X元/吨, X%, 最高不超过X万元).

    Each is a draft: its name is the condition the text gives ("首次获得中国质量奖的，给予…" →
    首次获得中国质量奖), its amount the literal amount, or a formula over a fact whose name is the
    base the text names (按企业实际投资额的40% → 实际投资额) or a placeholder (计算基数甲)."""
    out: list[Proposal] = []
    qty_facts: dict[str, str] = {}  # unit → fact name, shared by the proposals of this clause
    for part in re.split(r"(?<=[；;。])", text):
        part = part.strip()
        if not part:
            continue
        cap_m = _CAP.search(part)
        cap = f"{cap_m.group(1)}{cap_m.group(2)}" if cap_m else None
        cond = re.split(r"的[，,]", part, maxsplit=1)[0] if re.search(r"的[，,]", part) else ""
        cond = re.sub(r"^(?:对|凡)", "", cond).strip()
        if not cond or len(cond) > 40:
            cond = title or (part[:30] + "…" if len(part) > 30 else part.rstrip("。；;"))
        first_time, one_time = "首次" in part, "一次性" in part

        def add(amount: str, facts: list[tuple[str, str, str]], cond: str = cond, part: str = part,
                first_time: bool = first_time, one_time: bool = one_time) -> None:
            names = [p.name for p in out]
            name = cond if cond not in names else f"{cond}（{numbering.zh_number(len(out) + 1)}）"
            out.append(Proposal(f"{rule_id}-{len(out) + 1}", name, amount, part, first_time, one_time, facts))

        rates = list(_RATE.finditer(part))
        percents = [p for p in _PERCENT.finditer(part) if _AWARD_VERB.search(part)]
        moneys = [m for m in _MONEY.finditer(part)
                  if _near_verb(part, m.start(), m.end()) and not (cap_m and cap_m.start(1) <= m.start(1) < cap_m.end())]
        if rates:
            for r in rates:
                unit = r.group(2)
                if unit not in qty_facts:
                    counter[0] += 1
                    qty_facts[unit] = f"数量{_ordinal(counter[0] - 1)}"
                qty = qty_facts[unit]
                add(f"{qty} × {r.group(1)}元/{unit}", [(qty, unit, f"待确认（自动提取）：「{cond}」的数量（{unit}）")])
        elif percents:
            for p in percents:
                base_m = _BASE.search(part)
                if base_m and base_m.group(2) == p.group(1):
                    base = base_m.group(1)
                else:
                    counter[0] += 1
                    base = f"计算基数{_ordinal(counter[0] - 1)}"
                amount = f"{base} × {p.group(1)}%"
                add(f"min({amount}, {cap})" if cap else amount,
                    [(base, "元", f"待确认（自动提取）：计算「{cond}」的基数")])
        elif moneys:
            for m in moneys:
                add(f"{m.group(1)}{m.group(2)}", [])
        elif cap and _AWARD_VERB.search(part):
            add(cap, [])
        elif _AWARD_VERB.search(part) and (other := _ANY_AMOUNT.search(part)):
            # An amount the patterns above cannot turn into a rule (0.43元/公斤/年): flag it only.
            add(other.group(0), [])
            out[-1].usable = False
    return out


def flag_table_amounts(text: str, rule_id: str) -> list[Proposal]:
    """A table row that states amounts (科技进步奖⇥一等奖⇥10万元) has no sentence to read a rule
    from: each amount is flagged for manual encoding, under the row's first cells as its name."""
    cells = [c for c in re.split(r"\t|\s*[|｜]\s*|[ \u3000]{2,}", text.strip()) if c]
    name = "".join(c for c in cells if not _ANY_AMOUNT.search(c))[:30] or text.strip()[:30]
    out: list[Proposal] = []
    for m in _ANY_AMOUNT.finditer(text):
        out.append(Proposal(f"{rule_id}-{len(out) + 1}", name, m.group(0), text.strip(), usable=False))
    return out
