"""The parts of durable_rules that engine.py uses beyond its public API, and the limits it
designs around. durable-rules is pinned in pyproject.toml; if an upgrade breaks one of these,
engine.py must change with it.
"""

from importlib.metadata import version

import durable_rules_engine as native
import pytest
from durable import engine as durable

from auditcheck.engine import MAX_NESTING, Engine, EngineError, EngineRule, condition_problems


def ruleset(condition: dict, fired: list[str]):
    host = durable.Host()
    host._d_timer.cancel()  # the private timers engine.py stops
    host._t_timer.cancel()
    guarded = {"$and": [{"$ex": {"rid": 1}}, condition]}
    rule = {"all": [{"m": guarded}], "run": lambda context: fired.append(context)}
    host.set_rulesets({"contract": {"r": rule}})
    return host.get_ruleset("contract")


def test_the_pinned_version_is_installed() -> None:
    assert version("durable_rules") == "2.0.28"


def test_native_assert_and_retract_answer_with_the_codes_engine_py_reads() -> None:
    fired: list = []
    rules = ruleset({"$gt": {"x": 1.0}}, fired)
    miss = '{"rid": "a", "fid": 0, "x": 0.5}'
    assert native.assert_fact(rules._handle, miss)[0] == 1  # 1: no rule matched
    assert native.retract_fact(rules._handle, miss)[0] != 2
    hit = '{"rid": "a", "fid": 1, "x": 5.0}'
    code, state = native.assert_fact(rules._handle, hit)
    assert code == 0
    done: list = []
    rules.do_actions(state, lambda error, _state: done.append(error))  # runs the action here
    assert fired and done == [None]
    assert native.assert_fact(rules._handle, hit)[0] == 2  # 2: the same fact is asserted
    native.retract_fact(rules._handle, hit)


def test_nesting_past_the_limit_fails_in_durable_and_is_refused_before() -> None:
    def nested(depth: int) -> dict:
        condition: dict = {"$gt": {"x": 0.5}}
        for i in range(depth):
            condition = {"$and" if i % 2 else "$or": [condition, {"$lt": {"y": 1000.5 + i}}]}
        return condition

    ruleset(nested(MAX_NESTING), [])
    with pytest.raises(Exception, match="113"):
        ruleset(nested(MAX_NESTING + 1), [])
    assert condition_problems(nested(MAX_NESTING)) == []
    assert "nested" in condition_problems(nested(MAX_NESTING + 1))[0]


@pytest.mark.parametrize("number", [1e-05, 1e300])
def test_numbers_durable_cannot_parse_are_nudged(number: float) -> None:
    with pytest.raises(Exception, match="204"):
        ruleset({"$lt": {"x": number}}, [])
    engine = Engine([EngineRule("r", "project", {"$lt": {"x": number}}, frozenset("x"))])
    assert engine.check("project", "a", 0, {"x": number / 2}) == ["r"]


def test_what_durable_refuses_names_the_rule() -> None:
    bad = EngineRule("bad-pattern", "project", {"$mt": {"s": "%"}}, frozenset("s"))
    with pytest.raises(EngineError, match="rule bad-pattern"):
        Engine([EngineRule("fine", "project", {"$gt": {"x": 1.0}}, frozenset("x")), bad])


@pytest.mark.parametrize("number", [float("inf"), float("nan"), 1e16])
def test_numbers_out_of_range_are_refused(number: float) -> None:
    assert "out of range" in condition_problems({"$lt": {"x": number}})[0]
