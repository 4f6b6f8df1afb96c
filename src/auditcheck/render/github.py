"""GitHub Actions workflow commands: annotations on the pull request's changed lines.

A workbook cell is named at the head of the message (``自评表!E12: …``), since an
annotation has only a line and a column. Each annotation is one line: ``%``, CR and
LF in its message are escaped as the runner expects, and ``:`` and ``,`` too in its
properties (file, title), so no record text or file name can end a command early or
start another one; ``##[`` (the legacy syntax, honoured anywhere in a line) is broken
up. Other control characters are shown as escapes.
"""

from __future__ import annotations

from collections.abc import Iterable

from auditcheck.findings import Finding
from auditcheck.locate import LocatedError
from auditcheck.render.escape import no_legacy_commands, visible

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return (
        no_legacy_commands(visible(text))
        .replace("%", "%25")
        .replace("\r", "%0D")
        .replace("\n", "%0A")
    )


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _cell(place: str) -> str:
    """A workbook cell named before the message: the annotation can only give row and column."""
    return f"{place}: " if place else ""


def github_lines(errors: Iterable[LocatedError], findings: Iterable[Finding]) -> list[str]:
    """``::error``/``::warning``/``::notice`` lines for input errors and open findings."""
    lines = [
        f"::error file={_prop(e.file)},line={e.line},col={e.col},title=input error::"
        f"{_data(_cell(e.place) + (f'{e.field}: {e.message}' if e.field else e.message))}"
        for e in errors
    ]
    lines += [
        f"::{_COMMAND[f.severity]} file={_prop(f.file)},line={f.line},col={f.col},"
        f"title={_prop(f.rule)}::{_data(_cell(f.place) + f.message)}"
        for f in findings
        if f.is_open
    ]
    return lines
