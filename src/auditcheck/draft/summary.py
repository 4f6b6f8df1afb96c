"""Section 一 (工作情况, with 评价结论) and section 四 (结果应用及整改要求).

The batch states the round's purpose, basis and process and the units it covers;
the records state each project's score and grade. A stated grade is printed as
the source words it (优秀 stays 优秀); a grade is worked out from the score only
where none is stated, and the draft says so; a stated grade the score does not
bear out is kept and pointed out, never silently replaced.
"""

from __future__ import annotations

from collections import OrderedDict

from auditcheck.draft.model import DimensionPart, ExecutionChart, Part, ProjectInfo
from auditcheck.draft.prose import (
    distinct_units,
    enumerate_points,
    join,
    join_and,
    percent,
    split_points,
)
from auditcheck.formulas import GRADE_RULE, bands_text, grade, grade_bands
from auditcheck.records.model import GRADES, Batch, GradeBands
from auditcheck.rulebook.load import Rulebook
from auditcheck.templating import money

NATIONAL_ORDER = "优良中差"
SUPERVISOR = "主管部门"
# What a batch converted from forms says for the region forms do not state
# (forms.write.UNNAMED_REGION; not imported, so a run does not load the Excel readers).
UNNAMED_REGION = "未注明"


def unit_list(batch: Batch | None, projects: list[ProjectInfo]) -> list[str]:
    """The units the round covers: as the batch lists them, else gathered from the projects
    (a collective such as 各办事处 left out, 区卫体局 and 卫体局 counted once, a unit named
    only as a 主管部门 left to :func:`supervisors`)."""
    if batch is not None and batch.units:
        return list(dict.fromkeys(batch.units))
    names = (u for info in projects for u in info.units_in(lambda role: role != SUPERVISOR))
    return distinct_units(names, collective=False)


def supervisors(batch: Batch | None, projects: list[ProjectInfo]) -> list[str]:
    """The 主管部门 the records name, where the batch gives no list of units."""
    if batch is not None and batch.units:
        return []
    names = (u for info in projects for u in info.units_in(lambda role: role == SUPERVISOR))
    return distinct_units(names, collective=False)


def intro(batch: Batch | None, projects: list[ProjectInfo]) -> str:
    """The paragraph that opens section 一."""
    units = unit_list(batch, projects)
    heads = supervisors(batch, projects)
    whole = sum(p.is_department for p in projects)
    others = len(projects) - whole
    total = sum(p.amount or 0 for p in projects)
    year = f"{batch.fiscal_year}年度" if batch and batch.fiscal_year else ""
    region = batch.region if batch and batch.region != UNNAMED_REGION else ""
    kinds = join_and(
        [f"{whole}个部门整体支出" if whole else "", f"{others}个项目" if others else ""]
    )
    scope = f"{region}{year}的{kinds}" if region or year else kinds
    who = f"由{batch.evaluator}实施，评价对象" if batch and batch.evaluator else "的对象"
    text = f"本轮绩效评价{who}为{scope}，资金合计{money(total)}万元。"
    if units:
        text += f"被评价的部门（单位）共{len(units)}个：{join(units)}"
        text += f"，主管部门为{join(heads)}。" if heads else "。"
    return text + "各项目的单位和金额见表1。"


def _by_score(head: str, members: list[ProjectInfo]) -> str:
    """``按得分由高到低依次为A（89.93分）、B（89.56分）`` for the scored members."""
    scored = sorted(
        (i for i in members if i.project.score is not None), key=lambda i: -(i.project.score or 0)
    )
    return head + "、".join(f"{i.short}（{i.project.score:g}分）" for i in scored) if scored else ""


def _self_scores(projects: list[ProjectInfo], evaluated: bool) -> str:
    """What the self-evaluation forms say: each unit's own total, never read as a grade."""
    scored = [i for i in projects if i.project.score is not None]
    blank = [i.short for i in projects if i.project.score is None]
    many = len(projects) > 1
    text = f"{len(projects)}个项目" if many else projects[0].short
    text += "的得分来自单位自评表" if evaluated else "只有单位自评表"
    if scored:
        text += "：" + "、".join(f"{i.short}自评{i.project.score:g}分" for i in scored)
        text += "；" if blank else "。"
    else:
        text += "。"
    if blank:
        text += f"{join(blank)}的自评表未填写总分。"
    return text + "自评得分是单位对自身的评分，不据以评定等级，等级待评价组复核打分后确定。"


def _grades(projects: list[ProjectInfo], bands: GradeBands) -> str:
    own = [i for i in projects if i.self_evaluated]
    projects = [i for i in projects if not i.self_evaluated]
    evaluated = _evaluator_grades(projects, bands) if projects else ""
    return evaluated + (_self_scores(own, bool(projects)) if own else "")


def _evaluator_grades(projects: list[ProjectInfo], bands: GradeBands) -> str:
    graded: list[tuple[ProjectInfo, str]] = []
    worked_out, mismatched, ungraded = [], [], []
    for info in projects:
        p = info.project
        if p.stated_grade:
            graded.append((info, p.stated_grade))
            if p.score is not None and GRADES[p.stated_grade] != grade(p.score, bands):
                mismatched.append(
                    f"{info.short}得分{p.score:g}分，按上述档次应为“{grade(p.score, bands)}”，"
                    f"资料写作“{p.stated_grade}”"
                )
        elif p.score is not None:
            graded.append((info, grade(p.score, bands)))
            worked_out.append(info.short)
        else:
            ungraded.append(info.short)
    if not graded:
        return "各项目尚无评价得分和等级。"
    groups: dict[str, list[ProjectInfo]] = OrderedDict()
    for info, word in sorted(graded, key=lambda g: (NATIONAL_ORDER.index(GRADES[g[1]]), g[1])):
        groups.setdefault(word, []).append(info)
    if len(graded) == 1:
        info, word = graded[0]
        score = f"，得分{info.project.score:g}分" if info.project.score is not None else ""
        counts, lists = f"{info.short}的评价结果为“{word}”{score}", []
    elif len(groups) == 1:
        (word,) = groups
        counts = f"{len(graded)}个项目的评价结果均为“{word}”"
        lists = [_by_score("按得分由高到低依次为", groups[word])]
    else:
        counts = f"{len(graded)}个项目中，" + "、".join(
            f"评价结果为“{w}”的{len(ps)}个" for w, ps in groups.items()
        )
        lists = [_by_score(f"“{w}”的按得分由高到低依次为", ps) for w, ps in groups.items()]
    lists = [item for item in lists if item]
    text = (
        f"评价按百分制计分，{bands_text(bands)}。"
        + "，".join([counts, "；".join(lists)] if lists else [counts])
        + "。"
    )
    if worked_out:
        text += f"{join(worked_out)}的资料未写明等级，以上按得分所在档次列出。"
    if mismatched:
        text += "需要核实的是：" + "；".join(mismatched) + "。"
    if ungraded:
        text += f"{join(ungraded)}未记录得分和等级。"
    return text


def _main_problems(problems: list[DimensionPart]) -> str:
    if not problems:
        return ""
    sentences = []
    for dim in problems:
        name = dim.title.split("）", 1)[1].removesuffix("分析")
        items = "，".join(
            f"{c.title.replace('，', '、')}的有{len(c.examples)}个项目" for c in dim.categories
        )
        sentences.append(f"{name}方面，{items}")
    return "从发现的问题看，" + "；".join(sentences) + "。具体情况和改进建议见第三部分。"


def work_parts(
    batch: Batch | None,
    projects: list[ProjectInfo],
    rulebook: Rulebook,
    problems: list[DimensionPart],
) -> list[Part]:
    """The numbered parts of section 一 after the table: purpose, basis, process, conclusion."""
    parts: list[tuple[str, list[str]]] = []
    if batch is not None and batch.purpose:
        points = split_points(batch.purpose)
        head = "本次评价的目的" + ("：" if len(points) > 1 else "是")
        parts.append(("评价目的", [f"{head}{enumerate_points(points)}。"]))
    if batch is not None and batch.basis:
        basis = join(batch.basis)
        text = (
            f"本次评价依据{basis}开展。"
            if len(batch.basis) == 1
            else f"本次评价的依据主要有{basis}。"
        )
        parts.append(("评价依据", [text]))
    if batch is not None and batch.process:
        parts.append(
            (
                "评价过程",
                [f"评价工作按以下步骤进行：{enumerate_points(split_points(batch.process))}。"],
            )
        )
    rule = rulebook.rule(GRADE_RULE)
    bands = grade_bands(batch, rule.params if rule else None)
    conclusion = [_grades(projects, bands), _main_problems(problems)]
    parts.append(("评价结论", [c for c in conclusion if c]))
    return [Part(f"{i}、{title}", paragraphs) for i, (title, paragraphs) in enumerate(parts, 1)]


def application_parts(
    projects: list[ProjectInfo], problems: list[DimensionPart], chart: ExecutionChart | None
) -> list[Part]:
    """Section 四: how the results should be used, and what each project is to put right."""
    use = [
        "建议将本次评价结果作为相关部门（单位）以后年度预算安排、政策调整和改进管理的参考，"
        "评价报告和整改情况按规定公开。"
    ]
    if chart is not None and chart.threshold is not None and (below := chart.below()):
        names = join(b.label for b in below)
        use.append(
            f"预算执行率低于{percent(chart.threshold)}的有{names}共{len(below)}个项目（子项目），"
            "安排其以后年度预算时，建议结合实际支出进度核定，结余资金按规定收回统筹使用。"
        )
    by_project: dict[str, list[tuple[str, str]]] = {}
    for dim in problems:
        for cat in dim.categories:
            for example in cat.examples:
                title = cat.title.replace("，", "、")
                where = cat.label.removeprefix("三")  # （一）1
                by_project.setdefault(example.project, []).append((title, where))
    fix = []
    if by_project:
        fix.append(
            "请各项目单位对照第三部分所列问题逐项制定整改措施，明确责任人和完成时限，"
            "整改情况按要求报送财政部门。各项目需要整改的问题如下："
        )
        number = 0
        for info in projects:
            if info.id in by_project:
                number += 1
                units = f"（{join(distinct_units(info.units))}）" if info.units else ""
                titles = "；".join(title for title, _ in by_project[info.id])
                where = "、".join(w for _, w in by_project[info.id])
                fix.append(f"（{number}）{info.short}{units}：{titles}（见第三部分{where}）。")
    parts = [Part("1、结果应用", use)]
    if fix:
        parts.append(Part("2、整改要求", fix))
    return parts
