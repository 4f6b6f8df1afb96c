"""A run as data: rulebook spec → sources → checker → suppressors → sink → result.

The command line builds a :class:`Run` from flags and settings and calls
:func:`execute`; nothing here prints. What can stop a run before it starts (a
bad rulebook, an unusable waivers file) is a :class:`SetupError`; everything
found in the input is in the :class:`~auditcheck.check.RunResult`. Units of
input are checked in this process or in workers (``--jobs``) and merged here in
input order by the same code, so both give the same bytes: record ids are
claimed here, counts are added here, and each record's findings pass through
waivers, baseline and the tally to the sink here. When the sink streams and no
waivers or baseline change a finding, workers send a unit's records with their findings
already written for the sink and their counts added up (:class:`Written`), and the
parent only claims their ids and puts them out.

:func:`convert` is the one other job: forms written as a batch folder, whole or not at all.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import Protocol, runtime_checkable

from auditcheck.baseline import BaselineError, apply_baseline, read_baseline
from auditcheck.check import BLOCK, Checked, Checker, RunResult, check_unit
from auditcheck.collector import tuned_for_checking
from auditcheck.config import ConfigError, RulebookSpec
from auditcheck.draft import SECTIONS, Draft, ProjectInfo, build_draft
from auditcheck.engine import EngineError
from auditcheck.findings import Finding, Tally, marks
from auditcheck.forms import FormError, FormRecord, read_forms, write_batch
from auditcheck.locate import DEFAULT_MAX_BYTES, LocatedError, Note
from auditcheck.output import OutputError, atomic_path
from auditcheck.parallel import Outcome, in_order, prepare
from auditcheck.records.load import (
    BATCH_FILE,
    IdRegistry,
    LoadedRecord,
    Unit,
    display,
    duplicate_id,
    plan_units,
)
from auditcheck.records.model import Batch
from auditcheck.render.report_text import render_report_html, render_report_markdown
from auditcheck.render.writers import Chunk, Encoding
from auditcheck.rulebook.load import Rulebook, RulebookError
from auditcheck.rulebook.schema import SEVERITY_RANK, CompiledRule
from auditcheck.waivers import WaiversError, WaiverSet, load_waivers

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


@dataclass(frozen=True)
class Sources:
    """What to read: batch folders and record files, and the size a record file may have."""

    paths: tuple[Path, ...]
    max_bytes: int = DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class Suppressors:
    """Reviewed findings: waivers (with expiry, judged against ``today``) and a baseline."""

    waivers: Path | None = None
    baseline: Path | None = None
    today: date = field(default_factory=date.today)


@dataclass(frozen=True)
class Run:
    """Everything that decides a run's result."""

    rulebook: RulebookSpec
    sources: Sources
    suppressors: Suppressors = field(default_factory=Suppressors)
    jobs: int = 1

    def inputs(self) -> list[Path]:
        """Every file and folder the run reads (outputs must not be among them)."""
        found = [*self.sources.paths, self.rulebook.folder]
        found += [p.parent / BATCH_FILE for p in self.sources.paths if not p.is_dir()]
        return found + [p for p in (self.suppressors.waivers, self.suppressors.baseline) if p]


class Sink(Protocol):
    """Where findings go, record by record, and then the finished result."""

    def write(self, findings: list[Finding]) -> None:
        """Take one record's findings."""

    def close(self, result: RunResult) -> None:
        """Take the result once every record is checked."""


@runtime_checkable
class Streaming(Sink, Protocol):
    """A sink that can take each record's findings written by ``encoding`` elsewhere."""

    encoding: Encoding

    def take(self, chunk: Chunk) -> None:
        """Take one record's findings, written by ``encoding``."""

    def take_all(self, chunks: list[Chunk]) -> None:
        """Take consecutive records' findings at once, as ``take`` of each would."""


@dataclass
class Written:
    """Consecutive records of a unit checked without an error, as a worker sends them to a
    streaming sink: each record's findings written for the sink, the counts already added
    up, and what the parent needs to claim the record ids. One such object per unit is cheap
    to send and to take; one per record cost the parent more than all the rest of its work.
    """

    records: list[str]  # the record ids
    files: list[str]
    places: list[str]  # where each id stands, as another message names it
    chunks: list[Chunk]  # each record's findings, as ``Encoding.sender`` writes them
    facts: int
    asserted: int
    firings: int
    tally: Tally
    # Each record's (file, line, column, cell of its id, facts, asserted, firings, marks),
    # pickled a block at a time: only a record id seen before needs them, to take the
    # records one by one. Where the id stands, not its anchor: most records never need one.
    each: list[bytes]

    @classmethod
    def of(cls, checked: list[Checked], encode: Callable[[list[Finding]], Chunk]) -> Written:
        """Records checked without an error, their findings written by ``encode``."""
        written = cls([], [], [], [], 0, 0, 0, Tally(), [])
        written.add(checked, encode)
        return written

    def add(self, checked: list[Checked], encode: Callable[[list[Finding]], Chunk]) -> None:
        """The records that follow, written by ``encode``."""
        each = []
        for item in checked:
            found = marks(item.findings)
            each.append((*item.id_position(), item.facts, item.asserted, item.firings, found))
            self.facts += item.facts
            self.asserted += item.asserted
            self.firings += item.firings
        # Counted at once, as one process takes a run (the tally is only kept when every id
        # is new, so no two of these records share one).
        self.tally.count([mark for *_, found in each for mark in found])
        self.records += [item.record for item in checked]
        self.files += [item.file for item in checked]
        self.places += [item.place() for item in checked]
        self.chunks += [encode(item.findings) for item in checked]
        self.each.append(pickle.dumps(each, pickle.HIGHEST_PROTOCOL))


def runs(outcomes: Iterable[Outcome], size: int | None = None) -> Iterator[Outcome | list[Checked]]:
    """The outcomes, each run of consecutive records checked without an error (of at most
    ``size`` records) as one list; the rest as they are."""
    run: list[Checked] = []
    for item in outcomes:
        if (
            isinstance(item, Checked)
            and item.completed
            and not item.errors
            and item.doc is not None
        ):
            run.append(item)
            if len(run) == size:
                yield run
                run = []
            continue
        if run:
            yield run
            run = []
        yield item
    if run:
        yield run


def writing(encoding: Encoding) -> Callable[[Iterable[Outcome]], list[Outcome | Written]]:
    """In a worker: a unit's outcomes, each run of records checked without an error as one
    :class:`Written`, their findings written by ``encoding``; the rest as they are."""
    encode = encoding.sender()

    def written(outcomes: Iterable[Outcome]) -> list[Outcome | Written]:
        sent: list[Outcome | Written] = []
        # Block by block, as one process does: a block's findings are written and dropped
        # before the next is checked (holding a unit's costs a worker a few per cent).
        for part in runs(outcomes, BLOCK):
            if not isinstance(part, list):
                sent.append(part)
            elif sent and isinstance(last := sent[-1], Written):
                last.add(part, encode)  # the same run of records goes on
            else:
                sent.append(Written.of(part, encode))
        return sent

    return written


class Collect:
    """A sink that keeps the findings in the result (baseline, draft report)."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def write(self, findings: list[Finding]) -> None:
        """Keep them."""
        self.findings.extend(findings)

    def close(self, result: RunResult) -> None:
        """Hand them to the result."""
        result.findings = self.findings


class Drafting:
    """The draft report as a sink: the findings, the rulebook and a summary of each record.

    Use the instance as the run's sink and its ``keep`` as ``on_record``; then
    :meth:`finish` writes the draft. The output's suffix picks the format.
    """

    def __init__(self, output: Path, sections: str, with_consistency: bool) -> None:
        chosen = {s.strip() for s in sections.split(",") if s.strip()}
        if output.suffix not in DRAFT_SUFFIXES:
            raise ConfigError(f"{output}: the suffix picks the format: {', '.join(DRAFT_SUFFIXES)}")
        if unknown := sorted(chosen - set(SECTIONS)):
            raise ConfigError(
                f"--sections: unknown {', '.join(unknown)}; use {', '.join(SECTIONS)}"
            )
        self.output = output
        self.sections = tuple(s for s in SECTIONS if s in chosen)
        self.with_consistency = with_consistency
        self.findings: list[Finding] = []
        self.projects: list[ProjectInfo] = []
        self.batch: Batch | None = None
        self.rulebook: Rulebook | None = None

    def __call__(self, rulebook: Rulebook) -> Drafting:
        self.rulebook = rulebook
        return self

    def keep(self, record: LoadedRecord) -> None:
        """Summarise one record (records themselves are not held)."""
        self.projects.append(ProjectInfo.of(record))
        self.batch = self.batch or record.batch

    def write(self, findings: list[Finding]) -> None:
        """Keep a record's findings."""
        self.findings.extend(findings)

    def close(self, result: RunResult) -> None:
        """Nothing to finish before the run's result is known."""

    def finish(self) -> Draft:
        """Write the draft, whole or not at all, and return it."""
        assert self.rulebook is not None, "the run has not started"
        draft = build_draft(
            self.batch,
            self.projects,
            self.findings,
            self.rulebook,
            self.sections,
            self.with_consistency,
        )
        with atomic_path(self.output) as temp:
            if self.output.suffix == ".docx":
                # Imported here: python-docx is a slow import, and only a Word draft needs it.
                from auditcheck.render.report_docx import write_docx

                write_docx(draft, temp)
            else:
                html = self.output.suffix == ".html"
                render = render_report_html if html else render_report_markdown
                temp.write_text(render(draft), encoding="utf-8")
        return draft


DRAFT_SUFFIXES = (".docx", ".md", ".html")


class SetupError(Exception):
    """The run could not start: located errors to print, then one line saying what to do."""

    def __init__(self, message: str, errors: Iterable[LocatedError] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.errors = list(errors)


def rule_named(rulebook: Rulebook, rule_id: str) -> CompiledRule:
    """The rule with this id, selected or not; or SetupError saying where to look."""
    rule = rulebook.rule(rule_id)
    if rule is None:
        raise SetupError(f"no rule '{rule_id}'; see `auditcheck rules list`")
    return rule


def load_checker(spec: RulebookSpec) -> Checker:
    """The rulebook a run uses, loaded into the engine; or SetupError saying why not."""
    try:
        return Checker(spec.load())
    except RulebookError as exc:
        message = (
            f"the rulebook in {spec.folder} has {len(exc.errors)} error(s); fix them and rerun"
        )
        raise SetupError(message, exc.errors) from None
    except ConfigError as exc:
        raise SetupError(str(exc)) from None
    except EngineError as exc:
        raise SetupError(f"the rulebook in {spec.folder} cannot be loaded: {exc}") from None


class _Suppression:
    """Waivers and baseline applied to each record's findings, and the end-of-run notices."""

    def __init__(self, given: Suppressors) -> None:
        self.waivers: WaiverSet | None = None
        self.known: set[str] | None = None
        if given.waivers is not None:
            try:
                self.waivers = WaiverSet(load_waivers(given.waivers), given.today)
            except WaiversError as exc:
                message = f"the waivers file {given.waivers} cannot be used; fix it and rerun"
                raise SetupError(message, exc.errors) from None
        if given.baseline is not None:
            try:
                self.known = read_baseline(given.baseline)
            except BaselineError as exc:
                raise SetupError(str(exc), exc.errors) from None

    def __call__(self, findings: list[Finding]) -> list[Finding]:
        if self.waivers is not None:
            findings = self.waivers.apply(findings)
        return apply_baseline(findings, self.known) if self.known is not None else findings

    def notices(self) -> list[Finding]:
        return self.waivers.notices() if self.waivers is not None else []

    def changes_nothing(self) -> bool:
        """No waivers and no baseline: every finding stays as it was found."""
        return self.waivers is None and self.known is None


class Interrupted(KeyboardInterrupt):
    """The run was stopped from outside: Ctrl-C (SIGINT), a cancelled CI job (SIGTERM) or a
    closed terminal (SIGHUP). A KeyboardInterrupt, so whatever cleans up after Ctrl-C (a
    temporary output file, worker processes) cleans up after the others too."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


ENDING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextmanager
def interruptible() -> Iterator[Callable[[], None]]:
    """SIGINT, SIGTERM and SIGHUP raise :class:`Interrupted`; the check raises it again.

    durable_rules catches every exception raised inside its calls, so a run also
    calls the check after every record. A signal ignored when the run starts
    (``nohup``, a background job) stays ignored.
    """
    received: list[int] = []

    def handler(signum: int, _frame: object) -> None:
        received.append(signum)
        raise Interrupted(signum)

    def check() -> None:
        if received:
            raise Interrupted(received[0])

    if threading.current_thread() is not threading.main_thread():
        yield check
        return
    previous = {s: signal.getsignal(s) for s in ENDING_SIGNALS}
    for s, before in previous.items():
        if before is not signal.SIG_IGN:
            signal.signal(s, handler)
    try:
        yield check
    finally:
        for s, before in previous.items():
            if before is not None:  # None: set outside Python, nothing to restore
                signal.signal(s, before)


def execute(
    run: Run,
    sink: Callable[[Rulebook], Sink],
    *,
    on_record: Callable[[LoadedRecord], None] | None = None,
    on_progress: Callable[[int], None] | None = None,
    keep_checked: bool = False,
) -> RunResult:
    """Check the run's sources, handing each record's findings to ``sink(rulebook)``.

    ``on_record`` sees every accepted record (the run then stays in this process);
    ``keep_checked`` lists every record checked (JUnit needs a case for each).
    Raises :class:`SetupError` when the run cannot start.
    """
    jobs = 1 if on_record is not None else run.jobs
    prepare(jobs)
    checker = load_checker(run.rulebook)
    rulebook = checker.rulebook
    if not rulebook.rules:
        raise SetupError("no rules selected; check --select/--ignore")
    suppress = _Suppression(run.suppressors)
    out = sink(rulebook)
    result = RunResult(rules=len(rulebook.rules))
    max_bytes = run.sources.max_bytes
    keep = on_record is not None
    # Workers write the findings themselves when nothing here would change them.
    streaming = out if isinstance(out, Streaming) and suppress.changes_nothing() else None
    outgoing = partial(writing, streaming.encoding) if streaming is not None and jobs > 1 else None
    merge = _Merge(
        result, lambda fs: out.write(result.tally.add(suppress(fs))), streaming, keep_checked
    )
    # Checked here for a streaming sink: a block's records are taken at once, as a worker's.
    in_runs = streaming is not None and jobs == 1 and on_record is None

    def work(unit: Unit) -> Iterator[Checked | LocatedError | Note]:
        return check_unit(checker, unit, max_bytes, keep)

    with interruptible() as stop_if_interrupted, tuned_for_checking():
        given = run.suppressors
        settings = [p for p in (given.waivers, given.baseline) if p is not None]
        plan = plan_units(run.sources.paths, max_bytes, settings=settings)
        plan = _with_batch_checks(plan, checker)
        for item in in_order(plan, work, rulebook, max_bytes, jobs, outgoing):
            parts = [item] if isinstance(item, Checked | LocatedError | Note) else item
            for part in runs(parts, BLOCK) if in_runs else parts:
                accepted = merge.take(part)
                if accepted is not None and on_record is not None:
                    on_record(accepted)
                stop_if_interrupted()
            if on_progress is not None:
                on_progress(merge.taken())
    notices = suppress.notices()
    if notices:
        out.write(result.tally.add(notices))
    out.close(result)
    return result


def _with_batch_checks(
    plan: Iterable[Unit | LocatedError | Note], checker: Checker
) -> Iterator[Unit | LocatedError | Note | Checked]:
    """The plan, with each batch file's own check before the first unit of its batch."""
    done: set[str] = set()
    for item in plan:
        if isinstance(item, Unit):
            batch, doc = item.batch
            if batch is not None and doc is not None and doc.file not in done:
                done.add(doc.file)
                yield checker.check_batch(batch, doc)
        yield item


class _Merge:
    """Adds each outcome to the result in input order; the one place ids and counts are kept.

    A record's findings go to ``emit``; when a worker wrote them, or a run of records
    checked here is taken at once, to ``streaming``.
    """

    def __init__(
        self,
        result: RunResult,
        emit: Callable[[list[Finding]], None],
        streaming: Streaming | None,
        keep_checked: bool,
    ) -> None:
        self.result = result
        self.emit = emit
        self.streaming = streaming
        self.encode = streaming.encoding.encoder() if streaming is not None else None
        self.keep_checked = keep_checked
        self.ids = IdRegistry()
        self.broken: set[tuple[str, int, str]] = set()  # messages that failed, reported once
        self.new = 0

    def taken(self) -> int:
        """Records accepted since the last call (for the progress bar)."""
        new, self.new = self.new, 0
        return new

    def take(
        self, item: Checked | list[Checked] | Written | LocatedError | Note
    ) -> LoadedRecord | None:
        result = self.result
        if isinstance(item, Note):
            result.notes.append(item)
            return None
        if isinstance(item, LocatedError):
            result.errors.append(item)
            return None
        if isinstance(item, Written):
            self._take_written(item)
            return None
        if isinstance(item, list):
            self._take_run(item)
            return None
        anchor = item.anchor
        if anchor is not None and (first := self.ids.claim(item.record, anchor.short)):
            result.errors.append(duplicate_id(anchor, item.record, first))
            return None
        for error in item.errors:
            key = (error.file, error.line, error.field)
            if item.completed and key in self.broken:
                continue
            self.broken.add(key)
            result.errors.append(error)
        if not item.completed:
            return None
        self._count(item.facts, item.asserted, item.firings)
        if anchor is not None:
            self._accept([item.record], [item.file])
        if item.findings:
            self.emit(item.findings)
        return item.loaded

    def _take_written(self, item: Written) -> None:
        """Records written by a worker: all at once when none of their ids was seen before,
        else one by one, exactly as :meth:`take` would take each."""
        streaming = self.streaming
        assert streaming is not None, "written for a sink that cannot take it"
        if self.ids.claim_all(item.records, item.places):
            self._count(item.facts, item.asserted, item.firings)
            self._accept(item.records, item.files)
            self.result.tally.merge(item.tally)
            streaming.take_all(item.chunks)  # one write for the unit, not one per record
            return
        each = [record for block in item.each for record in pickle.loads(block)]
        for rid, file, place, chunk, (*where, cell, facts, asserted, firings, found) in zip(
            item.records, item.files, item.places, item.chunks, each, strict=True
        ):
            if first := self.ids.claim(rid, place):
                anchor = LocatedError(*where, "id", "", cell)
                self.result.errors.append(duplicate_id(anchor, rid, first))
                continue
            self._count(facts, asserted, firings)
            self._accept([rid], [file])
            if found:
                self.result.tally.count(found)
                streaming.take(chunk)

    def _take_run(self, run: list[Checked]) -> None:
        """Records checked here without an error (see :func:`runs`): all at once when none of
        their ids was seen before, their findings in one write; else one by one."""
        streaming, encode = self.streaming, self.encode
        assert streaming is not None and encode is not None, "a run for a sink that cannot take it"
        records = [item.record for item in run]
        if not self.ids.claim_all(records, [item.place() for item in run]):
            for item in run:
                self.take(item)
            return
        facts = asserted = firings = 0
        for item in run:
            facts += item.facts
            asserted += item.asserted
            firings += item.firings
        self._count(facts, asserted, firings)
        self._accept(records, [item.file for item in run])
        self.result.tally.add([finding for item in run for finding in item.findings])
        streaming.take_all([encode(item.findings) if item.findings else "" for item in run])

    def _count(self, facts: int, asserted: int, firings: int) -> None:
        self.result.facts += facts
        self.result.asserted += asserted
        self.result.firings += firings

    def _accept(self, records: list[str], files: list[str]) -> None:
        self.result.records += len(records)
        self.new += len(records)
        if self.keep_checked:
            self.result.checked.extend(zip(records, files, strict=True))


@dataclass
class Converted:
    """What ``convert`` wrote (batch.yaml first), and the notes on sheets it did not read."""

    written: list[Path]
    notes: list[Note]


class ConvertError(SetupError):
    """Forms that cannot be converted as they are: their errors (and notes), then what to do."""


def convert(
    files: Iterable[Path], folder: Path, region: str | None, max_bytes: int = DEFAULT_MAX_BYTES
) -> Converted:
    """Forms → a batch folder (``batch.yaml`` and a YAML record per project) that ``run`` reads.

    All or nothing: an error in any form, or two forms of one project, and nothing is
    written (ConvertError). OutputError when the folder holds an input (``run`` on it
    would read the project twice) or a file it would write.
    """
    files = list(dict.fromkeys(Path(os.path.realpath(file)) for file in files))  # once each
    for file in files:
        if file.is_relative_to(os.path.realpath(folder)):
            raise OutputError(f"{folder}: holds {display(file)}; write the records elsewhere")
    notes: list[Note] = []
    errors: list[LocatedError] = []
    forms: list[FormRecord] = []
    ids = IdRegistry()
    for item in read_forms([(file, display(file)) for file in files], max_bytes):
        if isinstance(item, FormError):
            errors.append(item.located())
        elif isinstance(item, Note):
            notes.append(item)
        else:
            anchor = item.document().error(("id",), "")
            if first := ids.claim(item.data["id"], anchor.short):
                errors.append(duplicate_id(anchor, item.data["id"], first))
            forms.append(item)
    if errors:
        message = "nothing was written: fix the errors above and rerun"
        raise ConvertError(message, [*notes, *errors])
    try:
        return Converted(write_batch(forms, folder, region), notes)
    except FileExistsError as exc:
        raise OutputError(str(exc)) from None


def exit_code(result: RunResult, fail_on: str, exit_zero: bool = False) -> int:
    """2 when the check could not complete, 1 for open findings at or above ``fail_on``, else 0."""
    if result.errors or result.records == 0 or result.rules == 0:
        return EXIT_ERROR
    floor = SEVERITY_RANK[fail_on]
    if not exit_zero and any(n and SEVERITY_RANK[s] >= floor for s, n in result.tally.open.items()):
        return EXIT_FINDINGS
    return EXIT_OK
