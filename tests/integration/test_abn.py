"""The ABN (form CMS-R-131) in the app, on SQLite and PostgreSQL: prepared for a Medicare patient, signed once,
read by the check of the patient's notes (GA on the lines it covers, the note `ready`), and, when Medicare
denies the GA line, the patient's to pay while the GZ line stays the clinic's."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, insert, select, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import liability_denial, write_835
from ptbill.services import abn as abn_service
from ptbill.services import access, billing, notes, posting
from ptbill.services.abn_pdf import abn_pdf
from ptbill.services.balances import accounts_for
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.services.patients import add_coverage
from ptbill.storage.session import make_engine
from ptbill.storage.tables import AbnRow, AbnServiceRow, AuditRow, ClaimRow, PatientRow
from tests.integration.api.world import fresh_database
from tests.integration.test_posting import remittance_for
from tests.integration.test_storage_services import CLEAN, make_clinic

CLOCK = FixedClock(date(2026, 3, 10))
D = Decimal


def medicare_patient(session: Session, name: str) -> tuple[access.Actor, access.Actor, PatientRow]:
    pt, biller, patient = make_clinic(session, name)
    add_coverage(session, biller, patient.id, {"payer_id": "ca-medicare-south", "member_id": "1EG4TE5MK73"})
    return pt, biller, patient


def signed_abn(session: Session, actor: access.Actor, patient_id: int, codes: list[str]) -> abn_service.Abn:
    prepared = abn_service.prepare_abn(
        session,
        actor,
        patient_id,
        [{"code": code} for code in codes],
        "maintenance",
        given_on="2026-02-26",
        clock=CLOCK,
    )
    return abn_service.record_signature(session, actor, patient_id, prepared.id, "2026-02-27", "1", clock=CLOCK)


def visit(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(json.dumps(CLEAN))
    document["patient"]["id"] = "C-1"  # the app's notes carry the chart number (make_clinic's patient)
    for index, modifiers in changes.items():
        document["services"][int(index.removeprefix("s"))]["modifiers"] = modifiers
    return document


def test_an_abn_lists_services_with_the_clinics_labels_and_prefilled_costs(session: Session) -> None:
    pt, _biller, patient = medicare_patient(session, "abn-prepare")
    prepared = abn_service.prepare_abn(
        session,
        pt,
        patient.id,
        [{"code": "97110"}, {"code": "97140", "label": "Hands-on therapy", "estimated_cost": "35.00"}],
        "above_threshold",
        additional_info="Ask about a payment plan.",
        clock=CLOCK,
    )
    first, second = prepared.services
    assert first.code == "97110"
    assert first.label  # ptbill's own short label, not the CPT descriptor
    assert D("20") < first.estimated_cost < D("45")  # one unit at the 2026 Medicare amount
    assert (second.label, second.estimated_cost) == ("Hands-on therapy", D("35.00"))
    assert prepared.form_version == "CMS-R-131 (Exp. 01/31/2026)"  # given 2026-03-10, before the switch
    assert prepared.identification == "C-1"  # the chart number: no Medicare number on the notice
    assert "above Medicare's yearly amount" in prepared.reason_text
    assert (prepared.signed_on, prepared.option) == (None, None)
    assert [a.id for a in abn_service.abns_of(session, pt, patient.id)] == [prepared.id]
    actions = session.scalars(select(AuditRow.action).where(AuditRow.entity == "abn")).all()
    assert {"create", "read"} <= set(actions)


def test_bad_fields_are_named_together_and_nothing_is_saved(session: Session) -> None:
    pt, _biller, patient = medicare_patient(session, "abn-bad")
    with pytest.raises(FieldProblemsError) as raised:
        abn_service.prepare_abn(
            session,
            pt,
            patient.id,
            [{"code": "97O1"}, {"code": "S9090"}, {"code": "97110", "estimated_cost": "-3"}],
            "other",
            given_on="2026-03-11",
            clock=CLOCK,
        )
    assert set(raised.value.problems) == {
        "services[0].code",
        "services[1].estimated_cost",  # Medicare prices no S code: the clinic enters the cost
        "services[2].estimated_cost",
        "reason_text",
        "given_on",
    }
    assert session.scalar(select(func.count()).select_from(AbnRow).where(AbnRow.clinic_id == pt.clinic_id)) == 0


def test_a_patient_without_medicare_gets_no_abn(session: Session) -> None:
    pt, _biller, patient = make_clinic(session, "abn-no-medicare")
    with pytest.raises(FieldProblemsError) as raised:
        abn_service.prepare_abn(session, pt, patient.id, [{"code": "97110"}], "maintenance", clock=CLOCK)
    assert "Original Medicare" in raised.value.problems["patient"]


def test_a_signed_abn_is_never_changed_and_another_clinic_cannot_see_it(session: Session) -> None:
    pt, biller, patient = medicare_patient(session, "abn-sign")
    signed = signed_abn(session, pt, patient.id, ["97110"])
    assert (signed.signed_on, signed.option) == (date(2026, 2, 27), 1)
    with pytest.raises(access.ConflictError, match="never changed"):
        abn_service.record_signature(session, biller, patient.id, signed.id, "2026-02-28", "2", clock=CLOCK)
    assert abn_service.abn_of(session, biller, patient.id, signed.id).option == 1
    prepared = abn_service.prepare_abn(session, pt, patient.id, [{"code": "97140"}], "maintenance", clock=CLOCK)
    with pytest.raises(FieldProblemsError) as raised:
        abn_service.record_signature(session, pt, patient.id, prepared.id, "2026-03-09", "4", clock=CLOCK)
    assert set(raised.value.problems) == {"signed_on", "option"}  # before the day given; not 1, 2 or 3
    other, _, _ = make_clinic(session, "abn-other")
    with pytest.raises(access.NotFoundError):
        abn_service.abn_of(session, other, patient.id, signed.id)
    with pytest.raises(access.NotFoundError):
        abn_pdf(session, other, patient.id, signed.id)
    pdf = abn_pdf(session, pt, patient.id, signed.id)
    assert pdf.startswith(b"%PDF")


def test_the_database_refuses_to_change_a_signed_abn_or_its_services(session: Session) -> None:
    pt, _biller, patient = medicare_patient(session, "abn-frozen")
    signed = signed_abn(session, pt, patient.id, ["97110"])
    unsigned = abn_service.prepare_abn(session, pt, patient.id, [{"code": "97140"}], "maintenance", clock=CLOCK)
    refused = [
        update(AbnRow).where(AbnRow.id == signed.id).values(option=3),
        delete(AbnRow).where(AbnRow.id == signed.id),
        update(AbnServiceRow).where(AbnServiceRow.abn_id == signed.id).values(estimated_cost=D("1.00")),
        delete(AbnServiceRow).where(AbnServiceRow.abn_id == signed.id),
        insert(AbnServiceRow).values(
            clinic_id=pt.clinic_id, abn_id=signed.id, position=9, code="97140", label="x", estimated_cost=D("1.00")
        ),
    ]
    for statement in refused:
        with pytest.raises(DBAPIError, match="never changed"), session.begin_nested():
            session.execute(statement)
    with session.begin_nested():  # an unsigned notice is still a draft
        session.execute(update(AbnServiceRow).where(AbnServiceRow.abn_id == unsigned.id).values(label="Hands-on"))
    assert abn_service.abn_of(session, pt, patient.id, signed.id).option == 1


def test_a_ga_line_with_an_abn_on_file_is_ready_and_medicare_denying_it_makes_it_the_patients(
    session: Session,
) -> None:
    pt, biller, patient = medicare_patient(session, "abn-e2e")
    signed_abn(session, pt, patient.id, ["97110"])
    # 97110 is covered by the signed ABN; the therapist marked 97140 GZ (maintenance care, no ABN given).
    row, report = notes.save_encounter(session, pt, visit(s2=["GP", "GZ"]), patient.id, clock=CLOCK)
    assert report.verdict.value == "ready", [f.rule for f in report.findings]
    planned = {line.code: line.modifiers for line in report.claim_lines}
    assert planned == {"97012": ("GP",), "97110": ("GP", "GA"), "97140": ("GP", "GZ")}
    notes.sign_encounter(session, pt, row.id, clock=CLOCK)
    built = billing.build_claims(session, biller, [row.id], clock=CLOCK)[0]
    claim = session.get(ClaimRow, built.id)
    assert claim is not None
    by_code = {line.code: line for line in claim.lines}

    # Medicare's answer: the 97012 line paid as test_posting's remittance pays it, the GA and GZ lines denied.
    usual = remittance_for(claim, trace="EFT-ABN-1")
    answers = tuple(
        liability_denial(line.code, tuple(line.modifiers), line.charge, D(line.units), claim.service_date) or answer
        for line, answer in zip(claim.lines, usual.claims[0].service_lines, strict=True)
    )
    paid_total = sum((a.paid for a in answers), D(0))
    payment = replace(
        usual.claims[0],
        paid=paid_total,
        patient_responsibility=by_code["97110"].charge + D("1.00"),  # the GA line and the 97012 line's $1
        service_lines=answers,
    )
    remittance = replace(usual, claims=(payment,), payment_amount=paid_total)
    text = write_835(remittance)
    assert "CAS*PR*50*" in text  # the GA line: patient responsibility, not medically necessary
    assert "LQ*HE*M38" in text  # the patient agreed in writing (the ABN) to pay
    assert "CAS*CO*50*" in text  # the GZ line: the clinic's
    posting.post_remittances(session, biller, read_835(text), "medicare.835")
    account = accounts_for(session, biller.clinic_id, [claim])[claim.id]
    lines = {line.code: line.balance for line in account.lines}
    assert lines["97110"].patient_other == by_code["97110"].charge  # GA: the signed ABN makes it the patient's
    assert lines["97110"].patient == by_code["97110"].charge
    assert lines["97140"].patient == D("0.00")  # GZ: no ABN, the clinic's
    assert lines["97140"].denied == by_code["97140"].charge
    assert lines["97012"].patient == D("1.00")  # the paid line's coinsurance, as remittance_for answers it
    assert account.balance.patient == by_code["97110"].charge + D("1.00")


@pytest.mark.postgres
def test_two_people_recording_the_signature_at_once_record_it_once(tmp_path: Path) -> None:
    # A database of its own: what this test commits must not reach the rolled-back tests that share one.
    with fresh_database("postgresql", tmp_path) as url:
        engine = make_engine(url)
        try:
            _race_the_signature(engine)
        finally:
            engine.dispose()


def _race_the_signature(engine: Engine) -> None:
    with Session(engine) as setup:
        pt, _biller, patient = medicare_patient(setup, "abn-race")
        prepared = abn_service.prepare_abn(setup, pt, patient.id, [{"code": "97110"}], "maintenance", clock=CLOCK)
        setup.commit()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sign(option: str) -> None:
        with Session(engine) as session:
            barrier.wait()
            try:
                abn_service.record_signature(session, pt, patient.id, prepared.id, "2026-03-10", option, clock=CLOCK)
                session.commit()
                outcomes.append(f"signed {option}")
            except access.ConflictError:
                session.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=sign, args=(o,)) for o in ("1", "3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes)[0] == "refused"
    assert len([o for o in outcomes if o.startswith("signed")]) == 1
    with Session(engine) as check:
        stored = check.get(AbnRow, prepared.id)
        assert stored is not None
        assert f"signed {stored.option}" in outcomes
