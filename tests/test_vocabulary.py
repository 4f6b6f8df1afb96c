"""The fact vocabulary: every declared field is produced, located, and covers the rules."""

from datetime import date

from auditcheck.check import all_facts
from auditcheck.locate import read, validate
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch, Project
from auditcheck.rulebook.load import MESSAGE_NAMES, Rulebook
from auditcheck.templating import template_names
from auditcheck.vocabulary import FIELDS, KINDS, Context, describe

from .conftest import ROOT

FULL = ROOT / "tests" / "data" / "full-record.yaml"


def full_record() -> LoadedRecord:
    doc = read(FULL)
    project, errors = validate(Project, doc)
    assert errors == []
    return LoadedRecord(project, Batch(region="示例区", as_of=date(2024, 6, 30)), doc)


def test_a_fully_populated_record_yields_every_declared_field() -> None:
    record = full_record()
    facts = list(all_facts(record, Context(as_of=date(2024, 6, 30))))
    for kind, fields in FIELDS.items():
        values = [f.all_values() for f in facts if f.kind == kind]
        assert values, f"no {kind} fact from the full record"
        never = [name for name in fields if all(v.get(name) is None for v in values)]
        assert never == [], f"{kind}: declared but never produced: {never}"


def test_every_field_points_at_a_value_of_the_record() -> None:
    record = full_record()
    for fact in all_facts(record, Context(as_of=date(2024, 6, 30))):
        doc = fact.doc or record.doc
        for name, value in fact.all_values().items():
            if value is None:
                continue
            path = fact.source(name)
            assert path in doc.positions, (fact.kind, fact.label, name, path)


def test_every_name_a_rule_reads_is_declared(rulebook: Rulebook) -> None:
    for rule in rulebook.all_rules:
        declared = set(MESSAGE_NAMES) | set(rule.params)
        for kind, compiled in rule.conditions.items():
            counts = {a.field for a in compiled.aggregates}
            assert compiled.fields - counts <= set(FIELDS[kind]), (rule.id, kind)
            for agg in compiled.aggregates:
                inner = agg.condition.fields if agg.condition else frozenset()
                assert inner <= set(FIELDS[agg.kind]), (rule.id, agg.text)
            declared |= set(FIELDS[kind])
        assert template_names(rule.rule.message) <= declared, rule.id


def test_rules_fields_lists_every_kind_and_field() -> None:
    text = "\n".join(describe())
    for kind, fields in FIELDS.items():
        assert f"[{kind}]" in text
        for name in fields:
            assert f"  {name} " in text, (kind, name)
    assert set(KINDS) == set(FIELDS)
