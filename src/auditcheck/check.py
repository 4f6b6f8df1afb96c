"""Load → facts → engine → findings, for any number of records, one record at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from typing import Any

import jinja2

from auditcheck.crosschecks import batch_crosschecks, crosschecks_of
from auditcheck.engine import Engine, EngineError, EngineRule
from auditcheck.facts import Fact, Plan, Wanted, facts_of
from auditcheck.findings import Finding, Tally, fingerprint
from auditcheck.formulas import GRADE_RULE, grade_bands
from auditcheck.locate import Document, LocatedError, PathKey, dotted
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch
from auditcheck.rulebook.condition import Aggregate
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule
from auditcheck.templating import render, template_names
from auditcheck.vocabulary import FIELDS, Context


@dataclass
class RunResult:
    """Everything a run found, and how much it looked at."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[LocatedError] = field(default_factory=list)
    records: int = 0
    facts: int = 0
    asserted: int = 0
    firings: int = 0
    rules: int = 0
    checked: list[tuple[str, str]] = field(default_factory=list)  # (record id, file), if kept
    tally: Tally = field(default_factory=Tally)  # counts of the findings as they were written


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

    def check_record(self, record: LoadedRecord) -> tuple[list[Finding], int]:
        """Findings on one record and the number of facts it gave."""
        project = record.project
        subject = _Subject(project.id, project.name, project.short_name or project.name, record.doc)
        facts = all_facts(record, self.context(record.batch), self.wanted)
        return self._check(subject, facts)

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

    def check_batch(self, batch: Batch, doc: Document) -> tuple[list[Finding], int]:
        """Findings on the batch file itself (its table of projects)."""
        year = f"{batch.fiscal_year}年度" if batch.fiscal_year else ""
        name = batch.title or f"{batch.region}{year}绩效评价"
        return self._check(_Subject("batch", name, name, doc), batch_crosschecks(batch, doc))

    def _check(self, subject: _Subject, facts: Iterable[Fact]) -> tuple[list[Finding], int]:
        found: list[tuple[tuple[int, ...], Finding]] = []
        count = 0
        for fact, hits in self.evaluate(subject.record, facts):
            count += 1
            for rule_id in hits:
                finding = self._finding(self.rules[rule_id], fact, subject)
                found.append((reading_order(fact), finding))
        found.sort(key=lambda pair: pair[0])  # stable: one fact's findings stay in rule order
        return [finding for _, finding in found], count

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
        try:
            message = render(rule.rule.message, context)
        except jinja2.TemplateError as exc:
            raise LocatedError(
                rule.file, rule.line, 1, f"{rule.id}.message", f"template failed: {exc}"
            ) from None
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
            file=doc.file,
            line=pos.line,
            col=pos.col,
            field=dotted(path),
            message=message,
            suggestion=rule.category.suggestion,
            evidence=evidence,
            fingerprint=fingerprint(rule.id, subject.record, path),
        )


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


def run(
    items: Iterable[LoadedRecord | LocatedError],
    checker: Checker,
    on_record: Callable[[LoadedRecord], None] | None = None,
    on_findings: Callable[[list[Finding]], None] | None = None,
    keep_checked: bool = False,
    check_batches: bool = True,
) -> RunResult:
    """Check every record of ``items`` (from ``iter_records``); input errors are kept, never raised.

    Findings are handed to ``on_findings`` one record at a time (a batch file's
    own findings before its records), in file order and, within a record, by
    line; without it they are collected in ``RunResult.findings``. ``on_record``
    sees each valid record once (the report keeps a summary of each);
    ``keep_checked`` lists every record checked (JUnit needs a case for each);
    ``check_batches`` checks each batch file's own figures before its first record.
    """
    result = RunResult(rules=len(checker.rules))
    emit = on_findings or result.findings.extend
    batches_done: set[str] = set()
    for item in items:
        if isinstance(item, LocatedError):
            result.errors.append(item)
            continue
        result.records += 1
        if keep_checked:
            result.checked.append((item.project.id, item.doc.file))
        if on_record is not None:
            on_record(item)
        batch_doc = item.batch_doc
        if (
            check_batches
            and item.batch is not None
            and batch_doc is not None
            and batch_doc.file not in batches_done
        ):
            batches_done.add(batch_doc.file)
            findings, count = checker.check_batch(item.batch, batch_doc)
            result.facts += count
            if findings:
                emit(sorted(findings, key=Finding.sort_key))
        try:
            findings, count = checker.check_record(item)
        except LocatedError as exc:
            result.errors.append(exc)
            continue
        except EngineError as exc:
            result.errors.append(LocatedError(item.doc.file, 1, 1, "", f"engine error: {exc}"))
            continue
        result.facts += count
        if findings:
            emit(sorted(findings, key=Finding.sort_key))
    result.asserted = checker.engine.counts.facts
    result.firings = checker.engine.counts.firings
    return result


def _rounded(value: Any) -> Any:
    # Evidence is read by people and diffed by scripts: six decimals are plenty for both.
    if isinstance(value, date):
        return value.isoformat()
    return round(value, 6) if isinstance(value, float) else value
