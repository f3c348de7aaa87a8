"""What one import produced, in memory: the CLI writes it, tests inspect it."""

from __future__ import annotations

from dataclasses import dataclass

from compiler.importer.documents import Document
from compiler.importer.metadata import Meta
from compiler.importer.proposals import Proposal
from compiler.importer.read import Source
from compiler.importer.structure import Parsed


@dataclass
class ImportResult:
    """Everything an import produced, in memory (the CLI writes it; tests inspect it)."""

    source: Source
    document: Document
    parsed: Parsed
    meta: Meta
    policy_id: str
    version: str
    yaml_text: str
    live_yaml_text: str  # the same with every usable proposal uncommented
    proposals: dict[str, list[Proposal]]  # leaf address → proposals
    natures: dict[str, str]
    report: str = ""
