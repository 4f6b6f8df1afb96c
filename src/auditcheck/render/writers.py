"""Writers: findings go out as they are found, so a run's memory does not grow with its size.

Streaming formats (text, json, jsonl, github) write each record's findings as
they arrive and the summary at the end. A record's findings are written on their
own, from an :class:`Encoding` alone, so that a worker process (``--jobs``) can
write them and the parent only puts the chunks out in order. SARIF, JUnit and
Markdown are single documents whose shape needs everything at once; they collect
the findings.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

import click

from auditcheck import __version__
from auditcheck.check import RunResult
from auditcheck.findings import Finding
from auditcheck.output import Guarded
from auditcheck.render.github import github_lines
from auditcheck.render.junit import render_junit
from auditcheck.render.markdown import render_markdown
from auditcheck.render.sarif import render_sarif
from auditcheck.render.summary import large_run_lines, severity_counts, status_counts, summary_line
from auditcheck.render.text import render_groups, text_template
from auditcheck.rulebook.schema import CompiledRule

SCHEMA_VERSION = 1


class Output(Protocol):
    """Where a writer writes (standard output or a file, see auditcheck.output)."""

    def write(self, text: str) -> None:
        """Write text."""


class Writer:
    """Receives findings record by record, then the finished result."""

    def __init__(self, out: Output) -> None:
        self.out = out

    def write(self, findings: list[Finding]) -> None:
        """Write one record's findings."""

    def close(self, result: RunResult) -> None:
        """Write what comes after the findings."""


def _summary(result: RunResult) -> dict[str, Any]:
    return {
        "records": result.records,
        "facts": result.facts,
        "facts_asserted": result.asserted,
        "firings": result.firings,
        "rules": result.rules,
        "findings": severity_counts(result),
        **status_counts(result),
        "errors": len(result.errors),
    }


def _errors(result: RunResult) -> list[dict[str, Any]]:
    return [
        {
            "file": e.file,
            "line": e.line,
            "col": e.col,
            "place": e.place,
            "field": e.field,
            "message": e.message,
        }
        for e in result.errors
    ]


_ENCODER = json.JSONEncoder(ensure_ascii=False)  # json.dumps would build one per call
_encode = _ENCODER.encode


def _dumps(value: Any) -> str:
    # "##[" can only stand inside a string: written \u005b there, no CI log reads a command.
    return _encode(value).replace("##[", "##\\u005b")


_text = json.encoder.encode_basestring  # how that encoder writes a text (ensure_ascii=False)
# The texts many findings share (file, suggestion; and, below, the rule's texts and the status),
# each written once: a long suggestion costs more to write than to look up.
_shared = lru_cache(maxsize=4096)(_text)
# The C function that encoder writes any value with, made once with that encoder's settings
# (no cycle check: evidence is plain values): ``encode`` makes it again on every call, about
# half of what writing a finding's evidence takes.
_values = json.encoder.c_make_encoder(
    None, _ENCODER.default, _text, None, ": ", ", ", False, False, True
)


@lru_cache(maxsize=4096)
def _head(rule: str, category: str, dimension: str, severity: str) -> str:
    # What every finding of one rule begins with, written once.
    return (
        f'"rule": {_text(rule)}, "category": {_text(category)}, '
        f'"dimension": {_text(dimension)}, "severity": {_text(severity)}, '
    )


@lru_cache(maxsize=4096)
def _tail(status: str, justification: str, place: str) -> str:
    # What nearly every finding ends with ("open", "", ""), written once.
    return (
        f'"status": {_text(status)}, "justification": {_text(justification)}, '
        f'"place": {_text(place)}}}'
    )


def _finding_json(f: Finding, before: str = "", after: str = "") -> str:
    """``before + _dumps(vars(f)) + after`` for less: the texts written one by one, those
    findings share looked up, the keys as they are, and only the evidence (any JSON value)
    through the encoder."""
    d = vars(f)  # its items read for about half what its attributes cost
    text = (
        f"{before}{{{_head(d['rule'], d['category'], d['dimension'], d['severity'])}"
        f'"record": {_text(d["record"])}, "project": {_text(d["project"])}, '
        f'"file": {_shared(d["file"])}, "line": {d["line"]:d}, "col": {d["col"]:d}, '
        f'"field": {_text(d["field"])}, "message": {_text(d["message"])}, '
        f'"suggestion": {_shared(d["suggestion"])}, '
        f'"evidence": {"".join(_values(d["evidence"], 0))}, '
        f'"fingerprint": {_text(d["fingerprint"])}, '
        f"{_tail(d['status'], d['justification'], d['place'])}{after}"
    )
    return text.replace("##[", "##\\u005b")


def _json_chunk(findings: list[Finding]) -> str:
    return ",\n  ".join([_finding_json(f) for f in findings])


def _jsonl_chunk(findings: list[Finding]) -> str:
    return "".join([_finding_json(f, '{"finding": ', "}\n") for f in findings])


def _github_chunk(findings: list[Finding]) -> str:
    return "".join(line + "\n" for line in github_lines([], findings))


Chunk = str | bytes  # a record's findings as written: text, or bytes in the output's codec


def _joined(chunks: list[Chunk], separator: str = "") -> Chunk:
    """Chunks of one type (the first's) joined; separated by ``separator`` in that type."""
    if chunks and isinstance(chunks[0], bytes):
        return separator.encode().join(chunks)  # type: ignore[arg-type]
    return separator.join(chunks)  # type: ignore[arg-type]


def _plain(text: str, **_: Any) -> str:
    return text


@dataclass(frozen=True)
class Encoding:
    """All it takes to write one record's findings in a streaming format; plain data, so a
    worker process can be given it."""

    format: str  # text, json, jsonl or github
    colour: bool = False
    show_waived: bool = False
    codec: tuple[str, str] | None = None  # (encoding, errors) when the output takes bytes

    def encoder(self) -> Callable[[list[Finding]], str]:
        """The function that writes one record's findings as a chunk for ``take``."""
        if self.format == "text":
            template = text_template(click.style if self.colour else _plain)
            return lambda findings: render_groups(template, findings, self.show_waived)
        return {"json": _json_chunk, "jsonl": _jsonl_chunk, "github": _github_chunk}[self.format]

    def sender(self) -> Callable[[list[Finding]], Chunk]:
        """What a worker writes one record's findings with (empty without findings): the
        chunk ``encoder`` writes, encoded when the output takes bytes, so that the parent
        passes it on without decoding and encoding it again (most of its work per record)."""
        encode = self.encoder()
        if self.codec is None:
            return lambda findings: encode(findings) if findings else ""
        name, errors = self.codec
        return lambda findings: encode(findings).encode(name, errors) if findings else b""


class StreamingWriter(Writer):
    """Writes each record's findings as they come: encoded by its :class:`Encoding` (here,
    or in a worker), then taken in input order."""

    def __init__(self, out: Output, encoding: Encoding) -> None:
        super().__init__(out)
        codec = out.codec if isinstance(out, Guarded) else None
        self.encoding = replace(encoding, codec=codec)
        self.encode = encoding.encoder()

    def write(self, findings: list[Finding]) -> None:
        self.take(self.encode(findings))

    def put(self, chunk: Chunk) -> None:
        """Write a chunk: text, or text a worker encoded in the output's codec."""
        if isinstance(chunk, str):
            self.out.write(chunk)
        else:
            assert isinstance(self.out, Guarded), "bytes for an output that cannot take them"
            self.out.write_bytes(chunk)

    def take(self, chunk: Chunk) -> None:
        """Put out one record's findings, as ``encoding`` wrote them."""
        self.put(chunk)

    def take_all(self, chunks: list[Chunk]) -> None:
        """Put out consecutive records' findings (empty for a record without any) at once:
        what ``take`` of each would put out, in one write."""
        if joined := _joined(chunks):
            self.put(joined)


class TextWriter(StreamingWriter):
    """Grouped by project; the summary (and, for large runs, categories and top projects)."""

    def __init__(self, out: Output, encoding: Encoding, titles: dict[str, str]) -> None:
        super().__init__(out, encoding)
        self.titles = titles

    def close(self, result: RunResult) -> None:
        for line in [*large_run_lines(result, self.titles), summary_line(result)]:
            self.out.write(line + "\n")


class JsonWriter(StreamingWriter):
    """One JSON document (docs/output.md), one finding per line, summary last."""

    def __init__(self, out: Output) -> None:
        super().__init__(out, Encoding("json"))
        tool = _dumps({"name": "auditcheck", "version": __version__})
        out.write(f'{{"schema_version": {SCHEMA_VERSION},\n "tool": {tool},\n "findings": [')
        self.first = True

    def take(self, chunk: Chunk) -> None:
        if chunk:  # a record without findings adds no separator
            lead = "\n  " if self.first else ",\n  "
            self.put(lead + chunk if isinstance(chunk, str) else lead.encode() + chunk)
            self.first = False

    def take_all(self, chunks: list[Chunk]) -> None:
        if written := [chunk for chunk in chunks if chunk]:
            self.take(_joined(written, ",\n  "))

    def close(self, result: RunResult) -> None:
        errors = ",\n  ".join(_dumps(e) for e in _errors(result))
        self.out.write(f'{"" if self.first else chr(10) + " "}],\n "errors": [')
        self.out.write(f"\n  {errors}\n ]" if errors else "]")
        self.out.write(f',\n "summary": {_dumps(_summary(result))}\n}}\n')


class JsonlWriter(StreamingWriter):
    """A finding per line; then an error object per line; then the summary object."""

    def __init__(self, out: Output) -> None:
        super().__init__(out, Encoding("jsonl"))

    def close(self, result: RunResult) -> None:
        for error in _errors(result):
            self.out.write(_dumps({"error": error}) + "\n")
        self.out.write(
            _dumps({"summary": {"schema_version": SCHEMA_VERSION, **_summary(result)}}) + "\n"
        )


class GithubWriter(StreamingWriter):
    """Workflow commands, one per open finding, input errors at the end."""

    def __init__(self, out: Output) -> None:
        super().__init__(out, Encoding("github"))

    def close(self, result: RunResult) -> None:
        self.out.write("".join(line + "\n" for line in github_lines(result.errors, [])))


class CollectingWriter(Writer):
    """For formats that are one document: keep the findings, render at the end."""

    def __init__(self, out: Output, render: Callable[[RunResult], str]) -> None:
        super().__init__(out)
        self.render = render
        self.findings: list[Finding] = []

    def write(self, findings: list[Finding]) -> None:
        self.findings.extend(findings)

    def close(self, result: RunResult) -> None:
        result.findings = self.findings
        self.out.write(self.render(result))


def use_colour(choice: str, terminal: bool) -> bool:
    """``--color``: always, never, or auto (a terminal, and no NO_COLOR in the environment)."""
    return choice == "always" or (choice == "auto" and terminal and "NO_COLOR" not in os.environ)


def make_writer(
    fmt: str,
    out: Output,
    rules: list[CompiledRule],
    colour: bool,
    show_waived: bool,
    baselined: bool,
) -> Writer:
    """The writer for ``fmt``."""
    if fmt == "text":
        titles = {r.category.id: r.category.title for r in rules}
        return TextWriter(out, Encoding("text", colour, show_waived), titles)
    if fmt == "json":
        return JsonWriter(out)
    if fmt == "jsonl":
        return JsonlWriter(out)
    if fmt == "github":
        return GithubWriter(out)
    if fmt == "sarif":
        return CollectingWriter(out, lambda r: render_sarif(r, rules, baselined))
    if fmt == "junit":
        return CollectingWriter(out, lambda r: render_junit(r, rules))
    return CollectingWriter(out, lambda r: render_markdown(r, show_waived))
