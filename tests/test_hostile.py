"""Hostile input through the real command line: no traceback, the documented exit code, a
located message, and the good record beside the bad one still checked."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .hostile.cases import CASES, GOOD_RECORD, Case


def build(folder: Path, case: Case) -> None:
    if case.batch is not None:
        (folder / "batch.yaml").write_text(case.batch, "utf-8")
    (folder / "good.yaml").write_text(GOOD_RECORD, "utf-8")
    for name, content in case.files.items():
        if name.endswith("/"):
            (folder / name.rstrip("/")).mkdir()
        elif name.endswith("@"):
            (folder / name.rstrip("@")).symlink_to(str(content))
        elif isinstance(content, bytes):
            (folder / name).write_bytes(content)
        else:
            (folder / name).write_text(content, "utf-8")


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_hostile_input(tmp_path: Path, case: Case) -> None:
    batch = tmp_path / "batch"
    batch.mkdir()
    build(batch, case)
    proc = subprocess.run(
        [sys.executable, "-m", "auditcheck", "run", "batch", "--format", "json", *case.args],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={"PATH": os.environ.get("PATH", ""), "PYTHONIOENCODING": "utf-8"},
        timeout=120,
        check=False,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == case.code, proc.stderr
    if case.fragment is None:
        assert proc.stderr == ""
    else:
        lines = proc.stderr.strip().splitlines()
        assert any(case.fragment in line for line in lines), proc.stderr
        located = [line for line in lines if case.fragment in line]
        assert all(line.startswith("batch") for line in located), located  # file named first
    data = json.loads(proc.stdout)
    assert ("low-execution-rate", "good-record") in {
        (f["rule"], f["record"]) for f in data["findings"]
    }
