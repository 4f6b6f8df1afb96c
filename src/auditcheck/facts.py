"""Records → facts: the flat values rules compare, built from the declared vocabulary.

Every field is declared once in :mod:`auditcheck.vocabulary` (type, meaning,
formula, where it comes from); this module only iterates the declarations. A
fact computes the fields rules read when it is built, and the rest only when a
message or an explanation needs them, so that a record costs what its rules use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from auditcheck.locate import Document, PathKey
from auditcheck.records.load import LoadedRecord
from auditcheck.vocabulary import FIELDS, KINDS, ORDER, Context, FactField

Wanted = Mapping[str, Sequence[FactField]]
_PLAIN = Context()


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
    fields: Sequence[FactField] | None = None,
    path: PathKey = (),
    owner: str = "",
    doc: Document | None = None,
) -> Fact:
    """A fact of ``kind`` about ``item``, with ``fields`` computed (all when None)."""
    chosen = KINDS[kind].fields.values() if fields is None else fields
    values = {
        spec.name: getattr(item, spec.attr) if spec.attr else spec.get(item, ctx) for spec in chosen
    }
    return Fact(kind, record, path, values, item, ctx, owner, path[:-2], doc)


def facts_of(record: LoadedRecord, ctx: Context, wanted: Wanted | None = None) -> Iterator[Fact]:
    """The record's facts: listed items first, then sub-items, then the project.

    ``wanted`` maps each kind to the fields to compute now; kinds it leaves out are
    not built at all. Without it every kind and every field is built.
    """
    project = record.project
    for name in ORDER:
        fields = wanted.get(name) if wanted is not None else None
        if wanted is not None and fields is None:
            continue
        for path, item, owner in KINDS[name].items(project):
            yield make_fact(name, project.id, item, ctx, fields, path, owner)
