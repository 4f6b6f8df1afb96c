"""Form files built from the transcriptions in tests/data/forms, the way Excel or Word saves them.

A transcription repeats a merged cell's value over the cells it covers, tags each
row with its block (title, head, funds, goal, basic, ind_head, ind, total, note)
and marks where the source text stops. Built back: label columns become merged
ranges holding their value in the top-left cell, typed-in numbers are numbers
(``0.00`` keeps its format), ``100.00%`` is the fraction 1.0 in a percent format, and
the transcription's own marks are dropped. The same layout is written as .xlsx
(openpyxl), .xls (xlwt) and a .docx table (python-docx).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook

FORMS = Path(__file__).parent / "data" / "forms"
TIANCHANG = FORMS / "tianchang-2022-project-self-eval.tsv"
ZHONGJIANG = FORMS / "zhongjiang-2022-project-self-eval.tsv"
DAYING = FORMS / "daying-sifaju-2023-sichuan-self-eval-partial.tsv"
_MARKS = ("[source text ends here]", "[omitted]")
_NUMBER = re.compile(r"^-?\d+(?:\.(\d+))?$")
_PERCENT = re.compile(r"^(\d+(?:\.(\d+))?)%$")
# Rows whose cells run on to the right over empty neighbours (one merged range each).
_WIDE = {"title", "head", "goal", "basic", "total", "note"}


@dataclass
class Row:
    block: str
    cells: list[str]


def transcription(path: Path) -> list[Row]:
    """The rows of a transcription, its header row and marks removed."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    out = []
    for block, *cells in rows[1:]:
        for mark in _MARKS:
            cells = [c.replace(mark, "").strip() for c in cells]
        out.append(Row(block, cells))
    return out


def typed(text: str) -> tuple[Any, str | None]:
    """A cell as Excel stores what was typed: numbers as numbers, 90% as 0.9 in a % format."""
    if (match := _NUMBER.match(text)) is not None:
        decimals = match.group(1)
        value = float(text) if decimals else int(text)
        return value, ("0." + "0" * len(decimals)) if decimals else None
    if (match := _PERCENT.match(text)) is not None:
        decimals = match.group(2)
        return float(match.group(1)) / 100, "0." + "0" * len(decimals) + "%" if decimals else "0%"
    return text, None


@dataclass
class Layout:
    """Cells (row, col) → text as typed, and merged ranges (top, left, bottom, right), 1-based."""

    texts: dict[tuple[int, int], str] = field(default_factory=dict)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    width: int = 0


def _label_columns(rows: list[Row], index: int) -> set[int]:
    """Columns (0-based) whose equal neighbours are one merged label in this row's block."""
    block = rows[index].block
    columns = {0}
    if block == "basic":
        columns.add(1)
    if block == "ind":
        header = next(r for r in reversed(rows[:index]) if r.block == "ind_head")
        columns |= {i for i, c in enumerate(header.cells) if c in ("一级指标", "二级指标")}
    return columns


def layout(rows: list[Row]) -> Layout:
    """Where each text goes and which cells are merged, as a person filling the form left it."""
    width = max(len(r.cells) for r in rows)
    cells = [r.cells + [""] * (width - len(r.cells)) for r in rows]
    out = Layout(width=width)
    covered: set[tuple[int, int]] = set()
    for i in range(len(rows)):
        for c in sorted(_label_columns(rows, i)):
            text = cells[i][c]
            if not text or (i, c) in covered:
                continue
            end = i
            while end + 1 < len(rows) and c in _label_columns(rows, end + 1):
                if cells[end + 1][c] != text:
                    break
                end += 1
            covered |= {(k, c) for k in range(i + 1, end + 1)}
            if end > i:
                out.merges.append((i + 1, c + 1, end + 1, c + 1))
    for i, row in enumerate(rows):
        c = 0
        while c < width:
            end = c
            if row.block in _WIDE and cells[i][c]:
                while end + 1 < width and not cells[i][end + 1]:
                    end += 1
            if end > c and (i, c) not in covered:
                out.merges.append((i + 1, c + 1, i + 1, end + 1))
            c = end + 1
    for i in range(len(rows)):
        for c in range(width):
            if cells[i][c] and (i, c) not in covered:
                out.texts[(i + 1, c + 1)] = cells[i][c]
    return out


Edit = Callable[[str], str]


def _same(text: str) -> str:
    return text


def xlsx(path: Path, *sheets: tuple[str, list[Row]], edit: Edit = _same) -> Path:
    """Save (sheet name, rows) pairs as an .xlsx; ``edit`` may respell each text cell."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        ws = book.create_sheet(name)
        plan = layout(rows)
        for (r, c), text in plan.texts.items():
            value, number_format = typed(text)
            cell = ws.cell(r, c, edit(value) if isinstance(value, str) else value)
            if number_format:
                cell.number_format = number_format
        for top, left, bottom, right in plan.merges:
            ws.merge_cells(start_row=top, start_column=left, end_row=bottom, end_column=right)
    book.save(path)
    return path


def xls(path: Path, *sheets: tuple[str, list[Row]], hidden_rows: tuple[int, ...] = ()) -> Path:
    """The same as :func:`xlsx`, in the old binary format (Excel 97–2003); ``hidden_rows``
    (1-based) are hidden in every sheet."""
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    for name, rows in sheets:
        ws = book.add_sheet(name)
        for row in hidden_rows:
            ws.row(row - 1).hidden = True
        plan = layout(rows)
        tops = {(t, left): (b, r) for t, left, b, r in plan.merges}
        for (r, c), text in plan.texts.items():
            value, number_format = typed(text)
            style = xlwt.easyxf(num_format_str=number_format or "General")
            if (r, c) in tops:
                bottom, right = tops.pop((r, c))
                ws.write_merge(r - 1, bottom - 1, c - 1, right - 1, value, style)
            else:
                ws.write(r - 1, c - 1, value, style)
        for (top, left), (bottom, right) in tops.items():
            ws.merge(top - 1, bottom - 1, left - 1, right - 1)
    book.save(str(path))
    return path


def docx(path: Path, rows: list[Row]) -> Path:
    """The form as the 一体化 system exports it: the title above, the rest one Word table."""
    from docx import Document

    document = Document()
    title = [r for r in rows if r.block == "title"]
    body = [r for r in rows if r.block != "title"]
    for row in title:
        document.add_paragraph(" ".join(c for c in row.cells if c))
    plan = layout(body)
    table = document.add_table(rows=len(body), cols=plan.width)
    for top, left, bottom, right in plan.merges:
        table.cell(top - 1, left - 1).merge(table.cell(bottom - 1, right - 1))
    for (r, c), text in plan.texts.items():
        table.cell(r - 1, c - 1).text = text
    document.save(str(path))
    return path
