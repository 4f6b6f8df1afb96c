"""Cross-checks of stated figures: the seed's slips, and properties over generated records."""

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditcheck.check import Checker
from auditcheck.crosschecks import crosschecks_of
from auditcheck.examples import example_record
from auditcheck.facts import Fact
from auditcheck.rulebook.load import load_rulebook
from auditcheck.vocabulary import Context

from .conftest import FIXTURES, RULES, cli_json, seed_copy
from .test_vocabulary import full_record

CHECKER = Checker(load_rulebook(RULES, select=["data-consistency"]))


def test_the_seed_slips_and_nothing_else() -> None:
    code, data, _ = cli_json("run", "fixtures/2023", "--select", "data-consistency")
    assert code == 1  # data-consistency findings are errors
    found = {(f["rule"], f["record"], f["field"]) for f in data["findings"]}
    assert found == {
        # 项目平均总体支付率 75% is the plain mean of 66.39% and 83.61%; weighted it is 67.93%.
        ("average-rate-not-weighted", "special-bonds", "stated_average_rate"),
        # 租金补贴执行率: 92.42% in 二（四）, 92.40% in 三（一）1(2); 200.88 / 217.36 = 92.418%.
        (
            "figure-stated-twice-differs",
            "housing-security",
            "subitems[2].stated_execution_rate_again",
        ),
        ("stated-rate-mismatch", "housing-security", "subitems[2].stated_execution_rate_again"),
        # 83 clinics upgraded in 三（一）2(1), 73 in 二（五）.
        ("figure-stated-twice-differs", "village-clinics", "targets[0].stated_actual_again"),
    }
    messages = " ".join(f["message"] for f in data["findings"])
    for figure in ("75.00%", "67.93%", "92.40%", "92.42%", "73个", "83个"):
        assert figure in messages
    housing = (FIXTURES / "04-housing-security.yaml").read_text("utf-8").splitlines()
    first = housing.index("    stated_execution_rate: 92.42") + 1
    again = housing.index("    stated_execution_rate_again: 92.40") + 1
    for line in (first, again):  # both places named
        assert f"fixtures/2023/04-housing-security.yaml:{line}" in messages


def fired(fragment: dict) -> set[str]:
    findings, _ = CHECKER.check_record(example_record(fragment, "generated.yaml"))
    return {f.rule for f in findings}


cents = st.integers(min_value=1, max_value=10_000_000)  # 0.01 … 100,000.00 万元


def money(value: int) -> float:
    return float(Decimal(value) / 100)


@st.composite
def consistent_records(draw: st.DrawFn) -> dict:
    """A record whose every stated figure agrees with the amounts it follows from."""
    budget = draw(cents)
    spent = draw(st.integers(min_value=0, max_value=budget))
    split = draw(st.integers(min_value=0, max_value=budget))
    low = max(0, spent - (budget - split))
    first_spent = draw(st.integers(min_value=low, max_value=min(split, spent)))
    items = [(split, first_spent), (budget - split, spent - first_spent)]
    record = {
        "budget": money(budget),
        "spent": money(spent),
        "stated_balance": money(budget - spent),
        "stated_execution_rate": round(spent / budget * 100, 2),
        "sources": [
            {"name": "甲", "amount": money(split)},
            {"name": "乙", "amount": money(budget - split)},
        ],
        "subitems": [
            {
                "name": f"子项{i}",
                "budget": money(b),
                "spent": money(s),
                "stated_balance": money(b - s),
                **({"stated_execution_rate": round(s / b * 100, 2)} if b else {}),
            }
            for i, (b, s) in enumerate(items)
        ],
        "stated_average_rate": round(spent / budget * 100, 2),
    }
    return record


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(consistent_records())
def test_consistent_records_never_fire(record: dict) -> None:
    assert fired(record) == set()


PERTURBABLE = [
    ("stated_balance", "stated-balance-mismatch"),
    ("stated_execution_rate", "stated-rate-mismatch"),
    ("stated_average_rate", "average-rate-not-weighted"),
    ("budget", None),  # the budget is part of several checks: some rule must fire
]


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(
    consistent_records(),
    st.sampled_from(PERTURBABLE),
    st.integers(min_value=2, max_value=10_000),  # 0.02 … 100.00, beyond the 0.01 tolerance
    st.booleans(),
)
def test_perturbing_one_stated_figure_always_fires(record, target, delta_cents, up) -> None:
    key, rule = target
    delta = money(delta_cents) * (1 if up or record[key] < money(delta_cents) else -1)
    record[key] = round(record[key] + delta, 2)
    rules = fired(record)
    if rule is None:
        assert rules, record
    else:
        assert rule in rules, record


def test_each_table_row_is_checked_against_its_own_record(tmp_path) -> None:
    # Two rows name village-clinics: the second one differs from its budget (296.29).
    row = "  - {project: village-clinics, amount: 296.29}\n"
    batch = seed_copy(tmp_path, {"batch.yaml": [(row, row + row.replace("296.29", "269.29"))]})
    code, data, _ = cli_json("run", str(batch), "--select", "figure-stated-twice-differs")
    assert code == 1
    found = [(f["record"], f["field"]) for f in data["findings"] if f["field"].startswith("table")]
    assert found == [("village-clinics", "table[5].amount")]


def test_what_only_a_finding_shows_is_worked_out_when_asked() -> None:
    # A pair keeps its basis as a function and its places as keys under its base; these are
    # the full record's figures (budget 1000, spent 800 …), as the old eager pairs gave them.
    record = full_record()
    pairs = {(f.item.check, f.item.subject): f.item for f in crosschecks_of(record)}
    shown = {
        key: (p.stated_path, p.computed_path, p.basis, p.difference, p.days)
        for key, p in pairs.items()
    }
    assert shown[("balance", "结余")] == (
        ("stated_balance",),
        ("spent",),
        "预算资金1000.00 − 支出800.00",
        0.0,
        None,
    )
    assert shown[("rate", "预算执行率")][2] == "支出800.00 ÷ 预算资金1000.00 × 100"
    assert shown[("count", "子项目总数")][:3] == (
        ("subprojects", "total"),
        ("subprojects", "in_progress"),
        "已完工6 + 在建4",
    )
    assert shown[("date-order", "子项目甲实际完工至决算审计")] == (
        ("subitems", 0, "schedule", "final_audit"),
        ("subitems", 0, "schedule", "actual_completion"),
        "2023-08-31 → 2024-05-31",
        None,
        274,
    )
    average = pairs[("average", "各子项目平均执行率")]
    assert average.basis == "支出合计500.00 ÷ 预算合计600.00 × 100"
    assert average.note == "各子项目执行率的简单平均为83.33%"
    line = record.doc.position(("subitems", 0, "schedule", "final_audit")).line
    assert pairs[("date-order", "子项目甲实际完工至决算审计")].stated_at.endswith(f":{line}")


def test_a_pair_is_the_fact_of_its_own_item() -> None:
    # A pair sets the fact's attributes itself (one object a pair, not two): each must be what
    # Fact would set for a crosscheck fact of that record, in that record's document.
    record = full_record()
    pairs = crosschecks_of(record)
    assert len(pairs) > 10
    for pair in pairs:
        plain = Fact("crosscheck", record.project.id, (), pair, Context(), "", record.doc)
        for name in Fact.__slots__:
            assert getattr(pair, name) == getattr(plain, name), name
        # The checker writes a pair for durable as its own item, without reading ``item``.
        assert pair.item is pair and pair.values is not plain.values
    assert len({id(pair.values) for pair in pairs}) == len(pairs)
