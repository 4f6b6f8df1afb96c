"""JSON Lines input: one project record per line, streamed.

Each line is a JSON object with the same fields as a YAML record (dates as
``"2023-12-31"``). Lines are validated by pydantic's JSON parser directly, which
is several times faster than loading YAML; an error names the file, the line
(the row), the column where the field's key stands on that line, and the field.
Blank lines are skipped. A line that cannot be decoded or parsed loses that line
only. A key given twice in one object is an error, never "the last one wins". A value
under an earlier spelling (a renamed topic) is read, with the note YAML gets.
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditcheck.locate import (
    TOO_LARGE,
    Document,
    LineDecoder,
    LocatedError,
    PathKey,
    Position,
    describe_error,
    dotted,
    note_renamed,
    open_regular,
    read_lines,
    too_large,
)
from auditcheck.records.model import RENAMED, Project


@dataclass
class LineDocument(Document):
    """A record that is one line of a file: positions are that line, at the field's key."""

    line_number: int = 1
    text: str = ""

    def line(self, path: PathKey) -> int:
        """Every field of the record stands on its one line."""
        return self.line_number

    def short(self, path: PathKey) -> str:
        """``file:line``: no need to look for the key (each record's id is placed so)."""
        return f"{self.file}:{self.line_number}"

    def position(self, path: PathKey) -> Position:
        """The line, and the column of the last named key of ``path`` on it (1 if not found)."""
        for key in reversed((*self.prefix, *path)):
            if isinstance(key, str):
                return Position(self.line_number, self.text.find(f'"{key}"') + 1 or 1)
        return Position(self.line_number, 1)


class _Refused(Exception):
    """What the standard parser's hooks found: a key given twice, or a figure too large."""

    def __init__(self, text: str, key: str = "") -> None:
        super().__init__(text)
        self.text = text
        self.key = key


def _refuse_duplicates(pairs: list[tuple[str, Any]]) -> None:
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise _Refused(f'"{key}"', key)
        seen.add(key)


def _number(text: str) -> float:
    if too_large(value := float(text)) and math.isfinite(value):
        raise _Refused(text)
    return value


def _structure_error(text: str, file: str, line: int) -> LocatedError | None:
    """A key given twice in one object, or a figure too large, if the line holds one.

    pydantic's parser keeps the last value of a repeated key; the standard parser
    with hooks sees every pair and every number (about 8 µs a line). Lines it
    cannot parse are left to pydantic, which reports them with its own message.
    """
    try:
        json.loads(
            text, object_pairs_hook=_refuse_duplicates, parse_float=_number, parse_int=_number
        )
    except _Refused as exc:
        if not exc.key:
            return LocatedError(file, line, text.find(exc.text) + 1 or 1, "", TOO_LARGE)
        first = text.find(exc.text)
        col = text.find(exc.text, first + 1) + 1 or 1
        message = f"key '{exc.key}' given twice in one object; keep one of them"
        return LocatedError(file, line, col, exc.key, message)
    except (ValueError, RecursionError):
        return None
    return None


def parse_line(
    text: str, file: str, line: int
) -> tuple[Project | None, LineDocument, list[LocatedError]]:
    """Validate one JSON line as a project record."""
    doc = LineDocument(file=file, data=None, line_number=line, text=text)
    problem = _structure_error(text, file, line)
    errors = [problem] if problem is not None else []
    try:
        project = Project.model_validate_json(text)
    except ValidationError as exc:
        RENAMED.clear()
        errors.extend(_errors(exc, doc))
        return None, doc, errors
    if errors:
        RENAMED.clear()
        return None, doc, errors
    if RENAMED:  # an earlier spelling, noted as YAML's are (the line is parsed again, rarely)
        note_renamed(doc, json.loads(text))
    return project, doc, errors


def _errors(exc: ValidationError, doc: LineDocument) -> list[LocatedError]:
    file, line = doc.file, doc.line_number
    errors = []
    for err in exc.errors(include_url=False):
        if err["type"] == "json_invalid":
            reason = (err.get("ctx") or {}).get("error", err["msg"])
            errors.append(LocatedError(file, line, 1, "", f"not valid JSON: {reason}"))
            continue
        if err["type"] == "model_type":
            errors.append(LocatedError(file, line, 1, "", "expected a JSON object for the record"))
            continue
        path: tuple[Any, ...] = tuple(p for p in err["loc"] if isinstance(p, int | str))
        pos = doc.position(path)
        errors.append(
            LocatedError(file, line, pos.col, dotted(path), describe_error(Project, err, path))
        )
    return errors


EMPTY = "the file is empty; write one record per line, or remove the file"


@dataclass(frozen=True)
class Lines:
    """Consecutive lines of a JSON Lines file as read, decoded where they are checked (in a
    worker too): the number of the first, and the encoding earlier lines settled ("" if none)."""

    first: int
    raw: bytes
    encoding: str

    def decoded(self, display: str) -> Iterator[tuple[int, str | LocatedError]]:
        """(line number, text) for the non-blank lines; a line that cannot be decoded as a
        :class:`LocatedError` in its place."""
        decoder = LineDecoder(display, self.encoding)
        for number, raw in enumerate(io.BytesIO(self.raw), self.first):  # split as readline does
            try:
                text = decoder(raw, number)
            except LocatedError as exc:
                yield number, exc
                continue
            if text.strip():
                yield number, text.rstrip("\r\n")


def read_blocks(
    path: Path, display: str, max_bytes: int, size: int
) -> Iterator[Lines | LocatedError]:
    """The lines of ``path``, read as a stream, ``size`` to a block left undecoded (fewer when
    they come to ``max_bytes``); a line longer than ``max_bytes`` as a :class:`LocatedError` in
    its place; at the end, an error if no line holds anything. Opening the file may raise
    :class:`LocatedError`.

    Decoding is the larger part of reading, and it is left to whoever checks the block;
    here a line is decoded only until the file's first text and its encoding are settled
    (usually its first line), which is all a block needs to start from.
    """
    follow = LineDecoder(display)
    seen = False  # a line with text, or an error: the file is not empty
    block: list[bytes] = []
    held = 0  # bytes in the block: a block of long lines stays under about 2 × max_bytes
    first = 1
    encoding = ""
    with open_regular(path, display) as handle:
        for number, raw in read_lines(handle, display, max_bytes):
            if isinstance(raw, LocatedError):
                if block:
                    yield Lines(first, b"".join(block), encoding)
                    block, held = [], 0
                seen = True
                yield raw
                continue
            if not block:
                first, encoding = number, follow.encoding
            block.append(raw)
            held += len(raw)
            if not seen or not (follow.encoding or raw.isascii()):
                try:
                    text = follow(raw, number)
                except LocatedError:
                    seen = True
                else:
                    seen = seen or bool(text.strip())
            if len(block) == size or held >= max_bytes:
                yield Lines(first, b"".join(block), encoding)
                block, held = [], 0
    if block:
        yield Lines(first, b"".join(block), encoding)
    if not seen:
        yield LocatedError(display, 1, 1, "", EMPTY)
