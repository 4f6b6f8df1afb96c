from pathlib import Path

from auditcheck.locate import parse, validate
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.records.model import Project

from .conftest import FIXTURES

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
    doc = parse("id: p1\nname: 项目\ntype: 专项\n", "p.yaml")
    _, errors = validate(Project, doc)
    assert [e.field for e in errors] == ["units"]
    assert "required" in errors[0].message


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
