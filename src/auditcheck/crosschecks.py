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
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from auditcheck import formulas
from auditcheck.facts import Fact
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
    explain: Callable[[], str]  # the basis text, worked out only when a message shows it
    doc: Document
    stated_path: PathKey
    computed_path: PathKey
    days: int | None = None
    note: str | None = None
    basis_place: str | None = None  # where the computed figure stands, when in another file
    difference: float | None = field(init=False)  # |stated − computed|: what the rules compare

    def __post_init__(self) -> None:
        # Worked out here, once, so that writing the fact reads it as an attribute.
        stated, computed = self.stated, self.computed
        self.difference = None if stated is None or computed is None else abs(stated - computed)

    @property
    def basis(self) -> str:
        """How the computed figure follows from the record's figures, in the report's words."""
        return self.explain()

    @property
    def stated_at(self) -> str:
        """``file:line`` (a workbook's ``file:Sheet!E12``) of the stated figure."""
        return self.doc.short(self.stated_path)

    @property
    def basis_at(self) -> str:
        """``file:line`` (or cell) of the figures the computed one follows from."""
        return self.basis_place or self.doc.short(self.computed_path)


class _Builder:
    """Collects crosscheck facts for one document; paths are relative to ``base``."""

    def __init__(
        self, record: str, doc: Document, facts: list[Fact] | None = None, base: PathKey = ()
    ) -> None:
        self.record = record
        self.doc = doc
        self.facts: list[Fact] = [] if facts is None else facts
        self.base = base

    def at(self, *base: str | int) -> _Builder:
        """A builder for the figures under ``base`` (its facts go to the same list)."""
        return _Builder(self.record, self.doc, self.facts, (*self.base, *base))

    def path(self, key: str | PathKey) -> PathKey:
        """The record path of ``key`` (a field, or a path) under ``base``."""
        return (*self.base, key) if isinstance(key, str) else (*self.base, *key)

    def add(self, pair: Pair) -> None:
        self.facts.append(Fact("crosscheck", self.record, (), pair, _CTX, doc=self.doc))

    def pair(
        self,
        check: str,
        subject: str,
        stated: float | None,
        stated_at: str | PathKey,
        computed: float | None,
        computed_at: str | PathKey,
        basis: Callable[[], str],
        unit: str,
        basis_at: str | None = None,
    ) -> None:
        """A pair when both figures are given; its paths are only built then, and ``basis``
        only when a message shows it."""
        if stated is None or computed is None:
            return
        paths = (self.path(stated_at), self.path(computed_at))
        pair = Pair(check, subject, stated, computed, unit, basis, self.doc, *paths)
        pair.basis_place = basis_at
        self.add(pair)

    def order(self, subject: str, schedule: Schedule, earlier: str, later: str) -> None:
        """Two dates of a schedule that must come in this order, when both are given."""
        first, second = getattr(schedule, earlier), getattr(schedule, later)
        if first is None or second is None:
            return
        basis = lambda: f"{first.isoformat()} → {second.isoformat()}"  # noqa: E731
        days = (second - first).days
        at, since = self.path(later), self.path(earlier)
        self.add(Pair("date-order", subject, None, None, "", basis, self.doc, at, since, days))


def _plus(values: Sequence[float | None], show: Callable[[Any], str] = wan) -> str:
    """``2450.05 + 3204.25``: the parts of a sum as the basis of a cross-check."""
    return " + ".join(show(v) for v in values if v is not None)


def _sum(values: list[float | None]) -> float | None:
    return None if not values or any(v is None for v in values) else sum(values)  # type: ignore[arg-type]


def _funds(b: _Builder, funds: Funds, name: str) -> None:
    # Most records state none of these figures: each pair is only set up when one is stated.
    budget_key = formulas.budget_key(funds)
    budget = formulas.budget(funds)
    spent = funds.spent
    if budget is not None and spent is not None:
        if funds.stated_balance is not None:
            label = formulas.AMOUNT_LABELS[budget_key]
            b.pair(
                "balance",
                f"{name}结余",
                funds.stated_balance,
                "stated_balance",
                budget - spent,
                "spent",
                lambda: f"{label}{wan(budget)} − 支出{wan(spent)}",
                WAN,
            )

        def basis() -> str:
            return formulas.basis_text("spent", spent, budget_key, budget)  # type: ignore[arg-type]

        for key in ("stated_execution_rate", "stated_execution_rate_again"):
            if (stated_rate := getattr(funds, key)) is not None:
                b.pair(
                    "rate",
                    f"{name}预算执行率",
                    stated_rate,
                    key,
                    formulas.computed_execution_rate(funds),
                    "spent",
                    basis,
                    PERCENT,
                )
    if funds.adjusted_budget is not None and spent is not None and funds.recovered is not None:
        b.pair(
            "balance",
            f"{name}年末收回资金",
            funds.recovered,
            "recovered",
            funds.adjusted_budget - spent,
            "adjusted_budget",
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
            stated.value,
            ("stated_rates", i, "value"),
            formulas.rate(num, den),
            stated.numerator,
            partial(formulas.basis_text, stated.numerator, num, stated.denominator, den),
            PERCENT,
        )
    if funds.stated_execution_rate_again is not None:
        b.pair(
            "restated",
            f"{name}预算执行率",
            funds.stated_execution_rate_again,
            "stated_execution_rate_again",
            funds.stated_execution_rate,
            "stated_execution_rate",
            lambda: "同一执行率的另一处表述",
            PERCENT,
        )
    for part, total_key in _SUMS:
        items = getattr(funds, part)
        if not items:
            continue
        attr = "amount" if part == "sources" else total_key
        values = [getattr(item, attr) for item in items]
        b.pair(
            "sum",
            f"{name}{'资金来源' if part == 'sources' else '各明细'}合计",
            getattr(funds, total_key),
            total_key,
            _sum(values),
            part,
            partial(_plus, values),
            WAN,
        )


_SUMS = (("sources", "budget"), ("parts", "budget"), ("parts", "spent"))


def _counts(b: _Builder, counts: SubprojectCounts | None, name: str) -> None:
    if counts is None or counts.in_progress is None:
        return
    done = counts.completed
    if done is None and counts.accepted is not None:
        done = counts.accepted + (counts.completed_not_accepted or 0)
    if done is None:
        return
    b.at("subprojects").pair(
        "count",
        f"{name}子项目总数",
        counts.total,
        "total",
        done + counts.in_progress,
        "in_progress",
        lambda: f"已完工{done} + 在建{counts.in_progress}",
        counts.unit,
    )


_ORDER = (
    ("计划开工至计划完工", "planned_start", "planned_completion"),
    ("实际开工至实际完工", "actual_start", "actual_completion"),
    ("实际完工至竣工验收", "actual_completion", "acceptance"),
    ("实际完工至决算审计", "actual_completion", "final_audit"),
)


def _schedule(b: _Builder, schedule: Schedule | None, name: str) -> None:
    if schedule is None:
        return
    at = b.at("schedule")
    for subject, earlier, later in _ORDER:
        at.order(f"{name}{subject}", schedule, earlier, later)


def _subitem_totals(b: _Builder, project: Project) -> None:
    items = project.subitems
    if not items:
        return
    for key, label in (("budget", "预算"), ("spent", "支出"), ("stated_balance", "结余")):
        values = [getattr(item, key) for item in items]
        b.pair(
            "sum",
            f"各子项目{label}合计",
            getattr(project, key),
            key,
            _sum(values),
            "subitems",
            partial(_plus, values),
            WAN,
        )
    totals = [item.subprojects.total if item.subprojects else None for item in items]
    if project.subprojects is not None:
        b.pair(
            "count",
            "各子项目所含项目数合计",
            project.subprojects.total,
            ("subprojects", "total"),
            _sum(totals),
            "subitems",
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
                lambda: f"支出合计{wan(total_spent)} ÷ 预算合计{wan(total_budget)} × 100",
                b.doc,
                ("stated_average_rate",),
                ("subitems",),
                note=f"各子项目执行率的简单平均为{mean:.2f}%",
            )
        )


def crosschecks_of(record: LoadedRecord) -> Iterator[Fact]:
    """Crosscheck facts for one record (the batch table's row for it included)."""
    project = record.project
    b = _Builder(project.id, record.doc)
    _funds(b, project, "")
    if project.expected_revenue is not None and project.debt_service:
        b.pair(
            "rate",
            "本息覆盖倍数",
            project.stated_coverage,
            "stated_coverage",
            formulas.coverage(project),
            "expected_revenue",
            lambda: (
                f"预期收益{wan(project.expected_revenue)} ÷ 应还本付息{wan(project.debt_service)}"
            ),
            "倍",
        )
    _counts(b, project.subprojects, "")
    _schedule(b, project.schedule, "")
    _subitem_totals(b, project)
    for i, item in enumerate(project.subitems):
        sub = b.at("subitems", i)
        _funds(sub, item, item.name)
        _counts(sub, item.subprojects, item.name)
        _schedule(sub, item.schedule, item.name)
        for j, t in enumerate(item.targets):
            _target(sub, t, j)
    for j, t in enumerate(project.targets):
        _target(b, t, j)
    for j, q in enumerate(project.quantities):
        if q.parts:
            b.at("quantities", j).pair(
                "sum",
                f"{q.name}分项合计",
                q.value,
                "value",
                sum(q.parts),
                "parts",
                partial(_plus, q.parts, num),
                q.unit or "",
            )
    yield from b.facts
    yield from _table_row(record)


def _target(b: _Builder, target: Any, j: int) -> None:
    b.pair(
        "restated",
        f"“{target.indicator}”实际完成值",
        target.stated_actual_again,
        ("targets", j, "stated_actual_again"),
        target.actual,
        ("targets", j, "actual"),
        lambda: "同一完成值的另一处表述",
        target.unit or "",
    )


def _table_row(record: LoadedRecord) -> Iterator[Fact]:
    batch, doc = record.batch, record.batch_doc
    if batch is None or doc is None:
        return
    project = record.project
    for i, row in _table_rows(batch).get(project.id, ()):
        key = formulas.budget_key(project)
        b = _Builder(project.id, doc, base=("table", i))
        b.pair(
            "restated",
            "明细表所列金额与项目预算",
            row.amount,
            "amount",
            formulas.budget(project),
            "amount",
            partial("项目记录中的{}".format, formulas.AMOUNT_LABELS[key]),
            WAN,
            basis_at=record.doc.short((key,)),
        )
        yield from b.facts


_indexed: list[Any] = [None, {}]  # the last batch whose table was indexed, and its index


def _table_rows(batch: Batch) -> dict[str, list[tuple[int, Any]]]:
    """The rows of the batch's table by project id: each record looks up its own rows,
    rather than reading the whole table (a province's table has thousands of rows)."""
    if _indexed[0] is not batch:
        index: dict[str, list[tuple[int, Any]]] = {}
        for i, row in enumerate(batch.table):
            index.setdefault(row.project, []).append((i, row))
        _indexed[:] = [batch, index]
    return _indexed[1]  # type: ignore[no-any-return]


def batch_crosschecks(batch: Batch, doc: Document) -> list[Fact]:
    """Crosscheck facts about the batch file itself (the table and its 合计)."""
    b = _Builder("batch", doc)
    amounts = [row.amount for row in batch.table]
    b.pair(
        "sum",
        "评价项目明细表合计",
        batch.stated_table_total,
        "stated_table_total",
        _sum(amounts) if amounts else None,
        "table",
        partial(_plus, amounts),
        WAN,
    )
    return b.facts
