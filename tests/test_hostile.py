"""Hostile input through the real command line: no traceback, the documented exit code, a
located message, and the good record beside the bad one still checked.

The last test runs every plain case of the corpus at once, with ``--jobs 1`` and
with ``--jobs 2``, and wants the same bytes on stdout and stderr: errors cross the
process boundary as data, and ids repeat across every case's folder.
"""

import json
import shutil
from pathlib import Path

import pytest

from .hostile import cases, inputs, outputs, redteam
from .hostile.harness import RUN, Case, build, cli

CORPUS = [*cases.CASES, *inputs.CASES, *outputs.CASES, *redteam.CASES]


def test_the_corpus_is_large_enough() -> None:
    assert len(inputs.CASES) >= 50
    assert len({c.id for c in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.id)
def test_hostile_input(tmp_path: Path, case: Case) -> None:
    build(tmp_path, case)
    proc = cli([*case.command, *case.args], tmp_path, case.env)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == case.code, proc.stderr
    if case.fragment is None:
        assert proc.stderr == ""
    else:
        located = [line for line in proc.stderr.splitlines() if case.fragment in line]
        assert located, proc.stderr
        assert all(line.startswith(case.prefix) for line in located), located
    if case.good:
        found = {(f["rule"], f["record"]) for f in json.loads(proc.stdout)["findings"]}
        assert ("low-execution-rate", "good-record") in found
    if case.check is not None:
        case.check(proc, tmp_path)


def test_jobs_2_gives_the_bytes_of_jobs_1_over_the_corpus(tmp_path: Path) -> None:
    folders = []
    for case in (c for c in CORPUS if c.plain):
        build(tmp_path / case.id, case)
        shutil.move(tmp_path / case.id / "batch", tmp_path / f"{case.id}.batch")
        folders.append(f"{case.id}.batch")
    one = cli([*RUN[:1], *folders, *RUN[2:]], tmp_path)
    two = cli([*RUN[:1], *folders, *RUN[2:], "--jobs", "2"], tmp_path)
    assert "Traceback" not in one.stderr + two.stderr
    assert one.returncode == two.returncode == 2
    assert one.stdout == two.stdout
    assert one.stderr == two.stderr
    summary = json.loads(one.stdout)["summary"]
    assert summary["records"] > 1 and summary["errors"] > len(folders)  # good-record repeats
