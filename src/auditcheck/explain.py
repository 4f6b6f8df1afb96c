"""Why a rule fired or not: each fact's compared values, the thresholds, and the engine's answer."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditcheck.check import Checker
from auditcheck.locate import LocatedError
from auditcheck.records.load import iter_records
from auditcheck.rulebook.condition import Leaf
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule

_OPS = {
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
_ARITH = {
    "$add": lambda a, b: a + b,
    "$sub": lambda a, b: a - b,
    "$mul": lambda a, b: a * b,
    "$div": lambda a, b: a / b,
}


@dataclass
class Comparison:
    """One comparison of the condition, as it came out on one fact."""

    text: str
    outcome: bool | None  # None: a value was missing, so the comparison does not hold


@dataclass
class Explanation:
    """One fact seen by one rule."""

    record: str
    kind: str
    label: str
    location: str
    fired: bool
    comparisons: list[Comparison]


def _value(expr: Any, values: dict[str, Any]) -> Any:
    if isinstance(expr, dict) and "$m" in expr:
        return values.get(expr["$m"])
    if isinstance(expr, dict):
        (op, sides), *_ = expr.items()
        left, right = _value(sides["$l"], values), _value(sides["$r"], values)
        if left is None or right is None or (op == "$div" and right == 0):
            return None
        return _ARITH[op](left, right)
    return expr


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    return "（缺）" if value is None else str(value)


def compare(leaf: Leaf, values: dict[str, Any]) -> Comparison:
    """Evaluate one comparison for display (the engine's answer is what counts)."""
    actual = values.get(leaf.field)
    if leaf.op in ("defined", "undefined"):
        present = actual is not None
        outcome = present if leaf.op == "defined" else not present
        return Comparison(
            f"{leaf.field} is {'' if leaf.op == 'defined' else 'not '}defined", outcome
        )
    expected = _value(leaf.value, values)
    text = f"{leaf.field} = {_show(actual)}  {leaf.op}  {_show(expected)}"
    if actual is None or expected is None:
        return Comparison(text, None)
    try:
        return Comparison(text, bool(_OPS[leaf.op](actual, expected)))
    except TypeError:
        return Comparison(text, None)


def explain(
    paths: Iterable[Path], rulebook: Rulebook, rule: CompiledRule, record_id: str | None = None
) -> Iterator[Explanation | LocatedError]:
    """For each fact of the kinds ``rule`` applies to: what it compared and whether it fired."""
    checker = Checker(rulebook)
    for item in iter_records(paths):
        if isinstance(item, LocatedError):
            yield item
            continue
        if record_id is not None and item.project.id != record_id:
            continue
        for fact, hits in checker.matches(item):
            compiled = rule.conditions.get(fact.kind)
            if compiled is None:
                continue
            pos = (fact.doc or item.doc).position(fact.source(rule.rule.field_for(fact.kind)))
            yield Explanation(
                record=item.project.id,
                kind=fact.kind,
                label=fact.label,
                location=f"{(fact.doc or item.doc).file}:{pos.line}",
                fired=rule.id in hits,
                comparisons=[compare(leaf, fact.values) for leaf in compiled.leaves],
            )
