import re
from pathlib import Path

import pytest

from auditcheck.check import Checker
from auditcheck.examples import run_examples
from auditcheck.render.rule_pages import MARK, differences
from auditcheck.rulebook.load import Rulebook, RulebookError, load_rulebook

from .conftest import ROOT, RULES, cli

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
        assert all("expect" in fragment for fragment in rule.rule.examples.fire), rule.id


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
    assert report.uncovered == [
        "no must-fire example fires on a project fact",
        "no must-not-fire example gives a project fact",
    ]


def test_a_wrong_example_is_caught(tmp_path: Path) -> None:
    book = rulebook_with(
        tmp_path,
        "rules:\n"
        "  - id: low\n    category: budget-execution\n    applies_to: [project]\n"
        "    severity: info\n    summary: s\n    when: execution_rate < 50\n    field: spent\n"
        "    message: m\n    doc: d\n"
        "    examples:\n"
        "      fire: [{budget: 100, spent: 60, expect: {field: spent, message: m}}]\n"
        "      quiet: [{budget: 100, spent: 10}]\n",
    )
    failures = run_examples(Checker(book), book.rules[0]).failures
    assert failures == [
        "examples.fire[0]: expected the rule to fire; it did not",
        "examples.quiet[0]: expected no finding; the rule fired",
    ]


LOW = (
    "rules:\n"
    "  - id: low\n    category: budget-execution\n    applies_to: [project, subitem]\n"
    "    severity: info\n    summary: s\n    when: execution_rate < 50\n    field: spent\n"
    '    message: "{{{{ label }}}}执行率{{{{ execution_rate|pct }}}}"\n    doc: d\n'
    "    examples:\n      fire:\n{fire}      quiet:\n{quiet}"
)
PROJECT_LOW = "        - {budget: 100, spent: 10%s}\n"
SUBITEM_LOW = (
    "        - subitems: [{name: 甲, budget: 100, spent: 20}, {name: 乙, budget: 10, spent: 1}]\n%s"
)
QUIET = (
    "        - {budget: 100, spent: 90}\n        - subitems: [{name: 甲, budget: 100, spent: 90}]\n"
)


def low_rule(tmp_path: Path, project: str, subitem: str, quiet: str = QUIET) -> list[str]:
    tmp_path.mkdir(exist_ok=True)
    fire = PROJECT_LOW % project + SUBITEM_LOW % subitem
    book = rulebook_with(tmp_path, LOW.format(fire=fire, quiet=quiet))
    report = run_examples(Checker(book), book.rules[0])
    return report.failures + report.uncovered


EXPECT_BOTH = (
    "          expect:\n"
    "            - {field: 'subitems[0].spent', message: 甲执行率20.00%}\n"
    "            - {field: 'subitems[1].spent', message: 乙执行率10.00%}\n"
)


def test_expectations_name_the_field_and_a_fragment_of_each_finding(tmp_path: Path) -> None:
    ok = ", expect: {field: spent, message: 执行率10.00%}"
    assert low_rule(tmp_path / "a", ok, EXPECT_BOTH) == []
    wrong_field = ", expect: {field: budget, message: 执行率10.00%}"
    problems = low_rule(tmp_path / "b", wrong_field, EXPECT_BOTH)
    assert problems[0] == "examples.fire[0].expect: no finding on `budget` saying “执行率10.00%”"
    assert problems[1].endswith("it gave: spent: 示例项目执行率10.00%")
    wrong_message = ", expect: {field: spent, message: 执行率11.00%}"
    assert low_rule(tmp_path / "c", wrong_message, EXPECT_BOTH)[0].startswith(
        "examples.fire[0].expect: no finding on `spent` saying “执行率11.00%”"
    )


def test_an_example_must_account_for_every_finding_it_gives(tmp_path: Path) -> None:
    only_one = "          expect: {field: 'subitems[0].spent', message: 甲执行率20.00%}\n"
    problems = low_rule(tmp_path, ", expect: {field: spent, message: 执行率10.00%}", only_one)
    assert "examples.fire[1].expect: expected 1 finding(s), the rule gave 2" in problems


def test_a_fire_example_without_expectations_fails(tmp_path: Path) -> None:
    problems = low_rule(tmp_path, "", EXPECT_BOTH)
    assert problems == ["examples.fire[0]: say what it expects: expect: {field, message}"]


def test_every_kind_needs_a_firing_and_a_quiet_example(tmp_path: Path) -> None:
    quiet = "        - {budget: 100, spent: 90}\n"
    problems = low_rule(
        tmp_path, ", expect: {field: spent, message: 执行率10.00%}", EXPECT_BOTH, quiet
    )
    assert problems == ["no must-not-fire example gives a subitem fact"]


def test_a_misshapen_expectation_is_a_load_error(tmp_path: Path) -> None:
    with pytest.raises(RulebookError, match=re.escape("fire[0].expect: write {field: …")):
        low_rule(tmp_path, ", expect: {field: spent}", EXPECT_BOTH)


def test_the_rule_pages_are_the_rules(tmp_path: Path) -> None:
    """docs/rules is written by `auditcheck rules docs`; rerun it when a rule changes."""
    folder = ROOT / "docs" / "rules"
    assert differences(RULEBOOK, folder) == [], "run `auditcheck rules docs` and commit docs/rules"
    assert {p.name for p in folder.glob("*.md")} == {f"{r.id}.md" for r in RULEBOOK.rules} | {
        "README.md"
    }


def test_rules_docs_writes_each_page_and_removes_only_its_own(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("kept", "utf-8")
    (tmp_path / "gone-rule.md").write_text(f"{MARK}\n\n# gone-rule\n", "utf-8")
    proc = cli("rules", "docs", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert differences(RULEBOOK, tmp_path) == []
    assert (tmp_path / "notes.md").read_text("utf-8") == "kept"
    assert not (tmp_path / "gone-rule.md").exists()
    page = (tmp_path / "low-execution-rate.md").read_text("utf-8")
    assert "## 依据" in page and "| `threshold` | 90 |" in page
    assert "- `spent`：示例项目预算资金6223.15万元，实际支出3597.53万元，预算执行率57.81%" in page
    (tmp_path / "low-execution-rate.md").write_text(page.replace("90", "85"), "utf-8")
    assert differences(RULEBOOK, tmp_path) == ["low-execution-rate.md"]
