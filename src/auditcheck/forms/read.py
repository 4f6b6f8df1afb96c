"""Form files → validated project records, or errors naming workbook, sheet and cell.

Each visible sheet (each table of a Word document) that holds a form is one
record; empty sheets are skipped; a sheet with no form label beside forms (a
填表说明) is noted and not read; every other sheet is still read when one fails.
绩效目标表 are joined to the 自评表 of the same project across all files read
together, then each record is checked against the record model, so an error
names the cell the offending value came from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from auditcheck.forms.grid import FormError
from auditcheck.forms.join import join
from auditcheck.forms.record import FormRecord, Stray, read_sheet
from auditcheck.forms.workbook import open_sheets
from auditcheck.locate import DEFAULT_MAX_BYTES, Document, Note, Position, validate
from auditcheck.records.model import Project


def read_forms(
    files: Iterable[tuple[Path, str]], max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[FormRecord | FormError | Note]:
    """Each project of the given form files (path, name to show), validated; an error for each
    problem; a note for each sheet beside the forms that holds none (a 填表说明)."""
    forms: list[FormRecord] = []
    for path, display in files:
        try:
            sheets = open_sheets(path, display, max_bytes)
        except FormError as error:
            yield error
            continue
        strays: list[Stray] = []
        found = False
        for sheet in sheets:
            result = sheet if isinstance(sheet, FormError) else read_sheet(sheet, display)
            if isinstance(result, Stray):
                strays.append(result)
                continue
            found = found or result is not None
            if isinstance(result, FormError):
                yield result
            elif isinstance(result, list):
                yield from result
            elif result is not None:
                forms.append(result)
        if found:
            yield from (stray.note() for stray in strays)
        elif strays:
            yield from (stray.error() for stray in strays)
        else:
            yield FormError(display, "no form in this file: no sheet or table holds one")
    for form in join(forms):
        errors = check(form)
        if errors:
            yield from errors
        else:
            yield form


def check(form: FormRecord) -> list[FormError]:
    """The record model's objections to a form's record, each at the cell of its value;
    when there are none, the validated record is kept in ``form.project``."""
    paths = list(form.positions)
    # locate.validate points each error at the nearest indexed field; here an index into
    # ``paths`` stands in for the line, and is turned back into the cell it names.
    index = {path: Position(number, 1) for number, path in enumerate(paths, 1)}
    form.project, errors = validate(Project, Document(form.file, form.data, index))
    return [
        form.positions[paths[error.line - 1]].error(error.message, error.field) for error in errors
    ]
