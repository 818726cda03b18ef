"""Coordination of benefits on SQLite and PostgreSQL: a Medicare primary's 835 builds the Medigap secondary
837P (loops 2320/2330A/2330B/2430, judged clean by pyx12), the secondary's 835 leaves the patient what the
hand computation says; a crossover builds no secondary and its 835 posts on a row made for it."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import FixedClock
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, batches, billing, cob, notes, patients, posting, statements
from ptbill.storage.tables import ClaimRow, EncounterRow
from tests.integration.test_storage_services import CLEAN, make_clinic
from tests.pyx12_check import pyx12_errors

D = Decimal
CO, PR, OA = AdjustmentGroup.CONTRACTUAL, AdjustmentGroup.PATIENT, AdjustmentGroup.OTHER
DAY = date(2026, 3, 2)
TRADING = TradingConfig(TEST_TRADING, {})

# The clean Medicare note bills three lines: 97012 $28.46, 97110 $57.58, 97140 $54.34 (total $140.38).
# Medicare allows 11.94, 31.13 and 22.05. What each line's answer says:
#   97012: CO-45 16.52, PR-1 (deductible) 11.94,                      paid  0.00  (0 + 16.52 + 11.94 = 28.46)
#   97110: CO-45 26.45, PR-2 (20% of 31.13) 6.23, CO-253 (2%) 0.50,   paid 24.40  (24.40 + 26.45 + 6.23 + 0.50)
#   97140: CO-45 32.29, PR-2 (20% of 22.05) 4.41, CO-253 (2%) 0.35,   paid 17.29  (17.29 + 32.29 + 4.41 + 0.35)
# Medicare pays 41.69; the patient owes 11.94 + 6.23 + 4.41 = 22.58 after it.
PRIMARY = {
    "97012": ("28.46", "0.00", [(CO, "45", "16.52"), (PR, "1", "11.94")]),
    "97110": ("57.58", "24.40", [(CO, "45", "26.45"), (PR, "2", "6.23"), (CO, "253", "0.50")]),
    "97140": ("54.34", "17.29", [(CO, "45", "32.29"), (PR, "2", "4.41"), (CO, "253", "0.35")]),
}
# The Medigap plan pays the coinsurance (6.23 + 4.41 = 10.64), not the Part B deductible; the rest of each
# charge is OA-23 (the prior payer's adjudication) and the deductible stays PR-1.
SECONDARY = {
    "97012": ("28.46", "0.00", [(OA, "23", "16.52"), (PR, "1", "11.94")]),
    "97110": ("57.58", "6.23", [(OA, "23", "51.35")]),
    "97140": ("54.34", "4.41", [(OA, "23", "49.93")]),
}
# By hand: 140.38 charged - 41.69 Medicare paid - 75.26 CO-45 - 0.85 CO-253 - 10.64 Medigap paid = 11.94 owed.
PATIENT_OWES = D("140.38") - D("41.69") - D("75.26") - D("0.85") - D("10.64")


def answer(
    number: str,
    status: ClaimStatus,
    lines: dict[str, tuple[str, str, list[tuple[AdjustmentGroup, str, str]]]],
    *,
    payer: str,
    trace: str,
    remarks: tuple[str, ...] = (),
    carrier: str | None = None,
) -> Remittance:
    services = tuple(
        ServicePayment(
            "HC",
            code,
            ("GP",),
            D(charge),
            D(paid),
            adjustments=tuple(Adjustment(group, reason, D(value)) for group, reason, value in adjustments),
            service_start=DAY,
        )
        for code, (charge, paid, adjustments) in lines.items()
    )
    paid = sum((s.paid for s in services), D(0))
    owed = sum((a.amount for s in services for a in s.adjustments if a.group is PR), D(0))
    payment = ClaimPayment(
        number,
        status,
        sum((s.charge for s in services), D(0)),
        paid,
        patient_responsibility=owed,
        payer_claim_control_number=f"{payer[:4]}-77",
        patient=PatientName("TESTWELL", "AVA"),
        service_lines=services,
        remark_codes=remarks,
        crossover_carrier=carrier,
    )
    remittance = Remittance(
        payer_name=payer,
        payer_id=payer[:10],
        payee_name="HARBOR PT",
        payee_npi="1245319599",
        payee_tax_id=None,
        handling=None,
        payment_amount=paid,
        credit_debit=None,
        payment_method=None,
        payment_date=date(2026, 3, 20),
        trace_number=trace,
        originating_company_id=None,
        production_date=None,
        claims=(payment,),
    )
    return next(iter(read_835(write_835(remittance))))  # through real X12, as a payer sends it


def medicare_and_medigap(session: Session, name: str, *, medigap: bool = True) -> tuple[access.Actor, ClaimRow]:
    """A billed Medicare claim for a patient with Medicare primary and (``medigap``) a Medigap secondary."""
    pt, biller, patient = make_clinic(session, name)
    patients.add_coverage(session, biller, patient.id, {"payer_id": "ca-medicare-south", "member_id": "1EG4TE5MK73"})
    if medigap:  # Aetna's Medicare Supplement plan
        patients.add_coverage(session, biller, patient.id, {"payer_id": "aetna", "member_id": "MS88123456"})
    row, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    notes.sign_encounter(session, pt, row.id)
    built = billing.build_claims(session, biller, [row.id])[0]
    claim = session.get(ClaimRow, built.id)
    assert claim is not None
    return biller, claim


def secondary_of(session: Session, primary: ClaimRow) -> ClaimRow | None:
    return session.scalar(select(ClaimRow).where(ClaimRow.prior_claim_id == primary.id))


def test_the_medigap_secondary_is_billed_after_medicare_and_the_patient_owes_the_hand_computed_amount(
    session: Session,
) -> None:
    biller, primary = medicare_and_medigap(session, "cob1")
    assert (primary.payer_sequence, primary.coverage_id is not None) == ("P", True)
    primary_835 = answer(primary.patient_control_number, ClaimStatus.PRIMARY, PRIMARY, payer="CA MEDICARE", trace="M1")
    posting.post_remittances(session, biller, [primary_835], "medicare.835")
    session.refresh(primary)
    assert (primary.paid_amount, primary.patient_responsibility) == (D("41.69"), D("22.58"))

    secondary = secondary_of(session, primary)
    assert secondary is not None, "posting the primary's answer builds the Medigap claim"
    assert (secondary.payer_sequence, secondary.payer_id, secondary.status) == ("S", "aetna", "built")
    assert secondary.batch_id is None
    assert secondary.total_charge == D("140.38")

    text = billing.claim_837p(session, biller, secondary.id, TRADING)
    assert pyx12_errors(text) == []
    segments = [s.split("*") for s in text.split("~") if s.strip()]
    ids = [s[0] for s in segments]
    assert segments[ids.index("SBR")][:2] == ["SBR", "S"]  # 2000B: Medigap is the payer now
    loop_2320 = segments[ids.index("SBR", ids.index("SBR") + 1)]
    assert loop_2320[1] == "P"
    assert loop_2320[9] == "MB"
    assert ["AMT", "D", "41.69"] in segments
    assert ["AMT", "EAF", "22.58"] in segments
    assert sum(1 for s in segments if s[:2] == ["NM1", "IL"]) == 2  # 2010BA and 2330A
    assert sum(1 for s in segments if s[:2] == ["DTP", "573"]) == 1 + 3  # 2330B and each 2430
    charges = [D(s[2]) for s in segments if s[0] == "SV1"]
    lines = _line_adjudications(segments)
    assert len(lines) == 3
    for charge, (paid, adjusted) in zip(charges, lines, strict=True):
        assert paid + adjusted == charge  # the line balances: SVD paid + CAS amounts

    batch = batches.create_batch(session, biller, [secondary.id], TRADING, confirm_late=True)  # batched like any claim
    assert batch.claim_count == 1

    secondary_835 = answer(
        secondary.patient_control_number, ClaimStatus.SECONDARY, SECONDARY, payer="AETNA MEDIGAP", trace="A1"
    )
    posting.post_remittances(session, biller, [secondary_835], "medigap.835")
    session.refresh(secondary)
    assert secondary.paid_amount == D("10.64")
    assert secondary.patient_responsibility == PATIENT_OWES == D("11.94")
    assert secondary_of(session, secondary) is None  # no tertiary coverage: nothing more is built

    # The patient's statement shows exactly what the hand computation says they owe.
    encounter = session.get(EncounterRow, primary.encounter_id)
    assert encounter is not None
    made = statements.print_statement(session, biller, encounter.patient_id, clock=FixedClock(date(2026, 5, 1)))
    assert made.amount_due == PATIENT_OWES
    pdf = statements.statement_pdf(session, biller, made.id)[1]
    text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    assert text.decode().count("$11.94") >= 3  # the visit, the amount due and the stub


def _line_adjudications(segments: list[list[str]]) -> list[tuple[Decimal, Decimal]]:
    """(SVD paid, sum of the CAS amounts that follow it) for each loop 2430."""
    found: list[tuple[Decimal, Decimal]] = []
    inside = False
    for segment in segments:
        if segment[0] == "SVD":
            found.append((D(segment[2]), D(0)))
            inside = True
        elif segment[0] == "CAS" and inside:
            paid, adjusted = found[-1]
            amounts = [D(segment[i]) for i in range(3, len(segment), 3) if segment[i]]
            found[-1] = (paid, adjusted + sum(amounts, D(0)))
        elif segment[0] in ("LX", "SE"):
            inside = False
    return found


def test_building_the_secondary_twice_gives_the_same_claim(session: Session) -> None:
    biller, primary = medicare_and_medigap(session, "cob2")
    posting.post_remittances(
        session,
        biller,
        [answer(primary.patient_control_number, ClaimStatus.PRIMARY, PRIMARY, payer="MCR", trace="M2")],
        "m",
    )
    first = cob.build_next_claim(session, biller, primary.id)
    again = cob.build_next_claim(session, biller, primary.id)
    assert first.id == again.id
    count = session.scalar(select(func.count()).select_from(ClaimRow).where(ClaimRow.prior_claim_id == primary.id))
    assert count == 1


def test_no_secondary_is_built_without_the_primarys_answer_or_a_secondary_coverage(session: Session) -> None:
    biller, primary = medicare_and_medigap(session, "cob3")
    with pytest.raises(access.ConflictError, match="adjudication is missing"):
        cob.build_next_claim(session, biller, primary.id)
    biller, alone = medicare_and_medigap(session, "cob4", medigap=False)
    posting.post_remittances(
        session,
        biller,
        [answer(alone.patient_control_number, ClaimStatus.PRIMARY, PRIMARY, payer="MCR", trace="M4")],
        "m",
    )
    assert secondary_of(session, alone) is None
    with pytest.raises(access.ConflictError, match="no active secondary coverage"):
        cob.build_next_claim(session, biller, alone.id)


def test_a_crossover_builds_no_secondary_and_the_medigap_answer_posts_on_a_row_made_for_it(session: Session) -> None:
    biller, primary = medicare_and_medigap(session, "cob5")
    crossover = answer(
        primary.patient_control_number,
        ClaimStatus.PRIMARY_FORWARDED,
        PRIMARY,
        payer="CA MEDICARE",
        trace="M5",
        remarks=("MA18",),
        carrier="AETNA MEDIGAP",
    )
    assert crossover.claims[0].crossover_carrier == "AETNA MEDIGAP"  # NM1*TT read back
    posting.post_remittances(session, biller, [crossover], "medicare.835")
    session.refresh(primary)
    assert primary.crossed_over_to == "AETNA MEDIGAP"
    assert primary.crossed_over_at is not None
    assert secondary_of(session, primary) is None, "Medicare sent the claim on: ptbill does not bill it"
    with pytest.raises(access.ConflictError, match="crossed over"):
        cob.build_next_claim(session, biller, primary.id)

    # The Medigap plan answers on our primary's control number, as secondary.
    medigap = answer(
        primary.patient_control_number, ClaimStatus.SECONDARY, SECONDARY, payer="AETNA MEDIGAP", trace="A5"
    )
    summary = posting.post_remittances(session, biller, [medigap], "medigap.835")
    assert summary.claims_unmatched == []
    secondary = secondary_of(session, primary)
    assert secondary is not None
    assert (secondary.payer_sequence, secondary.batch_id, secondary.status) == ("S", None, "paid")
    assert secondary.paid_amount == D("10.64")
    assert secondary.patient_responsibility == PATIENT_OWES
    session.refresh(primary)
    assert primary.paid_amount == D("41.69")  # the Medigap payment did not land on Medicare's claim
    # Posted again, the same file changes nothing.
    again = posting.post_remittances(session, biller, [medigap], "medigap.835")
    assert again.claims_already_posted == 1


def test_a_secondary_claim_without_the_primarys_answer_is_refused_by_the_writer() -> None:
    import dataclasses
    from pathlib import Path

    from ptbill.claims.x12_837p.writer import cob_problems
    from tests.unit.claims.test_x12_837p_writer import claim_for  # a clean claim from a scenario

    claim = claim_for(Path(__file__).resolve().parents[1] / "scenarios/medicare-lumbar-clean.json")
    assert cob_problems(claim) == []
    assert re.search("adjudication is missing", "; ".join(cob_problems(dataclasses.replace(claim, payer_sequence="S"))))


def test_a_tertiary_claim_carries_both_earlier_payers(session: Session) -> None:
    biller, primary = medicare_and_medigap(session, "cob6")
    patient_id = session.get(EncounterRow, primary.encounter_id).patient_id  # type: ignore[union-attr]
    patients.add_coverage(session, biller, patient_id, {"payer_id": "cencal-health", "member_id": "91234567"})
    number = primary.patient_control_number
    posting.post_remittances(
        session, biller, [answer(number, ClaimStatus.PRIMARY, PRIMARY, payer="M", trace="M6")], "m"
    )
    secondary = secondary_of(session, primary)
    assert secondary is not None
    posting.post_remittances(
        session,
        biller,
        [answer(secondary.patient_control_number, ClaimStatus.SECONDARY, SECONDARY, payer="AETNA", trace="A6")],
        "a",
    )
    tertiary = secondary_of(session, secondary)
    assert tertiary is not None, "the deductible the Medigap plan left goes to the Medicaid plan"
    assert (tertiary.payer_sequence, tertiary.payer_id) == ("T", "cencal-health")
    text = billing.claim_837p(session, biller, tertiary.id, TRADING)
    assert pyx12_errors(text) == []
    segments = [s.split("*") for s in text.split("~") if s.strip()]
    assert [s[1] for s in segments if s[0] == "SBR"] == ["T", "P", "S"]  # 2000B, then 2320 for each payer before
    assert ["AMT", "D", "41.69"] in segments
    assert ["AMT", "D", "10.64"] in segments
    assert ["AMT", "EAF", "11.94"] in segments  # what the patient still owed after the Medigap plan
    assert sum(1 for s in segments if s[0] == "SVD") == 6  # each line, as each earlier payer decided it
