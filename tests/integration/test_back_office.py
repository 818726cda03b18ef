"""The back office on a real database: the denial worklist closes the loop to the checks, the appeal
packet is a readable PDF built from the chart, and the reports add up."""

from __future__ import annotations

import dataclasses
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pdfplumber
from sqlalchemy.orm import Session

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import appeals, denials, posting, reports
from tests.integration.test_posting import billed_claim, remittance_for

D = Decimal
PARAMS = reports.ReportParams(today=date(2026, 4, 1))


def deny(session: Session, name: str, carc: str, remarks: tuple[str, ...] = (), **note: Any):  # type: ignore[no-untyped-def]
    biller, claim = billed_claim(session, name, **note)
    base = remittance_for(claim, trace=f"DENY-{name}")
    payment = base.claims[0]
    lines = tuple(
        ServicePayment(
            "HC",
            s.procedure_code,
            s.modifiers,
            s.charge,
            D("0"),
            service_start=s.service_start,
            adjustments=(Adjustment(AdjustmentGroup.CONTRACTUAL, carc, s.charge),),
            remark_codes=remarks,
        )
        for s in payment.service_lines
    )
    denied = ClaimPayment(
        payment.patient_control_number,
        ClaimStatus.DENIED,
        payment.charge,
        D("0"),
        patient_responsibility=D("0"),
        payer_claim_control_number="DEN-1",
        service_lines=lines,
    )
    remittance = dataclasses.replace(base, claims=(denied,), payment_amount=D("0"))
    posting.post_remittances(session, biller, read_835(write_835(remittance)), "denial.835")
    return biller, claim


def test_a_denial_for_missing_times_names_the_time_checks_and_the_medicare_deadline(session: Session) -> None:
    biller, claim = deny(session, "d1", "16", ("N443",))
    groups = denials.denial_worklist(session, biller)
    assert len(groups) == 1
    group = groups[0]
    assert group.key == "CO-16 / N443"
    assert "TIME_NOT_DOCUMENTED" in group.rules
    item = group.items[0]
    assert item.claim_id == claim.id
    assert item.denied_amount == claim.total_charge
    # Medicare: 120 days from receipt, receipt presumed 5 days after the remittance date (2026-03-20).
    assert item.appeal_by == date(2026, 7, 23)
    assert item.rules_firing_now == []  # the note itself records its times: appeal it


def test_an_authorization_denial_points_at_the_authorization_checks(session: Session) -> None:
    biller, _ = deny(session, "d2", "197")
    group = denials.denial_worklist(session, biller)[0]
    assert group.key.startswith("CO-197")
    assert {"AUTH_MISSING", "AUTH_EXPIRED"} <= set(group.rules)


def test_the_appeal_packet_addresses_the_reason_and_carries_the_traction_note(session: Session) -> None:
    biller, claim = deny(session, "d3", "50", ("N661",))
    pdf = appeals.build_appeal_pdf(session, biller, claim.id, today=date(2026, 4, 1))
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    letter, note = pages[0], "\n".join(pages[1:])
    assert "Request for reconsideration" in letter
    assert "CO-50" in letter
    assert "N661" in letter
    assert "reasonable and necessary" in letter
    assert "M51.16" in letter
    assert "motorized table, Chattanooga Triton DTS" in note
    assert "65 lb" in note
    assert "minute 8: 70 lb (tolerated well, progressed)" in note
    assert "09:02 to 09:20 (18 min)" in note
    assert "09:08, 09:15" in note
    assert "L5 radiculopathy" in note
    assert "Plan of care and progress" in note


def test_reports_show_payments_beside_the_seed_table_and_list_denials(session: Session) -> None:
    biller, claim = billed_claim(session, "r1")
    posting.post_remittances(session, biller, read_835(write_835(remittance_for(claim, trace="PAY-1"))), "pay.835")
    table = {row[0]: row for row in reports.run(session, biller, "reimbursement-97012", PARAMS).rows}
    medicare_south = table["CA Medicare South"]
    assert medicare_south[2] == D("14.64")  # the guide's average
    paid_line = next(line for line in claim.lines if line.code == "97012")
    # reimbursed = what the simulated payer paid (a quarter of the charge) + the patient's 1.00 share
    assert medicare_south[3] == (paid_line.charge / 4).quantize(D("0.01")) + D("1.00")
    denying_biller, _ = deny(session, "r2", "4", ("N519",))  # another clinic
    rate = reports.run(session, denying_biller, "denial-rate", PARAMS)
    assert [list(row[2:5]) for row in rate.rows] == [[1, 1, 100.0]]
    assert "CO-4" in rate.rows[0][5]
    own = reports.run(session, biller, "denial-rate", PARAMS)
    assert list(own.rows[0][2:5]) == [1, 0, 0.0]  # clinics see only their own
    assert reports.chart_png(rate.chart).startswith(b"\x89PNG")
    assert rate.to_csv().startswith("payer,month,claims,denied,denied %,top reasons")
