"""The only module that touches durable_rules: facts in, matched rule ids out.

How it stays correct (see docs/engine.md for the reasons):

- one ``Host`` per engine, single-fact rules, assert then retract in ``finally``:
  every matching rule fires exactly once and memory stays flat;
- "nothing matched" is a normal result, not an exception. For speed, facts are
  serialised once and handed to the ruleset's native assert/retract calls, with
  the ruleset's own ``do_actions`` running the actions, which is what
  ``Host.assert_fact`` does minus a JSON encoding per call and an exception per
  unmatched fact (see :meth:`Engine._submit`);
- actions only append the rule id; an exception in one is caught and re-raised
  as :class:`EngineError` after the assert (durable would swallow it);
- one ruleset per fact kind, split further so that no ruleset holds more than
  :data:`MAX_CONDITIONS` distinct conditions: durable fails a fact with more than
  64 conditions true at once and hangs registering more than ~512;
- facts carry only the fields their kind's rules read, numbers (and dates, as day
  numbers) as floats that durable's parser accepts, and ``rid``/``fid`` instead of
  the reserved ``id``/``sid``;
- what durable cannot register (too many conditions, and/or nested too deep,
  numbers out of range) is refused when a rulebook is loaded, by
  :func:`condition_problems`, for ``run`` and ``rules check`` alike. Anything else
  durable refuses is an :class:`EngineError` naming the rule.

The calls above that are not durable's public API (``Host._d_timer``,
``Ruleset._handle``, ``do_actions``, the native ``assert_fact``/``retract_fact``
and their return codes) are pinned in ``pyproject.toml`` and checked by
``tests/test_durable_contract.py``.
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import durable_rules_engine as _native
from durable import engine as _durable

from auditcheck.locate import MAX_FIGURE

# durable logs the exceptions it catches in actions (Ctrl-C's too) with a traceback on
# stderr; ours are caught in the action itself and reported as EngineError, located.
logging.getLogger("durable").disabled = True

MAX_CONDITIONS = 60
MAX_NESTING = 14  # and/or levels of one condition: durable fails past 15, and the guard adds one
MAX_NUMBER = MAX_FIGURE  # what records may hold, conditions may compare with
# True for our facts only, never for durable's own state fact (a rule matching that loops).
_GUARD = {"$ex": {"rid": 1}}
_INFINITE = (math.inf, -math.inf)
_encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per fact
_names = itertools.count()


class EngineError(RuntimeError):
    """The engine failed on a fact: an action raised, or durable reported an error."""


@dataclass(frozen=True)
class EngineRule:
    """What the engine needs of a rule: an id, the fact kind, the condition, the fields read."""

    id: str
    kind: str
    condition: dict[str, Any]
    fields: frozenset[str]


@dataclass
class Counts:
    """What an engine has done: facts asserted and rule firings."""

    facts: int = 0
    firings: int = 0


def _leaf_keys(condition: Any) -> set[str]:
    """Distinct leaf conditions, as durable shares them (identical leaves count once)."""
    if isinstance(condition, dict):
        (key, value), *_ = condition.items()
        if key in ("$and", "$or"):
            return {k for part in value for k in _leaf_keys(part)}
    return {json.dumps(condition, sort_keys=True, ensure_ascii=False)}


def _depth(condition: Any) -> int:
    if isinstance(condition, dict) and len(condition) == 1:
        (key, value), *_ = condition.items()
        if key in ("$and", "$or") and isinstance(value, list):
            return 1 + max((_depth(part) for part in value), default=0)
    return 0


def _numbers(value: Any) -> Iterator[float]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _numbers(item)
    elif isinstance(value, list):
        for item in value:
            yield from _numbers(item)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield value


def condition_problems(condition: Any) -> list[str]:
    """Why durable_rules could not hold a compiled condition; empty when it can."""
    problems = []
    if (leaves := len(_leaf_keys(condition))) >= MAX_CONDITIONS:
        problems.append(
            f"{leaves} comparisons, more than the {MAX_CONDITIONS - 1} one rule may have"
        )
    if (depth := _depth(condition)) > MAX_NESTING:
        problems.append(f"and/or nested {depth} levels deep, more than {MAX_NESTING}")
    for number in _numbers(condition):
        if not math.isfinite(number) or abs(number) > MAX_NUMBER:
            problems.append(f"the number {number!r} is out of range (at most {MAX_NUMBER:g})")
    return problems


def _durable_numbers(value: Any) -> Any:
    """A condition with every number in the form durable's parser accepts."""
    if isinstance(value, dict):
        return {key: _durable_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_durable_numbers(item) for item in value]
    if isinstance(value, float):
        return _number(value)
    return value


def _chunks(rules: list[EngineRule]) -> list[list[EngineRule]]:
    """Split rules into groups of at most MAX_CONDITIONS distinct leaf conditions."""
    chunks: list[list[EngineRule]] = []
    current: list[EngineRule] = []
    leaves: set[str] = set()
    for rule in rules:
        mine = _leaf_keys(rule.condition)
        if len(mine) >= MAX_CONDITIONS:
            raise EngineError(
                f"rule {rule.id} has {len(mine)} conditions; the limit is {MAX_CONDITIONS - 1}"
            )
        if current and len(leaves | mine) >= MAX_CONDITIONS:
            chunks.append(current)
            current, leaves = [], set()
        current.append(rule)
        leaves |= mine
    if current:
        chunks.append(current)
    return chunks


def _number(value: float) -> float:
    """A float durable's JSON parser accepts: it rejects an exponent without a fraction.

    Tiny magnitudes (below 1e-9) are no figure of a budget and become 0; large
    ones move to the next float, whose repr has a fraction (1e+22 → 1.0000000000000001e+22).
    """
    if value == 0 or 1e-4 <= abs(value) < 1e16:  # repr uses no exponent here: the usual case
        return value
    while "e" in (text := repr(value)) and "." not in text:
        if abs(value) < 1e-9:
            return 0.0
        value = math.nextafter(value, math.inf)
    return value


@functools.cache
def registers(pattern: str) -> bool:
    """Whether durable_rules accepts ``pattern`` for ``$mt``.

    Its matcher refuses some patterns with repeated letters (error 503 for ``.*aaab.*``); the
    condition compiler asks here, once per pattern, so that a rule is refused at load with a
    reason rather than the engine failing later.
    """
    definition = json.dumps({"r": {"all": [{"m": {"$mt": {"x": pattern}}}]}}, ensure_ascii=False)
    try:
        handle = _native.create_ruleset(f"probe{next(_names)}", definition)
    except Exception:  # durable_rules_engine.error
        return False
    _native.delete_ruleset(handle)
    return True


def sanitize(values: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Only ``fields``, without missing values, numbers as finite floats."""
    out: dict[str, Any] = {}
    for name in fields:
        value = values.get(name)
        kind = type(value)  # exact types first: this runs for every field of every fact
        if kind is float:
            if value == value and value not in _INFINITE:
                out[name] = _number(value)
        elif kind is str or kind is bool:
            out[name] = value
        elif kind is int:
            out[name] = float(value)
        elif kind is date:  # a day number, as the condition language compiles date constants
            out[name] = float(value.toordinal())
        elif value is not None:
            out[name] = _number(float(value)) if isinstance(value, int | float) else value
    return out


@dataclass
class Engine:
    """Evaluates single facts against compiled rules; reusable for any number of facts."""

    rules: list[EngineRule]
    counts: Counts = field(default_factory=Counts)

    def __post_init__(self) -> None:
        self._host = _durable.Host()
        # Our actions run synchronously inside assert_fact; the timers would only add threads.
        self._host._d_timer.cancel()
        self._host._t_timer.cancel()
        self._hits: list[str] = []
        self._errors: list[str] = []
        self._rulesets: dict[str, list[str]] = {}
        self._fields: dict[str, tuple[str, ...]] = {}
        self._order = {r.id: i for i, r in enumerate(self.rules)}
        definitions: dict[str, Any] = {}
        serial = next(_names)
        by_kind: dict[str, list[EngineRule]] = {}
        for rule in self.rules:
            by_kind.setdefault(rule.kind, []).append(rule)
        for kind, rules in by_kind.items():
            self._fields[kind] = ("rid", *sorted({f for r in rules for f in r.fields}))
            for n, chunk in enumerate(_chunks(rules)):
                name = f"ac{serial}_{kind}_{n}"
                definitions[name] = {r.id: self._definition(r) for r in chunk}
                self._rulesets.setdefault(kind, []).append(name)
        if definitions:
            try:
                self._host.set_rulesets(definitions)
            except Exception as exc:  # durable's own error type; name the rule it refused
                raise EngineError(_refused(self.rules) or f"durable_rules: {exc}") from None
        self._handles = {name: self._host.get_ruleset(name) for name in definitions}

    def _definition(self, rule: EngineRule) -> dict[str, Any]:
        condition = _durable_numbers(rule.condition)
        return {"all": [{"m": {"$and": [_GUARD, condition]}}], "run": self._action(rule.id)}

    def _action(self, rule_id: str) -> Callable[[Any], None]:
        def act(_context: Any) -> None:
            try:
                self.on_fire(rule_id)
            except Exception as exc:  # durable would swallow it; keep it for check()
                self._errors.append(f"{rule_id}: {type(exc).__name__}: {exc}")

        return act

    def on_fire(self, rule_id: str) -> None:
        """Record a firing. Kept trivial: the real work happens after the assert returns."""
        self._hits.append(rule_id)

    def kinds(self) -> set[str]:
        """Fact kinds that at least one rule looks at."""
        return set(self._rulesets)

    def check(self, kind: str, rid: str, fid: int, values: Mapping[str, Any]) -> list[str]:
        """Ids of the rules matching one fact, each once, in rule order; raises EngineError."""
        rulesets = self._rulesets.get(kind)
        if not rulesets:
            return []
        fact = sanitize(values, self._fields[kind])
        fact["rid"] = rid
        fact["fid"] = fid
        # Serialised once for every ruleset and for the retraction (Host would do it each time).
        text = _encode(fact)
        self.counts.facts += 1
        hits: list[str] = []
        for name in rulesets:
            ruleset = self._handles[name]
            self._hits, self._errors = [], []
            try:
                self._submit(ruleset, _native.assert_fact, text)
            finally:
                # Retracting a fact can never complete a single-fact rule, so there are no
                # actions to run; only an error code needs attention.
                code, _ = _native.retract_fact(ruleset._handle, text)
                if code == 2:
                    raise EngineError(f"durable_rules could not retract {rid} ({kind})")
            if self._errors:
                raise EngineError(f"{rid} ({kind}): " + "; ".join(self._errors))
            hits.extend(self._hits)
        self.counts.firings += len(set(hits))
        # A rule whose `$or` has several true branches fires once per branch; report it once.
        return sorted(set(hits), key=self._order.__getitem__)

    def _submit(self, ruleset: Any, call: Callable[[Any, str], Any], text: str) -> None:
        """What ``Host.assert_fact`` does, without re-serialising the fact or raising for no match.

        The native call answers (1, …) when no rule matched, (2, …) when the same fact is
        already asserted, else a state handle whose pending actions ``do_actions`` runs,
        synchronously, in this thread.
        """
        try:
            code, state = call(ruleset._handle, text)
        except Exception as exc:
            raise EngineError(f"durable_rules failed: {exc}") from exc
        if code == 1:
            return
        if code == 2:
            raise EngineError(f"durable_rules saw this fact twice: {text}")
        failures: list[BaseException] = []
        ruleset.do_actions(state if code == 0 else 0, lambda e, _s: e and failures.append(e))
        if failures:
            raise EngineError(f"durable_rules action failed: {failures[0]}")


def _refused(rules: list[EngineRule]) -> str:
    """Which rule durable refuses to register, tried one at a time (only after a failure)."""
    for rule in rules:
        host = _durable.Host()
        host._d_timer.cancel()
        host._t_timer.cancel()
        condition = {"$and": [_GUARD, _durable_numbers(rule.condition)]}
        try:
            definition = {rule.id: {"all": [{"m": condition}], "run": lambda _context: None}}
            host.set_rulesets({f"check{next(_names)}": definition})
        except Exception as exc:
            return f"rule {rule.id}: durable_rules refused its condition ({exc})"
    return ""
