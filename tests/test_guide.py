"""Every record in docs/guide.md validates and gives exactly the findings the guide lists."""

import re

import pytest

from auditcheck.check import Checker
from auditcheck.locate import parse, validate
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch, Project
from auditcheck.rulebook.load import Rulebook

from .conftest import ROOT

GUIDE = (ROOT / "docs" / "guide.md").read_text("utf-8")
BLOCKS = re.findall(r"<!-- record: (\S+); expect:([^>]*)-->\n```yaml\n(.*?)```", GUIDE, re.S)


def test_the_guide_has_its_three_examples() -> None:
    assert [name for name, _, _ in BLOCKS] == [
        "village-clinics",
        "tianchang-2022-flood-defence",
        "anke",
    ]


@pytest.mark.parametrize(("name", "expect", "text"), BLOCKS, ids=[b[0] for b in BLOCKS])
def test_a_guide_record_gives_the_findings_it_lists(
    rulebook: Rulebook, name: str, expect: str, text: str
) -> None:
    doc = parse(text, f"guide/{name}.yaml")
    project, errors = validate(Project, doc)
    assert errors == [], errors
    record = LoadedRecord(project, Batch(region="示例"), doc)
    findings, _ = Checker(rulebook).check_record(record)
    wanted = [r.strip() for r in expect.split(",") if r.strip()]
    assert sorted(f.rule for f in findings) == sorted(wanted)
