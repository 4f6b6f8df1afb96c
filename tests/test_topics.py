"""Observation topics are data (rules/topics.yaml): neutral, renamable, and never the verdict."""

import json
import warnings
from pathlib import Path

import pytest
import yaml

from auditcheck.check import Checker
from auditcheck.examples import example_record
from auditcheck.locate import RecordNote, parse, validate
from auditcheck.records.jsonl import parse_line
from auditcheck.records.model import TOPICS_FILE, Project, topic_ids, topic_renames
from auditcheck.rulebook.load import Rulebook, RulebookError, load_rulebook

from .conftest import FIXTURES, RULES, cli

HEAD = "id: p1\nname: 项目\n"


def test_topics_come_from_the_rules_folder_and_name_no_verdict() -> None:
    data = yaml.safe_load((RULES / "topics.yaml").read_text("utf-8"))
    assert TOPICS_FILE.resolve() == (RULES / "topics.yaml").resolve()
    assert [t["id"] for t in data["topics"]] == list(topic_ids())
    verdicts = ("missing", "incomplete", "late", "low", "slow", "unclear", "not-used", "lacking")
    assert not [t for t in topic_ids() if any(word in t for word in verdicts)]


def test_an_earlier_topic_id_is_read_with_a_located_note() -> None:
    doc = parse(
        HEAD + "observations:\n  - {topic: contract-clauses-missing, evidence: 合同签订不规范}\n",
        "p.yaml",
    )
    with pytest.warns(RecordNote) as notes:
        project, errors = validate(Project, doc)
    assert errors == [] and project.observations[0].topic == "contracts"
    [note] = notes
    assert str(note.message) == (
        "p.yaml:4:6: observations[0].topic: 'contract-clauses-missing' is now written "
        "'contracts' (read as 'contracts'); rename it"
    )


def test_a_json_line_gets_the_note_yaml_gets() -> None:
    line = json.dumps(
        {
            "id": "p1",
            "name": "项目",
            "observations": [{"topic": "contract-clauses-missing", "evidence": "x"}],
        },
        ensure_ascii=False,
    )
    with pytest.warns(RecordNote) as notes:
        project, _, errors = parse_line(line, "r.jsonl", 7)
    assert errors == [] and project.observations[0].topic == "contracts"
    [note] = notes
    col = line.index('"topic"') + 1
    assert str(note.message) == (
        f"r.jsonl:7:{col}: observations[0].topic: 'contract-clauses-missing' is now written "
        "'contracts' (read as 'contracts'); rename it"
    )


def test_a_line_refused_leaves_no_note_for_the_next_record() -> None:
    bad = '{"id": "p1", "budget": "x", "observations": [{"topic": "contract-clauses-missing"}]}'
    project, _, errors = parse_line(bad, "r.jsonl", 1)
    assert project is None and errors
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        validate(
            Project, parse(HEAD + "observations: [{topic: contracts, evidence: x}]\n", "p.yaml")
        )


def test_every_earlier_topic_id_still_loads() -> None:
    for old, new in topic_renames().items():
        with pytest.warns(RecordNote, match=new):
            project, errors = validate(
                Project, parse(HEAD + f"observations: [{{topic: {old}, evidence: x}}]\n", "p.yaml")
            )
        assert errors == [] and project.observations[0].topic == new


def test_an_unknown_topic_says_where_topics_are() -> None:
    _, errors = validate(
        Project, parse(HEAD + "observations: [{topic: contrats, evidence: x}]\n", "p.yaml")
    )
    [error] = errors
    assert (error.line, error.field) == (3, "observations[0].topic")
    assert "unknown topic 'contrats'; did you mean 'contracts'?" in error.message
    assert "rules/topics.yaml" in error.message


def test_the_cli_prints_the_note_and_still_checks(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text("region: 某区\n", "utf-8")
    (tmp_path / "p.yaml").write_text(
        HEAD
        + "observations:\n  - {topic: supervision-missing, evidence: 监督检查工作落实不到位}\n",
        "utf-8",
    )
    proc = cli("run", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert "auditcheck: note: " in proc.stderr and "now written 'supervision'" in proc.stderr
    assert "supervision-missing" in proc.stdout  # the rule, which now reads the evidence


@pytest.fixture(scope="module")
def checker(rulebook: Rulebook) -> Checker:
    return Checker(rulebook)


@pytest.mark.parametrize(
    ("observation", "rule"),
    [
        # no topic: the rules recognise the subject from the evidence as well
        ({"evidence": "部分项目合同签订不够规范"}, "contract-clauses-missing"),
        ({"evidence": "未定期对固定资产进行盘点"}, "asset-management-lapse"),
        ({"evidence": "幼儿园建设决算审计时间不及时"}, "acceptance-or-audit-late"),
        # a topic alone is no verdict: a neutral sentence on the same subject finds nothing
        ({"topic": "contracts", "evidence": "按规定签订了施工合同"}, None),
        ({"topic": "maintenance", "evidence": "已明确村委会为管护主体并落实管护经费"}, None),
        # the topic decides which heading a sentence that mentions several things belongs to
        (
            {"topic": "scope", "evidence": "实际改造范围与可研批复有出入，前期准备工作不充分"},
            "scope-differs-from-feasibility",
        ),
    ],
)
def test_rules_classify_observations_by_their_words(
    checker: Checker, observation: dict, rule: str | None
) -> None:
    findings, _ = checker.check_record(example_record({"observations": [observation]}, "x.yaml"))
    assert [f.rule for f in findings] == ([rule] if rule else [])
    if rule:  # the message is the source's sentence, once
        assert findings[0].message == f"示例项目{observation['evidence']}。"


def test_a_condition_with_an_earlier_topic_spelling_names_the_new_one(tmp_path: Path) -> None:
    (tmp_path / "categories.yaml").write_text(
        (RULES / "categories.yaml").read_text("utf-8"), "utf-8"
    )
    rule = (
        "rules:\n  - id: r\n    category: budget-execution\n    applies_to: [observation]\n"
        '    severity: info\n    summary: s\n    when: topic == "scheme-changed"\n'
        "    field: topic\n    message: m\n    doc: d\n"
    )
    (tmp_path / "r.yaml").write_text(rule, "utf-8")
    with pytest.raises(RulebookError) as info:
        load_rulebook(tmp_path)
    assert "`topic` 'scheme-changed' is now written 'design-change'" in str(info.value)


def test_the_seed_fixtures_use_current_topic_ids() -> None:
    text = "".join(p.read_text("utf-8") for p in FIXTURES.glob("*.yaml"))
    assert not [old for old in topic_renames() if f"topic: {old}\n" in text]


def test_words_are_found_across_a_line_fold(checker: Checker) -> None:
    # A folded YAML scalar joins its lines with a space, here inside 不够规范.
    record = example_record(
        {"observations": [{"topic": "contracts", "evidence": "合同签订不够 规范"}]}, "x"
    )
    findings, _ = checker.check_record(record)
    assert [f.rule for f in findings] == ["contract-clauses-missing"]


def test_worker_processes_print_the_note_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "batch.yaml").write_text("region: 某区\n", "utf-8")
    for i in (1, 2):
        observation = "observations: [{topic: awareness-low, evidence: 知晓率偏低}]\n"
        (tmp_path / f"p{i}.yaml").write_text(f"id: p{i}\nname: 项目\n{observation}", "utf-8")
    proc = cli("run", str(tmp_path), "--jobs", "2")
    notes = [line for line in proc.stderr.splitlines() if line.startswith("auditcheck: note: ")]
    assert len(notes) == 2 and "RecordNote" not in proc.stderr, proc.stderr
