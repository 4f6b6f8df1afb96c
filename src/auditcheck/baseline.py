"""Baseline: the findings a project already had, so that only new ones fail.

A baseline file is JSON listing fingerprints (rule + record + field path, never a
line number), with the rule, record and field beside each for people reading
the diff. Findings in it are marked ``baselined`` and do not set the exit code.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from pathlib import Path

from auditcheck.findings import Finding
from auditcheck.locate import LocatedError, open_regular
from auditcheck.output import atomic_path

BASELINE_VERSION = 1
MAX_BASELINE_BYTES = 100 * 1024 * 1024  # a million findings' fingerprints fit


class BaselineError(Exception):
    """The baseline file cannot be used."""


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Write the open findings' fingerprints to ``path`` (whole or not at all); returns how many.

    Raises :class:`~auditcheck.output.OutputError` when the file cannot be written.
    """
    entries = sorted(
        {
            f.fingerprint: {"rule": f.rule, "record": f.record, "field": f.field}
            for f in findings
            if f.is_open
        }.items()
    )
    payload = {
        "version": BASELINE_VERSION,
        "findings": [{"fingerprint": fp, **info} for fp, info in entries],
    }
    with atomic_path(path) as temp:
        temp.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def read_baseline(path: Path) -> set[str]:
    """The fingerprints in a baseline file."""
    try:
        with open_regular(path, str(path)) as handle:
            data = json.loads(handle.read(MAX_BASELINE_BYTES).decode("utf-8-sig"))
        if data.get("version") != BASELINE_VERSION:
            raise BaselineError(f"{path}: unsupported baseline version {data.get('version')!r}")
        return {entry["fingerprint"] for entry in data["findings"]}
    except LocatedError as exc:
        raise BaselineError(f"{path}: {exc.message}") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        raise BaselineError(
            f"{path}: not a baseline file; write one with `auditcheck baseline write`"
        ) from None


def apply_baseline(findings: Iterable[Finding], known: set[str]) -> list[Finding]:
    """Mark open findings whose fingerprint the baseline holds."""
    return [
        dataclasses.replace(f, status="baselined") if f.is_open and f.fingerprint in known else f
        for f in findings
    ]
