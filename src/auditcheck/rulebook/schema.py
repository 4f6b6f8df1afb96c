"""The rulebook's shapes: dimensions, categories (the report's headings) and rules."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from auditcheck.rulebook.condition import Compiled
from auditcheck.templating import fold_template, join_cjk
from auditcheck.vocabulary import KINDS

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$")]
Kind = Literal[tuple(KINDS)]  # type: ignore[valid-type]
TAG_PREFIX = "tag:"  # how --select, --ignore and severity overrides name a tag
# The parts of a rule's doc, each begun by its mark: what it checks, why, where it comes from.
DOC_PARTS = ("检查什么", "为什么重要", "依据")
_DOC_MARK = re.compile("(" + "|".join(DOC_PARTS) + ")：")


def _folded(value: str) -> str:
    # YAML's folded scalars (>-) join lines with a space; in Chinese text that space is noise.
    return join_cjk(value.strip())


def _unwrapped(text: str) -> str:
    """Lines wrapped by hand joined again: with nothing between Chinese text, else a space."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out = lines[0] if lines else ""
    for line in lines[1:]:
        out += join_cjk(f"{out[-1]} {line[0]}")[1:-1] + line
    return out


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Dimension(_Model):
    """A dimension of the evaluation (投入决策 …), with its section title in a draft."""

    id: Slug
    title: str
    section: str


class Category(_Model):
    """One heading of 「存在的问题及相关建议」: it owns the lead sentence and the suggestion."""

    id: Slug
    dimension: Slug
    title: str
    lead: str
    suggestion: str

    _fold = field_validator("title", "lead", "suggestion")(_folded)


class Tag(_Model):
    """A set of rules across categories (a rule pack): ``--select tag:self-evaluation``."""

    id: Slug
    title: str
    doc: str

    _fold = field_validator("title", "doc")(_folded)


class Param(_Model):
    """A threshold: its default and where that default comes from."""

    default: float | int | str | bool
    doc: str

    _fold = field_validator("doc")(_folded)


class Expect(_Model):
    """What a must-fire example expects: the field path a finding points at (as findings
    write it, ``targets[0].score``) and a fragment of its message."""

    field: str = Field(min_length=1)
    message: str = Field(min_length=1)


class Examples(_Model):
    """Record fragments the rule must fire on, and must stay quiet on.

    A must-fire fragment says what it expects under ``expect:`` (one mapping, or a list
    of them for several findings); its shape is checked here, its truth by ``rules test``.
    """

    fire: list[dict[str, Any]] = []
    quiet: list[dict[str, Any]] = []

    @field_validator("fire")
    @classmethod
    def _expectations(cls, fire: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for i, fragment in enumerate(fire):
            given = fragment.get("expect")
            for want in given if isinstance(given, list) else [given] if given else []:
                try:
                    Expect.model_validate(want)
                except ValidationError:
                    raise ValueError(
                        f"fire[{i}].expect: write {{field: …, message: …}}, the field path a "
                        "finding points at and a fragment of its message (or a list of them)"
                    ) from None
        return fire


class Rule(_Model):
    """A precise check: condition, severity, message and its own examples."""

    id: Slug
    category: Slug
    applies_to: list[Kind] = Field(min_length=1)  # type: ignore[valid-type]
    severity: Severity
    tags: list[Slug] = []  # rule packs it belongs to (declared in categories.yaml)
    summary: str
    params: dict[str, Param] = {}
    when: str | dict[Kind, str]  # type: ignore[valid-type]
    field: str | dict[Kind, str]  # type: ignore[valid-type]
    message: str
    doc: str
    examples: Examples = Examples()

    _fold = field_validator("summary")(_folded)
    _fold_message = field_validator("message")(fold_template)

    def condition_for(self, kind: str) -> str:
        """The condition text that applies to facts of ``kind``."""
        return self.when if isinstance(self.when, str) else self.when[kind]

    def field_for(self, kind: str) -> str:
        """The fact field a finding on ``kind`` points at."""
        return self.field if isinstance(self.field, str) else self.field[kind]

    def doc_parts(self) -> dict[str, str]:
        """The doc split at its marks (检查什么：… 为什么重要：… 依据：…), each part on one line;
        text before the first mark belongs to 检查什么."""
        pieces = _DOC_MARK.split(self.doc)
        parts = {DOC_PARTS[0]: pieces[0]} if pieces[0].strip() else {}
        for mark, text in zip(pieces[1::2], pieces[2::2], strict=True):
            parts[mark] = f"{parts[mark]}{text}" if mark in parts else text
        return {mark: _unwrapped(text) for mark, text in parts.items()}


class CompiledRule(BaseModel):
    """A rule with its parameter values settled and its condition compiled for each kind."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    rule: Rule
    category: Category
    dimension: Dimension
    params: dict[str, Any]
    conditions: dict[str, Compiled]  # fact kind → compiled condition
    message_names: frozenset[str]  # the names its message reads
    file: str
    line: int

    @property
    def id(self) -> str:
        """The rule's stable id."""
        return self.rule.id

    @property
    def names(self) -> tuple[str, ...]:
        """The names that select it, most specific first: its id, ``tag:`` its packs, its
        category, its dimension."""
        tags = (f"{TAG_PREFIX}{t}" for t in self.rule.tags)
        return (self.rule.id, *tags, self.category.id, self.dimension.id)
