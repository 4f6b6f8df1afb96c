"""The only module that touches durable_rules: facts in, matched rule ids out.

How it stays correct (see docs/engine.md for the reasons):

- rules are single-fact and grouped into rulesets per fact kind; facts of one kind
  (of one record, or of a block of records) are asserted in one native call, every
  firing is collected from the native calls, and the facts are retracted in
  ``finally``: every matching rule fires exactly once per fact and memory stays flat;
- each fact carries its index in the call as ``id``, durable's own identity, so two
  live facts can never be taken for one (with content hashes, durable compares 32 bits
  of a hash: #376); "nothing matched" is a normal result, not an exception;
- no Python action runs inside durable: the rule and fact of each firing are read off
  the message durable hands out, after which the action is completed;
- one ruleset per fact kind, split further so that no ruleset holds more than
  :data:`MAX_CONDITIONS` distinct conditions: durable fails a fact with more than
  64 conditions true at once and hangs registering more than ~512;
- facts carry only the fields their kind's rules read, written as JSON in one pass
  by a function generated per kind (:func:`encoder`): numbers (and dates, as day
  numbers) as floats that durable's parser accepts, missing values left out;
- what durable cannot register (too many conditions, and/or nested too deep,
  numbers out of range) is refused when a rulebook is loaded, by
  :func:`condition_problems`, for ``run`` and ``rules check`` alike. Anything else
  durable refuses is an :class:`EngineError` naming the rule.

The native calls used (``create_ruleset``, ``assert_facts``/``assert_fact``,
``start_action_for_state``, ``complete_and_start_action``, ``retract_facts``,
``delete_ruleset``), the shape of the messages they hand out, their codes and what
a list of facts skips are not durable's documented Python API:
durable-rules is pinned in ``pyproject.toml`` and ``tests/test_durable_contract.py``
checks each of them.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import durable_rules_engine as _native
import orjson

from auditcheck.locate import MAX_FIGURE

MAX_CONDITIONS = 60
MAX_NESTING = 14  # and/or levels of one condition: durable fails past 15, and the guard adds one
MAX_NUMBER = MAX_FIGURE  # what records may hold, conditions may compare with
BATCH = 256  # facts per native call; their ids 0..255 have distinct hashes (the contract test)
MAX_FIELDS = 250  # durable reads at most 254 properties a fact: ours, plus id, rid and its sid
LONG = 4 * 2**20  # characters: a fact this long may hold a value of 16 MB (UTF-8), durable's limit
# True for our facts only, never for durable's own state fact (a rule matching that loops).
_GUARD = {"$ex": {"rid": 1}}
_encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder, not one per call
_string = (
    json.encoder.encode_basestring
)  # a str as JSON, without ASCII escapes: durable reads UTF-8
_names = itertools.count()
Getter = Callable[[Any, Any], Any]
Encoder = Callable[[Any, Any], str]


class EngineError(RuntimeError):
    """The engine failed on a fact: durable reported an error, or refused a rule."""


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
        mine = _leaf_keys(_durable_numbers(rule.condition))
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


def value_json(value: Any) -> str | None:
    """A fact's value as durable should read it, in JSON; None to leave the field out.

    Numbers become finite floats its parser accepts (a string compared with a number
    would be compared as text), dates day numbers as the condition language compiles
    date constants; a missing value, NaN and infinities are left out (a comparison with
    a missing field is false).
    """
    kind = type(value)  # exact types first: this runs for many values of many facts
    if kind is float:
        if value - value != 0:  # NaN and ±inf give NaN
            return None
        # repr's search for the shortest digits is costly, and a third of the cross-checks'
        # differences are tiny (1e-13). Between 1e-300 and 1e-9, as between 1e-4 and 1e16,
        # orjson writes repr's text (the tests hold it to that); only a text without a
        # fraction is moved (_number).
        tiny = 1e-300 < abs(value) < 1e-9
        text = orjson.dumps(value).decode() if tiny else repr(value)
        return text if "." in text or "e" not in text else repr(_number(value))
    if kind is str:
        return _string(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return repr(_number(float(value)))
    if kind is date:
        return repr(float(value.toordinal()))
    if value is None:
        return None
    if isinstance(value, int | float):  # subclasses (an IntEnum)
        return value_json(float(value))
    return _encode(value)


def members(values: Mapping[str, Any], names: Sequence[str]) -> str:
    """The fields ``names`` of ``values`` as a fact's JSON members (``,"x":1.0`` each)."""
    out = []
    for name in names:
        text = value_json(values.get(name))
        if text is not None:
            out.append(f",{_string(name)}:{text}")
    return "".join(out)


# One field of a generated encoder: the values orjson writes as ``members`` does go into
# the dict ``d`` written at the end — floats of the usual magnitudes, strings, booleans,
# whole numbers as floats — anything else as the text value_json writes. ``{name}`` is the
# field's name, ``{read}`` the expression that reads it. Between 1e-4 and 1e16 (and 0)
# orjson writes a float exactly as ``repr`` does, fraction included, and a string as
# ``json`` does (the tests hold it to both), and one call writes every member.
_FIELD_SOURCE = """\
{read}
    if v is not None:
        t = type(v)
        if t is float and (1e-4 <= v < 1e16 or -1e16 < v <= -1e-4 or v == 0):
            d[{name!r}] = v
        elif t is str or t is bool:
            d[{name!r}] = v
        elif t is int and -1e15 <= v <= 1e15:
            d[{name!r}] = float(v)
        elif (v := value_json(v)) is not None:
            d[{name!r}] = written(utf8(v))
"""
# The members, from ``d``. orjson refuses a string with a lone surrogate, which json writes
# as it is: such strings go in as the bytes json's text has (UTF-8, surrogates passed).
_MEMBERS_SOURCE = """\
    if not d:
        return ""
    try:
        text = dumps(d)
    except TypeError:
        text = dumps({k: written(utf8(string(v))) if type(v) is str else v for k, v in d.items()})
    return "," + text[1:-1].decode("utf-8", "surrogatepass")
"""


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _same(item: Any) -> Any:
    return item


# Making a view costs about three reads of a model's field, and makes each read about five
# times cheaper: it pays from four fields read. Below that the item is read as it is (a
# cross-check's pair, three fields, is no model at all: its view would be a call for nothing).
VIEW_PAYS = 4


def encoder(
    fields: Sequence[tuple[str, str | Getter | tuple[str, Getter]]],
    view: Callable[[Any], Any] = _same,
) -> Encoder:
    """A function ``(item, ctx) → JSON members`` for one fact kind, generated for its fields.

    Each field is ``(name, source)``: an attribute of the item (``block.attribute``: one
    inside a block, None when the block is), a function of the item and the context, or
    ``(attribute, function)``: the function, called only when the item's attribute is not
    None (the field is None when it is).
    The result equals :func:`members` of the values read (the tests hold them to it);
    generating the code once per kind reads every field in one pass, and orjson writes
    them in one call. Each item is read through ``view(item)``, the derived fields'
    functions included: the checker passes a view of a record's declared fields
    (:func:`~auditcheck.records.model.field_view`), as a project's fact reads about a hundred.
    A kind that reads fewer than VIEW_PAYS fields reads its item as it is.
    """
    env: dict[str, Any] = {
        "string": _string,
        "value_json": value_json,
        "dumps": orjson.dumps,
        "written": orjson.Fragment,
        "utf8": _utf8,
        "view": view,
    }
    viewed = len(fields) >= VIEW_PAYS
    lines = ["def encode(item, ctx):", "    item = view(item)" if viewed else "", "    d = {}"]
    for i, (name, source) in enumerate(fields):
        if isinstance(source, str):
            first, *inner = source.split(".")
            if not all(a.isidentifier() for a in (first, *inner)):
                raise ValueError(f"{name}: {source!r} is not an attribute name")
            steps = [f"    v = None if v is None else v.{a}" for a in inner]
            read = "\n".join([f"    v = item.{first}", *steps])
        elif isinstance(source, tuple):  # the function, only when the item has ``needs``
            needs, env[f"get{i}"] = source
            if not needs.isidentifier():
                raise ValueError(f"{name}: {needs!r} is not an attribute name")
            read = f"    v = item.{needs}\n    if v is not None:\n        v = get{i}(item, ctx)"
        else:
            env[f"get{i}"] = source
            read = f"    v = get{i}(item, ctx)"
        lines.append(_FIELD_SOURCE.format(read=read, name=name))
    lines.append(_MEMBERS_SOURCE)
    exec("\n".join(lines), env)  # our own source, from declared names (Python literals)
    return env["encode"]  # type: ignore[no-any-return]


@functools.cache
def _retraction(count: int) -> str:
    """The facts with ids ``0 … count-1``: durable retracts a fact by its id alone."""
    return "[" + ",".join(f'{{"id":{i}}}' for i in range(count)) + "]"


def firing(message: str) -> tuple[int, int]:
    """(rule number, fact id) of one firing, from the message durable hands out for it.

    The message is ``{"r<number>":{"m":<the fact as asserted>}}``, and every fact we
    assert begins ``{"id":<id>,`` (pinned by the contract test).
    """
    end = message.index('"', 3)
    start = end + 13  # past '":{"m":{"id":'
    return int(message[3:end]), int(message[start : message.index(",", start)])


@dataclass
class Engine:
    """Evaluates facts against compiled rules; reusable for any number of facts."""

    rules: list[EngineRule]
    counts: Counts = field(default_factory=Counts)

    def __post_init__(self) -> None:
        self._handles: dict[str, list[int]] = {}
        self._fields: dict[str, tuple[str, ...]] = {}
        self._broken = ""  # why the engine must not be trusted any more, after a failure
        self._ids = [rule.id for rule in self.rules]
        by_kind: dict[str, list[tuple[int, EngineRule]]] = {}
        for number, rule in enumerate(self.rules):
            by_kind.setdefault(rule.kind, []).append((number, rule))
        serial = next(_names)
        try:
            for kind, numbered in by_kind.items():
                rules = [rule for _, rule in numbered]
                self._fields[kind] = tuple(sorted({f for r in rules for f in r.fields}))
                if (read := len(self._fields[kind])) > MAX_FIELDS:
                    raise EngineError(f"rules read {read} {kind} fields; at most {MAX_FIELDS}")
                numbers = iter(n for n, _ in numbered)  # _chunks keeps the order: zip them back
                for part, chunk in enumerate(_chunks(rules)):
                    definition = {f"r{next(numbers)}": rule_definition(r) for r in chunk}
                    text = json.dumps(definition, ensure_ascii=False)
                    handle = _native.create_ruleset(f"ac{serial}_{kind}_{part}", text)
                    self._handles.setdefault(kind, []).append(handle)
        except Exception as exc:  # durable's own error type; name the rule it refused
            _delete(self._all_handles())
            if isinstance(exc, EngineError):
                raise
            raise EngineError(_refused(self.rules) or f"durable_rules: {exc}") from None
        # Rulesets live in durable's memory, not Python's: free them with the engine.
        weakref.finalize(self, _delete, self._all_handles())

    def _all_handles(self) -> list[int]:
        return [h for handles in self._handles.values() for h in handles]

    def kinds(self) -> set[str]:
        """Fact kinds that at least one rule looks at."""
        return set(self._handles)

    def fields(self, kind: str) -> tuple[str, ...]:
        """The fields of ``kind`` that its rules read (what its facts must carry)."""
        return self._fields.get(kind, ())

    def check(self, kind: str, rid: str, values: Mapping[str, Any]) -> list[str]:
        """Ids of the rules matching one fact given as values, each once, in rule order."""
        return self.evaluate(kind, rid, [members(values, self.fields(kind))]).get(0, [])

    def evaluate(
        self, kind: str, rid: str | Sequence[str], facts: Sequence[str]
    ) -> dict[int, list[str]]:
        """Facts of one kind, each given as its JSON members (:func:`members`, :func:`encoder`),
        of the record ``rid`` (or of the record named for each fact): the index of each fact
        that matched → the ids of the rules it matched, each once, in rule order. Raises
        EngineError."""
        handles = self._handles.get(kind)
        if not handles or not facts:
            return {}
        if self._broken:
            raise EngineError(self._broken)
        if isinstance(rid, str):
            heads = [f',"rid":{_string(rid)}'] * len(facts)
        else:
            written_rid = {r: f',"rid":{_string(r)}' for r in dict.fromkeys(rid)}
            heads = list(map(written_rid.__getitem__, rid))
        fired: dict[int, set[int]] = {}
        for start in range(0, len(facts), BATCH):
            end = start + BATCH
            pairs = zip(heads[start:end], facts[start:end], strict=True)
            written = [f'{{"id":{i}{h}{m}}}' for i, (h, m) in enumerate(pairs)]
            for handle in handles:
                for message in self._assert(handle, written):
                    rule, fact = firing(message)
                    # A rule whose `$or` has several true branches fires once per branch.
                    fired.setdefault(start + fact, set()).add(rule)
        self.counts.facts += len(facts)
        if not fired:
            return {}
        self.counts.firings += sum(map(len, fired.values()))
        ids = self._ids
        return {i: [ids[r] for r in sorted(rules)] for i, rules in fired.items()}

    def _assert(self, handle: int, facts: list[str]) -> list[str]:
        """The firings of ``facts`` (ids 0, 1, …) asserted together, retracted afterwards.

        durable answers (1, …) when some fact matched no rule, (2, …) when a fact with the
        same id is already asserted (it cannot be: each call retracts its facts), else 0;
        in every case the firings wait in the state it names, handed out one message at a
        time until none is left. In a list, durable skips without a word a fact it cannot
        read (a value of 16 MB or more); alone, it reports it: facts that long go one by one.
        """
        try:
            if max(map(len, facts)) < LONG:
                code, state = _native.assert_facts(handle, "[" + ",".join(facts) + "]")
            else:
                for fact in facts:
                    code, state = _native.assert_fact(handle, fact)
                    if code == 2:
                        break
            if code == 2:
                raise EngineError("durable_rules holds a fact with this id (please report this)")
            return self._firings(handle, state)
        except EngineError:
            raise
        except Exception as exc:  # durable_rules_engine.error
            raise EngineError(f"durable_rules failed: {exc}") from exc
        finally:
            try:
                _native.retract_facts(handle, _retraction(len(facts)))
            except Exception as exc:
                raise EngineError(f"durable_rules could not retract facts: {exc}") from exc

    def _firings(self, handle: int, state: int) -> list[str]:
        """Every firing waiting in ``state``, each action completed as it is handed out."""
        messages: list[str] = []
        try:
            result = _native.start_action_for_state(handle, state)
            if result is not None:
                messages.append(result[1])
                while (more := _native.complete_and_start_action(handle, state)) is not None:
                    messages.append(more)
        except Exception as exc:
            # An action handed out and not completed stays with the state, even once its
            # fact is retracted, and would come out with a later call's facts: nothing
            # this engine answers from now on could be trusted.
            self._broken = f"durable_rules failed while handing out firings ({exc}); rerun"
            raise EngineError(self._broken) from exc
        return messages


def rule_definition(rule: EngineRule) -> dict[str, Any]:
    """A rule as durable registers it: one fact ``m``, its condition behind the guard."""
    return {"all": [{"m": {"$and": [_GUARD, _durable_numbers(rule.condition)]}}]}


def _delete(handles: list[int]) -> None:
    for handle in handles:
        _native.delete_ruleset(handle)


def _refused(rules: list[EngineRule]) -> str:
    """Which rule durable refuses to register, tried one at a time (only after a failure)."""
    for rule in rules:
        text = json.dumps({"r0": rule_definition(rule)}, ensure_ascii=False)
        try:
            handle = _native.create_ruleset(f"check{next(_names)}", text)
        except Exception as exc:
            return f"rule {rule.id}: durable_rules refused its condition ({exc})"
        _native.delete_ruleset(handle)
    return ""
