"""Every formula the checks use, written once.

Rates are in percent, amounts in 万元. A rate the source states is used only where
the amounts it follows from are not given; where both are given, the computed
rate is the fact and the cross-checks compare it with the stated one.

- the budget evaluated: ``budget``, else ``adjusted_budget`` (a department's whole
  expenditure has no separate project budget);
- ``execution_rate = spent ÷ budget evaluated × 100``, else the stated execution rate;
- ``receipt_rate = received ÷ budget evaluated × 100``;
- ``use_rate = spent ÷ received × 100`` (资金使用率);
- ``coverage = expected_revenue ÷ debt_service`` (本息覆盖倍数), else as stated;
- grade bands: the batch's own, else the grade rule's parameters, else the national
  90 / 80 / 60 of 财预〔2020〕10号.

The formulas a fact's field names take the field's context too, unused, so that they are
its getter (``get(item, ctx)``) without a lambda around them: the encoders ask them of every
project and sub-item.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from auditcheck.records.model import Batch, Funds, GradeBands, Project
from auditcheck.templating import wan

GRADE_RULE = "grade-does-not-match-score"
# 财政部《项目支出绩效评价管理办法》(财预〔2020〕10号): 优 ≥ 90, 良 ≥ 80, 中 ≥ 60, else 差.
NATIONAL_BANDS = GradeBands(excellent=90, good=80, passing=60)
# How reports name the amount fields a stated rate may be the ratio of.
AMOUNT_LABELS: dict[str, str] = {
    "budget": "预算资金",
    "initial_budget": "年初预算",
    "adjusted_budget": "调整后预算",
    "received": "到位资金",
    "spent": "支出",
    "recovered": "收回资金",
    "investment": "投资估算",
    "carried_forward": "结转资金",
}
_BUDGETS = ("budget", "adjusted_budget")


def rate(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator ÷ denominator × 100``; None when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator * 100


def budget_key(funds: Funds) -> str:
    """The field holding the budget evaluated: ``budget``, else ``adjusted_budget``."""
    return "budget" if funds.budget is not None else "adjusted_budget"


def budget(funds: Funds, _ctx: object = None) -> float | None:
    """The budget evaluated (see :func:`budget_key`)."""
    return funds.budget if funds.budget is not None else funds.adjusted_budget


def stated_rate(funds: Funds, numerators: tuple[str, ...], denominators: tuple[str, ...]) -> int:
    """Index in ``funds.stated_rates`` of a rate stated with this basis, or -1."""
    for i, r in enumerate(funds.stated_rates):
        if r.numerator in numerators and r.denominator in denominators:
            return i
    return -1


def computed_execution_rate(funds: Funds) -> float | None:
    """``spent ÷ budget evaluated × 100``, from the amounts only."""
    return rate(funds.spent, budget(funds))


def execution_rate(funds: Funds, _ctx: object = None) -> float | None:
    """The execution rate: from the amounts, else as stated (alone, or with its basis)."""
    # The formula of computed_execution_rate, written here: asked of every project and
    # sub-item, and one call fewer there.
    if (computed := rate(funds.spent, budget(funds))) is not None:
        return computed
    if funds.stated_execution_rate is not None:
        return funds.stated_execution_rate
    return _as_stated(funds, "spent", _BUDGETS) if funds.stated_rates else None


def execution_rate_at(funds: Funds) -> tuple[str | int, ...]:
    """Where the execution rate in force is written (relative to the funds)."""
    if computed_execution_rate(funds) is not None:
        return ("spent",)
    if funds.stated_execution_rate is not None:
        return ("stated_execution_rate",)
    i = stated_rate(funds, ("spent",), _BUDGETS)
    return ("stated_rates", i, "value") if i >= 0 else ("spent",)


def _as_stated(funds: Funds, numerator: str, denominators: tuple[str, ...]) -> float | None:
    """The value of a rate stated with this basis, or None (asked only of funds stating rates)."""
    i = stated_rate(funds, (numerator,), denominators)
    return funds.stated_rates[i].value if i >= 0 else None


def receipt_rate(funds: Funds, _ctx: object = None) -> float | None:
    """资金到位率: ``received ÷ budget evaluated × 100``, else as stated with that basis."""
    # Most projects and sub-items state neither the amount received nor any rate.
    if funds.received is not None and (computed := rate(funds.received, budget(funds))) is not None:
        return computed
    return _as_stated(funds, "received", _BUDGETS) if funds.stated_rates else None


def use_rate(funds: Funds, _ctx: object = None) -> float | None:
    """资金使用率: ``spent ÷ received × 100``, else as stated with that basis."""
    if funds.received is not None and (computed := rate(funds.spent, funds.received)) is not None:
        return computed
    return _as_stated(funds, "spent", ("received",)) if funds.stated_rates else None


def coverage(project: Project, _ctx: object = None) -> float | None:
    """本息覆盖倍数: ``expected_revenue ÷ debt_service``, else as stated."""
    if project.expected_revenue is not None and project.debt_service:
        return project.expected_revenue / project.debt_service
    return project.stated_coverage


def basis_text(numerator: str, num: float, denominator: str, den: float) -> str:
    """``支出200.88 ÷ 预算资金217.36 × 100``: how a rate was computed, in the report's words."""
    return f"{AMOUNT_LABELS[numerator]}{wan(num)} ÷ {AMOUNT_LABELS[denominator]}{wan(den)} × 100"


def grade_bands(batch: Batch | None, params: Mapping[str, Any] | None) -> GradeBands:
    """The grade bands in force: the batch's own, else the grade rule's parameters, else national.

    ``params`` are the grade rule's parameter values (``rulebook.rule(GRADE_RULE).params``).
    """
    if batch is not None and batch.grade_bands is not None:
        return batch.grade_bands
    if params:
        # Not validated again: parameters come from the rulebook and the command line, and a
        # mis-ordered set must not stop a run (the rule's own findings will show the oddity).
        return GradeBands.model_construct(
            excellent=float(params.get("excellent", NATIONAL_BANDS.excellent)),
            good=float(params.get("good", NATIONAL_BANDS.good)),
            passing=float(params.get("passing", NATIONAL_BANDS.passing)),
        )
    return NATIONAL_BANDS


def bands_text(bands: GradeBands) -> str:
    """The bands as a report states them, each lower bound inclusive:
    ``90分（含）以上为“优”，80分（含）至90分为“良”，60分（含）至80分为“中”，60分以下为“差”``."""
    e, g, p = (f"{v:g}分" for v in (bands.excellent, bands.good, bands.passing))
    return f"{e}（含）以上为“优”，{g}（含）至{e}为“良”，{p}（含）至{g}为“中”，{p}以下为“差”"


def band_text(score: float, bands: GradeBands) -> str:
    """The band a score falls in, as a report states it: ``80分（含）至90分``."""
    e, g, p = (f"{v:g}分" for v in (bands.excellent, bands.good, bands.passing))
    if score >= bands.excellent:
        return f"{e}（含）以上"
    if score >= bands.good:
        return f"{g}（含）至{e}"
    return f"{p}（含）至{g}" if score >= bands.passing else f"{p}以下"


def grade(score: float, bands: GradeBands) -> str:
    """优 / 良 / 中 / 差 for a score under the bands (lower bounds, inclusive)."""
    if score >= bands.excellent:
        return "优"
    if score >= bands.good:
        return "良"
    if score >= bands.passing:
        return "中"
    return "差"
