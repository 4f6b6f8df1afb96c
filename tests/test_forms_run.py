"""Forms checked as they are saved: `run form.xlsx`, a folder of forms, findings at their cells.

The cells expected are worked out from the transcriptions (the row of a line, the column of
its header), never from what the reader produced.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
from openpyxl import load_workbook
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from auditcheck.locate import CellPosition
from auditcheck.records.load import LoadedRecord, iter_records

from . import formbook as fb
from .conftest import cli, cli_json
from .test_forms import declared_targets

SARIF = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
SOURCES = {"天长": fb.TIANCHANG, "中江": fb.ZHONGJIANG, "大英": fb.DAYING}


def forms(folder: Path, *names: str) -> Path:
    """The real forms, each saved as a workbook of one sheet 自评表, in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names or SOURCES:
        fb.xlsx(folder / f"{name}.xlsx", ("自评表", fb.transcription(SOURCES[name])))
    return folder


def cell_of(source: Path, row_of: str, column: str) -> tuple[int, int]:
    """(row, column) of the line whose second cell is ``row_of`` under the header ``column``."""
    rows = fb.transcription(source)
    row = next(i for i, r in enumerate(rows, 1) if len(r.cells) > 1 and r.cells[1] == row_of)
    header = next(r.cells for r in rows[:row] if column in r.cells)
    return row, header.index(column) + 1


def test_a_folder_of_forms_is_a_batch_without_batch_yaml(tmp_path: Path) -> None:
    folder = forms(tmp_path / "自评表")
    code, report, stderr = cli_json("run", str(folder), cwd=tmp_path)
    assert code in (0, 1) and report["errors"] == [], stderr
    assert report["summary"]["records"] == 3
    assert report["findings"]
    # 大英's 预算执行率 cell shows 100.00% (it holds 1.0): read as 100, no false mismatch.
    assert "stated-rate-mismatch" not in {f["rule"] for f in report["findings"]}
    for finding in report["findings"]:
        letters, row = re.fullmatch(r"自评表!([A-Z]+)(\d+)", finding["place"]).groups()
        assert (finding["line"], finding["col"]) == (int(row), column_index_from_string(letters))
        assert finding["file"].endswith(".xlsx")


def test_findings_point_at_the_cell_in_every_format(tmp_path: Path) -> None:
    forms(tmp_path, "大英")
    # 大英's 年初预算 0.00 became 3.36: the finding stands on 调整后预算数 of the 总额 line.
    row, col = cell_of(fb.DAYING, "总额", "调整后预算数")
    cell = f"自评表!{get_column_letter(col)}{row}"
    args = ("run", "大英.xlsx", "--select", "large-budget-adjustment", "--format")

    def out(fmt: str) -> str:
        proc = cli(*args, fmt, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    assert f"  大英.xlsx:{cell}  警告  large-budget-adjustment" in out("text")
    (finding,) = json.loads(out("json"))["findings"]
    assert (finding["place"], finding["line"], finding["col"]) == (cell, row, col)
    assert finding["field"] == "adjusted_budget"
    assert json.loads(out("jsonl").splitlines()[0])["finding"]["place"] == cell
    assert out("github").startswith(
        f"::warning file=大英.xlsx,line={row},col={col},title=large-budget-adjustment::{cell}: "
    )
    sarif = json.loads(out("sarif"))
    jsonschema.validate(sarif, SARIF)
    (result,) = sarif["runs"][0]["results"]
    (location,) = result["locations"]
    region = location["physicalLocation"]["region"]
    assert (region["startLine"], region["startColumn"]) == (row, col)
    assert location["logicalLocations"] == [{"fullyQualifiedName": cell, "kind": "element"}]
    assert result["message"]["text"].startswith(f"{cell}: ")
    failure = ET.fromstring(out("junit")).find(".//testcase/failure")
    assert failure is not None and failure.text.startswith(f"大英.xlsx:{cell}: ")
    assert f"| 大英.xlsx:{cell} |" in out("markdown")


def test_a_bad_cell_is_one_line_and_every_other_form_is_checked(tmp_path: Path) -> None:
    folder = forms(tmp_path / "forms")
    row, col = cell_of(fb.TIANCHANG, "数量指标", "分值")
    book = load_workbook(folder / "天长.xlsx")
    book["自评表"].cell(row, col, "十分")
    book.create_sheet("填表说明")["A1"] = "请如实填写。"
    book.save(folder / "天长.xlsx")
    code, report, stderr = cli_json("run", "forms", cwd=tmp_path)
    cell = f"自评表!{get_column_letter(col)}{row}"
    assert code == 2
    assert stderr.splitlines() == [
        "forms/天长.xlsx:填表说明: note: not a form (looked for the label 项目名称 or "
        "部门（单位）名称 and an indicator table headed 一级指标 / 二级指标 / 三级指标); not read",
        f"forms/天长.xlsx:{cell}: 分值: Input should be a valid number, got text '十分'; "
        "write a number",
    ]
    assert report["errors"] == [
        {
            "file": "forms/天长.xlsx",
            "line": row,
            "col": col,
            "place": cell,
            "field": "分值",
            "message": "Input should be a valid number, got text '十分'; write a number",
        }
    ]
    assert report["summary"]["records"] == 2


def test_validate_reads_a_form_directly(tmp_path: Path) -> None:
    forms(tmp_path, "中江")
    code, report, stderr = cli_json("validate", "中江.xlsx", cwd=tmp_path)
    assert code in (0, 1) and report["errors"] == [], stderr
    assert report["summary"]["records"] == 1


def joined(records: list[LoadedRecord | object]) -> LoadedRecord:
    (record,) = [r for r in records if isinstance(r, LoadedRecord)]
    assert len(records) == 1, records
    return record


def test_a_target_table_beside_its_self_evaluation_is_joined(tmp_path: Path) -> None:
    rows = fb.transcription(fb.ZHONGJIANG)
    folder = tmp_path / "中江"
    folder.mkdir()
    fb.xlsx(folder / "自评.xlsx", ("自评表", rows))
    fb.xlsx(folder / "目标.xlsx", ("目标表", declared_targets(rows)))
    for given in ([folder], [folder / "目标.xlsx", folder / "自评.xlsx"]):
        record = joined(list(iter_records(given)))
        ruler = record.project.targets[0]
        assert (ruler.planned, ruler.self_eval_planned) == (300, 266)
        where = record.doc.position(("targets", 0, "planned"))
        assert isinstance(where, CellPosition) and where.file.endswith("目标.xlsx")
        assert record.doc.position(("targets", 0, "actual")).file.endswith("自评.xlsx")


def test_what_a_folder_holds_besides_forms(tmp_path: Path) -> None:
    from docx import Document

    folder = forms(tmp_path / "batch", "天长")
    (folder / "batch.yaml").write_text("region: 天长市\nfiscal_year: 2022\n", "utf-8")
    (folder / "p1.yaml").write_text("id: p1\nname: 某项目\nbudget: 10\nspent: 9\n", "utf-8")
    shutil.copy(folder / "天长.xlsx", folder / "~$天长.xlsx")  # Excel's lock while it is open
    report = Document()
    report.add_paragraph("去年的评价报告")
    report.save(str(folder / "去年的报告.docx"))
    code, result, stderr = cli_json("run", "batch", cwd=tmp_path)
    assert code in (0, 1) and result["errors"] == [], stderr
    assert result["summary"]["records"] == 2
    assert stderr.splitlines() == [
        "batch/去年的报告.docx: note: holds no form (项目名称 and 三级指标); not read"
    ]
    (folder / "batch.yaml").unlink()  # records beside the forms need their batch
    code, result, _ = cli_json("run", "batch", cwd=tmp_path)
    assert code == 2
    assert [e["message"] for e in result["errors"]] == [
        "no batch.yaml in this folder; add one for the batch"
    ]


def test_the_same_form_twice_is_a_duplicate_id(tmp_path: Path) -> None:
    folder = forms(tmp_path / "forms", "天长")
    shutil.copy(folder / "天长.xlsx", folder / "天长（副本）.xlsx")
    code, report, _ = cli_json("run", "forms", cwd=tmp_path)
    name = next(i for i, r in enumerate(fb.transcription(fb.TIANCHANG), 1) if r.block == "head")
    (error,) = report["errors"]
    assert code == 2 and error["file"] == "forms/天长（副本）.xlsx"
    assert error["message"].endswith(
        f"is also used by forms/天长.xlsx:自评表!B{name}; ids must be unique"
    )
    # With workers, the parent makes the error from where the id stands, sent as plain data.
    assert cli_json("run", "forms", "--jobs", "2", cwd=tmp_path)[1] == report


def test_workers_give_the_same_bytes(tmp_path: Path) -> None:
    forms(tmp_path / "forms")
    one = cli("run", "forms", "--format", "json", cwd=tmp_path)
    two = cli("run", "forms", "--format", "json", "--jobs", "2", cwd=tmp_path)
    assert one.stdout == two.stdout and one.stderr == two.stderr


def test_findings_on_the_indicators_as_a_whole_point_at_the_tables_header(tmp_path: Path) -> None:
    forms(tmp_path, "中江", "大英")
    code, report, stderr = cli_json("run", ".", cwd=tmp_path)
    assert code == 1, stderr
    places = {(f["rule"], f["file"]): f["place"] for f in report["findings"]}
    for name, source, rule in [
        ("中江", fb.ZHONGJIANG, "first-level-weights-not-standard"),
        ("大英", fb.DAYING, "indicator-levels-missing"),
    ]:
        rows = fb.transcription(source)
        row = next(i for i, r in enumerate(rows, 1) if "一级指标" in r.cells)
        col = rows[row - 1].cells.index("一级指标") + 1
        assert places[(rule, f"{name}.xlsx")] == f"自评表!{get_column_letter(col)}{row}"
