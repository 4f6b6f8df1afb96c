"""Records → facts: the flat values rules compare, each derived metric computed once here.

A record becomes several facts: the project itself, each sub-item, and each
target, facility, defect, planned item, activity and observation. Every fact
knows its kind, its record, the path of the data it came from, and for each
field the path to point a finding at. :data:`FIELDS` is the vocabulary the
condition language accepts; its docs are shown by ``auditcheck rules fields``.

Formulas (rates in percent, amounts in 万元, days as calendar days):

- ``balance = budget − spent``
- ``execution_rate = spent ÷ budget × 100`` (denominator: the budget evaluated;
  for a department's whole expenditure that is the adjusted budget)
- ``receipt_rate = received ÷ budget × 100``
- ``balance_share = balance ÷ budget × 100``
- ``adjustment_rate = (adjusted_budget − initial_budget) ÷ initial_budget × 100``
- ``overdue_days = actual_completion − planned_completion`` when the work is
  complete, else ``as_of − planned_completion`` when the batch gives an evaluation
  date; only positive values are kept
- ``completion_rate = actual ÷ planned × 100`` for a target
- ``output_rate = actual_output ÷ expected_output_min × 100`` for a facility
- ``used_before_acceptance``: in use before the acceptance date, or in use and
  not accepted at all
- ``below_share = sites_below ÷ sites × 100`` for an activity
- ``satisfaction_min`` = the lowest satisfaction rate of the project's surveys
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from auditcheck.locate import Document, PathKey
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import (
    GRADES,
    Facility,
    Funds,
    Project,
    Schedule,
    SubItem,
    SubprojectCounts,
)

FieldType = Literal["number", "text", "bool"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a fact kind: its type and what it means."""

    type: FieldType
    doc: str


def _spec(**fields: tuple[FieldType, str]) -> dict[str, FieldSpec]:
    return {name: FieldSpec(kind, doc) for name, (kind, doc) in fields.items()}


_MONEY = _spec(
    name=("text", "名称"),
    budget=("number", "预算资金（万元）"),
    initial_budget=("number", "年初预算（万元）"),
    adjusted_budget=("number", "调整后预算（万元）"),
    received=("number", "到位资金（万元）"),
    spent=("number", "实际支出（万元）"),
    balance=("number", "结余 = budget − spent（万元）"),
    balance_share=("number", "结余占预算比例 = balance ÷ budget × 100"),
    execution_rate=("number", "预算执行率 = spent ÷ budget × 100"),
    receipt_rate=("number", "资金到位率 = received ÷ budget × 100"),
    adjustment_rate=("number", "预算调整幅度 = (adjusted − initial) ÷ initial × 100"),
    subprojects_total=("number", "子项目总数"),
    subprojects_unit=("text", "子项目计量单位"),
    subprojects_in_progress=("number", "在建子项目数"),
    subprojects_behind=("number", "进度未达预期的子项目数"),
    subprojects_late=("number", "延迟完工或延迟验收的子项目数"),
    subprojects_unaccepted=("number", "已完工未验收的子项目数"),
    planned_completion=("text", "计划完工日期"),
    overdue_days=("number", "逾期天数（见模块说明的公式）"),
    stated_overdue_months=("number", "资料所述逾期月数（下限）"),
    final_audit_days=("number", "竣工到决算审计的天数"),
)

FIELDS: dict[str, dict[str, FieldSpec]] = {
    "project": {
        **_MONEY,
        "type": FieldSpec("text", "项目类型：专项 / 部门整体 / 专项债券"),
        "score": FieldSpec("number", "评价得分"),
        "stated_grade": FieldSpec("text", "资料所述评价等级：优 / 良 / 中 / 差"),
        "acceptance_complete": FieldSpec("bool", "验收资料是否齐全"),
        "acceptance_missing": FieldSpec("number", "缺少的验收资料份数"),
        "publicity_channels": FieldSpec("number", "宣传渠道数"),
        "channel_list": FieldSpec("text", "宣传渠道（顿号分隔）"),
        "awareness_rate": FieldSpec("number", "政策知晓率（%）"),
        "satisfaction_min": FieldSpec("number", "最低的满意度调查结果（%）"),
    },
    "subitem": dict(_MONEY),
    "target": _spec(
        indicator=("text", "指标名称"),
        planned=("number", "目标值"),
        actual=("number", "实际完成值"),
        unit=("text", "计量单位"),
        adjusted=("bool", "目标是否已调整"),
        self_eval_planned=("number", "自评时采用的目标值"),
        completion_rate=("number", "完成率 = actual ÷ planned × 100"),
        gap=("number", "差额 = planned − actual"),
        measurable=("bool", "是否有目标值和计量单位"),
    ),
    "facility": _spec(
        name=("text", "设施或资产名称"),
        in_use=("bool", "是否在用"),
        connected=("bool", "是否接入所需管网"),
        scheduled_for_demolition=("bool", "是否已纳入拆迁"),
        used_before_acceptance=("bool", "是否验收前投入使用"),
        expected_output_min=("number", "预期产出下限"),
        expected_output_max=("number", "预期产出上限"),
        actual_output=("number", "实际产出"),
        output_unit=("text", "产出计量单位"),
        output_rate=("number", "产出达成率 = actual_output ÷ expected_output_min × 100"),
        benefit_delay_months=("number", "效益发挥推迟月数"),
    ),
    "defect": _spec(
        site=("text", "地点"),
        description=("text", "质量问题"),
        months_after_completion=("number", "完工后几个月内出现"),
    ),
    "planned_item": _spec(
        name=("text", "计划事项"),
        carried_out=("bool", "是否已实施"),
    ),
    "activity": _spec(
        name=("text", "活动名称"),
        sites=("number", "开展地点数"),
        sites_below=("number", "参与人数偏少的地点数"),
        below=("number", "这些地点参与人数低于的人数"),
        below_share=("number", "参与偏少地点占比 = sites_below ÷ sites × 100"),
    ),
    "crosscheck": _spec(
        check=("text", "核对类别：balance / rate / sum / count / average / restated / date-order"),
        subject=("text", "核对的是什么数"),
        stated=("number", "资料所述的数"),
        computed=("number", "由资料中其他数算出（或另一处所述）的数"),
        difference=("number", "两数之差的绝对值"),
        unit=("text", "差额的单位：万元 / 个百分点 / 个 …"),
        basis=("text", "computed 的算法，写明分子分母"),
        stated_at=("text", "stated 所在的 文件:行"),
        basis_at=("text", "computed 所依据数据所在的 文件:行"),
        days=("number", "date-order：后一日期减前一日期的天数，负数表示顺序颠倒"),
        note=("text", "补充说明（如 average 的简单平均数）"),
    ),
    "observation": _spec(
        topic=("text", "观察事项类别（见 records/model.py 的 ObservationTopic）"),
        subject=("text", "涉及对象"),
        scope=("text", "范围：部分 / 个别 / 全部"),
        evidence=("text", "评价资料中的原始表述"),
    ),
}

KINDS = tuple(FIELDS)


@dataclass
class Fact:
    """One thing rules look at, with where each of its values came from."""

    kind: str
    record: str
    label: str
    path: PathKey
    values: dict[str, Any]
    sources: dict[str, PathKey] = field(default_factory=dict)
    owner: str = ""  # the sub-item a listed fact belongs to; empty at project level
    doc: Document | None = None  # where the fact's paths point, when not the record's own file

    def source(self, name: str) -> PathKey:
        """The record path a finding on ``name`` should point at."""
        return self.sources.get(name, self.path)


def _rate(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator * 100


def _days(later: date | None, earlier: date | None) -> int | None:
    if later is None or earlier is None:
        return None
    return (later - earlier).days


def _used_before_acceptance(f: Facility) -> bool | None:
    if f.in_use_since is not None and f.accepted_on is not None:
        return f.in_use_since < f.accepted_on
    if f.in_use is True and f.accepted is False:
        return True
    return None


def _money(funds: Funds, path: PathKey) -> tuple[dict[str, Any], dict[str, PathKey]]:
    budget = funds.budget if funds.budget is not None else funds.adjusted_budget
    balance = None if budget is None or funds.spent is None else budget - funds.spent
    adjustment = None
    if funds.adjusted_budget is not None:
        adjustment = _rate(
            funds.adjusted_budget - (funds.initial_budget or 0), funds.initial_budget
        )
    values = {
        "budget": budget,
        "initial_budget": funds.initial_budget,
        "adjusted_budget": funds.adjusted_budget,
        "received": funds.received,
        "spent": funds.spent,
        "balance": balance,
        "balance_share": _rate(balance, budget),
        "execution_rate": _rate(funds.spent, budget),
        "receipt_rate": _rate(funds.received, budget),
        "adjustment_rate": adjustment,
    }
    budget_key = "budget" if funds.budget is not None else "adjusted_budget"
    sources = {
        "budget": (*path, budget_key),
        "balance": (*path, "stated_balance" if funds.stated_balance is not None else "spent"),
        "balance_share": (*path, "spent"),
        "execution_rate": (*path, "spent"),
        "receipt_rate": (*path, "received"),
        "adjustment_rate": (*path, "adjusted_budget"),
    }
    sources.update(
        {k: (*path, k) for k in ("initial_budget", "adjusted_budget", "received", "spent")}
    )
    return values, sources


def _progress(
    counts: SubprojectCounts | None, schedule: Schedule | None, as_of: date | None, path: PathKey
) -> tuple[dict[str, Any], dict[str, PathKey]]:
    values: dict[str, Any] = {}
    sources: dict[str, PathKey] = {}
    if counts is not None:
        where = (*path, "subprojects")
        values.update(
            subprojects_total=counts.total,
            subprojects_unit=counts.unit,
            subprojects_in_progress=counts.in_progress,
            subprojects_behind=counts.behind_schedule,
            subprojects_late=counts.completed_late,
            subprojects_unaccepted=counts.completed_not_accepted,
        )
        sources.update(
            subprojects_total=(*where, "total"),
            subprojects_in_progress=(*where, "in_progress"),
            subprojects_behind=(*where, "behind_schedule"),
            subprojects_late=(*where, "completed_late"),
            subprojects_unaccepted=(*where, "completed_not_accepted"),
        )
    if schedule is not None:
        where = (*path, "schedule")
        if schedule.actual_completion is not None:
            overdue = _days(schedule.actual_completion, schedule.planned_completion)
        elif schedule.completed is not True:
            overdue = _days(as_of, schedule.planned_completion)
        else:
            overdue = None
        planned = schedule.planned_completion
        values.update(
            planned_completion=planned.isoformat() if planned else None,
            overdue_days=overdue if overdue and overdue > 0 else None,
            stated_overdue_months=schedule.stated_overdue_months,
            final_audit_days=_days(schedule.final_audit, schedule.actual_completion),
        )
        sources.update(
            planned_completion=(*where, "planned_completion"),
            overdue_days=(*where, "planned_completion"),
            stated_overdue_months=(*where, "stated_overdue_months"),
            final_audit_days=(*where, "final_audit"),
        )
    return values, sources


def _project_fact(project: Project, as_of: date | None) -> Fact:
    values, sources = _money(project, ())
    more, more_sources = _progress(project.subprojects, project.schedule, as_of, ())
    values.update(more)
    sources.update(more_sources)
    values.update(
        name=project.name,
        type=project.type,
        score=project.score,
        # The national grade the stated word stands for (优秀 → 优); messages may show the word.
        stated_grade=GRADES[project.stated_grade] if project.stated_grade else None,
    )
    sources.update(score=("score",), type=("type",), stated_grade=("stated_grade",))
    acceptance = project.acceptance
    if acceptance is not None:
        missing = sorted(set(acceptance.required) - set(acceptance.present))
        complete = acceptance.complete if acceptance.complete is not None else not missing
        values.update(acceptance_complete=complete, acceptance_missing=len(missing) or None)
        sources.update(acceptance_complete=("acceptance",), acceptance_missing=("acceptance",))
    if project.publicity is not None:
        channels = project.publicity.channels
        values.update(
            publicity_channels=len(channels) or None,
            channel_list="、".join(channels) or None,
            awareness_rate=project.publicity.awareness_rate,
        )
        sources.update(
            publicity_channels=("publicity", "channels"),
            awareness_rate=("publicity", "awareness_rate"),
        )
    if project.surveys:
        lowest = min(range(len(project.surveys)), key=lambda i: project.surveys[i].rate)
        values["satisfaction_min"] = project.surveys[lowest].rate
        sources["satisfaction_min"] = ("surveys", lowest, "rate")
    return Fact("project", project.id, project.name, (), values, sources)


def _subitem_fact(project: Project, item: SubItem, index: int, as_of: date | None) -> Fact:
    path: PathKey = ("subitems", index)
    values, sources = _money(item, path)
    more, more_sources = _progress(item.subprojects, item.schedule, as_of, path)
    values.update(more, name=item.name)
    sources.update(more_sources)
    return Fact("subitem", project.id, item.name, path, values, sources)


def _listed(project: Project) -> Iterator[Fact]:
    """Facts for the project's lists: targets, facilities, defects, items, activities, notes."""
    rid = project.id
    owners: list[tuple[PathKey, Any, str]] = [((), project, "")] + [
        (("subitems", i), item, item.name) for i, item in enumerate(project.subitems)
    ]
    for base, owner, owner_name in owners:
        for i, t in enumerate(owner.targets):
            path = (*base, "targets", i)
            measurable = t.planned is not None and bool(t.unit)
            values = {
                "indicator": t.indicator,
                "planned": t.planned,
                "actual": t.actual,
                "unit": t.unit,
                "adjusted": t.adjusted,
                "self_eval_planned": t.self_eval_planned,
                "completion_rate": _rate(t.actual, t.planned),
                "gap": None if t.planned is None or t.actual is None else t.planned - t.actual,
                "measurable": measurable,
            }
            sources = {
                k: (*path, k)
                for k in ("planned", "actual", "unit", "adjusted", "self_eval_planned")
            }
            sources.update(completion_rate=(*path, "actual"), gap=(*path, "actual"))
            yield Fact("target", rid, t.indicator, path, values, sources, owner_name)
        for i, o in enumerate(owner.observations):
            path = (*base, "observations", i)
            values = {
                "topic": o.topic,
                "subject": o.subject,
                "scope": o.scope,
                "evidence": o.evidence,
            }
            label = o.subject or owner_name or o.topic or ""
            sources = {"topic": (*path, "topic")}
            yield Fact("observation", rid, label, path, values, sources, owner_name)
    for i, f in enumerate(project.facilities):
        path = ("facilities", i)
        values = f.model_dump(exclude={"evidence", "in_use_since", "accepted_on"})
        values["output_rate"] = _rate(f.actual_output, f.expected_output_min)
        values["used_before_acceptance"] = _used_before_acceptance(f)
        sources = {k: (*path, k) for k in values}
        sources["output_rate"] = (*path, "actual_output")
        sources["used_before_acceptance"] = (
            *path,
            "in_use_since" if f.in_use_since else "accepted",
        )
        yield Fact("facility", rid, f.name, path, values, sources)
    for i, d in enumerate(project.defects):
        path = ("defects", i)
        values = d.model_dump(exclude={"evidence"})
        yield Fact("defect", rid, d.site, path, values, {k: (*path, k) for k in values})
    for i, p in enumerate(project.planned_items):
        path = ("planned_items", i)
        values = {"name": p.name, "carried_out": p.carried_out}
        yield Fact(
            "planned_item", rid, p.name, path, values, {"carried_out": (*path, "carried_out")}
        )
    for i, a in enumerate(project.activities):
        path = ("activities", i)
        values = a.model_dump(exclude={"evidence"})
        values["below_share"] = _rate(a.sites_below, a.sites)
        sources = {k: (*path, k) for k in values}
        sources["below_share"] = (*path, "sites_below")
        yield Fact("activity", rid, a.name, path, values, sources)


def facts_of(record: LoadedRecord) -> Iterator[Fact]:
    """Every fact of one record, project first, in the order of the record's file."""
    project = record.project
    as_of = record.batch.as_of if record.batch else None
    yield _project_fact(project, as_of)
    for i, item in enumerate(project.subitems):
        yield _subitem_fact(project, item, i, as_of)
    yield from _listed(project)
