"""The form reader on the three real forms and on variants of them.

Each real form is built into a workbook from its transcription, read back, and
every figure and indicator is compared with the transcription itself (read here
as the expected source), not with anything the reader produced.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from auditcheck.forms import FormError, FormRecord, read_forms
from auditcheck.locate import Note

from . import formbook as fb

# The documented mapping (docs/input.md) of the money block's headers to fields.
MONEY = {
    "年初预算数": "initial_budget",
    "年初预算": "initial_budget",
    "全年预算数(A)": "budget",
    "调整后预算数": "adjusted_budget",
    "全年执行数(B)": "spent",
    "预算执行数": "spent",
    "执行率(B/A)": "stated_execution_rate",
    "预算执行率": "stated_execution_rate",
    "分值": "execution_weight",
    "权重": "execution_weight",
    "得分": "execution_score",
}
TARGET = {
    "年度指标值": "planned",
    "指标值": "planned",
    "实际完成值": "actual",
    "全年实际值": "actual",
    "完成值": "actual",
    "分值": "weight",
    "权重": "weight",
    "得分": "score",
}
TEMPLATE = re.compile(r"^(指标\d+:)?(/|……)?$")


def read(*files: Path) -> list[FormRecord | FormError | Note]:
    return list(read_forms([(f, f.name) for f in files]))


def only_record(*files: Path) -> FormRecord:
    items = read(*files)
    assert len(items) == 1, [str(i) for i in items]
    assert isinstance(items[0], FormRecord), str(items[0])
    return items[0]


def number(text: str) -> float:
    """The figure of a cell as a person reads it: 100.00% → 100, 880 → 880."""
    return float(text.rstrip("%"))


def rows_of(rows: list[fb.Row], block: str) -> list[list[str]]:
    return [r.cells for r in rows if r.block == block]


@pytest.fixture(params=[fb.TIANCHANG, fb.ZHONGJIANG, fb.DAYING], ids=lambda p: p.stem)
def real(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[list[fb.Row], FormRecord]:
    rows = fb.transcription(request.param)
    book = fb.xlsx(tmp_path / f"{request.param.stem}.xlsx", ("自评表", rows))
    return rows, only_record(book)


def test_name_code_and_units_as_stated(real: tuple[list[fb.Row], FormRecord]) -> None:
    rows, form = real
    head = {cells[0]: cells[1:] for cells in rows_of(rows, "head")}
    name = "".join(head["项目名称"])
    code, dash, rest = name.partition("-")
    if dash and code.isalnum():
        assert (form.data["code"], form.data["id"], form.data["name"]) == (code, code, rest)
    else:
        assert form.data["name"] == name and "code" not in form.data
    stated = [
        {"name": cells[cells.index(role) + 1], "role": role}
        for cells in rows_of(rows, "head")
        for role in ("主管部门", "实施单位")
        if role in cells and cells[cells.index(role) + 1]
    ]
    assert form.data["units"] == stated


def test_every_money_figure(real: tuple[list[fb.Row], FormRecord]) -> None:
    rows, form = real
    header, *lines = rows_of(rows, "funds")
    columns = {i: MONEY[h] for i, h in enumerate(header) if h in MONEY}
    total, *sources = lines
    for i, name in columns.items():
        if total[i] in ("", "-", "/"):
            assert name in form.data["unstated"]
        else:
            assert form.data[name] == number(total[i]), name
    expected = [
        s for s in sources if any(s[i] for i, n in columns.items() if n in ("budget", "spent"))
    ]
    assert len(form.data["sources"]) == len(expected)
    for source, cells in zip(form.data["sources"], expected, strict=True):
        assert cells[1].endswith(source["name"])
        for i, name in columns.items():
            field = "budget" if name == "adjusted_budget" else name
            if field in ("initial_budget", "budget", "spent") and cells[i]:
                assert source[field] == number(cells[i]), (source["name"], field)


def test_every_indicator_with_its_figures(real: tuple[list[fb.Row], FormRecord]) -> None:
    rows, form = real
    (header,) = rows_of(rows, "ind_head")
    lines = [c for c in rows_of(rows, "ind") if not TEMPLATE.match(c[header.index("三级指标")])]
    targets = form.data["targets"]
    assert len(targets) == len(lines)
    for target, cells in zip(targets, lines, strict=True):
        stated = dict(zip(header, cells, strict=False))
        assert target["indicator"] == re.sub(r"^指标\d+:", "", stated["三级指标"])
        assert target["category"] == stated["二级指标"]
        assert stated["一级指标"].startswith(target["level"][:2]) or stated["一级指标"][0] == "("
        for column, field in TARGET.items():
            text = stated.get(column, "")
            if column not in stated:
                continue
            if not text:
                assert field in target["unstated"], (target["indicator"], field)
            elif field in ("weight", "score"):
                assert target[field] == number(text)
            else:
                assert target[f"{field}_text"] == text
                figure = re.search(r"\d+(\.\d+)?", text)
                if figure:
                    assert target[field] == float(figure.group(0))
                    unit = text[figure.end() :] or None
                    assert target.get("unit") == unit or stated.get("度量单位") == target["unit"]
                op = text[0] if text[0] in "≥≤" else stated.get("指标性质")
                assert target.get("operator" if field == "planned" else "actual_operator") == (
                    op if field == "planned" or text[0] in "≥≤" else None
                )
        reason = next((v for k, v in stated.items() if "原因" in k), "")
        assert target.get("deviation_reason", "") == reason


def test_total_line_and_goal(real: tuple[list[fb.Row], FormRecord]) -> None:
    rows, form = real
    (header,) = rows_of(rows, "ind_head")
    for cells in rows_of(rows, "total"):
        weight, score = cells[header.index("分值")], cells[header.index("得分")]
        assert (form.data["total_weight"], form.data["score"]) == (number(weight), number(score))
    goal = rows_of(rows, "goal") or rows_of(rows, "basic")[:2]
    if goal:
        headers, values = goal[0], goal[1]
        planned = next(i for i, h in enumerate(headers) if i and h.endswith("目标"))
        assert form.data["goal"] == {"planned": values[planned], "actual": values[planned + 1]}


def test_the_year_comes_from_the_title(real: tuple[list[fb.Row], FormRecord]) -> None:
    rows, form = real
    title = " ".join(c for cells in rows_of(rows, "title") for c in cells)
    assert str(form.fiscal_year) in title


def test_every_field_is_indexed_to_its_cell(tmp_path: Path) -> None:
    rows = fb.transcription(fb.TIANCHANG)
    form = only_record(fb.xlsx(tmp_path / "天长.xlsx", ("自评表", rows)))
    # Row 12 of the sheet is the first indicator (the transcription's rows, from 1).
    first = next(i for i, r in enumerate(rows, 1) if r.block == "ind")
    actual = form.ref(("targets", 0, "actual"))
    assert (actual.sheet, actual.row, actual.col, actual.label) == (
        "自评表",
        first,
        5,
        "实际完成值",
    )
    assert actual.cell == f"自评表!E{first}"
    assert form.ref(("targets", 2, "unstated")).row == first + 3  # 工程质量合格, blank 年度指标值
    funds = next(i for i, r in enumerate(rows, 1) if r.block == "funds")
    assert form.ref(("spent",)).cell == f"自评表!E{funds + 1}"


def respell(text: str) -> str:
    """The same labels as other units type them: full-width, 分散对齐, a colon."""
    spaced = {"绩效指标": "绩 效 指 标", "项目名称": "项 目 名 称：", "分值": "分　值"}
    text = spaced.get(text, text)
    return text.replace("(", "（").replace(")", "）").replace(":", "：")


def test_full_width_spaced_labels_read_the_same(tmp_path: Path) -> None:
    rows = fb.transcription(fb.ZHONGJIANG)
    plain = only_record(fb.xlsx(tmp_path / "a.xlsx", ("自评表", rows)))
    spelled = only_record(fb.xlsx(tmp_path / "b.xlsx", ("自评表", rows), edit=respell))
    assert spelled.data["targets"][0]["planned"] == plain.data["targets"][0]["planned"]
    assert spelled.data["spent"] == plain.data["spent"] == 20
    assert spelled.data["total_weight"] == 100


def reorder(rows: list[fb.Row], blocks: set[str], order: list[int]) -> list[fb.Row]:
    return [
        fb.Row(r.block, [r.cells[i] for i in order] if r.block in blocks else r.cells) for r in rows
    ]


def test_columns_are_found_by_header_not_position(tmp_path: Path) -> None:
    rows = fb.transcription(fb.TIANCHANG)
    # 得分 and 分值 swapped, 实际完成值 before 年度指标值, 执行数 before 预算数.
    shuffled = reorder(rows, {"ind_head", "ind", "total"}, [0, 1, 2, 4, 3, 6, 5, 7])
    shuffled = reorder(shuffled, {"funds"}, [0, 1, 4, 2, 3, 5, 6, 7])
    plain = only_record(fb.xlsx(tmp_path / "a.xlsx", ("自评表", rows)))
    moved = only_record(fb.xlsx(tmp_path / "b.xlsx", ("自评表", shuffled)))
    assert moved.data == plain.data
    assert moved.ref(("targets", 0, "actual")).col == 4


def test_county_variant_reads_weight_before_values(tmp_path: Path) -> None:
    form = only_record(fb.xlsx(tmp_path / "中江.xlsx", ("自评表", fb.transcription(fb.ZHONGJIANG))))
    width = form.data["targets"][1]
    assert (width["weight"], width["operator"], width["planned"], width["unit"]) == (
        10,
        "≥",
        50,
        "厘米",
    )
    assert "initial_budget" not in form.data and "initial_budget" not in form.data.get(
        "unstated", []
    )


def test_three_project_sheets_and_a_stray_one(tmp_path: Path) -> None:
    sheets = [
        ("天长", fb.transcription(fb.TIANCHANG)),
        ("填表说明", [fb.Row("note", ["请按要求填写本表，金额单位为万元。"])]),
        ("中江", fb.transcription(fb.ZHONGJIANG)),
        ("空白", []),
        ("大英", fb.transcription(fb.DAYING)),
    ]
    book = fb.xlsx(
        tmp_path / "三个项目.xlsx", *[(n, r or [fb.Row("note", [""])]) for n, r in sheets]
    )
    items = read(book)
    forms = [i for i in items if isinstance(i, FormRecord)]
    assert [f.sheet for f in forms] == ["天长", "中江", "大英"]
    assert len({f.data["id"] for f in forms}) == 3
    # Beside forms, a sheet with no form label at all is noted, not an error.
    assert not [i for i in items if isinstance(i, FormError)]
    assert [str(i) for i in items if isinstance(i, Note)] == [
        "三个项目.xlsx:填表说明: note: not a form (looked for the label 项目名称 or "
        "部门（单位）名称 and an indicator table headed 一级指标 / 二级指标 / 三级指标); not read"
    ]


def test_a_stray_sheet_alone_or_a_broken_form_is_an_error(tmp_path: Path) -> None:
    alone = fb.xlsx(tmp_path / "说明.xlsx", ("填表说明", [fb.Row("note", ["请按要求填写。"])]))
    assert [str(i) for i in read(alone)] == [
        "说明.xlsx:填表说明: not a form auditcheck reads: looked for the label 项目名称 or "
        "部门（单位）名称 and an indicator table headed 一级指标 / 二级指标 / 三级指标; move "
        "other sheets out of the workbook or hide them"
    ]
    # A sheet with a form's labels but neither a name nor an indicator table is a form gone
    # wrong (a label the reader does not know), never a note.
    broken = [fb.Row("head", ["项目全称", "某项目"]), fb.Row("goal", ["年度总体目标", "建成"])]
    book = fb.xlsx(
        tmp_path / "两表.xlsx", ("天长", fb.transcription(fb.TIANCHANG)), ("坏表", broken)
    )
    assert [str(i) for i in read(book) if not isinstance(i, FormRecord)] == [
        "两表.xlsx:坏表: not a form auditcheck reads: looked for the label 项目名称 or "
        "部门（单位）名称 and an indicator table headed 一级指标 / 二级指标 / 三级指标; move "
        "other sheets out of the workbook or hide them"
    ]


def test_xls_reads_as_the_xlsx(tmp_path: Path) -> None:
    for source in (fb.TIANCHANG, fb.DAYING):
        rows = fb.transcription(source)
        modern = only_record(fb.xlsx(tmp_path / "a.xlsx", ("自评表", rows)))
        old = only_record(fb.xls(tmp_path / "a.xls", ("自评表", rows)))
        assert old.data == modern.data
        assert old.ref(("spent",)).cell == modern.ref(("spent",)).cell


def test_an_xls_saved_with_an_xlsx_name_is_still_read(tmp_path: Path) -> None:
    rows = fb.transcription(fb.TIANCHANG)
    renamed = fb.xls(tmp_path / "a.xls", ("自评表", rows)).rename(tmp_path / "renamed.xlsx")
    assert only_record(renamed).data["spent"] == 880


def test_a_word_table_reads_as_the_workbook(tmp_path: Path) -> None:
    rows = fb.transcription(fb.ZHONGJIANG)
    book = only_record(fb.xlsx(tmp_path / "a.xlsx", ("自评表", rows)))
    word = only_record(fb.docx(tmp_path / "a.docx", rows))
    assert word.sheet == "表1" and word.fiscal_year == 2022
    assert word.data == book.data


DEPARTMENT = [
    fb.Row("title", ["部门整体支出绩效自评表"]),
    fb.Row("title", ["(2023年度)"]),
    fb.Row("head", ["单位(盖章):", "某县农业农村局", "填报日期:", "2024-03-01"]),
    fb.Row("head", ["部门(单位)名称", "某县农业农村局"]),
    fb.Row(
        "funds",
        [
            "部门(单位)总体资金(万元)",
            "资金来源",
            "年初预算数(A)",
            "全年执行数(B)",
            "分值(10分)",
            "得分",
            "得分计算方法",
        ],
    ),
    fb.Row(
        "funds",
        ["部门(单位)总体资金(万元)", "年度资金总额", "1200.5", "1150", "10", "9.58", "B/A×10"],
    ),
    fb.Row("funds", ["部门(单位)总体资金(万元)", "基本支出", "700.5", "700", "-", "-", ""]),
    fb.Row("funds", ["部门(单位)总体资金(万元)", "项目支出", "500", "450", "-", "-", ""]),
    fb.Row("funds", ["部门(单位)总体资金(万元)", "其他", "", "", "", "", ""]),
    fb.Row("goal", ["年度总体目标", "年初设定目标", "", "年度总体目标完成情况", "", "", ""]),
    fb.Row("goal", ["年度总体目标", "完成全县农田建设任务。", "", "已完成。", "", "", ""]),
    fb.Row(
        "ind_head",
        ["一级指标", "二级指标", "三级指标", "年度指标值(A)", "全年实际值(B)", "分值", "得分"],
    ),
    fb.Row(
        "ind", ["产出指标(50分)", "数量指标", "高标准农田建设面积", "≥2万亩", "2.1万亩", "50", "50"]
    ),
    fb.Row(
        "ind",
        ["效益指标(30分)", "社会效益指标", "粮食产能提升", "有效提升", "有效提升", "30", "28"],
    ),
    fb.Row(
        "ind",
        ["满意度指标(10分)", "服务对象满意度指标", "农户满意度", "95%以上", "96%", "10", "10"],
    ),
    fb.Row("total", ["总分", "", "", "", "", "100", "97.58"]),
]


def test_a_department_form(tmp_path: Path) -> None:
    form = only_record(fb.xlsx(tmp_path / "部门.xlsx", ("整体", DEPARTMENT)))
    data = form.data
    assert form.family == "部门整体支出绩效自评表" and data["type"] == "部门整体"
    assert data["name"] == "某县农业农村局" and form.fiscal_year == 2023
    assert (data["initial_budget"], data["spent"], data["execution_score"]) == (1200.5, 1150, 9.58)
    assert [s["name"] for s in data["sources"]] == ["基本支出", "项目支出"]
    assert data["goal"] == {"planned": "完成全县农田建设任务。", "actual": "已完成。"}
    area, effect, satisfaction = data["targets"]
    assert (area["operator"], area["planned"], area["unit"], area["actual"]) == (
        "≥",
        2,
        "万亩",
        2.1,
    )
    assert "planned" not in effect and effect["planned_text"] == "有效提升"
    assert (satisfaction["operator"], satisfaction["planned"], satisfaction["actual"]) == (
        "≥",
        95,
        96,
    )
    assert (data["total_weight"], data["score"]) == (100, 97.58)


def declared_targets(rows: list[fb.Row]) -> list[fb.Row]:
    """A 绩效目标表 for the 中江 project, written here: one target set higher, one more."""
    return [
        fb.Row("title", ["项目支出绩效目标表"]),
        fb.Row("title", ["(2022年度)"]),
        fb.Row("head", ["项目名称", rows[2].cells[1] + rows[2].cells[2]]),
        fb.Row("head", ["主管部门", "中江县水利局", "实施单位", "中江县水利局"]),
        fb.Row("funds", ["项目资金(万元)", "年度资金总额:", "20"]),
        fb.Row("funds", ["项目资金(万元)", "其中:财政拨款", "20"]),
        fb.Row("funds", ["项目资金(万元)", "其他资金", ""]),
        fb.Row("goal", ["总体目标", "年度目标", ""]),
        fb.Row("goal", ["总体目标", "对项目区农业用水计量。", ""]),
        fb.Row("ind_head", ["一级指标", "二级指标", "三级指标", "指标值"]),
        fb.Row("ind", ["产出指标", "数量指标", "安装坡面水标尺", "≥300米"]),
        fb.Row("ind", ["产出指标", "时效指标", "及时(按期)开工率", "≥90%"]),
        fb.Row("ind", ["产出指标", "质量指标", "水标尺安装合格率", "100%"]),
    ]


def test_a_target_table_joins_its_self_evaluation(tmp_path: Path) -> None:
    rows = fb.transcription(fb.ZHONGJIANG)
    evaluation = fb.xlsx(tmp_path / "自评.xlsx", ("自评表", rows))
    declared = fb.xlsx(tmp_path / "目标.xlsx", ("目标表", declared_targets(rows)))
    form = only_record(declared, evaluation)
    assert form.family == "项目支出绩效自评表"
    assert form.sheets == ["自评.xlsx:自评表", "目标.xlsx:目标表"]
    ruler, *others, extra = form.data["targets"]
    assert (ruler["planned"], ruler["planned_text"]) == (300, "≥300米")
    assert (ruler["self_eval_planned"], ruler["self_eval_planned_text"]) == (266, "≥266米")
    assert ruler["actual"] == 266
    assert form.ref(("targets", 0, "planned")).file == "目标.xlsx"
    assert form.ref(("targets", 0, "self_eval_planned")).file == "自评.xlsx"
    start = next(t for t in others if t["indicator"] == "及时(按期)开工率")
    assert start["planned"] == start["self_eval_planned"] == 90
    width = next(t for t in others if t["indicator"] == "水标尺宽度")
    assert "self_eval_planned" not in width and width["planned"] == 50  # not declared: as read
    assert extra["indicator"] == "水标尺安装合格率" and "actual" not in extra


def test_a_target_table_alone_is_a_record_of_declared_targets(tmp_path: Path) -> None:
    rows = declared_targets(fb.transcription(fb.ZHONGJIANG))
    form = only_record(fb.xlsx(tmp_path / "目标.xlsx", ("目标表", rows)))
    assert form.family == "绩效目标表"
    assert form.data["budget"] == 20
    assert form.data["sources"] == [{"name": "财政拨款", "budget": 20}]
    assert form.data["goal"] == {"planned": "对项目区农业用水计量。"}
    assert all("actual" not in t and "unstated" not in t for t in form.data["targets"])


def test_joined_by_code_when_the_names_differ(tmp_path: Path) -> None:
    rows = fb.transcription(fb.DAYING)
    declared = [
        fb.Row("title", ["项目支出绩效目标表(2023年度)"]),
        fb.Row("head", ["项目名称", "51092324T000010263357-安可替代补助"]),
        fb.Row("ind_head", ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位"]),
        fb.Row(
            "ind", ["产出指标", "质量指标", "完成安可产品购买并按要求支付资金", "=", "100", "%"]
        ),
    ]
    form = only_record(
        fb.xlsx(tmp_path / "a.xlsx", ("自评表", rows)),
        fb.xlsx(tmp_path / "b.xlsx", ("目标表", declared)),
    )
    (target,) = form.data["targets"]
    assert (target["planned"], target["self_eval_planned"], target["unit"]) == (100, 100, "%")


SICHUAN = [
    fb.Row("title", ["部门预算项目支出绩效自评表(2023年度)"]),
    fb.Row("head", ["项目名称", "51092324T000010263358-2023年某县设备购置项目"]),
    fb.Row("head", ["主管部门", "某县某局", "实施单位(盖章)", "某县某中心"]),
    fb.Row("basic", ["项目基本情况", "1.项目年度目标完成情况", "项目年度目标", "年度目标完成情况"]),
    fb.Row("basic", ["项目基本情况", "1.项目年度目标完成情况", "完成设备采购。", "已完成。"]),
    fb.Row("basic", ["项目基本情况", "2.项目实施内容及过程概述", "采购设备20台。"]),
    fb.Row(
        "funds",
        [
            "预算执行情况(10分)",
            "年度预算数(万元)",
            "年初预算",
            "调整后预算数",
            "预算执行数",
            "预算执行率",
            "权重",
            "得分",
            "原因",
        ],
    ),
    fb.Row(
        "funds",
        [
            "预算执行情况(10分)",
            "总额",
            "50.00",
            "45.00",
            "36.00",
            "80.00%",
            "10",
            "8",
            "年中调减5万元；部分设备延期交付。",
        ],
    ),
    fb.Row(
        "funds",
        ["预算执行情况(10分)", "其中:财政资金", "50.00", "45.00", "36.00", "80.00%", "/", "/", ""],
    ),
    fb.Row(
        "ind_head",
        [
            "绩效指标(90分)",
            "一级指标",
            "二级指标",
            "三级指标",
            "指标性质",
            "指标值",
            "度量单位",
            "完成值",
            "权重",
            "得分",
            "未完成原因分析",
        ],
    ),
    fb.Row(
        "ind",
        [
            "绩效指标(90分)",
            "产出指标",
            "数量指标",
            "采购设备数量",
            "≥",
            "20",
            "台",
            "18",
            "30",
            "27",
            "两台延至次年交付",
        ],
    ),
    fb.Row(
        "ind",
        [
            "绩效指标(90分)",
            "效益指标",
            "社会效益指标",
            "服务能力",
            "定性",
            "明显提升",
            "",
            "有所提升",
            "40",
            "35",
            "",
        ],
    ),
    fb.Row(
        "ind",
        [
            "绩效指标(90分)",
            "满意度指标",
            "服务对象满意度指标",
            "群众满意度",
            "≥",
            "90",
            "%",
            "92",
            "20",
            "19",
            "",
        ],
    ),
    fb.Row("total", ["合计", "", "", "", "", "", "", "", "100", "89", ""]),
    fb.Row("goal", ["评价结论", "", "", "存在问题", "", "", "改进措施"]),
    fb.Row("goal", ["基本完成年度目标。", "", "", "设备交付滞后。", "", "", "加强合同履约管理。"]),
]


def test_the_sichuan_template_whole(tmp_path: Path) -> None:
    data = only_record(fb.xlsx(tmp_path / "四川.xlsx", ("Sheet1", SICHUAN))).data
    assert (data["id"], data["name"]) == ("51092324T000010263358", "2023年某县设备购置项目")
    assert data["units"][1] == {"name": "某县某中心", "role": "实施单位"}
    assert data["goal"] == {"planned": "完成设备采购。", "actual": "已完成。"}
    money = ["initial_budget", "adjusted_budget", "spent", "stated_execution_rate"]
    assert [data[k] for k in money] == [50, 45, 36, 80]
    assert (data["execution_weight"], data["execution_score"]) == (10, 8)
    assert data["execution_reason"] == "年中调减5万元；部分设备延期交付。"
    assert data["sources"] == [
        {"name": "财政资金", "initial_budget": 50, "budget": 45, "spent": 36}
    ]
    count, ability, satisfaction = data["targets"]
    assert (count["operator"], count["planned"], count["unit"], count["actual"]) == (
        "≥",
        20,
        "台",
        18,
    )
    assert count["deviation_reason"] == "两台延至次年交付"
    assert "operator" not in ability and ability["planned_text"] == "明显提升"
    assert (ability["actual_text"], ability["score"]) == ("有所提升", 35)
    assert (satisfaction["unit"], satisfaction["actual"]) == ("%", 92)
    assert (data["total_weight"], data["score"]) == (100, 89)
    assert data["observations"] == [{"evidence": "设备交付滞后。", "source": "存在问题"}]


def test_the_printed_note_in_the_reason_cell_is_no_reason(tmp_path: Path) -> None:
    rows = fb.transcription(fb.DAYING)
    (total,) = [r.cells for r in rows if r.block == "funds" and r.cells[1] == "总额"]
    assert "需说明原因" in total[-3]  # the template's note, left in the 原因 cell
    form = only_record(fb.xlsx(tmp_path / "大英.xlsx", ("自评表", rows)))
    assert "execution_reason" not in form.data


def test_a_national_target_table_with_both_periods(tmp_path: Path) -> None:
    rows = [
        fb.Row("title", ["项目支出绩效目标申报表(2022年度)"]),
        fb.Row("head", ["项目名称", "某项目"]),
        fb.Row("head", ["主管部门及代码", "123-某局", "实施单位", "某中心"]),
        fb.Row("funds", ["项目资金(万元)", "中期资金总额:", "60", "年度资金总额:", "20"]),
        fb.Row("funds", ["项目资金(万元)", "其中:财政拨款", "60", "其中:财政拨款", "20"]),
        fb.Row("funds", ["项目资金(万元)", "其他资金", "0", "其他资金", "0"]),
        fb.Row("goal", ["总体目标", "中期目标(2022年-2024年)", "", "年度目标", ""]),
        fb.Row("goal", ["总体目标", "三年建成。", "", "建成一期。", ""]),
        fb.Row("ind_head", ["一级指标", "二级指标", "三级指标", "指标值"]),
        fb.Row("ind", ["产出指标", "数量指标", "建成面积", "≥1000平方米"]),
    ]
    form = only_record(fb.xlsx(tmp_path / "申报.xlsx", ("Sheet1", rows)))
    assert form.family == "绩效目标表" and form.fiscal_year == 2022
    # The unit's code before its name (主管部门及代码: 123-某局) is not part of its name.
    assert form.data["units"][0] == {"name": "某局", "role": "主管部门"}
    assert form.data["budget"] == 20
    assert form.data["sources"] == [
        {"name": "财政拨款", "budget": 20},
        {"name": "其他资金", "budget": 0},
    ]
    assert form.data["goal"] == {"planned": "建成一期。"}
    assert form.data["targets"][0]["unit"] == "平方米"


def test_the_name_stops_at_the_next_label_of_its_row(tmp_path: Path) -> None:
    rows = declared_targets(fb.transcription(fb.ZHONGJIANG))
    rows[2] = fb.Row("head", ["项目名称", "某项目", "项目类型", "专项", "项目编码", "X1"])
    data = only_record(fb.xlsx(tmp_path / "目标.xlsx", ("目标表", rows))).data
    assert (data["name"], data["code"], data["id"]) == ("某项目", "X1", "X1")


def test_a_county_sheet_with_its_own_head(tmp_path: Path) -> None:
    """Title rows above the form, head labels and values in one cell, a unit code before the
    unit's name, the year without 年度 beside a 填报日期, signatures under the table."""
    rows = fb.transcription(fb.TIANCHANG)
    body = [r for r in rows if r.block not in ("title", "head")]
    county = [
        fb.Row("note", ["附件3"]),
        fb.Row("title", ["2022年项目支出绩效自评表"]),
        fb.Row("note", ["填报日期：2023年3月1日", "", "", "", "", "单位：万元"]),
        fb.Row("head", ["项目名称：水旱灾害防御经费"]),
        fb.Row("head", ["主管部门：219-天长市水利局", "", "", "实施单位：天长市水利局"]),
        *body,
        fb.Row("note", ["单位负责人：张某", "", "", "填表人：李某"]),
    ]
    plain = only_record(fb.xlsx(tmp_path / "a.xlsx", ("自评表", rows)))
    form = only_record(fb.xlsx(tmp_path / "b.xlsx", ("自评表", county)))
    assert form.fiscal_year == 2022
    assert form.data["units"] == [
        {"name": "天长市水利局", "role": "主管部门"},
        {"name": "天长市水利局", "role": "实施单位"},
    ]
    same = {k: v for k, v in form.data.items() if k not in ("id", "units")}
    assert same == {k: v for k, v in plain.data.items() if k not in ("id", "units")}
    assert form.ref(("name",)).cell == "自评表!A4"
