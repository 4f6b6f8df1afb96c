"""CSV and XLSX input: one row per project, sub-items on the rows right after it.

The header row names the record field each column holds: ``id``, ``name``,
``budget``, dotted paths for nested fields (``schedule.planned_completion``,
``publicity.awareness_rate``), or a Chinese alias from :data:`ALIASES`. A row
whose ``subitem_of`` column is filled is a sub-item of the project with that id
and must follow that project's row; its other columns are sub-item fields.
Lists of text (``units``, ``publicity.channels``) are separated by 、 or ;.
Numbers (ASCII digits), dates (``2023-12-31``) and booleans (true/false, 是/否)
are read by the type of the field they go to; anything else is left as written,
so the model rejects it with the row and column; a cell holding only spaces is
empty. Only the first visible sheet of a workbook is read (hidden sheets are
skipped, as the forms reader skips them). CSV lines end at \\n, \\r\\n or \\r, mixed.

Nothing is guessed: a column named twice, two columns writing the same field
(``budget`` and ``budget.x``), values under no header (one error for the row), a
formula without a saved value, an Excel error value or ``TRUE`` in a number or
text column is an error naming the cell, and the record it belongs to is not
checked. CSV follows the
decoding policy of every text input (:class:`~auditcheck.locate.LineDecoder`);
a row that cannot be decoded or parsed loses that row only. A workbook is
checked as a zip archive first (a password-protected or damaged file is one
error), and no part of it may inflate past ``--max-file-size``. Rows stream:
memory does not depend on the number of rows.
"""

from __future__ import annotations

import csv
import math
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO, get_args

from pydantic import BaseModel

from auditcheck.locate import (
    TOO_LARGE,
    CellPosition,
    Document,
    LineDecoder,
    LocatedError,
    Note,
    PathKey,
    Position,
    dotted,
    open_regular,
    read_lines,
    size_text,
    too_large,
)
from auditcheck.records.model import Project, SubItem

SUBITEM_OF = "subitem_of"
ALIASES = {
    "项目编号": "id",
    "项目名称": "name",
    "项目简称": "short_name",
    "项目类型": "type",
    "项目单位": "units",
    "预算资金": "budget",
    "年初预算": "initial_budget",
    "调整后预算": "adjusted_budget",
    "到位资金": "received",
    "实际支出": "spent",
    "结余": "stated_balance",
    "预算执行率": "stated_execution_rate",
    "评价得分": "score",
    "评价等级": "stated_grade",
    "所属项目": SUBITEM_OF,
}
_LIST_SEPARATORS = ("、", ";", "；")
_TRUE, _FALSE = {"true", "是", "yes", "1"}, {"false", "否", "no", "0"}
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", re.ASCII)
EXCEL_ERRORS = {"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#SPILL!"}
ZIP_MAGIC, OLE_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"


def column_letter(col: int) -> str:
    """1 → A, 27 → AA: how a spreadsheet names a column."""
    letters = ""
    while col > 0:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


@dataclass
class Cell:
    """A value and what the sheet says about it."""

    value: Any
    percent: bool = False  # shown as a percentage: the sheet holds 0.9242 for 92.42 %
    formula: bool = False  # a formula whose result the file does not hold


@dataclass
class Row:
    """One row of a table: its line (CSV) or row number (XLSX), and its cells."""

    number: int
    cells: list[Cell]


@dataclass
class TableDocument(Document):
    """A project read from a table; in a workbook, errors and findings name the sheet and cell."""

    sheet: str = ""

    def position(self, path: PathKey) -> Position:
        """Where ``path`` stands: its row and column, and in a workbook its cell."""
        pos = super().position(path)
        if not self.sheet:
            return pos
        return CellPosition(pos.line, pos.col, f"{self.sheet}!{column_letter(pos.col)}{pos.line}")


class _Table:
    """Where one table's errors point: file, and sheet for a workbook."""

    def __init__(self, display: str, sheet: str = "") -> None:
        self.display = display
        self.sheet = sheet
        self.row = 0  # the last row read, where a damaged file is reported

    def error(self, line: int, col: int, field: str, message: str) -> LocatedError:
        place = f"{self.sheet}!{column_letter(col)}{line}" if self.sheet else ""
        return LocatedError(self.display, line, col, field, message, place)


# A line as an editor shows it: \r alone ends one too (Excel for Mac's "CSV (Macintosh)").
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")
_LONE_CR = re.compile(r"\r(?!\n)")


def _csv_rows(handle: BinaryIO, table: _Table, max_bytes: int) -> Iterator[Row | LocatedError]:
    """Rows of a CSV file with the line each starts on; a bad line or row loses that row only."""
    decoder = LineDecoder(table.display)
    bad: dict[int, LocatedError] = {}
    last = [0]

    def lines() -> Iterator[str]:
        extra = 0  # lines ended by a lone \r so far, which read_lines does not count
        for number, raw in read_lines(handle, table.display, max_bytes):
            number += extra
            last[0] = number
            try:
                if isinstance(raw, LocatedError):
                    raise raw
                text = decoder(raw, number)
            except LocatedError as exc:
                bad[number] = exc
                yield "\n"
                continue
            parts = _LINES.findall(text) if "\r" in text and _LONE_CR.search(text) else [text]
            for i, part in enumerate(parts):
                last[0] = number + i
                yield part
            extra += len(parts) - 1

    # strict: a quote left open to the end of the file, or text after a closing quote, is an
    # error for its row, not a cell that silently swallows the rows after it.
    reader = csv.reader(lines(), strict=True)
    start = 1
    while True:
        problem = None
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            problem = table.error(start, 1, "", f"cannot read this row: {exc}; check its quotes")
        errors = [bad.pop(n) for n in range(start, last[0] + 1) if n in bad]
        yield from errors
        if problem is not None:
            yield problem
        elif not errors:
            yield Row(start, [Cell(c) for c in cells])
        start = last[0] + 1


def _sheet_has_formulas(archive: zipfile.ZipFile) -> bool:
    """Whether any worksheet holds a formula (streamed; decides whether to read twice)."""
    for info in archive.infolist():
        if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
            with archive.open(info) as part:
                tail = b""
                while chunk := part.read(1 << 20):
                    if re.search(rb"<(\w+:)?f[ >/]", tail + chunk):
                        return True
                    tail = chunk[-16:]
    return False


def _open_workbook(handle: BinaryIO, table: _Table, max_bytes: int) -> zipfile.ZipFile:
    """The workbook as a zip archive whose parts all fit in ``max_bytes``, or a LocatedError."""
    magic = handle.read(8)
    handle.seek(0)
    if magic.startswith(OLE_MAGIC):
        message = (
            "a password-protected workbook or an old .xls file; "
            "save it in Excel as .xlsx without a password"
        )
        raise table.error(1, 1, "", message)
    if not magic.startswith(ZIP_MAGIC):
        raise table.error(1, 1, "", "not an .xlsx workbook (not a zip archive)")
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise table.error(1, 1, "", f"damaged or truncated workbook: {exc}") from None
    for info in archive.infolist():
        if info.file_size > max_bytes:
            message = (
                f"part {info.filename} inflates to {size_text(info.file_size)}, over the "
                f"{size_text(max_bytes)} limit; split the workbook or raise --max-file-size"
            )
            raise table.error(1, 1, "", message)
    return archive


def _xlsx_rows(
    handle: BinaryIO, table: _Table, max_bytes: int
) -> Iterator[Row | LocatedError | Note]:
    """Rows of the first visible sheet, cells with their percent format and formula results."""
    from openpyxl import load_workbook  # only when a workbook is given: it is a slow import

    formulas = _sheet_has_formulas(_open_workbook(handle, table, max_bytes))
    # Read-only mode streams the sheet. A formula's saved result and the formula itself
    # come from two readings of the sheet, done only when the workbook holds formulas.
    book = load_workbook(handle, read_only=True, data_only=True)
    plain = load_workbook(handle, read_only=True, data_only=False) if formulas else None
    try:
        visible = [i for i, ws in enumerate(book.worksheets) if ws.sheet_state == "visible"]
        if not visible:
            raise table.error(1, 1, "", "every sheet is hidden; show the sheet of records")
        sheet = book.worksheets[visible[0]]
        table.sheet = sheet.title
        sheet.reset_dimensions()  # a false <dimension> would pad every row to its width
        written: Iterator[Any] = iter(())
        if plain is not None:
            plain.worksheets[visible[0]].reset_dimensions()
            written = plain.worksheets[visible[0]].iter_rows(values_only=True)
        for number, row in enumerate(sheet.iter_rows(), 1):
            formulas_in_row = next(written, ())
            cells = []
            for i, cell in enumerate(row):
                value = cell.value
                shown = formulas_in_row[i] if i < len(formulas_in_row) else None
                formula = value is None and isinstance(shown, str) and shown.startswith("=")
                typed = isinstance(value, int | float) and not isinstance(value, bool)
                percent = typed and "%" in str(getattr(cell, "number_format", ""))
                cells.append(Cell(value, percent, formula))
            yield Row(number, cells)
        for other in (book.worksheets[i] for i in visible[1:]):
            if (other.max_row or 1) > 1 or (other.max_column or 1) > 1:
                message = f"sheet '{other.title}' is not read; records come from the first sheet"
                yield Note(table.display, message)
    finally:
        book.close()
        if plain is not None:
            plain.close()


def _annotation(model: type[BaseModel], name: str) -> Any:
    info = model.model_fields.get(name)
    return None if info is None else info.annotation


def _kinds(annotation: Any) -> set[type]:
    """The plain types a field accepts (unwrapping Optional, Annotated, list)."""
    if annotation is None:
        return set()
    if isinstance(annotation, type):
        return {annotation}
    out: set[type] = set()
    for arg in get_args(annotation):
        out |= _kinds(arg)
    return out


def _field_kinds(model: type[BaseModel], path: tuple[str, ...]) -> set[type]:
    current: Any = model
    for part in path[:-1]:
        inner = [k for k in _kinds(_annotation(current, part)) if issubclass(k, BaseModel)]
        if not inner:
            return set()
        current = inner[0]
    annotation = _annotation(current, path[-1])
    kinds = _kinds(annotation)
    if getattr(annotation, "__origin__", None) is list or "list" in str(annotation):
        kinds.add(list)
    return kinds


def _number(text: str, kinds: set[type]) -> Any:
    if not _NUMBER.fullmatch(text):
        return text  # the model rejects it and its message says what to write
    if int in kinds and re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    return float(text) + 0.0 if float in kinds else text  # + 0.0: -0.0 is read as 0.0


def convert(value: Any, kinds: set[type]) -> Any:
    """A cell as the field wants it, or as written when it cannot be read so."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, bool):
        return value  # TRUE in a number column stays a boolean, which the model refuses
    if isinstance(value, int) and str in kinds and not kinds & {int, float}:
        return str(value)  # an id or code a spreadsheet stored as a number
    if isinstance(value, float) and value == 0:
        return 0.0  # -0.0 is zero: never printed "-0"
    if not isinstance(value, str):
        if isinstance(value, int) and float in kinds and int not in kinds:
            return float(value)
        return value
    text = value.strip()
    if list in kinds:
        for separator in _LIST_SEPARATORS:
            text = text.replace(separator, "、")
        return [part.strip() for part in text.split("、") if part.strip()]
    if bool in kinds and text.lower() in _TRUE | _FALSE:
        return text.lower() in _TRUE
    if date in kinds:
        try:
            return date.fromisoformat(text)
        except ValueError:
            return text
    if kinds & {int, float}:
        return _number(text, kinds)
    return text


def _header(first: Row, table: _Table) -> tuple[list[tuple[str, ...]], list[LocatedError]]:
    """The field path of each column, and what makes the header unusable."""
    paths: list[tuple[str, ...]] = []
    errors: list[LocatedError] = []
    where: dict[tuple[str, ...], int] = {}
    # Every proper prefix of a field named so far, with the column naming it: a column that
    # writes inside another's field (budget beside budget.x) is found without comparing pairs.
    inside: dict[tuple[str, ...], int] = {}
    for col, cell in enumerate(first.cells, 1):
        name = "" if cell.value is None else str(cell.value).strip()
        name = ALIASES.get(name, name)
        path = tuple(name.split(".")) if name else ()
        paths.append(path)
        if not path:
            continue
        if not all(path):
            errors.append(table.error(first.number, col, name, "empty part in a dotted field name"))
        elif path in where:
            other = column_letter(where[path])
            message = f"column {column_letter(col)} repeats the field of column {other}; keep one"
            errors.append(table.error(first.number, col, name, message))
        else:
            prefixes = [path[:depth] for depth in range(1, len(path))]
            at = inside.get(path) or next((where[p] for p in prefixes if p in where), None)
            if at is not None:
                seen = paths[at - 1]
                short = min(seen, path, key=len)
                message = (
                    f"columns {column_letter(at)} ({dotted(seen)}) and {column_letter(col)} "
                    f"({name}) both write {dotted(short)}; keep one"
                )
                errors.append(table.error(first.number, col, name, message))
            where[path] = col
            for prefix in prefixes:
                inside.setdefault(prefix, col)
    return paths, errors


def _cell_problem(cell: Cell, kinds: set[type]) -> str | None:
    if cell.formula:
        return "a formula whose result the file does not hold; open and save it in Excel"
    if isinstance(cell.value, str) and cell.value.strip() in EXCEL_ERRORS:
        return f"Excel error value {cell.value.strip()}; correct the formula or type the figure"
    if isinstance(cell.value, bool) and bool not in kinds:
        shown = "TRUE" if cell.value else "FALSE"
        if kinds & {int, float}:
            return f"{shown} is not a figure; write the number"
        if date in kinds:
            return f"{shown} is not a date; write it as 2023-12-31"
        return f"{shown} is a logical value, not text; write the text the source states"
    return None


def _blank(cell: Cell) -> bool:
    """No value: an empty cell, or one holding only spaces (a formula without result is not)."""
    value = cell.value
    return not cell.formula and (value is None or (isinstance(value, str) and not value.strip()))


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


class _Reader:
    """Groups rows into projects: a project row, then its sub-item rows."""

    def __init__(self, table: _Table, paths: list[tuple[str, ...]]) -> None:
        self.table = table
        self.paths = paths
        self.current: TableDocument | None = None
        self.broken = False  # the current project has a bad cell: it is reported, not checked

    def finish(self) -> Iterator[TableDocument]:
        if self.current is not None and not self.broken:
            yield self.current
        self.current, self.broken = None, False

    def row(self, row: Row) -> Iterator[TableDocument | LocatedError]:
        cells = row.cells
        if all(_blank(c) for c in cells):
            return
        values = dict(zip(self.paths, (c.value for c in cells), strict=False))
        parent = values.get((SUBITEM_OF,))
        if parent in (None, ""):
            yield from self.finish()
            self.current = TableDocument(
                self.table.display, {}, {(): Position(row.number, 1)}, sheet=self.table.sheet
            )
            base: PathKey = ()
            model: type[BaseModel] = Project
        else:
            data = self.current.data if self.current is not None else {}
            if self.current is None or data.get("id") != str(parent).strip():
                col = self.paths.index((SUBITEM_OF,)) + 1
                message = f"sub-item of '{parent}' must follow that project's row"
                yield self.table.error(row.number, col, SUBITEM_OF, message)
                return
            base, model = ("subitems", len(data.setdefault("subitems", []))), SubItem
        beyond = [c for c in range(len(self.paths) + 1, len(cells) + 1) if not _blank(cells[c - 1])]
        if beyond:
            message = (
                f"{len(beyond)} values beyond the header, from this column on; name their "
                "fields in the first row or clear them"
                if beyond[1:]
                else "a value beyond the header; name its field in the first row or clear it"
            )
            yield self.table.error(row.number, beyond[0], "", message)
            self.broken = True
        yield from self._add(row, base, model)

    def _add(self, row: Row, base: PathKey, model: type[BaseModel]) -> Iterator[LocatedError]:
        doc = self.current
        assert doc is not None
        target: dict[str, Any] = {}
        if base:
            doc.data["subitems"].append(target)
            doc.positions[base] = Position(row.number, 1)
        else:
            target = doc.data
        for col, (path, cell) in enumerate(zip(self.paths, row.cells, strict=False), 1):
            if path in ((), (SUBITEM_OF,)) or _blank(cell):
                if not path and not _blank(cell):
                    message = "a value under an empty header; name its field or clear it"
                    yield self.table.error(row.number, col, "", message)
                    self.broken = True
                continue
            kinds = _field_kinds(model, path)
            if problem := _cell_problem(cell, kinds):
                yield self.table.error(row.number, col, dotted((*base, *path)), problem)
                self.broken = True
                continue
            value = convert(cell.value * 100 if cell.percent else cell.value, kinds)
            if too_large(value) and math.isfinite(value):
                yield self.table.error(row.number, col, dotted((*base, *path)), TOO_LARGE)
                self.broken = True
                continue
            _put(target, path, value)
            for depth in range(1, len(path) + 1):
                doc.positions.setdefault((*base, *path[:depth]), Position(row.number, col))


def tabular_documents(
    path: Path, display: str, max_bytes: int
) -> Iterator[TableDocument | LocatedError | Note]:
    """One document per project (with its sub-item rows), positions at row and column."""
    table = _Table(display)
    try:
        with open_regular(path, display) as handle:
            rows = (
                _xlsx_rows(handle, table, max_bytes)
                if path.suffix.lower() == ".xlsx"
                else _csv_rows(handle, table, max_bytes)
            )
            yield from _documents(rows, table)
    except LocatedError as exc:
        yield exc
    except Exception as exc:  # a damaged workbook fails inside its parsers (zlib, XML, parts)
        message = f"damaged file, reading stopped after this row: {type(exc).__name__}: {exc}"
        yield table.error(max(table.row, 1), 1, "", message)


def _documents(
    rows: Iterator[Row | LocatedError | Note], table: _Table
) -> Iterator[TableDocument | LocatedError | Note]:
    first, said = None, False
    for item in rows:
        if isinstance(item, Row):
            first = item
            break
        said = said or isinstance(item, LocatedError)
        yield item
    if first is None:
        if not said:
            yield table.error(1, 1, "", "the file is empty; the first row names the fields")
        return
    paths, errors = _header(first, table)
    if errors:
        yield from errors
        return
    reader = _Reader(table, paths)
    table.row, empty = first.number, True
    for item in rows:
        empty = empty and isinstance(item, Note)
        if isinstance(item, Row):
            table.row = item.number
            yield from reader.row(item)
        else:
            yield item
    if empty:
        yield table.error(first.number, 1, "", "only a header: no project rows after it")
    yield from reader.finish()
