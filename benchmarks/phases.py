"""The target's ratio, measured in one process: (b) a full run ÷ (a) load + validate.

    python benchmarks/phases.py benchmarks/data/20000.jsonl [--rounds 2] [-o out.jsonl]

Both phases run back to back in this process, after the imports and the rulebook are
loaded, alternating ``--rounds`` times; each phase's best round counts. CPU time
(user + system of this process) is what the ratio is computed from: on a shared
machine it does not grow with other processes' load, while wall time does (it is
printed too, with the load average).
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


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(work: Callable[[], object]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of ``work()``."""
    cpu, wall = _cpu(), time.perf_counter()
    work()
    return _cpu() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("path", type=Path)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("-o", "--output", type=Path, default=Path(os.devnull))
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    run = Run(RulebookSpec(BUNDLED), Sources((args.path,)), jobs=args.jobs)

    def load() -> None:
        count = sum(isinstance(item, LoadedRecord) for item in iter_records([args.path]))
        assert count, f"no records in {args.path}"

    def full() -> None:
        with open_output(args.output) as out:
            execute(run, lambda _book: JsonlWriter(out))

    best: dict[str, tuple[float, float]] = {}
    for _ in range(args.rounds):
        for name, work in (("load", load), ("full", full)):
            cpu, wall = timed(work)
            was = best.get(name, (float("inf"), float("inf")))
            best[name] = (min(cpu, was[0]), min(wall, was[1]))
    (a_cpu, a_wall), (b_cpu, b_wall) = best["load"], best["full"]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"(a) load + validate: {a_cpu:.2f} s CPU, {a_wall:.2f} s wall")
    print(f"(b) full run:        {b_cpu:.2f} s CPU, {b_wall:.2f} s wall")
    print(f"(b)/(a): {b_cpu / a_cpu:.2f} by CPU time, {b_wall / a_wall:.2f} by wall time")


if __name__ == "__main__":
    main()
