"""Shared fixtures: paths to the repository's rules and seed fixtures, and a CLI runner."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from auditcheck.rulebook.load import Rulebook, load_rulebook

ROOT = Path(__file__).resolve().parent.parent
RULES = ROOT / "rules"
FIXTURES = ROOT / "fixtures" / "2023"


def seed_copy(folder: Path, edits: dict[str, list[tuple[str, str]]] | None = None) -> Path:
    """fixtures/2023 copied to ``folder/2023``, with text replaced (each ``old`` must occur)."""
    batch = folder / "2023"
    shutil.copytree(FIXTURES, batch)
    for name, pairs in (edits or {}).items():
        path = batch / name
        text = path.read_text("utf-8")
        for old, new in pairs:
            assert old in text, (name, old)
            text = text.replace(old, new)
        path.write_text(text, "utf-8")
    return batch


@pytest.fixture(scope="session")
def rulebook() -> Rulebook:
    return load_rulebook(RULES)


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess, as a user or CI would."""
    return subprocess.run(
        [sys.executable, "-m", "auditcheck", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env={"PATH": "/usr/bin:/bin", "PYTHONIOENCODING": "utf-8"},
        check=False,
    )


def cli_json(*args: str, cwd: Path = ROOT) -> tuple[int, dict[str, Any], str]:
    proc = cli(*args, "--format", "json", cwd=cwd)
    return proc.returncode, json.loads(proc.stdout), proc.stderr
