"""Run every rule's own examples (after ``semgrep --test``): what must fire, where, saying what.

An example is a fragment of a project record; it is completed with a skeleton
(id, name, type, units), validated like any record and checked with the whole
rulebook, so that derived metrics and conditions are tested together. A
``batch:`` key in the fragment sets batch fields such as ``as_of``. A must-fire
example states what it expects with ``expect: {field: …, message: …}`` (a list
for several findings): the field path each finding points at and a fragment of its
message, as yamllint's tests state each problem's line and column. Examples run
with the rules' default parameters, and together they must cover every fact kind
in the rule's ``applies_to`` with a firing and a quiet case.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from auditcheck.check import Checker
from auditcheck.findings import Finding
from auditcheck.locate import Document, LocatedError
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch, Project
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule, Expect

SKELETON: dict[str, Any] = {
    "id": "example",
    "name": "示例项目",
    "type": "专项",
    "units": ["示例单位"],
}
EXAMPLE_BATCH: dict[str, Any] = {"region": "示例地区", "fiscal_year": 2023}
EXPECT = "expect"  # the key of a must-fire example that says what it expects


@dataclass
class RuleReport:
    """How one rule did on its examples."""

    rule: CompiledRule
    failures: list[str] = field(default_factory=list)  # examples that misbehaved
    uncovered: list[str] = field(default_factory=list)  # fact kinds without both cases
    broken: list[LocatedError] = field(default_factory=list)  # the message failed to render

    @property
    def passed(self) -> bool:
        """True when every example behaved and every kind has both kinds of example."""
        return not self.failures and not self.uncovered


@dataclass
class ExampleRun:
    """One example checked: the rule's findings, and the fact kinds it fired on or saw."""

    findings: list[Finding]
    fired: set[str]
    seen: set[str]
    broken: list[LocatedError]


def example_record(fragment: dict[str, Any], file: str) -> LoadedRecord:
    """Turn an example fragment into a record; raises ValidationError on a bad fragment."""
    data = {k: v for k, v in fragment.items() if k != EXPECT}
    batch = Batch.model_validate({**EXAMPLE_BATCH, **data.pop("batch", {})})
    project = Project.model_validate({**SKELETON, **data})
    return LoadedRecord(project=project, batch=batch, doc=Document(file=file, data=data))


def expectations(fragment: dict[str, Any]) -> list[Expect]:
    """What a must-fire example expects (checked when the rulebook loads)."""
    given = fragment.get(EXPECT, [])
    return [Expect.model_validate(e) for e in (given if isinstance(given, list) else [given])]


def run_example(checker: Checker, rule: CompiledRule, record: LoadedRecord) -> ExampleRun:
    """Check one example record and see what ``rule`` made of it."""
    checked = checker.check(record)
    broken = [e for e in checked.errors if e.field == f"{rule.id}.message"]
    fired, seen = set(), set()
    for fact, hits in checker.matches(record):
        if fact.kind in rule.conditions:
            seen.add(fact.kind)
            if rule.id in hits:
                fired.add(fact.kind)
    findings = [f for f in checked.findings if f.rule == rule.id]
    return ExampleRun(findings, fired, seen, broken)


def _unmet(expected: list[Expect], findings: list[Finding]) -> list[str]:
    """What the findings fail to show of the expectations (each finding meets one)."""
    left = list(findings)
    problems = []
    for want in expected:
        match = next((f for f in left if f.field == want.field and want.message in f.message), None)
        if match is None:
            problems.append(f"no finding on `{want.field}` saying “{want.message}”")
        else:
            left.remove(match)
    if len(findings) != len(expected):
        problems.append(f"expected {len(expected)} finding(s), the rule gave {len(findings)}")
    if problems:
        problems.append("it gave: " + "; ".join(f"{f.field}: {f.message}" for f in findings))
    return problems


def run_examples(checker: Checker, rule: CompiledRule) -> RuleReport:
    """Check one rule's examples with ``checker`` (whose rules carry default parameters)."""
    report = RuleReport(rule)
    examples = rule.rule.examples
    fired: set[str] = set()
    quiet: set[str] = set()
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
            run = run_example(checker, rule, record)
            report.broken.extend(run.broken)
            report.failures.extend(f"{where}: {e.message}" for e in run.broken)
            if expect == "quiet":
                quiet |= run.seen
                if run.fired or run.findings:
                    report.failures.append(f"{where}: expected no finding; the rule fired")
                continue
            fired |= run.fired
            if not (run.fired or run.broken):
                report.failures.append(f"{where}: expected the rule to fire; it did not")
            elif EXPECT not in fragment:
                report.failures.append(f"{where}: say what it expects: expect: {{field, message}}")
            elif not run.broken:
                unmet = _unmet(expectations(fragment), run.findings)
                report.failures.extend(f"{where}.expect: {p}" for p in unmet)
    for kind in rule.rule.applies_to:
        if kind not in fired:
            report.uncovered.append(f"no must-fire example fires on a {kind} fact")
        if kind not in quiet:
            report.uncovered.append(f"no must-not-fire example gives a {kind} fact")
    return report


def run_rulebook_examples(rulebook: Rulebook) -> list[RuleReport]:
    """Reports for every rule in force, in rulebook order."""
    checker = Checker(rulebook)
    return [run_examples(checker, rule) for rule in rulebook.rules]


def message_errors(reports: Iterable[RuleReport]) -> list[LocatedError]:
    """The messages that failed to render on the examples, each once."""
    errors: dict[tuple[str, int, str], LocatedError] = {}
    for report in reports:
        for error in report.broken:
            errors.setdefault((error.file, error.line, error.field), error)
    return list(errors.values())
