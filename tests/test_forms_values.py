"""Cells → values: the operator, number and unit of a target, percent cells, "not stated"."""

from __future__ import annotations

from datetime import datetime

import pytest

from auditcheck.forms.grid import Cell
from auditcheck.forms.values import figure, operator, shown, target_value, unstated


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("≥266米", ("≥", 266, "米")),
        ("≤90万元", ("≤", 90, "万元")),
        ("≥100百分比", ("≥", 100, "%")),
        ("90%", (None, 90, "%")),
        ("＞85％", (">", 85, "%")),
        ("≥ 50 厘米", ("≥", 50, "厘米")),
        (">=95%", ("≥", 95, "%")),
        ("不低于95%", ("≥", 95, "%")),
        ("95%以上", ("≥", 95, "%")),
        ("12个月以内", ("≤", 12, "个月")),
        ("1,000人", (None, 1000, "人")),
        ("20.5万元", (None, 20.5, "万元")),
        ("1", (None, 1, None)),
        ("效果明显", (None, None, None)),
        ("在项目计划完成时间内完成", (None, None, None)),
        ("2022年12月31日前", (None, None, None)),
        ("年度资金支付完成率100%", (None, None, None)),
    ],
)
def test_a_target_splits_into_operator_number_and_unit(
    text: str, expected: tuple[str | None, float | None, str | None]
) -> None:
    value = target_value(Cell(text))
    assert (value.operator, value.number, value.unit) == expected
    assert value.text == text  # the cell as written


@pytest.mark.parametrize(
    ("cell", "text", "number"),
    [
        (Cell(0.9, percent=True), "90%", 90),
        (Cell(1.0, percent=True, decimals=2), "100.00%", 100),
        (Cell(0.955, percent=True, decimals=1), "95.5%", 95.5),
        (Cell(3.36, decimals=2), "3.36", 3.36),
        (Cell(0, decimals=2), "0.00", 0),
        (Cell(266), "266", 266),
    ],
)
def test_number_cells_are_read_as_the_form_shows_them(cell: Cell, text: str, number: float) -> None:
    value = target_value(cell)
    assert (value.text, value.number) == (text, number)
    assert shown(cell) == text


def test_a_date_cell_is_text() -> None:
    value = target_value(Cell(datetime(2022, 12, 31)))
    assert (value.text, value.number) == ("2022-12-31", None)


@pytest.mark.parametrize("text", ["-", "—", "——", "－", "/", "／", "…", "……", "...", " "])
def test_marks_that_state_nothing(text: str) -> None:
    assert unstated(Cell(text))


@pytest.mark.parametrize("value", ["0", 0, "无", "完成", "-5"])
def test_values_that_state_something(value: object) -> None:
    assert not unstated(Cell(value))  # type: ignore[arg-type]


def test_figures() -> None:
    assert figure(Cell("880万元"), ("万元",)) == 880
    assert figure(Cell("10分"), ("分",)) == 10
    assert figure(Cell("100.00%"), ("%",)) == 100
    assert figure(Cell(1.0, percent=True)) == 100
    assert figure(Cell("1,200.5")) == 1200.5
    # Left as written for the model to refuse, with its hint: 元 is not 万元.
    assert figure(Cell("387664.62元"), ("万元",)) == "387664.62元"
    assert figure(Cell("十分"), ("分",)) == "十分"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("≥", "≥"), ("大于等于", "≥"), ("＝", "="), ("<=", "≤"), ("定性", None), ("正向", None)],
)
def test_the_operator_column(text: str, expected: str | None) -> None:
    assert operator(Cell(text)) == expected
