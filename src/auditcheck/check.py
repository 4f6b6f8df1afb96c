"""Records → facts → engine → findings, a block of records at a time, behind one error boundary.

A block's facts of one kind go to the engine together (fewer, larger native calls),
but whatever goes wrong while a record is checked stays with that record: an
unexpected exception becomes a located error for it, and a message that cannot
be written becomes an error naming the rule, while the record's other findings
are kept. The outcome of a record is plain data (:class:`Checked`), the same
whether it was checked here or in a worker process.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, partial
from itertools import groupby
from operator import attrgetter, itemgetter
from typing import Any

from auditcheck.crosschecks import batch_crosschecks, crosschecks_of
from auditcheck.engine import Encoder, Engine, EngineRule, encoder
from auditcheck.facts import Fact, facts_of, sources
from auditcheck.findings import Finding, Tally, fingerprint
from auditcheck.formulas import GRADE_RULE, grade_bands
from auditcheck.locate import Document, LocatedError, Note, PathKey, dotted
from auditcheck.records.load import LoadedRecord, Unit, display, iter_unit
from auditcheck.records.model import Batch, field_view
from auditcheck.rulebook.condition import Aggregate
from auditcheck.rulebook.load import MESSAGE_NAMES, Rulebook
from auditcheck.rulebook.schema import CompiledRule
from auditcheck.templating import Values, render
from auditcheck.vocabulary import FIELDS, ORDER, Context


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


_ID = ("id",)  # where a record's id stands


@dataclass
class Checked:
    """What checking one record (or a batch file's own table) gave, as plain data."""

    record: str
    file: str
    doc: Document | None  # the record's document, in the process that checked it; else None
    findings: list[Finding] = field(default_factory=list)
    errors: list[LocatedError] = field(default_factory=list)
    facts: int = 0
    asserted: int = 0
    firings: int = 0
    completed: bool = True  # False: an unexpected error stopped the check; see errors
    loaded: LoadedRecord | None = None  # the record itself, only when checked in this process

    @cached_property
    def anchor(self) -> LocatedError | None:
        """Where the record's id stands; None for a batch file. Made when first asked for:
        a record that is neither a duplicate nor in error needs only its :meth:`place`."""
        return None if self.doc is None else self.doc.error(_ID, "")

    def id_position(self) -> tuple[str, int, int, str]:
        """(file, line, column, cell) of the record's id, as its anchor has them: plain data,
        cheaper to make and to send than the anchor (a worker sends it for every record)."""
        assert self.doc is not None, "a batch file's outcome has no id"
        pos = self.doc.position(_ID)
        return (pos.file or self.file, pos.line, pos.col, pos.place)

    def place(self) -> str:
        """``anchor.short``, without making the anchor when the document is at hand."""
        if self.doc is None:
            assert self.anchor is not None, "a batch file's outcome has no place"
            return self.anchor.short
        return self.doc.short(_ID)

    def __getstate__(self) -> dict[str, Any]:
        # Another process gets where the id stands, not the document (a line, a YAML file's
        # positions): the anchor is made, and the document left behind.
        return {**self.__dict__, "anchor": self.anchor, "doc": None}


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


def encoders(engine: Engine) -> dict[str, Encoder]:
    """Per fact kind the engine has rules for, the function that writes the declared fields
    its rules read (counts are added by the checker, which keeps them)."""
    return {
        kind: encoder(
            sources(kind, [f for f in engine.fields(kind) if f in FIELDS[kind]]), field_view
        )
        for kind in engine.kinds()
    }


@dataclass(slots=True)  # not frozen: a frozen dataclass is three times as slow to make
class _Subject:
    """Who a fact is about: the record id and the names messages use."""

    record: str
    name: str
    short: str
    doc: Document


@dataclass(slots=True)
class _Job:
    """One record (or batch file) to check: who it is about, its facts, its outcome."""

    subject: _Subject
    facts: Callable[[], Iterable[Fact]]
    out: Checked


@dataclass(slots=True)
class Evaluated:
    """What one record's facts matched, kind by kind."""

    kinds: dict[str, list[Fact]]  # the record's facts by kind, in the order they came
    groups: list[tuple[list[Fact], dict[int, list[str]]]] = field(default_factory=list)
    # For the counts; a dict: making a Counter, and each new key of one, is a Python call.
    tally: dict[tuple[PathKey, str], int] = field(default_factory=dict)
    asserted: int = 0
    firings: int = 0


# The kinds in the order ``all_facts`` gives them: each kind of a block of records is asserted
# at once, in this order, so a record's items still come before the fact that lists them.
_RANK = {kind: n for n, kind in enumerate((*ORDER, "crosscheck"))}


def _by_kind(facts: Iterable[Fact]) -> dict[str, list[Fact]]:
    grouped: dict[str, list[Fact]] = {}
    for kind, group in groupby(facts, attrgetter("kind")):
        grouped.setdefault(kind, []).extend(group)
    return grouped


@dataclass(frozen=True)
class _Shape:
    """What every finding of one rule on one kind of fact needs, worked out once."""

    rule: tuple[str, str, str, str]  # rule, category, dimension, severity (as Finding has them)
    message: str  # the message's template
    suggestion: str
    names: tuple[str, ...]  # the fields its message and its evidence show
    shown: tuple[str, ...]  # the fields its message shows
    constants: dict[str, Any]  # the parameters its message shows
    about: frozenset[str]  # the names of MESSAGE_NAMES its message shows (label, where …)
    evidence: tuple[tuple[str, str], ...]  # (label, field) in the evidence's order
    params: dict[str, Any]  # the rule's parameters, as evidence
    field: str  # the field it points at


class Checker:
    """Checks records against a rulebook; one engine serves every record."""

    def __init__(self, rulebook: Rulebook) -> None:
        self.rulebook = rulebook
        self.rules = {r.id: r for r in rulebook.rules}
        rules = engine_rules(rulebook.rules)
        self.engine = Engine(rules)
        self.counts = counts_needed(rulebook.rules)
        # Each count with the JSON text that begins its member (``,"name":``), written once.
        self._count_members = {
            kind: [(a, f",{json.dumps(a.field)}:") for a in aggs]
            for kind, aggs in self.counts.items()
        }
        self.counted = frozenset(a.kind for aggs in self.counts.values() for a in aggs)
        self.helpers = frozenset(r.id for r in rules if r.id not in self.rules)
        # Kinds no rule reads and no count needs are not built at all.
        self.built = frozenset(self.engine.kinds() | self.counted)
        self.encoders = encoders(self.engine)
        self._shapes: dict[tuple[str, str], _Shape] = {}
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
        return self.check_all([record], keep)[0]

    def check_all(self, records: Sequence[LoadedRecord], keep: bool = False) -> list[Checked]:
        """Each record's findings, in order; never raises on account of a record.

        The records' facts of one kind go to the engine together: a few large native
        calls cost less than many small ones. ``keep`` keeps each record in its outcome.
        """
        jobs = []
        for record in records:
            project, doc = record.project, record.doc
            rid, name = project.id, project.name  # read once: a model's fields are slow to read
            out = Checked(rid, doc.file, doc, loaded=record if keep else None)
            subject = _Subject(rid, name, project.short_name or name, doc)
            jobs.append(_Job(subject, partial(self._facts, record), out))
        self._check(jobs)
        return [job.out for job in jobs]

    def _facts(self, record: LoadedRecord) -> Iterable[Fact]:
        return all_facts(record, self.context(record.batch), self.built)

    def check_record(self, record: LoadedRecord) -> tuple[list[Finding], int]:
        """Findings on one record and the number of facts it gave (errors left out)."""
        checked = self.check(record)
        return checked.findings, checked.facts

    def check_batch(self, batch: Batch, doc: Document) -> Checked:
        """Findings on the batch file itself (its table of projects)."""
        year = f"{batch.fiscal_year}年度" if batch.fiscal_year else ""
        name = batch.title or f"{batch.region}{year}绩效评价"
        out = Checked("batch", doc.file, None)
        subject = _Subject("batch", name, name, doc)
        self._check([_Job(subject, lambda: batch_crosschecks(batch, doc), out)])
        return out

    def matches(self, record: LoadedRecord) -> Iterator[tuple[Fact, list[str]]]:
        """Each fact of a record (every kind, every field) with the ids of the rules it matched."""
        facts = partial(all_facts, record, self.context(record.batch))
        (evaluated,) = self.evaluate([(record.project.id, facts)])
        if isinstance(evaluated, Exception):
            raise evaluated
        for batch, hits in evaluated.groups:
            for i, fact in enumerate(batch):
                fact.all_values()
                yield fact, hits.get(i, [])

    def evaluate(
        self, records: Sequence[tuple[str, Callable[[], Iterable[Fact]]]]
    ) -> list[Evaluated | Exception]:
        """Records' facts (record id, what makes its facts) kind by kind, each kind of every
        record asserted together; for each record, what its facts matched, or the exception
        that stopped its evaluation, making its facts included (the other records are
        evaluated).

        A record's items come before the fact that lists them (see ``facts_of``), so the
        counts a fact's rules read are tallied from the items' hidden rules before it is
        asserted.
        """
        results: list[Evaluated | Exception] = []
        # Per kind, each record's facts of it: (record's index, record id, evaluated, facts).
        parts: dict[str, list[tuple[int, str, Evaluated, list[Fact]]]] = {}
        for i, (rid, make) in enumerate(records):
            try:
                evaluated = Evaluated(_by_kind(make()))
            except Exception as exc:
                results.append(exc)
                continue
            results.append(evaluated)
            for kind, batch in evaluated.kinds.items():
                parts.setdefault(kind, []).append((i, rid, evaluated, batch))
        for kind in sorted(parts, key=_RANK.__getitem__):
            # Records whose facts of an earlier kind failed are left out.
            live = [part for part in parts[kind] if results[part[0]] is part[2]]
            found = self._assert_kind(kind, live)
            counted = kind in self.counted
            for (i, _, evaluated, batch), hits in zip(live, found, strict=True):
                if isinstance(hits, Exception):
                    results[i] = hits
                    continue
                if hits or counted:
                    self._tally(kind, batch, hits, evaluated)
                evaluated.groups.append((batch, hits))
        return results

    def _assert_kind(
        self, kind: str, parts: list[tuple[int, str, Evaluated, list[Fact]]]
    ) -> list[dict[int, list[str]] | Exception]:
        """Each part's facts of ``kind`` asserted in one call: what each fact matched (every
        rule, hidden ones too), per part; or the exception that part's facts raised."""
        encode = self.encoders.get(kind)
        found: list[dict[int, list[str]] | Exception] = [{} for _ in parts]
        if encode is None:
            return found
        counted = kind in self.counts
        rids: list[str] = []
        written: list[str] = []
        spans: list[tuple[int, int, int]] = []  # (part, first fact, end) in ``written``
        for n, (_, rid, evaluated, batch) in enumerate(parts):
            try:
                if counted:
                    mine = [encode(f.item, f.ctx) + self._counts(f, evaluated.tally) for f in batch]
                # A cross-check pair is its own item; ``item``, a property, would be a call.
                elif kind == "crosscheck":
                    mine = [encode(f, f.ctx) for f in batch]
                else:
                    mine = [encode(f.item, f.ctx) for f in batch]
            except Exception as exc:
                found[n] = exc
                continue
            spans.append((n, len(written), len(written) + len(mine)))
            written += mine
            rids += [rid] * len(mine)
        try:
            hits = self.engine.evaluate(kind, rids, written)
        except Exception as exc:
            if len(spans) == 1:
                found[spans[0][0]] = exc
            else:  # which record's facts the engine refused: each part again on its own
                for n, first, end in spans:
                    try:
                        found[n] = self.engine.evaluate(kind, rids[first], written[first:end])
                    except Exception as refused:
                        found[n] = refused
        else:
            starts = [first for _, first, _ in spans]
            for i, rules in hits.items():
                n, first, _ = spans[bisect_right(starts, i) - 1]
                found[n][i - first] = rules  # type: ignore[index]
        for n, first, end in spans:
            if not isinstance(found[n], Exception):
                parts[n][2].asserted += end - first
        return found

    def _tally(
        self,
        kind: str,
        batch: list[Fact],
        hits: dict[int, list[str]],
        evaluated: Evaluated,
    ) -> None:
        """Count the firings, the facts of a counted kind and the hits of hidden rules; leave
        in ``hits`` only the rules a finding is made for."""
        tally = evaluated.tally
        if kind in self.counted:
            for fact in batch:
                key = (fact.parent, kind)
                tally[key] = tally.get(key, 0) + 1
        if not hits:
            return
        for i, fired in list(hits.items()):
            evaluated.firings += len(fired)
            if not self.helpers:
                continue
            for hit in fired:
                if hit in self.helpers:
                    key = (batch[i].parent, hit)
                    tally[key] = tally.get(key, 0) + 1
            if shown := [h for h in fired if h not in self.helpers]:
                hits[i] = shown
            else:
                del hits[i]

    def _counts(self, fact: Fact, tally: dict[tuple[PathKey, str], int]) -> str:
        """The counts ``fact``'s rules read, put on the fact and written as JSON members."""
        path, values = fact.path, fact.values
        unstated = fact.item.unstated  # read once: a model's fields are slow to read
        written = []
        for agg, member in self._count_members[fact.kind]:
            size = tally.get((path, agg.kind), 0)
            # An empty list, or one the source shows only in part, gives no count.
            if size and agg.list not in unstated:
                count = tally.get((path, agg.field), 0) if agg.condition else size
                values[agg.field] = count
                # A count is a whole number of items: written as the float ``members`` writes
                # (``3.0``) without its general path (the tests hold the two equal).
                written.append(f"{member}{count}.0")
        return "".join(written)

    def _check(self, jobs: list[_Job]) -> None:
        results: list[Evaluated | Exception]
        try:
            results = self.evaluate([(job.subject.record, job.facts) for job in jobs])
        except Exception as exc:
            if len(jobs) > 1:  # not on account of one record: each on its own, to find which
                for job in jobs:
                    self._check([job])
                return
            results = [exc]
        for job, result in zip(jobs, results, strict=True):
            self._findings(job, result)

    def _findings(self, job: _Job, evaluated: Evaluated | Exception) -> None:
        subject, out = job.subject, job.out
        found: list[tuple[tuple[Any, ...], Finding]] = []  # (report order, finding)
        try:
            if isinstance(evaluated, Exception):
                raise evaluated
            out.asserted, out.firings = evaluated.asserted, evaluated.firings
            for batch, hits in evaluated.groups:
                out.facts += len(batch)
                for i in sorted(hits):
                    fact = batch[i]
                    for rule_id in hits[i]:
                        try:
                            finding = self._finding(self._shape(rule_id, fact.kind), fact, subject)
                        except Exception as exc:  # a template fails on these values: name it
                            out.errors.append(_message_error(self.rules[rule_id], subject, exc))
                        else:
                            found.append(((*finding.sort_key(), reading_order(fact)), finding))
        except Exception as exc:  # the boundary: this record fails, the run goes on
            where = out.anchor or subject.doc.error((), "")
            message = (
                f"could not be checked: {type(exc).__name__}: {exc}; "
                "the other records were checked (please report this)"
            )
            out.errors = [LocatedError(where.file, where.line, where.col, "", message, where.place)]
            found, out.completed = [], False
        # Report order; findings on one line (a JSONL record) keep the record's reading order.
        if len(found) > 1:
            found.sort(key=itemgetter(0))
        out.findings = [finding for _, finding in found]

    def _shape(self, rule_id: str, kind: str) -> _Shape:
        shape = self._shapes.get((rule_id, kind))
        if shape is None:
            rule = self.rules[rule_id]
            compiled = rule.conditions[kind]
            # A message's names are parameters, fields or MESSAGE_NAMES, never two of them
            # (refused when the rulebook is loaded); a name none of them has stays undefined.
            names = rule.message_names
            shown = tuple(n for n in names if n in FIELDS[kind])
            shape = _Shape(
                (rule_id, rule.category.id, rule.dimension.id, rule.rule.severity),
                rule.rule.message,
                rule.category.suggestion,
                tuple(set(shown) | compiled.fields),
                shown,
                {n: v for n, v in rule.params.items() if n in names},
                frozenset(names & MESSAGE_NAMES),
                tuple((compiled.label(name), name) for name in sorted(compiled.fields)),
                {f"param.{k}": v for k, v in rule.params.items()},
                rule.rule.field_for(kind),
            )
            self._shapes[(rule_id, kind)] = shape
        return shape

    def _finding(self, shape: _Shape, fact: Fact, subject: _Subject) -> Finding:
        values = fact.some_values(shape.names)
        context = Values(shape.constants)  # rendered without a copy
        for name in shape.shown:
            context[name] = values[name]
        if shape.about:
            _about(context, fact, subject, shape.about)
        message = render(shape.message, context)
        path = fact.source(shape.field)
        doc = fact.doc or subject.doc
        pos = doc.position(path)
        evidence = {label: _rounded(values.get(name)) for label, name in shape.evidence}
        evidence.update(shape.params)
        field = dotted(path)
        return Finding.made(  # every field, in the order Finding declares them
            (
                *shape.rule,
                subject.record,
                subject.name,
                pos.file or doc.file,
                pos.line,
                pos.col,
                field,
                message,
                shape.suggestion,
                evidence,
                fingerprint(shape.rule[0], subject.record, field),
                "open",  # status
                "",  # justification
                pos.place,
            )
        )


def _about(context: dict[str, Any], fact: Fact, subject: _Subject, names: frozenset[str]) -> None:
    """Put into a message's context what it may say about the fact besides its fields
    (MESSAGE_NAMES): its label, the project, the sub-item it belongs to, both as ``where``,
    and its kind."""
    context["project"] = subject.short
    context["owner"] = fact.owner
    context["kind"] = fact.kind
    if "label" in names:
        context["label"] = fact.label
    if "where" in names:
        context["where"] = f"{subject.short}中的{fact.owner}" if fact.owner else subject.short


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


def all_facts(
    record: LoadedRecord, ctx: Context, kinds: Collection[str] | None = None
) -> list[Fact]:
    """The record's own facts, then the cross-checks of its stated figures.

    Only facts of ``kinds`` are built (every kind when None).
    """
    facts = facts_of(record, ctx, kinds)
    if kinds is None or "crosscheck" in kinds:
        facts += crosschecks_of(record)
    return facts


BLOCK = 32  # records checked together: their facts of a kind go to the engine in one call


def check_unit(
    checker: Checker, unit: Unit, max_bytes: int, keep: bool = False
) -> Iterator[Checked | LocatedError | Note]:
    """Every record of a unit checked, every input error and note, in input order; never raises.

    A generator: in this process, a block's findings are written before the next block
    of records is read. ``keep`` keeps each record in its outcome.
    """
    block: list[LoadedRecord] = []
    try:
        for item in iter_unit(unit, max_bytes):
            if isinstance(item, LoadedRecord):
                block.append(item)
                if len(block) < BLOCK:
                    continue
            yield from checker.check_all(block, keep)  # before an error: input order
            block = []
            if not isinstance(item, LoadedRecord):
                yield item
        yield from checker.check_all(block, keep)
    except Exception as exc:  # a reader failed in a way no input should make it: keep the rest
        yield from checker.check_all(block, keep)
        message = f"could not be read to the end: {type(exc).__name__}: {exc} (please report this)"
        yield LocatedError(display(unit.files[0]), 1, 1, "", message)


def _rounded(value: Any) -> Any:
    # Evidence is read by people and diffed by scripts: six decimals are plenty for both.
    if isinstance(value, date):
        return value.isoformat()
    return round(value, 6) if isinstance(value, float) else value
