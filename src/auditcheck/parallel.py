"""``--jobs N``: check units of input in N worker processes, hand results on in input order.

Processes, not threads: durable_rules holds the GIL, and one engine must not be
shared between threads. Each worker builds its own rulebook and engine once
(``spawn``: no durable state crosses a fork). The parent plans the units
(streaming through JSON Lines and tables) and keeps at most a few units per
worker in flight, so memory stays flat. A worker never raises: what it found,
errors included, comes back as data (:class:`~auditcheck.check.Checked` and
located errors), and the parent merges it exactly as it merges units checked
in-process — which is what makes ``--jobs N`` byte-identical to ``--jobs 1``.
The caller may have each outcome turned into something cheaper to send and merge
before it leaves the worker (``outgoing``: findings already written for the output).

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

from auditcheck import collector
from auditcheck.check import Checked, Checker, check_unit
from auditcheck.config import RulebookSpec
from auditcheck.locate import LocatedError, Note
from auditcheck.records.load import Unit

IN_FLIGHT_PER_JOB = 3
Outcome = Checked | LocatedError | Note
T = TypeVar("T")


class WorkerFailed(Exception):
    """A worker process died (a crash in native code); the run cannot be completed."""


Outgoing = Callable[[], Callable[[Outcome], Any]]  # picklable; builds the worker's function

_checker: Checker | None = None
_max_bytes = 0
_send: Callable[[Outcome], Any] | None = None


def _start(spec: RulebookSpec, max_bytes: int, outgoing: Outgoing | None) -> None:
    global _checker, _max_bytes, _send
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _checker = Checker(spec.load())
    _max_bytes = max_bytes
    _send = outgoing() if outgoing is not None else None
    collector.tune()  # a worker only checks, from now until it ends


def _check(unit: Unit) -> list[Any]:
    assert _checker is not None, "worker not started"
    outcomes = check_unit(_checker, unit, _max_bytes)
    return [_send(o) for o in outcomes] if _send is not None else list(outcomes)


def in_order(
    plan: Iterable[Unit | T],
    work: Callable[[Unit], Iterable[Outcome]],
    spec: RulebookSpec,
    max_bytes: int,
    jobs: int,
    outgoing: Outgoing | None = None,
) -> Iterator[Iterable[Any] | T]:
    """Each unit's result, and each other item of ``plan`` as it is, in plan order.

    With ``jobs`` 1 the units are checked here by ``work``; otherwise in worker
    processes, each outcome passed through the function ``outgoing()`` builds
    there. Raises :class:`WorkerFailed` if a worker dies.
    """
    if jobs == 1:
        for item in plan:
            yield work(item) if isinstance(item, Unit) else item
        return
    context = multiprocessing.get_context("spawn")
    initargs = (spec, max_bytes, outgoing)
    pool = ProcessPoolExecutor(jobs, context, initializer=_start, initargs=initargs)
    pending: deque[Future[list[Any]] | Any] = deque()
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
