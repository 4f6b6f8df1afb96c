"""Why a rule fired or not: each fact's compared values, the thresholds, and the engine's answer.

Each comparison of the condition is put to durable_rules on its own, so that the
outcome shown is the engine's, never a re-evaluation in Python; only the values
shown beside it (a threshold worked out from a field) are computed here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from auditcheck.check import Checker, reading_order
from auditcheck.engine import Engine, EngineRule
from auditcheck.locate import LocatedError
from auditcheck.records.load import iter_records
from auditcheck.rulebook.condition import Compiled, Leaf, leaf_fields, leaf_json
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import CompiledRule

_ARITH = {
    "$add": lambda a, b: a + b,
    "$sub": lambda a, b: a - b,
    "$mul": lambda a, b: a * b,
    "$div": lambda a, b: a / b,
}
_WORDS = {"defined": "is defined", "undefined": "is not defined", "contains": "contains"}


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
        value = values.get(expr["$m"])
        return float(value.toordinal()) if isinstance(value, date) else value
    if isinstance(expr, dict):
        (op, sides), *_ = expr.items()
        left, right = _value(sides["$l"], values), _value(sides["$r"], values)
        if left is None or right is None or (op == "$div" and right == 0):
            return None
        return _ARITH[op](left, right)
    return expr


def _show(value: Any, as_date: bool = False) -> str:
    if as_date and isinstance(value, float):
        value = date.fromordinal(int(value))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".")
    if isinstance(value, str):
        return repr(value)
    return "（缺）" if value is None else str(value)


class _Leaves:
    """The comparisons of one compiled condition, each a rule of its own in an engine."""

    def __init__(self, kind: str, compiled: Compiled) -> None:
        self.compiled = compiled
        rules = [
            EngineRule(f"leaf{i}", kind, leaf_json(leaf), frozenset(leaf_fields(leaf)))
            for i, leaf in enumerate(compiled.leaves)
        ]
        self.engine = Engine(rules)

    def compare(self, rid: str, kind: str, values: dict[str, Any]) -> list[Comparison]:
        held = set(self.engine.check(kind, rid, values))
        out = []
        for i, leaf in enumerate(self.compiled.leaves):
            if f"leaf{i}" in held:
                outcome: bool | None = True
            else:
                missing = any(values.get(name) is None for name in leaf_fields(leaf))
                outcome = None if missing else False
            out.append(Comparison(self.text(leaf, values), outcome))
        return out

    def text(self, leaf: Leaf, values: dict[str, Any]) -> str:
        name = self.compiled.label(leaf.field)
        actual = values.get(leaf.field)
        if leaf.op in _WORDS:
            shown = f" {leaf.value!r}" if leaf.op == "contains" else ""
            return f"{name} = {_show(actual)}  {_WORDS[leaf.op]}{shown}"
        expected = _value(leaf.value, values)
        return f"{name} = {_show(actual)}  {leaf.op}  {_show(expected, isinstance(actual, date))}"


def explain(
    paths: Iterable[Path], rulebook: Rulebook, rule: CompiledRule, record_id: str | None = None
) -> Iterator[Explanation | LocatedError]:
    """For each fact of the kinds ``rule`` applies to: what it compared and whether it fired."""
    checker = Checker(rulebook)
    leaves = {kind: _Leaves(kind, compiled) for kind, compiled in rule.conditions.items()}
    for item in iter_records(paths):
        if isinstance(item, LocatedError):
            yield item
            continue
        if record_id is not None and item.project.id != record_id:
            continue
        shown: list[tuple[tuple[int, ...], Explanation]] = []
        for fact, hits in checker.matches(item):
            if fact.kind not in leaves:
                continue
            path = fact.source(rule.rule.field_for(fact.kind))
            explanation = Explanation(
                record=item.project.id,
                kind=fact.kind,
                label=fact.label,
                location=(fact.doc or item.doc).short(path),
                fired=rule.id in hits,
                comparisons=leaves[fact.kind].compare(item.project.id, fact.kind, fact.values),
            )
            shown.append((reading_order(fact), explanation))
        # Facts are evaluated items first; they are shown in the record's reading order.
        shown.sort(key=lambda pair: pair[0])
        yield from (explanation for _, explanation in shown)
