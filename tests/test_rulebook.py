from pathlib import Path

import pytest

from auditcheck.check import Checker
from auditcheck.examples import example_record
from auditcheck.explain import explain
from auditcheck.rulebook.load import Rulebook, RulebookError, load_rulebook

from .conftest import RULES, cli, seed_copy

RULE = """rules:
  - id: sample
    category: {category}
    applies_to: [project]
    severity: warning
    summary: 示例
    when: {when}
    field: spent
    message: "{{{{ label }}}}"
    doc: d
"""


def book_with(
    tmp_path: Path, category: str = "budget-execution", when: str = "execution_rate < 90"
) -> Path:
    (tmp_path / "categories.yaml").write_text(
        (RULES / "categories.yaml").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "sample.yaml").write_text(RULE.format(category=category, when=when), "utf-8")
    return tmp_path


def test_the_bundled_rulebook_loads(rulebook) -> None:
    assert len(rulebook.categories) == 16  # the seed's ten headings, five more, data-consistency
    assert rulebook.rules


@pytest.mark.parametrize(
    ("category", "when", "line", "fragment"),
    [
        ("budget-execution", "executon_rate < 90", 7, "unknown name `executon_rate`"),
        ("budget-execution", "execution_rate <", 7, "syntax error"),
        ("no-such-heading", "execution_rate < 90", 3, "unknown category 'no-such-heading'"),
    ],
)
def test_rulebook_errors_name_file_and_line(tmp_path: Path, category, when, line, fragment) -> None:
    folder = book_with(tmp_path, category, when)
    with pytest.raises(RulebookError) as info:
        load_rulebook(folder)
    [error] = info.value.errors
    assert error.file.endswith("sample.yaml")
    assert error.line == line
    assert fragment in error.message


def test_rulebook_error_exits_2_with_location(tmp_path: Path) -> None:
    folder = book_with(tmp_path, when="executon_rate < 90")
    proc = cli("run", "fixtures/2023", "--rules", str(folder))
    assert proc.returncode == 2
    assert "sample.yaml:7:" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_param_override_changes_the_condition(rulebook) -> None:
    book = load_rulebook(RULES, {"low-execution-rate": {"threshold": "60"}})
    rule = book.rule("low-execution-rate")
    assert rule.params["threshold"] == 60.0
    assert rule.conditions["project"].json == {"$lt": {"execution_rate": 60.0}}


def test_unknown_param_is_an_error() -> None:
    with pytest.raises(RulebookError, match="no parameter 'treshold'"):
        load_rulebook(RULES, {"low-execution-rate": {"treshold": "60"}})


def test_message_with_an_unknown_name_is_a_load_error(tmp_path: Path) -> None:
    folder = book_with(tmp_path)
    text = (folder / "sample.yaml").read_text("utf-8").replace("{{ label }}", "{{ lable }}")
    (folder / "sample.yaml").write_text(text, "utf-8")
    with pytest.raises(RulebookError) as info:
        load_rulebook(folder)
    [error] = info.value.errors
    assert (error.line, error.field) == (9, "rules[0].message")
    assert "unknown name(s) lable" in error.message


@pytest.mark.parametrize(
    "template",
    ["{{ label.__class__.__mro__ }}", "{{ label.format.__globals__ }}", "{{ ''.__class__ }}"],
)
def test_a_template_cannot_reach_python_internals(tmp_path: Path, template: str) -> None:
    folder = book_with(tmp_path)
    text = (folder / "sample.yaml").read_text("utf-8").replace('"{{ label }}"', repr(template))
    (folder / "sample.yaml").write_text(text, "utf-8")
    proc = cli("run", "fixtures/2023", "--rules", str(folder))
    assert proc.returncode == 2
    assert "sample.yaml:2:" in proc.stderr and "template failed" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "<class" not in proc.stdout


def test_every_name_the_linter_allows_is_given_to_messages(tmp_path: Path) -> None:
    from auditcheck.rulebook.load import MESSAGE_NAMES

    folder = book_with(tmp_path)
    names = "".join(f"{{{{ {name} }}}}" for name in sorted(MESSAGE_NAMES))
    text = (folder / "sample.yaml").read_text("utf-8").replace('"{{ label }}"', f'"{names}"')
    (folder / "sample.yaml").write_text(text, "utf-8")
    proc = cli("run", "fixtures/2023", "--rules", str(folder))
    assert proc.returncode == 0, proc.stderr


COUNTING = """rules:
  - id: no-satisfaction-target
    category: performance-management
    applies_to: [project]
    severity: info
    summary: 没有满意度指标
    params:
      least: {default: 1, doc: d}
    when: count(targets, unit == "%" and planned >= 90) < least and count(targets) >= 2
    field: name
    message: "{{ label }}"
    doc: d
"""


def counting_book(tmp_path: Path, rule: str = COUNTING) -> Rulebook:
    (tmp_path / "categories.yaml").write_text(
        (RULES / "categories.yaml").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "r.yaml").write_text(rule, "utf-8")
    return load_rulebook(tmp_path)


@pytest.mark.parametrize(
    ("targets", "fires"),
    [
        ([{"unit": "个", "planned": 5}, {"unit": "%", "planned": 80}], True),
        ([{"unit": "个", "planned": 5}, {"unit": "%", "planned": 95}], False),
        ([{"unit": "%", "planned": 80}], False),  # fewer than two targets
        ([], False),  # no targets listed: the count is unknown, never zero
        (None, False),  # the source shows part of the list (unstated): unknown as well
    ],
)
def test_counts_are_decided_by_the_engine_on_each_item(tmp_path: Path, targets, fires) -> None:
    checker = Checker(counting_book(tmp_path))
    partial = targets is None
    targets = [{"unit": "个", "planned": 5}, {"unit": "%", "planned": 80}] if partial else targets
    listed = [{"indicator": f"指标{i}", **t} for i, t in enumerate(targets)]
    subitem = {"name": "子项", "targets": listed}  # a sub-item's targets are not the project's
    fragment = {"targets": listed, "subitems": [subitem]} if listed else {"subitems": [subitem]}
    if partial:
        fragment["unstated"] = ["targets"]
    findings, _ = checker.check_record(example_record(fragment, "x.yaml"))
    assert [f.rule for f in findings] == (["no-satisfaction-target"] if fires else [])
    if fires:
        assert findings[0].evidence['count(targets, unit == "%" and planned >= 90)'] == 0


def test_a_parameter_named_like_a_field_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RulebookError) as info:
        counting_book(tmp_path, COUNTING.replace("least:", "budget:").replace("< least", "< 1"))
    assert "parameter `budget` has the name of a field" in str(info.value)


def test_explain_shows_the_engines_answer_for_each_comparison(tmp_path: Path) -> None:
    book = counting_book(tmp_path)
    batch = seed_copy(
        tmp_path,
        {
            "05-village-clinics.yaml": [
                (
                    "acceptance:",
                    "  - {indicator: 满意度, planned: 80, unit: '%'}\nacceptance:",
                )
            ]
        },
    )
    rule = book.rule("no-satisfaction-target")
    [shown] = [e for e in explain([batch], book, rule, "village-clinics") if e.kind == "project"]
    assert shown.fired
    texts = [c.text for c in shown.comparisons]
    assert texts[0] == 'count(targets, unit == "%" and planned >= 90) = 0  <  1'
    assert [c.outcome for c in shown.comparisons] == [True, True]
