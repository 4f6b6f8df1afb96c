"""The seed's nine projects, through the real command line."""

import shutil
from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, cli, cli_json


@pytest.fixture(scope="module")
def report() -> dict:
    code, data, stderr = cli_json("run", "fixtures/2023")
    assert code in (0, 1), stderr
    assert stderr == ""
    return data


def found(report: dict) -> set[tuple[str, str, str]]:
    return {(f["rule"], f["record"], f["field"]) for f in report["findings"]}


SPINE = {
    ("low-execution-rate", "rural-revitalization", "spent"),
    ("low-execution-rate", "special-bonds", "subitems[0].spent"),
    ("low-execution-rate", "special-bonds", "subitems[1].spent"),
    ("low-execution-rate", "housing-security", "spent"),
    ("low-execution-rate", "housing-security", "subitems[0].spent"),
    ("target-not-adjusted", "village-clinics", "targets[0].adjusted"),
    ("acceptance-docs-incomplete", "village-clinics", "acceptance"),
    ("overdue-construction", "housing-security", "subitems[0].schedule.planned_completion"),
}


def test_the_spine_findings_on_the_seed(report: dict) -> None:
    assert found(report) >= SPINE


def test_summary_counts_what_was_evaluated(report: dict) -> None:
    summary = report["summary"]
    assert summary["records"] == 9
    assert summary["rules"] >= 4
    assert summary["facts"] > summary["records"]
    assert sum(summary["findings"].values()) == len(report["findings"])


def test_each_finding_points_at_the_line_of_its_field(report: dict) -> None:
    for finding in report["findings"]:
        lines = (ROOT / finding["file"]).read_text("utf-8").splitlines()
        text = lines[finding["line"] - 1]
        last = finding["field"].split(".")[-1].split("[")[0]
        assert text[finding["col"] - 1 :].lstrip("- ").startswith(f"{last}:"), (finding, text)


def test_findings_are_in_chinese_with_figures(report: dict) -> None:
    by_key = {(f["rule"], f["record"], f["field"]): f for f in report["findings"]}
    message = by_key[("low-execution-rate", "rural-revitalization", "spent")]["message"]
    assert "6223.15万元" in message and "3597.53万元" in message and "57.81%" in message
    overdue = by_key[
        ("overdue-construction", "housing-security", "subitems[0].schedule.planned_completion")
    ]
    assert "2023年12月31日" in overdue["message"] and "6个月" in overdue["message"]


def test_fingerprints_are_stable_and_unique(report: dict) -> None:
    prints = [f["fingerprint"] for f in report["findings"]]
    assert len(prints) == len(set(prints))
    _, again, _ = cli_json("run", "fixtures/2023")
    assert [f["fingerprint"] for f in again["findings"]] == prints


def test_text_output_groups_by_project_and_ends_with_summary() -> None:
    proc = cli("run", "fixtures/2023")
    assert "fixtures/2023/01-rural-revitalization.yaml:11:1" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("共检查 9 个项目记录")
    assert "\x1b[" not in proc.stdout  # not a terminal: no colour


def test_broken_fixture_exits_2_and_others_are_still_checked(tmp_path: Path) -> None:
    batch = tmp_path / "2023"
    shutil.copytree(FIXTURES, batch)
    clinic = batch / "05-village-clinics.yaml"
    clinic.write_text(clinic.read_text("utf-8").replace("spent: 245.98", 'spent: "很多"'), "utf-8")
    culture = batch / "08-public-culture.yaml"
    culture.write_text(
        culture.read_text("utf-8").replace("budget: 485.39", "budget: [485.39"), "utf-8"
    )
    code, data, stderr = cli_json("run", str(batch), cwd=tmp_path)
    assert code == 2
    errors = stderr.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("2023/05-village-clinics.yaml:10:1: spent: ")
    assert errors[1].startswith("2023/08-public-culture.yaml:")
    assert "Traceback" not in stderr
    assert data["summary"]["records"] == 7
    assert {"rural-revitalization", "housing-security"} <= {f["record"] for f in data["findings"]}


def test_fail_on_sets_the_exit_code() -> None:
    assert cli("run", "fixtures/2023", "--fail-on", "warning").returncode == 1
    assert (
        cli(
            "run", "fixtures/2023", "--select", "acceptance-docs-incomplete", "--fail-on", "error"
        ).returncode
        == 0
    )


def test_no_records_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text("region: 某区\nfiscal_year: 2023\n", "utf-8")
    proc = cli("run", str(tmp_path))
    assert proc.returncode == 2
    assert "no project records" in proc.stderr
