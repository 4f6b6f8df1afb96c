"""The draft report as Markdown or HTML, from the Jinja2 templates."""

from __future__ import annotations

from auditcheck.draft import Draft, Example
from auditcheck.render.chart import chart_svg
from auditcheck.render.escape import markdown_text
from auditcheck.templating import environment


def _context(draft: Draft) -> dict[str, object]:
    traces = draft.traces()
    notes = {f.fingerprint: i for i, (_, f) in enumerate(traces, 1)}

    def marks(example: Example) -> str:
        return "".join(f"[^{notes[f.fingerprint]}]" for f in example.findings)

    return {"draft": draft, "traces": traces, "notes": notes, "marks": marks}


def render_report_markdown(draft: Draft) -> str:
    """Markdown: headings, pipe tables, and a footnote tracing each claim to its rule. Text
    from records is escaped as everywhere in Markdown output: no live link, image, HTML or
    emphasis, and unprintable characters shown as escapes."""
    env = environment().overlay()
    env.filters.update(md=markdown_text)
    return env.get_template("report.md.j2").render(_context(draft)).rstrip() + "\n"


def render_report_html(draft: Draft) -> str:
    """One self-contained page: every value from the records is escaped, nothing is fetched."""
    env = environment().overlay(autoescape=True)
    context = _context(draft)
    context["chart_svg"] = chart_svg(draft.chart) if draft.chart else ""
    return env.get_template("report.html.j2").render(context).rstrip() + "\n"
