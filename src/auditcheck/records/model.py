"""The record model: the facts an evaluator gathers about one batch and its projects.

Records hold facts as the source states them, never conclusions. Amounts are in
万元, rates and shares in percent (57.81 means 57.81 %), dates as YAML dates.
A figure the source states next to the amounts it follows from (a stated rate,
a stated balance) is kept in a ``stated_*`` field so cross-checks can compare it.
Derived metrics are computed in :mod:`auditcheck.facts`, each formula written there.
"""

from __future__ import annotations

import difflib
from datetime import date
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

Amount = Annotated[float, Field(ge=0, description="万元")]
Percent = Annotated[
    float, Field(ge=0, le=1000, description="percent; may pass 100 (over-spending)")
]
Share = Annotated[float, Field(ge=0, le=100, description="percent of people; at most 100")]
Count = Annotated[int, Field(ge=0)]
# Line breaks and tabs may stand in text; other control characters only break outputs.
# A pattern (checked in pydantic's Rust core) rather than a Python validator: it is on
# every text field of every record, so it must be cheap.
NO_CONTROL = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
# A text is a name or the source's own words, a paragraph at most. Past 65,535 bytes the
# engine's word match (``contains``) silently fails, so a longer text is refused rather
# than left unread: 16,000 characters are at most 64,000 bytes of UTF-8.
MAX_TEXT = 16_000
Str = Annotated[str, Field(pattern=NO_CONTROL, max_length=MAX_TEXT)]
Text = Annotated[str, Field(min_length=1, pattern=NO_CONTROL, max_length=MAX_TEXT)]


class _Strict(BaseModel):
    # strict: a string where a number belongs is an error, not a silent conversion.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class FieldView:
    """A model's declared fields as the attributes of a plain object (see :func:`field_view`)."""

    __slots__ = ("__dict__",)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{name}: a view of a record's fields is read-only")


_viewed: dict[type, bool] = {}  # class → whether its items are read through a view
_new = object.__new__
_set = object.__setattr__


def field_view(item: Any) -> Any:
    """``item`` to read many of its fields from: a view when it is one of our models, else itself.

    Reading a field of a model costs about five times reading an attribute of a plain
    object: ``BaseModel`` defines ``__getattr__``, which keeps CPython from specialising
    the read. pydantic keeps a model's declared fields, and nothing else (``extra="forbid"``),
    in its ``__dict__``; the view shares that dict, so it reads exactly the model's values,
    and anything that is not a declared field (a property, a method) is an AttributeError
    rather than a value read wrong. Making a view costs several reads of the model: it pays
    where many fields are read (the encoders, the cross-checks: a project's fact reads about
    a hundred).
    """
    viewed = _viewed.get(type(item))
    if viewed is None:
        viewed = _viewed[type(item)] = isinstance(item, _Strict)
    if not viewed:
        return item
    view = _new(FieldView)
    _set(view, "__dict__", item.__dict__)
    return view


class _Item(_Strict):
    """Anything that may say which of its values the source does not state."""

    # Values the source does not state: unknown, never "missing" (no evaluation rule reads them as
    # a gap; the form-review packs read a blank on a line the form scored, docs/review.md).
    # A list named here with items is one the source shows only in part (a form cut off).
    unstated: list[Str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unstated_are_fields(self) -> _Item:
        for name in self.unstated:
            if name == "unstated" or name not in type(self).model_fields:
                known = ", ".join(n for n in type(self).model_fields if n != "unstated")
                raise ValueError(f"unstated: '{name}' is not a field here (fields: {known})")
            value = getattr(self, name)
            if value is not None and not isinstance(value, list):
                raise ValueError(f"unstated: '{name}' is given a value; keep one of the two")
        return self


ProjectType = Literal["专项", "部门整体", "专项债券"]

# The grade words reports use, and the national grade each stands for (财预〔2020〕10号:
# 优 / 良 / 中 / 差; several provinces say 优秀 / 良好 / 合格 / 不合格).
GRADES: dict[str, str] = {
    "优": "优",
    "优秀": "优",
    "良": "良",
    "良好": "良",
    "中": "中",
    "中等": "中",
    "合格": "中",
    "差": "差",
    "较差": "差",
    "不合格": "差",
}
StatedGrade = Literal[tuple(GRADES)]  # type: ignore[valid-type]

_OPERATORS = {">=": "≥", "<=": "≤", "==": "=", "＝": "=", "＞": ">", "＜": "<", "≧": "≥", "≦": "≤"}


def _operator(value: Any) -> Any:
    return _OPERATORS.get(value.strip(), value.strip()) if isinstance(value, str) else value


# 指标性质 / the operator written before a target value; ASCII spellings are accepted.
Operator = Annotated[Literal["≥", "≤", "=", ">", "<"], BeforeValidator(_operator)]
# Amount fields a stated rate may name as its numerator or denominator.
AmountField = Literal[
    "budget",
    "initial_budget",
    "adjusted_budget",
    "received",
    "spent",
    "recovered",
    "investment",
    "carried_forward",
]

# The topics an observation may name: a neutral list of what sources talk about, kept as
# data beside the rules (rules/topics.yaml, shipped with the package).
TOPICS_FILE = Path(__file__).resolve().parents[1] / "rules" / "topics.yaml"
# Renamed values met while validating, as (field, old, new); the validating code reads and
# clears it to tell the user (a list, not a warning: it costs nothing when empty).
RENAMED: list[tuple[str, str, str]] = []


@cache
def _topics() -> tuple[dict[str, str], dict[str, str]]:
    """(topic id → title, earlier id → topic id), from rules/topics.yaml."""
    data = yaml.safe_load(TOPICS_FILE.read_text("utf-8"))
    titles = {t["id"]: t["title"] for t in data["topics"]}
    earlier = {old: t["id"] for t in data["topics"] for old in t.get("replaces", [])}
    return titles, earlier


def topic_ids() -> tuple[str, ...]:
    """The topics an observation may name."""
    return tuple(_topics()[0])


def topic_renames() -> dict[str, str]:
    """Earlier topic ids and the topic each now is."""
    return _topics()[1]


def _topic(value: str) -> str:
    titles, earlier = _topics()
    if value in titles:
        return value
    if value in earlier:
        RENAMED.append(("topic", value, earlier[value]))
        return earlier[value]
    close = difflib.get_close_matches(value, list(titles) + list(earlier), n=1, cutoff=0.75)
    hint = f"did you mean '{earlier.get(close[0], close[0])}'? " if close else ""
    raise ValueError(
        f"unknown topic '{value}'; {hint}topics are listed in rules/topics.yaml "
        "(`auditcheck rules fields`); or leave topic out and let the rules read the evidence"
    )


Topic = Annotated[str, AfterValidator(_topic)]


class Observation(_Strict):
    """A qualitative fact the evaluator documented; its wording is kept as evidence."""

    topic: Topic | None = None  # what it is about (rules/topics.yaml), never the verdict
    subject: Str | None = None  # which part of the project it concerns
    scope: Literal["部分", "个别", "全部"] | None = None
    evidence: Text
    source: Str | None = None  # where in the source document it is stated


class FundingSource(_Item):
    """One source of the project's money (财政衔接资金, 本年财政拨款, 上年结转资金 …)."""

    name: Text
    amount: Amount | None = None  # the amount as a report states it
    initial_budget: Amount | None = None  # a form's 年初预算数 for this source
    budget: Amount | None = None  # a form's 全年预算数 / 调整后预算数
    spent: Amount | None = None  # a form's 全年执行数 / 预算执行数


class StatedRate(_Strict):
    """A rate the source states, with the amounts it is the ratio of (资金使用率 = 支出 ÷ 到位)."""

    name: Text  # as the source calls it: 预算执行率, 资金使用率, 资金到位率 …
    value: Percent
    numerator: AmountField
    denominator: AmountField


class BudgetPart(_Strict):
    """One line of a budget breakdown (基本支出 / 项目支出, 专用设备 / 办公设备 …)."""

    name: Text
    budget: Amount | None = None
    spent: Amount | None = None


class Funds(_Item):
    """Money facts shared by projects and sub-items."""

    budget: Amount | None = None  # 预算资金 / 安排资金 / 全年预算数, the amount evaluated
    initial_budget: Amount | None = None  # 年初预算
    adjusted_budget: Amount | None = None  # 调整后预算
    investment: Amount | None = None  # 投资估算 / 总投资 / 计划投资, over all years
    received: Amount | None = None  # 到位资金
    spent: Amount | None = None  # 实际支出
    recovered: Amount | None = None  # 年末收回资金
    carried_forward: Amount | None = None  # 结转 (to next year; not a 结余)
    funding_gap: Amount | None = None  # 资金缺口 as the source states it
    stated_balance: Amount | None = None  # 结余 as the source states it
    stated_execution_rate: Percent | None = None  # 执行率 / 支出率 as stated
    stated_execution_rate_again: Percent | None = None  # the same rate where stated a second time
    stated_average_rate: Percent | None = None  # an average rate the source gives over sub-items
    stated_rates: list[StatedRate] = Field(default_factory=list)
    sources: list[FundingSource] = Field(default_factory=list)
    parts: list[BudgetPart] = Field(default_factory=list)


class SubprojectCounts(_Item):
    """Counts of the sub-projects (村级项目、小区 …) by status at the data date."""

    total: Count
    unit: Str = "个"
    completed: Count | None = None  # 已完工（含已验收）
    accepted: Count | None = None  # 已完工并验收
    completed_not_accepted: Count | None = None  # 已完工尚未验收
    in_progress: Count | None = None  # 在建
    behind_schedule: Count | None = None  # 进度未达预期
    completed_late: Count | None = None  # 延迟完工
    accepted_late: Count | None = None  # 验收延迟


class Schedule(_Item):
    """Planned and actual dates of construction work."""

    planned_start: date | None = None
    actual_start: date | None = None
    planned_completion: date | None = None
    actual_completion: date | None = None
    acceptance: date | None = None  # 竣工验收
    final_audit: date | None = None  # 决算审计
    contract_days: Count | None = None  # 合同工期（天）
    completed: bool | None = None  # whether the work is complete at the evaluation date
    stated_overdue_months: Count | None = None  # 「逾期 N 个月以上」 as stated at evaluation
    evidence: Str | None = None


class Target(_Item):
    """A performance indicator: declared value vs what was achieved.

    ``planned``/``actual`` are the numbers; ``planned_text``/``actual_text`` the cells
    as written (the only value when it is qualitative, such as 效果明显).
    """

    level: Str | None = None  # 一级指标: 产出指标 / 效益指标 / 满意度指标 (成本指标 …)
    category: Str | None = None  # 二级指标: 数量指标 / 质量指标 / 时效指标 / 社会效益指标 …
    indicator: Text  # 三级指标, as written (a target inside the name is kept)
    operator: Operator | None = None  # ≥ ≤ = > <, written before the target value
    planned: float | None = None
    planned_text: Str | None = None
    actual_operator: Operator | None = None  # an achieved value stated as a bound (≥95%)
    actual: float | None = None
    actual_text: Str | None = None
    unit: Str | None = None
    weight: Annotated[float, Field(ge=0)] | None = None  # 分值 / 权重
    score: Annotated[float, Field(ge=0)] | None = None  # 得分
    deviation_reason: Str | None = None  # 偏差原因分析及改进措施 / 未完成原因分析
    adjusted: bool | None = None  # whether the declared target was formally adjusted
    self_eval_planned: float | None = None  # the target value the self-evaluation used
    self_eval_planned_text: Str | None = None  # the same, as written in the 自评表
    stated_actual_again: float | None = None  # the same achieved value stated elsewhere
    evidence: Str | None = None


class Acceptance(_Item):
    """Acceptance papers (验收资料)."""

    required: list[Text] = Field(default_factory=list)
    present: list[Text] = Field(default_factory=list)
    complete: bool | None = None  # as found by the evaluator when the papers are not listed
    evidence: Str | None = None


class Facility(_Item):
    """A built facility or purchased asset and how it works after completion."""

    name: Text
    in_use: bool | None = None
    stopped: bool | None = None  # 已停用: it was in use and no longer is
    in_use_since: date | None = None  # 投入使用 / 开园 date
    accepted: bool | None = None  # completion acceptance done
    accepted_on: date | None = None  # 竣工验收 date
    connected: bool | None = None  # connected to the network it needs (排污、供水 …)
    scheduled_for_demolition: bool | None = None
    expected_output_min: float | None = None
    expected_output_max: float | None = None
    actual_output: float | None = None
    output_unit: Str | None = None
    benefit_delay_months: Count | None = None  # stated delay before the benefit can start
    evidence: Str | None = None


class Defect(_Strict):
    """A quality defect found in completed work."""

    site: Text
    description: Text
    months_after_completion: float | None = None
    evidence: Str | None = None


class PlannedItem(_Strict):
    """A task the plan included, and whether it was carried out."""

    name: Text
    carried_out: bool
    evidence: Str | None = None


class Publicity(_Strict):
    """How a policy or project was made known."""

    channels: list[Text] = Field(default_factory=list)
    awareness_rate: Share | None = None
    evidence: Str | None = None


class Activity(_Strict):
    """A recurring public activity and its participation."""

    name: Text
    sites: Count | None = None
    sites_below: Count | None = None  # sites whose participants were below `below`
    below: Count | None = None  # the participant count those sites stayed under
    evidence: Str | None = None


class Document(_Strict):
    """A paper a project should have (可研批复, 实施方案, 合同, 验收报告, 决算审计 …)."""

    name: Text
    present: bool | None = None
    stage: Str | None = None  # 立项 / 实施 / 验收 … when the source says
    complete: bool | None = None  # False: exists, but the source says it is incomplete
    evidence: Str | None = None


class ManagementRule(_Strict):
    """A management rule a unit should have (项目管理制度, 资金管理办法 …)."""

    name: Text
    present: bool | None = None
    complete: bool | None = None  # False: exists, but the source says it is unclear or partial
    evidence: Str | None = None


class Goal(_Strict):
    """年度总体目标: what was set and what was reported done, as text."""

    planned: Str | None = None
    actual: Str | None = None


class UnitRef(_Strict):
    """A unit with its role in the project (主管部门, 实施单位 …)."""

    name: Text
    role: Str | None = None


class Survey(_Strict):
    """A satisfaction survey result."""

    subject: Text
    rate: Share  # percent satisfied; a stated lower bound ("90%以上") is recorded as 90
    at_least: bool = False


class Quantity(_Strict):
    """A counted output stated by the source (books, households, people …)."""

    name: Text
    value: float
    unit: Str | None = None
    parts: list[float] = Field(
        default_factory=list
    )  # where the source states the parts the value sums up


class SubItem(Funds):
    """A sub-item (子项目) with figures of its own."""

    name: Text
    score: Annotated[float, Field(ge=0, le=100)] | None = None
    stated_grade: StatedGrade | None = None  # type: ignore[valid-type]
    subprojects: SubprojectCounts | None = None
    schedule: Schedule | None = None
    targets: list[Target] = Field(default_factory=list)
    observations: list[Observation] = Field(default_factory=list)


class Project(Funds):
    """One evaluated project (or a department's whole expenditure)."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=100)]
    code: Str | None = None  # 预算管理一体化 project code, e.g. 51092324T000010263357
    name: Text
    amount_unit: Str = "万元"
    short_name: Str | None = None
    type: ProjectType | None = None
    units: list[Text | UnitRef] = Field(default_factory=list)
    period: Str | None = None  # e.g. 2020-2023 for multi-year funds
    score: Annotated[float, Field(ge=0, le=100)] | None = None
    stated_grade: StatedGrade | None = None  # type: ignore[valid-type]
    goal: Goal | None = None
    # The money block of a self-evaluation form: 执行率 分值 / 得分 / 原因, and the reason
    # given for a mid-year budget adjustment.
    execution_weight: Annotated[float, Field(ge=0)] | None = None
    execution_score: Annotated[float, Field(ge=0)] | None = None
    execution_reason: Str | None = None
    adjustment_reason: Str | None = None
    total_weight: Annotated[float, Field(ge=0)] | None = None  # 总分 分值 (100 on every form)
    # Rows of a form's indicator table that name no indicator (the template's 指标2：, ……).
    template_rows: Count | None = None
    # Special bonds: the project's income and the bonds' principal and interest over the same
    # term, as the 融资平衡方案 states them, and the coverage ratio it gives (本息覆盖倍数).
    expected_revenue: Amount | None = None
    debt_service: Amount | None = None
    stated_coverage: Annotated[float, Field(ge=0)] | None = None
    subprojects: SubprojectCounts | None = None
    schedule: Schedule | None = None
    subitems: list[SubItem] = Field(default_factory=list)
    targets: list[Target] = Field(default_factory=list)
    acceptance: Acceptance | None = None
    facilities: list[Facility] = Field(default_factory=list)
    defects: list[Defect] = Field(default_factory=list)
    planned_items: list[PlannedItem] = Field(default_factory=list)
    publicity: Publicity | None = None
    activities: list[Activity] = Field(default_factory=list)
    surveys: list[Survey] = Field(default_factory=list)
    quantities: list[Quantity] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    management_rules: list[ManagementRule] = Field(default_factory=list)
    budget_itemised: bool | None = None  # whether the budget is broken down to items
    observations: list[Observation] = Field(default_factory=list)

    @property
    def unit_names(self) -> list[str]:
        """The units' names, whatever their role."""
        return [u if isinstance(u, str) else u.name for u in self.units]

    @field_validator("amount_unit")
    @classmethod
    def _amounts_in_wan(cls, value: str) -> str:
        if value != "万元":
            raise ValueError(
                f"amounts must be in 万元, this record says {value!r}: "
                "convert them (元 ÷ 10000) and write amount_unit: 万元"
            )
        return value


class TableRow(_Strict):
    """A row of the batch's table of evaluated projects, as stated."""

    project: Text  # the record id
    amount: Amount


class GradeBands(_Strict):
    """Lower bounds (inclusive) of the grades, as the source's own scheme states them."""

    excellent: Annotated[float, Field(ge=0, le=100)]
    good: Annotated[float, Field(ge=0, le=100)]
    passing: Annotated[float, Field(ge=0, le=100)]

    @model_validator(mode="after")
    def _ordered(self) -> GradeBands:
        if not self.excellent > self.good > self.passing:
            raise ValueError("grade bands must fall: excellent > good > passing")
        return self


class Batch(_Strict):
    """A batch of records: one evaluation round of one region."""

    region: Text
    fiscal_year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    grade_bands: GradeBands | None = None  # overrides the grade rule's parameters for this batch
    purpose: Str | None = None  # 评价目的, as the source states it
    basis: list[Text] = Field(default_factory=list)  # 评价依据: the documents named
    process: Str | None = None  # 评价过程, as the source states it
    units: list[Text] = Field(default_factory=list)  # 涉及的部门（单位）, as listed
    evaluation_year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    as_of: date | None = None  # the evaluation date; overdue work is measured to it
    data_date: date | None = None  # the date the figures are stated at (截至)
    evaluator: Str | None = None
    title: Str | None = None
    table: list[TableRow] = Field(default_factory=list)
    stated_table_total: Amount | None = None
