"""The draft report's content: what it says, where, and how it says it (via the Markdown draft).

Each test names a defect class of issue 15 it keeps out: units counted wrong, grades
re-graded or written as machine text, a fact under two headings, a threshold repeated,
a parenthesis repeating its sentence, file paths in the body, sentences copied from
the source, missing parts (purpose, process, section 二, 评价结论, 结果应用, appendices).
"""

import json
import re
import unicodedata
from pathlib import Path

import pytest
import yaml

from auditcheck.draft import cn_number, summary
from auditcheck.draft.problems import clean_message, location_pattern, split_subject
from auditcheck.draft.prose import distinct_units, percent, range_label
from auditcheck.forms import FormRecord, read_forms, write, write_batch
from auditcheck.rulebook.load import Rulebook
from auditcheck.vocabulary import KINDS

from . import formbook as fb
from .conftest import FIXTURES, ROOT, cli, seed_copy

# shared/ sits beside the checkout (CI) or beside the folder of worktrees.
SEEDS = [
    base / "shared" / "seed" / "jincheng-chengqu-2024-evaluation-report.txt"
    for base in (ROOT.parent, ROOT.parent.parent)
]


def draft_md(tmp_path: Path, *args: str, batch: Path | None = None) -> str:
    """The Markdown draft of fixtures/2023 (or ``batch``) written with ``args``."""
    out = tmp_path / "draft.md"
    proc = cli("report", str(batch or "fixtures/2023"), "-o", str(out), *args)
    assert proc.returncode == 0, proc.stderr
    return out.read_text("utf-8")


def section(text: str, start: str, end: str | None = None) -> str:
    """The Markdown between the heading ``start`` and the next heading ``end``."""
    after = text.split(start, 1)[1]
    return after.split(end, 1)[0] if end else after


def body(text: str) -> str:
    """The draft without its footnotes (the traces) and appendices."""
    return "\n".join(
        line for line in text.split("## 附件1")[0].splitlines() if not line.startswith("[^")
    )


@pytest.fixture(scope="module")
def md(tmp_path_factory) -> str:
    return draft_md(tmp_path_factory.mktemp("md"))


@pytest.fixture(scope="module")
def findings() -> list[dict]:
    data = json.loads(cli("run", "fixtures/2023", "--format", "json").stdout)
    return [f for f in data["findings"] if f["dimension"] != "consistency"]


# --- figures, lists and grades -------------------------------------------------------


def test_chinese_numbering() -> None:
    assert [cn_number(n) for n in (1, 9, 10, 11, 20, 25)] == [
        "一",
        "九",
        "十",
        "十一",
        "二十",
        "二十五",
    ]


@pytest.mark.parametrize(
    ("value", "expected"), [(100.0, "100%"), (93.6, "93.6%"), (57.814, "57.81%")]
)
def test_percentages_in_sentences(value: float, expected: str) -> None:
    assert percent(value) == expected


def test_range_labels() -> None:
    assert [range_label(n) for n in ([2], [1, 2, 3], [1, 4])] == [
        "第（2）项",
        "第（1）至（3）项",
        "第（1）、（4）项",
    ]


def test_units_written_with_and_without_district_count_once() -> None:
    names = ["区卫体局", "卫体局", "城区财政局", "财政局", "各办事处", "北街办事处"]
    assert distinct_units(names, collective=False) == ["区卫体局", "城区财政局", "北街办事处"]
    assert distinct_units(["大英县司法局部门", "大英县司法局"]) == ["大英县司法局"]
    # A budget department named alone (a 主管部门 on 四川's forms) reads as the body it is.
    assert distinct_units(["大英县司法局部门"], collective=False) == ["大英县司法局"]
    assert distinct_units(["宣传部门"]) == ["宣传部门"]  # no body's name before 部门


# --- rule messages made into report sentences ----------------------------------------


class _Info:
    """The two names of a project, as clean_message reads them."""

    def __init__(self, name: str, short: str) -> None:
        self.project = type("P", (), {"name": name})()
        self.short = short


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        # a parenthesis that repeats the sentence goes
        (
            "项目甲部分绩效指标或标杆值设置不明确（部分指标标杆值设置不明确）。",
            "部分绩效指标或标杆值设置不明确",
        ),
        # one that says more stays
        (
            "项目甲绿化工程变更了方案（因道路宽度不足，计划变更实施地点）。",
            "绿化工程变更了方案（因道路宽度不足，计划变更实施地点）",
        ),
        # file locations belong in the traces, not the body
        (
            "项目甲结余写作5万元（fixtures/2023/a.yaml:12），应为6万元（b.yaml:3 → c.yaml:4）。",
            "结余写作5万元，应为6万元",
        ),
        # figures as reports write them
        (
            "项目甲预算资金15300.00万元，执行率100.00%，另一项93.60%。",
            "预算资金15300万元，执行率100%，另一项93.6%",
        ),
        ("甲项目中的子项乙未完工。", "子项乙未完工"),
        # amounts in a computation, and a completion rate that only echoes a 100% target
        ("项目甲按支出11412.49 ÷ 预算合计16800.00 × 100。", "按支出11412.49 ÷ 预算合计16800 × 100"),
        ("项目甲“完成率”目标100%，实际完成90%，完成率90.00%。", "“完成率”目标100%，实际完成90%"),
        (
            "项目甲“户数”目标80户，实际完成72户，完成率90.00%。",
            "“户数”目标80户，实际完成72户，完成率90%",
        ),
    ],
)
def test_messages_become_clauses(message: str, expected: str) -> None:
    locations = location_pattern(["fixtures/2023/a.yaml", "b.yaml", "c.yaml"])
    info = _Info("甲项目", "项目甲")
    assert clean_message(message, info, locations) == expected  # type: ignore[arg-type]


def test_subject_runs_to_the_innermost_name() -> None:
    text = "改造项目“完成率（东片区）”目标100%，实际90%"
    assert split_subject(text, ["改造项目", "“完成率（东片区）”"]) == (
        "改造项目“完成率（东片区）”",
        "目标100%，实际90%",
    )
    assert split_subject("预算资金10万元", []) == ("", "预算资金10万元")


# --- section 一 ------------------------------------------------------------------------


def test_units_are_the_batch_list_counted_right(md: str) -> None:
    intro = section(md, "## 一、工作情况", "| 序号")
    assert (
        "被评价的部门（单位）共11个：住建局、财政局、卫体局、文旅局、宣传部、民营经济局、民政局、低保中心、机关事务中心、乡村振兴中心、北街办事处。"
        in intro
    )
    assert "各办事处" not in intro


def test_units_gathered_from_projects_without_a_batch_list(tmp_path: Path) -> None:
    batch = seed_copy(tmp_path)
    text = (batch / "batch.yaml").read_text("utf-8")
    (batch / "batch.yaml").write_text(re.sub(r"(?m)^units: .*\n", "", text), "utf-8")
    intro = section(draft_md(tmp_path, "--sections", "summary", batch=batch), "## 一", "| 序号")
    units = re.search(r"部门（单位）共(\d+)个：(.*?)。", intro)
    assert units is not None
    names = units.group(2).split("、")
    assert "各办事处" not in names and names.count("卫体局") + names.count("区卫体局") == 1
    assert len(names) == int(units.group(1)) == 11


def test_purpose_basis_and_process_from_the_batch(md: str) -> None:
    assert "### 1、评价目的" in md and "### 2、评价依据" in md and "### 3、评价过程" in md
    purpose = section(md, "### 1、评价目的", "###")
    assert "一是对1个部门整体支出和8个专项资金项目追踪问效；二是" in purpose
    assert "本次评价依据2024年度绩效评价工作安排开展。" in md
    assert "一是根据各项目基本情况" in section(md, "### 3、评价过程", "###")


def _norm(text: str) -> str:
    """Text as compared with the seed: NFKC (，→, （→( …), no white space."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [t for v in value for t in _texts(v)] if isinstance(value, list) else []


def _quoted(rulebook: Rulebook) -> list[str]:
    """What the draft may quote: every text the records hold (names, the source's words as
    evidence, purpose and process, and their 、；，-separated parts) and the rulebook's headings."""
    texts = [
        t
        for path in FIXTURES.glob("*.yaml")
        for t in _texts(yaml.safe_load(path.read_text("utf-8")))
    ]
    texts += [d.title for d in rulebook.dimensions.values()]
    texts += [c.title for c in rulebook.categories.values()]
    words = {_norm(t) for t in texts}
    words |= {part for w in list(words) for part in re.split(r"[;。,、]", w)}
    return sorted((w for w in words if len(w) >= 3), key=len, reverse=True)


def _shared_runs(text: str, seed: str, size: int) -> list[str]:
    """The longest runs of ``text`` of ``size`` characters or more that the seed also has."""
    grams = {seed[i : i + size] for i in range(len(seed) - size + 1)}
    runs, i = [], 0
    while i <= len(text) - size:
        if text[i : i + size] in grams:
            j = i + size
            while j < len(text) and text[i : j + 1] in seed:
                j += 1
            runs.append(text[i:j])
            i = j
        else:
            i += 1
    return runs


# A run this long with this many Chinese characters is a phrase, not a figure and its label.
COPY_CHARS, COPY_CJK = 10, 10


def test_the_drafts_own_words_are_not_the_seeds(md: str, rulebook: Rulebook) -> None:
    """Quoted record text aside, no phrase of the draft's own (leads, links, section 二's
    sentences, 评价结论, 结果应用) is the seed's, compared without the seed's half-width
    punctuation and spaces."""
    found = [p for p in SEEDS if p.is_file()]
    if not found:
        pytest.skip(f"the seed report is not at {SEEDS[0]}")
    seed = _norm(found[0].read_text("utf-8"))
    quoted = _quoted(rulebook)
    copied = []
    for line in body(md).splitlines():
        if line.startswith("#"):  # the seed's section headings are the report's shape
            continue
        own = _norm(line)
        for words in quoted:
            own = own.replace(words, "|")
        runs = _shared_runs(own, seed, COPY_CHARS)
        copied += [r for r in runs if len(re.findall(r"[\u4e00-\u9fff]", r)) >= COPY_CJK]
    assert not copied


def test_grade_bands_are_inclusive_and_stated_grades_kept(md: str) -> None:
    conclusion = section(md, "### 4、评价结论", "## 二")
    # worded as the grade rule words them (formulas.bands_text), so the draft says it one way
    assert (
        "评价按百分制计分，90分（含）以上为“优”，80分（含）至90分为“良”，"
        "60分（含）至80分为“中”，60分以下为“差”。" in conclusion
    )
    assert (
        "9个项目的评价结果均为“良”，按得分由高到低依次为中小企业发展专项（89.93分）" in conclusion
    )
    assert "“良”9个" not in md


def test_bands_follow_the_grade_rule_but_never_regrade(tmp_path: Path) -> None:
    text = draft_md(
        tmp_path, "--sections", "summary", "--param", "grade-does-not-match-score.excellent=89.5"
    )
    assert "89.5分（含）以上为“优”，80分（含）至89.5分为“良”" in text
    assert "9个项目的评价结果均为“良”" in text  # the stated grade stays
    assert "中小企业发展专项得分89.93分，按上述档次应为“优”，资料写作“良”" in text


def test_batch_bands_and_stated_words(tmp_path: Path) -> None:
    batch = seed_copy(
        tmp_path,
        {
            "batch.yaml": [
                ("data_date:", "grade_bands: {excellent: 85, good: 75, passing: 60}\ndata_date:")
            ],
            "06-sme-development.yaml": [("stated_grade: 良", "stated_grade: 优秀")],
            "07-social-assistance.yaml": [("stated_grade: 良\n", "")],
        },
    )
    text = section(draft_md(tmp_path, "--sections", "summary", batch=batch), "4、评价结论")
    assert "85分（含）以上为“优”，75分（含）至85分为“良”" in text
    assert "评价结果为“优秀”的1个" in text  # the word as stated
    assert "困难群众救助的资料未写明等级，以上按得分所在档次列出" in text


def test_one_project_reads_as_one(tmp_path: Path) -> None:
    text = draft_md(
        tmp_path,
        "--sections",
        "summary,problems",
        batch=ROOT / "fixtures/2023/06-sme-development.yaml",
    )
    assert "中小企业发展专项的评价结果为“良”，得分89.93分。" in text
    assert "本次评价的1个项目存在需要改进的问题" in text and "均" not in text


def test_conclusion_names_the_main_problems_by_dimension(md: str) -> None:
    conclusion = section(md, "### 4、评价结论", "## 二")
    assert "投入决策方面，预算编制不够准确、执行率偏低的有6个项目" in conclusion
    # 机关事务中心 spent 92.7%: its 42.04% adjustment is counted under a heading of its own,
    # whose words claim nothing its examples do not show (the seed states no missing reason)
    assert "部分项目年中调整预算、年初预算编制不够准确的有1个项目" in conclusion
    assert "预期效果方面，" in conclusion


# --- section 二 ------------------------------------------------------------------------


def test_section_two_states_what_the_records_hold(md: str) -> None:
    two = section(md, "## 二、项目的基本情况", "## 三")
    clinics = section(two, "### （五）", "### （六）")
    assert "“更新医疗及办公设备的村卫生室数量”目标值88个，实际83个" in clinics
    assert "其中专用设备购置166.37万元、办公设备购置129.92万元" in clinics
    bonds = section(two, "### （三）", "### （四）")
    assert "拆除工程159556平方米" in bonds and "预算资金15300万元" in bonds
    assert "96.36%" in section(two, "### （二）", "### （三）")
    sme = section(two, "### （六）", "### （七）")
    assert "“创客大赛”奖励资金、“小升规”奖励资金" in sme and "100%" in sme
    assert "结余0" not in two
    # the states of the 53 add up to 53; how many ran late is counted across them, apart
    rural = section(two, "### （一）", "### （二）")
    assert "已完工并验收44个、已完工尚未验收5个、在建4个；从进度看，9个进度未达预期" in rural


def test_department_is_not_a_project_carried_out_by_its_unit(md: str) -> None:
    dept = section(md, "### （九）", "## 三")
    assert "本项评价对象为区机关事务中心2023年度部门整体支出" in dept
    assert "负责实施" not in dept
    assert "年末收回资金283.73万元" in dept and "结余" not in dept


def test_units_with_roles(tmp_path: Path) -> None:
    roles = (
        "units: [{name: 区财政局, role: 主管部门}, {name: 区住建局, role: 实施单位}, 北街办事处]"
    )
    batch = seed_copy(
        tmp_path, {"03-special-bonds.yaml": [("units: [区住建局, 北街办事处]", roles)]}
    )
    bonds = section(draft_md(tmp_path, "--sections", "projects", batch=batch), "### （三）", "###")
    first = bonds.split("\n\n")[1]
    assert first.startswith(
        "该项目的主管部门为区财政局，实施单位为区住建局，参与单位为北街办事处，"
    )


def test_chart_threshold_follows_the_rule(tmp_path: Path, md: str) -> None:
    assert "虚线为90%，低于该线的9个以深色标出" in md
    text = draft_md(
        tmp_path, "--sections", "projects", "--param", "low-execution-rate.threshold=80"
    )
    assert "虚线为80%，低于该线的5个以深色标出" in text
    quiet = draft_md(tmp_path, "--sections", "projects", "--ignore", "low-execution-rate")
    assert "见图1" in quiet and "虚线" not in quiet


# --- section 三 ------------------------------------------------------------------------


def test_examples_of_one_project_merge(md: str) -> None:
    budget = section(md, "#### 1、预算编制不够准确", "####")
    assert (
        "（1）乡村振兴补助资金：预算资金6223.15万元，实际支出3597.53万元，预算执行率57.81%，低于90%，结余资金2625.62万元"
        in budget
    )
    planning = section(md, "#### 4、项目前期谋划不足", "####")
    assert "张岭村村东新建公厕和张岭村村北新建公厕均未接入所需的管网" in planning


def test_an_example_names_each_thing_once(md: str) -> None:
    three = body(section(md, "## 三、", "## 四"))
    # subjects sharing their first words say them once
    assert "计划实施的公共文化设施提升项目和“百姓点单”服务试点区建设均未开展" in three
    # a sub-item the sentence before named is not named again
    sustain = section(three, "#### 3、可持续影响方面存在不足")
    assert sustain.count("2023年第三批老旧小区改造") == 1
    # nor is one the source's own words name at their start
    assert "改造项目老旧小区改造工程" not in three and "幼儿园项目幼儿园" not in three
    assert "老旧小区改造工程竣工验收时间不及时" in three
    # a total is said under one heading; a later one counts its parts
    assert three.count("共53个子项目") == 1
    assert "（1）乡村振兴补助资金：4个子项目仍在建设，5个已完工但尚未验收" in three
    # 实际完成90% against a 100% target is the completion rate: not said twice
    assert "实际完成90%；" in three and "完成率90%" not in three


def test_threshold_is_said_once_under_a_heading(md: str) -> None:
    budget = section(md, "#### 1、预算编制不够准确", "####")
    assert budget.count("低于90%") == 1


def test_a_fact_is_stated_under_one_heading(md: str) -> None:
    three = body(section(md, "## 三、", "## 四"))
    assert three.count("88个") == 1  # the target, stated in 三（一）3
    assert "“更新医疗及办公设备的村卫生室数量”完成率94.32%（另见三（一）3（2））" in three
    assert "张岭村村北新建公厕已停用（另见三（一）4（2））" in three


def test_no_parenthesis_only_repeats_its_sentence(md: str) -> None:
    three = body(section(md, "## 三、", "## 四"))
    # The evaluator's sentence is the example itself, said once, never echoed in brackets.
    assert three.count("年初申报的项目绩效目标与项目内容不完全相关") == 1
    for repeated in (
        "（部分指标标杆值设置不明确）",
        "（资产管理程序执行不到位）",
        "（监督检查工作落实不到位）",
    ):
        assert repeated not in three


def test_each_example_and_suggestion_is_its_own_paragraph(md: str) -> None:
    three = section(md, "## 三、", "## 四")
    for line in three.splitlines():
        if line.startswith(("（", "改进建议：")):
            assert line.count("改进建议：") <= 1 and not re.search(r"。（\d+）", line), line
    assert re.findall(r"\n\n改进建议：", three) and not re.findall(r"[^\n]\n改进建议：", three)


def test_suggestions_name_the_examples_and_units(md: str) -> None:
    quality = section(md, "#### 2、部分项目建设质量不高", "###")
    assert "本条建议针对上述第（1）项问题，由城区财政局对照落实。" in quality
    performance = section(md, "#### 3、绩效管理意识不强", "####")
    assert "第（1）至（4）项" in performance and performance.count("卫体局") == 1


def test_markdown_covers_every_finding_once(md: str, findings: list[dict]) -> None:
    notes = re.findall(r"^\[\^\d+\]: .*指纹 `([0-9a-f]+)`", md, re.M)
    assert sorted(notes) == sorted(f["fingerprint"] for f in findings)
    headings = re.findall(r"^#### (\d+)、", md, re.M)
    assert headings == [
        "1",
        "2",
        "3",
        "4",
        "1",
        "2",
        "1",
        "2",
        "1",
        "2",
        "3",
    ]  # continuous per dimension
    assert "数据核对" not in md


def test_consistency_findings_keep_paths_out_of_the_body(tmp_path: Path) -> None:
    text = draft_md(tmp_path, "--sections", "problems", "--with-consistency")
    assert "（五）数据核对" in text and "一、工作情况" not in text
    assert ".yaml:" not in body(text)
    assert re.search(r"^\[\^\d+\]: 三（五）.*\.yaml:\d+", text, re.M)  # the traces keep them


@pytest.mark.parametrize("folder", ["资料（初稿", "my data (v2)", "评价资料"])
def test_consistency_findings_in_any_folder_keep_paths_out(tmp_path: Path, folder: str) -> None:
    """Whatever the folder is called (brackets, spaces, an unclosed （), the cross-check
    messages' ``file:line`` stay in the traces."""
    seed_copy(tmp_path / folder)
    out = tmp_path / "draft.md"
    proc = cli("report", f"{folder}/2023", "-o", str(out), "--with-consistency", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    three = body(section(out.read_text("utf-8"), "## 三、", "## 四"))
    assert "（五）数据核对" in three
    assert not re.search(r"\.yaml|:\d+[）)]|（）|\(\)", three), three
    # a second finding on the figure names it again: a clause of its own, not a run-on
    assert (
        "按支出200.88 ÷ 预算资金217.36 × 100计算为92.42%，相差0.02个百分点；"
        "预算执行率两处表述不一致" in three
    )


def test_empty_categories_and_dimensions_drop_out(tmp_path: Path) -> None:
    text = draft_md(
        tmp_path, "--sections", "problems", "--select", "construction-quality,sustainability"
    )
    assert re.findall(r"^### (.*)$", text, re.M) == ["（一）产出执行分析", "（二）预期效果分析"]
    assert [h.split("、", 1)[0] for h in re.findall(r"^#### (.*)$", text, re.M)] == ["1", "1"]


# --- section 四 and the appendices ----------------------------------------------------------


def test_application_lists_what_each_project_must_put_right(md: str) -> None:
    four = section(md, "## 四、评价结果应用及整改要求", "## 附件1")
    assert "### 1、结果应用" in four and "### 2、整改要求" in four
    assert (
        "（5）村卫生室服务能力提升工程（区卫体局）：预算编制不够准确、执行率偏低；"
        "绩效管理意识不强、绩效工作落实不到位；部分项目执行不规范；部分项目未完成、完成不及时"
        "（见第三部分（一）1、（一）3、（二）1、（三）1）。" in four
    )
    assert "共9个项目（子项目）" in four


def test_appendix_lists_every_finding_with_its_basis(md: str, findings: list[dict]) -> None:
    appendix = section(md, "## 附件1", "## 附件2")
    rows = re.findall(
        r"^\| \d+ \| (三（.）\d（\d+）) \|.*`([a-z-]+)` \| ([^|]+) \| (.*) \|$", appendix, re.M
    )
    assert len(rows) == len(findings)
    by_rule = {rule: basis for _, rule, _, basis in rows}
    assert by_rule["low-execution-rate"] == "据资料数据计算（预算执行率）"
    assert by_rule["supervision-missing"] == "资料所述"
    # declared computed in the vocabulary, though their docs hold no formula
    assert by_rule["used-before-acceptance"] == "据资料数据计算（是否验收前投入使用）"
    # a target of 100%: the completion rate equals the achieved value, and is still computed
    assert by_rule["target-shortfall"] == "据资料数据计算（完成率）"
    # the rule read a stated figure (6 months overdue), not the days it could compute
    assert by_rule["overdue-construction"] == "资料所述"


def test_appendix_a_rate_stated_without_amounts_is_the_sources(tmp_path: Path) -> None:
    batch = seed_copy(tmp_path, {"07-social-assistance.yaml": [("spent: 2770.45\n", "")]})
    appendix = section(draft_md(tmp_path, batch=batch), "## 附件1", "## 附件2")
    rows = section(appendix, "### 困难群众救助", "###")
    assert re.search(r"`low-execution-rate` \| [^|]+ \| 资料所述 \|", rows), rows
    assert "### 乡村振兴补助资金" in appendix
    # files by their names in the folder the records share, not by the path to it
    assert "| 01-rural-revitalization.yaml:11 |" in appendix and "fixtures/" not in appendix


def test_appendix_of_indicators(md: str) -> None:
    targets = section(md, "## 附件2")
    assert (
        "| 村卫生室服务能力提升工程 | 更新医疗及办公设备的村卫生室数量 | 88个 | 83个 | 94.32% |"
        in targets
    )


def test_html_escapes_record_text(tmp_path: Path) -> None:
    name = ("short_name: 困难群众救助", "short_name: <script>x</script>")
    batch = seed_copy(tmp_path, {"07-social-assistance.yaml": [name]})
    out = tmp_path / "draft.html"
    assert cli("report", str(batch), "-o", str(out)).returncode == 0
    page = out.read_text("utf-8")
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["-o", "draft.pdf"], "suffix picks the format"),
        (["-o", "d.md", "--sections", "intro"], "unknown intro"),
    ],
)
def test_report_usage_errors(tmp_path: Path, args: list[str], fragment: str) -> None:
    proc = cli(
        "report",
        "fixtures/2023",
        *[str(tmp_path / a) if a.endswith((".pdf", ".md")) else a for a in args],
    )
    assert proc.returncode == 2 and fragment in proc.stderr


@pytest.mark.parametrize(
    ("kind", "name", "computed"),
    [
        ("facility", "used_before_acceptance", True),
        ("project", "final_audit_days", True),
        ("target", "measurable", True),
        ("project", "execution_rate", True),
        ("project", "budget", False),  # the budget, else the adjusted budget: as stated
        ("observation", "evidence", False),
        ("project", "subprojects_in_progress", False),
    ],
)
def test_the_vocabulary_declares_what_is_computed(kind: str, name: str, computed: bool) -> None:
    assert KINDS[kind].fields[name].computed is computed


# --- a batch of self-evaluation forms -----------------------------------------------------


@pytest.fixture(scope="module")
def forms_md(tmp_path_factory) -> str:
    """The draft of the three real forms, read and written as a batch the way users convert."""
    folder = tmp_path_factory.mktemp("forms")
    books = [
        fb.xlsx(folder / f"{s.stem}.xlsx", ("自评表", fb.transcription(s)))
        for s in (fb.TIANCHANG, fb.ZHONGJIANG, fb.DAYING)
    ]
    forms = list(read_forms([(b, b.name) for b in books]))
    assert all(isinstance(f, FormRecord) for f in forms), [str(f) for f in forms]
    write_batch(forms, folder / "batch")  # type: ignore[arg-type]
    return draft_md(folder, batch=folder / "batch")


def test_forms_name_no_region_they_do_not_state(forms_md: str) -> None:
    assert summary.UNNAMED_REGION == write.UNNAMED_REGION
    intro = section(forms_md, "## 一、工作情况", "**表1")
    assert "未注明" not in forms_md
    assert intro.startswith("\n\n本轮绩效评价的对象为3个项目，资金合计903.36万元。")
    # units by role: the implementing units are the ones evaluated
    assert "共3个：大英县司法局、中江县水利局、天长市水利局，主管部门为" in intro
    assert "| 中江县水利局 | 中江县农业水价" in forms_md  # a unit in two roles, once
    # 大英's form names its 主管部门 as a budget department (大英县司法局部门): the body's name
    # is written, and once where it is also the implementing unit.
    assert "主管部门为大英县司法局、中江县水利局。" in intro
    assert "该项目的主管部门和实施单位均为大英县司法局，" in forms_md
    assert "司法局部门" not in forms_md


def test_forms_self_scores_are_not_grades(forms_md: str) -> None:
    conclusion = section(forms_md, "评价结论", "## 二")
    assert "水旱灾害防御经费自评100分" in conclusion
    assert "2023年全县安可替代补助资金项目的自评表未填写总分" in conclusion
    assert "不据以评定等级" in conclusion
    assert "评价结果" not in conclusion and "“优”" not in conclusion


def test_forms_money_and_targets_read_as_a_report(forms_md: str) -> None:
    two = section(forms_md, "## 二、项目的基本情况", "## 三")
    assert "年初未安排预算，调整后预算3.36万元（全部为财政资金）" in two
    assert not re.search(r"[^.\d]0万元", two)
    assert "年初预算和全年预算均为880万元（全部为本年财政拨款）" in two
    assert "该项目的主管部门和实施单位均为中江县水利局" in two
    assert "“完成安可产品购买并按要求支付资金”目标值100，未填写实际完成值" in two
    # many indicators are counted, with the list in appendix 2
    tianchang = section(two, "水旱灾害防御经费\n")
    assert "绩效指标共9项（产出指标5项、效益指标3项、满意度指标1项）" in tianchang
    assert "等6项指标只写了名称，未填写目标值和实际完成值" in tianchang
    assert "单位自评时，预算执行率和各项绩效指标均得满分" in tianchang
    assert "单位自评时，预算执行率得满分" in two  # the partial form marks only the money
    assert "夯实基础,”" not in two  # a quotation loses the comma that closed it


def test_forms_examples_start_with_their_subject(forms_md: str) -> None:
    three = body(section(forms_md, "## 三、", "## 四"))
    assert "：的" not in three
    assert "：绩效指标只有产出指标，没有效益指标、满意度指标" in three


def test_an_actual_written_as_a_bound_is_neither_met_nor_missed(forms_md: str) -> None:
    """中江 copied its targets (≥266米) into 实际完成值: no figure, so no completion rate."""
    two = section(forms_md, "## 二、项目的基本情况", "## 三")
    assert "有目标值或完成值的3项均达到目标。" in two
    assert "等6项的实际完成值只写了界限（如“≥266米”），没有写出实际数" in two
    appendix = section(forms_md, "## 附件2")
    assert "| 安装坡面水标尺 | ≥266米 | ≥266米 | — |" in appendix


def test_findings_that_differ_in_a_quoted_value_are_said_once(forms_md: str) -> None:
    """Six indicators of 中江 copied their targets: one sentence with 分别, not six."""
    three = body(section(forms_md, "## 三、", "## 四"))
    assert three.count("与年度指标值完全相同") == 1
    assert "“水标尺宽度”、“及时(按期)开工率”" in three
    assert (
        "的实际完成值分别写作“≥266米”、“≥50厘米”、“≥90%”、“≥90%”、“≥1000人”、“≥95%”，均与" in three
    )


def test_findings_on_one_fact_say_each_figure_once(forms_md: str) -> None:
    three = body(section(forms_md, "## 三、", "## 四"))
    # two rules on the one adjustment: the amount is given by the first only
    assert "项目：年初未安排预算，年中调整为3.36万元，原因一栏没有说明调整理由。" in three
    # a second finding on an indicator starts with its subject's part: 其, never "，的"
    assert "，的" not in three
    assert "无法衡量完成情况；其年度指标值写作“1”" in three


def test_sub_items_of_a_project_without_a_rate_stay_under_it(md: str) -> None:
    chart = section(md, "**图1", "###")
    rows = [
        line.split(" | ")[0].lstrip("| ") for line in chart.splitlines() if line.startswith("| ")
    ]
    at = rows.index("一事一议及美丽乡村财政奖补")
    assert rows[at + 1 : at + 3] == [
        "其中：村级公益事业建设一事一议财政奖补项目",
        "其中：美丽乡村财政奖补项目",
    ]
    assert "| 一事一议及美丽乡村财政奖补 | — |" in chart


def test_a_draft_from_the_forms_themselves_cites_their_cells(tmp_path: Path) -> None:
    """Read straight from the workbook, a trace names the sheet and cell a person can open."""
    fb.xlsx(tmp_path / "天长.xlsx", ("自评表", fb.transcription(fb.TIANCHANG)))
    notes = section(draft_md(tmp_path, batch=tmp_path / "天长.xlsx"), "## 三、")
    traces = [line for line in notes.splitlines() if line.startswith("[^")]
    assert traces and all("天长.xlsx:自评表!" in line for line in traces), traces
