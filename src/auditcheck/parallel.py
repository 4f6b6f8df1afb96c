"""``--jobs N``: check units of input in N worker processes, merge results in input order.

Processes, not threads: durable_rules holds the GIL, and one engine must not be
shared between threads. Each worker builds its own rulebook and engine once
(``spawn``: no durable state crosses a fork). The parent plans the units
(streaming through JSON Lines), keeps at most a few units per worker in flight
so memory stays flat, and hands each unit's findings on in the order the units
were planned, so the output is byte-identical to a single-process run. Record
ids are checked for duplicates across units here, and batch files are checked
once, here.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from auditcheck.check import Checker, RunResult, run
from auditcheck.findings import Finding
from auditcheck.locate import LocatedError
from auditcheck.records.load import IdRegistry, LoadedRecord, Unit, iter_unit, plan_units
from auditcheck.rulebook.load import Rulebook, load_rulebook

IN_FLIGHT_PER_JOB = 3


@dataclass(frozen=True)
class RulebookSpec:
    """How to rebuild the rulebook in a worker (the compiled one does not cross processes)."""

    folder: Path
    overrides: dict[str, dict[str, Any]]
    select: list[str]
    ignore: list[str]
    only_dimension: str | None = None

    def load(self) -> Rulebook:
        """The rulebook as the parent loaded it (errors were already reported there)."""
        rulebook = load_rulebook(self.folder, self.overrides, self.select, self.ignore)
        if self.only_dimension is not None:
            rulebook.rules = [r for r in rulebook.rules if r.dimension.id == self.only_dimension]
        return rulebook


@dataclass
class UnitResult:
    """What a worker found in one unit."""

    groups: list[tuple[str, str, list[Finding]]] = field(
        default_factory=list
    )  # id, where, findings
    errors: list[LocatedError] = field(default_factory=list)
    records: int = 0
    facts: int = 0
    asserted: int = 0
    firings: int = 0


_checker: Checker | None = None
_max_bytes = 0


def _start(spec: RulebookSpec, max_bytes: int) -> None:
    global _checker, _max_bytes
    _checker = Checker(spec.load())
    _max_bytes = max_bytes


def _check_unit(unit: Unit) -> UnitResult:
    assert _checker is not None, "worker not started"
    out = UnitResult()
    accepted: list[tuple[str, str]] = []
    per_record: dict[str, list[Finding]] = {}

    def keep(record: LoadedRecord) -> None:
        accepted.append((record.project.id, f"{record.doc.file}:{record.doc.line(('id',))}"))

    def collect(findings: list[Finding]) -> None:
        per_record.setdefault(findings[0].record, []).extend(findings)

    before = (_checker.engine.counts.facts, _checker.engine.counts.firings)
    items = iter_unit(unit, IdRegistry(), _max_bytes)
    result = run(items, _checker, keep, collect, check_batches=False)
    out.groups = [(rid, where, per_record.get(rid, [])) for rid, where in accepted]
    out.errors, out.records, out.facts = result.errors, result.records, result.facts
    out.asserted = _checker.engine.counts.facts - before[0]
    out.firings = _checker.engine.counts.firings - before[1]
    return out


def run_parallel(
    paths: Iterable[Path],
    spec: RulebookSpec,
    rulebook: Rulebook,
    jobs: int,
    max_bytes: int,
    on_findings: Callable[[list[Finding]], None],
    on_progress: Callable[[int], None] | None = None,
) -> RunResult:
    """Check ``paths`` with ``jobs`` worker processes; findings arrive in input order."""
    parent = Checker(rulebook)  # batch files are checked here, once each
    result = RunResult(rules=len(rulebook.rules))
    seen = IdRegistry()
    batches_done: set[str] = set()
    pending: deque[Future[UnitResult]] = deque()
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(jobs, context, initializer=_start, initargs=(spec, max_bytes)) as pool:

        def drain(limit: int) -> None:
            while len(pending) > limit:
                _merge(pending.popleft().result(), result, seen, on_findings, on_progress)

        for unit in plan_units(paths):
            if isinstance(unit, LocatedError):
                drain(0)  # keep errors in input order with the units around them
                result.errors.append(unit)
                continue
            batch, batch_doc = unit.batch
            if batch is not None and batch_doc is not None and batch_doc.file not in batches_done:
                drain(0)
                batches_done.add(batch_doc.file)
                findings, count = parent.check_batch(batch, batch_doc)
                result.facts += count
                if findings:
                    on_findings(findings)
            pending.append(pool.submit(_check_unit, unit))
            drain(jobs * IN_FLIGHT_PER_JOB)
        drain(0)
    result.asserted += parent.engine.counts.facts
    result.firings += parent.engine.counts.firings
    return result


def _merge(
    unit: UnitResult,
    result: RunResult,
    seen: IdRegistry,
    on_findings: Callable[[list[Finding]], None],
    on_progress: Callable[[int], None] | None,
) -> None:
    result.errors.extend(unit.errors)
    result.records += unit.records
    result.facts += unit.facts
    result.asserted += unit.asserted
    result.firings += unit.firings
    for rid, where, findings in unit.groups:
        if (first := seen.claim(rid, where)) is not None:
            file, _, line = where.rpartition(":")
            message = f"record id '{rid}' is also used by {first}; ids must be unique"
            result.errors.append(LocatedError(file, int(line), 1, "id", message))
            result.records -= 1
            continue
        if findings:
            on_findings(findings)
    if on_progress is not None:
        on_progress(unit.records)
