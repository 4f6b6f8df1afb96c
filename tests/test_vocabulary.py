"""The fact vocabulary: every declared field is produced, located, and covers the rules."""

import importlib.util
import itertools
import random
from collections.abc import Iterator
from datetime import date

import pytest
from pydantic import BaseModel

from auditcheck import formulas
from auditcheck.check import all_facts
from auditcheck.engine import VIEW_PAYS, encoder, members
from auditcheck.examples import example_record
from auditcheck.facts import sources
from auditcheck.locate import Document, read, validate
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.records.model import Batch, Project, StatedRate, Target, field_view
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
    # A kind reading fewer than VIEW_PAYS fields reads its item as it is, derived fields too.
    few = {kind: list(names)[-VIEW_PAYS + 1 :] for kind, names in FIELDS.items()}
    unviewed = {kind: encoder(sources(kind, names), field_view) for kind, names in few.items()}
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
            written = members(fact.all_values(), few[fact.kind])
            assert unviewed[fact.kind](item, ctx) == written, fact.kind


def test_a_view_reads_declared_fields_only_and_writes_nothing() -> None:
    project = full_record().project
    view = field_view(project)
    assert view.subitems is project.subitems and view.budget == project.budget
    with pytest.raises(AttributeError):
        view.unit_names  # a property of the model, not a field  # noqa: B018
    with pytest.raises(AttributeError):
        view.budget = 1.0
    assert field_view(view) is view and field_view(None) is None


_HOSTILE = (None, 0.0, -12.5, 217.36, 1e300)


def _hostile_projects() -> Iterator[Project]:
    stated_rates = (
        [],
        [
            StatedRate.model_construct(
                name="预算执行率", value=93.1, numerator="spent", denominator="budget"
            )
        ],
        [
            StatedRate.model_construct(
                name="到位率", value=-4.0, numerator="received", denominator="adjusted_budget"
            ),
            StatedRate.model_construct(
                name="使用率", value=1e300, numerator="spent", denominator="received"
            ),
        ],
    )
    targets = (
        [],
        [Target.model_construct(indicator="数量", level="产出指标", weight=None, score=3.0)],
        [
            Target.model_construct(indicator="质量", category="质量指标", weight=0.0, score=1e300),
            Target.model_construct(indicator="满意度", level="满意度指标", weight=12.5, score=0.0),
            Target.model_construct(indicator="其他", weight=7.0, score=7.0),
        ],
    )
    rng = random.Random(14)
    for budget, adjusted, spent, received in itertools.product(_HOSTILE, repeat=4):
        yield Project.model_construct(
            budget=budget,
            adjusted_budget=adjusted,
            spent=spent,
            received=received,
            stated_execution_rate=rng.choice(_HOSTILE),
            stated_rates=rng.choice(stated_rates),
            execution_weight=rng.choice(_HOSTILE),
            targets=rng.choice(targets),
        )


def _as_stated(p: Project, numerator: str, denominators: tuple[str, ...]) -> float | None:
    found = [
        r.value
        for r in p.stated_rates
        if r.numerator == numerator and r.denominator in denominators
    ]
    return found[0] if found else None


def _or(computed: float | None, stated: float | None) -> float | None:
    return stated if computed is None else computed


def _sum_at(p: Project, attr: str, *levels: str) -> float | None:
    ctx = Context()
    values = [getattr(t, attr) for t in p.targets]
    if not values or None in values:
        return None
    found = [FIELDS["target"]["level"].get(t, ctx) for t in p.targets]
    if levels and None in found:
        return None
    return sum(v for v, level in zip(values, found, strict=True) if not levels or level in levels)


def test_derived_money_fields_equal_their_formulas_on_hostile_values() -> None:
    # The fields asked of every project and sub-item are written out for speed: each must give
    # what its documented formula gives, read plainly, on missing, zero, negative and huge values.
    plain = {
        "balance_share": lambda p: formulas.rate(
            FIELDS["project"]["balance"].get(p, Context()), formulas.budget(p)
        ),
        "execution_rate": lambda p: _or(
            formulas.computed_execution_rate(p),
            _or(p.stated_execution_rate, _as_stated(p, "spent", ("budget", "adjusted_budget"))),
        ),
        "receipt_rate": lambda p: _or(
            formulas.rate(p.received, formulas.budget(p)),
            _as_stated(p, "received", ("budget", "adjusted_budget")),
        ),
        "use_rate": lambda p: _or(
            formulas.rate(p.spent, p.received), _as_stated(p, "spent", ("received",))
        ),
        "formula_execution_score": lambda p: (
            None
            if p.execution_weight is None or (rate := formulas.execution_rate(p)) is None
            else min(rate, 100) / 100 * p.execution_weight
        ),
        "indicator_weights": lambda p: _sum_at(p, "weight"),
        "indicator_scores": lambda p: _sum_at(p, "score"),
        "output_weight": lambda p: _sum_at(p, "weight", "产出指标", "成本指标"),
        "effect_weight": lambda p: _sum_at(p, "weight", "效益指标"),
        "satisfaction_weight": lambda p: _sum_at(p, "weight", "满意度指标"),
    }
    declared = FIELDS["project"]
    for project in _hostile_projects():
        for name, formula in plain.items():
            expected = formula(project)
            for item in (project, field_view(project)):
                got = declared[name].get(item, Context())
                assert (type(got), got) == (type(expected), expected), (name, project)


def test_a_field_is_none_without_the_attribute_it_needs(rulebook: Rulebook) -> None:
    # The encoders call such a field's formula only when the item has the attribute it needs
    # (FactField.needs): without it, the formula must give None, on every record and kind.
    needing = [(kind, spec) for kind, fields in FIELDS.items() for spec in fields.values()]
    needing = [(kind, spec) for kind, spec in needing if spec.needs]
    assert len(needing) >= 10
    items = [
        (fact.kind, fact.item, ctx)
        for r, ctx in _every_record(rulebook)
        for fact in all_facts(r, ctx)
    ]
    items += [("project", project, Context()) for project in _hostile_projects()]
    for kind, item, ctx in items:
        for spec in FIELDS[kind].values():
            if spec.needs and getattr(item, spec.needs) is None:
                assert spec.get(item, ctx) is None, (kind, spec.name)
