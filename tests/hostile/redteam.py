"""The red team's second pass: inputs that once changed a figure, lost a finding, hung a run,
injected into an output or left a file behind, each with the input the red team used.

Every case runs through the real command line beside the good record (see harness).
"""

from __future__ import annotations

import json
import re
from typing import Any

import cmarkgfm

from .harness import GOOD_BATCH, HEAD, RUN, Case
from .inputs import HEADER, XLSX_HEADER, records_checked, stderr_lines, workbook
from .outputs import CONFIG, record, rules, waived


def not_in(text: str, part: str) -> None:
    assert part not in text, text


def found(rule: str, record: str) -> Any:
    """The run reported ``rule`` on ``record`` (its finding was not lost)."""

    def check(proc: Any, _folder: Any) -> None:
        findings = {(f["rule"], f["record"]) for f in json.loads(proc.stdout)["findings"]}
        assert (rule, record) in findings, proc.stdout[-2000:]

    return check


LOOPS = (
    "{% set l = [1,2,3,4,5,6,7,8,9,10] %}"
    + "".join(f"{{% for v{i} in l %}}" for i in range(10))
    + "{% endfor %}" * 10
)


def hidden_first(sheet: Any) -> None:
    """The records sheet hidden (last year's), today's on a visible second sheet."""
    sheet.sheet_state = "hidden"
    today = sheet.parent.create_sheet("可见")
    today.append(XLSX_HEADER)
    today.append(["x2", "可见", "专项", "u", 100, 1])


def present(name: str) -> Any:
    def check(_proc: Any, folder: Any) -> None:
        assert (folder / name).is_file()
        assert not list(folder.rglob(".*.tmp"))

    return check


def short_lines(proc: Any, _folder: Any) -> None:
    """Errors quote a value in part: no line of a screen's width times two."""
    assert all(len(line) < 200 for line in proc.stderr.splitlines()), proc.stderr[:500]


def no_workflow_commands(proc: Any, _folder: Any) -> None:
    """No line a CI runner acts on: ``::`` after leading white space, or ``##[`` anywhere
    (in a ``--format github`` line, after the command auditcheck meant)."""
    for line in proc.stdout.splitlines() + proc.stderr.splitlines():
        meant = re.match(r"::(error|warning|notice) file=[^:]*::", line)
        body = line[meant.end() :] if meant else line
        assert meant or not body.lstrip().startswith("::"), line
        assert "##[" not in body, line


def no_links(proc: Any, _folder: Any) -> None:
    """GitHub renders the Markdown with no link from record text in it."""
    shown = cmarkgfm.github_flavored_markdown_to_html(proc.stdout)
    assert "<a " not in shown and "evil" in shown, shown


# Legal names of 248 and 255 bytes: the temporary file beside them must not be longer.
LONG_DRAFT = "晋城市城区财政局二〇二四年度预算绩效评价报告征求意见稿" * 3 + ".docx"
LONG_JSON = "x" * 250 + ".json"
HUGE = "部分项目合同签订不规范。" + "附：情况说明。" * 13000
EDGE = "部分项目合同签订不规范。" + "\U00020000" * (16_000 - 12)  # 64,000 bytes of UTF-8
LONG_EVIDENCE = "合同签订不规范" + "，情况说明" * 2100


CASES = [
    # YAML 1.1 numbers: a figure silently changed (010 → 8, 1:30 → 90, 0x10 → 16, 1_000 → 1000).
    Case(
        "yaml-octal",
        {"bad.yaml": HEAD + "budget: 010\nspent: 1\n"},
        2,
        "bad.yaml:5:9: budget: a leading 0 makes YAML read 010 as the octal number 8; write 10",
    ),
    Case(
        "yaml-base-60",
        {"bad.yaml": HEAD + "budget: 1:30\nspent: 1\n"},
        2,
        "bad.yaml:5:9: budget: YAML reads 1:30 as a base-60 number (90); write the figure",
    ),
    Case(
        "yaml-hexadecimal",
        {"bad.yaml": HEAD + "budget: 0x10\nspent: 1\n"},
        2,
        "bad.yaml:5:9: budget: YAML reads 0x10 as a hexadecimal or binary number (16)",
    ),
    Case(
        "yaml-underscore-digits",
        {"bad.yaml": HEAD + "budget: 1_000\nspent: 10\n"},
        2,
        "bad.yaml:5:9: budget: digits grouped with _ are not read; write 1000",
    ),
    Case(
        "yaml-5000-digit-integer",
        {"bad.yaml": HEAD + "budget: 1" + "0" * 5000 + "\n"},
        2,
        "bad.yaml:5:9: budget: larger than 10^15",
    ),
    # Hints that offered a figure that changes the number, or claimed a unit the field lacks.
    Case(
        "hint-decimal-comma",
        {"bad.yaml": HEAD + 'budget: "12,5"\n'},
        2,
        "bad.yaml:5:1: budget: Input should be a valid number, got text '12,5'; the comma in "
        "'12,5' may be a decimal point or a thousands separator",
    ),
    Case(
        "hint-european-number",
        {"bad.yaml": HEAD + 'budget: "1.234,5"\n'},
        2,
        "may be a decimal point or a thousands separator; write the figure in plain digits",
    ),
    Case(
        "hint-percent-on-an-amount",
        {"bad.yaml": HEAD + 'budget: "50%"\n'},
        2,
        "budget: Input should be a valid number, got text '50%'; this is an amount in 万元, "
        "not in %",
    ),
    # An editor's line: U+2028 inside a comment does not start a line there.
    Case(
        "line-separator-in-a-comment",
        {"bad.yaml": HEAD + "budget: 100\n# 注释\u2028\u2028\u2028spnet: 1\n"},
        2,
        "bad.yaml:6:8: spnet: unknown field; did you mean 'spent'?",
    ),
    Case(
        "negative-zero",
        {"zero.yaml": HEAD.replace("bad-record", "zero-record") + "budget: 100\nspent: -0.0\n"},
        0,
        None,
        check=lambda proc, _: not_in(proc.stdout, "-0"),
    ),
    # Messages: the record's own long text is quoted, never blamed on the rule; a template that
    # multiplies work is refused at once.
    Case(
        "message-quotes-a-long-name",
        {
            "long.yaml": "id: long\nname: " + "长" * 10001 + "\ntype: 专项\nunits: [u]\n"
            "budget: 100\nspent: 10\n"
        },
        0,
        None,
        check=found("low-execution-rate", "long"),
    ),
    Case(
        "message-quotes-long-evidence",
        {
            "long.yaml": "id: long\nname: 长\ntype: 专项\nunits: [u]\nobservations:\n"
            "  - topic: contracts\n    evidence: " + LONG_EVIDENCE + "\n"
        },
        0,
        None,
        check=found("contract-clauses-missing", "long"),
    ),
    Case(
        "message-nested-loops",
        rules(LOOPS),
        2,
        "sample.yaml:2:1: sample.message: template failed for 'good-record' (batch/good.yaml): "
        "SecurityError: the loops take more than 10000 turns",
        command=[*RUN, "--rules", "rules"],
        prefix="rules",
    ),
    Case(
        "rules-check-nested-loops",
        rules(LOOPS),
        2,
        "the loops take more than 10000 turns",
        command=["rules", "check", "--rules", "rules"],
        prefix="rules",
        good=False,
    ),
    Case(
        "jsonl-earlier-topic-id",
        {
            "r.jsonl": '{"id": "o1", "name": "旧", "type": "专项", "units": ["u"], '
            '"observations": [{"topic": "contract-clauses-missing", "evidence": "合同条款缺失"}]}\n'
        },
        0,
        "batch/r.jsonl:1:75: observations[0].topic: 'contract-clauses-missing' is now written "
        "'contracts' (read as 'contracts'); rename it",
        prefix="auditcheck: note: batch/r.jsonl",
        check=found("contract-clauses-missing", "o1"),
    ),
    # Texts: past 65,535 bytes the engine's word match fails silently, so a text is held to
    # 16,000 characters (64,000 bytes at most); at the limit, the words are still found.
    Case(
        "evidence-past-the-text-limit",
        {"huge.yaml": HEAD + "observations:\n  - topic: contracts\n    evidence: " + HUGE + "\n"},
        2,
        "batch/huge.yaml:7:5: observations[0].evidence: 91012 characters, over the 16000 a text "
        "may have",
        check=short_lines,
    ),
    Case(
        "evidence-at-the-text-limit-in-four-byte-characters",
        {
            "edge.yaml": "id: edge\nname: 项目\ntype: 专项\nunits: [u]\nobservations:\n"
            "  - topic: contracts\n    evidence: " + EDGE + "\n"
        },
        0,
        None,
        check=found("contract-clauses-missing", "edge"),
    ),
    Case(
        "a-long-value-quoted-short",
        {"bad.yaml": HEAD + "schedule: " + "长" * 500 + "\n"},
        2,
        "batch/bad.yaml:5:1: schedule: Input should be a valid dictionary",
        check=short_lines,
    ),
    # CSV and workbooks
    Case(
        "csv-cr-line-endings",
        {"r.csv": (HEADER + "c1,表一,专项,u,100,10\nc2,表二,专项,u,abc,10\n").replace("\n", "\r")},
        2,
        "batch/r.csv:3:5: budget: Input should be a valid number, got text 'abc'",
        check=records_checked("c1"),
    ),
    Case(
        "csv-lone-cr-in-crlf",
        {
            "r.csv": HEADER.replace("\n", "\r\n")
            + "c1,表,专项,u,100,10\rc2,表2,专项,u,100,10\r\nc3,表3,专项,u,abc,10\r\n"
        },
        2,
        "batch/r.csv:4:5: budget",
        check=records_checked("c1", "c2"),
    ),
    Case(
        "csv-40000-columns",
        {
            "r.csv": HEADER.rstrip("\n")
            + "".join(f",col{i}" for i in range(40000))
            + "\nc1,表,专项,u,100,10\n"
        },
        0,
        None,
        check=records_checked("c1"),
    ),
    Case(
        "csv-cells-of-spaces",
        {"r.csv": HEADER + "  ,  ,  ,  ,  ,  \nc2,表2,专项,u,100,10\n"},
        0,
        None,
        check=records_checked("c2"),
    ),
    Case(
        "csv-decimal-comma",
        {"r.csv": HEADER + 'c1,表,专项,u,"12,5",10\n'},
        2,
        "batch/r.csv:2:5: budget: Input should be a valid number, got text '12,5'; the comma",
    ),
    Case(
        "csv-500000-values-past-the-header",
        {"r.csv": HEADER + "c1,表,专项,u,100,10" + ",1" * 500_000 + "\n"},
        2,
        "batch/r.csv:2:7: 500000 values beyond the header, from this column on",
        check=stderr_lines(1),
    ),
    Case(
        "csv-utf32",
        {"r.csv": (HEADER + "c1,表,专项,u,100,10\n").encode("utf-32")},
        2,
        "batch/r.csv:1:1: UTF-32 text; save the file as UTF-8",
    ),
    Case(
        "jsonl-utf16",
        {"r.jsonl": '{"id": "j1"}\n'.encode("utf-16")},
        2,
        "batch/r.jsonl:1:1: UTF-16 text; save the file as UTF-8",
    ),
    Case(
        "xlsx-true-in-a-name-cell",
        {"r.xlsx": workbook(XLSX_HEADER, ["x1", True, "专项", "u", 100, 1])},
        2,
        "batch/r.xlsx:Sheet!B2: name: TRUE is a logical value, not text",
    ),
    Case(
        "xlsx-hidden-first-sheet",
        {"r.xlsx": workbook(XLSX_HEADER, ["x1", "隐藏", "专项", "u", 100, 1], edit=hidden_first)},
        0,
        None,
        check=records_checked("x2"),
    ),
    # What a batch folder holds besides records, and a file reached twice
    Case(
        "waivers-kept-in-the-batch",
        {
            "waivers.yaml": "waivers:\n  - {rule: low-execution-rate, record: good-record, "
            "reason: 已说明情况, owner: 某局}\n"
        },
        0,
        "batch/waivers.yaml: note: this run's waivers or baseline; not read as a record",
        args=["--waivers", "batch/waivers.yaml"],
        good=False,
        check=waived,
    ),
    Case(
        "batch-yml",
        {"batch.yml": GOOD_BATCH},
        2,
        "batch/batch.yml:1:1: the batch file is named batch.yaml; rename this one to batch.yaml",
        batch=None,
        check=stderr_lines(1),
    ),
    Case(
        "a-file-again-through-a-symlinked-folder",
        {"../link@": "batch"},
        0,
        None,
        command=["run", "batch", "link/good.yaml", "--format", "json"],
    ),
    # A baseline that is not one: located, never silently ignored (and never a finding lost)
    *(
        Case(
            f"baseline-{name}",
            {"../bl.json": text},
            2,
            fragment,
            args=["--baseline", "bl.json"],
            prefix="bl.json",
            good=False,
        )
        for name, text, fragment in [
            (
                "fingerprint-not-text",
                '{"version": 1, "findings": [{"fingerprint": 5}]}',
                "bl.json:1:30: findings[0].fingerprint: Input should be a valid string",
            ),
            (
                "key-given-twice",
                '{"version": 1, "findings": [\n  {"fingerprint": "d9b3fea6ca0f0f7b",'
                ' "fingerprint": "0000000000000000"}]}',
                "bl.json:2:39: findings[0].fingerprint: duplicate key",
            ),
            (
                "unknown-version",
                '{"version": 2, "findings": []}',
                "bl.json:1:2: version: version 2 is not known",
            ),
            (
                "not-json",
                '{"version": 1, "findings": [}',
                "bl.json:1:29: not valid JSON",
            ),
        ]
    ),
    # Text a CI runner would act on, in every line auditcheck prints
    *(
        Case(
            f"{fmt}-name-holding-{kind}",
            {"odd.yaml": record(name)},
            0,
            None,
            command=["run", "batch", "--format", fmt],
            good=False,
            check=no_workflow_commands,
        )
        for kind, name in [
            ("a-command-after-a-space", " ::error::伪造"),
            ("a-command-after-u3000", "\u3000::warning::伪造"),
            ("a-legacy-command", "项目##[error]伪造的错误"),
        ]
        for fmt in ("text", "github", "json")
    ),
    Case(
        "file-name-with-a-space-before-a-command",
        {"../ ::error title=伪造::x.yaml": "id: x\nname: [\n"},
        2,
        "::x.yaml:3:1: YAML syntax error",
        command=["run", " ::error title=伪造::x.yaml", "batch/good.yaml", "--format", "json"],
        prefix="./ ::error",
        check=no_workflow_commands,
    ),
    Case(
        "markdown-mail-address",
        {"odd.yaml": record("联系人 a@evil.example, mailto:b@evil.example")},
        0,
        None,
        command=["run", "batch", "--format", "markdown"],
        good=False,
        check=no_links,
    ),
    # Settings: the same checks as batch.yaml and records; usage errors, not internal errors
    Case(
        "config-grade-bands-inverted",
        {CONFIG: "[params.grade-does-not-match-score]\nexcellent = 60\ngood = 80\npassing = 90\n"},
        2,
        "params.grade-does-not-match-score: grade bands must fall: excellent > good > passing "
        "(got excellent 60, good 80, passing 90)",
        prefix="auditcheck: ",
        good=False,
    ),
    Case(
        "param-grade-bands-out-of-range",
        {},
        2,
        "auditcheck: --param grade-does-not-match-score.excellent=101: excellent: Input should "
        "be less than or equal to 100",
        args=["--param", "grade-does-not-match-score.excellent=101"],
        prefix="auditcheck: ",
        good=False,
    ),
    Case(
        "config-quoted-number",
        {CONFIG: '[params.low-execution-rate]\nthreshold = "90"\n'},
        2,
        "auditcheck.toml: params.low-execution-rate.threshold: must be a number, not text; "
        "write it without quotes, got '90'",
        prefix="auditcheck: ",
        good=False,
    ),
    *(
        Case(
            f"max-file-size-{given}",
            {},
            2,
            "Error: Invalid value for '--max-file-size' (env var: 'AUDITCHECK_MAX_FILE_SIZE'): "
            f"must be more than 0 and less than a million megabytes, got '{given}'",
            args=["--max-file-size", given],
            prefix="Error:",
            good=False,
        )
        for given in ("inf", "nan", "-1", "0")
    ),
    Case(
        "max-file-size-variable-inf",
        {},
        2,
        "Error: Invalid value for '--max-file-size' (env var: 'AUDITCHECK_MAX_FILE_SIZE')",
        env={"AUDITCHECK_MAX_FILE_SIZE": "inf"},
        prefix="Error:",
        good=False,
    ),
    Case(
        "empty-path",
        {},
        2,
        "Error: Invalid value for 'PATHS...': an empty path (an unset variable?)",
        command=["run", "", "--format", "json"],
        prefix="Error:",
        good=False,
    ),
    Case(
        "draft-chart-with-a-character-its-font-lacks",
        {"r.yaml": "id: r1\nname: 𠀀村项目\ntype: 专项\nunits: [u]\nbudget: 100\nspent: 1\n"},
        0,
        "wrote d.docx",
        command=["report", "batch", "-o", "d.docx"],
        prefix="wrote",
        good=False,
        check=stderr_lines(1),  # no warning from the chart library
    ),
    # Outputs
    Case(
        "draft-with-a-248-byte-name",
        {},
        0,
        "wrote " + LONG_DRAFT,
        command=["report", "batch", "-o", LONG_DRAFT],
        prefix="wrote",
        good=False,
        check=present(LONG_DRAFT),
    ),
    Case(
        "output-with-a-255-byte-name",
        {},
        0,
        "共检查 1 个项目记录",
        command=[*RUN, "-o", LONG_JSON],
        prefix="共检查",
        good=False,
        check=present(LONG_JSON),
    ),
]
