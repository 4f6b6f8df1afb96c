"""Time auditcheck on generated data: load + validate only, then the full run.

    python benchmarks/run.py                 # 10k, 100k, 1M JSON Lines and a 10k YAML folder
    python benchmarks/run.py --sizes 10000   # just one size

For each input it runs, as separate processes on the same files:
(a) ``validate`` with no cross-check rules selected is not a thing, so (a) is
    load + schema validation through the library (``benchmarks/load_only.py``);
(b) the full ``auditcheck run --format jsonl`` with the bundled rulebook, to a file;
(c) the same with ``--jobs 2``.
It prints a Markdown table: records/s, the ratio (b)/(a), and the peak RSS of
the process tree. Data is generated once into benchmarks/data/ (git-ignored).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"


def generate(count: int, yaml: bool) -> Path:
    target = DATA / (f"{count}-yaml" if yaml else f"{count}.jsonl")
    if not target.exists():
        command = [sys.executable, str(HERE / "generate.py"), str(count), "-o", str(target)]
        subprocess.run([*command, *(["--yaml"] if yaml else [])], check=True)
    return target


_PEAK = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def measure(command: list[str]) -> tuple[float, float]:
    """Wall seconds, and the peak RSS (MB) of the largest process the command started.

    The command runs under a fresh Python parent, so its RUSAGE_CHILDREN is this
    command's alone (with --jobs it is the largest of the parent and the workers).
    """
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _PEAK, *command], capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stderr.decode()}")
    return elapsed, int(proc.stdout.split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--yaml-size", type=int, default=10000)
    args = parser.parse_args()
    inputs = [(int(n), generate(int(n), False)) for n in args.sizes.split(",") if n]
    if args.yaml_size:
        inputs.append((args.yaml_size, generate(args.yaml_size, True)))
    cli = [sys.executable, "-m", "auditcheck"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}\n"
    )
    print(
        "| input | records | (a) load+validate rec/s | (b) full run rec/s | (b)/(a) time | "
        "(c) --jobs 2 rec/s | speed-up | peak RSS (b) MB | peak RSS (c) MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count, path in inputs:
        out = DATA / "out.jsonl"
        load, _ = measure([sys.executable, str(HERE / "load_only.py"), str(path)])
        run = [*cli, "run", str(path), "--format", "jsonl", "-o", str(out), "-q"]
        full, rss_full = measure(run)
        par, rss_par = measure([*run, "-j", "2"])
        kind = "YAML folder" if path.is_dir() else "JSONL"
        rates = f"{count / load:,.0f} | {count / full:,.0f} | {full / load:.2f}"
        print(
            f"| {kind} | {count:,} | {rates} | {count / par:,.0f} | {full / par:.2f}× | "
            f"{rss_full:.0f} | {rss_par:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
