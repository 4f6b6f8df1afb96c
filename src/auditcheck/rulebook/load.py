"""rules/*.yaml → a checked, compiled rulebook. Every mistake is a located error.

``categories.yaml`` holds the dimensions, categories and tags (rule packs), ``topics.yaml`` the
observation topics records may name; every other YAML file in the folder holds
``rules:``, a list of rules. Parameter values may be
overridden (config file, ``--param``); conditions are compiled with the values
in force, so thresholds become constants in the engine's conditions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from auditcheck.engine import condition_problems
from auditcheck.locate import Document, LocatedError, read, validate
from auditcheck.rulebook.condition import ConditionError, compile_condition
from auditcheck.rulebook.schema import TAG_PREFIX, Category, CompiledRule, Dimension, Rule, Tag
from auditcheck.templating import compile_template, template_names
from auditcheck.vocabulary import FIELDS

CATEGORIES_FILE = "categories.yaml"
TOPICS_FILE = "topics.yaml"  # the observation topics records may name (see records/model.py)
# Names every message may use besides its kind's fields and its parameters (see check.py).
MESSAGE_NAMES = {"label", "project", "owner", "where", "kind"}


class RulebookError(Exception):
    """The rulebook could not be loaded; ``errors`` says where and why."""

    def __init__(self, errors: list[LocatedError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass
class Rulebook:
    """Dimensions and categories in report order, the tags, and the rules in force."""

    dimensions: dict[str, Dimension]
    categories: dict[str, Category]
    rules: list[CompiledRule]
    all_rules: list[CompiledRule] = field(default_factory=list)
    tags: dict[str, Tag] = field(default_factory=dict)

    def rule(self, rule_id: str) -> CompiledRule | None:
        """The rule with this id, selected or not."""
        return next((r for r in self.all_rules if r.id == rule_id), None)

    def names(self) -> set[str]:
        """Every name --select and --ignore accept: rule ids, categories, dimensions, tags."""
        tags = {f"{TAG_PREFIX}{t}" for t in self.tags}
        return {r.id for r in self.all_rules} | set(self.categories) | set(self.dimensions) | tags


def _read(path: Path) -> Document:
    try:
        return read(path)
    except LocatedError as exc:
        raise RulebookError([exc]) from None


Book = tuple[dict[str, Dimension], dict[str, Category], dict[str, Tag]]


def _load_categories(folder: Path) -> Book:
    path = folder / CATEGORIES_FILE
    if not path.is_file():
        raise RulebookError(
            [LocatedError(str(folder), 1, 1, "", f"no {CATEGORIES_FILE}; is this a rules folder?")]
        )
    doc = _read(path)
    data = doc.data if isinstance(doc.data, dict) else {}
    errors: list[LocatedError] = []
    dimensions: dict[str, Dimension] = {}
    categories: dict[str, Category] = {}
    tags: dict[str, Tag] = {}
    for key, model, target in (
        ("dimensions", Dimension, dimensions),
        ("categories", Category, categories),
        ("tags", Tag, tags),
    ):
        items = data.get(key, [] if key == "tags" else None)
        if not isinstance(items, list):
            errors.append(doc.error((key,), "expected a list"))
            continue
        for i, item in enumerate(items):
            value, errs = validate(model, doc.part((key, i), item))
            errors.extend(errs)
            if value is not None:
                target[value.id] = value
    for i, cat in enumerate(data.get("categories") or []):
        dim = cat.get("dimension") if isinstance(cat, dict) else None
        if dim is not None and dim not in dimensions:
            errors.append(doc.error(("categories", i, "dimension"), f"unknown dimension '{dim}'"))
    if errors:
        raise RulebookError(errors)
    return dimensions, categories, tags


def _settle_params(rule: Rule, overrides: Mapping[str, Any]) -> dict[str, Any]:
    values = {name: p.default for name, p in rule.params.items()}
    for name, value in overrides.items():
        if name not in values:
            known = ", ".join(values) or "none"
            raise ValueError(f"rule '{rule.id}' has no parameter '{name}' (it has: {known})")
        default = values[name]
        if isinstance(default, int | float) and not isinstance(default, bool):
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise ValueError(f"{rule.id}.{name} must be a number, got {value!r}") from None
        values[name] = value
    return values


def _compile_rule(
    rule: Rule,
    doc: Document,
    book: Book,
    overrides: Mapping[str, Any],
    line: int,
) -> CompiledRule:
    dimensions, categories, tags = book
    category = categories.get(rule.category)
    if category is None:
        raise doc.error(("category",), f"unknown category '{rule.category}'; see {CATEGORIES_FILE}")
    for i, tag in enumerate(rule.tags):
        if tag not in tags:
            known = ", ".join(tags) or "none"
            message = f"unknown tag '{tag}' (tags declared in {CATEGORIES_FILE}: {known})"
            raise doc.error(("tags", i), message)
    try:
        params = _settle_params(rule, overrides)
    except ValueError as exc:
        raise doc.error(("params",), str(exc)) from None
    conditions = {}
    for part in ("when", "field"):
        value = getattr(rule, part)
        if isinstance(value, dict) and set(value) != set(rule.applies_to):
            raise doc.error(
                (part,), f"give one entry for each kind in applies_to: {rule.applies_to}"
            )
    for kind in rule.applies_to:
        fields = FIELDS[kind]
        if rule.field_for(kind) not in fields:
            raise doc.error(("field",), f"`{rule.field_for(kind)}` is not a field of {kind} facts")
        for name in rule.params:
            if name in fields or name in MESSAGE_NAMES:
                raise doc.error(
                    ("params", name),
                    f"parameter `{name}` has the name of a field of {kind} facts; "
                    "rename the parameter (conditions and messages could not tell them apart)",
                )
        try:
            conditions[kind] = compile_condition(rule.condition_for(kind), kind, params)
        except ConditionError as exc:
            where = f"at character {exc.column} of the condition, fact kind {kind}"
            raise doc.error(("when",), f"{exc} ({where})") from None
        if problems := condition_problems(conditions[kind].json):
            message = f"the engine cannot hold this condition: {'; '.join(problems)}"
            raise doc.error(("when",), message)
    try:
        compile_template(rule.message)
        names = template_names(rule.message)
    except jinja2.TemplateSyntaxError as exc:
        raise doc.error(("message",), f"template syntax error: {exc.message}") from None
    known = set(params) | MESSAGE_NAMES | {f for kind in rule.applies_to for f in FIELDS[kind]}
    if unknown := sorted(names - known):
        raise doc.error(
            ("message",),
            f"the message uses unknown name(s) {', '.join(unknown)}; see `auditcheck rules fields`",
        )
    return CompiledRule(
        rule=rule,
        category=category,
        dimension=dimensions[category.dimension],
        params=params,
        conditions=conditions,
        message_names=names,
        file=doc.file,
        line=line,
    )


def load_rulebook(
    folder: Path,
    overrides: Mapping[str, Mapping[str, Any]] | None = None,
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> Rulebook:
    """Load, check and compile every rule in ``folder``; raise :class:`RulebookError` on mistakes.

    ``overrides`` maps rule id → parameter → value. ``select`` / ``ignore`` name
    rule ids, categories, dimensions or tags (``tag:self-evaluation``).
    """
    overrides = dict(overrides or {})
    book = _load_categories(folder)
    dimensions, categories, tags = book
    errors: list[LocatedError] = []
    compiled: list[CompiledRule] = []
    seen: dict[str, str] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name in (CATEGORIES_FILE, TOPICS_FILE):
            continue
        doc = _read(path)
        items = doc.data.get("rules") if isinstance(doc.data, dict) else None
        if not isinstance(items, list):
            errors.append(
                LocatedError(doc.file, 1, 1, "rules", "expected `rules:` with a list of rules")
            )
            continue
        for i, item in enumerate(items):
            sub = doc.part(("rules", i), item)
            rule, errs = validate(Rule, sub)
            if errs:
                errors.extend(errs)
                continue
            if rule.id in seen:
                errors.append(
                    sub.error(("id",), f"rule id '{rule.id}' is also defined in {seen[rule.id]}")
                )
                continue
            seen[rule.id] = doc.file
            try:
                line = sub.position(()).line
                compiled.append(_compile_rule(rule, sub, book, overrides.get(rule.id, {}), line))
            except LocatedError as exc:
                errors.append(exc)
    unknown = sorted(set(overrides) - set(seen))
    errors.extend(
        LocatedError(str(folder), 1, 1, "params", f"no rule '{rid}' to set parameters for")
        for rid in unknown
    )
    if errors:
        raise RulebookError(errors)
    order = {cid: i for i, cid in enumerate(categories)}
    compiled.sort(key=lambda r: (order[r.category.id], r.file, r.line))
    rulebook = Rulebook(dimensions, categories, compiled, compiled, tags)
    if unknown := sorted({*select, *ignore} - rulebook.names()):
        raise RulebookError(
            [LocatedError("--select/--ignore", 1, 1, "", unknown_name(u)) for u in unknown]
        )
    rulebook.rules = select_rules(compiled, select, ignore)
    return rulebook


def unknown_name(name: str) -> str:
    """The message for a selection name no rule answers to."""
    return f"no rule, category, dimension or tag '{name}' (a tag is written tag:NAME)"


def select_rules(
    rules: list[CompiledRule], select: Iterable[str], ignore: Iterable[str]
) -> list[CompiledRule]:
    """Rules named (by id, tag, category or dimension) in ``select`` (all if empty), less
    ``ignore``. Names are checked against :meth:`Rulebook.names` by the caller."""
    select, ignore = set(select), set(ignore)
    return [
        r
        for r in rules
        if (not select or select.intersection(r.names)) and not ignore.intersection(r.names)
    ]
