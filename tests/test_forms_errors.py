"""Forms that cannot be read as they are: one message naming workbook, sheet and cell, never a
traceback, and every other sheet still read."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import msoffcrypto.format.ooxml
from openpyxl import Workbook, load_workbook

from auditcheck.forms import FormError, FormRecord, looks_like_form, read_forms

from . import formbook as fb


def messages(path: Path, max_bytes: int = 5 * 1024 * 1024) -> list[str]:
    return [str(i) for i in read_forms([(path, path.name)], max_bytes) if isinstance(i, FormError)]


def tianchang(tmp_path: Path, name: str = "天长.xlsx") -> Path:
    return fb.xlsx(tmp_path / name, ("自评表", fb.transcription(fb.TIANCHANG)))


def first_row(block: str, source: Path = fb.TIANCHANG) -> int:
    return next(i for i, r in enumerate(fb.transcription(source), 1) if r.block == block)


def edited(path: Path, changes: dict[str, object], sheet: str = "自评表") -> Path:
    book = load_workbook(path)
    for cell, value in changes.items():
        book[sheet][cell] = value
    book.save(path)
    return path


def test_a_figure_that_is_not_one_is_named_by_cell_and_label(tmp_path: Path) -> None:
    row = first_row("ind")
    book = edited(tianchang(tmp_path), {f"F{row}": "十分"})
    (message,) = messages(book)
    assert message.startswith(f"天长.xlsx:自评表!F{row}: 分值: ")
    assert "'十分'" in message


def test_a_formula_saved_without_its_result_is_named_by_cell(tmp_path: Path) -> None:
    total = first_row("total")
    book = edited(tianchang(tmp_path), {f"G{total}": f"=SUM(G{first_row('ind')}:G{total - 1})"})
    (message,) = messages(book)
    assert message.startswith(f"天长.xlsx:自评表!G{total}: 总分·得分: formula =SUM(")
    assert "save it and rerun" in message


def with_cached_result(path: Path, result: str) -> Path:
    """The workbook as Excel saves a formula: the result stored beside it."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"</f><v></v>", f"</f><v>{result}</v>".encode())
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def test_a_formula_with_its_saved_result_is_read(tmp_path: Path) -> None:
    total = first_row("total")
    book = edited(tianchang(tmp_path), {f"G{total}": f"=SUM(G{first_row('ind')}:G{total - 1})"})
    items = list(read_forms([(with_cached_result(book, "90"), "天长.xlsx")]))
    assert isinstance(items[0], FormRecord) and items[0].data["score"] == 90


def test_other_sheets_are_read_when_one_fails(tmp_path: Path) -> None:
    row = first_row("ind")
    book = fb.xlsx(
        tmp_path / "两表.xlsx",
        ("天长", fb.transcription(fb.TIANCHANG)),
        ("中江", fb.transcription(fb.ZHONGJIANG)),
    )
    edited(book, {f"G{row}": "满分"}, sheet="天长")
    items = list(read_forms([(book, book.name)]))
    assert [str(i) for i in items if isinstance(i, FormError)] == [
        f"两表.xlsx:天长!G{row}: 得分: Input should be a valid number, got text '满分'; "
        "write a number"
    ]
    assert [i.sheet for i in items if isinstance(i, FormRecord)] == ["中江"]


def test_figures_without_an_indicator_are_not_dropped_silently(tmp_path: Path) -> None:
    row = first_row("ind") + 4  # 质量指标 指标2：, left as a template row
    book = edited(tianchang(tmp_path), {f"F{row}": 5})
    assert messages(book) == [
        f"天长.xlsx:自评表!C{row}: 三级指标: the row gives 分值 but no indicator; write the "
        "indicator's name, or clear the row"
    ]


def test_hidden_rows_and_columns_are_not_read(tmp_path: Path) -> None:
    row = first_row("ind") + 4  # 质量指标 指标2：, a template row
    head = first_row("head")
    book = edited(tianchang(tmp_path), {f"F{row}": 5, f"J{head}": "内部编号X"})
    assert len(messages(book)) == 1  # the template row with a 分值 is an error …
    wb = load_workbook(book)
    wb["自评表"].row_dimensions[row].hidden = True  # … unless the unit hid it
    wb["自评表"].column_dimensions["J"].hidden = True
    wb.save(book)
    (form,) = read_forms([(book, book.name)])
    assert isinstance(form, FormRecord) and form.data["name"] == "水旱灾害防御经费"
    rows = fb.transcription(fb.TIANCHANG)
    rows[row - 1].cells[5] = "5"
    old = fb.xls(tmp_path / "a.xls", ("自评表", rows), hidden_rows=(row,))
    assert [type(i).__name__ for i in read_forms([(old, old.name)])] == ["FormRecord"]


def test_signatures_under_the_indicators_end_the_table(tmp_path: Path) -> None:
    rows = [r for r in fb.transcription(fb.ZHONGJIANG) if r.block not in ("total", "note")]
    signed = [*rows, fb.Row("note", ["填表人：李某", "", "", "审核人：王某", "", "联系电话：123"])]
    plain = next(read_forms([(fb.xlsx(tmp_path / "a.xlsx", ("自评表", rows)), "a.xlsx")]))
    book = fb.xlsx(tmp_path / "b.xlsx", ("自评表", signed))
    (form,) = read_forms([(book, book.name)])
    assert isinstance(form, FormRecord) and isinstance(plain, FormRecord)
    assert form.data["targets"] == plain.data["targets"]


def test_an_empty_name_is_named_by_its_label(tmp_path: Path) -> None:
    row = first_row("head")
    book = edited(tianchang(tmp_path), {f"B{row}": None})
    assert messages(book) == [
        f"天长.xlsx:自评表!A{row}: 项目名称: 项目名称 is empty; write the name and rerun"
    ]


def test_a_monitoring_table_says_what_it_is(tmp_path: Path) -> None:
    rows = [
        fb.Row("head", ["项目名称", "某项目"]),
        fb.Row("ind_head", ["一级指标", "二级指标", "三级指标", "年度指标值", "当前完成值"]),
        fb.Row("ind", ["产出指标", "数量指标", "培训人数", "≥100人", "60人"]),
    ]
    (message,) = messages(fb.xlsx(tmp_path / "监控.xlsx", ("监控表", rows)))
    assert message.startswith("监控.xlsx:监控表!E2: 当前完成值: a 绩效运行监控表")


def test_hidden_and_empty_sheets_are_skipped(tmp_path: Path) -> None:
    book = tianchang(tmp_path)
    wb = load_workbook(book)
    wb.create_sheet("空白")
    wb.create_sheet("下拉选项")["A1"] = "≥"
    wb["下拉选项"].sheet_state = "hidden"
    wb.save(book)
    assert [type(i).__name__ for i in read_forms([(book, book.name)])] == ["FormRecord"]


def test_a_file_with_no_form_at_all(tmp_path: Path) -> None:
    book = fb.xlsx(tmp_path / "空.xlsx", ("Sheet1", [fb.Row("note", [""])]))
    assert messages(book) == ["空.xlsx: no form in this file: no sheet or table holds one"]


def test_not_a_workbook(tmp_path: Path) -> None:
    text = tmp_path / "a.xlsx"
    text.write_text("项目名称,预算\n", "utf-8")
    page = tmp_path / "b.xls"
    page.write_text("<html><table><tr><td>项目名称</td></tr></table></html>", "utf-8")
    empty = tmp_path / "c.xlsx"
    empty.write_bytes(b"")
    assert messages(text) == [
        "a.xlsx: not an Excel workbook (.xlsx, .xls) or a Word document (.docx)"
    ]
    assert messages(page) == [
        "b.xls: a web page or XML saved with an Excel name; open it in Excel and save as .xlsx"
    ]
    assert messages(empty) == ["c.xlsx: the file is empty"]


def test_a_truncated_workbook(tmp_path: Path) -> None:
    book = tianchang(tmp_path)
    whole = book.read_bytes()
    cut = tmp_path / "cut.xlsx"
    for size in (len(whole) // 2, len(whole) - 30):
        cut.write_bytes(whole[:size])
        (message,) = messages(cut)
        assert message.startswith("cut.xlsx: ") and "save it again" in message


def test_a_damaged_part_inside_the_zip(tmp_path: Path) -> None:
    book = tianchang(tmp_path)
    with zipfile.ZipFile(book) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["xl/worksheets/sheet1.xml"] = b"<worksheet><sheetData><row><c r='A1'"
    with zipfile.ZipFile(book, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    (message,) = messages(book)
    assert message.startswith("天长.xlsx: cannot read the file (") and "save it again" in message


def test_a_password_protected_workbook(tmp_path: Path) -> None:
    book = tianchang(tmp_path)
    locked = tmp_path / "加密.xlsx"
    out = io.BytesIO()
    with book.open("rb") as handle:
        msoffcrypto.format.ooxml.OOXMLFile(handle).encrypt("密码", out)
    locked.write_bytes(out.getvalue())
    assert messages(locked) == [
        "加密.xlsx: the file is password-protected; save a copy without a password and rerun"
    ]


def test_size_is_bounded_before_parsing(tmp_path: Path) -> None:
    book = tianchang(tmp_path)
    with zipfile.ZipFile(book, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", b"\0" * 3_000_000)  # compresses to a few KB
    assert book.stat().st_size < 100_000
    (message,) = messages(book, max_bytes=1_000_000)
    assert (
        message.startswith("天长.xlsx: the file unpacks to 2.9 MB, over the 1.0 MB")
        and "--max-file-size" in message
    )
    (message,) = messages(book, max_bytes=1_000)
    assert message.startswith("天长.xlsx: file is ") and "KB, over the 1.0 KB limit" in message


def test_a_zip_that_is_no_office_file(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert messages(path) == ["a.xlsx: a zip archive, but not an Excel workbook or a Word document"]


def test_a_form_is_told_from_a_table(tmp_path: Path) -> None:
    table = tmp_path / "table.xlsx"
    wb = Workbook()
    wb.active.append(["项目编号", "项目名称", "预算资金"])
    wb.active.append(["p1", "某项目", 100])
    wb.save(table)
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04junk")
    assert looks_like_form(tianchang(tmp_path)) is True
    assert looks_like_form(fb.xls(tmp_path / "a.xls", ("自评表", fb.transcription(fb.DAYING))))
    assert looks_like_form(fb.docx(tmp_path / "a.docx", fb.transcription(fb.DAYING)))
    assert looks_like_form(table) is False
    assert looks_like_form(junk) is None  # damaged: the reader its name picks says why


def test_documents_and_old_workbooks_without_a_form_are_told_apart(tmp_path: Path) -> None:
    from docx import Document

    report = Document()
    report.add_paragraph("评价指标体系")
    grid = report.add_table(rows=2, cols=4)
    headers = ["一级指标", "二级指标", "三级指标", "分值"]
    for cell, text in zip(grid.rows[0].cells, headers, strict=True):
        cell.text = text
    report.save(str(tmp_path / "去年的报告.docx"))
    table = fb.xls(tmp_path / "项目表.xls", ("Sheet1", [fb.Row("head", ["项目名称", "预算资金"])]))
    assert looks_like_form(tmp_path / "去年的报告.docx") is False  # its table has no 项目名称
    assert looks_like_form(table) is False
    os.mkfifo(tmp_path / "管道.xlsx")  # never opened: the reader refuses it by its kind
    assert looks_like_form(tmp_path / "管道.xlsx") is None
    assert messages(tmp_path / "管道.xlsx") == [
        "管道.xlsx: a named pipe (FIFO), not a file; skipped"
    ]


def test_a_damaged_xls(tmp_path: Path) -> None:
    whole = fb.xls(tmp_path / "a.xls", ("自评表", fb.transcription(fb.TIANCHANG))).read_bytes()
    cut, junk = tmp_path / "cut.xls", tmp_path / "junk.xls"
    cut.write_bytes(whole[: len(whole) // 2])
    junk.write_bytes(whole[:8] + b"\xff" * 600)
    for path in (cut, junk):
        (message,) = messages(path)
        assert message.startswith(f"{path.name}: cannot read the .xls file (")
        assert message.endswith("open it in Excel and save it again")


def with_part(path: Path, part: str, old: bytes, new: bytes) -> Path:
    """The workbook with one part's XML edited, as a hostile program could write it."""
    with zipfile.ZipFile(path) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    assert old in parts[part]
    parts[part] = parts[part].replace(old, new, 1)
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return path


def read_in_bounded_memory(path: Path) -> list[str]:
    """Messages of a read run in a child process allowed 2 GB: a regression fails, not the box."""
    code = (
        "import resource, sys; from pathlib import Path\n"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))\n"
        "from auditcheck.forms import read_forms\n"
        "for item in read_forms([(Path(sys.argv[1]), Path(sys.argv[1]).name)]):\n"
        "    print(item if isinstance(item, Exception) else 'record ' + item.sheet)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.splitlines()


def test_a_cell_far_out_is_refused_and_the_other_sheets_read(tmp_path: Path) -> None:
    book = fb.xlsx(
        tmp_path / "远.xlsx",
        ("天长", fb.transcription(fb.TIANCHANG)),
        ("中江", fb.transcription(fb.ZHONGJIANG)),
    )
    wb = load_workbook(book)
    wb["天长"]["XFD1048576"] = "x"
    wb.save(book)
    assert read_in_bounded_memory(book) == [
        "远.xlsx:天长: values spread over 1048576 rows and 16384 columns (as far as "
        "XFD1048576); a form is far smaller: delete the cells outside it",
        "record 中江",
    ]


def test_a_merged_range_over_the_whole_sheet_is_refused_before_parsing(tmp_path: Path) -> None:
    hostile = {
        "merged.xlsx": b'<mergeCell ref="J1:XFD1048576"/></mergeCells>',
        "linked.xlsx": b'</mergeCells><hyperlinks><hyperlink ref="J1:XFD1048576" '
        b'display="x"/></hyperlinks>',
    }
    for name, xml in hostile.items():
        book = with_part(
            tianchang(tmp_path, name), "xl/worksheets/sheet1.xml", b"</mergeCells>", xml
        )
        (message,) = read_in_bounded_memory(book)
        assert message.startswith(f"{book.name}: merged ranges and links cover more than ")
        assert "(up to J1:XFD1048576)" in message


def test_a_word_cell_spanning_a_billion_columns_is_refused(tmp_path: Path) -> None:
    word = fb.docx(tmp_path / "宽.docx", fb.transcription(fb.DAYING))
    with zipfile.ZipFile(word) as archive:
        document = archive.read("word/document.xml")
    assert b"<w:tcPr>" in document
    with_part(word, "word/document.xml", b"<w:tcPr>", b'<w:tcPr><w:gridSpan w:val="1000000000"/>')
    (message,) = read_in_bounded_memory(word)
    assert message.startswith("宽.docx: a table cell spans 1000000000 columns")


def test_a_formula_where_a_name_belongs(tmp_path: Path) -> None:
    row = first_row("head")
    book = edited(tianchang(tmp_path), {f"B{row}": '="水旱"&"经费"'})
    (message,) = messages(book)
    assert message.startswith(f"天长.xlsx:自评表!B{row}: 项目名称: formula =")


def test_a_corrupt_compressed_part(tmp_path: Path) -> None:
    book = tianchang(tmp_path)
    raw = bytearray(book.read_bytes())
    with zipfile.ZipFile(book) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start + 10 : start + 40] = b"\xff" * 30  # the deflated data, no longer inflatable
    book.write_bytes(bytes(raw))
    (message,) = messages(book)
    assert message.startswith("天长.xlsx: cannot read the file (") and "save it again" in message


def test_an_oversized_file_cannot_be_told_and_is_refused(tmp_path: Path) -> None:
    book = tianchang(tmp_path)
    assert looks_like_form(book, max_bytes=1_000) is None
    (message,) = messages(book, max_bytes=1_000)
    assert "over the 1.0 KB limit" in message
