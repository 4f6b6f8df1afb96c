from pathlib import Path

import pytest

from auditcheck.check import Checker
from auditcheck.examples import run_examples
from auditcheck.rulebook.load import Rulebook, load_rulebook

from .conftest import RULES

RULEBOOK = load_rulebook(RULES)
CHECKER = Checker(RULEBOOK)


@pytest.mark.parametrize("rule", RULEBOOK.rules, ids=lambda r: r.id)
def test_rule_examples(rule) -> None:
    report = run_examples(CHECKER, rule)
    assert report.failures == []


def test_every_rule_has_doc_and_both_kinds_of_example() -> None:
    for rule in RULEBOOK.rules:
        assert rule.rule.doc.strip(), rule.id
        assert rule.rule.examples.fire and rule.rule.examples.quiet, rule.id


def rulebook_with(tmp_path: Path, rules: str) -> Rulebook:
    """A rulebook of the bundled categories and the one rule in ``rules``."""
    (tmp_path / "categories.yaml").write_text(
        (RULES / "categories.yaml").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "r.yaml").write_text(rules, "utf-8")
    return load_rulebook(tmp_path)


def test_a_rule_without_examples_fails(tmp_path: Path) -> None:
    book = rulebook_with(
        tmp_path,
        "rules:\n"
        "  - id: bare\n    category: budget-execution\n    applies_to: [project]\n"
        "    severity: info\n    summary: s\n    when: budget > 0\n    field: budget\n"
        "    message: m\n    doc: d\n",
    )
    report = run_examples(Checker(book), book.rules[0])
    assert not report.passed
    assert any("must-fire" in f for f in report.failures)


def test_a_wrong_example_is_caught(tmp_path: Path) -> None:
    book = rulebook_with(
        tmp_path,
        "rules:\n"
        "  - id: low\n    category: budget-execution\n    applies_to: [project]\n"
        "    severity: info\n    summary: s\n    when: execution_rate < 50\n    field: spent\n"
        "    message: m\n    doc: d\n"
        "    examples:\n      fire: [{budget: 100, spent: 60}]\n"
        "      quiet: [{budget: 100, spent: 10}]\n",
    )
    failures = run_examples(Checker(book), book.rules[0]).failures
    assert failures == [
        "examples.fire[0]: expected the rule to fire; it did not",
        "examples.quiet[0]: expected no finding; the rule fired",
    ]
