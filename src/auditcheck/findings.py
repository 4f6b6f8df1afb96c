"""Findings: what a rule concluded about a fact, located and worded."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from auditcheck.locate import PathKey, dotted


def fingerprint(rule: str, record: str, path: PathKey) -> str:
    """Stable identity of a finding: rule + record + field path, never the line number."""
    return hashlib.sha256(f"{rule}\x1f{record}\x1f{dotted(path)}".encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Finding:
    """One problem found on one fact of one record."""

    rule: str
    category: str
    dimension: str
    severity: str
    record: str
    project: str
    file: str
    line: int
    col: int
    field: str
    message: str
    suggestion: str
    evidence: dict[str, Any] = field(default_factory=dict)
    fingerprint: str = ""
    status: str = "open"  # open | waived | baselined
    justification: str = ""  # the waiver's reason and owner, when waived

    @property
    def is_open(self) -> bool:
        """True unless a waiver or the baseline suppresses it."""
        return self.status == "open"

    def sort_key(self) -> tuple[str, int, int, str]:
        """Report order: file, line, column, rule."""
        return (self.file, self.line, self.col, self.rule)

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract's finding object."""
        return asdict(self)
