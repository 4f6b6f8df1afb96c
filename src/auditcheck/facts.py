"""Records → facts: what rules look at, built from the declared vocabulary.

Every field is declared once in :mod:`auditcheck.vocabulary` (type, meaning,
formula, where it comes from); this module only iterates the declarations. A
fact holds its item and computes no value when it is built: the engine writes
the fields rules read straight from the item (:func:`sources` says how to read
each), and a message or an explanation computes the fields it shows, so that a
record costs what its rules use.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Any

from auditcheck.locate import Document, PathKey
from auditcheck.records.load import LoadedRecord
from auditcheck.vocabulary import FIELDS, KINDS, ORDER, Context, FactField

_PLAIN = Context()
Getter = Callable[[Any, Context], Any]
Source = str | Getter | tuple[str, Getter]


def sources(kind: str, names: Iterable[str]) -> list[tuple[str, Source]]:
    """How to read each of ``names`` (declared fields of ``kind``) from an item: the item's
    attribute for a value taken as stated, else the field's formula (item, context), with
    the attribute it needs first when it declares one (``(needs, formula)``)."""
    declared = FIELDS[kind]
    return [(name, _source(declared[name])) for name in names]


def _source(spec: FactField) -> Source:
    if spec.attr:
        return spec.attr
    return (spec.needs, spec.get) if spec.needs else spec.get


class Fact:
    """One thing rules look at: its kind, its record, its item and the values computed so far."""

    # A plain class: a record gives ten or more facts, and a dataclass's __init__ (calling the
    # default factory of ``values``) costs about a sixth more.
    __slots__ = ("ctx", "doc", "item", "kind", "owner", "path", "record", "values")

    def __init__(
        self,
        kind: str,
        record: str,
        path: PathKey,
        item: Any,
        ctx: Context = _PLAIN,
        owner: str = "",
        doc: Document | None = None,
    ) -> None:
        self.kind = kind
        self.record = record
        self.path = path  # the item's path in its record; () for the project and for cross-checks
        self.item = item
        self.ctx = ctx
        self.owner = owner  # the sub-item a listed fact belongs to; empty at project level
        self.doc = doc  # where the fact's paths point, when not the record's own file
        self.values: dict[str, Any] = {}  # computed so far; counts put here

    @property
    def parent(self) -> PathKey:
        """The path of what the item is listed under (the project or a sub-item)."""
        return self.path[:-2]

    @property
    def label(self) -> str:
        """What the fact is about, as messages name it (the item's name, else its sub-item)."""
        return KINDS[self.kind].label(self.item) or self.owner

    def all_values(self) -> dict[str, Any]:
        """Every declared field of the fact's kind (computing those not yet computed)."""
        return self.some_values(FIELDS[self.kind])

    def some_values(self, names: Iterable[str]) -> dict[str, Any]:
        """The values computed so far, with those of ``names`` (declared fields) added."""
        values = self.values
        declared = FIELDS[self.kind]
        for name in names:
            if name not in values and name in declared:
                values[name] = declared[name].get(self.item, self.ctx)
        return values

    def source(self, name: str) -> PathKey:
        """The record path a finding on ``name`` should point at."""
        spec = FIELDS[self.kind].get(name)
        return self.path if spec is None else (*self.path, *spec.where(self.item))


_ITEMS = tuple((name, KINDS[name].items) for name in ORDER)


def facts_of(
    record: LoadedRecord, ctx: Context, kinds: Collection[str] | None = None
) -> list[Fact]:
    """The record's facts: listed items first, then sub-items, then the project.

    Only facts of ``kinds`` are built (every kind when None); a kind's facts come
    one after another.
    """
    project = record.project
    rid = project.id
    facts: list[Fact] = []
    for name, items in _ITEMS:
        if kinds is None or name in kinds:
            for path, item, owner in items(project):
                facts.append(Fact(name, rid, path, item, ctx, owner))
    return facts
