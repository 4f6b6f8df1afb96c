"""``--jobs N``: check units of input in N worker processes, hand results on in input order.

Processes, not threads: durable_rules holds the GIL, and one engine must not be
shared between threads. Each worker builds its own engine once, from the rulebook
the parent loaded (sent pickled: a few milliseconds, against a fifth of a second
to load it again). Workers are forked from a *fork server* where the platform has
one (Linux, macOS): a clean process started by :func:`prepare` that imports the
checker once, while the parent loads its rulebook, so a worker is ready in
milliseconds instead of the half-second a fresh interpreter needs; no durable
state crosses a fork, as the server never builds an engine. Elsewhere (Windows)
each worker is a fresh interpreter (``spawn``). The parent plans the units
(streaming through JSON Lines and tables) and keeps at most a few units per
worker in flight, so memory stays flat. A worker never raises: what it found,
errors included, comes back as data (:class:`~auditcheck.check.Checked` and
located errors), and the parent merges it exactly as it merges units checked
in-process — which is what makes ``--jobs N`` byte-identical to ``--jobs 1``.
The caller may have a unit's outcomes turned into something cheaper to send and merge
before they leave the worker (``outgoing``: findings already written for the output).

Each unit (a few hundred KiB) and each unit's result (about 1 MiB of findings written, and
where it can be encoded, for the output) crosses a pipe. Where pipes can be widened (Linux),
the pool's two pipes hold 1 MiB: at the default 64 KiB a message crosses in many writes,
each waiting for the reader, and this process's reading threads wait for the GIL between
reads, so a worker sat idle after every unit (about 5 % of its time at two jobs).

Workers start with SIGINT blocked: Ctrl-C at a terminal reaches the whole
process group, and only the parent should answer it (exit 130, one line).
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

from auditcheck import collector
from auditcheck.check import Checked, Checker, check_unit
from auditcheck.locate import LocatedError, Note
from auditcheck.records.load import Unit
from auditcheck.rulebook.load import Rulebook

try:
    from fcntl import F_SETPIPE_SZ, fcntl
except ImportError:  # not Linux: pipes keep their size
    F_SETPIPE_SZ = None

IN_FLIGHT_PER_JOB = 3
PIPE_BYTES = 1 << 20  # what an unprivileged process may ask for (Linux: fs.pipe-max-size)
# What a worker needs imported: the checker, and what the parent's ``outgoing`` unpickles.
PRELOAD = ["auditcheck.parallel", "auditcheck.pipeline"]
Outcome = Checked | LocatedError | Note
T = TypeVar("T")


class WorkerFailed(Exception):
    """A worker process died (a crash in native code); the run cannot be completed."""


# Picklable; builds the worker's function from a unit's outcomes to what it sends.
Outgoing = Callable[[], Callable[[Iterable[Outcome]], list[Any]]]

_checker: Checker | None = None
_max_bytes = 0
_send: Callable[[Iterable[Outcome]], list[Any]] | None = None


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def prepare(jobs: int) -> None:
    """Start what workers will be forked from, now: it imports the checker while this
    process loads the rulebook. Nothing to do for one job, or without a fork server."""
    if jobs > 1 and _context().get_start_method() == "forkserver":
        with _sigint_blocked():  # the server and every worker forked from it inherit this
            multiprocessing.forkserver.ensure_running()


def _start(rulebook: Rulebook, max_bytes: int, outgoing: Outgoing | None) -> None:
    global _checker, _max_bytes, _send
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _checker = Checker(rulebook)
    _max_bytes = max_bytes
    _send = outgoing() if outgoing is not None else None
    collector.tune()  # a worker only checks, from now until it ends


def _check(unit: Unit) -> list[Any]:
    assert _checker is not None, "worker not started"
    outcomes = check_unit(_checker, unit, _max_bytes)
    return _send(outcomes) if _send is not None else list(outcomes)


def in_order(
    plan: Iterable[Unit | T],
    work: Callable[[Unit], Iterable[Outcome]],
    rulebook: Rulebook,
    max_bytes: int,
    jobs: int,
    outgoing: Outgoing | None = None,
) -> Iterator[Iterable[Any] | T]:
    """Each unit's result, and each other item of ``plan`` as it is, in plan order.

    With ``jobs`` 1 the units are checked here by ``work``; otherwise in worker
    processes, each unit's outcomes passed through the function ``outgoing()``
    builds there. Raises :class:`WorkerFailed` if a worker dies.
    """
    if jobs == 1:
        for item in plan:
            yield work(item) if isinstance(item, Unit) else item
        return
    initargs = (rulebook, max_bytes, outgoing)
    pool = ProcessPoolExecutor(jobs, _context(), initializer=_start, initargs=initargs)
    _widen_pipes(pool)
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


def _widen_pipes(pool: ProcessPoolExecutor) -> None:
    """The pool's pipes widened to hold a message whole, where the platform allows it.

    The executor has no public way to its pipes; should its private names change, or the
    system refuse, the pipes keep their size and only time is lost."""
    if F_SETPIPE_SZ is None:
        return
    for queue in ("_call_queue", "_result_queue"):
        with suppress(AttributeError, OSError):
            fcntl(getattr(pool, queue)._reader.fileno(), F_SETPIPE_SZ, PIPE_BYTES)


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
