"""A saved file → its sheets as grids: .xlsx (openpyxl), .xls (xlrd), the tables of a .docx.

The kind is told by the file's first bytes, not its name: units rename files, and an
old .xls saved as ``.xlsx`` is still read. Everything is bounded before it is parsed:
the file by ``max_bytes``, and a zip (.xlsx, .docx) by what it would unpack to, so a
small file cannot expand into gigabytes. Anything a parser raises on a damaged file
becomes one :class:`FormError` naming the file.
"""

from __future__ import annotations

import io
import os
import re
import stat
import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from auditcheck.forms.grid import MAX_CELLS, Cell, FormError, Range, Sheet, Uncached
from auditcheck.forms.labels import DEPARTMENT_NAMES, NAME, key
from auditcheck.locate import DEFAULT_MAX_BYTES, LocatedError, open_regular, size_text

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An Office file saved with a password is an OLE2 container holding this stream.
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
# Ranges the parsers expand cell by cell (openpyxl makes a cell object for every cell of a
# merged range or a linked range; python-docx loops over a cell's grid span), bounded
# before parsing so that a few bytes cannot ask for billions of objects.
_RANGES = re.compile(
    rb"<(?:\w+:)?(?:mergeCell|hyperlink)\b[^>]*?\sref=\"([A-Za-z]{1,3})(\d{1,7}):([A-Za-z]{1,3})(\d{1,7})\""
)
_SPANS = re.compile(rb"<w:(?:gridSpan|gridBefore|gridAfter)\b[^>]*?w:val=\"(\d+)\"")
MAX_SPAN = 63  # the widest table Word makes
# Labels only a form has (a table's header row has none): see looks_like_form.
FORM_MARKERS = {"三级指标", "项目资金", "资金情况", "预算执行情况", "部门总体资金", "年度总体目标"}
NAME_LABELS = {NAME, *DEPARTMENT_NAMES}
FIRST_SHEETS, FIRST_ROWS = 3, 40
Cells = dict[tuple[int, int], Cell]
DOCX_TITLE_LINES = 3  # paragraphs above a Word table kept as its title (year, form name)


def read_bytes(path: Path, display: str, max_bytes: int) -> bytes:
    """The file's bytes, refused before reading when it is over ``max_bytes``.

    A FIFO, socket or device is refused without being opened (see ``open_regular``).
    """
    try:
        with open_regular(path, display) as handle:
            raw = handle.read(max_bytes + 1)
            size = os.fstat(handle.fileno()).st_size
    except LocatedError as exc:
        raise FormError(display, exc.message) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FormError(display, f"cannot read file: {reason}") from None
    if len(raw) > max_bytes:
        raise FormError(
            display,
            f"file is {size_text(size)}, over the {size_text(max_bytes)} limit; "
            "split it or raise --max-file-size",
        )
    return raw


def open_sheets(path: Path, display: str, max_bytes: int) -> list[Sheet | FormError]:
    """The visible sheets of a workbook, or the tables of a Word document, as grids.

    Raises :class:`FormError` when the file cannot be read; a sheet that cannot be
    read is an error in its place, so that the other sheets still are.
    """
    raw = read_bytes(path, display, max_bytes)
    if raw.startswith(ZIP_MAGIC):
        return _zip_sheets(raw, display, max_bytes)
    if raw.startswith(OLE_MAGIC):
        if ENCRYPTED in raw:
            raise FormError(
                display, "the file is password-protected; save a copy without a password and rerun"
            )
        return _xls_sheets(raw, display)
    head = raw[:512].lstrip().lower()
    if head.startswith((b"<html", b"<!doctype", b"<?xml", b"<table")):
        hint = "a web page or XML saved with an Excel name; open it in Excel and save as .xlsx"
    elif not raw:
        hint = "the file is empty"
    else:
        hint = "not an Excel workbook (.xlsx, .xls) or a Word document (.docx)"
    raise FormError(display, hint)


def _zip_sheets(raw: bytes, display: str, max_bytes: int) -> list[Sheet | FormError]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        names = set(archive.namelist())
        unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise FormError(
            display, "the file is damaged or incomplete (not a readable zip); save it again"
        ) from None
    if unpacked > max_bytes:
        raise FormError(
            display,
            f"the file unpacks to {size_text(unpacked)}, over the {size_text(max_bytes)} limit; "
            "split it or raise --max-file-size",
        )
    try:
        if "word/document.xml" in names:
            _bound_spans(archive, display)
            reader = _docx_sheets
        elif "xl/workbook.xml" in names:
            _bound_ranges(archive, display)
            reader = _xlsx_sheets
        else:
            raise FormError(display, "a zip archive, but not an Excel workbook or a Word document")
        with warnings.catch_warnings():
            # openpyxl warns about every extension it skips (data validation, slicers …).
            warnings.simplefilter("ignore")
            return reader(raw, display)
    except FormError:
        raise
    except Exception as exc:  # the parsers raise anything on hostile files; none may escape
        raise FormError(
            display, f"cannot read the file ({type(exc).__name__}: {exc}); save it again"
        ) from None


def _bound_spans(archive: zipfile.ZipFile, display: str) -> None:
    """Refuse a Word table cell wider than Word makes (python-docx loops over its span)."""
    for match in _SPANS.finditer(archive.read("word/document.xml")):
        if int(match.group(1)) > MAX_SPAN:
            raise FormError(
                display,
                f"a table cell spans {int(match.group(1))} columns, more than Word allows "
                f"({MAX_SPAN}); the document is damaged: save it again from Word",
            )


def _bound_ranges(archive: zipfile.ZipFile, display: str) -> None:
    """Refuse a workbook whose merged or linked ranges add up to more cells than a form has."""
    from openpyxl.utils.cell import column_index_from_string

    covered = 0
    for name in archive.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
            continue
        for match in _RANGES.finditer(archive.read(name)):
            left, top, right, bottom = (g.decode().upper() for g in match.groups())
            try:
                width = column_index_from_string(right) - column_index_from_string(left)
            except ValueError:
                continue  # not a column name: openpyxl refuses the range itself
            covered += (abs(int(bottom) - int(top)) + 1) * (abs(width) + 1)
            if covered > MAX_CELLS:
                raise FormError(
                    display,
                    f"merged ranges and links cover more than {MAX_CELLS} cells (up to "
                    f"{left}{top}:{right}{bottom}); a form's are far smaller: unmerge the "
                    "cells outside the form and rerun",
                )


def _percent(number_format: str) -> tuple[bool, int | None]:
    """Whether a number format scales by 100, and how many decimals it shows."""
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0])
    match = re.search(r"0\.(0+)", plain)
    return "%" in plain, (len(match.group(1)) if match else None)


def _xlsx_sheets(raw: bytes, display: str) -> list[Sheet | FormError]:
    from openpyxl import load_workbook  # only when a workbook is given: it is a slow import

    # Full mode, not read-only: read-only worksheets do not expose merged ranges.
    book = load_workbook(io.BytesIO(raw), data_only=False, rich_text=False)
    found: list[tuple[str, Cells, list[Range], Hidden]] = []
    formulas: dict[str, list[tuple[int, int]]] = {}
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            continue
        cells: Cells = {}
        # The cells the file holds (ws._cells): iter_rows() would walk the whole rectangle
        # up to the farthest cell, which a hostile file puts at XFD1048576.
        for (row, col), c in ws._cells.items():
            value = c.value
            if value is None or (isinstance(value, str) and not value.strip()):
                continue
            if c.data_type == "f":
                formulas.setdefault(ws.title, []).append((row, col))
                value = Uncached(str(value))
            elif isinstance(value, str):
                value = value.strip()
            cells[(row, col)] = Cell(value, *_percent(c.number_format or "General"))
        ranges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
        right = max((c for _, c in cells), default=0)
        hidden = (
            {r for r, dim in ws.row_dimensions.items() if dim.hidden},
            {
                c
                for dim in ws.column_dimensions.values()
                if dim.hidden and dim.min
                for c in range(dim.min, min(dim.max or dim.min, right) + 1)
            },
        )
        found.append((ws.title, cells, ranges, hidden))
    if formulas:
        cached = _cached_values(raw, formulas)
        for name, cells, *_ in found:
            for place in formulas.get(name, []):
                value = cached.get(name, {}).get(place)
                if value is not None:
                    old = cells[place]
                    text = value.strip() if isinstance(value, str) else value
                    cells[place] = Cell(text, old.percent, old.decimals)
    return [
        _sheet(display, name, _shown(cells, ranges, hidden), ranges)
        for name, cells, ranges, hidden in found
    ]


Hidden = tuple[set[int], set[int]]  # hidden rows, hidden columns


def _shown(cells: Cells, ranges: list[Range], hidden: Hidden) -> Cells:
    """The cells a person sees: those of hidden rows and columns are left out (template rows
    and helper columns a unit hid), except a merged range's value, which shows elsewhere."""
    rows, cols = hidden
    if not rows and not cols:
        return cells
    tops = {(top, left) for top, left, _, _ in ranges}
    return {
        place: cell
        for place, cell in cells.items()
        if place in tops or (place[0] not in rows and place[1] not in cols)
    }


def _sheet(
    display: str,
    name: str,
    cells: Cells,
    ranges: list[Range],
    preamble: list[str] | None = None,
) -> Sheet | FormError:
    try:
        return Sheet.build(name, cells, ranges, preamble)
    except ValueError as exc:
        return FormError(display, str(exc), name)


def _cached_values(
    raw: bytes, formulas: dict[str, list[tuple[int, int]]]
) -> dict[str, dict[tuple[int, int], Any]]:
    """The results Excel saved for formula cells (a second, streaming pass)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        out: dict[str, dict[tuple[int, int], Any]] = {}
        for name, places in formulas.items():
            ws = book[name]
            wanted = set(places)
            rows = {r for r, _ in places}
            found = out.setdefault(name, {})
            for row in ws.iter_rows(min_row=min(rows), max_row=max(rows)):
                for c in row:
                    place = (getattr(c, "row", None), getattr(c, "column", None))
                    if place in wanted and c.value not in (None, ""):
                        found[place] = c.value  # type: ignore[index]
        return out
    finally:
        book.close()


def _xls_sheets(raw: bytes, display: str) -> list[Sheet | FormError]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=raw, formatting_info=True, on_demand=True)
    except Exception as exc:  # xlrd raises anything on damaged files; none may escape
        message = str(exc)
        if "encrypted" in message.lower():
            message = "the file is password-protected; save a copy without a password and rerun"
        else:
            message = f"cannot read the .xls file ({message}); open it in Excel and save it again"
        raise FormError(display, message) from None
    try:
        return [
            _xls_sheet(book, index, display)
            for index in range(book.nsheets)
            if book.sheet_by_index(index).visibility == 0
        ]
    except Exception as exc:  # as above: a damaged sheet record
        raise FormError(
            display, f"cannot read the .xls file ({exc}); open it in Excel and save it again"
        ) from None
    finally:
        book.release_resources()


def _xls_sheet(book: Any, index: int, display: str) -> Sheet | FormError:
    import xlrd

    ws = book.sheet_by_index(index)
    cells: Cells = {}
    for r in range(ws.nrows):
        for c, kind in enumerate(ws.row_types(r)):
            if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                continue
            value: Any = ws.cell_value(r, c)
            if kind == xlrd.XL_CELL_TEXT:
                value = value.strip()
                if not value:
                    continue
            elif kind == xlrd.XL_CELL_DATE:
                value = xlrd.xldate_as_datetime(value, book.datemode)
            elif kind == xlrd.XL_CELL_BOOLEAN:
                value = bool(value)
            elif kind == xlrd.XL_CELL_ERROR:
                value = xlrd.error_text_from_code.get(value, "#ERROR")
            fmt = book.format_map.get(book.xf_list[ws.cell_xf_index(r, c)].format_key)
            percent, decimals = _percent(fmt.format_str if fmt else "General")
            cells[(r + 1, c + 1)] = Cell(value, percent, decimals)
    # xlrd's ranges are 0-based and end-exclusive.
    ranges = [(rlo + 1, clo + 1, rhi, chi) for rlo, rhi, clo, chi in ws.merged_cells]
    hidden = (
        {r + 1 for r, info in ws.rowinfo_map.items() if info.hidden},
        {c + 1 for c, info in ws.colinfo_map.items() if info.hidden},
    )
    return _sheet(display, ws.name, _shown(cells, ranges, hidden), ranges)


def _docx_sheets(raw: bytes, display: str) -> list[Sheet | FormError]:
    from docx import Document
    from docx.table import Table

    document = Document(io.BytesIO(raw))
    sheets: list[Sheet | FormError] = []
    above: list[str] = []
    for block in document.iter_inner_content():
        if not isinstance(block, Table):
            if block.text.strip():
                above = [*above, block.text.strip()][-DOCX_TITLE_LINES:]
            continue
        cells: Cells = {}
        ranges: dict[Any, list[int]] = {}
        # python-docx gives a merged cell's element for every grid cell it spans; the dict
        # keeps the elements alive, so each is the same object wherever it is met again.
        for r, row in enumerate(block.rows, 1):
            for c, cell in enumerate(row.cells, row.grid_cols_before + 1):
                span = ranges.get(cell._tc)
                if span is not None:
                    span[2], span[3] = max(span[2], r), max(span[3], c)
                    continue
                ranges[cell._tc] = [r, c, r, c]
                text = cell.text.strip()
                if text:
                    cells[(r, c)] = Cell(text)
        spans = [
            (t, left, b, right) for t, left, b, right in ranges.values() if (t, left) != (b, right)
        ]
        sheets.append(_sheet(display, f"表{len(sheets) + 1}", cells, spans, above))
        above = []
    return sheets


def looks_like_form(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bool | None:
    """Whether a file holds forms (True), something else (False), or cannot be told (None).

    A workbook (.xlsx, .xls) holds forms when one of its first sheets has a form's block
    label (项目资金, 三级指标 …) in its first rows: a table's header row never does. A Word
    document holds one when a table has both a name label (项目名称) and a block label: a
    report's tables do not. Only those rows are read. A file that cannot be looked into
    (too large on disk or unpacked, password-protected, damaged, not a workbook or a
    document, not a regular file) cannot be told: the reader its name picks says why.
    """
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        raw = path.read_bytes()
        if raw.startswith(OLE_MAGIC):
            return None if ENCRYPTED in raw else _has_form(_xls_labels(raw))
        archive = zipfile.ZipFile(io.BytesIO(raw))
        if sum(info.file_size for info in archive.infolist()) > max_bytes:
            return None
        if "word/document.xml" in archive.namelist():
            _bound_spans(archive, path.name)
            return _has_form(_docx_labels(raw), NAME_LABELS)
        return _has_form(_xlsx_labels(raw))
    except Exception:  # unreadable or hostile (a FormError too): the reader says why
        return None


def _has_form(tables: Iterator[set[str]], needed: set[str] | None = None) -> bool:
    """Whether any of these tables' labels (keys) has a block label (and one of ``needed``)."""
    return any(labels & FORM_MARKERS and (needed is None or labels & needed) for labels in tables)


def _xlsx_labels(raw: bytes) -> Iterator[set[str]]:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    try:
        for ws in book.worksheets[:FIRST_SHEETS]:
            rows = ws.iter_rows(max_row=FIRST_ROWS, values_only=True)
            yield {key(v) for row in rows for v in row if isinstance(v, str)}
    finally:
        book.close()


def _xls_labels(raw: bytes) -> Iterator[set[str]]:
    import xlrd

    book = xlrd.open_workbook(file_contents=raw, on_demand=True)
    for index in range(min(book.nsheets, FIRST_SHEETS)):
        ws = book.sheet_by_index(index)
        rows = (ws.row_values(r) for r in range(min(ws.nrows, FIRST_ROWS)))
        yield {key(v) for row in rows for v in row if isinstance(v, str)}


def _docx_labels(raw: bytes) -> Iterator[set[str]]:
    from docx import Document

    for table in Document(io.BytesIO(raw)).tables:
        yield {key(cell.text) for row in table.rows[:FIRST_ROWS] for cell in row.cells}
