"""The fact vocabulary: every declared field is produced, located, and covers the rules."""

import importlib.util
import random
from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import BaseModel

from auditcheck.check import all_facts
from auditcheck.engine import encoder, members
from auditcheck.examples import example_record
from auditcheck.facts import sources
from auditcheck.locate import Document, read, validate
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.records.model import Batch, Project, field_view
from auditcheck.rulebook.load import MESSAGE_NAMES, Rulebook
from auditcheck.templating import template_names
from auditcheck.vocabulary import FIELDS, KINDS, Context, describe

from .conftest import FIXTURES, ROOT

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


def _generated(count: int) -> list[LoadedRecord]:
    """Records of benchmarks/generate.py: every kind of item, with the figures' float noise."""
    spec = importlib.util.spec_from_file_location("generate", ROOT / "benchmarks" / "generate.py")
    assert spec is not None and spec.loader is not None
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    rng = random.Random(14)
    projects = [Project.model_validate(generate.record(i, rng)) for i in range(count)]
    return [LoadedRecord(p, None, Document(file="generated.jsonl", data={})) for p in projects]


def _every_record(rulebook: Rulebook) -> Iterator[tuple[LoadedRecord, Context]]:
    """The full record, the seed fixtures, every rule's examples and generated records."""
    yield full_record(), Context(as_of=date(2024, 6, 30))
    for item in iter_records([FIXTURES]):
        assert isinstance(item, LoadedRecord)
        yield item, Context(as_of=item.batch.as_of if item.batch else None)
    for rule in rulebook.all_rules:
        for fragment in (*rule.rule.examples.fire, *rule.rule.examples.quiet):
            record = example_record(fragment, rule.file)
            yield record, Context(as_of=record.batch.as_of if record.batch else None)
    for record in _generated(400):
        yield record, Context()


def test_every_field_reads_the_same_through_a_view_of_its_item(rulebook: Rulebook) -> None:
    # The encoders read an item's fields through records.model.field_view: every declared field of
    # every kind, stated or derived, must come out as it does from the item itself.
    encoders = {kind: encoder(sources(kind, names), field_view) for kind, names in FIELDS.items()}
    for record, ctx in _every_record(rulebook):
        for fact in all_facts(record, ctx):
            item, declared = fact.item, FIELDS[fact.kind]
            if isinstance(item, BaseModel):
                assert set(vars(item)) == set(type(item).model_fields), type(item)
            view = field_view(item)
            for name, spec in declared.items():
                plain, viewed = spec.get(item, ctx), spec.get(view, ctx)
                assert (type(viewed), viewed) == (type(plain), plain), (fact.kind, name)
            written = members(fact.all_values(), list(declared))
            assert encoders[fact.kind](item, ctx) == written, fact.kind


def test_a_view_reads_declared_fields_only_and_writes_nothing() -> None:
    project = full_record().project
    view = field_view(project)
    assert view.subitems is project.subitems and view.budget == project.budget
    with pytest.raises(AttributeError):
        view.unit_names  # a property of the model, not a field  # noqa: B018
    with pytest.raises(AttributeError):
        view.budget = 1.0
    assert field_view(view) is view and field_view(None) is None
