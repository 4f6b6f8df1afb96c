"""Findings for people at a terminal, grouped by project, with file:line:col to click on.

Text from records and file names goes through :func:`~auditcheck.render.escape.log_line`:
no raw line break or control character reaches the terminal or a CI log.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby
from typing import Any

from jinja2 import Template

from auditcheck.findings import Finding
from auditcheck.render.escape import log_line
from auditcheck.templating import environment

_SEVERITY_STYLE = {
    "error": ("错误", "red"),
    "warning": ("警告", "yellow"),
    "info": ("提示", "blue"),
}
_STATUS = {"waived": "（已豁免）", "baselined": "（基线已有）"}


def text_template(style: Callable[..., str]) -> Template:
    """The group template with styling filters bound (``style`` is click.style or a no-op)."""
    env = environment().overlay()
    env.filters["style"] = lambda text, **kw: style(str(text), **kw)
    env.filters["severity"] = lambda s: style(
        _SEVERITY_STYLE[s][0], fg=_SEVERITY_STYLE[s][1], bold=True
    )
    env.filters["status"] = lambda s: style(_STATUS[s], dim=True)
    env.filters["line"] = lambda text: log_line(str(text))
    return env.get_template("text.j2")


def render_groups(template: Template, findings: list[Finding], show_waived: bool) -> str:
    """One block per project: its name and file, then each finding with its location."""
    shown = [f for f in findings if f.is_open or show_waived]
    groups: list[dict[str, Any]] = [
        {"file": file, "project": project or file, "findings": list(items)}
        for (file, project), items in groupby(shown, key=lambda f: (f.file, f.project))
    ]
    return template.render(groups=groups) if groups else ""
