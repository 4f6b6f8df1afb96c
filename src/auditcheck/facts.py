"""Records → facts: the flat values rules compare, built from the declared vocabulary.

Every field is declared once in :mod:`auditcheck.vocabulary` (type, meaning,
formula, where it comes from); this module only iterates the declarations. A
fact computes the fields rules read when it is built, and the rest only when a
message or an explanation needs them, so that a record costs what its rules use.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from auditcheck.locate import Document, PathKey
from auditcheck.records.load import LoadedRecord
from auditcheck.vocabulary import FIELDS, KINDS, ORDER, Context, FactField, Getter

_PLAIN = Context()


@dataclass(frozen=True)
class Plan:
    """Which fields of a kind to compute, arranged to be cheap: every value taken as stated
    is read in one ``attrgetter`` call, then each derived value is computed."""

    stated: tuple[str, ...]
    take: Callable[[Any], Any] | None
    derived: tuple[tuple[str, Getter], ...]

    @classmethod
    def of(cls, fields: Iterable[FactField]) -> Plan:
        """The plan for ``fields`` (declared fields of one kind)."""
        chosen = list(fields)
        stated = [f for f in chosen if f.attr]
        take = operator.attrgetter(*(f.attr for f in stated)) if stated else None  # type: ignore[misc]
        derived = tuple((f.name, f.get) for f in chosen if not f.attr)
        return cls(tuple(f.name for f in stated), take, derived)

    def values(self, item: Any, ctx: Context) -> dict[str, Any]:
        """The planned fields of ``item``."""
        values: dict[str, Any] = {}
        if self.take is not None:
            taken = self.take(item)
            if len(self.stated) == 1:
                values[self.stated[0]] = taken
            else:
                values = dict(zip(self.stated, taken, strict=True))
        for name, get in self.derived:
            values[name] = get(item, ctx)
        return values


@cache
def full_plan(kind: str) -> Plan:
    """The plan that computes every field of ``kind``."""
    return Plan.of(FIELDS[kind].values())


Wanted = Mapping[str, Plan]


@dataclass(slots=True, eq=False)
class Fact:
    """One thing rules look at: its kind, its record, its item and the values computed so far."""

    kind: str
    record: str
    path: PathKey  # the item's path in its record; () for the project and for cross-checks
    values: dict[str, Any]
    item: Any = None
    ctx: Context = _PLAIN
    owner: str = ""  # the sub-item a listed fact belongs to; empty at project level
    parent: PathKey = ()  # the path of what the item is listed under (the project or a sub-item)
    doc: Document | None = None  # where the fact's paths point, when not the record's own file

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


def make_fact(
    kind: str,
    record: str,
    item: Any,
    ctx: Context,
    plan: Plan | None = None,
    path: PathKey = (),
    owner: str = "",
    doc: Document | None = None,
) -> Fact:
    """A fact of ``kind`` about ``item``, with the fields of ``plan`` computed (all when None)."""
    values = (plan or full_plan(kind)).values(item, ctx)
    return Fact(kind, record, path, values, item, ctx, owner, path[:-2], doc)


def facts_of(record: LoadedRecord, ctx: Context, wanted: Wanted | None = None) -> Iterator[Fact]:
    """The record's facts: listed items first, then sub-items, then the project.

    ``wanted`` maps each kind to the plan of the fields to compute now; kinds it leaves
    out are not built at all. Without it every kind and every field is built.
    """
    project = record.project
    for name in ORDER:
        plan = wanted.get(name) if wanted is not None else None
        if wanted is not None and plan is None:
            continue
        for path, item, owner in KINDS[name].items(project):
            yield make_fact(name, project.id, item, ctx, plan, path, owner)
