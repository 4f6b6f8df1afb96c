"""GitHub Actions workflow commands: annotations on the pull request's changed lines."""

from __future__ import annotations

from auditcheck.check import RunResult

_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _prop(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(result: RunResult) -> str:
    """One ``::error``/``::warning``/``::notice`` line per open finding and per input error."""
    lines = [
        f"::error file={_prop(e.file)},line={e.line},col={e.col},title=input error::"
        f"{_data(f'{e.field}: {e.message}' if e.field else e.message)}"
        for e in result.errors
    ]
    for f in result.findings:
        if not f.is_open:
            continue
        lines.append(
            f"::{_COMMAND[f.severity]} file={_prop(f.file)},line={f.line},col={f.col},"
            f"title={_prop(f.rule)}::{_data(f.message)}"
        )
    return "".join(line + "\n" for line in lines)
