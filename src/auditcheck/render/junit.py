"""JUnit XML: one test case per (rule, record), passing ones included, waived ones skipped."""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from auditcheck.check import RunResult
from auditcheck.findings import Finding
from auditcheck.rulebook.schema import CompiledRule


def _case(suite: ET.Element, rule: str, record: str, file: str, findings: list[Finding]) -> str:
    case = ET.SubElement(suite, "testcase", classname=rule, name=record, file=file)
    open_ = [f for f in findings if f.is_open]
    if open_:
        text = "\n".join(f"{f.file}:{f.line}:{f.col}: {f.message}" for f in open_)
        failure = ET.SubElement(case, "failure", message=open_[0].message, type=open_[0].severity)
        failure.text = text
        return "failure"
    if findings:
        reasons = "; ".join(f.justification or f.status for f in findings)
        ET.SubElement(case, "skipped", message=reasons)
        return "skipped"
    return "pass"


def render_junit(result: RunResult, rules: list[CompiledRule]) -> str:
    """The XML document; counts on every suite and on the root."""
    by_case: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    files = dict(result.checked)
    for f in result.findings:
        by_case[(f.rule, f.record)].append(f)
        files.setdefault(f.record, f.file)
    records = [rid for rid, _ in result.checked]
    extra_rules = sorted({rule for rule, _ in by_case} - {r.id for r in rules})
    root = ET.Element("testsuites", name="auditcheck")
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for rule_id in [r.id for r in rules] + extra_rules:
        suite = ET.SubElement(root, "testsuite", name=rule_id)
        ids = records + sorted({rec for (rule, rec) in by_case if rule == rule_id} - set(records))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        for record in ids:
            outcome = _case(
                suite, rule_id, record, files.get(record, ""), by_case.get((rule_id, record), [])
            )
            counts["tests"] += 1
            if outcome == "failure":
                counts["failures"] += 1
            elif outcome == "skipped":
                counts["skipped"] += 1
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", str(len(result.errors)))
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
