"""A Markdown table of findings, for pull-request comments."""

from __future__ import annotations

from auditcheck.check import RunResult
from auditcheck.render.escape import markdown_text
from auditcheck.render.summary import summary_line
from auditcheck.templating import environment

SEVERITY_WORDS = {"error": "错误", "warning": "警告", "info": "提示"}
_STATUS = {"waived": "已豁免", "baselined": "基线已有"}


def cell(text: str) -> str:
    """Safe inside a table cell: no line break, no live link, image or HTML (pipes escaped too)."""
    return markdown_text(text)


def render_markdown(result: RunResult, show_waived: bool = False) -> str:
    """The summary line and a table of findings (suppressed ones only with ``show_waived``)."""
    env = environment().overlay()
    env.filters.update(cell=cell, severity=SEVERITY_WORDS.__getitem__, status=_STATUS.__getitem__)
    findings = [f for f in result.findings if f.is_open or show_waived]
    text = env.get_template("markdown.j2").render(findings=findings, summary=summary_line(result))
    return text.rstrip() + "\n"
