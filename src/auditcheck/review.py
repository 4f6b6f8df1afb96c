"""自评抽查复核: a validate run seen per budget unit, and the review sheet sent back to each.

A finance bureau checks the forms every unit submitted. The run's findings go
to its output as usual; :class:`Reviewing` also keeps, per record, the unit it
belongs to (:func:`unit_of`) and its open findings, so that the
run ends with one line per unit (forms read, findings by severity) and, when
asked, a review sheet with a section per unit (:mod:`auditcheck.render.review`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from auditcheck.check import RunResult
from auditcheck.findings import Finding
from auditcheck.pipeline import Sink
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Project, UnitRef
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import DOC_PARTS

# What validate checks: the stated figures, and the two packs for submitted forms.
SUBMITTED = "consistency,tag:self-evaluation,tag:target-review"
NO_UNIT = "未注明单位"
# The role whose name a form's review goes to, most wanted first (a form names both).
UNIT_ROLES = ("实施单位", "项目单位", "主管部门")
SHEET_SUFFIXES = (".md", ".html")


def unit_of(project: Project) -> str:
    """The unit a record's review goes to: its 实施单位, else 项目单位, else 主管部门, else the
    first unit it names."""
    refs = [u for u in project.units if isinstance(u, UnitRef)]
    for role in UNIT_ROLES:
        if found := next((u.name for u in refs if u.role == role), None):
            return found
    return project.unit_names[0] if project.units else NO_UNIT


@dataclass
class ReviewedForm:
    """One record (a form) as reviewed: what it is, where it was read, its open findings."""

    record: str
    project: str
    code: str | None
    file: str
    findings: list[Finding] = field(default_factory=list)
    short_name: str | None = None

    def said(self, finding: Finding) -> str:
        """A finding's message without the project's name in front (the section names it)."""
        for name in filter(None, (self.project, self.short_name)):
            rest = finding.message.removeprefix(name).removeprefix("的")
            if rest != finding.message and rest:
                return rest
        return finding.message


@dataclass
class ReviewedUnit:
    """A unit's forms, in the order they were read."""

    name: str
    forms: list[ReviewedForm] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Open findings by severity (every severity present)."""
        found = Counter(f.severity for form in self.forms for f in form.findings)
        return {s: found.get(s, 0) for s in ("error", "warning", "info")}


@dataclass
class Review:
    """The units of a run, with the source (依据) of every rule that found something."""

    units: list[ReviewedUnit]
    sources: dict[str, str]  # rule id → the rule's 依据
    title: str = "项目支出绩效自评抽查复核意见"


class Reviewing:
    """A sink around the run's own writer: everything goes on to it, and what a review needs
    is kept. Use the instance as the run's sink and ``keep`` as its ``on_record``."""

    def __init__(self, writer: Callable[[Rulebook], Sink]) -> None:
        self.writer = writer
        self.out: Sink | None = None
        self.rulebook: Rulebook | None = None
        self.findings: dict[str, list[Finding]] = {}
        self.forms: list[tuple[str, ReviewedForm]] = []  # (unit, form) as records are accepted

    def __call__(self, rulebook: Rulebook) -> Reviewing:
        self.rulebook = rulebook
        self.out = self.writer(rulebook)
        return self

    def write(self, findings: list[Finding]) -> None:
        """Pass a record's findings on, keeping the open ones."""
        assert self.out is not None, "the run has not started"
        self.out.write(findings)
        for f in findings:
            if f.is_open:
                self.findings.setdefault(f.record, []).append(f)

    def close(self, result: RunResult) -> None:
        """Let the run's writer finish."""
        assert self.out is not None, "the run has not started"
        self.out.close(result)

    def keep(self, record: LoadedRecord) -> None:
        """Note a record's unit (its findings arrived just before it)."""
        p = record.project
        findings = self.findings.pop(p.id, [])
        form = ReviewedForm(p.id, p.name, p.code, record.doc.file, findings, p.short_name)
        self.forms.append((unit_of(p), form))

    def finish(self) -> Review:
        """The review of the records accepted, unit by unit in the order they were read."""
        units: dict[str, ReviewedUnit] = {}
        for name, form in self.forms:
            units.setdefault(name, ReviewedUnit(name)).forms.append(form)
        rules = {r.id: r for r in self.rulebook.all_rules} if self.rulebook else {}
        used = {f.rule for _, form in self.forms for f in form.findings}
        sources = {rid: rules[rid].rule.doc_parts().get(DOC_PARTS[2], "") for rid in used}
        return Review(list(units.values()), sources)


def sheet(_ctx: object, _param: object, path: Path | None) -> Path | None:
    """``--review``'s check (a click callback): the sheet's suffix must name its format."""
    if path is not None and path.suffix not in SHEET_SUFFIXES:
        raise click.BadParameter(f"{path}: the suffix picks the format: .md or .html")
    return path
