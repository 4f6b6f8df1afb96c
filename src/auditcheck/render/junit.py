"""JUnit XML: one test case per (rule, record), passing ones included, waived ones skipped.

ElementTree escapes markup; characters XML forbids altogether (\x01, \x0b,
U+FFFE, which a file name or a rule file may hold) are escaped by
:func:`~auditcheck.render.escape.xml_text` first, so any XML parser reads the file.
"""

from __future__ import annotations

from collections import defaultdict
from xml.etree import ElementTree as ET

from auditcheck.check import RunResult
from auditcheck.findings import Finding
from auditcheck.render.escape import xml_text as x
from auditcheck.rulebook.schema import CompiledRule


def _case(suite: ET.Element, rule: str, record: str, file: str, findings: list[Finding]) -> str:
    case = ET.SubElement(suite, "testcase", classname=x(rule), name=x(record), file=x(file))
    open_ = [f for f in findings if f.is_open]
    if open_:
        text = "\n".join(f"{f.location}: {f.message}" for f in open_)
        first = open_[0]
        failure = ET.SubElement(case, "failure", message=x(first.message), type=first.severity)
        failure.text = x(text)
        return "failure"
    if findings:
        reasons = "; ".join(f.justification or f.status for f in findings)
        ET.SubElement(case, "skipped", message=x(reasons))
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
        suite = ET.SubElement(root, "testsuite", name=x(rule_id))
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
