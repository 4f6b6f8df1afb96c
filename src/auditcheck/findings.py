"""Findings: what a rule concluded about a fact, located and worded."""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any


def fingerprint(rule: str, record: str, field: str) -> str:
    """Stable identity of a finding: rule + record + field path (``dotted``), never the line
    number."""
    return hashlib.sha256(f"{rule}\x1f{record}\x1f{field}".encode()).hexdigest()[:16]


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
    place: str = ""  # a workbook cell (自评表!E12), shown instead of line:col, which stay set

    @property
    def location(self) -> str:
        """``file:line:col``, or ``file.xlsx:自评表!E12`` for a cell."""
        return f"{self.file}:{self.place or f'{self.line}:{self.col}'}"

    @property
    def is_open(self) -> bool:
        """True unless a waiver or the baseline suppresses it."""
        return self.status == "open"

    def sort_key(self) -> tuple[str, int, int, str]:
        """Report order: file, line, column, rule."""
        return (self.file, self.line, self.col, self.rule)

    @classmethod
    def made(cls, values: tuple[Any, ...]) -> Finding:
        """A finding from the values of all its fields, in their order. A frozen dataclass's
        ``__init__`` sets each field through ``object.__setattr__`` (3 µs for these, a tenth
        of what a finding costs the checker); this fills the instance's dict at once, in
        the fields' order (the order the JSON writers write them in)."""
        # Checked here rather than by zip's strict=True: zip given any keyword takes a slower
        # path, a third of what this costs.
        if len(values) != len(_FIELD_NAMES):
            raise ValueError(f"a finding has {len(_FIELD_NAMES)} fields, not {len(values)}")
        finding = object.__new__(cls)
        finding.__dict__.update(zip(_FIELD_NAMES, values))  # noqa: B905
        return finding


_FIELD_NAMES = tuple(f.name for f in fields(Finding))
TOP = 10
Mark = tuple[str, str, str, str, str]  # what a tally reads of a finding, as plain data


def marks(findings: list[Finding]) -> list[Mark]:
    """What :meth:`Tally.count` reads of each finding: status, severity, category, record,
    project (a worker process sends these instead of the findings)."""
    return [(f.status, f.severity, f.category, f.record, f.project) for f in findings]


@dataclass
class Tally:
    """Running counts over a stream of findings, in constant memory."""

    open: Counter[str] = field(default_factory=Counter)  # severity → open findings
    status: Counter[str] = field(default_factory=Counter)  # open / waived / baselined
    categories: Counter[str] = field(default_factory=Counter)  # category → open findings
    _top: list[tuple[int, str, str]] = field(default_factory=list)

    def add(self, findings: list[Finding]) -> list[Finding]:
        """Count one chunk (a record's findings, or notices) and hand it on unchanged."""
        self.count(marks(findings))
        return findings

    def count(self, chunk: list[Mark]) -> None:
        """Count one chunk given by its :func:`marks`."""
        per_record: dict[tuple[str, str], int] = {}  # not a Counter: built per record, and slower
        for status, severity, category, record, project in chunk:
            self.status[status] += 1
            if status == "open":
                self.open[severity] += 1
                self.categories[category] += 1
                key = (record, project)
                per_record[key] = per_record.get(key, 0) + 1
        for (record, project), count in per_record.items():
            self._rank((count, record, project))

    def merge(self, other: Tally) -> None:
        """Add the counts of findings on other records (a worker's): the records with most
        findings among both are among the most of either."""
        self.open.update(other.open)
        self.status.update(other.status)
        self.categories.update(other.categories)
        for item in other._top:
            self._rank(item)

    def _rank(self, item: tuple[int, str, str]) -> None:
        if len(self._top) < TOP:
            heapq.heappush(self._top, item)
        elif item > self._top[0]:
            heapq.heapreplace(self._top, item)

    def top_records(self) -> list[tuple[str, str, int]]:
        """(record, project, open findings) for the records with most findings, most first."""
        return [(r, p, n) for n, r, p in sorted(self._top, key=lambda t: (-t[0], t[1]))]
