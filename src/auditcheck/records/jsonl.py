"""JSON Lines input: one project record per line, streamed.

Each line is a JSON object with the same fields as a YAML record (dates as
``"2023-12-31"``). Lines are validated by pydantic's JSON parser directly, which
is several times faster than loading YAML; an error names the file, the line
(the row), the column where the field's key stands on that line, and the field.
Blank lines are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from auditcheck.locate import Document, LocatedError, PathKey, Position, describe_error, dotted
from auditcheck.records.model import Project


@dataclass
class LineDocument(Document):
    """A record that is one line of a file: positions are that line, at the field's key."""

    line_number: int = 1
    text: str = ""

    def line(self, path: PathKey) -> int:
        """Every field of the record stands on its one line."""
        return self.line_number

    def position(self, path: PathKey) -> Position:
        """The line, and the column of the last named key of ``path`` on it (1 if not found)."""
        keys = [p for p in (*self.prefix, *path) if isinstance(p, str)]
        col = self.text.find(f'"{keys[-1]}"') + 1 if keys else 1
        return Position(self.line_number, max(col, 1))


def parse_line(
    text: str, file: str, line: int
) -> tuple[Project | None, LineDocument, list[LocatedError]]:
    """Validate one JSON line as a project record."""
    doc = LineDocument(file=file, data=None, line_number=line, text=text)
    try:
        return Project.model_validate_json(text), doc, []
    except ValidationError as exc:
        errors = []
        for err in exc.errors(include_url=False):
            if err["type"] == "json_invalid":
                errors.append(
                    LocatedError(
                        file, line, 1, "", f"not valid JSON: {err['ctx'].get('error', err['msg'])}"
                    )
                )
                continue
            path: tuple[Any, ...] = tuple(p for p in err["loc"] if isinstance(p, int | str))
            if err["type"] == "model_type":
                errors.append(
                    LocatedError(file, line, 1, "", "expected a JSON object for the record")
                )
                continue
            pos = doc.position(path)
            errors.append(
                LocatedError(file, line, pos.col, dotted(path), describe_error(Project, err, path))
            )
        return None, doc, errors


def iter_lines(path: Path, display: str, start: int = 1) -> Iterator[tuple[int, str]]:
    """(line number, text) for the non-blank lines of ``path``, read as a stream."""
    with path.open(encoding="utf-8-sig", errors="strict", newline=None) as handle:
        for number, text in enumerate(handle, start):
            if text.strip():
                yield number, text.rstrip("\n")
