"""Property tests and a bounded fuzz run: bad input is always a located error, never an
exception, and the engine evaluates every fact it is given."""

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditcheck.check import Checker, all_facts
from auditcheck.examples import example_record
from auditcheck.locate import LocatedError, decode, parse, validate
from auditcheck.records.load import LoadedRecord, iter_records
from auditcheck.records.model import Project
from auditcheck.rulebook.load import load_rulebook

from .conftest import RULES

FIELD_NAMES = [*Project.model_fields, "spnet", "子项目"]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.dates(),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=25,
)
documents = st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=12)


def load_text(text: str) -> object:
    """What the loader does with one file's text: a Project or located errors, nothing else."""
    try:
        doc = parse(text, "fuzz.yaml")
    except LocatedError as exc:
        return exc
    project, errors = validate(Project, doc)
    assert (project is None) != (not errors)
    for error in errors:
        assert error.file == "fuzz.yaml" and error.line >= 1 and error.col >= 1
    return project or errors


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_any_text_gives_a_record_or_a_located_error(text: str) -> None:
    load_text(text)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(documents)
def test_any_yaml_mapping_gives_a_record_or_located_errors(data: dict) -> None:
    load_text(yaml.safe_dump(data, allow_unicode=True))


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_give_a_located_error(raw: bytes) -> None:
    try:
        load_text(decode(raw, "fuzz.yaml"))
    except LocatedError as exc:
        assert exc.file == "fuzz.yaml"


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(documents, min_size=1, max_size=4))
def test_a_batch_of_generated_files_never_raises(tmp_path_factory, docs: list[dict]) -> None:
    folder: Path = tmp_path_factory.mktemp("batch")
    (folder / "batch.yaml").write_text("region: 某区\nfiscal_year: 2023\n", "utf-8")
    for i, data in enumerate(docs):
        (folder / f"r{i}.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    items = list(iter_records([folder]))
    assert all(isinstance(i, LoadedRecord | LocatedError) for i in items)
    assert {i.file for i in items if isinstance(i, LocatedError)} <= {
        str(folder / f"r{n}.yaml") for n in range(len(docs))
    } | {f"r{n}.yaml" for n in range(len(docs))} | {str(p) for p in folder.iterdir()}


CHECKER = Checker(load_rulebook(RULES))
amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False)
records = st.fixed_dictionaries(
    {"budget": amounts, "spent": amounts},
    optional={
        "stated_balance": amounts,
        "subitems": st.lists(
            st.fixed_dictionaries({"name": st.just("子项"), "budget": amounts, "spent": amounts}),
            max_size=4,
        ),
        "targets": st.lists(
            st.fixed_dictionaries(
                {"indicator": st.just("指标"), "planned": amounts, "actual": amounts},
                optional={"adjusted": st.booleans(), "unit": st.just("个")},
            ),
            max_size=3,
        ),
        "facilities": st.lists(
            st.fixed_dictionaries(
                {"name": st.just("设施")},
                optional={"in_use": st.booleans(), "connected": st.booleans()},
            ),
            max_size=3,
        ),
    },
)


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(records)
def test_the_engine_evaluates_every_fact(fragment: dict) -> None:
    record = example_record(fragment, "generated.yaml")
    facts = all_facts(record, CHECKER.context(record.batch))
    expected = sum(1 for fact in facts if fact.kind in CHECKER.engine.kinds())
    before = CHECKER.engine.counts.facts
    _, count = CHECKER.check_record(record)
    assert CHECKER.engine.counts.facts - before == expected
    assert count >= expected
