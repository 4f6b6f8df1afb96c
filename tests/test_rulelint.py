"""`auditcheck rules check`: what a rulebook must have beyond loading, each problem located."""

from pathlib import Path

from auditcheck.rulebook.load import load_rulebook
from auditcheck.rulelint import lint_rulebook

from .conftest import RULES, cli

GOOD = """rules:
  - id: low
    category: budget-execution
    applies_to: [project]
    severity: info
    summary: 执行率低
    params:
      threshold:
        default: 50
        doc: 50（%）。依据：示例规则的阈值。
    when: execution_rate < threshold
    field: spent
    message: "{{ label }}执行率{{ execution_rate|pct }}"
    doc: |
      检查什么：执行率低于阈值。
      依据：示例。
    examples:
      fire: [{budget: 100, spent: 10, expect: {field: spent, message: 执行率10.00%}}]
      quiet: [{budget: 100, spent: 90}]
"""


def folder_with(tmp_path: Path, text: str) -> Path:
    (tmp_path / "categories.yaml").write_text(
        (RULES / "categories.yaml").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "r.yaml").write_text(text, "utf-8")
    return tmp_path


def problems(tmp_path: Path, old: str = "", new: str = "") -> list[str]:
    assert old in GOOD
    book = load_rulebook(folder_with(tmp_path, GOOD.replace(old, new)))
    return [f"{e.field}: {e.message}" for e in lint_rulebook(book)]


def test_a_sound_rule_passes(tmp_path: Path) -> None:
    assert problems(tmp_path) == []


def test_a_threshold_without_a_source_is_reported(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "依据：示例规则的阈值。", "示例规则的阈值。")
    assert problem.startswith("low.params.threshold.doc: the threshold's doc names no source")


def test_a_rule_doc_without_a_source_is_reported(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, "      依据：示例。\n", "")
    assert problem.startswith("low.doc: the doc names no source")


def test_a_kind_without_both_examples_is_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, "applies_to: [project]", "applies_to: [project, subitem]")
    assert found == [
        "low.examples: no must-fire example fires on a subitem fact",
        "low.examples: no must-not-fire example gives a subitem fact",
    ]


def test_a_message_that_fails_on_the_examples_is_reported(tmp_path: Path) -> None:
    found = problems(
        tmp_path, "{{ execution_rate|pct }}", "{{ (execution_rate + initial_budget)|pct }}"
    )
    assert found and found[0].startswith("low.message: template failed")


def test_rules_check_exits_2_naming_file_and_line(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, GOOD.replace("依据：示例规则的阈值。", "示例。"))
    proc = cli("rules", "check", "--rules", str(folder))
    assert proc.returncode == 2
    assert f"{folder / 'r.yaml'}:2:1: low.params.threshold.doc" in proc.stderr


def test_a_parameter_that_shadows_a_field_fails_rules_check(tmp_path: Path) -> None:
    folder = folder_with(tmp_path, GOOD.replace("threshold", "budget"))
    proc = cli("rules", "check", "--rules", str(folder))
    assert proc.returncode == 2
    assert "parameter `budget` has the name of a field" in proc.stderr


def test_the_bundled_rulebook_passes_rules_check() -> None:
    proc = cli("rules", "check")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"{len(load_rulebook(RULES).rules)} rules")
