"""How a run ends when it is stopped from outside: Ctrl-C, SIGTERM and SIGHUP, a reader that
goes away, a full disk.

Ctrl-C is sent to the whole process group, as a terminal does, so worker
processes receive it too; only the parent may answer, with one line and 130.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT

BENCH = ROOT / "benchmarks"
ENV = {"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("big") / "records.jsonl"
    command = [sys.executable, str(BENCH / "generate.py"), "20000", "-o", str(target)]
    subprocess.run(command, check=True, capture_output=True)
    return target


def start(*args: str, cwd: Path, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "auditcheck", *args],
        cwd=cwd,
        env=ENV,
        stderr=subprocess.PIPE,
        start_new_session=True,
        **kw,
    )


def wait_for_output(folder: Path, proc: subprocess.Popen) -> None:
    """Until the temporary output file holds something: the run is under way."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if any(p.stat().st_size for p in folder.glob(".out.json.*.tmp")):
            return
        time.sleep(0.05)
    raise AssertionError("the run never started writing")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_ends_with_one_line_130_and_no_output_file(big: Path, tmp_path: Path, jobs) -> None:
    proc = start(
        "run", str(big), "--jobs", jobs, "--format", "json", "-o", "out.json", cwd=tmp_path
    )
    wait_for_output(tmp_path, proc)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert stderr.decode() == "auditcheck: interrupted\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no temporary file
    assert not group_alive(proc.pid)  # the workers are gone with it


@pytest.mark.parametrize(
    ("sent", "code", "line"),
    [(signal.SIGTERM, 143, "stopped by SIGTERM"), (signal.SIGHUP, 129, "stopped by SIGHUP")],
)
def test_a_cancelled_job_or_a_closed_terminal_leaves_no_file(
    big: Path, tmp_path: Path, sent: int, code: int, line: str
) -> None:
    """CI cancels a job with SIGTERM; a closed terminal sends SIGHUP (to the parent alone)."""
    proc = start("run", str(big), "--format", "json", "-o", "out.json", cwd=tmp_path)
    wait_for_output(tmp_path, proc)
    proc.send_signal(sent)
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr.decode()) == (code, f"auditcheck: {line}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no output, no temporary file


def group_alive(group: int) -> bool:
    """Whether any process of ``group`` is still there after a few seconds."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return False
        time.sleep(0.1)
    return True


def test_ctrl_c_while_starting_is_one_line_too(big: Path, tmp_path: Path) -> None:
    proc = start("run", str(big), cwd=tmp_path, stdout=subprocess.DEVNULL)
    time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert (proc.returncode, stderr.decode()) == (130, "auditcheck: interrupted\n")


def test_a_reader_that_goes_away_ends_the_run_quietly(big: Path, tmp_path: Path) -> None:
    proc = start("run", str(big), "--format", "jsonl", cwd=tmp_path, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.read(100)
    proc.stdout.close()  # like `| head -c 100`
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 141
    assert stderr.decode() == ""


def test_a_full_standard_output_is_one_line_exit_2(tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        proc = start("run", str(ROOT / "fixtures" / "2023"), cwd=tmp_path, stdout=full)
        _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert stderr.decode() == "auditcheck: cannot write standard output: No space left on device\n"
