from pathlib import Path

import pytest

from auditcheck.rulebook.load import RulebookError, load_rulebook

from .conftest import RULES, cli

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
    assert len(rulebook.categories) == 11  # the ten headings of section 三, plus data-consistency
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
