"""The draft report as Markdown or HTML, from the Jinja2 templates."""

from __future__ import annotations

import html

from auditcheck.draft import Draft
from auditcheck.render.markdown import cell
from auditcheck.templating import environment


def _context(draft: Draft) -> dict[str, object]:
    traces = draft.traces()
    notes = {f.fingerprint: i for i, (_, f) in enumerate(traces, 1)}
    return {"draft": draft, "traces": traces, "notes": notes}


def render_report_markdown(draft: Draft) -> str:
    """Markdown: headings, a pipe table, and a footnote tracing each claim to its rule."""
    env = environment().overlay()
    env.filters.update(cell=cell, md=lambda text: html.escape(str(text)))
    return env.get_template("report.md.j2").render(_context(draft)).rstrip() + "\n"


def render_report_html(draft: Draft) -> str:
    """A standalone HTML page; every value from the records is escaped."""
    env = environment().overlay(autoescape=True)
    return env.get_template("report.html.j2").render(_context(draft)).rstrip() + "\n"
