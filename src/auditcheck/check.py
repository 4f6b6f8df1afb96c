"""Records → facts → engine → findings, one record at a time, behind one error boundary.

Whatever goes wrong while a record is checked stays with that record: an
unexpected exception becomes a located error for it, and a message that cannot
be written becomes an error naming the rule, while the record's other findings
are kept. The outcome of a record is plain data (:class:`Checked`), the same
whether it was checked here or in a worker process.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from auditcheck.crosschecks import batch_crosschecks, crosschecks_of
from auditcheck.engine import Engine, EngineRule
from auditcheck.facts import FIELDS, Fact, facts_of
from auditcheck.findings import Finding, Tally, fingerprint
from auditcheck.locate import Document, LocatedError, Note, dotted
from auditcheck.records.load import LoadedRecord, Unit, display, iter_unit
from auditcheck.records.model import Batch
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule
from auditcheck.templating import render


@dataclass
class RunResult:
    """Everything a run found, and how much it looked at."""

    findings: list[Finding] = field(default_factory=list)  # only when a sink collects them
    errors: list[LocatedError] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    records: int = 0
    facts: int = 0
    asserted: int = 0
    firings: int = 0
    rules: int = 0
    checked: list[tuple[str, str]] = field(default_factory=list)  # (record id, file), if kept
    tally: Tally = field(default_factory=Tally)  # counts of the findings as they were written


@dataclass
class Checked:
    """What checking one record (or a batch file's own table) gave, as plain data."""

    record: str
    file: str
    anchor: LocatedError | None  # where the record's id stands; None for a batch file
    findings: list[Finding] = field(default_factory=list)
    errors: list[LocatedError] = field(default_factory=list)
    facts: int = 0
    asserted: int = 0
    firings: int = 0
    completed: bool = True  # False: an unexpected error stopped the check; see errors
    loaded: LoadedRecord | None = None  # the record itself, only when checked in this process


def engine_rules(rules: Iterable[CompiledRule]) -> list[EngineRule]:
    """One engine rule per (rule, fact kind) it applies to."""
    return [
        EngineRule(r.id, kind, compiled.json, compiled.fields)
        for r in rules
        for kind, compiled in r.conditions.items()
    ]


@dataclass(frozen=True)
class _Subject:
    """Who a fact is about: the record id and the names messages use."""

    record: str
    name: str
    short: str
    doc: Document


class Checker:
    """Checks records against a rulebook; one engine serves every record."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        self.rules = {r.id: r for r in rulebook.rules}
        self.engine = Engine(engine_rules(rulebook.rules))

    def check(self, record: LoadedRecord, keep: bool = False) -> Checked:
        """One record's findings; never raises on account of the record."""
        project = record.project
        anchor = record.doc.error(("id",), "")
        out = Checked(project.id, record.doc.file, anchor, loaded=record if keep else None)
        subject = _Subject(project.id, project.name, project.short_name or project.name, record.doc)
        self._check(subject, lambda: all_facts(record), out)
        return out

    def check_record(self, record: LoadedRecord) -> tuple[list[Finding], int]:
        """Findings on one record and the number of facts it gave (errors left out)."""
        checked = self.check(record)
        return checked.findings, checked.facts

    def check_batch(self, batch: Batch, doc: Document) -> Checked:
        """Findings on the batch file itself (its table of projects)."""
        year = f"{batch.fiscal_year}年度" if batch.fiscal_year else ""
        name = batch.title or f"{batch.region}{year}绩效评价"
        out = Checked("batch", doc.file, None)
        self._check(_Subject("batch", name, name, doc), lambda: batch_crosschecks(batch, doc), out)
        return out

    def matches(self, record: LoadedRecord) -> Iterator[tuple[Fact, list[str]]]:
        """Each fact of a record with the ids of the rules it matched."""
        for fid, fact in enumerate(all_facts(record)):
            yield fact, self.engine.check(fact.kind, record.project.id, fid, fact.values)

    def _check(self, subject: _Subject, facts: Any, out: Checked) -> None:
        counts = self.engine.counts
        before = (counts.facts, counts.firings)
        try:
            for fid, fact in enumerate(facts()):
                out.facts += 1
                for rule_id in self.engine.check(fact.kind, subject.record, fid, fact.values):
                    rule = self.rules[rule_id]
                    try:
                        out.findings.append(self._finding(rule, fact, subject))
                    except Exception as exc:  # a template fails on these values: name the rule
                        out.errors.append(_message_error(rule, subject, exc))
        except Exception as exc:  # the boundary: this record fails, the run goes on
            where = out.anchor or subject.doc.error((), "")
            message = (
                f"could not be checked: {type(exc).__name__}: {exc}; "
                "the other records were checked (please report this)"
            )
            out.errors = [LocatedError(where.file, where.line, where.col, "", message, where.place)]
            out.findings, out.completed = [], False
        out.asserted, out.firings = counts.facts - before[0], counts.firings - before[1]
        out.findings.sort(key=Finding.sort_key)

    def _finding(self, rule: CompiledRule, fact: Fact, subject: _Subject) -> Finding:
        context: dict[str, Any] = {
            **rule.params,
            **dict.fromkeys(FIELDS[fact.kind]),
            **fact.values,
            "label": fact.label,
            "project": subject.short,
            "owner": fact.owner,
            "where": f"{subject.short}中的{fact.owner}" if fact.owner else subject.short,
            "kind": fact.kind,
        }
        message = render(rule.rule.message, context)
        path = fact.source(rule.rule.field_for(fact.kind))
        doc = fact.doc or subject.doc
        pos = doc.position(path)
        used = rule.conditions[fact.kind].fields
        evidence = {name: _rounded(fact.values.get(name)) for name in sorted(used)}
        evidence.update({f"param.{k}": v for k, v in rule.params.items()})
        return Finding(
            rule=rule.id,
            category=rule.category.id,
            dimension=rule.dimension.id,
            severity=rule.rule.severity,
            record=subject.record,
            project=subject.name,
            file=doc.file,
            line=pos.line,
            col=pos.col,
            field=dotted(path),
            message=message,
            suggestion=rule.category.suggestion,
            evidence=evidence,
            fingerprint=fingerprint(rule.id, subject.record, path),
        )


def _message_error(rule: CompiledRule, subject: _Subject, exc: Exception) -> LocatedError:
    message = (
        f"template failed for '{subject.record}' ({subject.doc.file}): "
        f"{type(exc).__name__}: {exc}; fix the message (`auditcheck rules check`)"
    )
    return LocatedError(rule.file, rule.line, 1, f"{rule.id}.message", message)


def all_facts(record: LoadedRecord) -> Iterator[Fact]:
    """The record's own facts, then the cross-checks of its stated figures."""
    return chain(facts_of(record), crosschecks_of(record))


def check_unit(
    checker: Checker, unit: Unit, max_bytes: int, keep: bool = False
) -> Iterator[Checked | LocatedError]:
    """Every record of a unit checked, and every input error, in input order; never raises.

    A generator, so that in this process each record's findings can be written
    before the next record is read. ``keep`` keeps each record in its outcome.
    """
    try:
        for item in iter_unit(unit, max_bytes):
            yield item if isinstance(item, LocatedError) else checker.check(item, keep)
    except Exception as exc:  # a reader failed in a way no input should make it: keep the rest
        message = f"could not be read to the end: {type(exc).__name__}: {exc} (please report this)"
        yield LocatedError(display(unit.files[0]), 1, 1, "", message)


def _rounded(value: Any) -> Any:
    # Evidence is read by people and diffed by scripts: six decimals are plenty for both.
    return round(value, 6) if isinstance(value, float) else value
