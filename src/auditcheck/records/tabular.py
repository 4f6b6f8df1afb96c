"""CSV and XLSX input: one row per project, sub-items on the rows right after it.

The header row names the record field each column holds: ``id``, ``name``,
``budget``, dotted paths for nested fields (``schedule.planned_completion``,
``publicity.awareness_rate``), or a Chinese alias from :data:`ALIASES`. A row
whose ``subitem_of`` column is filled is a sub-item of the project with that id
and must follow that project's row; its other columns are sub-item fields.
Lists of text (``units``, ``publicity.channels``) are separated by 、 or ;.
Numbers, dates (``2023-12-31``) and booleans (true/false, 是/否) are read by the
type of the field they go to; anything else is left as written, so the model
rejects it with the row and column. Only the first sheet of a workbook is read.
Rows stream: memory does not depend on the number of rows.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel

from auditcheck.locate import Document, LocatedError, PathKey, Position
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

Row = tuple[int, list[Any]]


def _csv_rows(path: Path) -> Iterator[Row]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for number, row in enumerate(csv.reader(handle), 1):
            yield number, list(row)


def _xlsx_rows(path: Path) -> Iterator[Row]:
    from openpyxl import load_workbook  # only when a workbook is given: it is a slow import

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        for number, row in enumerate(sheet.iter_rows(values_only=True), 1):
            yield number, list(row)
    finally:
        book.close()


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


def convert(value: Any, kinds: set[type]) -> Any:
    """A cell as the field wants it, or as written when it cannot be read so."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, str):
        return (
            float(value)
            if isinstance(value, int) and float in kinds and int not in kinds
            else value
        )
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
    for kind in (int, float):
        if kind in kinds:
            try:
                return kind(text)
            except ValueError:
                continue
    return text


def _put(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data.setdefault(part, {})
    data[path[-1]] = value


def tabular_documents(path: Path, display: str) -> Iterator[Document | LocatedError]:
    """One document per project (with its sub-item rows), positions at row and column."""
    rows = _xlsx_rows(path) if path.suffix == ".xlsx" else _csv_rows(path)
    try:
        first = next(rows, None)
        if first is None:
            yield LocatedError(
                display, 1, 1, "", "the file is empty; the first row names the fields"
            )
            return
        header = [
            ALIASES.get(str(h).strip(), str(h).strip()) if h is not None else "" for h in first[1]
        ]
        paths = [tuple(h.split(".")) if h else () for h in header]
        current: Document | None = None
        for number, cells in rows:
            if not any(c not in (None, "") for c in cells):
                continue
            values = dict(zip(paths, cells, strict=False))
            parent = values.pop((SUBITEM_OF,), None)
            if parent not in (None, ""):
                if current is None or current.data.get("id") != str(parent).strip():
                    col = paths.index((SUBITEM_OF,)) + 1
                    message = f"sub-item of '{parent}' must follow that project's row"
                    yield LocatedError(display, number, col, SUBITEM_OF, message)
                    continue
                _add_row(
                    current,
                    ("subitems", len(current.data.setdefault("subitems", []))),
                    SubItem,
                    paths,
                    cells,
                    number,
                )
                continue
            if current is not None:
                yield current
            current = Document(display, {}, {(): Position(number, 1)})
            _add_row(current, (), Project, paths, cells, number)
        if current is not None:
            yield current
    except (OSError, csv.Error, UnicodeDecodeError, ValueError, KeyError) as exc:
        yield LocatedError(display, 1, 1, "", f"cannot read the table: {exc}")


def _add_row(
    doc: Document,
    base: PathKey,
    model: type[BaseModel],
    paths: list[tuple[str, ...]],
    cells: list[Any],
    number: int,
) -> None:
    target: dict[str, Any] = {}
    if base:
        doc.data["subitems"].append(target)
        doc.positions[base] = Position(number, 1)
    else:
        target = doc.data
    for col, (path, cell) in enumerate(zip(paths, cells, strict=False), 1):
        if not path or path == (SUBITEM_OF,) or cell in (None, ""):
            continue
        _put(target, path, convert(cell, _field_kinds(model, path)))
        for depth in range(1, len(path) + 1):
            doc.positions.setdefault((*base, *path[:depth]), Position(number, col))
