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
  the reserved ``id``/``sid``.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import durable_rules_engine as _native
from durable import engine as _durable

MAX_CONDITIONS = 60
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
                definitions[name] = {
                    r.id: {
                        "all": [{"m": {"$and": [_GUARD, r.condition]}}],
                        "run": self._action(r.id),
                    }
                    for r in chunk
                }
                self._rulesets.setdefault(kind, []).append(name)
        if definitions:
            self._host.set_rulesets(definitions)
        self._handles = {name: self._host.get_ruleset(name) for name in definitions}

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
