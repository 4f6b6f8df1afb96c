import random
import resource
from collections.abc import Iterable
from datetime import date
from types import SimpleNamespace

import pytest

from auditcheck.engine import (
    BATCH,
    MAX_CONDITIONS,
    MAX_FIELDS,
    Engine,
    EngineError,
    EngineRule,
    encoder,
    members,
    value_json,
)


def rule(
    rid: str, condition: dict, kind: str = "project", fields: Iterable[str] = "x"
) -> EngineRule:
    return EngineRule(rid, kind, condition, frozenset(fields))


def oracle(threshold: float, op: str, value: float) -> bool:
    return value < threshold if op == "$lt" else value > threshold


def test_every_matching_rule_fires_exactly_once() -> None:
    rng = random.Random(7)
    specs = [(f"r{i}", rng.choice(["$lt", "$gt"]), float(rng.randint(0, 100))) for i in range(30)]
    engine = Engine([rule(r, {op: {"x": t}}) for r, op, t in specs])
    for n in range(500):
        x = float(rng.randint(0, 100))
        hits = engine.check("project", f"rec{n}", {"x": x})
        expected = [r for r, op, t in specs if oracle(t, op, x)]
        assert hits == expected
    assert engine.counts.facts == 500


def test_facts_asserted_together_each_get_their_own_firings() -> None:
    rng = random.Random(11)
    specs = [(f"r{i}", rng.choice(["$lt", "$gt"]), float(rng.randint(0, 100))) for i in range(20)]
    engine = Engine([rule(r, {op: {"x": t}}) for r, op, t in specs])
    xs = [float(rng.randint(0, 100)) for _ in range(2 * BATCH + 7)]  # three native calls
    hits = engine.evaluate("project", "rec", [members({"x": x}, "x") for x in xs])
    for i, x in enumerate(xs):
        assert hits.get(i, []) == [r for r, op, t in specs if oracle(t, op, x)], (i, x)


def test_identical_facts_in_a_row_are_each_evaluated() -> None:
    engine = Engine([rule("low", {"$lt": {"x": 10.0}})])
    for _ in range(3):
        assert engine.check("project", "same", {"x": 1.0}) == ["low"]
    same = members({"x": 1.0}, "x")
    assert engine.evaluate("project", "same", [same, same]) == {0: ["low"], 1: ["low"]}


def test_more_rules_than_one_ruleset_holds_are_split_and_all_fire() -> None:
    rules = [rule(f"r{i}", {"$gt": {"x": float(i)}}) for i in range(3 * MAX_CONDITIONS)]
    engine = Engine(rules)
    hits = engine.check("project", "a", {"x": 1e6})
    assert hits == [r.id for r in rules]


def test_missing_field_never_matches_even_negated() -> None:
    engine = Engine([rule("lt", {"$lt": {"x": 5.0}}), rule("gte", {"$gte": {"x": 5.0}})])
    assert engine.check("project", "a", {"y": 1.0}) == []


def test_undefined_check_does_not_match_the_engine_state() -> None:
    engine = Engine([rule("nex", {"$nex": {"x": 1}})])
    assert engine.check("project", "a", {}) == ["nex"]
    assert engine.check("project", "b", {"x": 2.0}) == []


def test_facts_of_kinds_without_rules_are_not_asserted() -> None:
    engine = Engine([rule("r", {"$gt": {"x": 1.0}}, kind="subitem")])
    assert engine.check("project", "a", {"x": 5.0}) == []
    assert engine.counts.facts == 0


def test_a_fact_durable_refuses_fails_its_call_and_the_engine_goes_on() -> None:
    engine = Engine([rule("r", {"$gt": {"x": 1.0}}, fields="xs")])
    huge = members({"x": 5.0, "s": "字" * 6_000_000}, "xs")  # 18 MB of UTF-8: error 314
    with pytest.raises(EngineError, match="314"):
        engine.evaluate("project", "a", [members({"x": 5.0}, "x"), huge])
    # The fact asserted before the refused one was retracted: no "same id" on the next call.
    assert engine.evaluate("project", "b", [members({"x": 5.0}, "x")]) == {0: ["r"]}


def test_rules_reading_more_fields_than_durable_takes_are_refused() -> None:
    fields = [f"f{i}" for i in range(MAX_FIELDS + 1)]
    wide = EngineRule("wide", "project", {"$gt": {"f0": 1.0}}, frozenset(fields))
    with pytest.raises(EngineError, match=f"at most {MAX_FIELDS}"):
        Engine([wide])


def test_value_json_keeps_only_usable_values() -> None:
    assert value_json(1) == "1.0"
    assert value_json(None) is None
    assert value_json(float("nan")) is None and value_json(float("inf")) is None
    for number in (1e-05, 1e22):  # durable refuses "1e-05" (error 204): a fraction is needed
        text = value_json(number)
        assert text is not None and "." in text and float(text) == pytest.approx(number)
    assert value_json(5e-324) == "0.0"
    assert value_json('"引号"\n') == '"\\"引号\\"\\n"'
    assert value_json(True) == "true"
    assert value_json(date(2024, 1, 2)) == repr(float(date(2024, 1, 2).toordinal()))


VALUES = [None, 0, 7, -3, 0.0, -0.0, 1.5, 1e-05, 3e-4, 1e16, 1e22, float("nan"), float("-inf")]
VALUES += ["", "文字", 'quote"', "line\nbreak", True, False, date(2023, 12, 31)]


def test_a_generated_encoder_writes_what_members_writes() -> None:
    rng = random.Random(5)
    names = ["a", "b", "c", "d", "e"]
    fields = [("a", "a"), ("b", "b"), ("c", lambda item, ctx: item.c * ctx), ("d", "d")]
    encode = encoder([*fields, ("e", "block.e")])
    for _ in range(2_000):
        item = SimpleNamespace(**{n: rng.choice(VALUES) for n in "abcd"})
        if not isinstance(item.c, int | float) or isinstance(item.c, bool):
            item.c = 1
        item.block = rng.choice([None, SimpleNamespace(e=rng.choice(VALUES))])
        e = None if item.block is None else item.block.e
        values = {"a": item.a, "b": item.b, "c": item.c * 2, "d": item.d, "e": e}
        assert encode(item, 2) == members(values, names), values


def test_memory_stays_flat_over_many_facts() -> None:
    engine = Engine([rule(f"r{i}", {"$gt": {"x": float(i)}}) for i in range(10)])
    for n in range(2_000):
        engine.check("project", f"warm{n}", {"x": float(n % 20)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for n in range(30_000):
        engine.check("project", f"rec{n}", {"x": float(n % 20)})
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 20_000, f"peak RSS grew by {grown_kib} KiB over 30,000 facts"


def test_a_rule_with_several_true_branches_fires_once() -> None:
    engine = Engine(
        [rule("either", {"$or": [{"$gt": {"x": 1.0}}, {"$gt": {"y": 1.0}}]}, fields="xy")]
    )
    assert engine.check("project", "a", {"x": 5.0, "y": 5.0}) == ["either"]
    assert engine.counts.firings == 1


def test_a_comparison_with_a_missing_field_never_fires_whatever_came_before() -> None:
    # Unguarded, durable reads an uninitialised result when `budget` is missing, and this
    # sequence made the third fact fire (`rules test`, spent-exceeds-budget's examples).
    over = {"$gt": {"spent": {"$add": {"$l": {"$m": "budget"}, "$r": 0.01}}}}
    engine = Engine([rule("over", over, fields=("spent", "budget"))])
    facts = [{"budget": 100.0, "spent": 120.0}, {"budget": 100.0, "spent": 100.0}, {"spent": 1.0}]
    for _ in range(3):
        assert [engine.check("project", "a", f) for f in facts] == [["over"], [], []]
