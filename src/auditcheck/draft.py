"""Findings and records → the parts of an evaluation report that follow from the data.

The draft is plain data; ``render/report_*`` turn it into Markdown, HTML or Word.
Every example sentence keeps the findings behind it, so each claim can be traced
to a rule, a file and a line.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from auditcheck.findings import Finding
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch
from auditcheck.rulebook.load import Rulebook
from auditcheck.templating import pct, wan

SECTIONS = ("summary", "projects", "problems")
CN_NUMBERS = "一二三四五六七八九十"
GRADE_RULE = "grade-does-not-match-score"
# 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号); overridden by the grade rule's parameters.
NATIONAL_BANDS = {"excellent": 90.0, "good": 80.0, "passing": 60.0}
PROBLEMS_INTRO = (
    "以下按投入决策、过程管理、产出执行、预期效果四个方面，归纳评价中发现的问题并提出改进建议。"
)


@dataclass(frozen=True)
class SubItemInfo:
    """What the draft says about one sub-item."""

    name: str
    budget: float | None
    spent: float | None


@dataclass(frozen=True)
class ProjectInfo:
    """What the draft needs of one record (kept small: records are not held)."""

    id: str
    name: str
    short: str
    type: str
    units: tuple[str, ...]
    amount: float | None
    spent: float | None
    score: float | None
    subitems: tuple[SubItemInfo, ...]
    budget_label: str = "预算资金"  # or 调整后预算, for a department's whole expenditure

    @classmethod
    def of(cls, record: LoadedRecord) -> ProjectInfo:
        """Summarise a loaded record."""
        p = record.project
        amount = p.budget if p.budget is not None else p.adjusted_budget
        label = "预算资金" if p.budget is not None or p.adjusted_budget is None else "调整后预算"
        return cls(
            id=p.id,
            name=p.name,
            short=p.short_name or p.name,
            type=p.type or "",
            units=tuple(p.unit_names),
            amount=amount,
            spent=p.spent,
            score=p.score,
            subitems=tuple(SubItemInfo(i.name, i.budget, i.spent) for i in p.subitems),
            budget_label=label,
        )


@dataclass
class Example:
    """One numbered example: a project's findings under one heading, merged into a sentence."""

    text: str
    findings: list[Finding]


@dataclass
class CategoryPart:
    """One numbered heading of section 三."""

    number: int
    title: str
    lead: str
    examples: list[Example]
    suggestion: str


@dataclass
class DimensionPart:
    """（一）投入决策分析 and the headings under it."""

    title: str
    categories: list[CategoryPart]


@dataclass
class Draft:
    """Everything the report templates print."""

    title: str
    sections: tuple[str, ...]
    intro: str = ""
    table: list[tuple[int, str, str, str]] = field(default_factory=list)
    table_total: str = ""
    results: str = ""
    projects: list[tuple[str, str]] = field(default_factory=list)
    problems_intro: str = ""
    problems: list[DimensionPart] = field(default_factory=list)

    def traces(self) -> list[tuple[str, Finding]]:
        """(example label, finding) for every claim in section 三, in reading order."""
        out = []
        for d_index, dim in enumerate(self.problems):
            for cat in dim.categories:
                for e_index, example in enumerate(cat.examples, 1):
                    label = f"三（{cn_number(d_index + 1)}）{cat.number}（{e_index}）"
                    out.extend((label, f) for f in example.findings)
        return out


def cn_number(n: int) -> str:
    """1 → 一, 12 → 十二, 25 → 二十五 (headings rarely pass 99)."""
    tens, ones = divmod(n, 10)
    if n <= 10:
        return CN_NUMBERS[n - 1]
    head = "" if tens == 1 else CN_NUMBERS[tens - 1]
    return f"{head}十{CN_NUMBERS[ones - 1] if ones else ''}"


def grade(score: float, bands: dict[str, float]) -> str:
    """优 / 良 / 中 / 差 for a score under the bands (lower bounds, inclusive)."""
    if score >= bands["excellent"]:
        return "优"
    if score >= bands["good"]:
        return "良"
    if score >= bands["passing"]:
        return "中"
    return "差"


def grade_bands(rulebook: Rulebook) -> dict[str, float]:
    """The bands in force: the grade cross-check's parameters, else the national ones."""
    rule = rulebook.rule(GRADE_RULE)
    if rule is None:
        return dict(NATIONAL_BANDS)
    return {k: float(rule.params.get(k, v)) for k, v in NATIONAL_BANDS.items()}


def _join(items: Iterable[str]) -> str:
    return "、".join(items)


def _rate(spent: float | None, budget: float | None) -> str:
    return pct(spent / budget * 100) if spent is not None and budget else "—"


def _intro(batch: Batch | None, projects: list[ProjectInfo]) -> str:
    units = list(OrderedDict.fromkeys(u for p in projects for u in p.units))
    whole = sum(p.type == "部门整体" for p in projects)
    others = len(projects) - whole
    total = sum(p.amount or 0 for p in projects)
    who = batch.evaluator if batch and batch.evaluator else "评价机构"
    year = f"{batch.fiscal_year}年度" if batch and batch.fiscal_year else ""
    where = f"{batch.region}{year}" if batch else ""
    kinds = "、".join(
        part
        for part in (f"{whole}个部门整体支出" if whole else "", f"{others}个项目" if others else "")
        if part
    )
    return (
        f"{who}对{where}{kinds}开展了绩效评价，评价资金合计{wan(total)}万元，"
        f"涉及{_join(units)}{len(units)}个部门（单位）。各项目情况见下表。"
    )


def _results(projects: list[ProjectInfo], bands: dict[str, float]) -> str:
    scored = sorted((p for p in projects if p.score is not None), key=lambda p: -(p.score or 0))
    if not scored:
        return "各项目尚无评价得分。"
    by_grade: dict[str, list[ProjectInfo]] = OrderedDict((g, []) for g in "优良中差")
    for p in scored:
        by_grade[grade(p.score or 0, bands)].append(p)
    counts = "，".join(f"“{g}”{len(ps)}个" for g, ps in by_grade.items() if ps)
    rule = (
        f"（{bands['excellent']:g}分及以上为“优”，{bands['good']:g}分至{bands['excellent']:g}分为“良”，"
        f"{bands['passing']:g}分至{bands['good']:g}分为“中”，{bands['passing']:g}分以下为“差”）"
    )
    lists = "；".join(
        f"评为“{g}”的项目按得分由高到低为" + _join(f"{p.short}（{p.score:g}分）" for p in ps)
        for g, ps in by_grade.items()
        if ps
    )
    unscored = len(projects) - len(scored)
    tail = f"另有{unscored}个项目未记录得分。" if unscored else ""
    return f"按百分制综合评分{rule}，{len(scored)}个项目中{counts}。{lists}。{tail}"


def _project_text(p: ProjectInfo) -> str:
    parts = [f"该项目由{_join(p.units)}负责实施"]
    if p.amount is not None:
        parts.append(f"{p.budget_label}{wan(p.amount)}万元")
    if p.spent is not None:
        parts.append(f"实际支出{wan(p.spent)}万元")
        if p.amount:
            parts.append(f"预算执行率{_rate(p.spent, p.amount)}，结余{wan(p.amount - p.spent)}万元")
    text = "，".join(parts) + "。"
    if p.subitems:
        described = []
        for s in p.subitems:
            figures = []
            if s.budget is not None:
                figures.append(f"预算{wan(s.budget)}万元")
            if s.spent is not None:
                figures.append(f"支出{wan(s.spent)}万元")
            if s.budget and s.spent is not None:
                figures.append(f"执行率{_rate(s.spent, s.budget)}")
            described.append(s.name + (f"（{'，'.join(figures)}）" if figures else ""))
        text += f"项目包括{len(p.subitems)}个子项目：{'；'.join(described)}。"
    if p.score is not None:
        text += f"评价得分{p.score:g}分。"
    return text


def _example_text(project: ProjectInfo, findings: list[Finding]) -> str:
    sentences = []
    for f in findings:
        message = f.message
        for prefix in (project.name, project.short):
            if message.startswith(prefix):
                message = message[len(prefix) :].removeprefix("中的")
                break
        sentences.append(message.rstrip("。"))
    return f"{project.short}：" + "；".join(dict.fromkeys(sentences)) + "。"


def _problems(
    findings: list[Finding], projects: list[ProjectInfo], rulebook: Rulebook, with_consistency: bool
) -> list[DimensionPart]:
    order = {p.id: i for i, p in enumerate(projects)}
    by_id = {p.id: p for p in projects}
    parts = []
    for dim_id, dim in rulebook.dimensions.items():
        if dim_id == "consistency" and not with_consistency:
            continue
        categories = []
        for cat in rulebook.categories.values():
            if cat.dimension != dim_id:
                continue
            mine = [f for f in findings if f.category == cat.id and f.record in by_id]
            if not mine:
                continue
            grouped: dict[str, list[Finding]] = OrderedDict()
            for f in sorted(mine, key=lambda f: (order[f.record], f.line, f.rule)):
                grouped.setdefault(f.record, []).append(f)
            examples = [Example(_example_text(by_id[rid], fs), fs) for rid, fs in grouped.items()]
            categories.append(
                CategoryPart(
                    len(categories) + 1,
                    cat.title,
                    cat.lead,
                    examples,
                    cat.suggestion,
                )
            )
        if categories:
            parts.append(DimensionPart(f"（{cn_number(len(parts) + 1)}）{dim.section}", categories))
    return parts


def build_draft(
    batch: Batch | None,
    projects: list[ProjectInfo],
    findings: list[Finding],
    rulebook: Rulebook,
    sections: tuple[str, ...] = SECTIONS,
    with_consistency: bool = False,
) -> Draft:
    """Assemble the draft; waived and baselined findings are left out of section 三."""
    ordered = _table_order(batch, projects)
    title = (batch.title if batch and batch.title else "绩效评价报告") + "（初稿）"
    draft = Draft(title=title, sections=sections)
    if "summary" in sections:
        draft.intro = _intro(batch, ordered)
        draft.table = [(i, _join(p.units), p.name, wan(p.amount)) for i, p in enumerate(ordered, 1)]
        draft.table_total = wan(sum(p.amount or 0 for p in ordered))
        draft.results = _results(ordered, grade_bands(rulebook))
    if "projects" in sections:
        draft.projects = [
            (f"（{cn_number(i)}）{p.name}", _project_text(p)) for i, p in enumerate(ordered, 1)
        ]
    if "problems" in sections:
        open_findings = [f for f in findings if f.is_open]
        draft.problems_intro = PROBLEMS_INTRO
        draft.problems = _problems(open_findings, ordered, rulebook, with_consistency)
    return draft


def _table_order(batch: Batch | None, projects: list[ProjectInfo]) -> list[ProjectInfo]:
    """The batch table's order where it lists a project, then file order."""
    listed = {row.project: i for i, row in enumerate(batch.table)} if batch else {}
    ranked = sorted(enumerate(projects), key=lambda ip: (listed.get(ip[1].id, len(listed)), ip[0]))
    return [p for _, p in ranked]
