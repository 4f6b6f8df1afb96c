"""Findings for people at a terminal, grouped by project, with file:line:col to click on."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

from auditcheck.check import RunResult
from auditcheck.render.summary import summary_line
from auditcheck.templating import environment

_SEVERITY_STYLE = {
    "error": ("错误", "red"),
    "warning": ("警告", "yellow"),
    "info": ("提示", "blue"),
}
_STATUS = {"waived": "（已豁免）", "baselined": "（基线已有）"}


def render_text(result: RunResult, style: Callable[..., str], show_waived: bool = False) -> str:
    """The text report; ``style`` is ``click.style`` or a no-op when colour is off."""
    shown = [f for f in result.findings if f.is_open or show_waived]
    groups: list[dict[str, Any]] = []
    ordered = sorted(shown, key=lambda f: (f.file, f.line, f.col, f.rule))
    for (file, project), items in groupby(ordered, key=lambda f: (f.file, f.project)):
        groups.append({"file": file, "project": project or file, "findings": list(items)})
    env = environment().overlay()
    env.filters["style"] = lambda text, **kw: style(str(text), **kw)
    env.filters["severity"] = lambda s: style(
        _SEVERITY_STYLE[s][0], fg=_SEVERITY_STYLE[s][1], bold=True
    )
    env.filters["status"] = lambda s: style(_STATUS[s], dim=True)
    template = env.get_template("text.j2")
    return template.render(groups=groups, summary=summary_line(result)).rstrip() + "\n"
