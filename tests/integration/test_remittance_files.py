"""835 files posted in the app (services.remittance_files), payments that reconcile with their PLB rows
(services.payments) and the unmatched worklist's manual match (services.unmatched), on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import ClaimPayment, PaymentMethod, ProviderAdjustment
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, payments, remittance_files, unmatched
from ptbill.storage.tables import (
    ClaimPaymentRow,
    ClaimRow,
    ProviderAdjustmentRow,
    RemittanceFileRow,
    RemittanceRow,
)
from tests.integration.test_posting import billed_claim, remittance_for

D = Decimal
LIMIT = 1024 * 1024


def count(session: Session, table: type, clinic_id: int) -> int:
    return session.scalar(select(func.count()).select_from(table).where(table.clinic_id == clinic_id)) or 0  # type: ignore[attr-defined]


def test_the_same_835_uploaded_twice_posts_once_and_says_already_posted(session: Session) -> None:
    biller, claim = billed_claim(session, "rf1")
    data = write_835(remittance_for(claim, trace="EFT-RF1")).encode()
    first = remittance_files.post_file(session, biller, "era.835", data, max_bytes=LIMIT)
    again = remittance_files.post_file(session, biller, "era (copy).835", data, max_bytes=LIMIT)
    assert (first.outcome, again.outcome) == ("posted", "already_posted")
    assert "already posted" in again.message
    assert first.file is not None
    assert again.file is not None
    assert again.file.id == first.file.id
    assert first.file.summary.claims_matched == 1
    assert first.file.summary.payments_total == claim.paid_amount > 0
    assert count(session, RemittanceFileRow, biller.clinic_id) == 1
    assert count(session, ClaimPaymentRow, biller.clinic_id) == 1
    assert (
        remittance_files.get_file(session, biller, first.file.id).summary.payment_ids == first.file.summary.payment_ids
    )


def test_a_malformed_835_posts_nothing_and_names_the_segment(session: Session) -> None:
    biller, claim = billed_claim(session, "rf2")
    text = write_835(remittance_for(claim, trace="EFT-RF2"))
    broken = text.replace(
        "CLP*" + claim.patient_control_number + "*1*", "CLP*" + claim.patient_control_number + "*1*X", 1
    )
    result = remittance_files.post_file(session, biller, "bad.835", broken.encode(), max_bytes=LIMIT)
    assert (result.outcome, result.reason) == ("refused", "malformed")
    assert "(CLP)" in result.message, result.message
    assert "CLP03" in result.message
    assert count(session, RemittanceRow, biller.clinic_id) == 0
    assert count(session, RemittanceFileRow, biller.clinic_id) == 0
    assert claim.paid_amount == D("0.00")


def test_refusals_say_what_and_why(session: Session) -> None:
    biller, claim = billed_claim(session, "rf3")
    data = write_835(remittance_for(claim, trace="EFT-RF3")).encode()
    too_big = remittance_files.post_file(session, biller, "big.835", data, max_bytes=100)
    assert too_big.reason == "too_big"
    assert "the limit is 100 bytes" in too_big.message
    not_835 = remittance_files.post_file(session, biller, "photo.png", b"\x89PNG\r\n\x1a\n", max_bytes=LIMIT)
    assert not_835.reason == "not_835"
    assert "not an X12 835" in not_835.message
    an_837 = remittance_files.post_file(
        session, biller, "claims.837", data.replace(b"ST*835", b"ST*837"), max_bytes=LIMIT
    )
    assert an_837.reason == "not_835"
    remittance = remittance_for(claim, trace="EFT-RF3")
    short = write_835(dataclasses.replace(remittance, payment_amount=remittance.payment_amount - D("10.00")))
    unbalanced = remittance_files.post_file(session, biller, "short.835", short.encode(), max_bytes=LIMIT)
    assert unbalanced.reason == "unbalanced"
    assert "(BPR02)" in unbalanced.message
    assert count(session, RemittanceRow, biller.clinic_id) == 0


def test_a_payment_with_provider_adjustments_reconciles_and_stores_method_check_and_plb_rows(session: Session) -> None:
    biller, claim = billed_claim(session, "rf4")
    base = remittance_for(claim, trace="CHK-000417")
    plb = (
        ProviderAdjustment("1245319599", date(2026, 12, 31), "WO", claim.patient_control_number, D("12.50")),
        ProviderAdjustment("1245319599", date(2026, 12, 31), "L6", None, D("-2.25")),
    )
    remittance = dataclasses.replace(
        base,
        provider_adjustments=plb,
        payment_amount=base.payment_amount - D("10.25"),
        payment_method=PaymentMethod.CHECK,
    )
    text = write_835(remittance).replace("*C*ACH*", "*C*CHK*", 1)  # the simulator always writes ACH
    result = remittance_files.post_file(session, biller, "check.835", text.encode(), max_bytes=LIMIT)
    assert result.outcome == "posted", result.message
    assert result.file is not None
    assert result.file.summary.plb_total == D("10.25")
    [payment] = payments.list_payments(session, biller)
    assert (payment.method, payment.check_number) == ("CHK", "CHK-000417")
    assert payment.total == payment.claims_paid - payment.plb_total
    assert payment.reconciled
    assert payment.plb_total == D("10.25")
    detail = payments.get_payment(session, biller, payment.id)
    assert [(a.reason_code, a.amount, a.claim_id) for a in detail.adjustments] == [
        ("WO", D("12.50"), claim.id),
        ("L6", D("-2.25"), None),
    ]
    assert [c.claim_id for c in detail.claims] == [claim.id]
    assert count(session, ProviderAdjustmentRow, biller.clinic_id) == 2
    # A payment whose stored rows do not add up shows the difference.
    session.execute(
        RemittanceRow.__table__.update().where(RemittanceRow.id == payment.id).values(payment_amount=payment.total + 1)
    )
    [off] = payments.list_payments(session, biller)
    assert not off.reconciled
    assert off.difference == D("1.00")
    assert payments.list_payments(session, biller, date_from=date(2026, 3, 21)) == []
    assert payments.list_payments(session, biller, payer="NOPE") == []


def test_an_unmatched_payment_is_matched_by_hand_once(session: Session) -> None:
    biller, claim = billed_claim(session, "rf5")
    base = remittance_for(claim, trace="EFT-RF5")
    stray = dataclasses.replace(base.claims[0], patient_control_number="TYPO-" + claim.patient_control_number[-6:])
    text = write_835(dataclasses.replace(base, claims=(stray,)))
    result = remittance_files.post_file(session, biller, "era.835", text.encode(), max_bytes=LIMIT)
    assert result.file is not None
    assert result.file.summary.unmatched_claims == (stray.patient_control_number,)
    [item] = unmatched.list_unmatched(session, biller)
    found = unmatched.find_claims(session, biller, claim.patient_control_number)
    assert [c.id for c in found] == [claim.id]
    assert [c.id for c in unmatched.find_claims(session, biller, "", claim.service_date)] == [claim.id]
    done = unmatched.match_payment(session, biller, item.id, claim.id)
    session.expire_all()
    stored = session.get(ClaimRow, claim.id)
    assert stored is not None
    assert done.claim_status == stored.status
    assert stored.paid_amount == stray.paid
    assert all(line.paid_amount > 0 for line in stored.lines)
    assert unmatched.list_unmatched(session, biller) == []
    with pytest.raises(access.ConflictError):
        unmatched.match_payment(session, biller, item.id, claim.id)
    assert session.get(ClaimRow, claim.id).paid_amount == stray.paid  # type: ignore[union-attr]


def test_another_clinic_cannot_see_or_match(session: Session) -> None:
    biller, claim = billed_claim(session, "rf6")
    other, _ = billed_claim(session, "rf7")
    base = remittance_for(claim, trace="EFT-RF6")
    stray: ClaimPayment = dataclasses.replace(base.claims[0], patient_control_number="STRAY-1")
    remittance_files.post_file(
        session, biller, "era.835", write_835(dataclasses.replace(base, claims=(stray,))).encode(), max_bytes=LIMIT
    )
    [item] = unmatched.list_unmatched(session, biller)
    assert unmatched.list_unmatched(session, other) == []
    assert payments.list_payments(session, other) == []
    assert remittance_files.list_files(session, other) == []
    with pytest.raises(access.NotFoundError):
        unmatched.match_payment(session, other, item.id, claim.id)
    with pytest.raises(access.NotFoundError):
        unmatched.match_payment(session, biller, item.id, 10**9)
