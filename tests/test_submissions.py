"""Reviewing what units submit: the three real forms, read as workbooks, through the packs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from auditcheck.config import ConfigError, load_config, rulebook_spec
from auditcheck.forms import FormRecord, read_forms, write_batch
from auditcheck.render.markdown import cell
from auditcheck.rulebook.load import load_rulebook

from . import formbook as fb
from .conftest import RULES, cli, cli_json
from .test_forms import TEMPLATE


def form_of(source: Path, folder: Path) -> FormRecord:
    book = fb.xlsx(folder / f"{source.stem}.xlsx", ("自评表", fb.transcription(source)))
    [form] = list(read_forms([(book, book.name)]))
    assert isinstance(form, FormRecord), str(form)
    return form


@pytest.mark.parametrize("source", [fb.TIANCHANG, fb.ZHONGJIANG, fb.DAYING], ids=lambda p: p.stem)
def test_template_rows_are_counted_not_read_as_indicators(source: Path, tmp_path: Path) -> None:
    rows = fb.transcription(source)
    (header,) = [r.cells for r in rows if r.block == "ind_head"]
    column = header.index("三级指标")
    # Sheet rows are the transcription's rows; sheet columns its columns after the block tag.
    lines = [(i + 1, r.cells[column]) for i, r in enumerate(rows) if r.block == "ind"]
    template = [row for row, name in lines if TEMPLATE.match(name)]
    form = form_of(source, tmp_path)
    assert form.data.get("template_rows", 0) == len(template)
    assert len(form.data["targets"]) == len(lines) - len(template)
    if template:
        cell = form.positions[("template_rows",)]
        assert (cell.sheet, cell.row, cell.col) == ("自评表", template[0], column + 1)


UNITS = {fb.TIANCHANG: "天长市水利局", fb.ZHONGJIANG: "中江县水利局", fb.DAYING: "大英县司法局"}


def submissions(folder: Path) -> dict[Path, FormRecord]:
    """The three forms as a bureau receives them, read and written as a batch to ``folder``.

    大英's transcription stops inside its first indicator row, so its record says what the
    source does not show: the rest of the indicator list, and that row's unit.
    """
    forms = {source: form_of(source, folder) for source in UNITS}
    cut = forms[fb.DAYING].data
    cut["unstated"] = [*cut.get("unstated", []), "targets"]
    cut["targets"][-1]["unstated"] = [*cut["targets"][-1].get("unstated", []), "unit"]
    write_batch(forms.values(), folder / "batch", region="示例")
    return forms


@pytest.fixture(scope="module")
def reviewed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, str, str, dict]:
    folder = tmp_path_factory.mktemp("submissions")
    forms = submissions(folder)
    sheet = folder / "review.md"
    proc = cli("validate", str(folder / "batch"), "--format", "json", "--review", str(sheet))
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout), proc.stderr, sheet.read_text("utf-8"), forms


def of(report: dict, form: FormRecord, rule: str) -> list[dict]:
    return [f for f in report["findings"] if f["record"] == form.data["id"] and f["rule"] == rule]


def indicator_rows(source: Path) -> tuple[list[str], list[list[str]]]:
    """The indicator table's header and its rows that name an indicator."""
    rows = fb.transcription(source)
    (header,) = [r.cells for r in rows if r.block == "ind_head"]
    lines = [r.cells for r in rows if r.block == "ind"]
    return header, [c for c in lines if not TEMPLATE.match(c[header.index("三级指标")])]


def test_zhongjiang_weights_add_up_to_more_than_the_total(reviewed) -> None:
    report, _, _, forms = reviewed
    header, lines = indicator_rows(fb.ZHONGJIANG)
    weights = [float(c[header.index("分值")]) for c in lines if c[header.index("分值")]]
    (funds_head, total, *_) = [
        r.cells for r in fb.transcription(fb.ZHONGJIANG) if r.block == "funds"
    ]
    execution = float(total[funds_head.index("分值")])
    [finding] = of(report, forms[fb.ZHONGJIANG], "weights-do-not-add-up")
    assert f"共{sum(weights) + execution:g}分，而总分应为100分" in finding["message"]
    by_level: dict[str, float] = {}
    for cells in lines:
        if cells[header.index("分值")]:
            level = cells[header.index("一级指标")].split("(")[0]
            by_level[level] = by_level.get(level, 0) + float(cells[header.index("分值")])
    [split] = of(report, forms[fb.ZHONGJIANG], "first-level-weights-not-standard")
    stated = "、".join(
        f"{level}{by_level[level]:g}分" for level in ("产出指标", "效益指标", "满意度指标")
    )
    assert (
        stated in split["message"]
        and "表注规定为产出50分、效益30分、满意度10分" in split["message"]
    )


def test_zhongjiang_actual_values_copy_the_targets(reviewed) -> None:
    report, _, _, forms = reviewed
    header, lines = indicator_rows(fb.ZHONGJIANG)
    planned, actual = header.index("年度指标值"), header.index("全年实际值")
    copies = [
        (i, c[actual])
        for i, c in enumerate(lines)
        if c[actual] == c[planned] and c[actual][:1] in "≥≤"
    ]
    found = of(report, forms[fb.ZHONGJIANG], "actual-not-a-figure")
    assert [f["field"] for f in found] == [f"targets[{i}].actual" for i, _ in copies]
    for finding, (_, text) in zip(found, copies, strict=True):
        assert f"实际完成值写作“{text}”，与年度指标值完全相同" in finding["message"]
    assert len(copies) == 6


def test_tianchang_scored_indicators_without_values_and_a_target_in_a_name(reviewed) -> None:
    report, _, _, forms = reviewed
    header, lines = indicator_rows(fb.TIANCHANG)
    blank = [
        i
        for i, c in enumerate(lines)
        if c[header.index("分值")]
        and not c[header.index("年度指标值")]
        and not c[header.index("实际完成值")]
    ]
    found = of(report, forms[fb.TIANCHANG], "indicator-values-blank")
    assert [f["field"] for f in found] == [f"targets[{i}].planned" for i in blank]
    assert len(blank) == 6 and all(
        "年度指标值和实际完成值都没有填写" in f["message"] for f in found
    )
    [named] = of(report, forms[fb.TIANCHANG], "target-in-indicator-name")
    assert "“年度资金支付完成率100%”把目标值“100%”写在了指标名称里" in named["message"]


def test_template_rows_are_reported_as_kept_and_never_as_indicators(reviewed) -> None:
    report, _, _, forms = reviewed
    rows = fb.transcription(fb.TIANCHANG)
    _, lines = indicator_rows(fb.TIANCHANG)
    template = sum(1 for r in rows if r.block == "ind") - len(lines)
    [kept] = of(report, forms[fb.TIANCHANG], "template-rows-kept")
    assert f"有{template}行没有指标名称" in kept["message"]
    for finding in report["findings"]:
        assert "绩效指标“……”" not in finding["message"]
        assert not any(f"“指标{n}:" in finding["message"] for n in (1, 2))
        for form in forms.values():
            if finding["record"] == form.data["id"] and finding["field"].startswith("targets["):
                index = int(finding["field"].split("[")[1].split("]")[0])
                assert index < len(form.data["targets"])


def test_daying_budget_added_mid_year_without_a_reason(reviewed) -> None:
    report, _, _, forms = reviewed
    (head, total, *_) = [r.cells for r in fb.transcription(fb.DAYING) if r.block == "funds"]
    initial, adjusted = total[head.index("年初预算")], total[head.index("调整后预算数")]
    assert "需说明原因" in total[head.index("原因")]  # the template's note is all the cell holds
    [finding] = of(report, forms[fb.DAYING], "adjustment-reason-missing")
    added = float(adjusted) - float(initial)
    assert float(initial) == 0  # nothing at the start of the year: said in words
    assert f"年初未安排预算，年中追加{added:g}万元" in finding["message"]
    assert finding["message"].endswith("原因一栏没有说明调整理由。")
    # the form is cut after its first indicator: nothing is concluded from the missing rest
    rules = {f["rule"] for f in report["findings"] if f["record"] == forms[fb.DAYING].data["id"]}
    assert rules == {"adjustment-reason-missing"}


def test_each_unit_gets_a_line_and_a_section_of_the_sheet(reviewed) -> None:
    report, stderr, sheet, forms = reviewed
    for source, unit in UNITS.items():
        found = [f for f in report["findings"] if f["record"] == forms[source].data["id"]]
        counts = {s: sum(f["severity"] == s for f in found) for s in ("error", "warning", "info")}
        line = (
            f"  {unit}：表格 1 份，问题 {len(found)} 项"
            f"（错误 {counts['error']}，警告 {counts['warning']}，提示 {counts['info']}）"
        )
        assert line in stderr.splitlines()
        section = sheet.split(f"**被复核单位：**{unit}")[1].split("# 项目支出绩效自评抽查复核意见")[
            0
        ]
        for finding in found:
            said = finding["message"].removeprefix(forms[source].data["name"]).removeprefix("的")
            assert cell(said) in section, said
    assert sheet.count("# 项目支出绩效自评抽查复核意见") == len(UNITS)


def test_no_rule_names_a_project_or_unit_of_the_forms(reviewed) -> None:
    _, _, _, forms = reviewed
    names = set(UNITS.values()) | {form.data["name"] for form in forms.values()}
    for rule_file in RULES.glob("*.yaml"):
        text = rule_file.read_text("utf-8")
        assert not [n for n in names if n in text], rule_file


def test_the_packs_are_selected_by_tag(tmp_path: Path) -> None:
    submissions(tmp_path)
    code, data, _ = cli_json("run", str(tmp_path / "batch"), "--select", "tag:self-evaluation")
    assert code == 1
    book = load_rulebook(RULES)
    pack = {r.id for r in book.rules if "self-evaluation" in r.rule.tags}
    assert {f["rule"] for f in data["findings"]} <= pack
    assert data["summary"]["rules"] == len(pack)


def test_the_sichuan_preset_leaves_the_first_level_split_to_the_unit(tmp_path: Path) -> None:
    (tmp_path / "auditcheck.toml").write_text('preset = "sichuan"\n', "utf-8")
    book = rulebook_spec(load_config(start=tmp_path), RULES).load()
    assert book.rule("first-level-weights-not-standard") not in book.rules
    assert book.rule("execution-weight-not-standard").params["standard"] == 10
    assert book.rule("weights-do-not-add-up").params["total"] == 100
    (tmp_path / "auditcheck.toml").write_text(
        'preset = "sichuan"\n[params.weights-do-not-add-up]\ntotal = 90\n', "utf-8"
    )
    book = rulebook_spec(load_config(start=tmp_path), RULES).load()
    assert book.rule("weights-do-not-add-up").params["total"] == 90  # the file wins over the preset
    (tmp_path / "auditcheck.toml").write_text('preset = "sichuan-province"\n', "utf-8")
    with pytest.raises(ConfigError, match="`preset` must be one of sichuan"):
        load_config(start=tmp_path)


def test_the_html_sheet_escapes_what_records_say_and_names_clean_forms(tmp_path: Path) -> None:
    batch = tmp_path / "in"
    batch.mkdir()
    (batch / "batch.yaml").write_text("region: 示例\n", "utf-8")
    (batch / "a.yaml").write_text(
        "id: a\nname: <script>alert(1)</script>项目\nunits: [{name: 甲单位, role: 实施单位}]\n"
        "execution_weight: 20\n",
        "utf-8",
    )
    (batch / "b.yaml").write_text(
        "id: b\nname: 乙项目\nunits: [{name: 甲单位, role: 实施单位}]\nexecution_weight: 10\n",
        "utf-8",
    )
    sheet = tmp_path / "sheet.html"
    proc = cli("validate", str(batch), "--review", str(sheet))
    assert proc.returncode == 0, proc.stderr  # a warning does not fail validate by default
    html = sheet.read_text("utf-8")
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;项目" in html
    assert "预算执行率的分值为20分，表注规定为10分" in html
    assert "乙项目</h2>" in html and "<p>未发现问题。</p>" in html
    assert "  甲单位：表格 2 份，问题 1 项（错误 0，警告 1，提示 0）" in proc.stderr.splitlines()


def test_a_sheet_must_say_its_format(tmp_path: Path) -> None:
    proc = cli("validate", "fixtures/2023", "--review", str(tmp_path / "sheet.txt"))
    assert proc.returncode == 2
    assert "the suffix picks the format: .md or .html" in proc.stderr
    assert not (tmp_path / "sheet.txt").exists()
