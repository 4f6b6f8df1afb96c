"""A saved file → its sheets as grids: .xlsx (openpyxl), .xls (xlrd), the tables of a .docx.

The kind is told by the file's first bytes, not its name: units rename files, and an
old .xls saved as ``.xlsx`` is still read. Everything is bounded before it is parsed:
the file by ``max_bytes``, and a zip (.xlsx, .docx) by what it would unpack to, so a
small file cannot expand into gigabytes. Anything a parser raises on a damaged file
becomes one :class:`FormError` naming the file.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from pathlib import Path
from typing import Any

from auditcheck.forms.grid import Cell, FormError, Sheet, Uncached
from auditcheck.forms.labels import key

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# An Office file saved with a password is an OLE2 container holding this stream.
ENCRYPTED = "EncryptedPackage".encode("utf-16-le")
SUFFIXES = (".xlsx", ".xlsm", ".xls", ".docx")
# Labels only a form has (a table's header row has none): see looks_like_form.
FORM_MARKERS = {"三级指标", "项目资金", "资金情况", "预算执行情况", "部门总体资金", "年度总体目标"}
FIRST_SHEETS = 3
DOCX_TITLE_LINES = 3  # paragraphs above a Word table kept as its title (year, form name)


def _mb(size: int) -> str:
    return f"{size / 1048576:.1f} MB"


def read_bytes(path: Path, display: str, max_bytes: int) -> bytes:
    """The file's bytes, refused before reading when it is over ``max_bytes``."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise FormError(
                display,
                f"file is {_mb(size)}, over the {_mb(max_bytes)} limit; "
                "split it or raise --max-file-size",
            )
        return path.read_bytes()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FormError(display, f"cannot read file: {reason}") from None


def open_sheets(path: Path, display: str, max_bytes: int) -> list[Sheet]:
    """The visible sheets of a workbook, or the tables of a Word document, as grids."""
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


def _zip_sheets(raw: bytes, display: str, max_bytes: int) -> list[Sheet]:
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
            f"the file unpacks to {_mb(unpacked)}, over the {_mb(max_bytes)} limit; "
            "split it or raise --max-file-size",
        )
    if "word/document.xml" in names:
        reader = _docx_sheets
    elif "xl/workbook.xml" in names:
        reader = _xlsx_sheets
    else:
        raise FormError(display, "a zip archive, but not an Excel workbook or a Word document")
    try:
        with warnings.catch_warnings():
            # openpyxl warns about every extension it skips (data validation, slicers …).
            warnings.simplefilter("ignore")
            return reader(raw)
    except FormError:
        raise
    except Exception as exc:  # the parsers raise anything on hostile files; none may escape
        raise FormError(
            display, f"cannot read the file ({type(exc).__name__}: {exc}); save it again"
        ) from None


def _percent(number_format: str) -> tuple[bool, int | None]:
    """Whether a number format scales by 100, and how many decimals it shows."""
    plain = re.sub(r'"[^"]*"|\\.|\[[^\]]*\]', "", number_format.split(";")[0])
    match = re.search(r"0\.(0+)", plain)
    return "%" in plain, (len(match.group(1)) if match else None)


def _xlsx_sheets(raw: bytes) -> list[Sheet]:
    from openpyxl import load_workbook  # only when a workbook is given: it is a slow import

    # Full mode, not read-only: read-only worksheets do not expose merged ranges.
    book = load_workbook(io.BytesIO(raw), data_only=False, rich_text=False)
    sheets = []
    formulas: dict[str, list[tuple[int, int]]] = {}
    for ws in book.worksheets:
        if ws.sheet_state != "visible":
            continue
        cells: dict[tuple[int, int], Cell] = {}
        for row in ws.iter_rows():
            for c in row:
                value = c.value
                if value is None or (isinstance(value, str) and not value.strip()):
                    continue
                if c.data_type == "f":
                    formulas.setdefault(ws.title, []).append((c.row, c.column))
                    value = Uncached(str(value))
                elif isinstance(value, str):
                    value = value.strip()
                percent, decimals = _percent(c.number_format or "General")
                cells[(c.row, c.column)] = Cell(value, percent, decimals)
        merges = {}
        for rng in ws.merged_cells.ranges:
            for r in range(rng.min_row, rng.max_row + 1):
                for col in range(rng.min_col, rng.max_col + 1):
                    if (r, col) != (rng.min_row, rng.min_col):
                        merges[(r, col)] = (rng.min_row, rng.min_col)
                        cells.pop((r, col), None)
        sheets.append(Sheet(ws.title, cells, merges))
    if formulas:
        cached = _cached_values(raw, formulas)
        for sheet in sheets:
            for place in formulas.get(sheet.name, []):
                value = cached.get(sheet.name, {}).get(place)
                if place in sheet.cells and value is not None:
                    old = sheet.cells[place]
                    text = value.strip() if isinstance(value, str) else value
                    sheet.cells[place] = Cell(text, old.percent, old.decimals)
    return sheets


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


def _xls_sheets(raw: bytes, display: str) -> list[Sheet]:
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
            _xls_sheet(book, index)
            for index in range(book.nsheets)
            if book.sheet_by_index(index).visibility == 0
        ]
    except Exception as exc:  # as above: a damaged sheet record
        raise FormError(
            display, f"cannot read the .xls file ({exc}); open it in Excel and save it again"
        ) from None
    finally:
        book.release_resources()


def _xls_sheet(book: Any, index: int) -> Sheet:
    import xlrd

    ws = book.sheet_by_index(index)
    cells: dict[tuple[int, int], Cell] = {}
    for r in range(ws.nrows):
        for c in range(ws.ncols):
            kind = ws.cell_type(r, c)
            value: Any = ws.cell_value(r, c)
            if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                continue
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
            xf = book.xf_list[ws.cell_xf_index(r, c)]
            fmt = book.format_map.get(xf.format_key)
            percent, decimals = _percent(fmt.format_str if fmt else "General")
            cells[(r + 1, c + 1)] = Cell(value, percent, decimals)
    merges = {}
    for rlo, rhi, clo, chi in ws.merged_cells:
        for r in range(rlo, rhi):
            for c in range(clo, chi):
                if (r, c) != (rlo, clo):
                    merges[(r + 1, c + 1)] = (rlo + 1, clo + 1)
                    cells.pop((r + 1, c + 1), None)
    return Sheet(ws.name, cells, merges)


def _docx_sheets(raw: bytes) -> list[Sheet]:
    from docx import Document
    from docx.table import Table

    document = Document(io.BytesIO(raw))
    sheets: list[Sheet] = []
    above: list[str] = []
    for block in document.iter_inner_content():
        if not isinstance(block, Table):
            if block.text.strip():
                above = [*above, block.text.strip()][-DOCX_TITLE_LINES:]
            continue
        cells: dict[tuple[int, int], Cell] = {}
        merges: dict[tuple[int, int], tuple[int, int]] = {}
        # python-docx gives a merged cell's element for every cell it spans; the dict keeps
        # the elements alive, so each is the same object wherever it is met again.
        first_seen: dict[Any, tuple[int, int]] = {}
        for r, row in enumerate(block.rows, 1):
            for c, cell in enumerate(row.cells, 1):
                if cell._tc in first_seen:
                    merges[(r, c)] = first_seen[cell._tc]
                    continue
                first_seen[cell._tc] = (r, c)
                text = cell.text.strip()
                if text:
                    cells[(r, c)] = Cell(text)
        sheets.append(Sheet(f"表{len(sheets) + 1}", cells, merges, above))
        above = []
    return sheets


def looks_like_form(path: Path, rows: int = 40) -> bool:
    """Whether a file holds forms rather than a table with a row per project.

    A Word document or an .xls is always read as forms. An .xlsx is a form when one
    of its first sheets has a form's block label (项目资金, 三级指标 …) in its first
    ``rows`` rows; a table's header row never does. Only those rows are read.
    """
    try:
        with path.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(OLE_MAGIC):
            return True
        with zipfile.ZipFile(path) as archive:
            if "word/document.xml" in archive.namelist():
                return True
        from openpyxl import load_workbook

        book = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # unreadable: let the reader chosen by suffix say why
        return False
    try:
        for ws in book.worksheets[:FIRST_SHEETS]:
            for row in ws.iter_rows(max_row=rows, values_only=True):
                if any(isinstance(v, str) and key(v) in FORM_MARKERS for v in row):
                    return True
        return False
    except Exception:  # as above
        return False
    finally:
        book.close()
