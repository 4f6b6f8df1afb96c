"""Records → facts → engine → findings, one record at a time, behind one error boundary.

Whatever goes wrong while a record is checked stays with that record: an
unexpected exception becomes a located error for it, and a message that cannot
be written becomes an error naming the rule, while the record's other findings
are kept. The outcome of a record is plain data (:class:`Checked`), the same
whether it was checked here or in a worker process.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

from auditcheck.crosschecks import batch_crosschecks, crosschecks_of
from auditcheck.engine import Engine, EngineRule
from auditcheck.facts import Fact, Plan, Wanted, facts_of
from auditcheck.findings import Finding, Tally, fingerprint
from auditcheck.formulas import GRADE_RULE, grade_bands
from auditcheck.locate import Document, LocatedError, Note, PathKey, dotted
from auditcheck.records.load import LoadedRecord, Unit, display, iter_unit
from auditcheck.records.model import Batch
from auditcheck.rulebook.condition import Aggregate
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule
from auditcheck.templating import render, template_names
from auditcheck.vocabulary import FIELDS, Context


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
    """One engine rule per (rule, fact kind) it applies to, and one hidden rule per count.

    A count's hidden rule has the count's synthetic field as its id (never a rule id)
    and fires on the items that meet the count's condition.
    """
    out = []
    helpers: dict[str, EngineRule] = {}
    for r in rules:
        for kind, compiled in r.conditions.items():
            out.append(EngineRule(r.id, kind, compiled.json, compiled.fields))
            for agg in compiled.aggregates:
                if agg.condition is not None:
                    cond = agg.condition
                    helpers[agg.field] = EngineRule(agg.field, agg.kind, cond.json, cond.fields)
    return out + list(helpers.values())


def counts_needed(rules: Iterable[CompiledRule]) -> dict[str, tuple[Aggregate, ...]]:
    """Per owner kind (project, sub-item), the counts its rules read."""
    needed: dict[str, dict[str, Aggregate]] = {}
    for r in rules:
        for kind, compiled in r.conditions.items():
            for agg in compiled.aggregates:
                needed.setdefault(kind, {})[agg.field] = agg
    return {kind: tuple(aggs.values()) for kind, aggs in needed.items()}


def wanted_fields(rules: Iterable[EngineRule], counted: Iterable[str] = ()) -> Wanted:
    """Per fact kind, the declared fields the engine's rules read; kinds no rule reads and
    nothing counts are left out. ``counted`` are item kinds that counts need built."""
    names: dict[str, set[str]] = {kind: set() for kind in counted}
    for rule in rules:
        names.setdefault(rule.kind, set()).update(rule.fields)
    return {
        kind: Plan.of(spec for name, spec in FIELDS[kind].items() if name in used)
        for kind, used in names.items()
    }


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
        rules = engine_rules(rulebook.rules)
        self.engine = Engine(rules)
        self.counts = counts_needed(rulebook.rules)
        self.counted = frozenset(a.kind for aggs in self.counts.values() for a in aggs)
        self.helpers = frozenset(r.id for r in rules if r.id not in self.rules)
        self.wanted = wanted_fields(rules, self.counted)
        # The fields each message reads: computed for a finding, not every declared field.
        self._message_fields = {r.id: template_names(r.rule.message) for r in rulebook.rules}
        grade_rule = rulebook.rule(GRADE_RULE)
        self._grade_params = grade_rule.params if grade_rule else None
        self._context: tuple[Batch | None, Context] | None = None

    def context(self, batch: Batch | None) -> Context:
        """The context of a batch's facts: its evaluation date and the grade bands in force."""
        if self._context is None or self._context[0] is not batch:
            bands = grade_bands(batch, self._grade_params)
            self._context = (batch, Context(batch.as_of if batch else None, bands))
        return self._context[1]

    def check(self, record: LoadedRecord, keep: bool = False) -> Checked:
        """One record's findings; never raises on account of the record."""
        project = record.project
        anchor = record.doc.error(("id",), "")
        out = Checked(project.id, record.doc.file, anchor, loaded=record if keep else None)
        subject = _Subject(project.id, project.name, project.short_name or project.name, record.doc)
        self._check(
            subject, lambda: all_facts(record, self.context(record.batch), self.wanted), out
        )
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
        """Each fact of a record (every kind, every field) with the ids of the rules it matched."""
        return self.evaluate(record.project.id, all_facts(record, self.context(record.batch)))

    def evaluate(self, rid: str, facts: Iterable[Fact]) -> Iterator[tuple[Fact, list[str]]]:
        """Each fact with the ids of the rules it matched.

        Items come before the fact that lists them (see ``facts_of``), so the counts a
        fact's rules read are tallied from the items' hidden rules before it is asserted.
        """
        tally: Counter[tuple[PathKey, str]] = Counter()
        for fid, fact in enumerate(facts):
            for agg in self.counts.get(fact.kind, ()):
                size = tally[(fact.path, agg.kind)]
                # An empty list, or one the source shows only in part, gives no count.
                if size and agg.list not in fact.item.unstated:
                    counted = tally[(fact.path, agg.field)] if agg.condition else size
                    fact.values[agg.field] = counted
            hits = self.engine.check(fact.kind, rid, fid, fact.values)
            if fact.kind in self.counted:
                tally[(fact.parent, fact.kind)] += 1
            if self.helpers:
                for hit in hits:
                    if hit in self.helpers:
                        tally[(fact.parent, hit)] += 1
                hits = [h for h in hits if h not in self.helpers]
            yield fact, hits

    def _check(self, subject: _Subject, facts: Any, out: Checked) -> None:
        counts = self.engine.counts
        before = (counts.facts, counts.firings)
        found: list[tuple[tuple[int, ...], Finding]] = []
        try:
            for fact, hits in self.evaluate(subject.record, facts()):
                out.facts += 1
                for rule_id in hits:
                    rule = self.rules[rule_id]
                    try:
                        found.append((reading_order(fact), self._finding(rule, fact, subject)))
                    except Exception as exc:  # a template fails on these values: name the rule
                        out.errors.append(_message_error(rule, subject, exc))
        except Exception as exc:  # the boundary: this record fails, the run goes on
            where = out.anchor or subject.doc.error((), "")
            message = (
                f"could not be checked: {type(exc).__name__}: {exc}; "
                "the other records were checked (please report this)"
            )
            out.errors = [LocatedError(where.file, where.line, where.col, "", message, where.place)]
            found, out.completed = [], False
        out.asserted, out.firings = counts.facts - before[0], counts.firings - before[1]
        # Findings on one line (a JSONL record) keep the record's reading order; sorts are stable.
        found.sort(key=lambda pair: pair[0])
        out.findings = sorted((finding for _, finding in found), key=Finding.sort_key)

    def _finding(self, rule: CompiledRule, fact: Fact, subject: _Subject) -> Finding:
        context: dict[str, Any] = {
            **rule.params,
            **fact.some_values(self._message_fields[rule.id]),
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
        compiled = rule.conditions[fact.kind]
        evidence = {
            compiled.label(name): _rounded(fact.values.get(name))
            for name in sorted(compiled.fields)
        }
        evidence.update({f"param.{k}": v for k, v in rule.params.items()})
        return Finding(
            rule=rule.id,
            category=rule.category.id,
            dimension=rule.dimension.id,
            severity=rule.rule.severity,
            record=subject.record,
            project=subject.name,
            file=pos.file or doc.file,
            line=pos.line,
            col=pos.col,
            field=dotted(path),
            message=message,
            suggestion=rule.category.suggestion,
            evidence=evidence,
            fingerprint=fingerprint(rule.id, subject.record, path),
            place=pos.place,
        )


def _message_error(rule: CompiledRule, subject: _Subject, exc: Exception) -> LocatedError:
    message = (
        f"template failed for '{subject.record}' ({subject.doc.file}): "
        f"{type(exc).__name__}: {exc}; fix the message (`auditcheck rules check`)"
    )
    return LocatedError(rule.file, rule.line, 1, f"{rule.id}.message", message)


_OWNED = ("targets", "observations", "sources")  # lists a project and its sub-items both have
_LISTS = ("facilities", "defects", "planned_items", "activities", "documents", "management_rules")


def reading_order(fact: Fact) -> tuple[int, ...]:
    """Where a fact's findings go among findings on the same line (a JSONL record is one line):
    the project, its sub-items, the targets, observations and sources of each, the project's
    other lists, then the cross-checks."""
    path = fact.path
    if fact.kind == "crosscheck":
        return (3 + len(_LISTS),)
    if not path:
        return (0,)
    if fact.kind == "subitem":
        return (1, path[1])  # type: ignore[return-value]
    if path[-2] in _OWNED:
        owner = path[1] + 1 if path[0] == "subitems" else 0
        return (2, owner, _OWNED.index(path[-2]), path[-1])  # type: ignore[arg-type,return-value]
    return (3 + _LISTS.index(path[-2]), path[-1])  # type: ignore[arg-type,return-value]


def all_facts(record: LoadedRecord, ctx: Context, wanted: Wanted | None = None) -> Iterator[Fact]:
    """The record's own facts, then the cross-checks of its stated figures.

    ``wanted`` limits the kinds built and the fields computed up front (see ``facts_of``).
    """
    if wanted is not None and "crosscheck" not in wanted:
        return facts_of(record, ctx, wanted)
    plan = None if wanted is None else wanted["crosscheck"]
    return chain(facts_of(record, ctx, wanted), crosschecks_of(record, plan))


def check_unit(
    checker: Checker, unit: Unit, max_bytes: int, keep: bool = False
) -> Iterator[Checked | LocatedError | Note]:
    """Every record of a unit checked, every input error and note, in input order; never raises.

    A generator, so that in this process each record's findings can be written
    before the next record is read. ``keep`` keeps each record in its outcome.
    """
    try:
        for item in iter_unit(unit, max_bytes):
            yield item if isinstance(item, LocatedError | Note) else checker.check(item, keep)
    except Exception as exc:  # a reader failed in a way no input should make it: keep the rest
        message = f"could not be read to the end: {type(exc).__name__}: {exc} (please report this)"
        yield LocatedError(display(unit.files[0]), 1, 1, "", message)


def _rounded(value: Any) -> Any:
    # Evidence is read by people and diffed by scripts: six decimals are plenty for both.
    if isinstance(value, date):
        return value.isoformat()
    return round(value, 6) if isinstance(value, float) else value
