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
from auditcheck.draft.prose import cn_number, figure, join, percent, sentence
from auditcheck.records.model import (
    Funds,
    Goal,
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
    return "，".join(
        f"{'该项目的' if i == 0 else ''}{role or '参与单位'}为{join(names)}"
        for i, (role, names) in enumerate(roles.items())
    )


def _breakdown(parts: Iterable[tuple[str, float | None]]) -> str:
    named = [f"{name}{money(value)}万元" for name, value in parts if value is not None]
    return f"（其中{'、'.join(named)}）" if named else ""


def _money(funds: Funds, department: bool) -> list[str]:
    """Clauses stating the money of a project or sub-item."""
    clauses = []
    if funds.investment is not None:
        clauses.append(f"总投资{money(funds.investment)}万元")
    if funds.initial_budget is not None:
        clauses.append(f"年初预算{money(funds.initial_budget)}万元")
    budget_parts = _breakdown((p.name, p.budget) for p in funds.parts)
    spent_parts = _breakdown((p.name, p.spent) for p in funds.parts)
    sources = _breakdown(
        (s.name, s.amount if s.amount is not None else s.budget) for s in funds.sources
    )
    if funds.adjusted_budget is not None:
        clauses.append(f"调整后预算{money(funds.adjusted_budget)}万元{budget_parts}")
        budget_parts = ""
    if funds.budget is not None:
        clauses.append(f"预算资金{money(funds.budget)}万元{sources or budget_parts}")
    if funds.received is not None:
        clauses.append(f"到位资金{money(funds.received)}万元")
    if funds.spent is not None:
        clauses.append(f"实际支出{money(funds.spent)}万元{spent_parts}")
    rate, _ = rate_of(funds)
    if rate is not None:
        clauses.append(f"{'执行率' if department else '预算执行率'}{percent(rate)}")
    budget = formulas.budget(funds)
    if funds.recovered is not None:
        clauses.append(f"年末收回资金{money(funds.recovered)}万元")
    if funds.carried_forward is not None:
        clauses.append(f"结转{money(funds.carried_forward)}万元")
    elif funds.recovered is None and budget is not None and funds.spent is not None:
        balance = budget - funds.spent
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
        (counts.behind_schedule, "进度未达预期"),
        (counts.completed_late, "存在延迟情况"),
    ]
    named = [f"{word}{n}个" for n, word in states if n is not None]
    if not named:
        return total
    if counts.accepted == counts.total:
        return f"{total}，{as_of}均已完工并验收"
    return f"{total}，{as_of}" + "、".join(named)


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
    """The completion rate as the rules read it (``completion_rate`` of the vocabulary)."""
    return TARGET.fields["completion_rate"].get(t, Context())


def _target(t: Target) -> str:
    planned, actual = planned_text(t), actual_text(t)
    values = [f"目标值{planned}" if planned else "", f"实际{actual}" if actual else ""]
    return f"“{t.indicator}”" + "，".join(v for v in values if v)


def _targets(owners: list[tuple[str, list[Target]]]) -> str:
    groups: dict[str, list[str]] = {}
    for owner, targets in owners:
        for t in targets:
            level = t.level or ""
            text = _target(t)
            groups.setdefault(level, []).append(f"{owner}{text}" if owner else text)
    if not groups:
        return ""
    lead = "绩效指标完成情况："
    if list(groups) == [""]:
        return lead + "；".join(groups[""]) + "。"
    return (
        lead
        + "；".join(
            (f"{level}中，" if level else "其他指标中，") + "；".join(items)
            for level, items in groups.items()
        )
        + "。"
    )


def _goal(goal: Goal) -> str:
    clauses = []
    if goal.planned:
        clauses.append(f"年度总体目标为“{goal.planned.rstrip('。')}”")
    if goal.actual:
        clauses.append(f"自评所述完成情况为“{goal.actual.rstrip('。')}”")
    return sentence(*clauses)


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
    paragraphs.append(goal + targets)
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
        for label, funds, subitem in owners:
            rate, stated = rate_of(funds)
            if rate is not None:
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
