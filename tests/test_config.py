import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from auditcheck.config import ConfigError, load_config

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
