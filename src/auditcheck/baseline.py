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

BASELINE_VERSION = 1


class BaselineError(Exception):
    """The baseline file cannot be used."""


def write_baseline(path: Path, findings: Iterable[Finding]) -> int:
    """Write the open findings' fingerprints to ``path``; returns how many."""
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
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def read_baseline(path: Path) -> set[str]:
    """The fingerprints in a baseline file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != BASELINE_VERSION:
            raise BaselineError(f"{path}: unsupported baseline version {data.get('version')!r}")
        return {entry["fingerprint"] for entry in data["findings"]}
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BaselineError(
            f"{path}: not a baseline file; write one with `auditcheck baseline write`"
        ) from None


def apply_baseline(findings: Iterable[Finding], known: set[str]) -> list[Finding]:
    """Mark open findings whose fingerprint the baseline holds."""
    return [
        dataclasses.replace(f, status="baselined") if f.is_open and f.fingerprint in known else f
        for f in findings
    ]
