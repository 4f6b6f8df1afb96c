"""Run every rule's own examples (after ``semgrep --test``): must fire, must stay quiet.

An example is a fragment of a project record; it is completed with a skeleton
(id, name, type, units), validated like any record and checked with the whole
rulebook, so that derived metrics and conditions are tested together. A
``batch:`` key in the fragment sets batch fields such as ``as_of``. The facts of
the must-fire examples are also what ``rules check`` renders every message
against (:func:`message_errors`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from auditcheck.check import Checker
from auditcheck.locate import Document, LocatedError
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch, Project
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule

SKELETON: dict[str, Any] = {
    "id": "example",
    "name": "示例项目",
    "type": "专项",
    "units": ["示例单位"],
}
EXAMPLE_BATCH: dict[str, Any] = {"region": "示例地区", "fiscal_year": 2023}


@dataclass
class RuleReport:
    """How one rule did on its examples."""

    rule: CompiledRule
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        """True when every example behaved and both kinds of example exist."""
        return not self.failures


def example_record(fragment: dict[str, Any], file: str) -> LoadedRecord:
    """Turn an example fragment into a record; raises ValidationError on a bad fragment."""
    data = dict(fragment)
    batch = Batch.model_validate({**EXAMPLE_BATCH, **data.pop("batch", {})})
    project = Project.model_validate({**SKELETON, **data})
    return LoadedRecord(project=project, batch=batch, doc=Document(file=file, data=data))


def run_examples(checker: Checker, rule: CompiledRule) -> RuleReport:
    """Check one rule's examples with ``checker``."""
    report = RuleReport(rule)
    examples = rule.rule.examples
    if not examples.fire:
        report.failures.append("no must-fire example (examples.fire)")
    if not examples.quiet:
        report.failures.append("no must-not-fire example (examples.quiet)")
    for expect, fragments in (("fire", examples.fire), ("quiet", examples.quiet)):
        for i, fragment in enumerate(fragments):
            where = f"examples.{expect}[{i}]"
            try:
                record = example_record(fragment, rule.file)
            except ValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                report.failures.append(f"{where}: not a valid record: {loc}: {first['msg']}")
                continue
            checked = checker.check(record)
            broken = [e for e in checked.errors if e.field == f"{rule.id}.message"]
            report.failures.extend(f"{where}: {e.message}" for e in broken)
            fired = bool(broken) or any(f.rule == rule.id for f in checked.findings)
            if expect == "fire" and not fired:
                report.failures.append(f"{where}: expected the rule to fire; it did not")
            if expect == "quiet" and fired:
                report.failures.append(f"{where}: expected no finding; the rule fired")
    return report


def run_rulebook_examples(rulebook: Rulebook) -> list[RuleReport]:
    """Reports for every rule in force, in rulebook order."""
    checker = Checker(rulebook)
    return [run_examples(checker, rule) for rule in rulebook.rules]


def message_errors(checker: Checker) -> list[LocatedError]:
    """Every message rendered against the facts of every must-fire example: what fails, once."""
    errors: dict[tuple[str, int, str], LocatedError] = {}
    for rule in checker.rulebook.rules:
        for fragment in rule.rule.examples.fire:
            try:
                record = example_record(fragment, rule.file)
            except ValidationError:
                continue  # `rules test` reports it
            for error in checker.check(record).errors:
                errors.setdefault((error.file, error.line, error.field), error)
    return list(errors.values())
