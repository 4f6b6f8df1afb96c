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

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from auditcheck import formulas
from auditcheck.facts import Fact
from auditcheck.locate import Document, PathKey
from auditcheck.records.load import LoadedRecord
from auditcheck.records.model import Batch, Funds, Project, Schedule, SubprojectCounts, field_view
from auditcheck.templating import num, wan
from auditcheck.vocabulary import Context

WAN, PERCENT = "万元", "%"
_CTX = Context()
Key = str | PathKey  # where a figure stands: a field, or a path, under the builder's base


class Pair(Fact):
    """Two figures about one quantity: a ``crosscheck`` fact, its own item, and where each
    figure stands.

    The rules read ``check``, ``days`` and ``difference``; the rest is what a finding shows,
    kept as the pair was given it (the subject in two parts, the basis text a function and its
    arguments, the places keys under its builder's base) and worked out only when a finding
    asks for it: most pairs agree, and a record gives about six. One object rather than a
    fact holding a pair: making an object is most of what a pair costs.
    """

    __slots__ = (
        "_args",
        "_base",
        "_explain",
        "_name",
        "_what",
        "basis_place",
        "check",
        "computed",
        "computed_key",
        "days",
        "difference",
        "note",
        "stated",
        "stated_key",
        "unit",
    )

    def __init__(
        self,
        record: str,
        doc: Document,
        base: PathKey,
        check: str,
        name: str,
        what: str,
        stated: float | None,
        stated_key: Key,
        computed: float | None,
        computed_key: Key,
        unit: str,
        explain: Callable[..., str],
        args: tuple[Any, ...],
    ) -> None:
        # The fact's attributes, as Fact.__init__ sets them (a test holds the two equal):
        # its document and base are the builder's, not the builder, which holds the facts.
        self.kind = "crosscheck"
        self.record = record
        self.path = ()
        self.ctx = _CTX
        self.owner = ""
        self.doc = doc
        self.values = {}
        self._base = base
        self.check = check
        self._name = name  # the sub-item's name, empty at project level
        self._what = what
        self.stated = stated
        self.stated_key = stated_key
        self.computed = computed
        self.computed_key = computed_key
        # |stated − computed|: what the rules compare
        self.difference = None if computed is None else abs(stated - computed)  # type: ignore[operator]
        self.unit = unit
        self._explain = explain
        self._args = args
        self.days: int | None = None  # date-order: the later date less the earlier, in days
        self.note: str | None = None
        self.basis_place: str | None = None  # where the computed figure stands, in another file

    @property  # type: ignore[override]
    def item(self) -> Pair:
        """The fact's item: the pair itself."""
        return self

    @property
    def subject(self) -> str:
        """What the two figures are, as messages name it (the sub-item's name first)."""
        return self._name + self._what

    @property
    def stated_path(self) -> PathKey:
        return _under(self._base, self.stated_key)

    @property
    def computed_path(self) -> PathKey:
        return _under(self._base, self.computed_key)

    @property
    def basis(self) -> str:
        """How the computed figure follows from the record's figures, in the report's words."""
        return self._explain(*self._args)

    @property
    def stated_at(self) -> str:
        """``file:line`` (a workbook's ``file:Sheet!E12``) of the stated figure."""
        return self.doc.short(self.stated_path)  # type: ignore[union-attr]

    @property
    def basis_at(self) -> str:
        """``file:line`` (or cell) of the figures the computed one follows from."""
        return self.basis_place or self.doc.short(self.computed_path)  # type: ignore[union-attr]


def _under(base: PathKey, key: Key) -> PathKey:
    return (*base, key) if isinstance(key, str) else (*base, *key)


class _Builder:
    """Collects crosscheck facts for one document; keys are relative to ``base``."""

    __slots__ = ("base", "doc", "facts", "record")

    def __init__(self, record: str, doc: Document, facts: list[Fact], base: PathKey = ()) -> None:
        self.record = record
        self.doc = doc
        self.facts = facts
        self.base = base

    def at(self, *base: str | int) -> _Builder:
        """A builder for the figures under ``base`` (its facts go to the same list)."""
        return _Builder(self.record, self.doc, self.facts, (*self.base, *base))

    def pair(
        self,
        check: str,
        name: str,
        what: str,
        stated: float | None,
        stated_at: Key,
        computed: float | None,
        computed_at: Key,
        unit: str,
        basis: Callable[..., str],
        args: tuple[Any, ...],
    ) -> Pair | None:
        """A pair when both figures are given: the subject ``name + what``; the basis text
        ``basis(*args)``, only worked out when a message shows it."""
        if stated is None or computed is None:
            return None
        pair = Pair(
            self.record,
            self.doc,
            self.base,
            check,
            name,
            what,
            stated,
            stated_at,
            computed,
            computed_at,
            unit,
            basis,
            args,
        )
        self.facts.append(pair)
        return pair

    def order(self, name: str, what: str, schedule: Schedule, earlier: str, later: str) -> None:
        """Two dates of a schedule that must come in this order, when both are given."""
        first, second = getattr(schedule, earlier), getattr(schedule, later)
        if first is None or second is None:
            return
        pair = Pair(
            self.record,
            self.doc,
            self.base,
            "date-order",
            name,
            what,
            None,
            later,
            None,
            earlier,
            "",
            _dates,
            (first, second),
        )
        pair.days = (second - first).days
        self.facts.append(pair)


def _dates(first: date, second: date) -> str:
    return f"{first.isoformat()} → {second.isoformat()}"


def _plus(values: Sequence[float | None], show: Callable[[Any], str] = wan) -> str:
    """``2450.05 + 3204.25``: the parts of a sum as the basis of a cross-check."""
    return " + ".join(show(v) for v in values if v is not None)


def _sum(values: list[float | None]) -> float | None:
    return None if not values or None in values else sum(values)  # type: ignore[arg-type]


def _amounts(template: str, *amounts: float) -> str:
    """``template`` with ``amounts`` written as reports write them: a basis text."""
    return template.format(*map(wan, amounts))


def _funds(b: _Builder, funds: Funds, name: str) -> None:
    # ``funds`` is a view of the record's fields (records.model.field_view); the basis texts
    # read it again only when a message shows them.
    budget, spent = formulas.budget(funds), funds.spent
    rate, again = funds.stated_execution_rate, funds.stated_execution_rate_again
    if budget is not None and spent is not None:
        if (balance := funds.stated_balance) is not None:
            b.pair(
                "balance",
                name,
                "结余",
                balance,
                "stated_balance",
                budget - spent,
                "spent",
                WAN,
                _balance_basis,
                (funds,),
            )
        if rate is not None or again is not None:
            computed = formulas.rate(spent, budget)
            for key, stated in (
                ("stated_execution_rate", rate),
                ("stated_execution_rate_again", again),
            ):
                b.pair(
                    "rate",
                    name,
                    "预算执行率",
                    stated,
                    key,
                    computed,
                    "spent",
                    PERCENT,
                    _execution_basis,
                    (funds,),
                )
    adjusted, recovered = funds.adjusted_budget, funds.recovered
    if adjusted is not None and spent is not None and recovered is not None:
        b.pair(
            "balance",
            name,
            "年末收回资金",
            recovered,
            "recovered",
            adjusted - spent,
            "adjusted_budget",
            WAN,
            _amounts,
            ("调整后预算{} − 支出{}", adjusted, spent),
        )
    for i, stated_rate in enumerate(funds.stated_rates):
        num, den = getattr(funds, stated_rate.numerator), getattr(funds, stated_rate.denominator)
        if num is None or not den:
            continue
        b.pair(
            "rate",
            name,
            stated_rate.name,
            stated_rate.value,
            ("stated_rates", i, "value"),
            formulas.rate(num, den),
            stated_rate.numerator,
            PERCENT,
            formulas.basis_text,
            (stated_rate.numerator, num, stated_rate.denominator, den),
        )
    if again is not None:
        b.pair(
            "restated",
            name,
            "预算执行率",
            again,
            "stated_execution_rate_again",
            rate,
            "stated_execution_rate",
            PERCENT,
            _restated_rate,
            (),
        )
    if sources := funds.sources:
        amounts = [source.amount for source in sources]
        b.pair(
            "sum",
            name,
            "资金来源合计",
            funds.budget,
            "budget",
            _sum(amounts),
            "sources",
            WAN,
            _plus,
            (amounts,),
        )
    if parts := funds.parts:
        for key in ("budget", "spent"):
            values = [getattr(part, key) for part in parts]
            b.pair(
                "sum",
                name,
                "各明细合计",
                getattr(funds, key),
                key,
                _sum(values),
                "parts",
                WAN,
                _plus,
                (values,),
            )


def _balance_basis(funds: Funds) -> str:
    label = formulas.AMOUNT_LABELS[formulas.budget_key(funds)]
    return f"{label}{wan(formulas.budget(funds))} − 支出{wan(funds.spent)}"


def _execution_basis(funds: Funds) -> str:
    key = formulas.budget_key(funds)
    return formulas.basis_text("spent", funds.spent, key, formulas.budget(funds))  # type: ignore[arg-type]


def _restated_rate() -> str:
    return "同一执行率的另一处表述"


def _restated_actual() -> str:
    return "同一完成值的另一处表述"


def _counts(b: _Builder, counts: SubprojectCounts, name: str) -> None:
    if counts.in_progress is None:
        return
    done = counts.completed
    if done is None and counts.accepted is not None:
        done = counts.accepted + (counts.completed_not_accepted or 0)
    if done is None:
        return
    b.at("subprojects").pair(
        "count",
        name,
        "子项目总数",
        counts.total,
        "total",
        done + counts.in_progress,
        "in_progress",
        counts.unit,
        "已完工{} + 在建{}".format,
        (done, counts.in_progress),
    )


_ORDER = (
    ("计划开工至计划完工", "planned_start", "planned_completion"),
    ("实际开工至实际完工", "actual_start", "actual_completion"),
    ("实际完工至竣工验收", "actual_completion", "acceptance"),
    ("实际完工至决算审计", "actual_completion", "final_audit"),
)


def _schedule(b: _Builder, schedule: Schedule, name: str) -> None:
    schedule = field_view(schedule)  # eight dates read: a view reads them cheaply
    at = b.at("schedule")
    for what, earlier, later in _ORDER:
        at.order(name, what, schedule, earlier, later)


_TOTALS = (
    ("budget", "各子项目预算合计"),
    ("spent", "各子项目支出合计"),
    ("stated_balance", "各子项目结余合计"),
)


def _subitem_totals(b: _Builder, project: Project, items: list[Any]) -> None:
    """The project's totals against its sub-items' (``items``: views of them)."""
    for key, what in _TOTALS:
        if (total := getattr(project, key)) is not None:
            values = [getattr(item, key) for item in items]
            b.pair("sum", "", what, total, key, _sum(values), "subitems", WAN, _plus, (values,))
    if (counts := project.subprojects) is not None:
        totals = [item.subprojects.total if item.subprojects else None for item in items]
        b.pair(
            "count",
            "",
            "各子项目所含项目数合计",
            counts.total,
            ("subprojects", "total"),
            _sum(totals),
            "subitems",
            counts.unit,
            _plus,
            (totals, str),
        )
    if project.stated_average_rate is None:
        return
    budgets = [item.budget for item in items]
    spent = [item.spent for item in items]
    total_budget, total_spent = _sum(budgets), _sum(spent)
    if total_budget and total_spent is not None:
        rates = [formulas.rate(s, bud) for s, bud in zip(spent, budgets, strict=True) if bud]
        mean = sum(rates) / len(rates)  # type: ignore[arg-type]
        average = b.pair(
            "average",
            "",
            "各子项目平均执行率",
            project.stated_average_rate,
            "stated_average_rate",
            formulas.rate(total_spent, total_budget),
            "subitems",
            PERCENT,
            _amounts,
            ("支出合计{} ÷ 预算合计{} × 100", total_spent, total_budget),
        )
        if average is not None:
            average.note = f"各子项目执行率的简单平均为{mean:.2f}%"


def crosschecks_of(record: LoadedRecord) -> list[Fact]:
    """Crosscheck facts for one record (the batch table's row for it included)."""
    project = field_view(record.project)  # a record's figures are read many times over
    b = _Builder(project.id, record.doc, [])
    _funds(b, project, "")
    if project.expected_revenue is not None and project.debt_service:
        b.pair(
            "rate",
            "",
            "本息覆盖倍数",
            project.stated_coverage,
            "stated_coverage",
            formulas.coverage(project),
            "expected_revenue",
            "倍",
            _amounts,
            ("预期收益{} ÷ 应还本付息{}", project.expected_revenue, project.debt_service),
        )
    # Few records state counts, dates or a restated target: looked at before any call.
    if project.subprojects is not None:
        _counts(b, project.subprojects, "")
    if project.schedule is not None:
        _schedule(b, project.schedule, "")
    if project.subitems:
        items = list(map(field_view, project.subitems))
        _subitem_totals(b, project, items)
        for i, item in enumerate(items):
            sub = _Builder(b.record, b.doc, b.facts, ("subitems", i))
            _funds(sub, item, item.name)
            if item.subprojects is not None:
                _counts(sub, item.subprojects, item.name)
            if item.schedule is not None:
                _schedule(sub, item.schedule, item.name)
            if item.targets:
                _targets(sub, item.targets)
    if project.targets:
        _targets(b, project.targets)
    for j, q in enumerate(project.quantities):
        if q.parts:
            b.at("quantities", j).pair(
                "sum",
                q.name,
                "分项合计",
                q.value,
                "value",
                sum(q.parts),
                "parts",
                q.unit or "",
                _plus,
                (q.parts, num),
            )
    if (batch := record.batch) is not None and batch.table and record.batch_doc is not None:
        _table_row(record, batch, record.batch_doc, b.facts)
    return b.facts


def _targets(b: _Builder, targets: list[Any]) -> None:
    for j, target in enumerate(targets):
        if target.stated_actual_again is not None:  # most targets state their value once
            b.at("targets", j).pair(
                "restated",
                "",
                f"“{target.indicator}”实际完成值",
                target.stated_actual_again,
                "stated_actual_again",
                target.actual,
                "actual",
                target.unit or "",
                _restated_actual,
                (),
            )


def _table_row(record: LoadedRecord, batch: Batch, doc: Document, facts: list[Fact]) -> None:
    project = record.project
    for i, row in _table_rows(batch).get(project.id, ()):
        key = formulas.budget_key(project)
        pair = _Builder(project.id, doc, facts, ("table", i)).pair(
            "restated",
            "",
            "明细表所列金额与项目预算",
            row.amount,
            "amount",
            formulas.budget(project),
            "amount",
            WAN,
            "项目记录中的{}".format,
            (formulas.AMOUNT_LABELS[key],),
        )
        if pair is not None:
            pair.basis_place = record.doc.short((key,))


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
    b = _Builder("batch", doc, [])
    amounts = [row.amount for row in batch.table]
    b.pair(
        "sum",
        "",
        "评价项目明细表合计",
        batch.stated_table_total,
        "stated_table_total",
        _sum(amounts) if amounts else None,
        "table",
        WAN,
        _plus,
        (amounts,),
    )
    return b.facts
