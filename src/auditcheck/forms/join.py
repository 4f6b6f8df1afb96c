"""A 绩效目标表 joined to the 自评表 of the same project: targets as declared and as evaluated.

The pair is found by project code, else by project name. Each indicator of the
自评表 found in the 目标表 (by 二级 and 三级 indicator, else by 三级 alone) takes the
declared value as ``planned`` (``operator``, ``planned_text``) and keeps its own as
``self_eval_planned`` / ``self_eval_planned_text``; a declared indicator the 自评表
leaves out is kept with its declared side only.
"""

from __future__ import annotations

from typing import Any

from auditcheck.forms.labels import key
from auditcheck.forms.record import TARGETS, FormRecord
from auditcheck.locate import PathKey

_DECLARED = ("operator", "planned", "planned_text")
_EVALUATED = {"planned": "self_eval_planned", "planned_text": "self_eval_planned_text"}


def join(forms: list[FormRecord]) -> list[FormRecord]:
    """The forms with each 绩效目标表 merged into its 自评表; unmatched ones stay as they are."""
    evaluations = [f for f in forms if f.family != TARGETS]
    merged: set[int] = set()
    for declared in (f for f in forms if f.family == TARGETS):
        evaluation = _partner(declared, evaluations)
        if evaluation is not None:
            _merge(evaluation, declared)
            merged.add(id(declared))
    return [f for f in forms if id(f) not in merged]


def _partner(declared: FormRecord, evaluations: list[FormRecord]) -> FormRecord | None:
    code = declared.data.get("code")
    if code:
        by_code = [f for f in evaluations if f.data.get("code") == code]
        if by_code:
            return by_code[0]
    name = key(declared.data["name"])
    by_name = [f for f in evaluations if key(f.data["name"]) == name]
    # Two 自评表 of one name and no code to tell them apart: join neither.
    return by_name[0] if len(by_name) == 1 else None


def _indicator(target: dict[str, Any]) -> str:
    return key(target["indicator"])


def _match(target: dict[str, Any], declared: list[dict[str, Any]], used: set[int]) -> int | None:
    """The declared indicator of the same name (and 二级, when several share the name)."""
    same = [
        i for i, d in enumerate(declared) if i not in used and _indicator(d) == _indicator(target)
    ]
    category = key(target.get("category", ""))
    exact = [i for i in same if key(declared[i].get("category", "")) == category]
    if exact:
        return exact[0]
    return same[0] if len(same) == 1 else None


def _merge(evaluation: FormRecord, declared: FormRecord) -> None:
    targets = evaluation.data.setdefault("targets", [])
    planned = declared.data.get("targets", [])
    used: set[int] = set()
    for index, target in enumerate(targets):
        match = _match(target, planned, used)
        if match is None:
            continue
        used.add(match)
        _take_declared(evaluation, ("targets", index), target, declared, ("targets", match))
    for i, target in enumerate(planned):
        if i not in used:
            _copy_positions(declared, ("targets", i), evaluation, ("targets", len(targets)))
            targets.append(dict(target))
    if "code" in declared.data and "code" not in evaluation.data:
        evaluation.data["code"] = declared.data["code"]
        evaluation.positions[("code",)] = declared.positions[("code",)]
    evaluation.sheets.extend(declared.sheets)


def _take_declared(
    evaluation: FormRecord,
    path: PathKey,
    target: dict[str, Any],
    declared: FormRecord,
    declared_path: PathKey,
) -> None:
    source = declared.data["targets"][declared_path[1]]
    positions = evaluation.positions
    blank = target.pop("unstated", [])
    for name, renamed in _EVALUATED.items():
        if name in target:
            target[renamed] = target.pop(name)
            positions[(*path, renamed)] = positions[(*path, name)]
    if "planned" in blank:
        blank = [_EVALUATED["planned"] if n == "planned" else n for n in blank]
        positions[(*path, "self_eval_planned")] = positions[(*path, "planned")]
    target.pop("operator", None)
    for name in _DECLARED:
        if name in source:
            target[name] = source[name]
        if (*declared_path, name) in declared.positions:
            positions[(*path, name)] = declared.positions[(*declared_path, name)]
    if "planned" in source.get("unstated", []):
        blank.append("planned")
    if "unit" not in target and "unit" in source:
        target["unit"] = source["unit"]
        positions[(*path, "unit")] = declared.positions[(*declared_path, "unit")]
    if blank:
        target["unstated"] = blank
        positions[(*path, "unstated")] = positions[(*path, blank[0])]


def _copy_positions(
    source: FormRecord, source_path: PathKey, target: FormRecord, target_path: PathKey
) -> None:
    size = len(source_path)
    for path, ref in source.positions.items():
        if path[:size] == source_path:
            target.positions[(*target_path, *path[size:])] = ref
