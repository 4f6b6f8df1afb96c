"""The seed's nine projects, through the real command line."""

from pathlib import Path

import pytest

from .conftest import FIXTURES, ROOT, cli, cli_json, seed_copy


@pytest.fixture(scope="module")
def report() -> dict:
    code, data, stderr = cli_json("run", "fixtures/2023")
    assert code in (0, 1), stderr
    assert stderr == ""
    return data


def found(report: dict) -> set[tuple[str, str, str]]:
    return {(f["rule"], f["record"], f["field"]) for f in report["findings"]}


SPINE = {
    ("low-execution-rate", "rural-revitalization", "spent"),
    ("low-execution-rate", "special-bonds", "subitems[0].spent"),
    ("low-execution-rate", "special-bonds", "subitems[1].spent"),
    ("low-execution-rate", "housing-security", "spent"),
    ("low-execution-rate", "housing-security", "subitems[0].spent"),
    ("target-not-adjusted", "village-clinics", "targets[0].adjusted"),
    ("acceptance-docs-incomplete", "village-clinics", "acceptance"),
    ("overdue-construction", "housing-security", "subitems[0].schedule.planned_completion"),
}


def test_the_spine_findings_on_the_seed(report: dict) -> None:
    assert found(report) >= SPINE


def test_summary_counts_what_was_evaluated(report: dict) -> None:
    summary = report["summary"]
    assert summary["records"] == 9
    assert summary["rules"] >= 4
    assert summary["facts"] > summary["records"]
    assert sum(summary["findings"].values()) == len(report["findings"])


def test_each_finding_points_at_the_line_of_its_field(report: dict) -> None:
    for finding in report["findings"]:
        lines = (ROOT / finding["file"]).read_text("utf-8").splitlines()
        text = lines[finding["line"] - 1]
        last = finding["field"].split(".")[-1].split("[")[0]
        assert text[finding["col"] - 1 :].lstrip("- ").startswith(f"{last}:"), (finding, text)


def test_findings_are_in_chinese_with_figures(report: dict) -> None:
    by_key = {(f["rule"], f["record"], f["field"]): f for f in report["findings"]}
    message = by_key[("low-execution-rate", "rural-revitalization", "spent")]["message"]
    assert "6223.15万元" in message and "3597.53万元" in message and "57.81%" in message
    overdue = by_key[
        ("overdue-construction", "housing-security", "subitems[0].schedule.planned_completion")
    ]
    assert "2023年12月31日" in overdue["message"] and "6个月" in overdue["message"]


def test_fingerprints_are_stable_and_unique(report: dict) -> None:
    prints = [f["fingerprint"] for f in report["findings"]]
    assert len(prints) == len(set(prints))
    _, again, _ = cli_json("run", "fixtures/2023")
    assert [f["fingerprint"] for f in again["findings"]] == prints


def test_text_output_groups_by_project_and_ends_with_summary() -> None:
    proc = cli("run", "fixtures/2023")
    assert "fixtures/2023/01-rural-revitalization.yaml:11:1" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("共检查 9 个项目记录")
    assert "\x1b[" not in proc.stdout  # not a terminal: no colour


def test_broken_fixture_exits_2_and_others_are_still_checked(tmp_path: Path) -> None:
    batch = seed_copy(
        tmp_path,
        {
            "05-village-clinics.yaml": [("spent: 245.98", 'spent: "很多"')],
            "08-public-culture.yaml": [("budget: 485.39", "budget: [485.39")],
        },
    )
    code, data, stderr = cli_json("run", str(batch), cwd=tmp_path)
    assert code == 2
    errors = stderr.strip().splitlines()
    assert len(errors) == 2
    assert errors[0].startswith("2023/05-village-clinics.yaml:10:1: spent: ")
    assert errors[1].startswith("2023/08-public-culture.yaml:")
    assert "Traceback" not in stderr
    assert data["summary"]["records"] == 7
    assert {"rural-revitalization", "housing-security"} <= {f["record"] for f in data["findings"]}


def test_fail_on_sets_the_exit_code() -> None:
    assert cli("run", "fixtures/2023", "--fail-on", "warning").returncode == 1
    assert (
        cli(
            "run", "fixtures/2023", "--select", "acceptance-docs-incomplete", "--fail-on", "error"
        ).returncode
        == 0
    )


def test_no_records_is_exit_2(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text("region: 某区\nfiscal_year: 2023\n", "utf-8")
    proc = cli("run", str(tmp_path))
    assert proc.returncode == 2
    assert "no project records" in proc.stderr


# The seed report's section 三, project by project: the headings under which it lists each one.
SEED_CATEGORIES = {
    "rural-revitalization": {
        "budget-execution",
        "preliminary-planning",
        "implementation-compliance",
        "implementation-progress",
        "output-completion",
        "expected-benefit",
    },
    "village-public-welfare": {
        "preliminary-planning",
        "implementation-compliance",
        "construction-quality",
        "sustainability",
    },
    "special-bonds": {
        "budget-execution",
        "performance-management",
        "preliminary-planning",
        "implementation-progress",
        "output-completion",
    },
    "housing-security": {
        "budget-execution",
        "preliminary-planning",
        "output-completion",
        "sustainability",
    },
    "village-clinics": {"performance-management", "implementation-compliance"},
    "sme-development": {
        "performance-management",
        "implementation-compliance",
        "implementation-progress",
        "publicity-awareness",
    },
    "social-assistance": {"publicity-awareness"},
    "public-culture": {
        "performance-management",
        "implementation-compliance",
        "publicity-awareness",
    },
    "government-affairs": {"implementation-compliance"},
}

# Findings the report does not list but its own figures support, each with the fact behind it.
DEFENSIBLE_EXTRAS = {
    ("village-public-welfare", "budget-execution"): "美丽乡村 919.92/1579.08 = 58.26%",
    ("village-public-welfare", "expected-benefit"): "张岭村村北公厕已停用",
    ("village-public-welfare", "output-completion"): "美丽乡村 18 个项目中 5 个在建",
    ("special-bonds", "implementation-compliance"): "幼儿园 9月1日开园，10月30日才出具验收证明",
    ("village-clinics", "budget-execution"): "245.98/296.29 = 83.02%",
    ("village-clinics", "output-completion"): "目标 88 个，完成 83 个",
    ("social-assistance", "budget-execution"): "2770.45/3378.22 = 82.01%",
    ("public-culture", "output-completion"): "未开展公共文化设施提升项目",
    ("government-affairs", "budget-adjustment"): "年初 2737.45 调至 3888.28，+42.04%",
}


def test_every_heading_of_the_seed_is_found_and_nothing_groundless(report: dict) -> None:
    actual: dict[str, set[str]] = {}
    for f in report["findings"]:
        if f["dimension"] != "consistency":  # arithmetic slips are not a heading of section 三
            actual.setdefault(f["record"], set()).add(f["category"])
    for record, expected in SEED_CATEGORIES.items():
        extras = {c for (r, c) in DEFENSIBLE_EXTRAS if r == record}
        assert actual.get(record, set()) == expected | extras, record


def test_no_rule_names_a_project() -> None:
    names = set(SEED_CATEGORIES)
    for path in FIXTURES.glob("[0-9]*.yaml"):
        for line in path.read_text("utf-8").splitlines():
            if line.startswith(("name:", "short_name:")):
                names.add(line.split(":", 1)[1].strip())
    for rule_file in (ROOT / "rules").glob("*.yaml"):
        text = rule_file.read_text("utf-8")
        assert not [n for n in names if n in text], rule_file


@pytest.mark.parametrize(
    ("file", "old", "new", "rule"),
    [
        (
            "05-village-clinics.yaml",
            "spent: 245.98",
            "spent: 270",
            "low-execution-rate",
        ),
        (
            "09-government-affairs.yaml",
            "initial_budget: 2737.45",
            "initial_budget: 3500",
            "large-budget-adjustment",
        ),
        (
            "02-village-public-welfare.yaml",
            "connected: false\n    evidence: 化粪池未与市政排污管道连通，且",
            "connected: true\n    evidence: 化粪池未与市政排污管道连通，且",
            "facility-not-functional",
        ),
    ],
)
def test_crossing_a_threshold_changes_the_finding(tmp_path: Path, file, old, new, rule) -> None:
    _, before, _ = cli_json("run", str(seed_copy(tmp_path / "before")))
    _, after, _ = cli_json("run", str(seed_copy(tmp_path / "after", {file: [(old, new)]})))

    def hits(data: dict) -> int:
        return sum(f["rule"] == rule and f["file"].endswith(file) for f in data["findings"])

    assert hits(after) == hits(before) - 1
