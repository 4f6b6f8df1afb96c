"""The draft as plain data: what the Word, Markdown and HTML renderers print."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from auditcheck import formulas
from auditcheck.findings import Finding
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Project


@dataclass(frozen=True)
class ProjectInfo:
    """One record as the draft needs it: the validated facts.

    The located document (every line and column) is not kept: each finding
    already carries its own file and line.
    """

    project: Project
    files: tuple[str, ...] = ()  # the record's file and its batch file, as messages name them

    @classmethod
    def of(cls, record: LoadedRecord) -> ProjectInfo:
        """Keep what the draft reads of a loaded record."""
        batch = (record.batch_doc.file,) if record.batch_doc is not None else ()
        return cls(record.project, (record.doc.file, *batch))

    @property
    def id(self) -> str:
        """The record id."""
        return self.project.id

    @property
    def short(self) -> str:
        """The name the report uses once a project has been introduced."""
        return self.project.short_name or self.project.name

    @property
    def units(self) -> list[str]:
        """The units named on the project, as listed, each once."""
        return list(dict.fromkeys(self.project.unit_names))

    def units_in(self, role: Callable[[str], bool]) -> list[str]:
        """The units whose role (``""`` when the record gives none) passes ``role``."""
        named = [
            (u, "") if isinstance(u, str) else (u.name, u.role or "") for u in self.project.units
        ]
        return list(dict.fromkeys(name for name, r in named if role(r)))

    @property
    def amount(self) -> float | None:
        """The amount evaluated: the budget, else the adjusted budget (:func:`formulas.budget`)."""
        return formulas.budget(self.project)

    @property
    def self_evaluated(self) -> bool:
        """True when the record is a unit's self-evaluation form: its score is the form's
        总分 (自评得分), stated beside the form's weights, not an evaluator's."""
        return self.project.total_weight is not None or self.project.execution_weight is not None

    @property
    def is_department(self) -> bool:
        """True for a department's whole expenditure (部门整体支出)."""
        return self.project.type == "部门整体"


@dataclass
class Part:
    """A numbered part with a title and its paragraphs (一 1、评价目的, 二（三）…)."""

    title: str
    paragraphs: list[str]
    project: str = ""  # the record id, for parts about one project


@dataclass
class Example:
    """One numbered example: what one project's findings under a heading say."""

    label: str  # 三（一）1（2）
    project: str  # record id
    text: str
    findings: list[Finding]


@dataclass
class CategoryPart:
    """One numbered heading of section 三: its examples and the suggestion tied to them."""

    label: str  # 三（一）1
    number: int  # 1, the number its heading shows
    title: str
    lead: str
    examples: list[Example]
    suggestion: str


@dataclass
class DimensionPart:
    """（一）投入决策分析 and the headings under it."""

    title: str
    categories: list[CategoryPart]


@dataclass(frozen=True)
class Bar:
    """One bar of the execution-rate chart: a project or one of its sub-items."""

    label: str
    rate: float | None  # None: a project with no rate of its own, heading its sub-items' bars
    project: str  # record id
    subitem: bool
    stated: bool  # the source states the rate; no amounts to compute it from


@dataclass
class ExecutionChart:
    """Execution rates per project and sub-item, against the threshold in force."""

    title: str
    bars: list[Bar]
    threshold: float | None  # the low-execution-rate rule's threshold; None when not selected

    def below(self) -> list[Bar]:
        """The bars under the threshold."""
        if self.threshold is None:
            return []
        return [b for b in self.bars if b.rate is not None and b.rate < self.threshold]


@dataclass(frozen=True)
class FindingRow:
    """A row of appendix 1: one finding, where it is in the draft and what it rests on."""

    project: str  # record id
    project_name: str
    label: str  # 三（一）1（2）
    heading: str  # the category title
    dimension: str  # the dimension title
    summary: str  # the rule's summary
    rule: str
    severity: str
    location: str  # file:line
    basis: str  # 资料所述 / 据资料数据计算（…）
    fingerprint: str


@dataclass(frozen=True)
class TargetRow:
    """A row of appendix 2: one performance indicator, planned against actual."""

    project: str  # record id
    project_name: str
    indicator: str
    planned: str
    actual: str
    rate: str


SEVERITY_WORDS = {"error": "严重", "warning": "一般", "info": "提示"}


@dataclass
class Draft:
    """Everything the report templates print."""

    title: str
    sections: tuple[str, ...]
    intro: str = ""
    table: list[tuple[int, str, str, str, str]] = field(default_factory=list)  # …, record id
    table_total: str = ""
    work: list[Part] = field(default_factory=list)  # 一：评价目的、依据、过程、结论
    projects_intro: str = ""
    chart: ExecutionChart | None = None
    projects: list[Part] = field(default_factory=list)  # 二
    problems_intro: str = ""
    problems: list[DimensionPart] = field(default_factory=list)  # 三
    application: list[Part] = field(default_factory=list)  # 四：结果应用、整改要求
    finding_rows: list[FindingRow] = field(default_factory=list)  # 附件1
    target_rows: list[TargetRow] = field(default_factory=list)  # 附件2
    project_names: dict[str, str] = field(default_factory=dict)  # record id → short name

    def examples(self) -> list[Example]:
        """Every example of section 三, in reading order."""
        return [e for d in self.problems for c in d.categories for e in c.examples]

    def findings_by_project(self) -> list[tuple[str, list[FindingRow]]]:
        """Appendix 1 grouped: (project short name, its rows), in the table's order."""
        return _by_project(self.finding_rows)

    def targets_by_project(self) -> list[tuple[str, list[TargetRow]]]:
        """Appendix 2 grouped: (project short name, its rows), in the table's order."""
        return _by_project(self.target_rows)

    def traces(self) -> list[tuple[str, Finding]]:
        """(example label, finding) for every claim in section 三, in reading order."""
        return [(e.label, f) for e in self.examples() for f in e.findings]


Row = TypeVar("Row", FindingRow, TargetRow)


def _by_project(rows: list[Row]) -> list[tuple[str, list[Row]]]:
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row.project_name, []).append(row)
    return list(groups.items())
