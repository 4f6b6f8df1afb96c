"""Project configuration: ``auditcheck.toml`` or ``[tool.auditcheck]`` in ``pyproject.toml``.

Precedence is flags > ``AUDITCHECK_*`` environment > file > built-in default.
Click implements the first three levels itself: the file's values become the
commands' ``default_map``, which click consults after the command line and the
option's environment variable. Rule parameters are merged key by key instead,
so that ``--param a.x=1`` does not discard the file's ``b.y``.

Example ``auditcheck.toml``::

    fail-on = "warning"
    ignore = ["platform-not-used"]
    waivers = "waivers.yaml"
    baseline = "auditcheck-baseline.json"

    [params.low-execution-rate]
    threshold = 85
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CONFIG_FILE = "auditcheck.toml"
KEYS = {"fail-on", "select", "ignore", "rules", "params", "waivers", "baseline", "max-file-size"}
PATH_KEYS = {"rules": "rules_dir", "waivers": "waivers", "baseline": "baseline"}


class ConfigError(Exception):
    """The configuration file cannot be used; the message says where and why."""


@dataclass
class Config:
    """Settings read from a configuration file (empty when there is none)."""

    path: Path | None = None
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, dict[str, Any]]:
        """Rule id → parameter → value."""
        return self.values.get("params", {})

    def command_defaults(self) -> dict[str, Any]:
        """Option defaults for click's ``default_map`` (parameter names, not flags)."""
        out: dict[str, Any] = {}
        for key in sorted(KEYS - {"params"}):
            if key in self.values:
                value = self.values[key]
                if key in PATH_KEYS and self.path is not None:
                    # Paths in the file are relative to the file, not to where auditcheck runs.
                    value = str((self.path.parent / value).resolve())
                out[PATH_KEYS.get(key, key.replace("-", "_"))] = value
        return out


def _check(values: dict[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(values) - KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; known: {sorted(KEYS)}"
        )
    for key in ("select", "ignore"):
        if key in values and not isinstance(values[key], list):
            raise ConfigError(
                f"{where}: `{key}` must be a list of rule ids, categories or dimensions"
            )
    params = values.get("params", {})
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ConfigError(f"{where}: write parameters as [params.RULE-ID] tables")
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
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        if path.name == "pyproject.toml":
            data = data.get("tool", {}).get("auditcheck")
            if data is None and explicit:
                raise ConfigError(f"{path}: no [tool.auditcheck] table")
            if data is None:
                continue
        return Config(path=path, values=_check(data, str(path)))
    return Config()
