"""The fact vocabulary: every field a rule may read, declared once.

A record becomes facts of several kinds (the project, each sub-item, each
target, observation …). Each kind declares where its items are in a record, and
each field declares its type, what it means, how it is computed from the item
and where in the record it comes from — the path a finding on that field points
at. :mod:`auditcheck.facts` builds facts by iterating these declarations, the
condition language accepts exactly these names, and ``auditcheck rules fields``
prints them. Formulas live in :mod:`auditcheck.formulas`; a field only names one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import Any, Literal

from auditcheck import formulas
from auditcheck.locate import PathKey
from auditcheck.records.model import (
    GRADES,
    Facility,
    FundingSource,
    Funds,
    GradeBands,
    Project,
    Target,
    topic_ids,
    topic_renames,
)
from auditcheck.templating import join_cjk

FieldType = Literal["number", "text", "bool", "date"]
Getter = Callable[[Any, "Context"], Any]
Where = PathKey | Callable[[Any], PathKey]


@dataclass(frozen=True)
class Context:
    """What a record's facts need besides the item itself: the batch's dates and grade bands."""

    as_of: date | None = None
    bands: GradeBands = formulas.NATIONAL_BANDS


@dataclass(frozen=True)
class FactField:
    """One field of a fact kind: type, meaning, how it is computed, where it comes from."""

    name: str
    type: FieldType
    doc: str
    # Reads the item's declared fields only: the encoders hand it a view of them
    # (records.model.field_view), on which a property or method of the model is not found.
    get: Getter
    at: Where  # relative to the item; a function when it depends on the data
    choices: Callable[[], tuple[str, ...]] | None = None  # the text values it can take
    origin: str = ""  # where it comes from, in words, when that depends on the data
    attr: str | None = None  # the item's attribute (a.b: inside a block), for a value as stated
    renamed: Callable[[], Mapping[str, str]] | None = None  # earlier spellings of its values
    # Worked out from the source's figures (a rate, a difference, a comparison), not a value
    # the source states, chooses between or words differently; the draft report says which.
    computed: bool = False
    # The item's attribute without which the field is None: the encoders read it first and
    # call ``get`` only when it is given (most items state no dates, score or adjustment).
    needs: str | None = None

    def where(self, item: Any) -> PathKey:
        """The record path (relative to the item) a finding on this field points at."""
        return self.at(item) if callable(self.at) else self.at


Item = tuple[PathKey, Any, str]  # (path of the item, the item, the sub-item it belongs to)


@dataclass(frozen=True)
class FactKind:
    """A kind of fact: what it describes, its items in a record, its fields."""

    name: str
    doc: str
    fields: Mapping[str, FactField]
    items: Callable[[Project], list[Item]]
    label: Callable[[Any], str]
    lists: Mapping[str, str] = field(default_factory=dict)  # list name → item kind, for count()


# --- field constructors -------------------------------------------------------------------------


def stated(name: str, type_: FieldType, doc: str, attr: str | None = None, **kw: Any) -> FactField:
    """A value as the record states it."""
    key = attr or name
    return FactField(
        name, type_, doc, lambda item, _ctx: getattr(item, key), (key,), attr=key, **kw
    )


def within(block: str, attr: str, name: str, type_: FieldType, doc: str) -> FactField:
    """A value inside a block of the item (``subprojects.total``)."""

    def get(item: Any, _ctx: Context) -> Any:
        part = getattr(item, block)
        return None if part is None else getattr(part, attr)

    return FactField(name, type_, doc, get, (block, attr), attr=f"{block}.{attr}")


def derived(
    name: str, type_: FieldType, doc: str, get: Getter, at: Where, computed: bool = True, **kw: Any
) -> FactField:
    """A value computed from the item (its formula in ``doc``); ``computed=False`` for one that
    only picks or rewords what the source states (the budget in force, the evidence)."""
    return FactField(name, type_, doc, get, at, computed=computed, **kw)


def _fields(*declared: FactField) -> dict[str, FactField]:
    return {f.name: f for f in declared}


# --- computations that are more than one expression ---------------------------------------------


def _balance(funds: Funds, _ctx: Context) -> float | None:
    budget = formulas.budget(funds)
    return None if budget is None or funds.spent is None else budget - funds.spent


def _balance_share(funds: Funds, _ctx: Context) -> float | None:
    # balance ÷ budget × 100 as formulas.rate computes it; written out, as it is asked of
    # every project and sub-item.
    budget = formulas.budget(funds)
    if budget is None or funds.spent is None or not budget:
        return None
    return (budget - funds.spent) / budget * 100


def _adjustment(funds: Funds, _ctx: Context) -> float | None:
    if funds.adjusted_budget is None:
        return None
    return formulas.rate(funds.adjusted_budget - (funds.initial_budget or 0), funds.initial_budget)


def _overdue_days(item: Any, ctx: Context) -> int | None:
    s = item.schedule
    if s is None or s.planned_completion is None:
        return None
    if s.actual_completion is not None:
        end = s.actual_completion
    elif s.completed is not True and ctx.as_of is not None:
        end = ctx.as_of
    else:
        return None
    days = (end - s.planned_completion).days
    return days if days > 0 else None


def _audit_days(item: Any, _ctx: Context) -> int | None:
    s = item.schedule
    if s is None or s.final_audit is None or s.actual_completion is None:
        return None
    return (s.final_audit - s.actual_completion).days


def _national_grade(item: Any, _ctx: Context) -> str | None:
    # The national grade the stated word stands for (优秀 → 优); messages may show the word.
    return GRADES[item.stated_grade] if item.stated_grade else None


def _score_grade(item: Any, ctx: Context) -> str | None:
    return None if item.score is None else formulas.grade(item.score, ctx.bands)


def _acceptance_missing(project: Project) -> list[str]:
    a = project.acceptance
    return [] if a is None else sorted(set(a.required) - set(a.present))


def _acceptance_complete(project: Project, _ctx: Context) -> bool | None:
    a = project.acceptance
    if a is None:
        return None
    return a.complete if a.complete is not None else not _acceptance_missing(project)


def _lowest_survey(project: Project) -> int:
    return min(range(len(project.surveys)), key=lambda i: project.surveys[i].rate)


def _completion_rate(t: Target, _ctx: Context) -> float | None:
    reverse = t.operator in ("≤", "<")
    rate = formulas.rate(t.planned, t.actual) if reverse else formulas.rate(t.actual, t.planned)
    # An achieved value stated as a bound (≥95%) only says the target may have been met.
    bound = ("≤", "<") if reverse else ("≥", ">")
    if rate is not None and rate < 100 and t.actual_operator in bound:
        return None
    return rate


# 一级指标 as the common framework names them, and the 二级 names each one covers.
LEVELS = ("产出指标", "效益指标", "满意度指标", "成本指标")
_SECOND_LEVEL = {
    "数量": "产出指标",
    "质量": "产出指标",
    "时效": "产出指标",
    "成本": "产出指标",
    "效益": "效益指标",
    "可持续": "效益指标",
    "满意": "满意度指标",
}
OPERATORS = ("≥", "≤", "=", ">", "<")


def _indicator_levels(project: Project, ctx: Context) -> str | None:
    found = {_level(t, ctx) for t in project.targets}
    return "、".join(lv for lv in LEVELS if lv in found) or None


def _level(t: Target, _ctx: Context) -> str | None:
    if t.level:
        found = [lv for lv in LEVELS if lv[:2] in t.level]
        if found:
            return found[0]
    for word, level in _SECOND_LEVEL.items():
        if t.category and word in t.category:
            return level
    return None


def _measurable(t: Target, _ctx: Context) -> bool | None:
    # Unknown (None), not unmeasurable, when the source does not state the value or the unit,
    # or states the target in words only (效果明显): only a target with nothing is a gap.
    if t.planned is None:
        return None if "planned" in t.unstated or t.planned_text else False
    if not t.unit:
        return None if "unit" in t.unstated else False
    return True


def sentence(subject: str | None, evidence: str) -> str:
    """The source's words as a clause: line folds and final punctuation dropped, the subject
    put in front when the words do not name it."""
    text = join_cjk(evidence.strip()).rstrip("。；;，,、 ")
    return text if not subject or subject in text else f"{subject}{text}"


def _statement(item: Any, _ctx: Context) -> str | None:
    subject = getattr(item, "subject", None) or getattr(item, "name", None)
    return sentence(subject, item.evidence) if item.evidence else None


def _funded(source: FundingSource) -> bool:
    amounts = (source.amount, source.initial_budget, source.budget, source.spent)
    return any(a for a in amounts)


def _weights(attr: str, *levels: str) -> Getter:
    """Σ of the targets' ``attr`` (weight or score), of those at ``levels`` when given; None
    when a target does not state it (or, for a level's sum, its level), or there are none."""

    def get(project: Project, ctx: Context) -> float | None:
        if not (targets := project.targets):  # most records: five sums, asked of every project
            return None
        values = [getattr(t, attr) for t in targets]
        if None in values:
            return None
        if not levels:
            return sum(values)
        found = [_level(t, ctx) for t in targets]
        if any(level is None for level in found):
            return None
        return sum(v for v, level in zip(values, found, strict=True) if level in levels)

    return get


def _sources_sum(attr: str) -> Getter:
    def get(funds: Funds, _ctx: Context) -> float | None:
        if not (sources := funds.sources):  # most projects list no funding sources
            return None
        values = [getattr(s, attr) for s in sources]
        return None if None in values else sum(values)

    return get


def _capped_share(rate: float | None, weight: float | None) -> float | None:
    """``min(rate, 100) ÷ 100 × weight``: the score a rate earns on the forms' scoring method."""
    return None if rate is None or weight is None else min(rate, 100) / 100 * weight


def _formula_execution_score(project: Project, _ctx: Context) -> float | None:
    # Few forms state the weight: the rate is worked out only for those that do.
    if (weight := project.execution_weight) is None:
        return None
    return _capped_share(formulas.execution_rate(project), weight)


def _budget_change(funds: Funds, _ctx: Context) -> float | None:
    budget = formulas.budget(funds)
    return None if budget is None or funds.initial_budget is None else budget - funds.initial_budget


# A target written into an indicator's name: a figure with a percent sign, or a bound with
# its number (年度资金支付完成率100%, 满意度不低于90). Years and counts in names are not targets.
_NAME_FIGURE = re.compile(
    r"(?:[≥≤><=＞＜＝]|不低于|不少于|不高于|不超过|达到)\s*\d+(?:\.\d+)?\s*[%％]?"
    r"|\d+(?:\.\d+)?\s*[%％]"
)
# A template's placeholder left in place: XX, ××, ** (two or more), or a lone *.
_PLACEHOLDER = re.compile(r"[XxＸｘ×＊*]{2,}|^\s*[＊*]\s*$")


def _name_figure(t: Target, _ctx: Context) -> str | None:
    found = _NAME_FIGURE.search(t.indicator)
    return found.group(0).strip() if found else None


def _placeholder_in(t: Target) -> str | None:
    """Which of the indicator's cells holds a placeholder: ``planned_text`` or ``indicator``."""
    for name in ("planned_text", "indicator"):
        text = getattr(t, name)
        if text and _PLACEHOLDER.search(text):
            return name
    return None


def _placeholder(t: Target, _ctx: Context) -> str | None:
    name = _placeholder_in(t)
    return None if name is None else getattr(t, name)


def _used_before_acceptance(f: Facility, _ctx: Context) -> bool | None:
    if f.in_use_since is not None and f.accepted_on is not None:
        return f.in_use_since < f.accepted_on
    if f.in_use is True and f.accepted is False:
        return True
    return None


# --- where items are --------------------------------------------------------------------------


def _listed(name: str, owners: bool = True) -> Callable[[Project], list[Item]]:
    """The items of list ``name`` of the project (and of each sub-item when ``owners``)."""
    listed = attrgetter(name)

    def items(project: Project) -> list[Item]:
        # Most lists are empty: a list is only walked when it has items, and the sub-items'
        # lists are looked at in C (``any``) before any of them is walked.
        found = listed(project)
        out = [((name, i), item, "") for i, item in enumerate(found)] if found else []
        if owners and any(map(listed, project.subitems)):
            for n, sub in enumerate(project.subitems):
                owner = sub.name
                out += [(("subitems", n, name, i), it, owner) for i, it in enumerate(listed(sub))]
        return out

    return items


def _project(project: Project) -> list[Item]:
    return [((), project, "")]


def _subitems(project: Project) -> list[Item]:
    return [(("subitems", i), item, "") for i, item in enumerate(project.subitems)]


def _no_items(_project: Project) -> list[Item]:
    return []


# --- the kinds --------------------------------------------------------------------------------

_MONEY = (
    stated("name", "text", "名称"),
    derived(
        "budget",
        "number",
        "预算资金（万元）；没有单列预算资金时取调整后预算",
        formulas.budget,
        lambda f: (formulas.budget_key(f),),
        origin="budget（或 adjusted_budget）",
        computed=False,
    ),
    stated("initial_budget", "number", "年初预算（万元）"),
    stated("adjusted_budget", "number", "调整后预算（万元）"),
    stated("received", "number", "到位资金（万元）"),
    stated("spent", "number", "实际支出（万元）"),
    derived(
        "balance",
        "number",
        "结余 = budget − spent（万元）",
        _balance,
        lambda f: ("stated_balance" if f.stated_balance is not None else "spent",),
        origin="stated_balance（未写明时 spent）",
    ),
    derived(
        "balance_share",
        "number",
        "结余占预算比例 = balance ÷ budget × 100",
        _balance_share,
        ("spent",),
    ),
    derived(
        "execution_rate",
        "number",
        "预算执行率 = spent ÷ budget × 100",
        formulas.execution_rate,
        formulas.execution_rate_at,
        origin="spent（只有所述执行率时为 stated_execution_rate 或 stated_rates[i].value）",
    ),
    derived(
        "budget_label",
        "text",
        "budget 在报告中的叫法：预算资金，或（取调整后预算时）调整后预算",
        lambda f, _c: formulas.AMOUNT_LABELS[formulas.budget_key(f)],
        lambda f: (formulas.budget_key(f),),
        origin="budget（或 adjusted_budget）",
        computed=False,
    ),
    derived(
        "use_rate",
        "number",
        "资金使用率 = spent ÷ received × 100；没有金额时取以此为口径的所述比率",
        formulas.use_rate,
        ("spent",),
    ),
    stated("investment", "number", "投资估算 / 总投资（万元，跨年度，不是当年预算）"),
    stated("carried_forward", "number", "结转下年资金（万元，不是结余）"),
    stated("recovered", "number", "年末收回资金（万元）"),
    stated("funding_gap", "number", "资料所述的资金缺口（万元）"),
    derived(
        "receipt_rate",
        "number",
        "资金到位率 = received ÷ budget × 100",
        formulas.receipt_rate,
        ("received",),
    ),
    derived(
        "adjustment_rate",
        "number",
        "预算调整幅度 = (adjusted_budget − initial_budget) ÷ initial_budget × 100",
        _adjustment,
        ("adjusted_budget",),
        needs="adjusted_budget",
    ),
)
_GRADES = ("优", "良", "中", "差")
_GRADE = (
    stated("score", "number", "评价得分"),
    derived(
        "stated_grade",
        "text",
        "资料所述评价等级，归一为 优 / 良 / 中 / 差（优秀 → 优，合格 → 中）",
        _national_grade,
        ("stated_grade",),
        choices=lambda: _GRADES,
        computed=False,
        needs="stated_grade",
    ),
    stated(
        "stated_grade_word", "text", "资料所述评价等级的原词（优秀、良好 …）", attr="stated_grade"
    ),
    derived(
        "score_grade",
        "text",
        "得分按评分档次应得的等级；档次取批次的 grade_bands，否则取等级核对规则的参数，"
        "否则全国通行的 90 / 80 / 60",
        _score_grade,
        ("score",),
        choices=lambda: _GRADES,
        needs="score",
    ),
    derived(
        "score_band",
        "text",
        "得分所在的档次，如“80分（含）至90分”（档次的来源同 score_grade）",
        lambda i, c: None if i.score is None else formulas.band_text(i.score, c.bands),
        ("score",),
    ),
    derived(
        "grade_bands",
        "text",
        "所用评分档次，如“90分（含）以上为“优”，80分（含）至90分为“良”……”",
        lambda _i, c: formulas.bands_text(c.bands),
        ("score",),
        computed=False,
    ),
)
_PROGRESS = (
    within("subprojects", "total", "subprojects_total", "number", "子项目总数"),
    within("subprojects", "unit", "subprojects_unit", "text", "子项目计量单位"),
    within("subprojects", "in_progress", "subprojects_in_progress", "number", "在建子项目数"),
    within(
        "subprojects", "behind_schedule", "subprojects_behind", "number", "进度未达预期的子项目数"
    ),
    within("subprojects", "completed_late", "subprojects_late", "number", "延迟完工的子项目数"),
    within(
        "subprojects", "accepted_late", "subprojects_accepted_late", "number", "验收延迟的子项目数"
    ),
    within(
        "subprojects",
        "completed_not_accepted",
        "subprojects_unaccepted",
        "number",
        "已完工未验收的子项目数",
    ),
    within("schedule", "planned_completion", "planned_completion", "date", "计划完工日期"),
    derived(
        "overdue_days",
        "number",
        "逾期天数：已完工为 实际完工日期 − 计划完工日期；未完工且批次给出评价日（as_of）为 "
        "as_of − 计划完工日期；只保留正数",
        _overdue_days,
        ("schedule", "planned_completion"),
        needs="schedule",
    ),
    within(
        "schedule",
        "stated_overdue_months",
        "stated_overdue_months",
        "number",
        "资料所述逾期月数（下限）",
    ),
    derived(
        "final_audit_days",
        "number",
        "竣工到决算审计的天数 = final_audit − actual_completion",
        _audit_days,
        ("schedule", "final_audit"),
        needs="schedule",
    ),
)

# The form's own figures: the money block's 分值 / 得分 / 原因, the 总分 line, the sums.
_SELF_EVALUATION = (
    stated("execution_weight", "number", "自评表中预算执行率的分值"),
    stated("execution_score", "number", "自评表中预算执行率的得分"),
    derived(
        "formula_execution_score",
        "number",
        "按执行率应得的执行率得分 = min(execution_rate, 100) ÷ 100 × execution_weight",
        _formula_execution_score,
        ("execution_score",),
        needs="execution_weight",
    ),
    stated("execution_reason", "text", "自评表预算执行情况一栏所填的原因"),
    stated("adjustment_reason", "text", "年中预算调整（追加或调减）的理由"),
    derived(
        "budget_change",
        "number",
        "年中预算调整额 = 全年预算（或调整后预算）− 年初预算（万元），追加为正、调减为负",
        _budget_change,
        lambda p: (formulas.budget_key(p),),
        origin="budget（或 adjusted_budget）",
        needs="initial_budget",
    ),
    stated("total_weight", "number", "自评表总分一栏的分值"),
    derived(
        "indicator_weights",
        "number",
        "各项绩效指标的分值之和（有一项未写分值即不计）",
        _weights("weight"),
        ("targets",),
    ),
    derived(
        "indicator_scores",
        "number",
        "各项绩效指标的得分之和（有一项未写得分即不计）",
        _weights("score"),
        ("targets",),
    ),
    derived(
        "output_weight",
        "number",
        "产出指标（含成本指标）的分值之和；有一项指标未写分值或看不出一级指标即不计",
        _weights("weight", "产出指标", "成本指标"),
        ("targets",),
    ),
    derived(
        "effect_weight",
        "number",
        "效益指标的分值之和（同上）",
        _weights("weight", "效益指标"),
        ("targets",),
    ),
    derived(
        "satisfaction_weight",
        "number",
        "满意度指标的分值之和（同上）",
        _weights("weight", "满意度指标"),
        ("targets",),
    ),
    derived(
        "sources_initial_budget",
        "number",
        "各资金来源年初预算数之和（有一行未写即不计）",
        _sources_sum("initial_budget"),
        ("sources",),
    ),
    derived(
        "sources_budget",
        "number",
        "各资金来源全年预算数（调整后预算数）之和（同上）",
        _sources_sum("budget"),
        ("sources",),
    ),
    derived(
        "sources_spent",
        "number",
        "各资金来源执行数之和（同上）",
        _sources_sum("spent"),
        ("sources",),
    ),
    stated(
        "template_rows",
        "number",
        "指标表中没有指标名称的行数（模板中的“指标2：”“……”等行未删除）",
    ),
)

PROJECT = FactKind(
    "project",
    "一个被评价的项目（或部门整体支出）",
    _fields(
        *_MONEY,
        *_PROGRESS,
        stated(
            "type",
            "text",
            "项目类型：专项 / 部门整体 / 专项债券",
            choices=lambda: ("专项", "部门整体", "专项债券"),
        ),
        *_GRADE,
        derived(
            "acceptance_complete",
            "bool",
            "验收资料是否齐全：required 均在 present 中，或评价人员所记 complete",
            _acceptance_complete,
            ("acceptance",),
        ),
        derived(
            "acceptance_missing",
            "number",
            "缺少的验收资料份数",
            lambda p, _c: len(_acceptance_missing(p)) or None,
            ("acceptance",),
        ),
        derived(
            "acceptance_missing_names",
            "text",
            "缺少的验收资料（顿号分隔）",
            lambda p, _c: "、".join(_acceptance_missing(p)) or None,
            ("acceptance", "present"),
        ),
        derived(
            "publicity_channels",
            "number",
            "宣传渠道数",
            lambda p, _c: len(p.publicity.channels) or None if p.publicity else None,
            ("publicity", "channels"),
        ),
        derived(
            "channel_list",
            "text",
            "宣传渠道（顿号分隔）",
            lambda p, _c: "、".join(p.publicity.channels) or None if p.publicity else None,
            ("publicity", "channels"),
            computed=False,
        ),
        within("publicity", "awareness_rate", "awareness_rate", "number", "政策知晓率（%）"),
        stated("budget_itemised", "bool", "预算是否细化到具体支出事项"),
        derived(
            "indicator_levels",
            "text",
            "项目绩效指标涉及的一级指标（顿号分隔，按 产出、效益、满意度、成本 的顺序）",
            _indicator_levels,
            ("targets",),
        ),
        derived(
            "source_names",
            "text",
            "有金额的资金来源名称（顿号分隔）",
            lambda p, _c: "、".join(s.name for s in p.sources if _funded(s)) or None,
            ("sources",),
            computed=False,
        ),
        stated(
            "expected_revenue", "number", "专项债券项目预期收益（万元，与 debt_service 同一期间）"
        ),
        stated("debt_service", "number", "专项债券应还本付息（万元）"),
        derived(
            "coverage",
            "number",
            "本息覆盖倍数 = expected_revenue ÷ debt_service，否则取所述 stated_coverage",
            formulas.coverage,
            lambda p: ("stated_coverage",) if p.expected_revenue is None else ("expected_revenue",),
            origin="expected_revenue（或 stated_coverage）",
        ),
        derived(
            "satisfaction_min",
            "number",
            "各项满意度调查中最低的结果（%）",
            lambda p, _c: p.surveys[_lowest_survey(p)].rate if p.surveys else None,
            lambda p: ("surveys", _lowest_survey(p), "rate") if p.surveys else ("surveys",),
            origin="surveys[i].rate（最低的一项）",
            computed=False,
        ),
        *_SELF_EVALUATION,
    ),
    _project,
    lambda p: p.name,
    {
        "subitems": "subitem",
        "targets": "target",
        "observations": "observation",
        "facilities": "facility",
        "defects": "defect",
        "planned_items": "planned_item",
        "activities": "activity",
        "sources": "source",
        "documents": "document",
        "management_rules": "management_rule",
    },
)
SUBITEM = FactKind(
    "subitem",
    "项目中有单独资金的子项目",
    _fields(*_MONEY, *_PROGRESS, *_GRADE),
    _subitems,
    lambda s: s.name,
    {"targets": "target", "observations": "observation", "sources": "source"},
)
TARGET = FactKind(
    "target",
    "一项绩效指标（项目或子项目的）",
    _fields(
        stated("indicator", "text", "指标名称"),
        stated("planned", "number", "目标值"),
        stated("actual", "number", "实际完成值"),
        stated("unit", "text", "计量单位"),
        stated("adjusted", "bool", "目标是否已调整"),
        stated("self_eval_planned", "number", "自评时采用的目标值"),
        derived(
            "level",
            "text",
            "一级指标，归一为 产出指标 / 效益指标 / 满意度指标 / 成本指标；"
            "未写一级时由二级指标推出",
            _level,
            lambda t: ("level",) if t.level else ("category",),
            choices=lambda: LEVELS,
            origin="level（或 category）",
            computed=False,
        ),
        stated("category", "text", "二级指标，如写（数量指标、社会效益指标 …）"),
        stated("operator", "text", "目标值前的符号：≥ ≤ = > <", choices=lambda: OPERATORS),
        stated(
            "actual_operator", "text", "实际值以界限表述时的符号（≥95%）", choices=lambda: OPERATORS
        ),
        stated("planned_text", "text", "目标值原文（定性目标时是唯一的值）"),
        stated("actual_text", "text", "实际完成值原文"),
        stated("self_eval_planned_text", "text", "自评时采用的目标值原文"),
        stated("weight", "number", "分值"),
        stated("score", "number", "得分"),
        stated("deviation_reason", "text", "偏差原因分析"),
        derived(
            "completion_rate",
            "number",
            "完成率：正向指标（≥、>、= 或未写）为 actual ÷ planned × 100，反向指标（≤、<，"
            "如成本）为 planned ÷ actual × 100；"
            "实际值只是界限（actual_operator）而够不上目标时不作判断",
            _completion_rate,
            ("actual",),
        ),
        derived(
            "gap",
            "number",
            "差额 = planned − actual",
            lambda t, _c: None if t.planned is None or t.actual is None else t.planned - t.actual,
            ("actual",),
        ),
        derived(
            "measurable",
            "bool",
            "是否有目标值和计量单位；资料未载明（unstated）或只有文字目标（planned_text）时不作判断",
            _measurable,
            ("planned",),
        ),
        derived(
            "formula_score",
            "number",
            "按完成率应得的得分 = min(completion_rate, 100) ÷ 100 × weight",
            lambda t, c: _capped_share(_completion_rate(t, c), t.weight),
            ("score",),
        ),
        derived(
            "name_figure",
            "text",
            "指标名称中写着的目标值，如“年度资金支付完成率100%”中的“100%”",
            _name_figure,
            ("indicator",),
        ),
        derived(
            "placeholder",
            "text",
            "指标值或指标名称中留下的模板占位符（XX、××、**，或只有一个 *）所在的原文",
            _placeholder,
            lambda t: (_placeholder_in(t) or "indicator",),
            origin="planned_text（或 indicator）",
        ),
    ),
    _listed("targets"),
    lambda t: t.indicator,
)
FACILITY = FactKind(
    "facility",
    "建成的设施或购置的资产",
    _fields(
        stated("name", "text", "设施或资产名称"),
        stated("in_use", "bool", "是否在用"),
        stated("stopped", "bool", "是否已停用（曾经使用，现已不用）"),
        stated("in_use_since", "date", "投入使用日期"),
        stated("accepted", "bool", "是否已竣工验收"),
        stated("accepted_on", "date", "竣工验收日期"),
        stated("connected", "bool", "是否接入所需管网"),
        stated("scheduled_for_demolition", "bool", "是否已纳入拆迁"),
        derived(
            "used_before_acceptance",
            "bool",
            "是否验收前投入使用：in_use_since 早于 accepted_on，或在用而未验收",
            _used_before_acceptance,
            lambda f: ("in_use_since" if f.in_use_since else "accepted",),
            origin="in_use_since（或 accepted）",
        ),
        stated("expected_output_min", "number", "预期产出下限"),
        stated("expected_output_max", "number", "预期产出上限"),
        stated("actual_output", "number", "实际产出"),
        stated("output_unit", "text", "产出计量单位"),
        derived(
            "output_rate",
            "number",
            "产出达成率 = actual_output ÷ expected_output_min × 100",
            lambda f, _c: formulas.rate(f.actual_output, f.expected_output_min),
            ("actual_output",),
        ),
        stated("benefit_delay_months", "number", "效益发挥推迟月数"),
    ),
    _listed("facilities", owners=False),
    lambda f: f.name,
)
DEFECT = FactKind(
    "defect",
    "已完工程的质量缺陷",
    _fields(
        stated("site", "text", "地点"),
        stated("description", "text", "质量问题"),
        stated("months_after_completion", "number", "完工后几个月内出现"),
    ),
    _listed("defects", owners=False),
    lambda d: d.site,
)
PLANNED_ITEM = FactKind(
    "planned_item",
    "计划中的一项任务",
    _fields(stated("name", "text", "计划事项"), stated("carried_out", "bool", "是否已实施")),
    _listed("planned_items", owners=False),
    lambda p: p.name,
)
ACTIVITY = FactKind(
    "activity",
    "一项经常性活动及其参与情况",
    _fields(
        stated("name", "text", "活动名称"),
        stated("sites", "number", "开展地点数"),
        stated("sites_below", "number", "参与人数偏少的地点数"),
        stated("below", "number", "这些地点参与人数低于的人数"),
        derived(
            "below_share",
            "number",
            "参与偏少地点占比 = sites_below ÷ sites × 100",
            lambda a, _c: formulas.rate(a.sites_below, a.sites),
            ("sites_below",),
        ),
    ),
    _listed("activities", owners=False),
    lambda a: a.name,
)
# The source's words; a line fold inside a YAML block scalar leaves a space, which would keep a
# word test from matching across it.
_EVIDENCE = derived(
    "evidence",
    "text",
    "资料原话（YAML 折行留下的空格已去掉）",
    lambda item, _c: join_cjk(item.evidence.strip()) if item.evidence else None,
    ("evidence",),
    computed=False,
)
_STATEMENT = derived(
    "statement",
    "text",
    "可直接入句的原话：evidence 去掉句末标点；evidence 没有提到所说对象（subject，或资料、"
    "制度的 name）时在前面加上它",
    _statement,
    ("evidence",),
    computed=False,
)
SOURCE = FactKind(
    "source",
    "一个资金来源（资金来源表的一行）",
    _fields(
        stated("name", "text", "资金来源名称"),
        stated("amount", "number", "金额（万元）"),
        stated("initial_budget", "number", "年初预算数（万元）"),
        stated("budget", "number", "全年预算数 / 调整后预算数（万元）"),
        stated("spent", "number", "执行数（万元）"),
    ),
    _listed("sources"),
    lambda s: s.name,
)
DOCUMENT = FactKind(
    "document",
    "项目应有的一份资料（可研批复、实施方案、事前审批、合同、验收报告、决算审计 …）",
    _fields(
        stated("name", "text", "资料名称"),
        stated("present", "bool", "是否具备"),
        stated("stage", "text", "所属阶段：立项 / 实施 / 验收 …"),
        stated("complete", "bool", "具备但不完整时为 false"),
        _EVIDENCE,
        _STATEMENT,
    ),
    _listed("documents", owners=False),
    lambda d: d.name,
)
MANAGEMENT_RULE = FactKind(
    "management_rule",
    "单位应有的一项管理制度（项目管理制度、合同管理制度、资金管理办法 …）",
    _fields(
        stated("name", "text", "制度名称"),
        stated("present", "bool", "是否建立"),
        stated("complete", "bool", "已建立但不健全、不清晰时为 false"),
        _EVIDENCE,
        _STATEMENT,
    ),
    _listed("management_rules", owners=False),
    lambda m: m.name,
)
OBSERVATION = FactKind(
    "observation",
    "评价人员记录的定性事实，保留资料原话",
    _fields(
        stated(
            "topic",
            "text",
            "所谈事项（rules/topics.yaml）",
            choices=topic_ids,
            renamed=topic_renames,
        ),
        stated("subject", "text", "涉及对象"),
        stated(
            "scope", "text", "范围：部分 / 个别 / 全部", choices=lambda: ("部分", "个别", "全部")
        ),
        _EVIDENCE,
        _STATEMENT,
    ),
    _listed("observations"),
    lambda o: o.subject or o.topic or "",
)


def _pair(name: str, type_: FieldType, doc: str, computed: bool = False, **kw: Any) -> FactField:
    """A field of a cross-check pair; it points at the stated figure, or at the computed one."""

    def at(pair: Any) -> PathKey:
        return pair.computed_path if computed else pair.stated_path

    origin = "所依据数据的位置" if computed else "所述数据的位置"
    get: Getter = lambda p, _c: getattr(p, name)  # noqa: E731
    return FactField(name, type_, doc, get, at, origin=origin, attr=name, **kw)


CROSSCHECK = FactKind(
    "crosscheck",
    "资料对同一数据的两处表述，或一个数与其所依据的数（见 crosschecks.py）",
    _fields(
        _pair(
            "check",
            "text",
            "核对类别：balance / rate / sum / count / average / restated / date-order",
            choices=lambda: (
                "balance",
                "rate",
                "sum",
                "count",
                "average",
                "restated",
                "date-order",
            ),
        ),
        _pair("subject", "text", "核对的是什么数"),
        _pair("stated", "number", "资料所述的数"),
        _pair("computed", "number", "由资料中其他数算出（或另一处所述）的数", computed=True),
        derived(
            "difference",
            "number",
            "两数之差的绝对值 = |stated − computed|",
            lambda p, _c: p.difference,
            lambda p: p.stated_path,
            origin="所述数据的位置",
            attr="difference",  # worked out when the pair is made (crosschecks.Pair)
        ),
        _pair("unit", "text", "差额的单位：万元 / 个百分点 / 个 …"),
        _pair("basis", "text", "computed 的算法，写明分子分母"),
        _pair("stated_at", "text", "stated 所在的 文件:行"),
        _pair("basis_at", "text", "computed 所依据数据所在的 文件:行", computed=True),
        _pair("days", "number", "date-order：后一日期减前一日期的天数，负数表示顺序颠倒"),
        _pair("note", "text", "补充说明（如 average 的简单平均数）"),
    ),
    _no_items,  # produced by crosschecks.py, not found in the record
    lambda p: p.subject,
)

KINDS: dict[str, FactKind] = {
    k.name: k
    for k in (
        PROJECT,
        SUBITEM,
        TARGET,
        FACILITY,
        DEFECT,
        PLANNED_ITEM,
        ACTIVITY,
        SOURCE,
        DOCUMENT,
        MANAGEMENT_RULE,
        OBSERVATION,
        CROSSCHECK,
    )
}
# Facts are evaluated items first, then sub-items, then the project, so that a count over
# a list (count(targets, …)) is known before the fact that owns the list is asserted.
ORDER = (
    "target",
    "observation",
    "facility",
    "defect",
    "planned_item",
    "activity",
    "source",
    "document",
    "management_rule",
    "subitem",
    "project",
)
FIELDS: dict[str, Mapping[str, FactField]] = {name: k.fields for name, k in KINDS.items()}


def describe() -> Iterator[str]:
    """Lines for ``auditcheck rules fields``: per kind, each field's type, meaning and source."""
    for kind in KINDS.values():
        yield f"[{kind.name}] {kind.doc}"
        if kind.lists:
            lists = ", ".join(f"{name} ({item})" for name, item in kind.lists.items())
            yield f"  count()/any() over: {lists}"
        for f in kind.fields.values():
            origin = f.origin if callable(f.at) else ".".join(map(str, f.at))
            yield f"  {f.name:28} {f.type:7} {f.doc}  ← {origin}"
            if f.choices is not None:
                yield f"  {'':28} {'':7} 取值：{' / '.join(f.choices())}"
