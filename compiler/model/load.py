"""Wires the stages: load → schema → model → expressions/checks. Stops between stages.

Each stage returns all of its diagnostics; the pipeline raises `PolicyError` with every error
of the first failing stage, so a drafter sees all problems of a file in one run.
"""

from __future__ import annotations

from pathlib import Path

from compiler.model import check as check_stage
from compiler.model import policy as model
from compiler.source import schema, yamlsrc
from compiler.source.diagnostics import Diagnostic, PolicyError
from compiler.source.files import display_path


def load_policy(path: Path) -> model.Policy:
    """Load, validate, build and check one policy file; raises PolicyError."""
    name = display_path(path)
    tree = yamlsrc.load_yaml(path, name)
    return policy_from_tree(tree, name)


def policy_from_tree(tree: object, name: str) -> model.Policy:
    valid = schema.validated(tree, name, "policy")
    policy, collector = model.build(valid, name)
    checked, diagnostics = check_stage.check(policy)
    collector.extend(diagnostics.items)
    collector.raise_if_any()
    return checked


def load_policies(paths: list[Path]) -> tuple[list[model.Policy], list[Diagnostic]]:
    """Load several policies, collecting the errors of every file rather than stopping."""
    policies: list[model.Policy] = []
    errors: list[Diagnostic] = []
    for path in paths:
        try:
            policies.append(load_policy(path))
        except PolicyError as exc:
            errors.extend(exc.diagnostics)
    return policies, errors
