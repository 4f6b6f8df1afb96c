"""Form records → a batch folder: ``batch.yaml`` and one YAML record per project.

The folder is what ``auditcheck run DIR`` reads, so a user can check what was read
from the forms, correct it and keep it. Fields come in the order a form gives
them, Chinese text as it is, each cell as written (``planned_text``) beside the
figure read from it. Nothing is ever overwritten, and the folder is written whole
or not at all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path
from typing import Any

import yaml

from auditcheck.forms.record import FormRecord
from auditcheck.output import atomic_path

# The order fields are written in; any other field follows these.
_ORDER = {
    "project": [
        "id",
        "code",
        "name",
        "type",
        "units",
        "goal",
        "initial_budget",
        "budget",
        "adjusted_budget",
        "spent",
        "stated_execution_rate",
        "execution_weight",
        "execution_score",
        "execution_reason",
        "adjustment_reason",
        "sources",
        "total_weight",
        "score",
        "targets",
        "observations",
        "unstated",
    ],
    "targets": [
        "level",
        "category",
        "indicator",
        "operator",
        "planned",
        "planned_text",
        "self_eval_planned",
        "self_eval_planned_text",
        "unit",
        "actual_operator",
        "actual",
        "actual_text",
        "weight",
        "score",
        "deviation_reason",
        "unstated",
    ],
    "sources": ["name", "initial_budget", "budget", "spent", "unstated"],
}
UNNAMED_REGION = "未注明"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _plain(value: Any, order: list[str] | None = None) -> Any:
    """Data as it reads best in YAML: fields in order, 880.0 written 880."""
    if isinstance(value, dict):
        keys = sorted(value, key=lambda k: order.index(k) if order and k in order else 99)
        return {k: _plain(value[k], _ORDER.get(k)) for k in keys}
    if isinstance(value, list):
        return [_plain(item, order) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=4096)


def _file_name(form: FormRecord, taken: set[str]) -> str:
    stem = _UNSAFE.sub("_", form.data["name"]).strip(" ._")[:60] or form.data["id"]
    name, number = f"{stem}.yaml", 2
    while name in taken:
        name, number = f"{stem}-{number}.yaml", number + 1
    taken.add(name)
    return name


def write_batch(forms: Iterable[FormRecord], folder: Path, region: str | None = None) -> list[Path]:
    """Write ``folder/batch.yaml`` and a record per form; the paths written, batch.yaml first.

    ``region`` is the batch's region (forms do not state it). Raises FileExistsError
    before writing anything when a file to write is already there. The folder is
    written whole or not at all: each file goes through a temporary file, and when
    one cannot be written (or the run is interrupted) those already written are
    removed again; OutputError says why.
    """
    forms = list(forms)
    batch_file = folder / "batch.yaml"
    taken = {batch_file.name}
    files = {folder / _file_name(form, taken): form for form in forms}
    existing = [p for p in (batch_file, *files) if p.exists()]
    if existing:
        raise FileExistsError(
            f"{existing[0]} already exists; convert into a new folder (nothing is overwritten)"
        )
    years = {form.fiscal_year for form in forms}
    batch: dict[str, Any] = {"region": region or UNNAMED_REGION}
    if len(years) == 1 and None not in years:
        batch["fiscal_year"] = years.pop()
    note = "" if region else "# 表中没有写明地区：请改为本批次所属地区。\n"
    texts = {
        batch_file: "# 由 auditcheck convert 从绩效自评表、绩效目标表读出。\n" + note + _dump(batch)
    }
    for path, form in files.items():
        header = (
            f"# 读自 {'、'.join(form.sheets)}（auditcheck convert）。\n"
            "# planned_text、actual_text 照录表中写法；unstated 是表中留空或填“—”“/”的数值。\n"
        )
        texts[path] = header + _dump(_plain(form.data, _ORDER["project"]))
    created = not folder.exists()
    written: list[Path] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for path, text in texts.items():
            with atomic_path(path) as temp:
                temp.write_text(text, "utf-8")
            written.append(path)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        if created:
            with suppress(OSError):
                folder.rmdir()
        raise
    return written
