"""Forms written as a batch folder, and that folder checked by ``auditcheck run`` as it is."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditcheck.forms import FormRecord, read_forms, write, write_batch
from auditcheck.output import OutputError

from . import formbook as fb
from .conftest import cli_json


def forms(tmp_path: Path, *sources: Path) -> list[FormRecord]:
    books = [fb.xlsx(tmp_path / f"{s.stem}.xlsx", ("自评表", fb.transcription(s))) for s in sources]
    items = list(read_forms([(b, b.name) for b in books]))
    assert all(isinstance(i, FormRecord) for i in items), [str(i) for i in items]
    return items  # type: ignore[return-value]


def test_the_batch_runs_unchanged(tmp_path: Path) -> None:
    read = forms(tmp_path, fb.TIANCHANG, fb.ZHONGJIANG, fb.DAYING)
    written = write_batch(read, tmp_path / "out")
    assert [p.name for p in written[:1]] == ["batch.yaml"] and len(written) == 4
    code, report, stderr = cli_json("run", str(tmp_path / "out"), cwd=tmp_path)
    assert code in (0, 1), stderr
    assert report["errors"] == [] and report["summary"]["records"] == 3


def test_records_keep_the_forms_words_and_figures(tmp_path: Path) -> None:
    (form,) = forms(tmp_path, fb.ZHONGJIANG)
    written = write_batch([form], tmp_path / "out", region="中江县")
    text = written[1].read_text("utf-8")
    assert "planned_text: ≥266米" in text  # Chinese as it is, not escaped
    record = yaml.safe_load(text)
    assert record == form.data
    assert list(record)[:3] == ["id", "name", "units"]
    assert list(record["targets"][0])[:6] == [
        "level",
        "category",
        "indicator",
        "operator",
        "planned",
        "planned_text",
    ]
    assert yaml.safe_load(written[0].read_text("utf-8")) == {
        "region": "中江县",
        "fiscal_year": 2022,
    }


def test_a_region_the_forms_do_not_state_is_marked(tmp_path: Path) -> None:
    (form,) = forms(tmp_path, fb.TIANCHANG)
    batch = write_batch([form], tmp_path / "out")[0].read_text("utf-8")
    assert "region: 未注明" in batch and "请改为本批次所属地区" in batch


def test_nothing_is_overwritten(tmp_path: Path) -> None:
    (form,) = forms(tmp_path, fb.TIANCHANG)
    out = tmp_path / "out"
    out.mkdir()
    (out / "水旱灾害防御经费.yaml").write_text("kept", "utf-8")
    with pytest.raises(FileExistsError, match=r"水旱灾害防御经费\.yaml already exists"):
        write_batch([form], out)
    assert (out / "水旱灾害防御经费.yaml").read_text("utf-8") == "kept"
    assert not (out / "batch.yaml").exists()


def test_two_projects_of_one_name_get_two_files(tmp_path: Path) -> None:
    (form,) = forms(tmp_path, fb.TIANCHANG)
    twin = FormRecord(form.file, "另一表", form.family, {**form.data, "id": "other"}, {})
    names = [p.name for p in write_batch([form, twin], tmp_path / "out")]
    assert names[1:] == ["水旱灾害防御经费.yaml", "水旱灾害防御经费-2.yaml"]


def test_a_project_named_batch_does_not_take_the_batch_file(tmp_path: Path) -> None:
    (form,) = forms(tmp_path, fb.TIANCHANG)
    named = FormRecord(form.file, form.sheet, form.family, {**form.data, "name": "batch"}, {})
    assert [p.name for p in write_batch([named], tmp_path / "out")] == [
        "batch.yaml",
        "batch-2.yaml",
    ]


def test_a_folder_is_written_whole_or_not_at_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = forms(tmp_path, fb.TIANCHANG, fb.ZHONGJIANG)
    real, calls = write.atomic_path, []

    def failing(path: Path):  # the disk fills up at the third file
        calls.append(path)
        if len(calls) == 3:
            raise OutputError(f"cannot write {path}: No space left on device")
        return real(path)

    monkeypatch.setattr(write, "atomic_path", failing)
    with pytest.raises(OutputError, match="No space left"):
        write_batch(read, tmp_path / "out")
    assert len(calls) == 3 and not (tmp_path / "out").exists()
