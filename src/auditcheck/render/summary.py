"""The one-line account of what a run looked at and found."""

from __future__ import annotations

from collections import Counter

from auditcheck.check import RunResult

SEVERITIES = ("error", "warning", "info")


def severity_counts(result: RunResult) -> dict[str, int]:
    """Open findings per severity, every severity present."""
    counts = Counter(f.severity for f in result.findings if f.is_open)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def status_counts(result: RunResult) -> dict[str, int]:
    """How many findings a waiver or the baseline suppressed."""
    counts = Counter(f.status for f in result.findings)
    return {"waived": counts.get("waived", 0), "baselined": counts.get("baselined", 0)}


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
