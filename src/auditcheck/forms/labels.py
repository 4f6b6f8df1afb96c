"""The words forms use for their blocks and columns, and the record fields they stand for.

Labels are compared by :func:`key`: full- and half-width forms folded, spaces (分散对齐)
and line breaks removed, bracketed notes dropped (``全年预算数（A）``, ``实施单位（盖章）``,
``产出指标（50分）``), a leading ``1.`` and a trailing colon dropped. Every table here
is written in keys. docs/input.md lists the same mapping for users.
"""

from __future__ import annotations

import re
import unicodedata

_BRACKETS = str.maketrans("【】〔〕[]", "()()()")  # after NFKC: ［］ are [] by then
_NOTE = re.compile(r"\([^()]*\)")
_NUMBERING = re.compile(r"^(\d+|[一二三四五六七八九十]+)[.、]")


def fold(text: str) -> str:
    """Full-width letters, digits and signs → half-width (NFKC), brackets unified."""
    return unicodedata.normalize("NFKC", text).translate(_BRACKETS)


def key(text: str) -> str:
    """A label as compared: ``项目资金（万元）：`` → ``项目资金``; ``绩 效`` → ``绩效``."""
    folded = re.sub(r"\s+", "", fold(text))
    return _NUMBERING.sub("", _NOTE.sub("", folded)).strip(":*")


# Header block: label → what its value is.
NAME = "项目名称"
DEPARTMENT_NAMES = {"部门名称", "单位名称", "部门单位名称"}
UNIT_ROLES = {
    "主管部门": "主管部门",
    "主管部门及代码": "主管部门",
    "实施单位": "实施单位",
    "项目实施单位": "实施单位",
    "项目单位": "项目单位",
}
CODE_LABELS = {"项目编码", "项目代码", "项目编号"}
# Head labels whose value may share their cell (项目名称：…).
HEAD_LABELS = {NAME, *DEPARTMENT_NAMES, *UNIT_ROLES, *CODE_LABELS}
# Other labels of the head rows (not read): a value read right of a label stops at one.
OTHER_HEAD = {
    "项目负责人及电话",
    "项目负责人",
    "联系人",
    "联系电话",
    "项目类型",
    "项目类别",
    "项目属性",
    "项目期",
    "填报日期",
    "单位",
}

# Money block: the column headers of the 自评表's table, by field.
MONEY_COLUMNS = {
    "initial_budget": {"年初预算数", "年初预算"},
    "budget": {"全年预算数"},
    "adjusted_budget": {"调整后预算数", "调整后预算"},
    "spent": {"全年执行数", "预算执行数", "执行数", "实际执行数", "全年实际执行数"},
    "stated_execution_rate": {"执行率", "预算执行率"},
    "execution_weight": {"分值", "权重"},
    "execution_score": {"得分"},
    "execution_reason": {"原因", "偏差原因", "未完成原因"},
}
AMOUNT_FIELDS = ("initial_budget", "budget", "adjusted_budget", "spent")
# Row labels of the money block's total line (the others are its sources, 其中 …).
TOTAL_ROWS = {"年度资金总额", "资金总额", "总额", "合计", "总计", "年度资金合计", "项目资金总额"}
# A 绩效目标表 states its money as label → amount pairs (中期 and 年度 side by side).
ANNUAL_TOTAL = {"年度资金总额", "资金总额", "年度资金", "项目资金总额"}

# Indicator table: the column headers, by target field.
TARGET_COLUMNS = {
    "level": {"一级指标"},
    "category": {"二级指标"},
    "indicator": {"三级指标"},
    "operator": {"指标性质", "运算符号", "符号"},
    "planned": {"年度指标值", "指标值", "年度目标值", "目标值"},
    "unit": {"度量单位", "计量单位", "单位"},
    "actual": {"实际完成值", "全年实际值", "完成值", "实际值", "全年实际完成值", "实际完成"},
    "weight": {"分值", "权重"},
    "score": {"得分"},
}
# Any header of the indicator table with 原因 in it is the deviation reason's column.
REASON_WORD = "原因"
# Headers only a 绩效运行监控表 has (not read: its values are forecasts, not results).
MONITOR_COLUMNS = {"当前完成值", "全年预计完成情况", "1-7月执行数", "完成目标可能性"}

# 一级 label, where the form kept only ``（50分）``: the national framework's 二级 → 一级.
LEVEL_OF_CATEGORY = (
    (("数量", "质量", "时效", "成本"), "产出指标"),
    (("经济效益", "社会效益", "生态效益", "可持续影响"), "效益指标"),
    (("满意度",), "满意度指标"),
)

# Goal block: the header over the planned text, and the one over what was done.
GOAL_PLANNED = {"预期目标", "年初设定目标", "项目年度目标", "年度目标", "年度绩效目标"}
GOAL_ACTUAL = {
    "实际完成情况",
    "年度总体目标完成情况",
    "年度总体目标完成情况综述",
    "年度目标完成情况",
    "目标完成情况",
}
# Phrases of the template's printed instructions: a cell holding them states no reason.
INSTRUCTIONS = ("需说明原因", "应单独说明理由")
# Closing rows of the indicator table: the total line; a footnote or the signatures under it.
TOTAL_SCORE = {"总分", "合计", "总计"}
CLOSING = (
    "注:",
    "说明:",
    "备注:",
    "填表说明",
    "填表人",
    "填报人",
    "制表人",
    "经办人",
    "审核人",
    "负责人",
    "单位负责人",
    "财务负责人",
    "分管领导",
    "联系人",
    "联系电话",
    "填表日期",
    "填报日期",
    "填报单位",
    "单位(盖章)",
)
PROBLEMS = "存在问题"

# Labels that start a block: a block ends where another begins.
BLOCKS = {
    NAME,
    *DEPARTMENT_NAMES,
    *UNIT_ROLES,
    "项目资金",
    "资金情况",
    "预算执行情况",
    "部门总体资金",
    "部门整体资金",
    "年度总体目标",
    "年度总体目标完成情况",
    "项目基本情况",
    "总体目标",
    "绩效指标",
    *TOTAL_SCORE,
    "评价结论",
    PROBLEMS,
    "改进措施",
}
# Labels only forms have: a sheet with none of them is not a form at all (a 填表说明).
FORM_LABELS = (BLOCKS - TOTAL_SCORE) | {"一级指标", "二级指标", "三级指标"}
