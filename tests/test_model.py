from pathlib import Path

from pydantic import BaseModel

from auditcheck.locate import parse, validate
from auditcheck.records import model
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.records.model import Batch, Project

from .conftest import FIXTURES, ROOT

MINIMAL = "id: p1\nname: 项目\ntype: 专项\nunits: [单位]\n"


def test_every_fixture_is_a_valid_record() -> None:
    items = list(iter_records([FIXTURES]))
    assert [type(i).__name__ for i in items] == ["LoadedRecord"] * 9
    assert all(isinstance(i, LoadedRecord) and i.batch is not None for i in items)


def test_string_where_a_number_belongs_is_located() -> None:
    doc = parse(MINIMAL + "budget: 100\nspent: '57.81'\n", "p.yaml")
    project, errors = validate(Project, doc)
    assert project is None
    assert [(e.line, e.field) for e in errors] == [(6, "spent")]
    assert errors[0].message.endswith("write it as a plain number: 57.81")


def test_unknown_field_suggests_the_close_name() -> None:
    doc = parse(MINIMAL + "subitems:\n  - name: 子项\n    spnet: 1\n", "p.yaml")
    _, errors = validate(Project, doc)
    assert [(e.line, e.col, e.field) for e in errors] == [(7, 5, "subitems[0].spnet")]
    assert "did you mean 'spent'" in errors[0].message


def test_missing_required_field() -> None:
    doc = parse("id: p1\ntype: 专项\n", "p.yaml")
    _, errors = validate(Project, doc)
    assert [e.field for e in errors] == ["name"]
    assert "required" in errors[0].message


def test_what_sources_lack_is_optional() -> None:
    """Type, units and the batch's fiscal year are often not stated; ids may be 一体化 codes."""
    doc = parse("id: 51092324T000010263357\nname: 安可替代补助资金项目\n", "p.yaml")
    project, errors = validate(Project, doc)
    assert errors == []
    assert project.type is None and project.units == []
    batch, errors = validate(Batch, parse("region: 某县\n", "batch.yaml"))
    assert errors == [] and batch.fiscal_year is None


def test_grade_words_reports_use_are_accepted() -> None:
    for word in ("优秀", "良好", "中等", "合格", "较差", "不合格", "良"):
        project, errors = validate(Project, parse(MINIMAL + f"stated_grade: {word}\n", "p.yaml"))
        assert errors == [] and project.stated_grade == word
    _, errors = validate(Project, parse(MINIMAL + "stated_grade: 很好\n", "p.yaml"))
    assert [e.field for e in errors] == ["stated_grade"]


def test_target_operators_are_normalised_and_qualitative_values_kept() -> None:
    text = MINIMAL + (
        "targets:\n"
        "  - {level: 产出指标, category: 成本指标, indicator: 项目计划总投资, operator: '<=',"
        " planned: 90, planned_text: ≤90万元, unit: 万元, weight: 10, score: 10}\n"
        "  - {indicator: 群众生产生活条件改善状况, planned_text: 显著提升, actual_text: 显著提升}\n"
        "  - {indicator: 满意度, operator: '≥', planned: 95, actual_operator: '>=', actual: 95}\n"
    )
    project, errors = validate(Project, parse(text, "p.yaml"))
    assert errors == []
    cost, quality, survey = project.targets
    assert cost.operator == "≤" and cost.planned_text == "≤90万元"
    assert quality.planned is None and quality.actual_text == "显著提升"
    assert survey.actual_operator == "≥"


def test_unstated_names_a_field_without_a_value() -> None:
    ok = MINIMAL + "targets:\n  - {indicator: 验收合格率, actual: 100, unstated: [planned]}\n"
    assert validate(Project, parse(ok, "p.yaml"))[1] == []
    for bad, words in (("[plannd]", "not a field"), ("[actual]", "given a value")):
        text = ok.replace("[planned]", bad)
        _, errors = validate(Project, parse(text, "p.yaml"))
        assert len(errors) == 1 and words in errors[0].message, errors


def test_units_may_carry_their_roles() -> None:
    text = MINIMAL.replace(
        "units: [单位]", "units: [{name: 大英县司法局部门, role: 主管部门}, 大英县司法局]"
    )
    project, errors = validate(Project, parse(text, "p.yaml"))
    assert errors == []
    assert project.unit_names == ["大英县司法局部门", "大英县司法局"]


def test_grade_bands_must_fall() -> None:
    good = "region: 某省\ngrade_bands: {excellent: 85, good: 75, passing: 60}\n"
    assert validate(Batch, parse(good, "batch.yaml"))[1] == []
    _, errors = validate(Batch, parse(good.replace("75", "90"), "batch.yaml"))
    assert [e.field for e in errors] == ["grade_bands"]


def test_negative_amount_and_bad_type_value() -> None:
    doc = parse(MINIMAL.replace("专项", "其他") + "budget: -5\n", "p.yaml")
    _, errors = validate(Project, doc)
    assert {e.field for e in errors} == {"type", "budget"}


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text("region: 某区\nfiscal_year: 2023\n", encoding="utf-8")
    for name in ("a.yaml", "b.yaml"):
        (tmp_path / name).write_text(MINIMAL, encoding="utf-8")
    items = list(iter_records([tmp_path]))
    assert isinstance(items[0], LoadedRecord)
    assert "also used by" in str(items[1])


def test_folder_without_batch_file_is_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(MINIMAL, encoding="utf-8")
    items = list(iter_records([tmp_path]))
    assert "no batch.yaml" in str(items[0])
    assert isinstance(items[1], LoadedRecord)


def test_docs_records_names_every_field() -> None:
    text = (ROOT / "docs" / "records.md").read_text("utf-8")
    models = [m for m in vars(model).values() if isinstance(m, type) and issubclass(m, BaseModel)]
    missing = sorted(
        f"{m.__name__}.{name}" for m in models for name in m.model_fields if f"`{name}`" not in text
    )
    assert missing == []


def test_a_list_named_unstated_is_partial_not_refused() -> None:
    text = MINIMAL + "targets: [{indicator: 指标一, planned: 1, unit: 个}]\nunstated: [targets]\n"
    project, errors = validate(Project, parse(text, "p.yaml"))
    assert errors == [] and project.unstated == ["targets"]
