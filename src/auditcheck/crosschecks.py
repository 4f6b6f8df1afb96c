"""Pairs of figures a record states about the same quantity → ``crosscheck`` facts.

Each fact carries both figures, their difference and where each is stated, so
that the data-consistency rules only compare the difference with a tolerance.
Nothing here decides whether a difference matters: that is the rules' job.

What is paired (each only when the record states both sides):

- ``balance``: stated balance vs ``budget − spent``; recovered vs ``adjusted − spent``
- ``rate``: a stated execution rate (and its restatement) vs ``spent ÷ budget × 100``;
  each of ``stated_rates`` vs the ratio of the two amounts it names (so 资金使用率 =
  spent ÷ received is compared with that, not with the budget); a stated 本息覆盖倍数
  vs ``expected_revenue ÷ debt_service``
- ``sum``: funding sources, budget lines and sub-items' budget / spending / balance vs
  the project's figure; a quantity vs its stated parts; the batch table vs its 合计
- ``count``: sub-projects completed + in progress vs the total; sub-items' totals vs
  the project's total
- ``average``: a stated average rate vs ``Σ spent ÷ Σ budget`` over the sub-items
- ``restated``: the same figure stated twice (a rate, a target's actual value, the
  batch table's amount vs the record's budget)
- ``date-order``: start → completion → acceptance / final audit, planned start →
  planned completion; ``days`` is negative when the order is impossible
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any

from auditcheck import formulas
from auditcheck.facts import Fact, Plan, make_fact
from auditcheck.locate import Document, PathKey
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch, Funds, Project, Schedule, SubprojectCounts
from auditcheck.templating import num, wan
from auditcheck.vocabulary import Context

WAN, PERCENT = "万元", "%"
_CTX = Context()


@dataclass(slots=True)
class Pair:
    """Two figures about one quantity (the item of a ``crosscheck`` fact), and where each stands."""

    check: str
    subject: str
    stated: float | None
    computed: float | None
    unit: str
    basis: str
    doc: Document
    stated_path: PathKey
    computed_path: PathKey
    days: int | None = None
    note: str | None = None
    basis_place: str | None = None  # where the computed figure stands, when in another file

    @property
    def stated_at(self) -> str:
        """``file:line`` (a workbook's ``file:Sheet!E12``) of the stated figure."""
        return self.doc.short(self.stated_path)

    @property
    def basis_at(self) -> str:
        """``file:line`` (or cell) of the figures the computed one follows from."""
        return self.basis_place or self.doc.short(self.computed_path)


class _Builder:
    """Collects crosscheck facts for one document."""

    def __init__(self, record: str, doc: Document, plan: Plan | None) -> None:
        self.record = record
        self.doc = doc
        self.plan = plan
        self.facts: list[Fact] = []

    def add(self, pair: Pair) -> None:
        fact = make_fact("crosscheck", self.record, pair, _CTX, self.plan, doc=self.doc)
        self.facts.append(fact)

    def pair(
        self,
        check: str,
        subject: str,
        stated: tuple[float | None, PathKey],
        computed: tuple[float | None, PathKey],
        basis: Callable[[], str],
        unit: str,
        basis_at: str | None = None,
    ) -> None:
        """A pair when both figures are given; ``basis`` is only worked out then."""
        (stated_value, stated_path), (computed_value, computed_path) = stated, computed
        if stated_value is None or computed_value is None:
            return
        self.add(
            Pair(
                check,
                subject,
                stated_value,
                computed_value,
                unit,
                basis(),
                self.doc,
                stated_path,
                computed_path,
                basis_place=basis_at,
            )
        )

    def order(
        self, subject: str, earlier: tuple[date | None, PathKey], later: tuple[date | None, PathKey]
    ) -> None:
        (first, first_path), (second, second_path) = earlier, later
        if first is None or second is None:
            return
        basis = f"{first.isoformat()} → {second.isoformat()}"
        days = (second - first).days
        self.add(
            Pair(
                "date-order",
                subject,
                None,
                None,
                "",
                basis,
                self.doc,
                second_path,
                first_path,
                days,
            )
        )


def _plus(values: Sequence[float | None], show: Callable[[Any], str] = wan) -> str:
    """``2450.05 + 3204.25``: the parts of a sum as the basis of a cross-check."""
    return " + ".join(show(v) for v in values if v is not None)


def _sum(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def _funds(b: _Builder, funds: Funds, name: str, path: PathKey) -> None:
    budget_key = formulas.budget_key(funds)
    budget = formulas.budget(funds)
    spent = funds.spent
    label = formulas.AMOUNT_LABELS[budget_key]
    if budget is not None and spent is not None:
        b.pair(
            "balance",
            f"{name}结余",
            (funds.stated_balance, (*path, "stated_balance")),
            (budget - spent, (*path, "spent")),
            lambda: f"{label}{wan(budget)} − 支出{wan(spent)}",
            WAN,
        )

        def basis() -> str:
            return formulas.basis_text("spent", spent, budget_key, budget)  # type: ignore[arg-type]

        for key in ("stated_execution_rate", "stated_execution_rate_again"):
            b.pair(
                "rate",
                f"{name}预算执行率",
                (getattr(funds, key), (*path, key)),
                (formulas.computed_execution_rate(funds), (*path, "spent")),
                basis,
                PERCENT,
            )
    if funds.adjusted_budget is not None and spent is not None:
        b.pair(
            "balance",
            f"{name}年末收回资金",
            (funds.recovered, (*path, "recovered")),
            (funds.adjusted_budget - spent, (*path, "adjusted_budget")),
            lambda: f"调整后预算{wan(funds.adjusted_budget)} − 支出{wan(spent)}",
            WAN,
        )
    for i, stated in enumerate(funds.stated_rates):
        num, den = getattr(funds, stated.numerator), getattr(funds, stated.denominator)
        if num is None or not den:
            continue
        b.pair(
            "rate",
            f"{name}{stated.name}",
            (stated.value, (*path, "stated_rates", i, "value")),
            (formulas.rate(num, den), (*path, stated.numerator)),
            partial(formulas.basis_text, stated.numerator, num, stated.denominator, den),
            PERCENT,
        )
    b.pair(
        "restated",
        f"{name}预算执行率",
        (funds.stated_execution_rate_again, (*path, "stated_execution_rate_again")),
        (funds.stated_execution_rate, (*path, "stated_execution_rate")),
        lambda: "同一执行率的另一处表述",
        PERCENT,
    )
    for part, total_key in (("sources", "budget"), ("parts", "budget"), ("parts", "spent")):
        items = getattr(funds, part)
        if not items:
            continue
        attr = "amount" if part == "sources" else total_key
        values = [getattr(item, attr) for item in items]
        b.pair(
            "sum",
            f"{name}{'资金来源' if part == 'sources' else '各明细'}合计",
            (getattr(funds, total_key), (*path, total_key)),
            (_sum(values), (*path, part)),
            partial(_plus, values),
            WAN,
        )


def _counts(b: _Builder, counts: SubprojectCounts | None, name: str, path: PathKey) -> None:
    if counts is None or counts.in_progress is None:
        return
    where = (*path, "subprojects")
    done = counts.completed
    if done is None and counts.accepted is not None:
        done = counts.accepted + (counts.completed_not_accepted or 0)
    if done is None:
        return
    b.pair(
        "count",
        f"{name}子项目总数",
        (counts.total, (*where, "total")),
        (done + counts.in_progress, (*where, "in_progress")),
        lambda: f"已完工{done} + 在建{counts.in_progress}",
        counts.unit,
    )


def _schedule(b: _Builder, schedule: Schedule | None, name: str, path: PathKey) -> None:
    if schedule is None:
        return
    s = (*path, "schedule")
    pairs = [
        ("计划开工至计划完工", "planned_start", "planned_completion"),
        ("实际开工至实际完工", "actual_start", "actual_completion"),
        ("实际完工至竣工验收", "actual_completion", "acceptance"),
        ("实际完工至决算审计", "actual_completion", "final_audit"),
    ]
    for subject, first, second in pairs:
        b.order(
            f"{name}{subject}",
            (getattr(schedule, first), (*s, first)),
            (getattr(schedule, second), (*s, second)),
        )


def _subitem_totals(b: _Builder, project: Project) -> None:
    items = project.subitems
    if not items:
        return
    for key, label in (("budget", "预算"), ("spent", "支出"), ("stated_balance", "结余")):
        values = [getattr(item, key) for item in items]
        b.pair(
            "sum",
            f"各子项目{label}合计",
            (getattr(project, key), (key,)),
            (_sum(values), ("subitems",)),
            partial(_plus, values),
            WAN,
        )
    totals = [item.subprojects.total if item.subprojects else None for item in items]
    if project.subprojects is not None:
        b.pair(
            "count",
            "各子项目所含项目数合计",
            (project.subprojects.total, ("subprojects", "total")),
            (_sum(totals), ("subitems",)),
            partial(_plus, totals, str),
            project.subprojects.unit,
        )
    budgets = [item.budget for item in items]
    spent = [item.spent for item in items]
    total_budget, total_spent = _sum(budgets), _sum(spent)
    if total_budget and total_spent is not None:
        if project.stated_average_rate is None:
            return
        rates = [formulas.rate(s, bud) for s, bud in zip(spent, budgets, strict=True) if bud]
        mean = sum(rates) / len(rates)  # type: ignore[arg-type]
        b.add(
            Pair(
                "average",
                "各子项目平均执行率",
                project.stated_average_rate,
                formulas.rate(total_spent, total_budget),
                PERCENT,
                f"支出合计{wan(total_spent)} ÷ 预算合计{wan(total_budget)} × 100",
                b.doc,
                ("stated_average_rate",),
                ("subitems",),
                note=f"各子项目执行率的简单平均为{mean:.2f}%",
            )
        )


def crosschecks_of(record: LoadedRecord, plan: Plan | None = None) -> Iterator[Fact]:
    """Crosscheck facts for one record (the batch table's row for it included).

    ``plan`` says which fields to compute now (all when None; see :func:`make_fact`).
    """
    project = record.project
    b = _Builder(project.id, record.doc, plan)
    _funds(b, project, "", ())
    if project.expected_revenue is not None and project.debt_service:
        b.pair(
            "rate",
            "本息覆盖倍数",
            (project.stated_coverage, ("stated_coverage",)),
            (formulas.coverage(project), ("expected_revenue",)),
            lambda: (
                f"预期收益{wan(project.expected_revenue)} ÷ 应还本付息{wan(project.debt_service)}"
            ),
            "倍",
        )
    _counts(b, project.subprojects, "", ())
    _schedule(b, project.schedule, "", ())
    _subitem_totals(b, project)
    for i, item in enumerate(project.subitems):
        path = ("subitems", i)
        _funds(b, item, item.name, path)
        _counts(b, item.subprojects, item.name, path)
        _schedule(b, item.schedule, item.name, path)
        for j, t in enumerate(item.targets):
            _target(b, t, (*path, "targets", j))
    for j, t in enumerate(project.targets):
        _target(b, t, ("targets", j))
    for j, q in enumerate(project.quantities):
        if q.parts:
            qpath = ("quantities", j)
            b.pair(
                "sum",
                f"{q.name}分项合计",
                (q.value, (*qpath, "value")),
                (sum(q.parts), (*qpath, "parts")),
                partial(_plus, q.parts, num),
                q.unit or "",
            )
    yield from b.facts
    yield from _table_row(record, plan)


def _target(b: _Builder, target: Any, path: PathKey) -> None:
    b.pair(
        "restated",
        f"“{target.indicator}”实际完成值",
        (target.stated_actual_again, (*path, "stated_actual_again")),
        (target.actual, (*path, "actual")),
        lambda: "同一完成值的另一处表述",
        target.unit or "",
    )


def _table_row(record: LoadedRecord, plan: Plan | None) -> Iterator[Fact]:
    batch, doc = record.batch, record.batch_doc
    if batch is None or doc is None:
        return
    project = record.project
    for i, row in enumerate(batch.table):
        if row.project != project.id:
            continue
        key = formulas.budget_key(project)
        b = _Builder(project.id, doc, plan)
        b.pair(
            "restated",
            "明细表所列金额与项目预算",
            (row.amount, ("table", i, "amount")),
            (formulas.budget(project), ("table", i, "amount")),
            partial("项目记录中的{}".format, formulas.AMOUNT_LABELS[key]),
            WAN,
            basis_at=record.doc.short((key,)),
        )
        yield from b.facts


def batch_crosschecks(batch: Batch, doc: Document) -> list[Fact]:
    """Crosscheck facts about the batch file itself (the table and its 合计)."""
    b = _Builder("batch", doc, None)
    amounts = [row.amount for row in batch.table]
    b.pair(
        "sum",
        "评价项目明细表合计",
        (batch.stated_table_total, ("stated_table_total",)),
        (_sum(amounts) if amounts else None, ("table",)),
        partial(_plus, amounts),
        WAN,
    )
    return b.facts
