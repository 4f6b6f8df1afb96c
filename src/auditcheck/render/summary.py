"""The account of what a run looked at and found: one line, plus more for large runs."""

from __future__ import annotations

from auditcheck.check import RunResult
from auditcheck.render.escape import log_line

SEVERITIES = ("error", "warning", "info")
LARGE_RUN = 50  # records; from here on the text summary adds categories and top projects


def severity_counts(result: RunResult) -> dict[str, int]:
    """Open findings per severity, every severity present."""
    return {s: result.tally.open.get(s, 0) for s in SEVERITIES}


def status_counts(result: RunResult) -> dict[str, int]:
    """How many findings a waiver or the baseline suppressed."""
    return {k: result.tally.status.get(k, 0) for k in ("waived", "baselined")}


def summary_line(result: RunResult) -> str:
    """E.g. 共检查 9 个项目记录、71 条事实、4 条规则；发现问题 8 项（错误 0，警告 8）。

    Always printed, so a run that looked at nothing can never pass for a clean one.
    """
    c = severity_counts(result)
    s = status_counts(result)
    line = (
        f"共检查 {result.records} 个项目记录、{result.facts} 条事实、{result.rules} 条规则；"
        f"发现问题 {sum(c.values())} 项"
        f"（错误 {c['error']}，警告 {c['warning']}，提示 {c['info']}）"
    )
    if s["waived"] or s["baselined"]:
        line += f"；另有已豁免 {s['waived']} 项、基线已有 {s['baselined']} 项未计入"
    if result.errors:
        line += f"；输入或规则错误 {len(result.errors)} 处，见上方"
    return line + "。"


def large_run_lines(result: RunResult, titles: dict[str, str]) -> list[str]:
    """Counts by category and the projects with most findings, for runs too long to read."""
    if result.records < LARGE_RUN or not result.tally.categories:
        return []
    counts = result.tally.categories.most_common()
    categories = "，".join(f"{titles.get(c, c)} {n}" for c, n in counts)
    lines = [log_line(f"按类别：{categories}。"), "问题最多的项目："]
    top = result.tally.top_records()
    lines += [log_line(f"  {n:>4}  {record}  {project}") for record, project, n in top]
    return lines
