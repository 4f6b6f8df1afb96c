"""``auditcheck rules check``: what a rulebook must have beyond loading.

Loading already refuses a bad schema, condition, parameter name (one that shadows
a field) or message template. This adds what needs the examples run or the
documentation read: every message renders on the must-fire examples; every fact
kind a rule applies to has a firing and a quiet example; every rule's ``doc`` and
every parameter's ``doc`` names its source after ``依据：``.
"""

from __future__ import annotations

from auditcheck.examples import message_errors, run_rulebook_examples
from auditcheck.locate import LocatedError
from auditcheck.rulebook.load import Rulebook
from auditcheck.rulebook.schema import DOC_PARTS

# 依据: where a doc names its source (a document, a form's note, or our judgement and why).
SOURCE = DOC_PARTS[2]
SOURCE_MARK = f"{SOURCE}："


def lint_rulebook(rulebook: Rulebook) -> list[LocatedError]:
    """Every problem ``rules check`` reports, located at its rule."""
    reports = run_rulebook_examples(rulebook)
    errors = message_errors(reports)
    for report in reports:
        rule = report.rule

        def error(field: str, message: str) -> LocatedError:
            return LocatedError(rule.file, rule.line, 1, f"{rule.id}.{field}", message)  # noqa: B023

        errors += [error("examples", text) for text in report.uncovered]
        if SOURCE not in rule.rule.doc_parts():
            errors.append(error("doc", f"the doc names no source: add a line {SOURCE_MARK}…"))
        errors += [
            error(
                f"params.{name}.doc",
                f"the threshold's doc names no source: add {SOURCE_MARK}… (a document, a form's "
                "note, or our judgement and why)",
            )
            for name, param in rule.rule.params.items()
            if SOURCE_MARK not in param.doc
        ]
    return errors
