"""Hostile input beyond YAML: JSON Lines, CSV, workbooks, and what else a batch folder may hold.

Every case sits beside the good record, which must still be checked; bad
lines and rows lose themselves only, and errors name their true line (or cell).
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from .harness import FIFO, SOCKET, Case

ROW = {"id": "j1", "name": "行记录", "type": "专项", "units": ["单位"], "budget": 100, "spent": 10}


def line(**changes: Any) -> str:
    """One JSON line: ROW with ``changes`` (None removes a key)."""
    row = {k: v for k, v in {**ROW, **changes}.items() if v is not None}
    return json.dumps(row, ensure_ascii=False) + "\n"


def lines(*rows: str) -> str:
    return "".join(rows)


HEADER = "id,name,type,units,budget,spent\n"
CSV_ROW = "c1,表格项目,专项,单位,100,10\n"


def workbook(*rows: list[Any], edit: Callable[[Any], None] | None = None) -> Callable[[Path], None]:
    """A writer of a workbook holding ``rows`` on its first sheet (``edit`` changes cells)."""

    def write(path: Path) -> None:
        book = Workbook()
        for row in rows:
            book.active.append(row)
        if edit is not None:
            edit(book.active)
        book.save(path)

    return write


def rezipped(write: Callable[[Path], None], change: Callable[[str, bytes], bytes]) -> Callable:
    """A workbook written by ``write`` with each part passed through ``change(name, data)``."""

    def rewrite(path: Path) -> None:
        write(path)
        with zipfile.ZipFile(path) as source:
            parts = [(info, change(info.filename, source.read(info))) for info in source.infolist()]
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
            for info, data in parts:
                target.writestr(info, data)

    return rewrite


def damaged(write: Callable[[Path], None]) -> Callable[[Path], None]:
    """A workbook whose first sheet's compressed bytes are overwritten in the middle."""

    def spoil(path: Path) -> None:
        write(path)
        raw = bytearray(path.read_bytes())
        with zipfile.ZipFile(io.BytesIO(bytes(raw))) as archive:
            info = archive.getinfo("xl/worksheets/sheet1.xml")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        for i in range(start + 5, start + min(info.compress_size, 60)):
            raw[i] ^= 0x5A
        path.write_bytes(bytes(raw))

    return spoil


def truncated(write: Callable[[Path], None]) -> Callable[[Path], None]:
    def cut(path: Path) -> None:
        write(path)
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])

    return cut


XLSX_HEADER = ["id", "name", "type", "units", "budget", "spent", "stated_execution_rate"]
GOOD_XLSX = workbook(XLSX_HEADER, ["x1", "工作簿项目", "专项", "单位", 100, 10, None])


def percent(sheet: Any) -> None:
    sheet["G2"] = 0.1
    sheet["G2"].number_format = "0.00%"


def second_sheet(sheet: Any) -> None:
    other = sheet.parent.create_sheet("第二页")
    other.append(XLSX_HEADER)
    other.append(["x2", "二", "专项", "单位", 100, 10])


def no_stated_rate_mismatch(proc: Any, _folder: Path) -> None:
    data = json.loads(proc.stdout)
    assert "stated-rate-mismatch" not in {f["rule"] for f in data["findings"]}, proc.stdout
    assert ("low-execution-rate", "x1") in {(f["rule"], f["record"]) for f in data["findings"]}


def records_checked(*ids: str) -> Callable[[Any, Path], None]:
    def check(proc: Any, _folder: Path) -> None:
        data = json.loads(proc.stdout)
        assert set(ids) <= {f["record"] for f in data["findings"]}, proc.stdout

    return check


def stderr_lines(count: int) -> Callable[[Any, Path], None]:
    def check(proc: Any, _folder: Path) -> None:
        assert len(proc.stderr.splitlines()) == count, proc.stderr

    return check


def false_dimension(name: str, data: bytes) -> bytes:
    """The sheet claims every cell of the grid (a reader that trusts it pads every row)."""
    if name != "xl/worksheets/sheet1.xml":
        return data
    changed = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
    assert changed != data
    return changed


CASES = [
    # JSON Lines
    Case("jsonl-bom", {"r.jsonl": "\ufeff" + line()}, 0, None),
    Case("jsonl-gbk", {"r.jsonl": line().encode("gbk")}, 0, None),
    Case(
        "jsonl-crlf-and-blank-lines",
        {"r.jsonl": "\r\n\r\n" + line().replace("\n", "\r\n")},
        0,
        None,
    ),
    Case(
        "jsonl-bad-byte-loses-one-line",
        {"r.jsonl": line(id="j0").encode() + b'{"id": "\xff"}\n' + line().encode()},
        2,
        "r.jsonl:2:",
        check=records_checked("j0", "j1"),
    ),
    Case("jsonl-duplicate-key", {"r.jsonl": line()[:-2] + ', "spent": 99}\n'}, 2, "given twice"),
    Case(
        "jsonl-duplicate-key-in-a-sub-item",
        {"r.jsonl": line()[:-2] + ', "subitems": [{"name": "子项", "name": "另一个"}]}\n'},
        2,
        "given twice",
    ),
    Case("jsonl-array-not-object", {"r.jsonl": "[1, 2]\n" + line()}, 2, "expected a JSON object"),
    Case("jsonl-nan", {"r.jsonl": line().replace('"budget": 100', '"budget": NaN')}, 2, "NaN"),
    Case("jsonl-overflow", {"r.jsonl": line().replace("100", "1e400")}, 2, "NaN and infinity"),
    Case(
        "jsonl-deep-nesting",
        {"r.jsonl": "[" * 50000 + "]" * 50000 + "\n" + line()},
        2,
        "r.jsonl:1:",
    ),
    Case("jsonl-figure-too-large", {"r.jsonl": line(budget=1e308)}, 2, "r.jsonl:1:"),
    Case("jsonl-true-for-number", {"r.jsonl": line(spent=True)}, 2, "valid number"),
    Case("jsonl-text-for-number", {"r.jsonl": line(spent="10")}, 2, "plain number: 10"),
    Case(
        "jsonl-nul-byte",
        {"r.jsonl": line(id="j0").encode() + b"\x00\n" + line().encode()},
        2,
        "binary data",
    ),
    Case(
        "jsonl-cut-off-last-line",
        {"r.jsonl": line() + line(id="j2")[:30]},
        2,
        "r.jsonl:2:1: not valid JSON",
    ),
    Case(
        "jsonl-line-too-long",
        {"r.jsonl": line(id="j0") + line(name="长" * 2000) + line(id="j2")},
        2,
        "this line is",
        args=["--max-file-size", "0.002"],
    ),
    Case("jsonl-duplicate-ids-in-one-file", {"r.jsonl": line() + line()}, 2, "r.jsonl:2:"),
    # CSV
    Case("csv-bom", {"r.csv": "\ufeff" + HEADER + CSV_ROW}, 0, None),
    Case("csv-gbk", {"r.csv": (HEADER + CSV_ROW).encode("gbk")}, 0, None),
    Case(
        "csv-bad-byte-loses-one-row",
        {
            "r.csv": (HEADER + "c0,甲,专项,单位,100,10\n").encode()
            + b"c9,\xff,x,y,1,1\n"
            + CSV_ROW.encode()
        },
        2,
        "r.csv:3:",
        check=records_checked("c0", "c1"),
    ),
    Case(
        "csv-duplicate-column",
        {"r.csv": HEADER.replace("spent", "budget") + CSV_ROW},
        2,
        "repeats the field",
    ),
    Case(
        "csv-field-and-its-part",
        {"r.csv": "id,name,schedule,schedule.planned_completion\nc1,x,a,2023-01-01\n"},
        2,
        "both write schedule",
    ),
    Case(
        "csv-amount-and-a-part-of-it",
        {"r.csv": HEADER.replace("spent", "budget.x") + CSV_ROW},
        2,
        "both write budget",
    ),
    Case(
        "csv-value-beyond-the-header",
        {"r.csv": HEADER + CSV_ROW.replace("10\n", "10,多余\n")},
        2,
        "beyond the header",
    ),
    Case(
        "csv-value-under-an-empty-header",
        {"r.csv": HEADER.replace(",spent", ",") + CSV_ROW},
        2,
        "empty header",
    ),
    Case(
        "csv-true-in-a-number-column",
        {"r.csv": HEADER + CSV_ROW.replace(",10\n", ",TRUE\n")},
        2,
        "write a number",
    ),
    Case(
        "csv-full-width-digits",
        {"r.csv": HEADER + CSV_ROW.replace("100", "１００")},
        2,
        "plain number: 100",
    ),
    Case(
        "csv-underscore-in-number",
        {"r.csv": HEADER + CSV_ROW.replace("100", "1_00")},
        2,
        "r.csv:2:5: budget",
    ),
    Case(
        "csv-quoted-line-break-keeps-line-numbers",
        {"r.csv": HEADER + 'c0,"两行\n名称",专项,单位,100,10\n' + CSV_ROW.replace(",10\n", ",x\n")},
        2,
        "r.csv:4:6: spent",
    ),
    Case(
        "csv-nul-byte", {"r.csv": (HEADER + CSV_ROW).encode() + b"c2,\x00,x,y,1,1\n"}, 2, "r.csv:3:"
    ),
    Case("csv-empty", {"r.csv": ""}, 2, "the file is empty"),
    Case("csv-only-a-header", {"r.csv": HEADER}, 2, "r.csv:1:1: only a header"),
    Case("csv-utf16-from-excel", {"r.csv": (HEADER + CSV_ROW).encode("utf-16")}, 2, "UTF-16"),
    Case("jsonl-empty", {"r.jsonl": "\n\n"}, 2, "r.jsonl:1:1: the file is empty"),
    Case("csv-sub-item-first", {"r.csv": "id,name,subitem_of\n,子项,c9\n"}, 2, "must follow"),
    Case(
        "csv-quote-left-open",
        {"r.csv": HEADER + 'c1,"未闭合,专项,单位,100,10\n' + CSV_ROW.replace("c1", "c2")},
        2,
        "r.csv:2:1: cannot read this row",
    ),
    Case(
        "csv-text-after-a-closing-quote",
        {"r.csv": HEADER + 'c0,"名"称,专项,单位,100,10\n' + CSV_ROW},
        2,
        "r.csv:2:1: cannot read this row",
        check=records_checked("c1"),
    ),
    # Workbooks
    Case("xlsx-not-a-zip", {"r.xlsx": "这不是工作簿"}, 2, "not an .xlsx workbook"),
    Case(
        "xlsx-password-protected",
        {"r.xlsx": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)},
        2,
        "password-protected",
    ),
    Case("xlsx-truncated", {"r.xlsx": truncated(GOOD_XLSX)}, 2, "damaged or truncated"),
    Case("xlsx-damaged-part", {"r.xlsx": damaged(GOOD_XLSX)}, 2, "r.xlsx:"),
    Case(
        "xlsx-formula-without-saved-value",
        {"r.xlsx": workbook(XLSX_HEADER, ["x1", "公式", "专项", "单位", "=50*2", 10])},
        2,
        "r.xlsx:Sheet!E2: budget: a formula",
    ),
    Case(
        "xlsx-true-in-a-number-column",
        {"r.xlsx": workbook(XLSX_HEADER, ["x1", "布尔", "专项", "单位", True, 10])},
        2,
        "Sheet!E2: budget: TRUE is not a figure",
    ),
    Case(
        "xlsx-error-value",
        {"r.xlsx": workbook(XLSX_HEADER, ["x1", "错误值", "专项", "单位", "#DIV/0!", 10])},
        2,
        "Excel error value #DIV/0!",
    ),
    Case(
        "xlsx-duplicate-column",
        {"r.xlsx": workbook([*XLSX_HEADER[:-1], "budget"], ["x1", "n", "专项", "单位", 1, 1, 2])},
        2,
        "Sheet!G1: budget: column G repeats",
    ),
    Case(
        "xlsx-part-inflates-past-the-limit",
        {"r.xlsx": workbook(XLSX_HEADER, *[["x1", "长" * 200, "专项", "单位", 1, 1]] * 40)},
        2,
        "inflates to",
        args=["--max-file-size", "0.01"],
    ),
    Case(
        "xlsx-false-dimension",
        {"r.xlsx": rezipped(GOOD_XLSX, false_dimension)},
        0,
        None,
    ),
    Case(
        "xlsx-percent-cell",
        {
            "r.xlsx": workbook(
                XLSX_HEADER, ["x1", "百分比", "专项", "单位", 100, 10, None], edit=percent
            )
        },
        0,
        None,
        check=no_stated_rate_mismatch,
    ),
    Case("xlsx-empty", {"r.xlsx": workbook()}, 2, "the file is empty"),
    Case(
        "xlsx-records-on-a-second-sheet",
        {"r.xlsx": workbook(XLSX_HEADER, ["x1", "一", "专项", "单位", 100, 10], edit=second_sheet)},
        0,
        "sheet '第二页' is not read",
        check=records_checked("x1"),
    ),
    Case(
        "xlsx-number-as-id",
        {"r.xlsx": workbook(XLSX_HEADER, [1001, "数字编号", "专项", "单位", 100, 10])},
        0,
        None,
        check=records_checked("1001"),
    ),
    # What else a batch folder may hold
    Case("fifo-named-yaml", {"pipe.yaml": FIFO}, 2, "named pipe (FIFO), not a file"),
    Case("fifo-named-jsonl", {"pipe.jsonl": FIFO}, 2, "named pipe (FIFO), not a file"),
    Case("socket-named-csv", {"s.csv": SOCKET}, 2, "not a file; skipped"),
    Case(
        "fifo-without-a-record-suffix",
        {"pipe": FIFO},
        0,
        "note: not a record file",
        check=stderr_lines(1),
    ),
    Case("readme-beside-the-records", {"README.md": "# 说明", "SOURCE.md": "来源"}, 0, "note:"),
    Case("last-years-draft-beside-the-records", {"draft.docx": b"PK\x03\x04"}, 0, "note:"),
    Case(
        "upper-case-suffix-is-read",
        {"BIG.YAML": "id: big\nname: 大写\ntype: 专项\nunits: [u]\nbudget: 1\nspent: 0.1\n"},
        0,
        None,
        check=records_checked("big"),
    ),
    Case("dangling-symlink", {"gone.yaml@": "nowhere.yaml"}, 2, "gone.yaml:1:1: cannot read file"),
    Case("sub-folder", {"2022/": ""}, 0, "a folder inside a batch is not read"),
]
