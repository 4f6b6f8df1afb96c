"""Money as sources state it: rates with their basis, rates without amounts, 结转, investment."""

import pytest

from auditcheck.check import Checker
from auditcheck.examples import example_record
from auditcheck.findings import Finding
from auditcheck.rulebook.load import Rulebook


@pytest.fixture(scope="module")
def checker(rulebook: Rulebook) -> Checker:
    return Checker(rulebook)


def findings(checker: Checker, fragment: dict) -> dict[str, Finding]:
    found, _ = checker.check_record(example_record(fragment, "x.yaml"))
    return {f.rule: f for f in found}


def use_rate(value: float) -> dict:
    return {"name": "资金使用率", "value": value, "numerator": "spent", "denominator": "received"}


def test_a_rate_is_checked_against_its_own_basis(checker: Checker) -> None:
    # 资金使用率 = 支出 ÷ 到位 = 68 ÷ 80 = 85 %: right on its basis, though spent ÷ budget is 68 %.
    right = {"budget": 100, "received": 80, "spent": 68, "stated_rates": [use_rate(85)]}
    assert "stated-rate-mismatch" not in findings(checker, right)
    wrong = {**right, "stated_rates": [use_rate(68)]}
    mismatch = findings(checker, wrong)["stated-rate-mismatch"]
    assert "资金使用率写作68.00%" in mismatch.message
    assert "支出68.00 ÷ 到位资金80.00 × 100计算为85.00%" in mismatch.message
    assert mismatch.field == "stated_rates[0].value"


def test_a_stated_execution_rate_alone_is_enough(checker: Checker) -> None:
    found = findings(checker, {"stated_execution_rate": 68.07})
    assert found["low-execution-rate"].message == "示例项目预算执行率为68.07%，低于90%。"
    assert found["low-execution-rate"].field == "stated_execution_rate"


def test_carried_forward_money_is_not_called_a_balance(checker: Checker) -> None:
    message = findings(checker, {"budget": 16760, "spent": 11000, "carried_forward": 5760})[
        "large-unspent-balance"
    ].message
    assert "结余" not in message
    assert message == "示例项目预算中未支出5760万元，结转下年5760万元，占预算的34.37%，数额较大。"


def test_an_investment_estimate_is_not_the_years_budget(checker: Checker) -> None:
    # 投资估算 67289.03 over several years; 16760 received and 15645.41 spent this year.
    found = findings(checker, {"investment": 67289.03, "received": 16760, "spent": 15645.41})
    assert "low-execution-rate" not in found and "large-unspent-balance" not in found
    assert "slow-spending" not in found  # 93.35 % of what was received


def test_whole_amounts_are_written_without_decimals(checker: Checker) -> None:
    message = findings(checker, {"budget": 15300, "spent": 10158.36})["low-execution-rate"].message
    assert message.startswith("示例项目预算资金15300万元，实际支出10158.36万元")


def test_a_department_budget_is_named_as_the_adjusted_budget(checker: Checker) -> None:
    message = findings(checker, {"adjusted_budget": 3888.28, "spent": 3000})["low-execution-rate"]
    assert message.message.startswith("示例项目调整后预算3888.28万元")


def test_coverage_of_bond_service_is_computed_and_cross_checked(checker: Checker) -> None:
    found = findings(
        checker, {"expected_revenue": 20000, "debt_service": 19000, "stated_coverage": 1.2}
    )
    assert "本息覆盖倍数为1.05，低于1.1" in found["debt-repayment-risk"].message
    assert "本息覆盖倍数写作1.2倍" in found["stated-rate-mismatch"].message
