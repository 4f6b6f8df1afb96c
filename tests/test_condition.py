import pytest

from auditcheck.rulebook.condition import ConditionError, compile_condition
from auditcheck.vocabulary import FIELDS

PROJECT = FIELDS["project"]


def compile_(text: str, **params: object):
    return compile_condition(text, PROJECT, params)


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
        "$gt": {
            "balance": {"$div": {"$l": {"$mul": {"$l": {"$m": "budget"}, "$r": 30.0}}, "$r": 100.0}}
        }
    }
    assert compiled.fields == {"balance", "budget"}


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
        ("budget + spent > 10", "one side of a comparison must be a single field", 1),
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
