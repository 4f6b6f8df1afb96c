"""One sheet of a form → one project record (the record model's field names) and its cells.

Blocks are found by their label cells and columns by their header text, never by
position (see :mod:`auditcheck.forms.labels`). Every field read is indexed to the
cell it came from, so an error about the record names the sheet and the cell.
A cell that states nothing on a form that asks for it is listed in ``unstated``:
the form gives the value no figure, which is a fact, not a reading error.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from auditcheck.forms import labels as L
from auditcheck.forms.grid import Cell, CellRef, FormError, Sheet, Uncached
from auditcheck.forms.values import figure, operator, shown, target_value, unit_name, unstated
from auditcheck.locate import CellPosition, Document, Note, PathKey
from auditcheck.records.model import Project

SELF_EVAL = "项目支出绩效自评表"
DEPARTMENT = "部门整体支出绩效自评表"
TARGETS = "绩效目标表"

_CODE = re.compile(r"^\s*(?P<code>\d{6,}[A-Za-z]\d{6,})\s*[-－—–_]\s*(?P<name>\S.*)$", re.S)
_TEMPLATE_NUMBER = re.compile(r"^\s*指标\s*\d*\s*[:：]\s*")
# The year of the title: 2022年度, else 2022年 not followed by a month (a 填报日期).
_YEARS = (re.compile(r"((?:19|20)\d{2})\s*年度"), re.compile(r"((?:19|20)\d{2})\s*年(?!\s*\d)"))
# A head label and its value in one cell: 项目名称：水旱灾害防御经费.
_INLINE = re.compile(r"^(?P<label>[^:：]{2,20}?)\s*[:：]\s*(?P<value>\S.*)$", re.S)
# A unit's code before its name: 219-池州市水利局.
_UNIT_CODE = re.compile(r"^\s*\d{3,}\s*[-－—–_]\s*(?=\S)")
# Every label a value never is: a value read right of (or below) a label stops at one.
_LABELS = (
    L.BLOCKS
    | L.DEPARTMENT_NAMES
    | L.CODE_LABELS
    | L.GOAL_PLANNED
    | L.GOAL_ACTUAL
    | L.ANNUAL_TOTAL
    | L.OTHER_HEAD
    | {"中期资金总额", "中期目标"}
    | set().union(*L.MONEY_COLUMNS.values(), *L.TARGET_COLUMNS.values())
)

Place = tuple[int, int]


@dataclass
class FormRecord:
    """A project read from a form: its record data, and the cell every field came from.

    ``data`` is exactly what a YAML record would hold; ``positions`` maps each field
    path (``("targets", 3, "actual")``) to its cell. A record joined from a 绩效目标表
    and a 自评表 has cells in both; ``sheets`` names them.
    """

    file: str
    sheet: str
    family: str
    data: dict[str, Any]
    positions: dict[PathKey, CellRef]
    fiscal_year: int | None = None
    sheets: list[str] = field(default_factory=list)
    project: Project | None = None  # the record validated, once read_forms has checked it

    def document(self) -> Document:
        """The record as the checker reads it: its data, and the cell of every field."""
        cells = {
            path: CellPosition(ref.row, ref.col, ref.cell, ref.file)
            for path, ref in self.positions.items()
        }
        return Document(self.file, self.data, cells)

    def ref(self, path: PathKey) -> CellRef:
        """The cell of ``path``, else of the nearest enclosing field, else the name's."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions[()]


class _SheetReader:
    def __init__(self, sheet: Sheet, file: str) -> None:
        self.sheet = sheet
        self.file = file
        self.positions: dict[PathKey, CellRef] = {}
        self.errors: list[FormError] = []
        self.columns: dict[str, int] = {}  # the indicator table's columns, by target field
        self.heads: dict[str, str] = {}  # their headers as written
        self.template_rows: list[Place] = []  # indicator rows naming no indicator (指标2：, ……)
        self.keys: dict[Place, str] = {
            place: L.key(cell.value)
            for place, cell in sheet.cells.items()
            if isinstance(cell.value, str)
        }
        self.inline: dict[Place, tuple[str, str]] = {}  # a head label's cell → (label, value)
        for place, cell in sheet.cells.items():
            found = _INLINE.match(cell.value) if isinstance(cell.value, str) else None
            if found and L.key(found["label"]) in L.HEAD_LABELS:
                self.keys[place] = L.key(found["label"])
                self.inline[place] = (re.sub(r"\s+", "", found["label"]), found["value"].strip())

    # -- finding things -------------------------------------------------------------

    def find(self, keys: set[str] | str) -> list[Place]:
        """Cells whose label is one of ``keys``, row by row."""
        wanted = {keys} if isinstance(keys, str) else keys
        return sorted(p for p, k in self.keys.items() if k in wanted)

    def ref(self, place: Place, label: str) -> CellRef:
        return CellRef(self.file, self.sheet.name, place[0], place[1], label)

    def label_text(self, place: Place) -> str:
        """A label as written, on one line (分散对齐 spaces kept out of messages)."""
        if place in self.inline:
            return self.inline[place][0]
        return re.sub(r"\s+", "", self.sheet.text(*place))

    def right(self, place: Place) -> list[Place]:
        """The cells holding a value right of a label, up to the next label."""
        row = place[0]
        seen = {self.sheet.origin(*place)}
        found = []
        for col in range(place[1] + 1, self.sheet.cols + 1):
            origin = self.sheet.origin(row, col)
            if origin in seen or origin[0] != row:
                continue
            seen.add(origin)
            if self.keys.get(origin) in _LABELS:
                break
            if self.readable(origin, self.label_text(place)) is not None:
                found.append(origin)
        return found

    def below(self, place: Place) -> Place | None:
        """The cell under a column header (the next merged range down), unless it is a label."""
        top = self.sheet.origin(*place)
        for row in range(place[0] + 1, self.sheet.rows + 1):
            origin = self.sheet.origin(row, place[1])
            if origin == top:
                continue
            return None if self.keys.get(origin) in _LABELS else origin
        return None

    def readable(self, origin: Place, label: str) -> Cell | None:
        """The cell's value, or None when it states nothing or is a formula without a result."""
        cell = self.sheet.cells.get(origin)
        if cell is not None and isinstance(cell.value, Uncached):
            message = (
                f"formula {cell.value.formula} was saved without its result; open the "
                "workbook in Excel or WPS, let it calculate, save it and rerun"
            )
            error = self.ref(origin, label).error(message)
            if not any(str(e) == str(error) for e in self.errors):
                self.errors.append(error)
            return None
        return None if unstated(cell) else cell

    def value(self, place: Place, label: str, path: PathKey) -> Cell | None:
        """The cell at ``place`` for ``path``, indexed; None when it states nothing."""
        origin = self.sheet.origin(*place)
        self.positions[path] = self.ref(origin, label)
        return self.readable(origin, label)

    def text_right(self, place: Place) -> tuple[str, Place] | None:
        """The text a head label gives: in its own cell (项目名称：…), else right of it."""
        if place in self.inline:
            return self.inline[place][1], place
        values = self.right(place)
        if not values:
            return None
        return "".join(shown(self.sheet.cells[p]) for p in values), values[0]

    # -- the blocks -----------------------------------------------------------------

    def head(self, name_place: Place, data: dict[str, Any]) -> None:
        label = self.label_text(name_place)
        errors = len(self.errors)
        found = self.text_right(name_place)
        if found is None:
            if len(self.errors) == errors:  # empty, not a formula without its result
                message = f"{label} is empty; write the name and rerun"
                self.errors.append(self.ref(name_place, label).error(message))
            return
        text, place = found
        self.positions[("name",)] = self.ref(place, label)
        self.positions[()] = self.ref(place, label)
        for code_place in self.find(L.CODE_LABELS):
            code = self.text_right(code_place)
            if code is not None:
                data["code"] = code[0].strip()
                self.positions[("code",)] = self.ref(code[1], self.label_text(code_place))
        match = _CODE.match(text)
        if match:
            data.setdefault("code", match["code"])
            self.positions.setdefault(("code",), self.ref(place, label))
            text = match["name"].strip()
        data["name"] = text
        units = []
        for role_key, role in L.UNIT_ROLES.items():
            if any(u["role"] == role for u in units):
                continue
            for role_place in self.find(role_key)[:1]:
                unit = self.text_right(role_place)
                if unit is not None:
                    path = ("units", len(units))
                    self.positions[path] = self.ref(unit[1], self.label_text(role_place))
                    units.append({"name": _UNIT_CODE.sub("", unit[0]).strip(), "role": role})
        if units:
            data["units"] = units
        identity = "|".join([data["name"], *(u["name"] for u in units)])
        data["id"] = data.get("code") or "form-" + hashlib.sha1(identity.encode()).hexdigest()[:10]
        self.positions[("id",)] = self.positions.get(("code",), self.positions[("name",)])

    def money_table(self, data: dict[str, Any], stop_row: int) -> bool:
        """The 自评表's money block: a header row of amounts, a total line and its sources."""
        header = next(
            (h for h in map(self.money_header, range(1, stop_row)) if h is not None), None
        )
        if header is None:
            return False
        row, columns = header
        first_value = min(c for _, c in columns.values())
        own_label = self.keys.get(self.sheet.origin(row, 1), "")
        sources: list[dict[str, Any]] = []
        for r in range(row + 1, stop_row):
            words = [self.keys.get(self.sheet.origin(r, c), "") for c in range(1, first_value)]
            if any(w in L.BLOCKS and w not in L.TOTAL_ROWS and w != own_label for w in words):
                break
            label_place = self.row_label(r, first_value, own_label)
            if label_place is None:
                if all(unstated(self.sheet.cell(r, c)) for _, c in columns.values()):
                    break
                continue
            label = self.sheet.text(*label_place)
            if L.key(label) in L.TOTAL_ROWS:
                missing = self.money_line(data, (), columns, r)
                _add_unstated(data, (), missing, self.positions)
                continue
            path: PathKey = ("sources", len(sources))
            # A source has one budget figure: 全年预算数, else 调整后预算数.
            wanted = {k: v for k, v in columns.items() if k in L.AMOUNT_FIELDS}
            adjusted = wanted.pop("adjusted_budget", None)
            if adjusted is not None and "budget" not in wanted:
                wanted["budget"] = adjusted
            source: dict[str, Any] = {"name": _source_name(label)}
            missing = self.money_line(source, path, wanted, r)
            if any(k in source for k in L.AMOUNT_FIELDS):
                self.positions[path] = self.ref(label_place, label)
                self.positions[(*path, "name")] = self.positions[path]
                _add_unstated(source, path, missing, self.positions)
                sources.append(source)
        if sources:
            data["sources"] = sources
        return True

    def money_header(self, row: int) -> tuple[int, dict[str, Place]] | None:
        """A row naming at least two amount columns (年初预算数, 全年预算数, 全年执行数 …)."""
        columns: dict[str, Place] = {}
        for col in range(1, self.sheet.cols + 1):
            origin = self.sheet.origin(row, col)
            for name, words in L.MONEY_COLUMNS.items():
                if self.keys.get(origin) in words and name not in columns:
                    columns[name] = (row, origin[1])
        if sum(name in columns for name in L.AMOUNT_FIELDS) >= 2:
            return row, columns
        return None

    def row_label(self, row: int, before: int, own_label: str) -> Place | None:
        """The rightmost text left of the amounts, not the block's own (merged) label."""
        for col in range(before - 1, 0, -1):
            origin = self.sheet.origin(row, col)
            if origin[0] != row or self.keys.get(origin) == own_label:
                continue
            if not unstated(self.sheet.cells.get(origin)):
                return origin
        return None

    def money_line(
        self, out: dict[str, Any], path: PathKey, columns: dict[str, Place], row: int
    ) -> list[str]:
        """One line of the money block into ``out``; the figures it leaves blank."""
        missing = []
        for name, (header_row, col) in columns.items():
            label = self.label_text((header_row, col))
            cell = self.value((row, col), label, (*path, name))
            if name == "execution_reason":
                if cell is not None and not _is_instruction(shown(cell)):
                    out[name] = shown(cell)
            elif cell is None:
                missing.append(name)
            else:
                out[name] = figure(
                    cell, ("%",) if name == "stated_execution_rate" else ("万元", "分")
                )
        return missing

    def money_pairs(self, data: dict[str, Any], stop_row: int) -> None:
        """A 绩效目标表's money: ``年度资金总额 | 100`` and its 其中 lines under it."""
        for place in self.find(L.ANNUAL_TOTAL):
            if place[0] >= stop_row:
                return
            amount = self.right(place)[:1]
            if not amount:
                continue
            label = self.label_text(place)
            cell = self.value(amount[0], label, ("budget",))
            if cell is not None:
                data["budget"] = figure(cell, ("万元",))
            block = L.key(self.sheet.text(place[0], 1))
            sources = []
            for row in range(place[0] + 1, stop_row):
                origin = self.sheet.origin(row, place[1])
                name = self.sheet.text(*origin)
                if L.key(self.sheet.text(row, 1)) != block or origin[0] != row or not name:
                    break  # past the money block (its label, merged down column A, ends)
                found = self.right(origin)[:1]
                path: PathKey = ("sources", len(sources))
                cell = self.value(found[0], name, (*path, "budget")) if found else None
                if cell is not None:
                    self.positions[path] = self.ref(origin, name)
                    sources.append({"name": _source_name(name), "budget": figure(cell, ("万元",))})
            if sources:
                data["sources"] = sources
            return

    def text_near(self, keys: set[str], stop_row: int) -> tuple[str, Place, str] | None:
        """The text under (or right of) the first of these labels that has one."""
        for place in self.find(keys):
            if place[0] >= stop_row:
                break
            label = self.label_text(place)
            right = self.right(place)
            spot = right[0] if right else self.below(place)
            if spot is not None and self.readable(spot, label) is not None:
                return shown(self.sheet.cells[spot]), spot, label
        return None

    def goal(self, data: dict[str, Any], stop_row: int) -> None:
        goal = {}
        for name, keys in (("planned", L.GOAL_PLANNED), ("actual", L.GOAL_ACTUAL)):
            found = self.text_near(keys, stop_row)
            if found is not None:
                goal[name] = found[0]
                self.positions[("goal", name)] = self.ref(found[1], found[2])
        if goal:
            data["goal"] = goal
            self.positions[("goal",)] = next(
                self.positions[("goal", n)] for n in ("planned", "actual") if n in goal
            )

    def targets(self, header_row: int) -> tuple[list[dict[str, Any]], int]:
        """The indicator rows under the header, and the row after them (the total line)."""
        for col in range(1, self.sheet.cols + 1):
            origin = self.sheet.origin(header_row, col)
            word = self.keys.get(origin, "")
            for name, words in L.TARGET_COLUMNS.items():
                if word in words and name not in self.columns:
                    self.columns[name] = origin[1]
            if L.REASON_WORD in word and "deviation_reason" not in self.columns:
                self.columns["deviation_reason"] = origin[1]
        self.heads = {n: self.label_text((header_row, c)) for n, c in self.columns.items()}
        # A finding on the indicators as a whole (the first-level weights, the levels they
        # cover) points at the table's first header (一级指标), not at the project's name.
        first = (header_row, min(self.columns.values()))
        self.positions[("targets",)] = self.ref(first, self.label_text(first))
        found: list[dict[str, Any]] = []
        row = header_row + 1
        while row <= self.sheet.rows and not self.row_closes(row):
            target = self.target(row, ("targets", len(found)))
            if target is not None:
                found.append(target)
            row += 1
        return found, row

    def row_closes(self, row: int) -> bool:
        """A total line, the conclusions, the footnote or the signatures end the indicator table."""
        for col in range(1, self.columns["indicator"] + 1):
            origin = self.sheet.origin(row, col)
            if origin[0] != row:
                continue
            if self.keys.get(origin) in L.TOTAL_SCORE | {"评价结论", L.PROBLEMS, "改进措施"}:
                return True
            if re.sub(r"\s+", "", L.fold(self.sheet.text(*origin))).startswith(L.CLOSING):
                return True
        return False

    def target(self, row: int, path: PathKey) -> dict[str, Any] | None:
        columns, heads = self.columns, self.heads
        origin = self.sheet.origin(row, columns["indicator"])
        if origin[0] != row:
            return None  # the indicator above, merged over this row
        name = _TEMPLATE_NUMBER.sub("", self.sheet.text(*origin)).strip()
        if unstated(Cell(name)):
            stated = [
                n
                for n in ("planned", "actual", "weight", "score")
                if n in columns and not unstated(self.sheet.cell(row, columns[n]))
            ]
            if stated:
                self.errors.append(
                    self.ref(origin, heads["indicator"]).error(
                        f"the row gives {heads[stated[0]]} but no indicator; write the "
                        "indicator's name, or clear the row"
                    )
                )
            self.template_rows.append(origin)
            return None  # a template row left in place (指标2：, ……): counted, not an indicator
        target: dict[str, Any] = {}
        self.positions[path] = self.ref(origin, heads["indicator"])
        for name_ in ("level", "category"):
            if name_ not in columns:
                continue
            place = self.sheet.origin(row, columns[name_])
            if self.keys.get(place):
                target[name_] = self.keys[place]
                self.positions[(*path, name_)] = self.ref(place, heads[name_])
        if "level" not in target and (level := _level_of(target.get("category", ""))):
            # Only （50分） survived of the 一级 label: the national framework's 二级 tells it.
            target["level"] = level
            self.positions[(*path, "level")] = self.positions[(*path, "category")]
        target["indicator"] = name
        self.positions[(*path, "indicator")] = self.positions[path]
        missing: list[str] = []
        self.planned(target, path, row, missing)
        self.actual(target, path, row, missing)
        for name_ in ("weight", "score"):
            if name_ in columns:
                cell = self.value((row, columns[name_]), heads[name_], (*path, name_))
                if cell is None:
                    missing.append(name_)
                else:
                    target[name_] = figure(cell, ("分",))
        if "deviation_reason" in columns:
            where = (row, columns["deviation_reason"])
            cell = self.value(where, heads["deviation_reason"], (*path, "deviation_reason"))
            if cell is not None:
                target["deviation_reason"] = shown(cell)
        _add_unstated(target, path, missing, self.positions)
        return target

    def planned(self, target: dict[str, Any], path: PathKey, row: int, missing: list[str]) -> None:
        columns, heads = self.columns, self.heads
        if "planned" not in columns:
            return
        cell = self.value((row, columns["planned"]), heads["planned"], (*path, "planned"))
        if cell is None:
            missing.append("planned")
            return
        value = target_value(cell)
        op = value.operator
        if "operator" in columns:
            op_cell = self.value((row, columns["operator"]), heads["operator"], (*path, "operator"))
            op = operator(op_cell) if op_cell is not None else op
        else:
            self.positions[(*path, "operator")] = self.positions[(*path, "planned")]
        unit = value.unit
        if "unit" in columns:
            unit_cell = self.value((row, columns["unit"]), heads["unit"], (*path, "unit"))
            unit = unit_name(shown(unit_cell)) if unit_cell is not None else unit
        else:
            self.positions[(*path, "unit")] = self.positions[(*path, "planned")]
        if op is not None:
            target["operator"] = op
        if value.number is not None:
            target["planned"] = value.number
        target["planned_text"] = value.text
        self.positions[(*path, "planned_text")] = self.positions[(*path, "planned")]
        if unit:
            target["unit"] = unit

    def actual(self, target: dict[str, Any], path: PathKey, row: int, missing: list[str]) -> None:
        columns, heads = self.columns, self.heads
        if "actual" not in columns:
            return
        cell = self.value((row, columns["actual"]), heads["actual"], (*path, "actual"))
        if cell is None:
            missing.append("actual")
            return
        value = target_value(cell)
        for name in ("actual_operator", "actual_text"):
            self.positions[(*path, name)] = self.positions[(*path, "actual")]
        if value.operator is not None:
            target["actual_operator"] = value.operator
        unit = target.get("unit")
        if value.number is not None and not (value.unit and unit and value.unit != unit):
            # A figure in another unit than the target's cannot be compared with it.
            target["actual"] = value.number
        target["actual_text"] = value.text
        if value.unit and not unit:
            target["unit"] = value.unit
            self.positions[(*path, "unit")] = self.positions[(*path, "actual")]

    def total(self, data: dict[str, Any], row: int) -> None:
        """The 总分 line: the weights' total, and the score the unit gave itself.

        ``row`` is the row that closed the indicator table: a footnote or the
        signatures end it too, on a form without a total line.
        """
        if row > self.sheet.rows:
            return
        origins = [self.sheet.origin(row, col) for col in range(1, self.sheet.cols + 1)]
        label = next((self.label_text(o) for o in origins if self.keys.get(o) in L.TOTAL_SCORE), "")
        if not label:
            return
        missing = []
        for field_, column in (("total_weight", "weight"), ("score", "score")):
            place = (row, self.columns.get(column, 0))
            if (
                column not in self.columns
                or self.keys.get(self.sheet.origin(*place)) in L.TOTAL_SCORE
            ):
                continue  # no such column, or the 总分 label merged over it
            cell = self.value(place, f"{label}·{self.heads[column]}", (field_,))
            if cell is None:
                missing.append(field_)
            else:
                data[field_] = figure(cell, ("分",))
        _add_unstated(data, (), missing, self.positions)

    def problems(self, data: dict[str, Any]) -> None:
        found = self.text_near({L.PROBLEMS}, self.sheet.rows + 1)
        if found is not None and not _is_instruction(found[0]):
            data["observations"] = [{"evidence": found[0], "source": found[2]}]
            self.positions[("observations", 0)] = self.ref(found[1], found[2])
            self.positions[("observations", 0, "evidence")] = self.ref(found[1], found[2])


def _add_unstated(
    out: dict[str, Any], path: PathKey, names: list[str], positions: dict[PathKey, CellRef]
) -> None:
    """List figures a form leaves blank in ``unstated``, indexed at the first blank cell."""
    if names:
        out.setdefault("unstated", []).extend(names)
        positions.setdefault((*path, "unstated"), positions[(*path, names[0])])


def _source_name(label: str) -> str:
    """``其中：本年财政拨款`` → ``本年财政拨款``."""
    return re.sub(r"^\s*其中\s*[:：]?\s*", "", label).strip().rstrip(":：").strip()


def _is_instruction(text: str) -> bool:
    """Whether a cell holds the template's printed instruction rather than the unit's words."""
    return any(phrase in text for phrase in L.INSTRUCTIONS)


def _level_of(category: str) -> str | None:
    for words, level in L.LEVEL_OF_CATEGORY:
        if any(word in category for word in words):
            return level
    return None


LOOKED_FOR = (
    "looked for the label 项目名称 or 部门（单位）名称 and an indicator table headed "
    "一级指标 / 二级指标 / 三级指标"
)


@dataclass(frozen=True)
class Stray:
    """A sheet holding no label any form has (a 填表说明, a list of codes)."""

    file: str
    sheet: str

    def error(self) -> FormError:
        """What it is in a file that holds no form at all."""
        message = (
            f"not a form auditcheck reads: {LOOKED_FOR}; move other sheets out of the "
            "workbook or hide them"
        )
        return FormError(self.file, message, self.sheet)

    def note(self) -> Note:
        """What it is beside forms: a sheet left unread."""
        return Note(f"{self.file}:{self.sheet}", f"not a form ({LOOKED_FOR}); not read")


def read_sheet(sheet: Sheet, file: str) -> FormRecord | list[FormError] | Stray | None:
    """The record of one sheet; its errors; a stray sheet; or None for an empty sheet."""
    if not sheet.cells:
        return None
    reader = _SheetReader(sheet, file)
    names = reader.find(L.NAME) or reader.find(L.DEPARTMENT_NAMES)
    headers = reader.find("三级指标")
    monitor = reader.find(L.MONITOR_COLUMNS)
    if monitor:
        label = reader.label_text(monitor[0])
        return [
            reader.ref(monitor[0], label).error(
                "a 绩效运行监控表 (its values are forecasts during the year); auditcheck reads "
                "the 自评表 and the 绩效目标表 — move this sheet out of the workbook or hide it"
            )
        ]
    if not names or not headers:
        if not names and not headers:
            stray = Stray(file, sheet.name)
            return [stray.error()] if L.FORM_LABELS & set(reader.keys.values()) else stray
        missing = "an indicator table headed 三级指标" if names else "the label 项目名称"
        return [
            FormError(file, f"a form without {missing}; add it or move the sheet out", sheet.name)
        ]
    header_row = headers[0][0]
    title = " ".join(
        [
            *sheet.preamble,
            *(reader.sheet.text(*p) for p in sorted(sheet.cells) if p[0] < names[0][0]),
        ]
    )
    data: dict[str, Any] = {}
    reader.head(names[0], data)
    if reader.keys[names[0]] != L.NAME or "部门整体" in L.key(title):
        data["type"] = "部门整体"
    if not reader.money_table(data, header_row):
        reader.money_pairs(data, header_row)
    reader.goal(data, header_row)
    targets, end = reader.targets(header_row)
    if targets:
        data["targets"] = targets
    if reader.template_rows:
        data["template_rows"] = len(reader.template_rows)
        first = reader.template_rows[0]
        reader.positions[("template_rows",)] = reader.ref(first, reader.heads["indicator"])
    reader.total(data, end)
    reader.problems(data)
    if reader.errors:
        return reader.errors
    family = DEPARTMENT if data.get("type") == "部门整体" else SELF_EVAL
    if "actual" not in reader.columns:
        family = TARGETS  # no 实际完成值: the targets as declared
    year = next(filter(None, (pattern.search(L.fold(title)) for pattern in _YEARS)), None)
    return FormRecord(
        file,
        sheet.name,
        family,
        data,
        reader.positions,
        int(year.group(1)) if year else None,
        [f"{file}:{sheet.name}"],
    )
