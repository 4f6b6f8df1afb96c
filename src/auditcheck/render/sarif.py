"""SARIF 2.1.0 for code-scanning dashboards: every rule in tool.driver.rules, located results.

Every string is passed through :func:`~auditcheck.render.escape.xml_text`: SARIF
viewers show it in HTML and XML, where \x01 or U+FFFE would break the page.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from auditcheck import __version__
from auditcheck.check import RunResult
from auditcheck.findings import Finding
from auditcheck.locate import LocatedError
from auditcheck.render.escape import xml_text
from auditcheck.rulebook.schema import CompiledRule
from auditcheck.templating import join_cjk
from auditcheck.waivers import WAIVER_RULES

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def _uri(path: str) -> str:
    return quote(path.replace("\\", "/"))


def _rule(rule: CompiledRule) -> dict[str, Any]:
    r = rule.rule
    doc = join_cjk(r.doc.strip())
    params = "".join(f"\n- {name} = {rule.params[name]}：{p.doc}" for name, p in r.params.items())
    return {
        "id": r.id,
        "name": "".join(part.capitalize() for part in r.id.split("-")),
        "shortDescription": {"text": r.summary},
        "fullDescription": {"text": doc},
        "help": {
            "text": f"{doc}{params}\n改进建议：{rule.category.suggestion}",
            "markdown": f"**{rule.category.title}**\n\n{doc}{params}",
        },
        "defaultConfiguration": {"level": _LEVEL[r.severity]},
        "properties": {
            "category": rule.category.id,
            "dimension": rule.dimension.id,
            "tags": [rule.category.id, rule.dimension.id],
        },
    }


def _waiver_rule(rule_id: str, title: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "name": "".join(part.capitalize() for part in rule_id.split("-")),
        "shortDescription": {"text": title},
        "fullDescription": {"text": f"{title}：请删除或更新豁免文件中的这一条。"},
        "help": {"text": f"{title}：请删除或更新豁免文件中的这一条。"},
        "defaultConfiguration": {"level": "warning" if rule_id == "waiver-expired" else "note"},
    }


def _location(file: str, line: int, col: int, place: str) -> dict[str, Any]:
    """Row and column as the region; a workbook cell also as a logical location by its name."""
    out: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": _uri(file)},
            "region": {"startLine": line, "startColumn": col},
        }
    }
    if place:
        out["logicalLocations"] = [{"fullyQualifiedName": place, "kind": "element"}]
    return out


def _said(error: LocatedError) -> str:
    return f"{error.field}: {error.message}" if error.field else error.message


def _text(place: str, message: str) -> str:
    """The message, with a workbook cell named first: viewers show only the region's numbers."""
    return f"{place}: {message}" if place else message


def _result(finding: Finding, index: dict[str, int], baselined: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": _LEVEL[finding.severity],
        "message": {"text": _text(finding.place, finding.message)},
        "locations": [_location(finding.file, finding.line, finding.col, finding.place)],
        "partialFingerprints": {"auditcheckFingerprint/v1": finding.fingerprint},
        "properties": {
            "record": finding.record,
            "field": finding.field,
            "evidence": finding.evidence,
        },
    }
    if finding.status == "waived":
        out["suppressions"] = [{"kind": "external", "justification": finding.justification}]
    if baselined:
        out["baselineState"] = "unchanged" if finding.status == "baselined" else "new"
    return out


def render_sarif(result: RunResult, rules: list[CompiledRule], baselined: bool = False) -> str:
    """One SARIF run; ``baselined`` adds baselineState to every result."""
    driver_rules = [_rule(r) for r in rules] + [_waiver_rule(k, v) for k, v in WAIVER_RULES.items()]
    index = {rule["id"]: i for i, rule in enumerate(driver_rules)}
    notifications = [
        {
            "level": "error",
            "message": {"text": _text(e.place, _said(e))},
            "locations": [_location(e.file, e.line, e.col, e.place)],
        }
        for e in result.errors
    ]
    run = {
        "tool": {
            "driver": {
                "name": "auditcheck",
                "version": __version__,
                "rules": driver_rules,
            }
        },
        "invocations": [
            {"executionSuccessful": not result.errors, "toolExecutionNotifications": notifications}
        ],
        "columnKind": "unicodeCodePoints",
        "results": [_result(f, index, baselined) for f in result.findings],
    }
    payload = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return json.dumps(_clean(payload), ensure_ascii=False, indent=2) + "\n"


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return xml_text(value)
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_clean(item) for item in value]
    return value
