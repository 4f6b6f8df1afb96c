"""Hostile outputs, settings and rule files: nothing a user feeds auditcheck may break it.

Outputs never overwrite an input and are written whole or not at all; text from
records and file names cannot break a format or inject into it; settings of the
wrong type are errors naming their file and key; a rule whose message fails is
an error naming the rule, and the other findings are kept.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from xml.dom import minidom
from xml.etree import ElementTree

import cmarkgfm
import jsonschema

from .harness import GOOD_RECORD, HEAD, RUN, Case

ROOT = Path(__file__).resolve().parent.parent.parent
SARIF_SCHEMA = json.loads((ROOT / "tests/data/sarif-schema-2.1.0.json").read_text("utf-8"))
CATEGORIES = (ROOT / "rules/categories.yaml").read_text("utf-8")
BUDGET_RULES = (ROOT / "rules/budget-execution.yaml").read_text("utf-8")
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def unchanged(name: str, text: str) -> Any:
    """The file ``name`` (relative to the work folder) still holds ``text``; no temp file left."""

    def check(_proc: Any, folder: Path) -> None:
        assert (folder / name).read_text("utf-8") == text
        assert not [p for p in folder.rglob(".*.tmp")]

    return check


def absent(name: str) -> Any:
    def check(_proc: Any, folder: Path) -> None:
        assert not (folder / name).exists()
        assert not [p for p in folder.rglob(".*.tmp")]

    return check


def one_line(proc: Any, _folder: Path) -> None:
    assert len(proc.stderr.splitlines()) == 1, proc.stderr


def record(name: str) -> str:
    """A record named ``name`` (any text) whose execution rate is low."""
    return json.dumps(
        {
            "id": "odd-record",
            "name": name,
            "type": "专项",
            "units": ["单位"],
            "budget": 10,
            "spent": 1,
        },
        ensure_ascii=False,
    )


def github_commands_only(proc: Any, _folder: Path) -> None:
    for line in proc.stdout.splitlines():
        assert re.match(r"::(error|warning|notice) file=[^:,\n]*,line=\d+,col=\d+,title=", line), (
            line
        )
    assert not [line for line in proc.stderr.splitlines() if line.startswith("::")], proc.stderr


def no_raw_controls(proc: Any, _folder: Path) -> None:
    assert not re.search("[\r\t\x85\u2028\u202e]", proc.stdout), repr(proc.stdout)
    assert "第二行" not in [line.strip() for line in proc.stdout.splitlines()]
    assert "\\n" in proc.stdout and "\\u202e" in proc.stdout


def junit_parses(proc: Any, _folder: Path) -> None:
    assert not XML_FORBIDDEN.search(proc.stdout)
    ElementTree.fromstring(proc.stdout)
    minidom.parseString(proc.stdout.encode("utf-8"))  # expat, strict about characters


def sarif_valid(proc: Any, _folder: Path) -> None:
    assert not XML_FORBIDDEN.search(proc.stdout)
    jsonschema.validate(json.loads(proc.stdout), SARIF_SCHEMA)


def markdown_inert(proc: Any, _folder: Path) -> None:
    """Rendered as GitHub renders it, the report holds no link and no image."""
    page = cmarkgfm.github_flavored_markdown_to_html(proc.stdout)
    assert "evil" in page and "<a " not in page and "<img" not in page, page


def finding_levels(**expected: str) -> Any:
    def check(proc: Any, _folder: Path) -> None:
        levels = {f["rule"]: f["severity"] for f in json.loads(proc.stdout)["findings"]}
        assert {rule: levels.get(rule) for rule in expected} == expected

    return check


def waived(proc: Any, _folder: Path) -> None:
    statuses = {f["rule"]: f["status"] for f in json.loads(proc.stdout)["findings"]}
    assert statuses["low-execution-rate"] == "waived"


def rules(message: str = "", when: str = "budget > 0", params: str = "") -> dict[str, str]:
    """A rules folder: the bundled categories and budget rules, and one rule of ours."""
    rule = (
        "rules:\n  - id: sample\n    category: budget-execution\n    applies_to: [project]\n"
        f"    severity: warning\n    summary: 示例\n{params}    when: {when}\n"
        f"    field: budget\n    message: {message or 'x'!r}\n    doc: 示例\n"
        "    examples:\n      fire: [{budget: 100, spent: 10}]\n      quiet: [{spent: 1}]\n"
    )
    return {
        "../rules/categories.yaml": CATEGORIES,
        "../rules/budget.yaml": BUDGET_RULES,
        "../rules/sample.yaml": rule,
    }


WITH_RULES = [*RUN, "--rules", "rules"]
NESTED = "budget > 0" + " and (spent > 0 or (budget > 1" * 8 + "))" * 8
MANY = " or ".join(f"budget > {i}" for i in range(70))
CONFIG = "../auditcheck.toml"
EXPIRES = (
    "waivers:\n  - {rule: low-execution-rate, record: good-record, reason: 已说明情况,\n"
    "     owner: 某局, expires: '2099-12-31'}\n"
)

CASES = [
    # Outputs never overwrite an input
    Case(
        "output-is-an-input",
        {},
        2,
        "the run reads this file",
        command=["run", "batch/good.yaml"],
        args=["-o", "batch/good.yaml"],
        prefix="auditcheck:",
        good=False,
        check=unchanged("batch/good.yaml", GOOD_RECORD),
    ),
    Case(
        "output-inside-the-batch",
        {},
        2,
        "inside batch, which the run reads",
        args=["-o", "batch/out.json"],
        prefix="auditcheck:",
        good=False,
        check=absent("batch/out.json"),
    ),
    Case(
        "baseline-over-a-record",
        {},
        2,
        "inside batch",
        command=["baseline", "write", "batch/good.yaml", "batch"],
        prefix="auditcheck:",
        good=False,
        check=unchanged("batch/good.yaml", GOOD_RECORD),
    ),
    Case(
        "report-inside-the-batch",
        {},
        2,
        "inside batch",
        command=["report", "batch", "-o", "batch/draft.md"],
        prefix="auditcheck:",
        good=False,
        check=absent("batch/draft.md"),
    ),
    Case(
        "output-is-the-waivers-file",
        {"../w.yaml": "waivers: []\n"},
        2,
        "the run reads this file",
        args=["--waivers", "w.yaml", "-o", "w.yaml"],
        prefix="auditcheck:",
        good=False,
        check=unchanged("w.yaml", "waivers: []\n"),
    ),
    Case(
        "output-is-the-configuration",
        {CONFIG: 'fail-on = "error"\n'},
        2,
        "the run reads this file",
        args=["-o", "auditcheck.toml"],
        prefix="auditcheck:",
        good=False,
        check=unchanged("auditcheck.toml", 'fail-on = "error"\n'),
    ),
    Case(
        "output-is-a-link-to-an-input",
        {"../out.json@": "batch/good.yaml"},
        2,
        "the run reads this file",
        command=["run", "batch/good.yaml"],
        args=["-o", "out.json"],
        prefix="auditcheck:",
        good=False,
        check=unchanged("batch/good.yaml", GOOD_RECORD),
    ),
    Case(
        "output-in-a-missing-folder",
        {},
        2,
        "there is no folder",
        args=["-o", "no/such/out.json"],
        prefix="auditcheck:",
        good=False,
        check=one_line,
    ),
    Case(
        "output-to-a-full-disk",
        {},
        2,
        "cannot write /dev/full",
        args=["-o", "/dev/full"],
        prefix="auditcheck:",
        good=False,
        check=one_line,
    ),
    Case(
        "failed-run-keeps-the-old-output",
        {"../out.json": "去年的结果", **rules(when="executon_rate < 1")},
        2,
        "sample.yaml",
        command=[*WITH_RULES, "-o", "out.json"],
        prefix="rules",
        good=False,
        check=unchanged("out.json", "去年的结果"),
    ),
    Case(
        "output-beside-a-named-file-is-written",
        {},
        0,
        "共检查 1 个项目记录",
        args=["batch/good.yaml", "-o", "batch/out.json"],
        command=["run", "--format", "json"],
        prefix="共检查",
        good=False,
    ),
    # Text from records and file names, in every format
    Case(
        "github-file-name-with-a-command",
        {"x\n::error::pwned.yaml": HEAD + "budget: [\n"},
        2,
        "pwned",
        command=["run", "batch", "--format", "github"],
        good=False,
        check=github_commands_only,
    ),
    Case(
        "github-record-text-with-a-command",
        {"odd.json.yaml": record("甲%0A::error::乙\n::warning::丙")},
        0,
        None,
        command=["run", "batch", "--format", "github"],
        good=False,
        check=github_commands_only,
    ),
    Case(
        "text-control-characters",
        {"odd.yaml": record("甲\r\n第二行\t\x85\u2028\u202e")},
        0,
        None,
        command=["run", "batch"],
        good=False,
        check=no_raw_controls,
    ),
    Case(
        "junit-forbidden-characters",
        {"bad\x01name.jsonl": record("非字符\ufffe") + "\n"},
        0,
        None,
        command=["run", "batch", "--format", "junit"],
        good=False,
        check=junit_parses,
    ),
    Case(
        "sarif-forbidden-characters",
        {"bad\x0bname.jsonl": record("非字符\ufffe") + "\n"},
        0,
        None,
        command=["run", "batch", "--format", "sarif"],
        good=False,
        check=sarif_valid,
    ),
    Case(
        "markdown-links-and-images",
        {
            "odd.yaml": record(
                "[点此](https://evil.example) ![图](https://evil.example/a.png) "
                "<img src=x> www.evil.example"
            )
        },
        0,
        None,
        command=["run", "batch", "--format", "markdown"],
        good=False,
        check=markdown_inert,
    ),
    Case(
        "file-name-not-utf8",
        {"\udcff\udcfe.yaml": HEAD + "budget: [\n"},
        2,
        "batch/\\xff\\xfe.yaml:",
    ),
    # Settings of the wrong type name their file and key
    Case(
        "config-threshold-true",
        {CONFIG: "[params.low-execution-rate]\nthreshold = true\n"},
        2,
        "auditcheck.toml: params.low-execution-rate.threshold: must be a finite number",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-threshold-nan",
        {CONFIG: "[params.low-execution-rate]\nthreshold = nan\n"},
        2,
        "params.low-execution-rate.threshold",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-threshold-overflow",
        {CONFIG: "[params.low-execution-rate]\nthreshold = 1e400\n"},
        2,
        "params.low-execution-rate.threshold",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-rules-is-a-number",
        {CONFIG: "rules = 5\n"},
        2,
        "auditcheck.toml: `rules` must be a path",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-fail-on-is-a-number",
        {CONFIG: "fail-on = 5\n"},
        2,
        "auditcheck.toml: `fail-on` must be one of",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-negative-file-size",
        {CONFIG: "max-file-size = -1\n"},
        2,
        "`max-file-size`",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-unknown-rule-in-select",
        {CONFIG: 'select = ["no-such-rule"]\n'},
        2,
        "auditcheck.toml: select/ignore: no rule",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-unknown-severity",
        {CONFIG: '[severity]\nlow-execution-rate = "fatal"\n'},
        2,
        "severity.low-execution-rate",
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "config-severity-for-no-rule",
        {CONFIG: '[severity]\nno-such-rule = "error"\n'},
        2,
        "severity.no-such-rule: no rule",
        prefix="auditcheck:",
        good=False,
    ),
    Case("config-with-a-bom", {CONFIG: '\ufefffail-on = "warning"\n'}, 1, None),
    Case(
        "config-severity-of-a-rule",
        {CONFIG: '[severity]\nlow-execution-rate = "error"\n'},
        1,
        None,
        check=finding_levels(**{"low-execution-rate": "error"}),
    ),
    Case(
        "config-severity-of-a-category",
        {CONFIG: '[severity]\nbudget-execution = "info"\nlow-execution-rate = "warning"\n'},
        0,
        None,
        check=finding_levels(**{"low-execution-rate": "warning"}),
    ),
    Case(
        "waiver-with-a-quoted-date",
        {"../w.yaml": EXPIRES},
        0,
        None,
        args=["--waivers", "w.yaml"],
        check=waived,
    ),
    Case(
        "param-flag-nan",
        {},
        2,
        "--param low-execution-rate.threshold=nan: must be a finite number",
        args=["--param", "low-execution-rate.threshold=nan"],
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "param-flag-for-no-rule",
        {},
        2,
        "no rule 'nope'",
        args=["--param", "nope.x=1"],
        prefix="auditcheck:",
        good=False,
    ),
    Case(
        "too-many-jobs",
        {},
        2,
        "Invalid value for '--jobs'",
        args=["--jobs", "100000"],
        prefix="Error:",
        good=False,
    ),
    Case(
        "today-is-not-a-date",
        {},
        2,
        "AUDITCHECK_TODAY",
        env={"AUDITCHECK_TODAY": "明天"},
        prefix="auditcheck:",
        good=False,
    ),
    # Rule files: a message that fails is an error naming the rule; the rest is kept
    Case(
        "message-divides-by-zero",
        rules("{{ budget / 0 }}"),
        2,
        "sample.yaml:2:1: sample.message: template failed",
        command=WITH_RULES,
        prefix="rules",
    ),
    Case(
        "message-adds-to-nothing",
        rules("{{ score + 1 }}"),
        2,
        "template failed",
        command=WITH_RULES,
        prefix="rules",
    ),
    Case(
        "message-misuses-a-filter",
        rules("{{ budget|join }}"),
        2,
        "template failed",
        command=WITH_RULES,
        prefix="rules",
    ),
    Case(
        "message-exhausts-memory",
        rules("{{ 'x' * 3000000000 }}"),
        2,
        "repeating makes more than",
        command=WITH_RULES,
        prefix="rules",
    ),
    Case(
        "message-calls-a-method",
        rules("{{ name.center(999999999) }}"),
        2,
        "cannot use call",
        command=WITH_RULES,
        prefix="rules",
        good=False,
    ),
    Case(
        "rules-check-renders-messages",
        rules("{{ budget / 0 }}"),
        2,
        "template failed",
        command=["rules", "check", "--rules", "rules"],
        prefix="rules",
        good=False,
    ),
    Case(
        "condition-nested-too-deep",
        rules(when=NESTED),
        2,
        "nested",
        command=WITH_RULES,
        prefix="rules",
        good=False,
    ),
    Case(
        "rules-check-refuses-deep-nesting",
        rules(when=NESTED),
        2,
        "nested",
        command=["rules", "check", "--rules", "rules"],
        prefix="rules",
        good=False,
    ),
    Case(
        "condition-with-too-many-comparisons",
        rules(when=MANY),
        2,
        "comparisons",
        command=["rules", "check", "--rules", "rules"],
        prefix="rules",
        good=False,
    ),
    Case(
        "parameter-too-large",
        rules(when="budget > limit", params="    params: {limit: {default: 1.0e+300, doc: d}}\n"),
        2,
        "limit.default: larger than 10^15",
        command=WITH_RULES,
        prefix="rules",
        good=False,
    ),
    Case(
        "number-out-of-the-engines-range",
        rules(when="budget > 100000000 * 100000000"),
        2,
        "out of range",
        command=["rules", "check", "--rules", "rules"],
        prefix="rules",
        good=False,
    ),
]
