"""The parts of durable_rules that engine.py uses beyond its public API, and the limits it
designs around. durable-rules is pinned in pyproject.toml; if an upgrade breaks one of these,
engine.py must change with it.
"""

import json
from importlib.metadata import version

import durable_rules_engine as native
import pytest

from auditcheck.engine import (
    BATCH,
    MAX_NESTING,
    Engine,
    EngineError,
    EngineRule,
    condition_problems,
    firing,
)


def ruleset(condition: dict) -> int:
    """A native ruleset of one guarded rule named as engine.py names rules (r<number>)."""
    guarded = {"$and": [{"$ex": {"rid": 1}}, condition]}
    return native.create_ruleset("contract", json.dumps({"r7": {"all": [{"m": guarded}]}}))


def drain(handle: int, state: int) -> list[str]:
    messages = []
    result = native.start_action_for_state(handle, state)
    if result is not None:
        messages.append(result[1])
        while (more := native.complete_and_start_action(handle, state)) is not None:
            messages.append(more)
    return messages


def test_the_pinned_version_is_installed() -> None:
    assert version("durable_rules") == "2.0.28"


def test_facts_asserted_together_hand_out_every_firing_with_the_fact() -> None:
    handle = ruleset({"$gt": {"x": 1.0}})
    facts = '[{"id":0,"rid":"a","x":5.0},{"id":1,"rid":"a","x":0.5},{"id":2,"rid":"a","x":9.0}]'
    code, state = native.assert_facts(handle, facts)
    assert code == 1  # 1: some fact matched no rule; the others' firings wait in the state
    messages = drain(handle, state)
    assert sorted(messages) == [
        '{"r7":{"m":{"id":0,"rid":"a","x":5.0}}}',
        '{"r7":{"m":{"id":2,"rid":"a","x":9.0}}}',
    ]
    assert sorted(firing(m) for m in messages) == [(7, 0), (7, 2)]
    assert native.retract_facts(handle, '[{"id":0},{"id":1},{"id":2}]')[0] == 0  # by id alone
    code, state = native.assert_facts(handle, facts)  # retracted: the same facts are new again
    assert code == 1 and len(drain(handle, state)) == 2
    code, _ = native.assert_facts(handle, '[{"id":0,"rid":"b","x":7.0}]')
    assert code == 2  # 2: a fact with this id is asserted: identity is the id, not the content
    native.retract_facts(handle, '[{"id":0},{"id":1},{"id":2}]')
    native.delete_ruleset(handle)


def test_retracted_facts_hand_out_no_firing_unless_it_was_started() -> None:
    handle = ruleset({"$gt": {"x": 1.0}})
    native.assert_facts(handle, '[{"id":0,"rid":"a","x":5.0}]')
    native.retract_facts(handle, '[{"id":0}]')  # never handed out: gone with the fact
    code, state = native.assert_facts(handle, '[{"id":0,"rid":"b","x":0.5}]')
    assert code == 1 and drain(handle, state) == []
    native.retract_facts(handle, '[{"id":0}]')
    # Handed out and not completed, a firing outlives its fact: engine.py always completes.
    code, state = native.assert_facts(handle, '[{"id":0,"rid":"c","x":5.0}]')
    assert native.start_action_for_state(handle, state) is not None
    native.retract_facts(handle, '[{"id":0}]')
    code, state = native.assert_facts(handle, '[{"id":0,"rid":"d","x":5.0}]')
    assert native.start_action_for_state(handle, state) is None  # the state is still leased
    native.delete_ruleset(handle)


def test_a_fact_durable_cannot_read_is_skipped_in_a_list_and_refused_alone() -> None:
    handle = ruleset({"$gt": {"x": 1.0}})
    long = '{"id":1,"rid":"a","x":5.0,"s":"' + "a" * 2**24 + '"}'  # a 16 MB value: error 314
    code, state = native.assert_facts(handle, '[{"id":0,"rid":"a","x":5.0},' + long + "]")
    assert code == 0 and [firing(m) for m in drain(handle, state)] == [(7, 0)]
    with pytest.raises(Exception, match="314"):
        native.assert_fact(handle, long)
    native.retract_facts(handle, '[{"id":0},{"id":1}]')
    native.delete_ruleset(handle)


def fnv1a_32(text: str) -> int:
    """durable's hash of a fact id (state.c fnv1Hash32): the message index compares only it."""
    value = 0x811C9DC5
    for byte in text.encode():
        value = ((value ^ byte) * 16777619) & 0xFFFFFFFF
    return value


def test_the_ids_of_one_call_and_the_state_fact_never_share_a_hash() -> None:
    ids = [str(i) for i in range(BATCH)] + ["sid-0"]
    assert len({fnv1a_32(i) for i in ids}) == len(ids)


def test_nesting_past_the_limit_fails_in_durable_and_is_refused_before() -> None:
    def nested(depth: int) -> dict:
        condition: dict = {"$gt": {"x": 0.5}}
        for i in range(depth):
            condition = {"$and" if i % 2 else "$or": [condition, {"$lt": {"y": 1000.5 + i}}]}
        return condition

    native.delete_ruleset(ruleset(nested(MAX_NESTING)))
    with pytest.raises(Exception, match="113"):
        ruleset(nested(MAX_NESTING + 1))
    assert condition_problems(nested(MAX_NESTING)) == []
    assert "nested" in condition_problems(nested(MAX_NESTING + 1))[0]


@pytest.mark.parametrize("number", [1e-05, 1e300])
def test_numbers_durable_cannot_parse_are_nudged(number: float) -> None:
    with pytest.raises(Exception, match="204"):
        ruleset({"$lt": {"x": number}})
    engine = Engine([EngineRule("r", "project", {"$lt": {"x": number}}, frozenset("x"))])
    assert engine.check("project", "a", {"x": number / 2}) == ["r"]


def test_what_durable_refuses_names_the_rule() -> None:
    bad = EngineRule("bad-pattern", "project", {"$mt": {"s": "%"}}, frozenset("s"))
    with pytest.raises(EngineError, match="rule bad-pattern"):
        Engine([EngineRule("fine", "project", {"$gt": {"x": 1.0}}, frozenset("x")), bad])


@pytest.mark.parametrize("number", [float("inf"), float("nan"), 1e16])
def test_numbers_out_of_range_are_refused(number: float) -> None:
    assert "out of range" in condition_problems({"$lt": {"x": number}})[0]
