"""The target's ratio, measured in one process: (b) a full run ÷ (a) load + validate.

    python benchmarks/phases.py benchmarks/data/20000.jsonl [--rounds 2] [-o out.jsonl]
    python benchmarks/phases.py benchmarks/data/100000.jsonl --jobs 2   # and the speed-up

Both phases run back to back in this process, after the imports and the rulebook are
loaded, alternating ``--rounds`` times; each phase's best round counts. CPU time
(user + system of this process) is what the ratio is computed from: on a shared
machine it grows less with other processes' load than wall time does (printed too,
with the load average). With ``--jobs N`` a third phase, (c), runs the full run with
N worker processes in the same rounds; its speed-up over (b) is by wall time, the
only time that counts for it.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from collections.abc import Callable
from pathlib import Path

from auditcheck.cli import BUNDLED
from auditcheck.config import RulebookSpec
from auditcheck.output import open_output
from auditcheck.pipeline import Run, Sources, execute
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.render.writers import JsonlWriter


def _cpu(who: int = resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _children_cpu() -> float:
    """CPU seconds of this process's children that ended, and of those that still run with
    the children they waited for: ``--jobs`` workers are forked by a fork server, a child of
    this process that lives as long as it does (Linux: read from /proc)."""
    total = _cpu(resource.RUSAGE_CHILDREN)
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == os.getpid():  # its parent; then utime, stime, cutime, cstime
            total += sum(int(f) for f in fields[11:15]) / tick
    return total


def timed(work: Callable[[], object]) -> tuple[float, float, float]:
    """(CPU seconds of this process, wall seconds, CPU seconds of its children) of
    ``work()``; the children are the worker processes of ``--jobs``."""
    cpu, wall, children = _cpu(), time.perf_counter(), _children_cpu()
    work()
    return _cpu() - cpu, time.perf_counter() - wall, _children_cpu() - children


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path, default=Path(os.devnull))
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    sources = Sources((args.path,))
    runs = {"full": Run(RulebookSpec(BUNDLED), sources)}
    if args.jobs > 1:
        runs["jobs"] = Run(RulebookSpec(BUNDLED), sources, jobs=args.jobs)

    def load() -> None:
        count = sum(isinstance(item, LoadedRecord) for item in iter_records([args.path]))
        assert count, f"no records in {args.path}"

    def full(run: Run) -> Callable[[], None]:
        def work() -> None:
            with open_output(args.output) as out:
                execute(run, lambda _book: JsonlWriter(out))

        return work

    phases = [("load", load), *((name, full(run)) for name, run in runs.items())]
    best: dict[str, tuple[float, float, float]] = {}
    for _ in range(args.rounds):
        for name, work in phases:
            times = timed(work)
            was = best.get(name, (float("inf"),) * 3)
            best[name] = tuple(map(min, times, was))  # type: ignore[assignment]
    (a_cpu, a_wall, _), (b_cpu, b_wall, _) = best["load"], best["full"]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"(a) load + validate: {a_cpu:.2f} s CPU, {a_wall:.2f} s wall")
    print(f"(b) full run:        {b_cpu:.2f} s CPU, {b_wall:.2f} s wall")
    print(f"(b)/(a): {b_cpu / a_cpu:.2f} by CPU time, {b_wall / a_wall:.2f} by wall time")
    if "jobs" in best:
        c_cpu, c_wall, c_workers = best["jobs"]
        print(
            f"(c) --jobs {args.jobs}:       {c_wall:.2f} s wall, {b_wall / c_wall:.2f}× (b); "
            f"CPU {c_cpu:.2f} s in this process, {c_workers:.2f} s in the workers"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process (workers not counted): {peak:.0f} MB")


if __name__ == "__main__":
    main()
