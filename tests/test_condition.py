import random
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from auditcheck.engine import Engine, EngineRule, registers
from auditcheck.rulebook.condition import ConditionError, compile_condition, word_pattern


def compile_(text: str, kind: str = "project", **params: object):
    return compile_condition(text, kind, params)


def test_threshold_parameter_becomes_a_constant() -> None:
    compiled = compile_("execution_rate < threshold", threshold=90)
    assert compiled.json == {"$lt": {"execution_rate": 90.0}}
    assert compiled.fields == {"execution_rate"}


def test_constant_on_the_left_is_flipped() -> None:
    assert compile_("90 > execution_rate").json == {"$lt": {"execution_rate": 90.0}}


def test_and_or_not_with_de_morgan() -> None:
    compiled = compile_("not (budget > 0 and spent < 10)")
    assert compiled.json == {"$or": [{"$lte": {"budget": 0.0}}, {"$gte": {"spent": 10.0}}]}


def test_field_arithmetic_uses_durable_references() -> None:
    compiled = compile_("balance > budget * share / 100", share=30)
    assert compiled.json == {
        "$and": [
            {"$ex": {"budget": 1}},  # a field referenced on the right must exist (see below)
            {
                "$gt": {
                    "balance": {
                        "$div": {"$l": {"$mul": {"$l": {"$m": "budget"}, "$r": 30.0}}, "$r": 100.0}
                    }
                }
            },
        ]
    }
    assert compiled.fields == {"balance", "budget"}


def test_a_field_missing_on_the_right_never_fires_whatever_came_before() -> None:
    """durable_rules reads a missing ``$m`` field as a value left by an earlier fact."""
    compiled = compile_("abs(spent - received) > 0.1")
    engine = Engine([EngineRule("r", "project", compiled.json, compiled.fields)])
    rng = random.Random(7)
    for fid in range(400):
        values = {"spent": float(rng.choice([0, 50, 100]))}
        if rng.random() < 0.5:
            values["received"] = float(rng.choice([0, 50, 100]))
        expected = "received" in values and abs(values["spent"] - values["received"]) > 0.1
        assert bool(engine.check("project", "x", values)) == expected, (fid, values)


def test_constant_arithmetic_is_folded() -> None:
    assert compile_("execution_rate < 100 - t", t=5).json == {"$lt": {"execution_rate": 95.0}}


def test_membership_defined_and_bare_booleans() -> None:
    assert compile_('type in ["专项", "专项债券"]').json == {
        "$or": [{"type": "专项"}, {"type": "专项债券"}]
    }
    assert compile_("score is not defined").json == {"$nex": {"score": 1}}
    assert compile_("acceptance_complete").json == {"acceptance_complete": True}
    assert compile_("not acceptance_complete").json == {"$neq": {"acceptance_complete": True}}


def test_chained_comparison() -> None:
    assert compile_("0 < score < 60").json == {
        "$and": [{"$gt": {"score": 0.0}}, {"$lt": {"score": 60.0}}]
    }


@pytest.mark.parametrize(
    ("text", "fragment", "column"),
    [
        ("executon_rate < 90", "unknown name `executon_rate`", 1),
        ("execution_rate <", "syntax error", None),
        ('execution_rate < "90"', "is number, compared with text", 1),
        ('type < "专项"', "only == and != apply", 1),
        ("budget * spent > 10", "one side of a comparison must be a single field", 1),
        ("execution_rate < __import__('os')", "unsupported expression", 18),
        ("budget", "expected a comparison", 1),
        ("type in [budget]", "constants only", 9),
    ],
)
def test_errors_say_what_and_where(text: str, fragment: str, column: int | None) -> None:
    with pytest.raises(ConditionError) as info:
        compile_(text)
    assert fragment in str(info.value)
    if column is not None:
        assert info.value.column == column


def test_dates_are_day_numbers_and_terms_move_across() -> None:
    compiled = compile_("final_audit_days > 180 and planned_completion < date('2024-01-01')")
    new_year = float(date(2024, 1, 1).toordinal())
    assert compiled.json["$and"][1] == {"$lt": {"planned_completion": new_year}}
    # a − b > c is compiled as a > c + b: one side of every comparison is a single field
    assert compile_("spent - received > 10").json == {
        "$and": [
            {"$ex": {"received": 1}},
            {"$gt": {"spent": {"$add": {"$l": 10.0, "$r": {"$m": "received"}}}}},
        ]
    }
    assert compile_("100 - execution_rate > 20").json == {"$lt": {"execution_rate": 80.0}}


def test_date_arithmetic_gives_days() -> None:
    compiled = compile_("planned_completion - date('2023-12-01') > 30")
    assert compiled.json == {"$gt": {"planned_completion": float(date(2023, 12, 31).toordinal())}}


def test_abs_becomes_two_comparisons() -> None:
    assert compile_("abs(adjustment_rate) > 20").json == {
        "$or": [{"$gt": {"adjustment_rate": 20.0}}, {"$lt": {"adjustment_rate": -20.0}}]
    }
    assert compile_("abs(adjustment_rate) <= t", t=20).json == {
        "$and": [{"$lte": {"adjustment_rate": 20.0}}, {"$gte": {"adjustment_rate": -20.0}}]
    }


def test_word_tests_are_durables_own_match_one_word_each() -> None:
    compiled = compile_(
        "evidence.contains('缺少', '未建立') and evidence.contains('制度')", "observation"
    )
    assert compiled.json == {
        "$and": [
            {"$or": [{"$mt": {"evidence": ".*缺少.*"}}, {"$mt": {"evidence": ".*未建立.*"}}]},
            {"$mt": {"evidence": ".*制度.*"}},
        ]
    }
    # pattern characters in a word are escaped; - ^ $ are literal as they stand
    assert compile_("evidence.contains('(含)', 'a-b')", "observation").json == {
        "$or": [{"$mt": {"evidence": ".*%(含%).*"}}, {"$mt": {"evidence": ".*a-b.*"}}]
    }


ALPHABET = "ab管理制度不x."
words = st.text(alphabet=ALPHABET, min_size=1, max_size=4).filter(
    lambda w: not any(w[:k] == w[-k:] for k in range(1, len(w))) and registers(word_pattern(w))
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(words, min_size=1, max_size=3, unique=True),
    st.lists(st.text(ALPHABET, max_size=14), min_size=1, max_size=30),
)
def test_a_word_test_holds_exactly_when_a_word_is_in_the_text(chosen, texts) -> None:
    """durable_rules decides it, and agrees with Python's `in` on every text."""
    quoted = ", ".join(repr(w) for w in chosen)
    compiled = compile_(f"evidence.contains({quoted})", "observation")
    engine = Engine([EngineRule("w", "observation", compiled.json, compiled.fields)])
    for text in texts:
        fired = engine.check("observation", "r", {"evidence": text}) == ["w"]
        assert fired == any(w in text for w in chosen), (chosen, text)


def test_count_and_any_become_hidden_rules_on_the_items() -> None:
    compiled = compile_('count(targets, unit == "个") == 0 and any(observations)')
    first, second = compiled.aggregates
    assert (first.list, first.kind, first.text) == (
        "targets",
        "target",
        'count(targets, unit == "个")',
    )
    assert first.condition is not None and first.condition.json == {"unit": "个"}
    assert (second.kind, second.condition) == ("observation", None)
    assert compiled.json == {"$and": [{first.field: 0.0}, {"$gt": {second.field: 0.0}}]}
    assert compiled.label(first.field) == first.text


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        ("not evidence.contains('x')", "observation", "cannot apply to `.contains()`"),
        ("evidence.matches('.*(a|b).*')", "observation", "misses matches"),
        ("evidence.contains('业物业')", "observation", "starts the way it ends"),
        ("evidence.contains()", "observation", "one or more words"),
        ("evidence.contains('aaab')", "observation", "durable_rules refuses a match"),
        ("budget.contains('x')", "project", "applies to a text field"),
        ("count(parts) > 1", "project", "no list `parts`"),
        ("count(targets, count(targets) > 1) > 1", "project", "no list `targets`"),
        ('topic == "contract-clauses"', "observation", "is never 'contract-clauses'"),
        ("planned_completion < 2023", "project", "is date, compared with number"),
        ("planned_completion < date('31/12/2023')", "project", 'date("2023-12-31")'),
        ("planned_completion * 2 > 1", "project", "does not apply to date and number"),
    ],
)
def test_new_forms_refuse_what_durable_cannot_do(text: str, kind: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        compile_(text, kind)
    assert fragment in str(info.value)
