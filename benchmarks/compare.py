"""Same output, byte for byte: this tree's auditcheck against another revision's.

    python benchmarks/compare.py main                      # every format, generated data + seed
    python benchmarks/compare.py main --formats jsonl --inputs benchmarks/data/100000.jsonl

The other revision's ``src/`` is exported with ``git archive`` into a temporary
folder and run with this environment's Python (its ``PYTHONPATH`` first), both
with this tree's rulebook, so that only the code differs. Every input is checked
in every format by both, and by this tree again with ``--jobs 2``; the outputs
must be identical, and so must the exit codes and what is said on standard error
(input errors: hostile inputs are worth comparing too). Exit 1 on the first
difference, showing the line it is on.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RULES = ROOT / "src" / "auditcheck" / "rules"
FORMATS = "jsonl,json,text,sarif,github,junit,markdown"


def export(revision: str, into: Path) -> Path:
    """The ``src/`` folder of ``revision``, written under ``into``."""
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(
            ["git", "-C", str(ROOT), "archive", revision, "src", "rules"], stdout=out, check=True
        )
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def run(source: Path | None, path: Path, fmt: str, out: Path, jobs: int = 1) -> tuple[int, str]:
    """``auditcheck run`` from ``source`` (None: this tree), findings to ``out``; its exit
    code and standard error."""
    env = dict(os.environ)
    if source is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(source), env.get("PYTHONPATH")]))
    command = [sys.executable, "-m", "auditcheck", "run", str(path), "--rules", str(RULES)]
    command += ["--format", fmt, "-o", str(out), "-q", "-j", str(jobs)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode not in (0, 1, 2) or "Traceback" in done.stderr:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return done.returncode, done.stderr


def first_difference(a: Path, b: Path) -> str | None:
    """Where two files first differ, as ``line N`` and both lines; None when identical."""
    with a.open("rb") as left, b.open("rb") as right:
        for number, (x, y) in enumerate(zip(left, right, strict=False), 1):
            if x != y:
                return f"line {number}:\n  - {x[:300]!r}\n  + {y[:300]!r}"
        if left.read(1) or right.read(1):
            return f"one output is longer than the other after line {number}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision", help="the revision to compare with, e.g. main")
    parser.add_argument("--formats", default=FORMATS)
    parser.add_argument(
        "--inputs",
        nargs="*",
        type=Path,
        default=[ROOT / "fixtures" / "2023", HERE / "data" / "20000.jsonl"],
    )
    args = parser.parse_args()
    generated = HERE / "data" / "20000.jsonl"
    if generated in args.inputs and not generated.exists():
        command = [sys.executable, str(HERE / "generate.py"), "20000", "-o", str(generated)]
        subprocess.run(command, check=True)
    with tempfile.TemporaryDirectory() as temp:
        work = Path(temp)
        old_src = export(args.revision, work)
        for path in args.inputs:
            for fmt in args.formats.split(","):
                old, new, par = (work / f"{name}.{fmt}" for name in ("old", "new", "jobs2"))
                said = run(old_src, path, fmt, old)
                for label, mine, jobs in (("", new, 1), (" with --jobs 2", par, 2)):
                    if (mine_said := run(None, path, fmt, mine, jobs)) != said:
                        print(f"{path} --format {fmt}{label}: exit code or standard error differ")
                        print(f"  - {said!r}\n  + {mine_said!r}")
                        sys.exit(1)
                    if (where := first_difference(old, mine)) is not None:
                        print(
                            f"{path} --format {fmt}{label}: differs from {args.revision} at {where}"
                        )
                        sys.exit(1)
                print(
                    f"{path} --format {fmt}: identical ({old.stat().st_size:,} bytes)", flush=True
                )


if __name__ == "__main__":
    main()
