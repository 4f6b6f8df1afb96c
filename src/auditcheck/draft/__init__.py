"""Findings and records → the draft evaluation report, as plain data.

The draft follows the shape of the reports evaluators send: 一、工作情况 (the
round, the table of projects, purpose, basis, process and 评价结论), 二、项目的基本情况
(one part per project, with a chart of execution rates), 三、存在的问题及相关建议 (per
dimension and heading, numbered examples and the suggestion tied to them), 四、结果应用
及整改要求, and two appendices (the findings per project, the indicators). Every
example keeps the findings behind it, so each claim can be traced to a rule, a
file and a line. ``render/report_*`` turn the draft into Word, Markdown or HTML.
"""

from __future__ import annotations

from auditcheck.draft.model import (
    Bar,
    CategoryPart,
    DimensionPart,
    Draft,
    Example,
    ExecutionChart,
    FindingRow,
    Part,
    ProjectInfo,
    TargetRow,
)
from auditcheck.draft.problems import problem_parts, problems_intro
from auditcheck.draft.projects import execution_chart, project_parts, target_rows
from auditcheck.draft.prose import cn_number, distinct_units, percent
from auditcheck.draft.summary import application_parts, intro, work_parts
from auditcheck.findings import Finding
from auditcheck.records.model import Batch
from auditcheck.rulebook.load import Rulebook

DRAFT_MARK = "（初稿）"  # ends the title
SECTIONS = ("summary", "projects", "problems", "application", "appendices")
LOW_EXECUTION_RULE = "low-execution-rate"

__all__ = [
    "DRAFT_MARK",
    "SECTIONS",
    "Bar",
    "CategoryPart",
    "DimensionPart",
    "Draft",
    "Example",
    "ExecutionChart",
    "FindingRow",
    "Part",
    "ProjectInfo",
    "TargetRow",
    "build_draft",
    "cn_number",
]


def _threshold(rulebook: Rulebook) -> float | None:
    """The execution-rate threshold in force, when the rule that uses it is selected."""
    if not any(r.id == LOW_EXECUTION_RULE for r in rulebook.rules):
        return None
    rule = rulebook.rule(LOW_EXECUTION_RULE)
    value = rule.params.get("threshold") if rule else None
    return float(value) if isinstance(value, int | float) else None


def _projects_intro(chart: ExecutionChart | None) -> str:
    text = "各项目的实施内容、资金使用和产出情况如下。"
    if chart is None:
        return text
    text += "各项目及子项目的预算执行率见图1"
    below = chart.below()
    if chart.threshold is not None:
        text += f"，虚线为{percent(chart.threshold)}"
        text += f"，低于该线的{len(below)}个以深色标出" if below else "，均未低于该线"
    return text + "。"


def _table_order(batch: Batch | None, projects: list[ProjectInfo]) -> list[ProjectInfo]:
    """The batch table's order where it lists a project, then file order."""
    listed = {row.project: i for i, row in enumerate(batch.table)} if batch else {}
    ranked = sorted(enumerate(projects), key=lambda ip: (listed.get(ip[1].id, len(listed)), ip[0]))
    return [p for _, p in ranked]


def build_draft(
    batch: Batch | None,
    projects: list[ProjectInfo],
    findings: list[Finding],
    rulebook: Rulebook,
    sections: tuple[str, ...] = SECTIONS,
    with_consistency: bool = False,
) -> Draft:
    """Assemble the draft; waived and baselined findings are left out."""
    ordered = _table_order(batch, projects)
    title = (batch.title if batch and batch.title else "绩效评价报告") + DRAFT_MARK
    draft = Draft(title=title, sections=sections)
    draft.project_names = {p.id: p.short for p in ordered}
    open_findings = [f for f in findings if f.is_open]
    problems, rows = problem_parts(open_findings, ordered, rulebook, with_consistency)
    chart = execution_chart(ordered, _threshold(rulebook))
    if "summary" in sections:
        draft.intro = intro(batch, ordered)
        draft.table = [
            (i, "、".join(distinct_units(p.units)), p.project.name, f"{p.amount or 0:.2f}", p.id)
            for i, p in enumerate(ordered, 1)
        ]
        draft.table_total = f"{sum(p.amount or 0 for p in ordered):.2f}"
        draft.work = work_parts(batch, ordered, rulebook, problems)
    if "projects" in sections:
        year = batch.fiscal_year if batch else None
        draft.projects_intro = _projects_intro(chart)
        draft.chart = chart
        draft.projects = project_parts(ordered, year, batch.data_date if batch else None)
    if "problems" in sections:
        draft.problems_intro = problems_intro(problems, len(ordered))
        draft.problems = problems
    if "application" in sections:
        draft.application = application_parts(ordered, problems, chart)
    if "appendices" in sections:
        draft.finding_rows = rows
        draft.target_rows = target_rows(ordered)
    return draft
