"""Waivers: a reviewed decision that a finding is acceptable, with a reason, an owner and an end.

A waivers file is YAML::

    waivers:
      - rule: low-execution-rate
        record: village-clinics
        field: spent              # optional: only the finding on this field
        reason: 设备款跨年度支付，已书面说明
        owner: 区卫体局
        expires: 2025-06-30       # optional

A waiver past its expiry date stops waiving and is reported (``waiver-expired``);
a waiver that matches no finding is reported too (``waiver-unused``), so stale
waivers do not pile up unseen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from auditcheck.findings import Finding, fingerprint
from auditcheck.locate import Document, read, validate

WAIVER_RULES = {
    "waiver-expired": "豁免已过期",
    "waiver-unused": "豁免未匹配任何问题",
}


class Waiver(BaseModel):
    """One waived finding (or all of a rule's findings on one record)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    rule: Annotated[str, Field(min_length=1)]
    record: Annotated[str, Field(min_length=1)]
    field: str | None = None
    reason: Annotated[str, Field(min_length=4)]
    owner: Annotated[str, Field(min_length=1)]
    expires: date | None = None

    def matches(self, finding: Finding) -> bool:
        """Same rule, same record, and the same field when one is given."""
        return (
            finding.rule == self.rule
            and finding.record == self.record
            and (self.field is None or finding.field == self.field)
        )


class WaiverFile(BaseModel):
    """The top level of a waivers file."""

    model_config = ConfigDict(extra="forbid", strict=True)

    waivers: list[Waiver]


@dataclasses.dataclass
class Waivers:
    """Loaded waivers, with the document they came from (for locating notices)."""

    items: list[Waiver]
    doc: Document


def load_waivers(path: Path) -> Waivers:
    """Read and validate a waivers file; raises LocatedError on a bad one."""
    doc = read(path)
    parsed, errors = validate(WaiverFile, doc)
    if errors:
        raise errors[0]
    return Waivers(parsed.waivers, doc)


def _notice(waivers: Waivers, index: int, rule: str, message: str) -> Finding:
    path = ("waivers", index)
    pos = waivers.doc.position(path)
    waiver = waivers.items[index]
    return Finding(
        rule=rule,
        category="waivers",
        dimension="waivers",
        severity="warning" if rule == "waiver-expired" else "info",
        record=waiver.record,
        project="",
        file=waivers.doc.file,
        line=pos.line,
        col=pos.col,
        field=f"waivers[{index}]",
        message=message,
        suggestion="删除或更新这条豁免。",
        evidence={"rule": waiver.rule, "record": waiver.record, "field": waiver.field},
        fingerprint=fingerprint(rule, waiver.record, (waiver.rule, waiver.field or "")),
    )


def apply_waivers(findings: Iterable[Finding], waivers: Waivers, today: date) -> list[Finding]:
    """Findings with waived ones marked, plus a notice for each expired or unused waiver."""
    used: set[int] = set()
    out: list[Finding] = []
    for finding in findings:
        for i, waiver in enumerate(waivers.items):
            if not waiver.matches(finding):
                continue
            used.add(i)
            if waiver.expires is None or waiver.expires >= today:
                finding = dataclasses.replace(
                    finding, status="waived", justification=f"{waiver.reason}（{waiver.owner}）"
                )
                break
        out.append(finding)
    for i, waiver in enumerate(waivers.items):
        if waiver.expires is not None and waiver.expires < today:
            message = (
                f"对 {waiver.record} 的 {waiver.rule} 豁免已于{waiver.expires.isoformat()}到期，"
                "相关问题重新计入结果。"
            )
            out.append(_notice(waivers, i, "waiver-expired", message))
        elif i not in used:
            message = f"对 {waiver.record} 的 {waiver.rule} 豁免没有匹配到任何问题，可以删除。"
            out.append(_notice(waivers, i, "waiver-unused", message))
    return out
