"""The versioned JSON contract for scripts and CI (docs/output.md)."""

from __future__ import annotations

import json
from typing import Any

from auditcheck import __version__
from auditcheck.check import RunResult
from auditcheck.render.summary import severity_counts, status_counts

SCHEMA_VERSION = 1


def render_json(result: RunResult) -> str:
    """The whole result as one JSON document; same input, same bytes."""
    payload: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "auditcheck", "version": __version__},
        "summary": {
            "records": result.records,
            "facts": result.facts,
            "rules": result.rules,
            "findings": severity_counts(result),
            **status_counts(result),
            "errors": len(result.errors),
        },
        "findings": [f.as_dict() for f in result.findings],
        "errors": [
            {"file": e.file, "line": e.line, "col": e.col, "field": e.field, "message": e.message}
            for e in result.errors
        ],
    }
    return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"
