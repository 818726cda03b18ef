"""Cost estimates before treatment on SQLite and PostgreSQL: the arithmetic worked by hand (deductible partly
met, coinsurance, copay, a non-covered service at the self-pay price), the self-pay good-faith estimate, the
Medicare schedule as the checks price it, refusals naming the field, tenancy and the audit rows."""

from __future__ import annotations

import subprocess
import tempfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import FixedClock
from ptbill.services import access, estimates, patients, payers
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.storage.tables import AuditRow, PatientRow
from tests.integration.test_storage_services import make_clinic

CLOCK = FixedClock(date(2026, 3, 2))
FEES = "code,modifiers,amount,effective_from,effective_to\n97012,,30.00,2026-01-01,\n97110,,40.00,2026-01-01,\n"
SELF_PAY = "code,modifiers,amount,effective_from,effective_to\n97012,,50.00,2026-01-01,\n97110,,60.00,2026-01-01,\n"
SELF_PAY += "S9090,,45.00,2026-01-01,\n"


def pdf_text(pdf: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "e.pdf"
        path.write_bytes(pdf)
        return subprocess.run(
            ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True
        ).stdout


def coverage(session: Session, actor: access.Actor, patient_id: int, payer: str, **sharing: str) -> int:
    form = {"payer_id": payer, "member_id": "W123456789", "priority": "1", **sharing}
    return patients.register_coverage(session, actor, patient_id, form).id


def lines(*rows: tuple[str, str, str, bool]) -> dict[str, str]:
    form: dict[str, str] = {}
    for index, (code, modifiers, units, not_covered) in enumerate(rows):
        form |= {f"code_{index}": code, f"modifiers_{index}": modifiers, f"units_{index}": units}
        if not_covered:
            form[f"not_covered_{index}"] = "on"
    return form


def test_deductible_partly_met_then_coinsurance_then_copay_and_a_non_covered_service(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "est-a")
    payers.replace_fee_schedule(session, biller, "aetna", FEES, "aetna.csv")
    payers.replace_fee_schedule(session, biller, payers.SELF_PAY, SELF_PAY, "self-pay.csv")
    sharing = {
        "deductible_remaining": "100.00",
        "coinsurance_percent": "20",
        "copay": "$10",
        "cost_sharing_as_of": "2026-02-27",
    }
    cov = coverage(session, biller, patient.id, "aetna", **sharing)
    form = {"coverage_id": str(cov), "visits": "3", "first_visit": "2026-03-09", "diagnoses": "M54.16"}
    form |= lines(("97012", "GP", "1", False), ("97110", "GP", "2", False), ("S9090", "", "1", True))

    made = estimates.prepare_estimate(session, biller, patient.id, form, clock=CLOCK)

    # By hand: a visit is allowed 30.00 + 2 x 40.00 = 110.00.
    # Visit 1: deductible 100.00 (now met), coinsurance 20 % of 10.00 = 2.00, copay 10.00 cut to the 8.00 left
    #          of the allowed amount: 110.00.
    # Visits 2 and 3: coinsurance 20 % of 110.00 = 22.00, copay 10.00: 32.00 each.
    # Covered share 110.00 + 32.00 + 32.00 = 174.00; S9090 not covered: 3 x 45.00 = 135.00; total 309.00.
    assert made.allowed_total == Decimal("330.00")
    assert made.patient_total == Decimal("309.00")
    doc = made.document
    assert (doc["covered_patient_share"], doc["not_covered_total"]) == ("174.00", "135.00")
    assert [(r["first"], r["last"], r["deductible"], r["coinsurance"], r["copay"]) for r in doc["runs"]] == [
        (1, 1, "100.00", "2.00", "8.00"),
        (2, 3, "0.00", "22.00", "10.00"),
    ]
    assert [line["covered"] for line in doc["lines"]] == [True, True, False]
    assert doc["lines"][1]["basis"].startswith("contracted fee schedule")
    assert "self-pay price" in doc["lines"][2]["basis"]

    text = pdf_text(estimates.estimate_pdf(session, biller, patient.id, made.id))
    assert "Your estimated cost: $309.00" in text
    assert all(part in text for part in ("$174.00", "$135.00", "deductible first"))
    assert "Good Faith Estimate" not in text  # insured: the plain estimate disclaimer
    assert [e.id for e in estimates.estimates_of(session, biller, patient.id)] == [made.id]
    actions = session.execute(select(AuditRow.action, AuditRow.entity).where(AuditRow.entity_id == str(made.id))).all()
    assert {("create", "estimate"), ("export", "estimate")} <= set(actions)


def test_a_self_pay_patient_gets_the_good_faith_estimate_at_self_pay_prices(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "est-b")
    payers.replace_fee_schedule(session, biller, payers.SELF_PAY, SELF_PAY, "self-pay.csv")
    form = {"visits": "2", "first_visit": "2026-03-09", "diagnoses": "M54.16 M51.26"}
    form |= lines(("97012", "", "1", False), ("97110", "", "2", False))

    made = estimates.prepare_estimate(session, biller, patient.id, form, clock=CLOCK)

    assert (made.self_pay, made.payer_id) == (True, None)
    assert made.patient_total == Decimal("340.00")  # (50.00 + 2 x 60.00) x 2 visits
    text = " ".join(pdf_text(made_pdf := estimates.estimate_pdf(session, biller, patient.id, made.id)).split())
    assert made_pdf.startswith(b"%PDF")
    for element in (
        "Good Faith Estimate",
        "Testwell",  # patient name
        "04/02/1961",  # date of birth
        "M54.16, M51.26",  # diagnosis codes
        "NPI 1245319599",
        "TIN 954512345",
        "not a contract",
        "$400 or more",
        "www.cms.gov/nosurprises",
        "scheduled or requested separately",
        "45 CFR 149.610",
    ):
        assert element in text, element


def test_medicare_lines_are_priced_by_the_schedule_the_checks_use(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "est-c")
    sharing = {"deductible_remaining": "0", "coinsurance_percent": "20", "cost_sharing_as_of": "2026-02-27"}
    cov = coverage(session, biller, patient.id, "ca-medicare-south", **sharing)
    form = {"coverage_id": str(cov), "first_visit": "2026-03-09"} | lines(("97012", "GP", "1", False))

    made = estimates.prepare_estimate(session, biller, patient.id, form, clock=CLOCK)

    line = made.document["lines"][0]
    assert line["basis"].startswith("Medicare PFS")
    allowed = Decimal(line["per_visit"])
    assert allowed > 0
    assert made.allowed_total == allowed
    assert made.patient_total == (allowed * Decimal("0.20")).quantize(Decimal("0.01"))


def test_refusals_name_the_field_and_store_nothing(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "est-d")
    form = {"first_visit": "2026-03-09", "visits": "0"} | lines(("97012", "", "1", False), ("9701", "", "1", False))
    with pytest.raises(FieldProblemsError) as refused:
        estimates.prepare_estimate(session, biller, patient.id, form, clock=CLOCK)
    assert set(refused.value.problems) == {"visits", "code_1"}
    form = {"first_visit": "2026-03-09"} | lines(("97012", "", "1", False))
    with pytest.raises(FieldProblemsError) as refused:
        estimates.prepare_estimate(session, biller, patient.id, form, clock=CLOCK)  # no self-pay price list
    assert "self-pay price" in refused.value.problems["code_0"]
    assert estimates.estimates_of(session, biller, patient.id) == []


def test_another_clinic_sees_no_estimate_and_user_text_prints_as_written(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "est-e")
    _pt2, other, _patient2 = make_clinic(session, "est-f")
    row = session.get(PatientRow, patient.id)
    assert row is not None
    row.last_name = "O'Neil <b>&amp; Co"
    payers.replace_fee_schedule(session, biller, payers.SELF_PAY, SELF_PAY, "self-pay.csv")
    made = estimates.prepare_estimate(
        session, biller, patient.id, {"first_visit": "2026-03-09"} | lines(("97012", "", "1", False)), clock=CLOCK
    )
    assert "O'Neil <b>&amp; Co" in pdf_text(estimates.estimate_pdf(session, biller, patient.id, made.id))
    with pytest.raises(access.NotFoundError):
        estimates.estimate_pdf(session, other, patient.id, made.id)
    with pytest.raises(access.NotFoundError):
        estimates.estimates_of(session, other, patient.id)


def test_an_insured_estimate_needs_the_coverages_cost_sharing_which_can_be_updated(session: Session) -> None:
    _pt, biller, patient = make_clinic(session, "est-g")
    payers.replace_fee_schedule(session, biller, "aetna", FEES, "aetna.csv")
    cov = coverage(session, biller, patient.id, "aetna")
    form = {"coverage_id": str(cov), "first_visit": "2026-03-09"} | lines(("97012", "", "1", False))
    with pytest.raises(FieldProblemsError) as refused:
        estimates.prepare_estimate(session, biller, patient.id, form, clock=CLOCK)
    assert "cost sharing first" in refused.value.problems["coverage_id"]
    with pytest.raises(FieldProblemsError) as refused:
        patients.update_cost_sharing(session, biller, patient.id, cov, {"copay": "12", "coinsurance_percent": "101"})
    assert set(refused.value.problems) == {"coinsurance_percent"}
    with pytest.raises(FieldProblemsError) as refused:
        patients.update_cost_sharing(session, biller, patient.id, cov, {"copay": "12"})
    assert set(refused.value.problems) == {"cost_sharing_as_of"}
    sharing = {"deductible_remaining": "0", "copay": "12", "cost_sharing_as_of": "2026-03-01"}
    updated = patients.update_cost_sharing(session, biller, patient.id, cov, sharing)
    assert (updated.copay, updated.coinsurance_percent) == (Decimal("12.00"), None)
    made = estimates.prepare_estimate(session, biller, patient.id, form, clock=CLOCK)
    assert made.patient_total == Decimal("12.00")  # one visit allowed 30.00: no deductible left, the copay only
