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
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from auditcheck.config import ConfigError
from auditcheck.findings import Finding, fingerprint
from auditcheck.locate import Document, LocatedError, dotted, read, validate

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

    @field_validator("expires", mode="before")
    @classmethod
    def _quoted_date(cls, value: object) -> object:
        # "2025-06-30" in quotes is as clear as the YAML date; strict mode would refuse it.
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                return value
        return value

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


class WaiversError(Exception):
    """The waivers file cannot be used; ``errors`` says where and why, every one of them."""

    def __init__(self, errors: list[LocatedError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def load_waivers(path: Path) -> Waivers:
    """Read and validate a waivers file; raises WaiversError on a bad one."""
    try:
        doc = read(path)
    except LocatedError as exc:
        raise WaiversError([exc]) from None
    parsed, errors = validate(WaiverFile, doc)
    if errors:
        raise WaiversError(errors)
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
        fingerprint=fingerprint(rule, waiver.record, dotted((waiver.rule, waiver.field or ""))),
    )


class WaiverSet:
    """Applies waivers to findings as they stream past; reports stale waivers at the end."""

    def __init__(self, waivers: Waivers, today: date) -> None:
        self.waivers = waivers
        self.today = today
        self.used: set[int] = set()

    def apply(self, findings: Iterable[Finding]) -> list[Finding]:
        """Findings with the waived ones marked (expired waivers do not waive)."""
        out = []
        for finding in findings:
            for i, waiver in enumerate(self.waivers.items):
                if not waiver.matches(finding):
                    continue
                self.used.add(i)
                if waiver.expires is None or waiver.expires >= self.today:
                    justification = f"{waiver.reason}（{waiver.owner}）"
                    finding = dataclasses.replace(
                        finding, status="waived", justification=justification
                    )
                    break
            out.append(finding)
        return out

    def notices(self) -> list[Finding]:
        """A finding for each expired waiver and each waiver that matched nothing."""
        out = []
        for i, waiver in enumerate(self.waivers.items):
            if waiver.expires is not None and waiver.expires < self.today:
                ended = waiver.expires.isoformat()
                what = f"对 {waiver.record} 的 {waiver.rule} 豁免"
                message = f"{what}已于{ended}到期，相关问题重新计入结果。"
                out.append(_notice(self.waivers, i, "waiver-expired", message))
            elif i not in self.used:
                message = f"对 {waiver.record} 的 {waiver.rule} 豁免没有匹配到任何问题，可以删除。"
                out.append(_notice(self.waivers, i, "waiver-unused", message))
        return out


def today() -> date:
    """Today, or ``AUDITCHECK_TODAY`` (YYYY-MM-DD, quotes allowed) so runs can be reproduced.

    Raises ConfigError naming the variable when it is not a date.
    """
    fixed = os.environ.get("AUDITCHECK_TODAY", "").strip().strip("\"'")
    try:
        return date.fromisoformat(fixed) if fixed else date.today()
    except ValueError:
        raise ConfigError(f"AUDITCHECK_TODAY={fixed!r}: write the date as YYYY-MM-DD") from None
