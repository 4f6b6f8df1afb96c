"""`auditcheck convert`: forms written as a batch folder, whole or not at all, and the round trip.

Converting and then checking the folder must give the same findings as checking the
workbooks: same rule, record, field and message (a message that cites where a figure
stands cites the cell in one and the YAML line in the other; that citation is set aside).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from openpyxl import load_workbook

from . import formbook as fb
from .conftest import cli, cli_json
from .test_forms import DEPARTMENT, SICHUAN, declared_targets
from .test_forms_run import cell_of, forms

# A citation of where a figure stands: （天长.xlsx:自评表!E12） or （out/x.yaml:12）.
_CITED = re.compile(r"（[^（）\s]+:(?:[^（）\s]+![A-Z]+\d+|\d+)）")


def many_forms(folder: Path) -> Path:
    """The three real forms and variants: a 四川 form whole, a 部门整体 form, a 目标表 for
    中江, and 天长 with a stated 执行率 that its own amounts do not give."""
    forms(folder)
    fb.xlsx(folder / "四川.xlsx", ("Sheet1", SICHUAN))
    fb.xlsx(folder / "部门.xlsx", ("整体", DEPARTMENT))
    fb.xlsx(folder / "中江目标.xlsx", ("目标表", declared_targets(fb.transcription(fb.ZHONGJIANG))))
    row, col = cell_of(fb.TIANCHANG, "年度资金总额:", "执行率(B/A)")
    book = load_workbook(folder / "天长.xlsx")
    book["自评表"].cell(row, col, 0.9).number_format = "0.00%"
    book.save(folder / "天长.xlsx")
    return folder


def findings(report: dict) -> list[tuple[str, str, str, str]]:
    return sorted(
        (f["rule"], f["record"], f["field"], _CITED.sub("（…）", f["message"]))
        for f in report["findings"]
    )


def test_convert_then_run_gives_the_findings_of_the_workbooks(tmp_path: Path) -> None:
    folder = many_forms(tmp_path / "forms")
    books = sorted(p.name for p in folder.iterdir())
    code, direct, stderr = cli_json("run", "forms", cwd=tmp_path)
    assert code in (0, 1) and direct["errors"] == [], stderr
    proc = cli("convert", *(f"forms/{b}" for b in books), "-o", "out", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "wrote out: batch.yaml and 5 project record(s)\n"
    code, converted, stderr = cli_json("run", "out", cwd=tmp_path)
    assert code in (0, 1) and converted["errors"] == [], stderr
    assert direct["summary"]["records"] == converted["summary"]["records"] == 5  # 目标表 joined
    assert findings(converted) == findings(direct)
    # Not a vacuous comparison: findings of several rules, one of them citing a figure.
    assert len({f[0] for f in findings(direct)}) >= 4
    cited = [f for f in direct["findings"] if _CITED.search(f["message"])]
    assert any("天长.xlsx:自评表!" in f["message"] for f in cited)


def test_the_folder_holds_a_batch_file_and_a_record_per_project(tmp_path: Path) -> None:
    forms(tmp_path, "大英", "中江")
    proc = cli("convert", "大英.xlsx", "中江.xlsx", "-o", "out", "--region", "四川省", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "2023年全县安可替代补助资金项目.yaml",
        "batch.yaml",
        "中江县农业水价综合改革精准补贴和节水奖励项目小型水库水标尺制作安装.yaml",
    ]
    # Two fiscal years (2023, 2022): the batch states none.
    assert yaml.safe_load((tmp_path / "out" / "batch.yaml").read_text("utf-8")) == {
        "region": "四川省"
    }
    record = yaml.safe_load(
        (tmp_path / "out" / "2023年全县安可替代补助资金项目.yaml").read_text("utf-8")
    )
    assert (record["id"], record["adjusted_budget"]) == ("51092324T000010263357", 3.36)


def test_an_error_in_any_form_and_nothing_is_written(tmp_path: Path) -> None:
    forms(tmp_path, "天长", "中江")
    row, col = cell_of(fb.TIANCHANG, "数量指标", "分值")
    book = load_workbook(tmp_path / "天长.xlsx")
    book["自评表"].cell(row, col, "十分")
    book.save(tmp_path / "天长.xlsx")
    proc = cli("convert", "天长.xlsx", "中江.xlsx", "-o", "out", cwd=tmp_path)
    letter = "ABCDEFGH"[col - 1]
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        f"天长.xlsx:自评表!{letter}{row}: 分值: Input should be a valid number, got text '十分'; "
        "write a number",
        "auditcheck: nothing was written: fix the errors above and rerun",
    ]
    assert not (tmp_path / "out").exists()


def test_two_forms_of_one_project_are_refused(tmp_path: Path) -> None:
    forms(tmp_path, "天长")
    (tmp_path / "副本.xlsx").write_bytes((tmp_path / "天长.xlsx").read_bytes())
    proc = cli("convert", "天长.xlsx", "副本.xlsx", "天长.xlsx", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2 and not (tmp_path / "out").exists()
    (line, last) = proc.stderr.splitlines()  # 天长.xlsx named twice is read once
    assert line.startswith("副本.xlsx:自评表!B") and "is also used by 天长.xlsx:自评表!B" in line
    assert last == "auditcheck: nothing was written: fix the errors above and rerun"


def test_nothing_is_written_over_a_file_or_beside_the_forms(tmp_path: Path) -> None:
    forms(tmp_path / "in", "天长")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "batch.yaml").write_text("region: 某区\n", "utf-8")
    proc = cli("convert", "in/天长.xlsx", "-o", "out", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == (
        "auditcheck: out/batch.yaml already exists; convert into a new folder "
        "(nothing is overwritten)\n"
    )
    assert (tmp_path / "out" / "batch.yaml").read_text("utf-8") == "region: 某区\n"
    assert list((tmp_path / "out").iterdir()) == [tmp_path / "out" / "batch.yaml"]
    proc = cli("convert", "in/天长.xlsx", "-o", "in", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr == "auditcheck: in: holds in/天长.xlsx; write the records elsewhere\n"
    assert sorted(p.name for p in (tmp_path / "in").iterdir()) == ["天长.xlsx"]


def test_a_stray_sheet_is_noted_and_the_forms_converted(tmp_path: Path) -> None:
    forms(tmp_path, "中江")
    book = load_workbook(tmp_path / "中江.xlsx")
    book.create_sheet("填表说明")["A1"] = "金额单位：万元。"
    book.save(tmp_path / "中江.xlsx")
    proc = cli("convert", "中江.xlsx", "-o", "out", "--region", "中江县", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stderr.splitlines()[0].startswith("中江.xlsx:填表说明: note: not a form (")
    code, report, _ = cli_json("run", "out", cwd=tmp_path)
    assert code in (0, 1) and report["summary"]["records"] == 1
