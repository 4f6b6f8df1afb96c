"""Output formats for CI: SARIF against its schema, JUnit counts, annotations, determinism."""

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import jsonschema
import pytest

from auditcheck.findings import Finding

from .conftest import ROOT, cli, seed_copy

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text("utf-8"))
FORMATS = ["text", "json", "sarif", "junit", "github", "markdown"]


def test_sarif_validates_and_lists_every_rule(rulebook) -> None:
    proc = cli("run", "fixtures/2023", "--format", "sarif")
    sarif = json.loads(proc.stdout)
    jsonschema.validate(sarif, SCHEMA)
    run = sarif["runs"][0]
    listed = [r["id"] for r in run["tool"]["driver"]["rules"]]
    assert {r.id for r in rulebook.rules} <= set(listed)
    for rule in run["tool"]["driver"]["rules"]:
        assert rule["help"]["text"].strip()
    result = run["results"][0]
    assert listed[result["ruleIndex"]] == result["ruleId"]
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
    assert result["partialFingerprints"]["auditcheckFingerprint/v1"]


def test_sarif_with_input_errors_still_validates(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text("region: 某区\nfiscal_year: 2023\n", "utf-8")
    (tmp_path / "bad.yaml").write_text("id: [\n", "utf-8")
    proc = cli("run", str(tmp_path), "--format", "sarif")
    sarif = json.loads(proc.stdout)
    jsonschema.validate(sarif, SCHEMA)
    assert proc.returncode == 2
    assert sarif["runs"][0]["invocations"][0]["executionSuccessful"] is False


def test_junit_has_a_case_per_rule_and_record(rulebook) -> None:
    proc = cli("run", "fixtures/2023", "--format", "junit")
    root = ET.fromstring(proc.stdout)
    findings = json.loads(cli("run", "fixtures/2023", "--format", "json").stdout)["findings"]
    failing_pairs = {(f["rule"], f["record"]) for f in findings}
    assert int(root.get("tests")) == len(rulebook.rules) * 9
    assert int(root.get("failures")) == len(failing_pairs)
    cases = root.findall(".//testcase")
    assert len(cases) == len(rulebook.rules) * 9
    failed = {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None}
    assert failed == failing_pairs


def test_github_annotations_are_escaped() -> None:
    proc = cli("run", "fixtures/2023", "--format", "github", "--select", "low-execution-rate")
    lines = proc.stdout.splitlines()
    assert lines
    for line in lines:
        assert line.startswith("::warning file=fixtures/2023/")
        assert ",line=" in line and ",title=low-execution-rate::" in line
    assert "%25" in proc.stdout  # 57.81% → 57.81%25
    assert "57.81%，" not in proc.stdout


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_input_gives_the_same_bytes(fmt: str) -> None:
    first = cli("run", "fixtures/2023", "--format", fmt)
    second = cli("run", "fixtures/2023", "--format", fmt)
    assert first.stdout == second.stdout
    assert first.stdout


def run_env(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "auditcheck", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PATH": os.environ.get("PATH", ""), **env},
        check=False,
    )


def test_colour_only_when_asked_and_never_with_no_color() -> None:
    assert "\x1b[" not in run_env("run", "fixtures/2023").stdout
    assert "\x1b[" in run_env("run", "fixtures/2023", "--color", "always").stdout
    assert "\x1b[" not in run_env("run", "fixtures/2023", "--color", "never").stdout
    assert "\x1b[" not in run_env("run", "fixtures/2023", NO_COLOR="1").stdout


def test_output_file_and_summary_on_stderr(tmp_path: Path) -> None:
    target = tmp_path / "report.sarif"
    proc = cli("run", "fixtures/2023", "--format", "sarif", "-o", str(target))
    assert proc.stdout == ""
    assert "共检查 9 个项目记录" in proc.stderr
    jsonschema.validate(json.loads(target.read_text("utf-8")), SCHEMA)


def test_markdown_table_cells_cannot_break_the_table(tmp_path: Path) -> None:
    name = ("name: 2023年困难群众救助专项资金", 'name: "救助|<script>alert(1)</script>\\n第二行"')
    batch = seed_copy(tmp_path, {"07-social-assistance.yaml": [name]})
    out = cli("run", str(batch), "--format", "markdown").stdout
    row = next(line for line in out.splitlines() if "script" in line)
    assert "<script>" not in out
    assert "&lt;script&gt;" in row
    assert "救助\\|" in row
    assert row.count(" | ") == 4  # five cells, none split


EXIT_CASES = [
    # The seed report's own figures disagree in four places: data-consistency errors.
    (["run", "fixtures/2023"], 1),
    (["run", "fixtures/2023", "--ignore", "data-consistency"], 0),
    (["run", "fixtures/2023", "--fail-on", "warning"], 1),
    (["run", "fixtures/2023", "--fail-on", "warning", "--exit-zero"], 0),
    (["run", "fixtures/2023", "--fail-on", "info", "--select", "maintenance-unprofessional"], 1),
    (["run", "fixtures/2023", "--fail-on", "warning", "--select", "maintenance-unprofessional"], 0),
    (["run", "fixtures/2023", "--select", "no-such-rule"], 2),
    (["run", "fixtures/2023", "--ignore", "decision,process,output,effect,consistency"], 2),
    (["run", "no/such/folder"], 2),
    (["run", "fixtures/2023", "--format", "yaml"], 2),
    (["run", "fixtures/2023", "--param", "nonsense"], 2),
    (["run"], 2),
    (["validate", "fixtures/2023"], 1),
    (["validate", "fixtures/2023", "--exit-zero"], 0),
]


@pytest.mark.parametrize(("args", "code"), EXIT_CASES, ids=[" ".join(a) for a, _ in EXIT_CASES])
def test_exit_codes(args: list[str], code: int) -> None:
    proc = cli(*args)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr


def test_select_and_ignore_by_rule_category_and_dimension() -> None:
    def rules(*args: str) -> set[str]:
        data = json.loads(cli("run", "fixtures/2023", "--format", "json", *args).stdout)
        return {f["rule"] for f in data["findings"]}

    every = rules()
    assert rules("--select", "low-execution-rate") == {"low-execution-rate"}
    assert rules("--select", "construction-quality") == {"defect-after-completion"}
    effect = rules("--select", "effect")
    assert effect and all(r in every for r in effect)
    assert "low-execution-rate" not in rules("--ignore", "budget-execution")
    assert rules("--ignore", "effect") == every - effect


def test_validate_runs_the_cross_checks_and_the_submission_packs(rulebook) -> None:
    data = json.loads(cli("validate", "fixtures/2023", "--format", "json").stdout)
    chosen = {
        r.id
        for r in rulebook.rules
        if r.dimension.id == "consistency"
        or {"self-evaluation", "target-review"} & set(r.rule.tags)
    }
    assert {f["rule"] for f in data["findings"]} <= chosen
    assert "consistency" in {f["dimension"] for f in data["findings"]}
    assert data["summary"]["rules"] == len(chosen) < len(rulebook.rules)


def test_explain_shows_values_thresholds_and_outcome() -> None:
    proc = cli(
        "explain", "fixtures/2023", "--rule", "low-execution-rate", "--record", "village-clinics"
    )
    assert proc.returncode == 0
    assert "execution_rate = 83.02  <  90  (成立)" in proc.stdout
    assert "→ 触发" in proc.stdout
    quiet = cli(
        "explain", "fixtures/2023", "--rule", "low-execution-rate", "--record", "public-culture"
    )
    assert "→ 未触发" in quiet.stdout and "(不成立)" in quiet.stdout


MARKUP = "<script>alert('x')</script> & \"引号\"\nnext line"


def test_markup_quotes_and_newlines_are_escaped_in_every_format(tmp_path: Path) -> None:
    batch = tmp_path / "b"
    batch.mkdir()
    (batch / "batch.yaml").write_text("region: 某区\nfiscal_year: 2023\n", "utf-8")
    record = {
        "id": "markup",
        "name": MARKUP,
        "type": "专项",
        "units": ["单位"],
        "budget": 10,
        "spent": 1,
    }
    (batch / "r.yaml").write_text(json.dumps(record, ensure_ascii=False), "utf-8")  # JSON is YAML
    out = {fmt: cli("run", str(batch), "--format", fmt).stdout for fmt in FORMATS}
    names = {f["project"] for f in json.loads(out["json"])["findings"]}
    assert names == {MARKUP}
    sarif = json.loads(out["sarif"])
    jsonschema.validate(sarif, SCHEMA)
    junit = ET.fromstring(out["junit"])
    failures = [c.findtext("failure") or "" for c in junit.iter("testcase")]
    assert any("<script>alert('x')</script> & \"引号\"" in text for text in failures)
    assert all(line.startswith("::") for line in out["github"].splitlines())
    assert "%0A" in out["github"]
    assert "<script>" not in out["markdown"]
    assert "&lt;script&gt;" in out["markdown"]


def test_a_finding_made_at_once_is_the_finding_init_makes() -> None:
    values = ("r", "c", "d", "warning", "p1", "项目", "a.yaml", 3, 5, "spent", "消息", "建议")
    values += ({"预算执行率": 57.81}, "0123456789abcdef", "open", "", "自评表!E12")
    made, init = Finding.made(values), Finding(*values)
    assert made == init and vars(made) == vars(init)
    assert list(vars(made)) == [f.name for f in dataclasses.fields(Finding)]
    with pytest.raises(ValueError):  # every field, or none
        Finding.made(values[:-1])


def test_a_finding_written_field_by_field_is_its_dict_encoded() -> None:
    from auditcheck.render.writers import _dumps, _finding_json, _json_chunk, _jsonl_chunk

    values = ("r", "c", "d", "warning", 'p"1\\', "项目\n##[x]", "a.yaml", 3, 5, "spent", "消息\t")
    values += ("建议\u2028", {"率": 57.81, "n": 2, "b": True, "x": None, "l": ["##[", 1e16]})
    values[-1].update({"d": {"k": 1e-7, "s": "\x00"}, "inf": float("inf"), "nan": float("nan")})
    values += ("0123456789abcdef", "waived", "理由 ##[error]", "自评表!E12")
    finding = Finding.made(values)
    other = dataclasses.replace(finding, status="open", justification="", place="", line=12)
    for _ in range(2):  # the shared texts written, then looked up
        assert _finding_json(finding) == _dumps(vars(finding))
        assert _jsonl_chunk([finding, other]) == "".join(
            _dumps({"finding": vars(f)}) + "\n" for f in (finding, other)
        )
        assert _json_chunk([finding, other]) == ",\n  ".join(
            _dumps(vars(f)) for f in (finding, other)
        )
    assert "##[" not in _finding_json(finding)
