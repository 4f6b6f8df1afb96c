"""The error boundary: a bug that an input triggers costs that record only; anything else is one
line, `internal error: …`, exit 2 — never a traceback, never the 0 or 1 of a finished check.

Bugs are planted by running the command line under ``python -c`` with one function replaced.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, seed_copy

ENV = {"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"}


def planted(patch: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    code = f"{patch}\nfrom auditcheck.cli import main\nmain({list(args)!r})"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=ENV,
        check=False,
    )


CRASH_ON_CLINICS = """
import auditcheck.check as check
real = check.facts_of
def facts_of(record, *args):
    if record.project.id == "village-clinics":
        raise ZeroDivisionError("planted")
    return real(record, *args)
check.facts_of = facts_of
"""


# Records are checked in blocks (their facts of a kind asserted in one call): a failure
# while one record's facts are written, or the engine refusing them, is that record's alone.
CRASH_IN_ENCODER = """
import auditcheck.check as check
real = check.encoders
def encoders(engine):
    found = real(engine)
    inner = found["project"]
    def encode(item, ctx):
        if item.id == "village-clinics":
            raise ZeroDivisionError("planted")
        return inner(item, ctx)
    found["project"] = encode
    return found
check.encoders = encoders
"""
CRASH_IN_ENGINE = """
import auditcheck.engine as engine
real = engine.Engine.evaluate
def evaluate(self, kind, rid, facts):
    if "village-clinics" in ([rid] if isinstance(rid, str) else rid):
        raise ZeroDivisionError("planted")
    return real(self, kind, rid, facts)
engine.Engine.evaluate = evaluate
"""


@pytest.mark.parametrize("patch", [CRASH_ON_CLINICS, CRASH_IN_ENCODER, CRASH_IN_ENGINE])
def test_a_crash_on_one_record_is_a_located_error_for_it(patch: str) -> None:
    proc = planted(patch, "run", "fixtures/2023", "--format", "json")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert line.startswith("fixtures/2023/05-village-clinics.yaml:2:1: could not be checked")
    assert "ZeroDivisionError: planted" in line
    assert '"records": 8' in proc.stdout  # the other eight were checked


def test_anything_else_is_one_line_internal_error() -> None:
    patch = "import auditcheck.cli as cli\ncli.make_writer = lambda *a: 1 / 0"
    proc = planted(patch, "run", "fixtures/2023")
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "auditcheck: internal error: ZeroDivisionError: division by zero (please report this)"
    ]


COMMANDS = [
    ["run", "2023"],
    ["validate", "2023"],
    ["report", "2023", "-o", "draft.md"],
    ["baseline", "write", "baseline.json", "2023"],
    ["explain", "2023", "--rule", "low-execution-rate"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_an_input_error_is_printed_once_by_every_command(tmp_path: Path, command) -> None:
    seed_copy(tmp_path, {"05-village-clinics.yaml": [("spent: 245.98", 'spent: "很多"')]})
    proc = planted("", *command, cwd=tmp_path)
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if "05-village-clinics.yaml" in line]
    assert len(errors) == 1, proc.stderr
    assert not (tmp_path / "draft.md").exists() and not (tmp_path / "baseline.json").exists()


def test_rules_test_uses_the_default_parameters_whatever_the_configuration(tmp_path) -> None:
    (tmp_path / "auditcheck.toml").write_text(
        "[params.low-execution-rate]\nthreshold = 0\n", "utf-8"
    )
    assert planted("", "rules", "test", cwd=tmp_path).returncode == 0
    proc = planted("", "run", str(FIXTURES), "--select", "low-execution-rate", cwd=tmp_path)
    assert proc.returncode == 0 and "低于0%" not in proc.stdout  # the file applies to run


def test_the_draft_is_written_beside_notes_on_other_files(tmp_path: Path) -> None:
    batch = seed_copy(tmp_path)
    (batch / "README.md").write_text("# 资料来源\n", "utf-8")
    proc = planted("", "report", "2023", "-o", "draft.md", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == "2023/README.md: note: not a record file; not read"
    assert (tmp_path / "draft.md").read_text("utf-8").startswith("#")


def test_a_worker_that_dies_is_one_line_exit_2(tmp_path: Path) -> None:
    # sitecustomize runs in every Python process (the fork server's too); only a worker dies.
    (tmp_path / "sitecustomize.py").write_text(
        "import multiprocessing, os\n"
        "import auditcheck.check as check\n"
        "check_all = check.Checker.check_all\n"
        "def dying(*args, **kw):\n"
        "    if multiprocessing.parent_process() is not None:\n"
        "        os._exit(9)\n"
        "    return check_all(*args, **kw)\n"
        "check.Checker.check_all = dying\n",
        "utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-m", "auditcheck", "run", str(FIXTURES), "--jobs", "2"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={**ENV, "PYTHONPATH": str(tmp_path)},
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2
    [line] = proc.stderr.splitlines()
    assert line.startswith("auditcheck: a worker process died") and "--jobs 1" in line


def test_the_cli_stays_a_thin_layer() -> None:
    """The issue's bound: the command line only parses, calls, prints and exits."""
    lines = (ROOT / "src" / "auditcheck" / "cli.py").read_text("utf-8").splitlines()
    assert len(lines) <= 350, "move logic to pipeline.py and printing to render/console.py"
