"""The back office on a real database: the denial worklist closes the loop to the checks, the appeal
packet is a readable PDF built from the chart, and the reports add up."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pdfplumber
import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import Adjustment, AdjustmentGroup, ClaimPayment, ClaimStatus, ServicePayment
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import write_835
from ptbill.rules import engine
from ptbill.services import appeals, billing, denials, notes, posting, reports
from ptbill.services.access import Actor
from ptbill.storage.tables import ClaimRow, EncounterCheckRow
from tests.engine_runs import count_engine_runs
from tests.integration.test_posting import billed_claim, remittance_for
from tests.integration.test_storage_services import CLEAN, make_clinic

D = Decimal
PARAMS = reports.ReportParams(today=date(2026, 4, 1))


def deny(session: Session, name: str, carc: str, remarks: tuple[str, ...] = (), **note: Any):  # type: ignore[no-untyped-def]
    biller, claim = billed_claim(session, name, **note)
    deny_claim(session, biller, claim, carc, remarks)
    return biller, claim


def deny_claim(session: Session, biller: Actor, claim: ClaimRow, carc: str, remarks: tuple[str, ...] = ()) -> None:
    base = remittance_for(claim, trace=f"DENY-{claim.patient_control_number}")
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
    assert "Request for redetermination" in letter  # Medicare's first level, from the MAC
    assert "CMS-20027" in letter
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


@pytest.fixture
def engine_runs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return count_engine_runs(monkeypatch)


def test_the_worklist_reads_the_stored_check_results_and_runs_the_engine_for_no_note(
    session: Session, engine_runs: list[str]
) -> None:
    therapist, biller, patient = make_clinic(session, "w1")
    for day in (2, 3, 4):  # three denied notes of one clinic
        document = json.loads(json.dumps(CLEAN)) | {"id": f"w1-{day}", "date_of_service": f"2026-03-0{day}"}
        row, _ = notes.save_encounter(session, therapist, document, patient.id)
        notes.sign_encounter(session, therapist, row.id)
        deny_claim(session, biller, billing.build_claims(session, biller, [row.id])[0], "16", ("N443",))
    engine_runs.clear()
    groups = denials.denial_worklist(session, biller)
    assert sum(len(g.items) for g in groups) == 3
    assert engine_runs == []


def test_a_note_without_a_stored_result_is_checked_once_and_the_result_kept(
    session: Session, engine_runs: list[str]
) -> None:
    biller, claim = deny(session, "w4", "16", ("N443",))
    session.execute(delete(EncounterCheckRow).where(EncounterCheckRow.encounter_id == claim.encounter_id))
    engine_runs.clear()
    first = denials.denial_worklist(session, biller)
    assert len(engine_runs) == 1  # old data: checked once ...
    assert denials.denial_worklist(session, biller)[0].items[0].rules_firing_now == first[0].items[0].rules_firing_now
    assert len(engine_runs) == 1  # ... and read back after that
    stored = session.scalars(select(EncounterCheckRow).where(EncounterCheckRow.encounter_id == claim.encounter_id))
    assert [check.ruleset_version for check in stored] == [engine.RULESET_VERSION]


def test_the_documentation_audit_reads_the_stored_check_results(session: Session, engine_runs: list[str]) -> None:
    biller, _ = billed_claim(session, "w5")
    engine_runs.clear()
    report = reports.run(session, biller, "documentation-audit", dataclasses.replace(PARAMS, periods=("2026-03",)))
    assert report.notes[0].startswith("2026-03: ")
    assert "1 note sampled" in report.chart.notes[-1]
    assert engine_runs == []


def test_every_report_reads_its_dates_payer_and_therapist_from_one_definition(session: Session) -> None:
    biller, claim = billed_claim(session, "f1")
    posting.post_remittances(session, biller, read_835(write_835(remittance_for(claim, trace="PAY-F1"))), "pay.835")
    rows = reports.run(session, biller, "best-payer", PARAMS).rows
    assert [row.paid_lines for row in rows] == [1]
    elsewhere = dataclasses.replace(PARAMS, payer="aetna")
    later = dataclasses.replace(PARAMS, date_from=claim.service_date + timedelta(days=1))
    nobody = dataclasses.replace(PARAMS, therapist="nobody@f1.example")
    for params in (elsewhere, later, nobody):
        assert reports.run(session, biller, "best-payer", params).rows == []
    mine = dataclasses.replace(PARAMS, therapist="pt@f1.example", date_to=claim.service_date)
    assert reports.run(session, biller, "best-payer", mine).rows == rows
    for definition in reports.REPORTS:  # every report: its CSV header is its declared columns, its chart a model
        report = definition.build(session, biller, PARAMS)
        assert report.to_csv().splitlines()[0] == ",".join(definition.columns)
        assert all(len(row) == len(definition.columns) for row in report.rows)
        assert all(len(s.values) == len(report.chart.labels) for s in report.chart.series)
        assert reports.chart_png(report.chart).startswith(b"\x89PNG")
