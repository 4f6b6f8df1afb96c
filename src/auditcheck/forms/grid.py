"""One grid of cells for every form source (.xlsx, .xls, a .docx table), merged cells resolved.

A merged range holds its value in its top-left cell (as Excel and Word save it);
the other cells of the range point at that one. Rows and columns are 1-based, as
Excel shows them, and a cell is named the Excel way (``自评表!E12``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from auditcheck.locate import LocatedError


def _letters(col: int) -> str:
    """A column's letters (5 → E), as Excel shows them."""
    # Imported here: openpyxl is a slow import (0.2 s), and most runs read no workbook.
    from openpyxl.utils.cell import get_column_letter

    return get_column_letter(col)


@dataclass(frozen=True)
class Uncached:
    """A formula cell saved without its result (written by a program, never opened in Excel)."""

    formula: str


CellValue = str | float | int | bool | date | datetime | Uncached


@dataclass(frozen=True)
class Cell:
    """A cell's value as saved, with what its number format says about it."""

    value: CellValue
    percent: bool = False  # formatted as a percentage: 1.0 is shown as 100%
    decimals: int | None = None  # decimals the number format shows (0.00 → 2)


@dataclass(frozen=True)
class CellRef:
    """Where a value was read: workbook, sheet, cell, and the form's label for it."""

    file: str
    sheet: str
    row: int
    col: int
    label: str = ""  # the label or column header the form gives the cell (实际完成值)

    @property
    def cell(self) -> str:
        """``自评表!E12``."""
        return f"{self.sheet}!{_letters(self.col)}{self.row}"

    def error(self, message: str, field: str = "") -> FormError:
        return FormError(self.file, message, self.sheet, self.row, self.col, self.label, field)


class FormError(Exception):
    """A form that cannot be read as it is, with the workbook, sheet and cell to look at.

    Printed as ``天长.xlsx:自评表!E12: 实际完成值: message``; without a cell,
    ``天长.xlsx:自评表: message``; without a sheet, ``天长.xlsx: message``.
    """

    def __init__(
        self,
        file: str,
        message: str,
        sheet: str | None = None,
        row: int | None = None,
        col: int | None = None,
        label: str = "",
        field: str = "",
    ) -> None:
        super().__init__(message)
        self.file = file
        self.message = message
        self.sheet = sheet
        self.row = row
        self.col = col
        self.label = label  # the form's words for the cell, shown to the user
        self.field = field  # the record field (targets[3].actual), for programs

    @property
    def place(self) -> str:
        """``自评表!E12``; ``自评表`` without a cell; empty without a sheet."""
        if self.sheet is None:
            return ""
        if self.row is None or self.col is None:
            return self.sheet
        return f"{self.sheet}!{_letters(self.col)}{self.row}"

    def located(self) -> LocatedError:
        """The error as every input error is reported (a whole file's at its row 1, column 1)."""
        name = self.label or self.field
        return LocatedError(self.file, self.row or 1, self.col or 1, name, self.message, self.place)

    def __str__(self) -> str:
        where = f"{self.file}:{self.place}" if self.place else self.file
        name = self.label or self.field
        return f"{where}: {name}: {self.message}" if name else f"{where}: {self.message}"


Range = tuple[int, int, int, int]  # top, left, bottom, right (inclusive)
MAX_CELLS = 250_000  # rows × columns of a sheet's used area; a form has a few thousand


@dataclass
class Sheet:
    """The cells of one sheet (or one Word table) that hold a value, merged ranges resolved.

    Build it with :meth:`build`, which bounds the area: merged ranges are clipped to the
    cells that hold values, so a range or a stray cell far out cannot make it huge.
    """

    name: str
    cells: dict[tuple[int, int], Cell]
    merges: dict[tuple[int, int], tuple[int, int]]  # a covered cell → its range's top-left
    rows: int
    cols: int
    preamble: list[str] = field(default_factory=list)  # text above a Word table (its title)

    @classmethod
    def build(
        cls,
        name: str,
        cells: dict[tuple[int, int], Cell],
        ranges: list[Range],
        preamble: list[str] | None = None,
    ) -> Sheet:
        """A sheet of these cells and merged ranges; ValueError when its area is too large."""
        rows = max((r for r, _ in cells), default=0)
        cols = max((c for _, c in cells), default=0)
        if rows * cols > MAX_CELLS:
            far = max(cells, key=lambda p: p[0] * p[1])
            raise ValueError(
                f"values spread over {rows} rows and {cols} columns (as far as "
                f"{_letters(far[1])}{far[0]}); a form is far smaller: delete the "
                "cells outside it"
            )
        merges: dict[tuple[int, int], tuple[int, int]] = {}
        for top, left, bottom, right in ranges:
            for r in range(top, min(bottom, rows) + 1):
                for c in range(left, min(right, cols) + 1):
                    if (r, c) != (top, left):
                        merges[(r, c)] = (top, left)
                        cells.pop((r, c), None)  # Excel keeps only the top-left value
        return cls(name, cells, merges, rows, cols, preamble or [])

    def origin(self, row: int, col: int) -> tuple[int, int]:
        """The top-left cell of the merged range holding (row, col), or the cell itself."""
        return self.merges.get((row, col), (row, col))

    def cell(self, row: int, col: int) -> Cell | None:
        """The value shown at (row, col), read from the top-left cell of its merged range."""
        return self.cells.get(self.origin(row, col))

    def text(self, row: int, col: int) -> str:
        """The value shown at (row, col) as text ('' when empty)."""
        cell = self.cell(row, col)
        if cell is None or isinstance(cell.value, Uncached):
            return ""
        return cell.value if isinstance(cell.value, str) else str(cell.value)
