"""``--jobs N``: check units of input in N worker processes, hand results on in input order.

Processes, not threads: durable_rules holds the GIL, and one engine must not be
shared between threads. Each worker builds its own rulebook and engine once
(``spawn``: no durable state crosses a fork). The parent plans the units
(streaming through JSON Lines and tables) and keeps at most a few units per
worker in flight, so memory stays flat. A worker never raises: what it found,
errors included, comes back as data (:class:`~auditcheck.check.Checked` and
located errors), and the parent merges it exactly as it merges units checked
in-process — which is what makes ``--jobs N`` byte-identical to ``--jobs 1``.

Workers start with SIGINT blocked: Ctrl-C at a terminal reaches the whole
process group, and only the parent should answer it (exit 130, one line).
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from auditcheck.check import Checked, Checker, check_unit
from auditcheck.config import RulebookSpec
from auditcheck.locate import LocatedError, Note
from auditcheck.records.load import Unit

IN_FLIGHT_PER_JOB = 3
Outcome = Checked | LocatedError | Note
Result = list[Outcome]
T = TypeVar("T")


class WorkerFailed(Exception):
    """A worker process died (a crash in native code); the run cannot be completed."""


_checker: Checker | None = None
_max_bytes = 0


def _start(spec: RulebookSpec, max_bytes: int) -> None:
    global _checker, _max_bytes
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _checker = Checker(spec.load())
    _max_bytes = max_bytes


def _check(unit: Unit) -> Result:
    assert _checker is not None, "worker not started"
    return list(check_unit(_checker, unit, _max_bytes))


def in_order(
    plan: Iterable[Unit | T],
    work: Callable[[Unit], Iterable[Outcome]],
    spec: RulebookSpec,
    max_bytes: int,
    jobs: int,
) -> Iterator[Iterable[Outcome] | T]:
    """Each unit's result, and each other item of ``plan`` as it is, in plan order.

    With ``jobs`` 1 the units are checked here by ``work``; otherwise in worker
    processes. Raises :class:`WorkerFailed` if a worker dies.
    """
    if jobs == 1:
        for item in plan:
            yield work(item) if isinstance(item, Unit) else item
        return
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(jobs, context, initializer=_start, initargs=(spec, max_bytes))
    pending: deque[Future[Result] | Any] = deque()
    try:
        for item in plan:
            if isinstance(item, Unit):
                with _sigint_blocked():  # a worker started now inherits the blocked signal
                    pending.append(pool.submit(_check, item))
            else:
                pending.append(item)
            while len(pending) > jobs * IN_FLIGHT_PER_JOB or (
                pending and not isinstance(pending[0], Future)
            ):
                yield _result(pending.popleft())
        while pending:
            yield _result(pending.popleft())
    finally:
        # On Ctrl-C or an early stop: drop queued units; running ones finish within a unit.
        pool.shutdown(wait=True, cancel_futures=True)


def _result(item: Any) -> Any:
    if not isinstance(item, Future):
        return item
    try:
        return item.result()
    except BrokenProcessPool as exc:
        raise WorkerFailed(f"a worker process died ({exc}); rerun with --jobs 1") from None


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
