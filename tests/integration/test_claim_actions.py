"""The claim page's service and its actions (SQLite and PostgreSQL): the timeline and payments of a paid claim
with one denied line, corrected and void claims where the payer takes them, a reopening request where it does
not (Medicare Part B), write-offs that never exceed the open balance, and a note returned to its therapist."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.remittance import Adjustment, AdjustmentGroup, Remittance
from ptbill.domain.status import ClaimState, EncounterState
from ptbill.services import (
    access,
    batches,
    billing,
    claim_page,
    frozen_claims,
    note_returns,
    notes,
    posting,
    reopening,
    write_offs,
)
from ptbill.services.balances import claim_balances
from ptbill.storage.tables import ClaimRow, EncounterRow
from tests.integration.test_posting import remittance_for, through_x12
from tests.integration.test_storage_services import CLEAN, make_clinic
from tests.pyx12_check import pyx12_errors

D = Decimal
TRADING = TradingConfig(TEST_TRADING, {})
ROOT = Path(__file__).resolve().parents[2]
COMMERCIAL: dict[str, Any] = json.loads((ROOT / "tests/scenarios/commercial-lumbar-clean.json").read_text())


def billed(
    session: Session, name: str, document: dict[str, Any] = CLEAN
) -> tuple[access.Actor, access.Actor, ClaimRow]:
    pt, biller, patient = make_clinic(session, name)
    row, _ = notes.save_encounter(session, pt, json.loads(json.dumps(document)), patient.id)
    notes.sign_encounter(session, pt, row.id)
    built = billing.build_claims(session, biller, [row.id])[0]
    stored = session.get(ClaimRow, built.id)
    assert stored is not None
    return pt, biller, stored


def one_line_denied(claim: ClaimRow, trace: str = "EFT-2001") -> Remittance:
    """The payer pays every line but the last, which it denies as not medically necessary (CO-50, N115)."""
    remittance = remittance_for(claim, trace=trace)
    (answer,) = remittance.claims
    *paid, last = answer.service_lines
    denied = dataclasses.replace(
        last,
        paid=D("0.00"),
        adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, "50", last.charge),),
        remark_codes=("N115",),
    )
    lines = (*paid, denied)
    total = sum((s.paid for s in lines), D(0))
    answer = dataclasses.replace(answer, service_lines=lines, paid=total, patient_responsibility=D(len(paid)))
    return dataclasses.replace(remittance, claims=(answer,), payment_amount=total)


def sent_and_answered(session: Session, biller: access.Actor, claim: ClaimRow) -> None:
    batch = batches.create_batch(session, biller, [claim.id], TRADING, confirm_late=True)
    batches.mark_batch_submitted(session, biller, batch.id, confirm_late=True)
    posting.post_remittances(session, biller, through_x12(one_line_denied(claim)), "era-0320.835")


def test_the_page_of_a_paid_claim_with_one_denied_line(session: Session) -> None:
    _, biller, claim = billed(session, "cp-page")
    sent_and_answered(session, biller, claim)
    page = claim_page.claim_page(session, biller, claim.id)
    assert [e.kind for e in page.timeline] == ["created", "batched", "submitted", "answered"]
    assert page.timeline[-1].label == "Partially paid, some denied"
    (payment,) = page.payments
    assert (payment.source_name, payment.trace_number, payment.payment_date) == (
        "era-0320.835",
        "EFT-2001",
        date(2026, 3, 20),
    )
    last = payment.lines[-1]
    assert (last.paid, last.line_number) == (D("0.00"), claim.lines[-1].line_number)
    (adjustment,) = last.adjustments
    assert (adjustment.group, adjustment.code, adjustment.amount) == ("CO", "50", claim.lines[-1].charge)
    assert "medical necessity" in adjustment.text.lower() or "not deemed" in adjustment.text.lower()
    assert last.remarks[0].code == "N115"
    assert "unknown" not in last.remarks[0].text
    assert page.open.payer == claim.lines[-1].charge  # the denied line is still open on the payer's side
    assert page.open.patient == D(len(claim.lines) - 1)
    assert page.frozen.diagnoses
    assert page.frozen.lines[0].code == claim.lines[0].code
    assert page.replacement_refusal is not None
    assert "reopen" in page.replacement_refusal
    assert any(h.action == "create" for h in page.history)


def test_medicare_refuses_a_corrected_claim_and_a_void_and_the_reopening_request_is_a_pdf(session: Session) -> None:
    _, biller, claim = billed(session, "cp-medicare")
    sent_and_answered(session, biller, claim)
    assert claim.payer_claim_number
    for action in (frozen_claims.correct_claim, frozen_claims.void_claim):
        with pytest.raises(access.ConflictError, match=r"does not take replacement .* reopen"):
            action(session, biller, claim.id)
    with pytest.raises(access.InvalidChangeError, match="change: say"):
        reopening.request_reopening(session, biller, claim.id, " ", "clerical error")
    request = reopening.request_reopening(
        session, biller, claim.id, "Line 3: 97140 units 1, not 2 <b>&</b>", "Clerical error in units"
    )
    pdf = reopening.reopening_pdf(session, biller, claim.id, request.id)
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    assert claim.payer_claim_number in text
    assert "03/02/2026" in text
    assert "97140 units 1, not 2 <b>&</b>" in text  # typed text printed as written, not read as markup
    assert "405.980" in text
    other_clinic = make_clinic(session, "cp-medicare-other")[1]
    with pytest.raises(access.NotFoundError):
        reopening.reopening_pdf(session, other_clinic, claim.id, request.id)


def test_a_commercial_payer_takes_a_corrected_claim_and_a_void_pyx12_accepts(session: Session) -> None:
    _, biller, claim = billed(session, "cp-commercial", COMMERCIAL)
    claim.status = ClaimState.SUBMITTED
    with pytest.raises(access.ConflictError, match="never adjudicated it, so resubmit"):
        frozen_claims.void_claim(session, biller, claim.id)
    claim.payer_claim_number = "AET-555"
    corrected = frozen_claims.correct_claim(session, biller, claim.id)
    text = billing.claim_837p(session, biller, corrected.id, TRADING)
    assert ":B:7*" in text
    assert "REF*F8*AET-555~" in text
    assert pyx12_errors(text) == []
    with pytest.raises(access.ConflictError, match=f"already corrected by claim {corrected.id}"):
        frozen_claims.void_claim(session, biller, claim.id)
    stored = session.get(ClaimRow, corrected.id)
    assert stored is not None
    stored.status, stored.payer_claim_number = ClaimState.PAID, "AET-556"
    void = frozen_claims.void_claim(session, biller, corrected.id)
    assert (void.frequency, void.corrects_claim_id, void.patient_control_number) == (
        "8",
        corrected.id,
        f"{claim.patient_control_number}-V2",
    )
    text = billing.claim_837p(session, biller, void.id, TRADING)
    assert ":B:8*" in text
    assert "REF*F8*AET-556~" in text
    assert pyx12_errors(text) == []
    page = claim_page.claim_page(session, biller, corrected.id)
    assert [e.kind for e in page.timeline][-1] == "voided"
    assert page.correction_blocked
    assert "Already replaced" in page.correction_blocked


def test_a_clinic_can_say_its_medicare_contractor_takes_corrected_claims(session: Session) -> None:
    from ptbill.services import payers

    _, biller, claim = billed(session, "cp-override")
    claim.status, claim.payer_claim_number = ClaimState.PAID, "ICN-1"
    payers.set_payer_parameter(
        session, biller, claim.payer_id, "claims.accepts_replacement_claims", True, date(2026, 1, 1), "MAC letter"
    )
    assert frozen_claims.correct_claim(session, biller, claim.id).frequency == "7"


def test_write_offs_never_exceed_the_open_balance_and_every_reader_sees_them(session: Session) -> None:
    _, biller, claim = billed(session, "cp-writeoff")
    sent_and_answered(session, biller, claim)
    (before,) = claim_balances(session, biller, [billing.get_claim(session, biller, claim.id)])
    assert before.open is not None
    with pytest.raises(access.InvalidChangeError, match="reason_text: say why"):
        write_offs.write_off(session, biller, claim.id, D("1.00"), "other")
    with pytest.raises(access.InvalidChangeError, match="reason_code"):
        write_offs.write_off(session, biller, claim.id, D("1.00"), "because")
    with pytest.raises(access.InvalidChangeError, match="amount"):
        write_offs.parse_amount("12.345")
    with pytest.raises(access.ConflictError, match="more than the claim's open balance"):
        write_offs.write_off(session, biller, claim.id, before.open.total + D("0.01"), "bad_debt")
    write_offs.write_off(session, biller, claim.id, D("1.00"), "small_balance")
    denied = claim.lines[-1]
    write_offs.write_off(
        session, biller, claim.id, denied.charge, "not_medically_necessary", line_number=denied.line_number
    )
    (after,) = claim_balances(session, biller, [billing.get_claim(session, biller, claim.id)])
    assert after.open is not None
    assert (after.open.payer, after.open.patient) == (before.open.payer - denied.charge, before.open.patient - 1)
    page = claim_page.claim_page(session, biller, claim.id)
    assert [e.kind for e in page.timeline][-2:] == ["written_off", "written_off"]
    therapist = make_clinic(session, "cp-writeoff-pt")[0]
    with pytest.raises(access.ForbiddenError):
        write_offs.write_off(session, therapist, claim.id, D("1.00"), "small_balance")


def test_a_returned_note_goes_back_to_draft_until_signed_again(session: Session) -> None:
    pt, biller, patient = make_clinic(session, "cp-return")
    row, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    notes.sign_encounter(session, pt, row.id)
    with pytest.raises(access.InvalidChangeError, match="message"):
        note_returns.return_note(session, biller, row.id, "  ")
    returned = note_returns.return_note(session, biller, row.id, "Add the patient's response to traction.")
    assert returned.back_to_draft
    assert session.get(EncounterRow, row.id).status == EncounterState.DRAFT  # type: ignore[union-attr]
    shown = note_returns.open_returns(session, pt)
    assert shown[row.id].message == "Add the patient's response to traction."
    notes.sign_encounter(session, pt, row.id)
    assert note_returns.open_returns(session, pt) == {}


def test_a_billed_note_stays_billed_and_the_message_asks_for_a_correction(session: Session) -> None:
    pt, biller, claim = billed(session, "cp-return-billed")
    returned = note_returns.return_note(session, biller, claim.encounter_id, "Units for 97140 look high.", claim.id)
    assert not returned.back_to_draft
    assert session.get(EncounterRow, claim.encounter_id).status == EncounterState.BILLED  # type: ignore[union-attr]
    assert note_returns.open_returns(session, pt)[claim.encounter_id].claim_id == claim.id
    note_returns.resolve_return(session, biller, returned.id)
    assert note_returns.open_returns(session, pt) == {}
