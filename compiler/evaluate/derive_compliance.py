"""What both engines derive from a compliance regime: the field that names a record in a
finding (its first text field: 批次号, 季度), and each violation's citation, text and the clause
whose sanctions it falls under."""

from __future__ import annotations

from compiler.model.compliance import Compliance
from compiler.model.policy import Policy


def is_compliance(policy: Policy) -> bool:
    """Whether a policy is a compliance regime (evaluated by `inspect`)."""
    return policy.compliance is not None


def record_keys(policy: Policy) -> dict[str, str | None]:
    return {k: next((n for n, f in r.fields.items() if f.type == "text"), None) for k, r in policy.records.items()}


def violations(c: Compliance) -> dict[str, tuple[str, str, str]]:
    return {a: (v.cite, v.text, v.parent) for a, v in c.violations.items()}
