import random
import resource

import pytest

from auditcheck.engine import MAX_CONDITIONS, Engine, EngineError, EngineRule, sanitize


def rule(rid: str, condition: dict, kind: str = "project", fields: str = "x") -> EngineRule:
    return EngineRule(rid, kind, condition, frozenset(fields))


def oracle(threshold: float, op: str, value: float) -> bool:
    return value < threshold if op == "$lt" else value > threshold


def test_every_matching_rule_fires_exactly_once() -> None:
    rng = random.Random(7)
    specs = [(f"r{i}", rng.choice(["$lt", "$gt"]), float(rng.randint(0, 100))) for i in range(30)]
    engine = Engine([rule(r, {op: {"x": t}}) for r, op, t in specs])
    for n in range(500):
        x = float(rng.randint(0, 100))
        hits = engine.check("project", f"rec{n}", 0, {"x": x})
        expected = [r for r, op, t in specs if oracle(t, op, x)]
        assert hits == expected
    assert engine.counts.facts == 500


def test_identical_facts_in_a_row_are_each_evaluated() -> None:
    engine = Engine([rule("low", {"$lt": {"x": 10.0}})])
    for _ in range(3):
        assert engine.check("project", "same", 0, {"x": 1.0}) == ["low"]


def test_more_rules_than_one_ruleset_holds_are_split_and_all_fire() -> None:
    rules = [rule(f"r{i}", {"$gt": {"x": float(i)}}) for i in range(3 * MAX_CONDITIONS)]
    engine = Engine(rules)
    hits = engine.check("project", "a", 0, {"x": 1e6})
    assert hits == [r.id for r in rules]


def test_missing_field_never_matches_even_negated() -> None:
    engine = Engine([rule("lt", {"$lt": {"x": 5.0}}), rule("gte", {"$gte": {"x": 5.0}})])
    assert engine.check("project", "a", 0, {"y": 1.0}) == []


def test_undefined_check_does_not_match_the_engine_state() -> None:
    engine = Engine([rule("nex", {"$nex": {"x": 1}})])
    assert engine.check("project", "a", 0, {}) == ["nex"]
    assert engine.check("project", "b", 0, {"x": 2.0}) == []


def test_facts_of_kinds_without_rules_are_not_asserted() -> None:
    engine = Engine([rule("r", {"$gt": {"x": 1.0}}, kind="subitem")])
    assert engine.check("project", "a", 0, {"x": 5.0}) == []
    assert engine.counts.facts == 0


def test_a_raising_action_is_reported() -> None:
    class Exploding(Engine):
        def on_fire(self, rule_id: str) -> None:
            raise ValueError("boom")

    engine = Exploding([rule("r", {"$gt": {"x": 1.0}})])
    with pytest.raises(EngineError, match="r: ValueError: boom"):
        engine.check("project", "a", 0, {"x": 5.0})


def test_sanitize_keeps_only_usable_values() -> None:
    raw = {"a": 1, "b": None, "c": float("nan"), "d": 1e-05, "e": "x", "f": True, "g": 1e22}
    out = sanitize(raw, "abcdefg")
    assert out["a"] == 1.0 and isinstance(out["a"], float)
    assert "b" not in out and "c" not in out
    assert "e" in repr(out["d"]) and "." in repr(out["d"])
    assert out["e"] == "x" and out["f"] is True
    assert "." in repr(out["g"]) and out["g"] == pytest.approx(1e22)
    assert sanitize({"x": 5e-324}, "x") == {"x": 0.0}


def test_memory_stays_flat_over_many_facts() -> None:
    engine = Engine([rule(f"r{i}", {"$gt": {"x": float(i)}}) for i in range(10)])
    for n in range(2_000):
        engine.check("project", f"warm{n}", 0, {"x": float(n % 20)})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for n in range(30_000):
        engine.check("project", f"rec{n}", 0, {"x": float(n % 20)})
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 20_000, f"peak RSS grew by {grown_kib} KiB over 30,000 facts"


def test_a_rule_with_several_true_branches_fires_once() -> None:
    engine = Engine(
        [rule("either", {"$or": [{"$gt": {"x": 1.0}}, {"$gt": {"y": 1.0}}]}, fields="xy")]
    )
    assert engine.check("project", "a", 0, {"x": 5.0, "y": 5.0}) == ["either"]
    assert engine.counts.firings == 1
