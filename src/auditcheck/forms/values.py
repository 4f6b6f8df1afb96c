"""Cells → values: figures, target values split into operator, number and unit, "not stated".

A cell formatted as a percentage holds a fraction (1.0 for 100.00 %); it is read × 100,
as the form shows it. ``—``, ``-``, ``/``, ``……`` and an empty cell state nothing.
A value that cannot be read as a figure is passed on as written, so the record model
refuses it and the error names the cell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from auditcheck.forms.grid import Cell
from auditcheck.forms.labels import fold

_UNSTATED = re.compile(r"^[-—–/\\.…·\s]*$")
# Written before a number: symbols and the words forms use for them.
_OPERATORS = {
    "≥": "≥",
    ">=": "≥",
    "≧": "≥",
    "大于等于": "≥",
    "不低于": "≥",
    "不少于": "≥",
    "≤": "≤",
    "<=": "≤",
    "≦": "≤",
    "小于等于": "≤",
    "不高于": "≤",
    "不超过": "≤",
    "不多于": "≤",
    ">": ">",
    "大于": ">",
    "高于": ">",
    "超过": ">",
    "<": "<",
    "小于": "<",
    "低于": "<",
    "=": "=",
    "==": "=",
    "等于": "=",
}
# Written after a number: 95%以上, 12个月以内.
_SUFFIXES = {"及以上": "≥", "以上": "≥", "及以下": "≤", "以下": "≤", "以内": "≤"}
_OPERATOR = "|".join(sorted(map(re.escape, _OPERATORS), key=len, reverse=True))
_SUFFIX = "|".join(sorted(map(re.escape, _SUFFIXES), key=len, reverse=True))
_NUMBER = r"[+-]?\d+(?:,\d{3})*(?:\.\d+)?"
_TARGET = re.compile(
    rf"^(?P<op>{_OPERATOR})?\s*(?P<num>{_NUMBER})\s*(?P<unit>[^\d\s]{{0,8}}?)\s*(?P<suffix>{_SUFFIX})?$"
)
_UNITS = {"百分比": "%", "百分之": "%"}
# 指标性质 words that say how to read a value but give no bound.
_NO_BOUND = {"定性", "定量", "正向", "反向", "正向指标", "反向指标", "定性指标", "定量指标"}


def unstated(cell: Cell | None) -> bool:
    """Whether a cell states nothing: empty, a dash, a slash, dots."""
    return cell is None or (isinstance(cell.value, str) and bool(_UNSTATED.match(fold(cell.value))))


def shown(cell: Cell) -> str:
    """The cell as the form shows it: ``100.00%`` for a percent cell holding 1.0."""
    value = cell.value
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = value * 100 if cell.percent else value
    if cell.decimals is not None:
        text = f"{number:.{cell.decimals}f}"
    else:
        text = f"{round(number, 10):g}" if abs(number) < 1e15 else str(number)
    return text + ("%" if cell.percent else "")


def figure(cell: Cell, units: tuple[str, ...] = ()) -> float | str:
    """A figure: numbers as they are (percent cells × 100); text such as ``880万元`` read when
    its unit is one of ``units``; anything else as written, for the model to refuse."""
    value = cell.value
    if isinstance(value, bool):
        return shown(cell)
    if isinstance(value, int | float):
        return round(value * 100, 10) if cell.percent else value
    text = shown(cell)
    plain = fold(text).replace(" ", "").replace(",", "")
    for unit in units:
        if plain.endswith(unit) and re.fullmatch(_NUMBER, plain[: -len(unit)]):
            return float(plain[: -len(unit)])
    if re.fullmatch(_NUMBER, plain):
        return float(plain)
    return text


@dataclass(frozen=True)
class TargetValue:
    """A 年度指标值 or 实际完成值: the cell as written, and what it says when it is a quantity."""

    text: str
    operator: str | None = None
    number: float | None = None
    unit: str | None = None


def unit_name(text: str) -> str:
    """A unit as records write it: ``百分比`` and ``％`` → ``%``."""
    folded = fold(text).strip()
    return _UNITS.get(folded, folded)


def target_value(cell: Cell) -> TargetValue:
    """``≥266米`` → ≥, 266, 米; ``90%`` (a percent cell) → 90, %; ``效果明显`` → text only."""
    text = shown(cell)
    if isinstance(cell.value, int | float) and not isinstance(cell.value, bool):
        return TargetValue(text, None, float(figure(cell)), "%" if cell.percent else None)
    match = _TARGET.match(fold(text).strip())
    if match is None:
        return TargetValue(text)
    op = _OPERATORS.get(match["op"] or "") or _SUFFIXES.get(match["suffix"] or "")
    unit = unit_name(match["unit"]) if match["unit"] else None
    return TargetValue(text, op, float(match["num"].replace(",", "")), unit)


def operator(cell: Cell) -> str | None:
    """A 指标性质 cell: ``≥``, ``大于等于`` → ≥; ``定性`` → none; other text as written."""
    text = fold(shown(cell)).strip()
    if text in _NO_BOUND:
        return None
    return _OPERATORS.get(text, text)
