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
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, field_validator

from auditcheck.findings import Finding
from auditcheck.locate import LocatedError, decode, open_regular, parse, validate
from auditcheck.output import atomic_path

BASELINE_VERSION = 1
MAX_BASELINE_BYTES = 100 * 1024 * 1024  # a million findings' fingerprints fit


class BaselineError(Exception):
    """The baseline file cannot be used: located errors, when there are any, and why."""

    def __init__(self, message: str, errors: list[LocatedError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


class _Entry(BaseModel):
    """A finding in the baseline: its fingerprint; rule, record and field are for readers."""

    model_config = ConfigDict(strict=True)

    fingerprint: Annotated[str, Field(pattern="^[0-9a-f]{16}$")]
    rule: str = ""
    record: str = ""
    field: str = ""


class _Baseline(BaseModel):
    model_config = ConfigDict(strict=True)

    version: StrictInt
    findings: list[_Entry]

    @field_validator("version")
    @classmethod
    def _known(cls, version: int) -> int:
        if version != BASELINE_VERSION:
            raise ValueError(f"version {version} is not known; this auditcheck writes version 1")
        return version


class _KeyTwice(ValueError):
    pass


def _once_each(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    if len(set(keys)) < len(keys):
        raise _KeyTwice
    return dict(pairs)


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
    """The fingerprints in a baseline file; :class:`BaselineError` if it is not one.

    The file is parsed as JSON (fast, for a million entries); what is wrong with it is
    located by reading it again with positions (JSON is YAML), so an error names the line
    and the entry: a key given twice, a fingerprint that is not one, a version not known.
    """
    name = str(path)
    try:
        with open_regular(path, name) as handle:
            raw = handle.read(MAX_BASELINE_BYTES + 1)
    except LocatedError as exc:
        raise BaselineError(f"{path}: {exc.message}") from None
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror}") from None
    if len(raw) > MAX_BASELINE_BYTES:
        raise BaselineError(f"{path}: over {MAX_BASELINE_BYTES // 2**20} MB; not a baseline file")
    again = (
        f"{path} is not a baseline file; fix it or write it again with `auditcheck baseline write`"
    )
    try:
        text = decode(raw, name)
        data = json.loads(text, object_pairs_hook=_once_each)
        return {entry.fingerprint for entry in _Baseline.model_validate(data).findings}
    except LocatedError as exc:  # bytes that are not text
        raise BaselineError(again, [exc]) from None
    except json.JSONDecodeError as exc:
        error = LocatedError(name, exc.lineno, exc.colno, "", f"not valid JSON: {exc.msg}")
        raise BaselineError(again, [error]) from None
    except (_KeyTwice, ValidationError, RecursionError):
        raise BaselineError(again, _located(text, name)) from None


def _located(text: str, name: str) -> list[LocatedError]:
    """What is wrong with a baseline, with lines: its text read again, with positions."""
    try:
        _, errors = validate(_Baseline, parse(text, name))
    except LocatedError as exc:
        return [exc]
    return errors or [LocatedError(name, 1, 1, "", "not a baseline file")]


def apply_baseline(findings: Iterable[Finding], known: set[str]) -> list[Finding]:
    """Mark open findings whose fingerprint the baseline holds."""
    return [
        dataclasses.replace(f, status="baselined") if f.is_open and f.fingerprint in known else f
        for f in findings
    ]
