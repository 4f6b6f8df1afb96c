"""Section 二 (项目的基本情况), the execution-rate chart and the indicator appendix, from records.

Every sentence here restates a fact the record holds, in our words: who carries the
project out, its money, its sub-items and their progress, its targets against what
was achieved, the quantities and surveys the source gives. Problems are left to
section 三, so a fact the rules draw a conclusion from is not argued twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from auditcheck import formulas
from auditcheck.draft.model import (
    Bar,
    ExecutionChart,
    Part,
    ProjectInfo,
    TargetRow,
)
from auditcheck.draft.prose import (
    cn_number,
    distinct_units,
    figure,
    join,
    join_and,
    percent,
    sentence,
)
from auditcheck.records.model import (
    Funds,
    Goal,
    Project,
    Quantity,
    Schedule,
    SubItem,
    SubprojectCounts,
    Survey,
    Target,
    UnitRef,
)
from auditcheck.templating import cn_date, money
from auditcheck.vocabulary import TARGET, Context

QUANTITIES_PER_PARAGRAPH = 8  # a longer list is hard to read in one breath


def rate_of(funds: Funds) -> tuple[float | None, bool]:
    """The execution rate the rules read and whether it is the source's (no amounts to
    compute it from)."""
    rate = formulas.execution_rate(funds)
    return rate, rate is not None and formulas.computed_execution_rate(funds) is None


def _who(info: ProjectInfo, year: str) -> str:
    """Who the project belongs to: its units, by role where the record gives roles."""
    if info.is_department:
        return f"本项评价对象为{join(info.units)}{year}部门整体支出"
    units = info.project.units
    if not units:
        return ""
    roles: dict[str, list[str]] = {}
    for unit in units:
        role = unit.role if isinstance(unit, UnitRef) and unit.role else ""
        roles.setdefault(role, []).append(unit if isinstance(unit, str) else unit.name)
    if list(roles) == [""]:
        return f"该项目由{join(info.units)}负责实施"
    # One unit in two roles is named once: 主管部门和实施单位均为中江县水利局.
    by_names: dict[str, list[str]] = {}
    for role, names in roles.items():
        by_names.setdefault(join(distinct_units(names)), []).append(role or "参与单位")
    return "该项目的" + "，".join(
        f"{join_and(rs)}均为{names}" if len(rs) > 1 else f"{rs[0]}为{names}"
        for names, rs in by_names.items()
    )


def _breakdown(parts: Iterable[tuple[str, float | None]], total: float | None = None) -> str:
    """``（其中A 1万元、B 2万元）`` of the parts with money; ``（全部为A）`` for one that is all."""
    named = [(name, value) for name, value in parts if value]
    if len(named) == 1 and total is not None and abs(named[0][1] - total) < 0.005:  # type: ignore[operator]
        return f"（全部为{named[0][0]}）"
    texts = [f"{name}{money(value)}万元" for name, value in named]
    return f"（其中{'、'.join(texts)}）" if texts else ""


def _money(funds: Funds, department: bool) -> list[str]:
    """Clauses stating the money of a project or sub-item."""
    clauses = []
    if funds.investment is not None:
        clauses.append(f"总投资{money(funds.investment)}万元")
    in_force = formulas.budget(funds)
    spent_parts = _breakdown(((p.name, p.spent) for p in funds.parts), funds.spent)
    split = _breakdown(
        ((s.name, s.amount if s.amount is not None else s.budget) for s in funds.sources), in_force
    ) or _breakdown(((p.name, p.budget) for p in funds.parts), in_force)
    label = "预算资金" if funds.budget is not None else "调整后预算"
    initial = funds.initial_budget
    if initial == 0 and in_force:
        clauses.append("年初未安排预算")
    elif initial is not None and in_force is not None and abs(initial - in_force) < 0.005:
        label = "年初预算和全年预算均为"
    elif initial is not None:
        clauses.append(f"年初预算{money(initial)}万元")
    if funds.budget is not None and funds.adjusted_budget is not None:
        clauses.append(f"调整后预算{money(funds.adjusted_budget)}万元")
    if in_force is not None:
        clauses.append(f"{label}{money(in_force)}万元{split}")
    if funds.received is not None:
        clauses.append(f"到位资金{money(funds.received)}万元")
    if funds.spent is not None:
        clauses.append(f"实际支出{money(funds.spent)}万元{spent_parts}")
    rate, _ = rate_of(funds)
    if rate is not None:
        clauses.append(f"{'执行率' if department else '预算执行率'}{percent(rate)}")
    if funds.recovered is not None:
        clauses.append(f"年末收回资金{money(funds.recovered)}万元")
    if funds.carried_forward is not None:
        clauses.append(f"结转{money(funds.carried_forward)}万元")
    elif funds.recovered is None and in_force is not None and funds.spent is not None:
        balance = in_force - funds.spent
        if balance >= 0.005:
            clauses.append(f"结余{money(balance)}万元")
    return clauses


def _counts(counts: SubprojectCounts, as_of: str, subitems: bool = False) -> str:
    """``包括53个子项目，截至…已完工并验收44个…``; where the project has sub-items of its
    own, the counted ones are 具体项目, so the two levels are not both called 子项目."""
    noun = ("具体项目" if subitems else "子项目") if counts.unit == "个" else counts.unit
    total = f"包括{counts.total}个{noun}"
    states = [
        (counts.accepted, "已完工并验收"),
        (counts.completed, "已完工"),
        (counts.completed_not_accepted, "已完工尚未验收"),
        (counts.in_progress, "在建"),
    ]
    # Counted across the states above, not beside them: said apart, so no sum exceeds the total.
    pace = [(counts.behind_schedule, "进度未达预期"), (counts.completed_late, "存在延迟情况")]
    named = [f"{word}{n}个" for n, word in states if n is not None]
    paced = [f"{n}个{word}" for n, word in pace if n is not None]
    if counts.accepted == counts.total:
        named = ["均已完工并验收"]
    text = f"{total}，{as_of}" + "、".join(named) if named else total
    return text + ("；从进度看，" + "、".join(paced) if paced else "")


def _schedule(s: Schedule) -> str:
    clauses = []
    if s.planned_start and s.planned_completion:
        clauses.append(f"计划{cn_date(s.planned_start)}开工、{cn_date(s.planned_completion)}完工")
    elif s.planned_completion:
        clauses.append(f"计划{cn_date(s.planned_completion)}完工")
    if s.actual_start:
        clauses.append(f"实际{cn_date(s.actual_start)}开工")
    if s.contract_days is not None:
        clauses.append(f"合同工期{s.contract_days}天")
    if s.actual_completion:
        clauses.append(f"{cn_date(s.actual_completion)}竣工")
    if s.acceptance:
        clauses.append(f"{cn_date(s.acceptance)}竣工验收")
    if s.final_audit:
        clauses.append(f"{cn_date(s.final_audit)}完成决算审计")
    return "，".join(clauses)


def _subitem(item: SubItem, as_of: str) -> str:
    clauses = _money(item, department=False)
    if item.subprojects is not None:
        clauses.append(_counts(item.subprojects, as_of, subitems=True))
    if item.schedule is not None:
        clauses.append(_schedule(item.schedule))
    if not any(clauses):
        return ""
    return item.name + sentence(*clauses)


def planned_text(t: Target) -> str:
    """The target value as the source writes it: ``≥88个``, ``效果明显``."""
    if t.planned_text:
        return t.planned_text
    if t.planned is None:
        return ""
    return f"{t.operator or ''}{figure(t.planned, t.unit)}"


def actual_text(t: Target) -> str:
    """The achieved value as the source writes it."""
    if t.actual_text:
        return t.actual_text
    if t.actual is None:
        return ""
    return f"{t.actual_operator or ''}{figure(t.actual, t.unit)}"


def completion(t: Target) -> float | None:
    """The completion rate as the rules read it (``completion_rate`` of the vocabulary), none
    when the actual is a bound (``≥266米``): a report gives a rate only for a figure."""
    return None if t.actual_operator else TARGET.fields["completion_rate"].get(t, Context())


TARGETS_IN_TEXT = 6  # more are summed up, with the list in appendix 2


def _target(t: Target) -> str:
    planned, actual = planned_text(t), actual_text(t)
    values = [f"目标值{planned}" if planned else "未填写目标值"]
    values.append(f"实际{actual}" if actual else "未填写实际完成值")
    return f"“{t.indicator}”" + "，".join(values)


def _met(t: Target) -> bool:
    """The target reached: a completion rate of 100% or more, or the same words (显著提升)."""
    rate = completion(t)
    if rate is not None:
        return rate >= 100 - 1e-9
    return bool(t.planned_text) and t.planned_text == t.actual_text


def _targets(owners: list[tuple[str, list[Target]]]) -> str:
    """Targets against what was achieved: each one, or for many a count by level and those
    not reached; and those the source gives no values for."""
    named = [(f"{owner}{_target(t)}", t) for owner, ts in owners for t in ts]
    if not named:
        return ""
    valued = [(text, t) for text, t in named if planned_text(t) or actual_text(t)]
    bare = [t for _, t in named if not planned_text(t) and not actual_text(t)]
    blank = ""
    if bare:
        names = "、".join(f"“{t.indicator}”" for t in bare) + ("等" if len(bare) > 1 else "")
        blank = f"{names}{len(bare)}项指标只写了名称，未填写目标值和实际完成值。"
    if len(named) <= TARGETS_IN_TEXT:
        groups: dict[str, list[str]] = {}
        for text, t in valued:
            groups.setdefault(t.level or "", []).append(text)
        listed = "；".join(
            (f"{level}中，" if level else "其他指标中，" if len(groups) > 1 else "")
            + "；".join(items)
            for level, items in groups.items()
        )
        return (f"绩效指标完成情况：{listed}。" if listed else "") + blank
    levels: dict[str, int] = {}
    for _, t in named:
        level = TARGET.fields["level"].get(t, Context()) or "其他指标"
        levels[level] = levels.get(level, 0) + 1
    counts = "、".join(f"{level}{n}项" for level, n in levels.items())
    text = f"绩效指标共{len(named)}项（{counts}）。"
    # An actual written as a bound (≥266米) states no figure: it is neither met nor missed.
    bounds = [t for _, t in valued if t.actual_operator]
    judged = [(text, t) for text, t in valued if not t.actual_operator]
    missed = [text for text, t in judged if not _met(t)]
    if missed:
        text += f"有目标值或完成值的{len(judged)}项中，{len(judged) - len(missed)}项达到目标，"
        text += f"未达到或无法对照的有：{'；'.join(missed)}。"
    elif judged:
        text += f"有目标值或完成值的{len(judged)}项均达到目标。"
    if bounds:
        names = "、".join(f"“{t.indicator}”" for t in bounds[:3])
        more = f"等{len(bounds)}项" if len(bounds) > 3 else ""
        text += (
            f"{names}{more}的实际完成值只写了界限（如“{actual_text(bounds[0])}”），"
            "没有写出实际数，无法判断是否达到目标。"
        )
    return text + blank + "各项指标的目标值和实际完成值见附件2。"


def _self_scores(p: Project) -> str:
    """The form's own marks: the items marked down, else what got full marks."""
    execution = p.execution_weight is not None and p.execution_score is not None
    marked = [(p.execution_weight, p.execution_score, "预算执行率")] if execution else []
    marked += [(t.weight, t.score, f"“{t.indicator}”") for t in p.targets]
    marked = [(w, s, name) for w, s, name in marked if w is not None and s is not None]
    if not marked:
        return ""
    down = [f"{name}（分值{w:g}分，得{s:g}分）" for w, s, name in marked if s < w]
    if down:
        return f"单位自评时扣分的有：{'、'.join(down)}。"
    targets = len(marked) - execution
    which = "各项绩效指标" if targets == len(p.targets) else f"{targets}项绩效指标"
    scored = ["预算执行率" if execution else "", which if targets else ""]
    return f"单位自评时，{join_and(scored)}{'均' if all(scored) else ''}得满分。"


def _goal(goal: Goal) -> str:
    clauses = []
    if goal.planned:
        clauses.append(f"年度总体目标为“{_unclosed(goal.planned)}”")
    if goal.actual:
        clauses.append(f"自评所述完成情况为“{_unclosed(goal.actual)}”")
    return sentence(*clauses)


def _unclosed(text: str) -> str:
    """A quotation without the punctuation that closed it in the source."""
    return text.strip().rstrip("。，,；;、 ")


def _quantities(quantities: list[Quantity]) -> list[str]:
    """Stated quantities, outputs first and rates or standards (元/月/人) after, in
    paragraphs of a few items each."""
    outputs = [q for q in quantities if "/" not in (q.unit or "")]
    standards = [q for q in quantities if "/" in (q.unit or "")]
    paragraphs = []
    for lead, items in (("评价资料列明的主要数量", outputs), ("评价资料列明的有关标准", standards)):
        texts = [f"{q.name}{figure(q.value, q.unit)}" for q in items]
        for i in range(0, len(texts), QUANTITIES_PER_PARAGRAPH):
            head = f"{lead}有：" if i == 0 else "另有"
            paragraphs.append(head + "、".join(texts[i : i + QUANTITIES_PER_PARAGRAPH]) + "。")
    return paragraphs


def _surveys(surveys: list[Survey]) -> str:
    items = [f"{s.subject}满意度{percent(s.rate)}{'以上' if s.at_least else ''}" for s in surveys]
    return f"满意度调查结果：{'、'.join(items)}。" if items else ""


def project_paragraphs(info: ProjectInfo, year: str, as_of: str) -> list[str]:
    """The paragraphs of one project's part of section 二."""
    p = info.project
    opening = [_who(info, year)]
    if p.period:
        opening.append(f"资金涉及{p.period}年度")
    opening.extend(_money(p, info.is_department))
    if p.subprojects is not None:
        opening.append(_counts(p.subprojects, as_of, subitems=bool(p.subitems)))
    if p.schedule is not None:
        opening.append(_schedule(p.schedule))
    paragraphs = [sentence(*opening)]
    described = [s for s in (_subitem(i, as_of) for i in p.subitems) if s]
    if described:
        paragraphs.append(f"项目分为{len(p.subitems)}个子项目。" + "".join(described))
    elif p.subitems:
        names = join(i.name for i in p.subitems)
        paragraphs[0] += f"项目分为{names}{len(p.subitems)}个子项目。"
    targets = _targets([("", p.targets)] + [(i.name, i.targets) for i in p.subitems])
    goal = _goal(p.goal) if p.goal else ""
    paragraphs.append(goal + targets + _self_scores(p))
    paragraphs.extend(_quantities(p.quantities))
    paragraphs.append(_surveys(p.surveys))
    return [x for x in paragraphs if x]


def project_parts(
    projects: list[ProjectInfo], fiscal_year: int | None, as_of: date | None
) -> list[Part]:
    """Section 二: a numbered part per project, in the table's order."""
    year = f"{fiscal_year}年度" if fiscal_year else ""
    when = f"截至{cn_date(as_of)}" if as_of else ""
    return [
        Part(
            f"（{cn_number(i)}）{info.project.name}", project_paragraphs(info, year, when), info.id
        )
        for i, info in enumerate(projects, 1)
    ]


def execution_chart(projects: list[ProjectInfo], threshold: float | None) -> ExecutionChart | None:
    """A bar per project and sub-item with an execution rate; None when there is none."""
    bars = []
    for info in projects:
        owners: list[tuple[str, Funds, bool]] = [(info.short, info.project, False)]
        owners += [(i.name, i, True) for i in info.project.subitems]
        rows = [(label, *rate_of(funds), subitem) for label, funds, subitem in owners]
        # A project without a rate still heads its sub-items' bars, so they are not read
        # as parts of the project above.
        head = rows[0][1] is None and any(rate is not None for _, rate, _, _ in rows[1:])
        for i, (label, rate, stated, subitem) in enumerate(rows):
            if rate is not None or (i == 0 and head):
                bars.append(Bar(label, rate, info.id, subitem, stated))
    if not bars:
        return None
    return ExecutionChart("各项目及子项目预算执行率", bars, threshold)


def target_rows(projects: list[ProjectInfo]) -> list[TargetRow]:
    """Appendix 2: every indicator with its planned and actual value and completion."""
    rows = []
    for info in projects:
        owners = [("", info.project.targets)] + [
            (f"{i.name}：", i.targets) for i in info.project.subitems
        ]
        for owner, targets in owners:
            for t in targets:
                rate = completion(t)
                rows.append(
                    TargetRow(
                        info.id,
                        info.short,
                        owner + t.indicator,
                        planned_text(t) or "—",
                        actual_text(t) or "—",
                        percent(rate) if rate is not None else "—",
                    )
                )
    return rows
