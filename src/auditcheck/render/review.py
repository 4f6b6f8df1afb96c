"""The review: one line per unit for the terminal, and the review sheet in Markdown or HTML.

The sheet has a section per unit, so that each can be sent to the unit it concerns
(in HTML each section starts a new printed page): what was checked, how many problems,
then each form with its findings — where, what, and on what ground (the rule's 依据).
Every value from a record is escaped for the format (Markdown table cells, HTML).
"""

from __future__ import annotations

from pathlib import Path

from auditcheck.draft.prose import cn_number
from auditcheck.output import atomic_path
from auditcheck.render.escape import log_line
from auditcheck.render.markdown import SEVERITY_WORDS, cell
from auditcheck.review import Review, ReviewedUnit, Reviewing
from auditcheck.templating import environment


def _counts(unit: ReviewedUnit) -> str:
    c = unit.counts()
    return f"（错误 {c['error']}，警告 {c['warning']}，提示 {c['info']}）"


def summary_lines(review: Review) -> list[str]:
    """自评抽查复核：N 个单位、M 份表格 … then a line per unit."""
    forms = sum(len(u.forms) for u in review.units)
    total = ReviewedUnit("", [f for u in review.units for f in u.forms])
    found = sum(total.counts().values())
    head = f"自评抽查复核：{len(review.units)} 个单位、{forms} 份表格"
    lines = [f"{head}，发现问题 {found} 项{_counts(total)}。"]
    for unit in review.units:
        problems = sum(unit.counts().values())
        lines.append(f"  {unit.name}：表格 {len(unit.forms)} 份，问题 {problems} 项{_counts(unit)}")
    return [log_line(line) for line in lines]


def _context(review: Review) -> dict[str, object]:
    return {"review": review, "cn_number": cn_number, "file_name": lambda p: Path(p).name}


def render_review_markdown(review: Review) -> str:
    """Markdown: a section per unit, a table of findings per form."""
    env = environment().overlay()
    env.filters.update(cell=cell, severity=SEVERITY_WORDS.__getitem__)
    return env.get_template("review.md.j2").render(_context(review)).rstrip() + "\n"


def render_review_html(review: Review) -> str:
    """One self-contained page; each unit's section starts a printed page."""
    env = environment().overlay(autoescape=True)
    env.filters.update(severity=SEVERITY_WORDS.__getitem__)
    return env.get_template("review.html.j2").render(_context(review)).rstrip() + "\n"


def write_review_sheet(review: Review, path: Path) -> None:
    """The sheet at ``path`` (its suffix picks the format), written whole or not at all."""
    render = render_review_html if path.suffix == ".html" else render_review_markdown
    with atomic_path(path) as temp:
        temp.write_text(render(review), encoding="utf-8")


def finish_review(reviewing: Reviewing, sheet: Path | None) -> list[str]:
    """End a reviewing run: the sheet written when asked for, and the lines to print."""
    review = reviewing.finish()
    if sheet is not None:
        write_review_sheet(review, sheet)
    return [*summary_lines(review), *([f"wrote {sheet}"] if sheet else [])]
