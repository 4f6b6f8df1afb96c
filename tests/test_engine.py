import math
import random
import resource
import struct
from collections.abc import Callable, Iterable
from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest

from auditcheck.engine import (
    BATCH,
    LONG,
    MAX_CONDITIONS,
    MAX_FIELDS,
    VIEW_PAYS,
    Engine,
    EngineError,
    EngineRule,
    _number,
    encoder,
    members,
    rule_definition,
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
VALUES += [1e-13, 1.1368683772161603e-13, 2.5e-300, 1.5e20, -9.99e15]
VALUES += ["", "文字", 'quote"', "line\nbreak", True, False, date(2023, 12, 31)]
VALUES += ["\ud800 lone surrogate", "\x7f\x1f\u2028"]


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


def test_an_encoder_reads_through_the_view_only_where_it_pays() -> None:
    # A view costs a few reads: a kind reading fewer than VIEW_PAYS fields reads its item as it is.
    viewed: list[Any] = []
    item = SimpleNamespace(**{f"f{i}": float(i) for i in range(VIEW_PAYS)})
    for count in (VIEW_PAYS - 1, VIEW_PAYS):
        fields = [(f"f{i}", f"f{i}") for i in range(count)]
        encode = encoder(fields, lambda item: viewed.append(item) or item)
        assert encode(item, None) == members(vars(item), [name for name, _ in fields])
    assert viewed == [item]


def test_floats_are_written_as_repr_writes_them() -> None:
    # The encoder writes floats of the usual magnitudes with orjson: the same text, every time.
    rng = random.Random(11)
    encode = encoder([("x", "x")])
    for _ in range(20_000):
        bits = struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        for x in (bits, rng.uniform(-1, 1) * 10 ** rng.uniform(-6, 17), rng.randint(1, 9**9) / 7):
            assert encode(SimpleNamespace(x=x), None) == members({"x": x}, ["x"]), x


def test_a_float_is_written_as_the_repr_of_the_float_durable_reads() -> None:
    # value_json writes tiny floats with orjson, the rest with repr once, and moves only a text
    # without a fraction: the same text as repr(_number(x)), the float noise of a difference
    # between two figures (1e-13), tiny, huge and round values included.
    rng = random.Random(3)
    for _ in range(20_000):
        bits = struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0]
        budget = round(rng.uniform(0, 1e5), 2)
        spent = round(rng.uniform(0, budget), 2)
        for x in (
            bits,
            rng.uniform(-1, 1) * 10 ** rng.uniform(-320, 308),
            rng.uniform(1, 10) * 10.0 ** rng.randint(-310, -8),
            10.0 ** rng.randint(-30, 30),
            abs(round(budget - spent, 2) - (budget - spent)),
        ):
            if math.isfinite(x):
                assert value_json(x) == repr(_number(x)), x


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


def one_at_a_time(rules: list[EngineRule], facts: list[dict]) -> dict[int, list[str]]:
    """What durable's documented pattern gives (guide §2): its Python ``Host``, one fact
    asserted, its actions run, then retracted — no batch, no native call of ours. Rules go
    15 to a ruleset (at most 45 conditions: durable fails a fact with 64 true at once)."""
    from durable.engine import Host, MessageNotHandledException

    host = Host()
    host._d_timer.cancel()  # actions run inside assert_fact; the timers would only poll
    host._t_timer.cancel()
    fired: set[str] = set()  # a set: durable fires a rule once per true branch of its `$or`

    def action(rule_id: str) -> Callable[[Any], None]:
        return lambda _context: fired.add(rule_id)

    names = []
    for start in range(0, len(rules), 15):
        names.append(f"reference{start}")
        part = rules[start : start + 15]
        definition = {r.id: {**rule_definition(r), "run": action(r.id)} for r in part}
        host.set_rulesets({names[-1]: definition})
    found: dict[int, list[str]] = {}
    for i, fact in enumerate(facts):
        fired.clear()
        sent = {"rid": "rec", **fact}
        for name in names:
            try:
                host.assert_fact(name, sent)
            except MessageNotHandledException:
                pass  # this fact matched no rule of this ruleset
            finally:
                host.retract_fact(name, sent)
        if fired:
            found[i] = [r.id for r in rules if r.id in fired]
    return found


WORDS = ["", "资金闲置", "未见错误", "错", "绩效目标", "alpha"]
MIXED = [
    rule("or3", {"$or": [{"$gt": {"x": 50.0}}, {"$gt": {"y": 50.0}}, {"$mt": {"s": ".*错.*"}}]}),
    rule("x-over-y", {"$gt": {"x": {"$m": "y"}}}),
    rule("no-z", {"$nex": {"z": 1}}),
    rule("words", {"$mt": {"s": ".*资金.*"}}),
    rule("not-alpha", {"$neq": {"s": "alpha"}}),
    rule("both", {"$and": [{"$lt": {"x": 30.0}}, {"$ex": {"s": 1}}]}),
]


def mixed_rules(rng: random.Random) -> list[EngineRule]:
    """The rules above, and more threshold rules than one ruleset holds: each fact matches
    several rules, spread over several native rulesets; many facts match none."""
    thresholds = [
        rule(f"t{i}", {rng.choice(["$lt", "$gt", "$lte"]): {rng.choice("xy"): float(i % 97)}})
        for i in range(2 * MAX_CONDITIONS)
    ]
    return [EngineRule(r.id, r.kind, r.condition, frozenset("xyzs")) for r in MIXED + thresholds]


def mixed_fact(rng: random.Random, long: bool = False) -> dict:
    if rng.random() < 0.15:
        return {"z": float(rng.randint(0, 100))}  # matches no rule
    fact = {n: float(rng.randint(0, 100)) for n in "xyz" if rng.random() < 0.8}
    if rng.random() < 0.8:
        fact["s"] = rng.choice(WORDS) + ("a" * LONG if long else "")
    return fact


def test_facts_asserted_together_fire_as_they_do_one_at_a_time() -> None:
    rng = random.Random(3)
    rules = mixed_rules(rng)
    engine = Engine(rules)
    for round_ in range(4):
        facts = [mixed_fact(rng) for _ in range(BATCH + 150 * round_ + 1)]
        found = engine.evaluate("project", "rec", [members(f, "sxyz") for f in facts])
        assert found == one_at_a_time(rules, facts)
        assert len(found) < len(facts)  # some facts matched nothing: the guide's lost case
        assert any(len(hits) > 5 for hits in found.values())
        assert any("or3" in hits and "x-over-y" in hits for hits in found.values())


def test_a_call_with_facts_too_long_for_a_list_fires_as_one_at_a_time() -> None:
    rng = random.Random(4)
    rules = mixed_rules(rng)
    facts = [mixed_fact(rng, long=i in (3, 17)) for i in range(40)]
    facts[17]["s"] = "错" + facts[17].get("s", "a" * LONG)  # a long value some rule reads
    written = [members(f, "sxyz") for f in facts]
    assert sum(len(w) > LONG for w in written) == 2
    found = Engine(rules).evaluate("project", "rec", written)
    assert found == one_at_a_time(rules, facts)
    assert "or3" in found[17] and "words" not in found[17]
