"""Remittance accounting: the balance by party, denials and underpayments, from the cases in
``accounting_cases.yaml`` (each named as a sentence), and the classifier's part in it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.reference.strict_yaml import load_strict_yaml
from ptbill.remittance.accounting import ClaimAccount, Expected, ExpectedLine, Outcome, account_claim

CASES = Path(__file__).with_name("accounting_cases.yaml")
BALANCE_KEYS = (
    "charge",
    "payer",
    "patient",
    "deductible",
    "coinsurance",
    "copay",
    "contractual",
    "sequestration",
    "other_adjustments",
    "written_off",
    "allowed",
    "unexplained",
)


def adjustment(text: str) -> Adjustment:
    code, amount = text.split()
    group, reason = code.split("-")
    return Adjustment(AdjustmentGroup(group), reason, Decimal(amount))


def service(raw: dict[str, Any]) -> ServicePayment:
    code, charge, paid = raw["line"].split()
    adjustments = tuple(adjustment(a) for a in raw.get("adjustments", []))
    return ServicePayment("HC", code, ("GP",), Decimal(charge), Decimal(paid), adjustments=adjustments)


def answer(raw: dict[str, Any]) -> ClaimPayment:
    lines = tuple(service(line) for line in raw.get("lines", []))
    return ClaimPayment(
        "CLAIM-1",
        ClaimStatus(raw["status"]),
        Decimal(raw["charge"]) if "charge" in raw else sum((s.charge for s in lines), Decimal(0)),
        Decimal(raw["paid"]) if "paid" in raw else sum((s.paid for s in lines), Decimal(0)),
        adjustments=tuple(adjustment(a) for a in raw.get("adjustments", [])),
        service_lines=lines,
    )


def expected_line(number: int, text: str) -> ExpectedLine:
    code, allowed, *share = text.split()
    return ExpectedLine(number, code, Decimal(allowed), Decimal(share[0]) if share else None)


def account_of(case: dict[str, Any]) -> ClaimAccount:
    lines = tuple(expected_line(n, text) for n, text in enumerate(case["expected"], start=1))
    allowed = sum((line.allowed or Decimal(0) for line in lines), Decimal(0)) if lines else None
    return account_claim([answer(a) for a in case["answers"]], Expected(allowed, lines))


def balance_value(account: ClaimAccount, key: str) -> Decimal:
    return account.balance.payer_paid if key == "payer" else getattr(account.balance, key)


CASE_LIST = load_strict_yaml(CASES.read_text(), str(CASES.name))


@pytest.mark.parametrize("case", CASE_LIST, ids=[c["name"] for c in CASE_LIST])
def test_accounting_case(case: dict[str, Any]) -> None:
    account = account_of(case)
    then = case["then"]
    for key in BALANCE_KEYS:
        if key in then:
            assert balance_value(account, key) == Decimal(then[key]), key
    if "outcome" in then:
        assert account.outcome is Outcome(then["outcome"])
    for key in ("denied", "has_denial"):
        if key in then:
            assert getattr(account, key) is then[key], key
    for key in ("underpaid", "denied_amount"):
        if key in then:
            assert getattr(account, key) == Decimal(then[key]), key
    if "main_denial" in then:
        main = account.main_denial
        assert main is not None
        assert f"{main.group}-{main.carc}" == then["main_denial"]
    if "line_outcomes" in then:
        assert [line.outcome.value for line in account.lines] == then["line_outcomes"]
    if "line_underpaid" in then:
        assert [line.underpaid for line in account.lines] == [Decimal(v) for v in then["line_underpaid"]]
    known = {*BALANCE_KEYS, "outcome", "denied", "has_denial", "underpaid", "denied_amount", "main_denial"}
    assert set(then) <= known | {"line_outcomes", "line_underpaid"}, "an unknown key in the case's then"


def test_a_claim_never_answered_is_neither_denied_nor_underpaid() -> None:
    account = account_claim([], Expected(Decimal("100.00"), (ExpectedLine(1, "97110", Decimal("100.00")),)))
    assert (account.denied, account.has_denial, account.underpaid) == (False, False, Decimal("0.00"))


def test_posting_matching_decides_which_billed_line_an_answer_belongs_to() -> None:
    lines = (ExpectedLine(1, "97110", Decimal("50.00")), ExpectedLine(2, "97110", Decimal("50.00")))
    paid = answer(
        {"status": "1", "lines": [{"line": "97110 80.00 40.00", "adjustments": ["CO-45 30.00", "PR-2 10.00"]}]}
    )
    account = account_claim([paid], Expected(Decimal("100.00"), lines), matched=[[2]])
    assert [(line.line_number, line.answered, line.balance.payer_paid) for line in account.lines] == [
        (1, False, Decimal("0")),
        (2, True, Decimal("40.00")),
    ]
