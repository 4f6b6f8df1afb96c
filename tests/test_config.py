import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditcheck.config import ConfigError, RulebookSpec, load_config, rulebook_spec
from auditcheck.rulebook.load import RulebookError, load_rulebook

from .conftest import FIXTURES, RULES


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_auditcheck_toml_is_found_before_pyproject(tmp_path: Path) -> None:
    write(tmp_path, "auditcheck.toml", 'fail-on = "info"\n')
    write(tmp_path, "pyproject.toml", '[tool.auditcheck]\nfail-on = "warning"\n')
    assert load_config(start=tmp_path).values == {"fail-on": "info"}


def test_pyproject_table_is_used(tmp_path: Path) -> None:
    write(tmp_path, "pyproject.toml", '[project]\nname = "x"\n[tool.auditcheck]\nselect = ["a"]\n')
    assert load_config(start=tmp_path).values == {"select": ["a"]}


def test_no_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(start=tmp_path).path is None


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("fail_on = 1\n", "unknown setting(s) fail_on"),
        ('select = "a"\n', "must be a list"),
        ("params = 3\n", "[params.RULE-ID]"),
        ("fail-on = \n", "not valid TOML"),
    ],
)
def test_bad_config_is_reported(tmp_path: Path, text: str, fragment: str) -> None:
    write(tmp_path, "auditcheck.toml", text)
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_config(start=tmp_path)


def run_in(folder: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, dict]:
    command = [sys.executable, "-m", "auditcheck", "run", str(FIXTURES), "--rules", str(RULES)]
    proc = subprocess.run(
        [*command, "--format", "json", *args],
        cwd=folder,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **(env or {})},
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout else {}


def rules_fired(data: dict) -> set[str]:
    return {f["rule"] for f in data["findings"]}


def thresholds(data: dict) -> set[float]:
    low = [f for f in data["findings"] if f["rule"] == "low-execution-rate"]
    return {f["evidence"]["param.threshold"] for f in low}


def test_precedence_flags_over_environment_over_file(tmp_path: Path) -> None:
    write(tmp_path, "auditcheck.toml", 'fail-on = "warning"\nselect = ["low-execution-rate"]\n')
    code, data = run_in(tmp_path)
    assert code == 1
    assert rules_fired(data) == {"low-execution-rate"}
    code, _ = run_in(tmp_path, env={"AUDITCHECK_FAIL_ON": "error"})
    assert code == 0
    code, _ = run_in(tmp_path, "--fail-on", "warning", env={"AUDITCHECK_FAIL_ON": "error"})
    assert code == 1
    _, data = run_in(tmp_path, "--select", "overdue-construction")
    assert rules_fired(data) == {"overdue-construction"}


def test_file_params_merge_key_by_key_with_flag_params(tmp_path: Path) -> None:
    write(
        tmp_path,
        "auditcheck.toml",
        "[params.low-execution-rate]\nthreshold = 60\n"
        "[params.large-unspent-balance]\nmin_amount = 1e9\n",
    )
    _, data = run_in(tmp_path, "--select", "budget-execution")
    assert thresholds(data) == {60.0}
    assert "large-unspent-balance" not in rules_fired(data)
    flag = "low-execution-rate.threshold=95"
    _, data = run_in(tmp_path, "--select", "budget-execution", "--param", flag)
    assert thresholds(data) == {95.0}
    assert "large-unspent-balance" not in rules_fired(data)


def test_unknown_setting_exits_2(tmp_path: Path) -> None:
    write(tmp_path, "auditcheck.toml", "colour = 1\n")
    code, _ = run_in(tmp_path)
    assert code == 2


def spec(tmp_path: Path, text: str, *flags: str) -> RulebookSpec:
    write(tmp_path, "auditcheck.toml", text)
    return rulebook_spec(load_config(start=tmp_path), RULES, flags)


@pytest.mark.parametrize(
    ("text", "flags", "fragment"),
    [
        ("[params.low-execution-rate]\nthreshold = true\n", (), "threshold: must be a finite"),
        ("[params.low-execution-rate]\nthreshold = nan\n", (), "threshold` must be a finite"),
        ("[params.low-execution-rate]\nthreshold = 1e400\n", (), "threshold` must be a finite"),
        ("[params.low-execution-rate]\nthreshold = [1]\n", (), "must be a finite number, true"),
        ("[params.low-execution-rate]\nthreshold = 2e15\n", (), "at most 1e+15"),
        ("[params.low-execution-rate]\ntreshold = 1\n", (), "has no parameter 'treshold'"),
        ("", ("low-execution-rate.threshold=abc",), "--param low-execution-rate.threshold=abc"),
        ("", ("low-execution-rate.threshold=inf",), "must be a finite number"),
        ("", ("nope.x=1",), "--param nope.x=1: no rule 'nope'"),
        ('[severity]\nnope = "error"\n', (), "auditcheck.toml: severity.nope: no rule"),
    ],
)
def test_parameters_are_typed_against_their_defaults(tmp_path, text, flags, fragment) -> None:
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        spec(tmp_path, text, *flags).load()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("rules = 5\n", "`rules` must be a path, in quotes, got 5"),
        ("fail-on = 5\n", "`fail-on` must be one of info, warning, error, got 5"),
        ("max-file-size = true\n", "`max-file-size` must be a number of megabytes"),
        ("jobs = 0\n", "`jobs` must be a whole number"),
        ('[severity]\nlow-execution-rate = "fatal"\n', "`severity.low-execution-rate` must be"),
        ('severity = "error"\n', "write severities as a [severity] table"),
    ],
)
def test_settings_of_the_wrong_type_name_file_and_key(tmp_path, text, fragment) -> None:
    write(tmp_path, "auditcheck.toml", text)
    with pytest.raises(ConfigError, match=re.escape(f"auditcheck.toml: {fragment}")):
        load_config(start=tmp_path)


def test_a_bom_is_read(tmp_path: Path) -> None:
    (tmp_path / "auditcheck.toml").write_bytes('\ufefffail-on = "info"\n'.encode())
    assert load_config(start=tmp_path).values == {"fail-on": "info"}


def test_flags_win_over_the_file_key_by_key(tmp_path: Path) -> None:
    text = "[params.low-execution-rate]\nthreshold = 60\n[params.large-budget-adjustment]\n"
    book = spec(tmp_path, text + "max_share = 5\n", "low-execution-rate.threshold=70").load()
    assert book.rule("low-execution-rate").params["threshold"] == 70.0
    assert book.rule("large-budget-adjustment").params["max_share"] == 5.0


def test_severity_rule_over_category_over_dimension(tmp_path: Path) -> None:
    text = (
        '[severity]\ndecision = "info"\nbudget-execution = "error"\n'
        'low-execution-rate = "warning"\n'
    )
    book = spec(tmp_path, text).load()
    levels = {r.id: r.rule.severity for r in book.rules}
    assert levels["low-execution-rate"] == "warning"
    assert levels["large-unspent-balance"] == "error"
    decision = {r.rule.severity for r in book.rules if r.dimension.id == "decision"}
    assert decision >= {"info"}
    assert load_rulebook(RULES).rule("large-unspent-balance").rule.severity == "warning"


TAGGED = """rules:
  - id: tagged
    category: budget-execution
    applies_to: [project]
    severity: warning
    tags: [{tag}]
    summary: 示例
    when: execution_rate < 90
    field: spent
    message: "{{{{ label }}}}"
    doc: d
"""


def tagged_book(tmp_path: Path, tag: str = "self-evaluation") -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    write(folder, "categories.yaml", (RULES / "categories.yaml").read_text("utf-8"))
    plain = TAGGED.format(tag=tag).replace("id: tagged", "id: plain").replace(f"tags: [{tag}]", "")
    write(folder, "tagged.yaml", TAGGED.format(tag=tag) + plain.removeprefix("rules:\n"))
    return folder


def test_tags_select_ignore_and_set_severity(tmp_path: Path) -> None:
    folder = tagged_book(tmp_path)
    selected = rulebook_spec(load_config(start=tmp_path), folder, select=["tag:self-evaluation"])
    assert [r.id for r in selected.load().rules] == ["tagged"]
    ignored = rulebook_spec(load_config(start=tmp_path), folder, ignore=["tag:self-evaluation"])
    assert "tagged" not in {r.id for r in ignored.load().rules}
    text = '[severity]\nbudget-execution = "error"\n"tag:self-evaluation" = "info"\n'
    write(tmp_path, "auditcheck.toml", text)
    levels = {
        r.id: r.rule.severity
        for r in rulebook_spec(load_config(start=tmp_path), folder).load().rules
    }
    assert levels["tagged"] == "info"  # a tag is more specific than a category
    assert levels["plain"] == "error"


def test_an_unknown_tag_is_refused_where_it_is_written(tmp_path: Path) -> None:
    folder = tagged_book(tmp_path, "self-evalution")
    with pytest.raises(RulebookError) as info:
        load_rulebook(folder)
    [error] = info.value.errors
    assert error.file.endswith("tagged.yaml") and error.line == 6
    assert "unknown tag 'self-evalution'" in error.message
    spec_ = rulebook_spec(load_config(start=tmp_path), RULES, select=["tag:self-evalution"])
    with pytest.raises(
        ConfigError, match="no rule, category, dimension or tag 'tag:self-evalution'"
    ):
        spec_.load()
