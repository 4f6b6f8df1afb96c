"""Reviewing what units submit: the three real forms, read as workbooks, through the packs."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditcheck.forms import FormRecord, read_forms

from . import formbook as fb
from .test_forms import TEMPLATE


def form_of(source: Path, folder: Path) -> FormRecord:
    book = fb.xlsx(folder / f"{source.stem}.xlsx", ("自评表", fb.transcription(source)))
    [form] = list(read_forms([(book, book.name)]))
    assert isinstance(form, FormRecord), str(form)
    return form


@pytest.mark.parametrize("source", [fb.TIANCHANG, fb.ZHONGJIANG, fb.DAYING], ids=lambda p: p.stem)
def test_template_rows_are_counted_not_read_as_indicators(source: Path, tmp_path: Path) -> None:
    rows = fb.transcription(source)
    (header,) = [r.cells for r in rows if r.block == "ind_head"]
    column = header.index("三级指标")
    # Sheet rows are the transcription's rows; sheet columns its columns after the block tag.
    lines = [(i + 1, r.cells[column]) for i, r in enumerate(rows) if r.block == "ind"]
    template = [row for row, name in lines if TEMPLATE.match(name)]
    form = form_of(source, tmp_path)
    assert form.data.get("template_rows", 0) == len(template)
    assert len(form.data["targets"]) == len(lines) - len(template)
    if template:
        cell = form.positions[("template_rows",)]
        assert (cell.sheet, cell.row, cell.col) == ("自评表", template[0], column + 1)
