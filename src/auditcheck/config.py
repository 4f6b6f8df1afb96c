"""Settings: ``auditcheck.toml`` (or ``[tool.auditcheck]``), flags, and the rulebook in force.

Precedence is flags > ``AUDITCHECK_*`` environment > file > built-in default.
Click implements the first three levels for plain settings: the file's values
become the commands' ``default_map``, which click consults after the command
line and the option's environment variable. Rule parameters are merged key by
key instead, so that ``--param a.x=1`` does not discard the file's ``b.y``, and
each value is checked against the type of the parameter's default. Severity
overrides (like yamllint's ``level:``) name a rule, a tag (``tag:self-evaluation``),
a category or a dimension; the most specific wins.

Every value is checked here, and an error names the file and the key (or the
flag) it came from: ``threshold = true``, ``"90"`` or ``nan`` is
refused, not read as 1, as 90 or as "never fires"; grade bands given as the grade
rule's parameters are checked as ``batch.yaml``'s ``grade_bands`` are.

Example ``auditcheck.toml``::

    fail-on = "warning"
    ignore = ["platform-not-used"]
    waivers = "waivers.yaml"
    baseline = "auditcheck-baseline.json"

    [params.low-execution-rate]
    threshold = 85

    [severity]
    data-consistency = "warning"        # a category: every rule in it
    figure-stated-twice-differs = "info"  # a rule: wins over its category

``preset = "sichuan"`` names a set of parameters and rules left out for a kind
of form (:data:`PRESETS`); the file's own parameters and ``--param`` win over it.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from pydantic import ValidationError

from auditcheck.engine import MAX_NUMBER
from auditcheck.formulas import GRADE_RULE
from auditcheck.records.model import GradeBands
from auditcheck.rulebook.load import Rulebook, load_rulebook, select_rules, unknown_name
from auditcheck.rulebook.schema import SEVERITY_RANK, CompiledRule

CONFIG_FILE = "auditcheck.toml"
LEVELS = tuple(SEVERITY_RANK)


class ConfigError(Exception):
    """A setting cannot be used; the message says where it came from and what to write."""


def _level(value: Any) -> Any:
    if value not in LEVELS:
        raise ValueError(f"must be one of {', '.join(LEVELS)}")
    return value


def _names(value: Any) -> Any:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of rule ids, tags (tag:NAME), categories or dimensions")
    return value


def _path(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise ValueError("must be a path, in quotes")
    return value


def _size(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number of megabytes")
    if not 0 < value < 1e6:
        raise ValueError("must be more than 0 and less than a million megabytes")
    return float(value)


class Megabytes(click.ParamType):
    """``--max-file-size`` (or its variable): a size checked as the file's ``max-file-size`` is."""

    name = "megabytes"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """A number of megabytes, more than 0 and less than a million (not inf, not nan)."""
        try:
            return _size(float(value))
        except (TypeError, ValueError) as exc:
            reason = str(exc) if "megabytes" in str(exc) else "must be a number of megabytes"
            self.fail(f"{reason}, got {value!r}", param, ctx)


class GivenPath(click.Path):
    """A path on the command line; an empty one (an unset variable in a CI script) is a usage
    error, never the current folder."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        """The path, or a usage error if it is empty."""
        if value == "":
            self.fail("an empty path (an unset variable?); name a file or a folder", param, ctx)
        return super().convert(value, param, ctx)


def _jobs(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 64:
        raise ValueError("must be a whole number of processes, from 1 to 64")
    return value


# Key in the file → (the option it sets, how its value is checked).
SETTINGS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "fail-on": ("fail_on", _level),
    "select": ("select", _names),
    "ignore": ("ignore", _names),
    "rules": ("rules_dir", _path),
    "waivers": ("waivers", _path),
    "baseline": ("baseline", _path),
    "max-file-size": ("max_file_size", _size),
    "jobs": ("jobs", _jobs),
}
PATH_KEYS = {"rules", "waivers", "baseline"}
KEYS = {*SETTINGS, "params", "severity", "preset"}


@dataclass(frozen=True)
class Preset:
    """Settings for a kind of form, by name: parameter values and rules left out."""

    doc: str
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()


PRESETS: dict[str, Preset] = {
    # 四川 provincial 自评表 (报表编号 510000_0013zp): 预算执行情况 10 分 + 绩效指标 90 分, the 90
    # split among the 一级指标 by the unit. County forms in 四川 print the national 50/30/10/10.
    "sichuan": Preset(
        "四川省级自评表（510000_0013zp）：预算执行10分、绩效指标90分，一级指标之间不设固定分值",
        {
            "execution-weight-not-standard": {"standard": 10},
            "weights-do-not-add-up": {"total": 100},
        },
        ("first-level-weights-not-standard",),
    ),
}


@dataclass(frozen=True)
class ParamValue:
    """A parameter value given for a rule, and where it was given (for error messages)."""

    rule: str
    name: str
    value: Any
    source: str
    from_text: bool = False  # a --param flag: text, read by the type of the parameter


@dataclass
class Config:
    """Settings read from a configuration file (empty when there is none)."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, dict[str, Any]]:
        """Rule id → parameter → value."""
        return self.values.get("params", {})

    def param_values(self) -> list[ParamValue]:
        """The file's parameter values, each with its key."""
        return [
            ParamValue(rule, name, value, f"{self.path}: params.{rule}.{name}")
            for rule, values in self.params.items()
            for name, value in values.items()
        ]

    def preset(self) -> tuple[str, Preset] | None:
        """The preset the file names, if any."""
        name = self.values.get("preset")
        return None if name is None else (name, PRESETS[name])

    def severity(self) -> tuple[tuple[str, str, str], ...]:
        """(rule, category or dimension, level, where it is set) for each severity override."""
        table = self.values.get("severity", {})
        return tuple(
            (name, level, f"{self.path}: severity.{name}") for name, level in table.items()
        )

    def command_defaults(self) -> dict[str, Any]:
        """Option defaults for click's ``default_map`` (parameter names, not flags)."""
        out: dict[str, Any] = {}
        for key, (option, _) in SETTINGS.items():
            if key in self.values:
                value = self.values[key]
                if key in PATH_KEYS and self.path is not None:
                    # Paths in the file are relative to the file, not to where auditcheck runs.
                    value = str((self.path.parent / value).resolve())
                out[option] = value
        return out


def _scalar(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return isinstance(value, bool | int | str)


def _check(values: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(values) - KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(KEYS))}"
        )
    for key, (_, check) in SETTINGS.items():
        if key in values:
            try:
                values[key] = check(values[key])
            except ValueError as exc:
                raise ConfigError(f"{where}: `{key}` {exc}, got {values[key]!r}") from None
    params = values.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ConfigError(f"{where}: write parameters as [params.RULE-ID] tables")
    for rule, table in params.items():
        for name, value in table.items():
            if not _scalar(value):
                raise ConfigError(
                    f"{where}: `params.{rule}.{name}` must be a finite number, true/false "
                    f"or text, got {value!r}"
                )
    if "preset" in values and values["preset"] not in PRESETS:
        known = ", ".join(PRESETS)
        raise ConfigError(f"{where}: `preset` must be one of {known}, got {values['preset']!r}")
    severity = values.get("severity", {})
    if not isinstance(severity, dict):
        raise ConfigError(f'{where}: write severities as a [severity] table: RULE-ID = "error"')
    for name, level in severity.items():
        if level not in LEVELS:
            raise ConfigError(
                f"{where}: `severity.{name}` must be one of {', '.join(LEVELS)}, got {level!r}"
            )
    return values


def load_config(explicit: Path | None = None, start: Path | None = None) -> Config:
    """The configuration in force: ``explicit``, else the first file found in ``start``."""
    folder = start or Path.cwd()
    candidates = [explicit] if explicit else [folder / CONFIG_FILE, folder / "pyproject.toml"]
    for path in candidates:
        if path is None or not path.is_file():
            if explicit:
                raise ConfigError(f"{explicit}: no such configuration file")
            continue
        try:
            # TOML is UTF-8; a BOM, which Windows editors add, is allowed.
            data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML (UTF-8): {exc}") from None
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("auditcheck")
            if data is None and explicit:
                raise ConfigError(f"{path}: no [tool.auditcheck] table")
            if data is None:
                continue
            if not isinstance(data, dict):
                raise ConfigError(f"{path}: [tool.auditcheck] must be a table")
        return Config(path=path, values=_check(data, str(path)))
    return Config()


def param_flags(items: Iterable[str]) -> list[ParamValue]:
    """``--param RULE.PARAM=VALUE`` values (text: typed against the parameter when settled)."""
    out = []
    for item in items:
        key, sep, value = item.partition("=")
        rule, dot, name = key.strip().partition(".")
        if not sep or not dot or not rule or not name:
            raise ConfigError(
                f"--param {item!r}: write it as RULE.PARAM=VALUE, "
                "e.g. low-execution-rate.threshold=85"
            )
        out.append(ParamValue(rule, name, value.strip(), f"--param {item}", from_text=True))
    return out


def _typed(given: ParamValue, default: Any) -> Any:
    value = given.value
    # "90" in a file: text where the parameter is a number (or true/false)
    if isinstance(value, str) and not given.from_text and isinstance(default, bool | int | float):
        raise ConfigError(
            f"{given.source}: must be {_KIND[type(default)]}, not text; "
            f"write it without quotes, got {value!r}"
        )
    if isinstance(default, bool):
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{given.source}: must be true or false, got {value!r}")
    if isinstance(default, int | float):
        number: Any = value
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = None
        if (
            isinstance(number, bool)
            or not isinstance(number, int | float)
            or not math.isfinite(number)
            or abs(number) > MAX_NUMBER
        ):
            raise ConfigError(
                f"{given.source}: must be a finite number (at most {MAX_NUMBER:g}), got {value!r}"
            )
        return number
    if not isinstance(value, str):
        raise ConfigError(f"{given.source}: must be text, got {value!r}")
    return value


_KIND = {bool: "true or false", int: "a number", float: "a number"}


def settle(rules: Iterable[CompiledRule], given: Iterable[ParamValue]) -> dict[str, dict[str, Any]]:
    """Rule id → parameter → value, each checked against its declared default; later wins."""
    declared = {r.id: r.rule.params for r in rules}
    out: dict[str, dict[str, Any]] = {}
    given = list(given)
    for item in given:
        params = declared.get(item.rule)
        if params is None:
            raise ConfigError(f"{item.source}: no rule '{item.rule}'; see `auditcheck rules list`")
        if item.name not in params:
            known = ", ".join(params) or "none"
            raise ConfigError(
                f"{item.source}: rule '{item.rule}' has no parameter '{item.name}' (has: {known})"
            )
        out.setdefault(item.rule, {})[item.name] = _typed(item, params[item.name].default)
    if GRADE_RULE in out:
        _check_bands(declared[GRADE_RULE], out[GRADE_RULE], given)
    return out


def _table(given: ParamValue) -> str:
    """Where a parameter was set, naming the table rather than each key in it."""
    return given.source if given.from_text else given.source.removesuffix(f".{given.name}")


def _check_bands(declared: dict[str, Any], values: dict[str, Any], given: list[ParamValue]) -> None:
    """Grade bands set as the grade rule's parameters fall as batch.yaml's must (one check)."""
    names = ("excellent", "good", "passing")
    if not set(names) <= set(declared):
        return
    bands = {name: values.get(name, declared[name].default) for name in names}
    try:
        GradeBands.model_validate(bands)
    except ValidationError as exc:
        where = " and ".join(dict.fromkeys(_table(g) for g in given if g.rule == GRADE_RULE))
        problems = [
            "".join(f"{part}: " for part in e["loc"]) + e["msg"].removeprefix("Value error, ")
            for e in exc.errors()
        ]
        shown = ", ".join(f"{name} {value!r}" for name, value in bands.items())
        raise ConfigError(f"{where}: {'; '.join(problems)} (got {shown})") from None


@dataclass(frozen=True)
class RulebookSpec:
    """Which rulebook a run uses, as data: rebuilt the same way in every worker process."""

    folder: Path
    params: tuple[ParamValue, ...] = ()
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, str, str], ...] = ()
    only: tuple[str, ...] = ()  # a command's own selection (validate: the submission checks)
    selection: str = "--select/--ignore"  # where select and ignore came from, for errors

    def load(self) -> Rulebook:
        """The rulebook in force; raises RulebookError (rule files) or ConfigError (settings)."""
        book = load_rulebook(self.folder)
        if values := settle(book.all_rules, self.params):
            book = load_rulebook(self.folder, values)
        known = book.names()
        for name in (*self.select, *self.ignore):
            if name not in known:
                raise ConfigError(f"{self.selection}: {unknown_name(name)}")
        rules = [self._level(rule, known) for rule in book.all_rules]
        book.all_rules = rules
        book.rules = select_rules(rules, self.select, self.ignore)
        if self.only:
            book.rules = select_rules(book.rules, self.only, ())
        return book

    def _level(self, rule: CompiledRule, known: set[str]) -> CompiledRule:
        levels = {}
        for name, level, source in self.severity:
            if name not in known:
                raise ConfigError(f"{source}: {unknown_name(name)}")
            levels[name] = level
        level = next((levels[n] for n in rule.names if n in levels), rule.rule.severity)
        if level == rule.rule.severity:
            return rule
        return rule.model_copy(update={"rule": rule.rule.model_copy(update={"severity": level})})


def _split(given: Iterable[str]) -> tuple[str, ...]:
    return tuple(v.strip() for item in given for v in item.split(",") if v.strip())


def rulebook_spec(
    config: Config,
    folder: Path,
    flags: Iterable[str] = (),
    select: Iterable[str] = (),
    ignore: Iterable[str] = (),
    only: str = "",
    selection: str | None = None,
) -> RulebookSpec:
    """The rulebook the settings ask for: the preset's parameters, the file's, then ``--param``
    flags, key by key; ``select``/``ignore``/``only`` comma-separated, and the rules the preset
    leaves out. Raises ConfigError for a malformed flag."""
    preset: tuple[ParamValue, ...] = ()
    left_out: tuple[str, ...] = ()
    if chosen := config.preset():
        name, found = chosen
        preset = tuple(
            ParamValue(rule, key, value, f"{config.path}: preset {name} ({rule}.{key})")
            for rule, values in found.params.items()
            for key, value in values.items()
        )
        left_out = found.ignore
    params = (*preset, *config.param_values(), *param_flags(flags))
    where = selection or "--select/--ignore"
    ignored = (*_split(ignore), *left_out)
    return RulebookSpec(
        folder, params, _split(select), ignored, config.severity(), _split([only]), where
    )
