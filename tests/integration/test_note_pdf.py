"""One note as a PDF (SQLite and PostgreSQL), read back with poppler's pdftotext: every section the note holds
prints, and none it does not; typed text prints as typed; a draft says DRAFT on every page; addenda print with
their author, time and reason; the signature time is in the clinic's zone; every page names the patient and
says "Page X of Y"; the export is audited and another clinic's note is not found."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.reference.catalog import default_catalog
from ptbill.services import access, addenda, note_pdf
from ptbill.storage.tables import AuditRow, ClinicRow, EncounterRow
from tests.integration.note_documents_world import (
    CLEAN,
    CLOCK,
    FIRST,
    HOSTILE,
    LAST,
    document,
    every_section,
    flat,
    pages_of,
    patient_of_clinic,
    write,
)
from tests.integration.test_storage_services import make_clinic


def test_a_note_prints_every_section_it_holds(session: Session) -> None:
    pt, biller, patient = patient_of_clinic(session, "every-section")
    note_id = write(session, pt, patient, every_section())
    addenda.add_addendum(session, pt, note_id, "Correction", "Hip IR was measured prone.", clock=CLOCK)
    text = flat(note_pdf.note_pdf(session, biller, note_id, clock=CLOCK))

    row = session.get(EncounterRow, note_id)
    assert row is not None
    assert row.signed_at is not None
    signed = row.signed_at.astimezone(ZoneInfo("America/Los_Angeles"))  # a clinic in CA, no zone chosen
    version = addenda.note_version(session, row)
    codes = default_catalog().procedure_codes
    expected = [
        # header, who and what
        "every-section",
        "Initial evaluation",
        "Date of service 02/20/2026",
        f"{FIRST} {LAST}",
        "07/14/1958",
        "VN-1",
        "CA Medicare South",
        "1EG4TE5MK73",
        "Dana Reyes, PT · NPI 1093817462",
        f"Signed {signed:%m/%d/%Y %H:%M} {signed.tzname()} by Dana Reyes, PT",
        "enc-all · version 1+1",
        version.sha256,
        "M51.16 Intervertebral disc disorders with radiculopathy, lumbar region",
        "Alan Cho · NPI 1528060639",
        # subjective and pain
        "Subjective",
        "Pain (numeric rating scale 0–10): now 6/10, at best 2/10, at worst 8/10",
        # objective: every table
        "Antalgic gait, guarded lumbar flexion.",
        "Range of motion",
        "hip internal rotation left passive (PROM) 25",
        "lumbar spine flexion — active (AROM) 40",
        "Strength",
        "hip abductors left 4-/5",
        "Special tests",
        "straight leg raise left positive",
        "Outcome measures",
        "Oswestry 42 0–100 higher is worse",
        # services with our labels, times, minutes, units and goals
        "Services and time",
        f"97012 {codes['97012'].label} GP 1, 2 09:02–09:20 18 1 STG1, LTG1",
        "Timed minutes: 33. Total treatment time: 51 minutes.",  # 97012 is untimed
        "Core control for sitting tolerance.",
        # traction
        "Mechanical traction (97012)",
        "motorized table, Chattanooga Triton DTS",
        "minute 8: 70 lb (tolerated well, progressed)",
        "09:02 to 09:20 (18 min)",
        "09:08, 09:15",
        "L5 radiculopathy from L4-5 disc herniation",
        # flowsheet, assessment, goals, plan, plan of care
        "Flowsheet: exercise and activity",
        "bridges 2 10 body weight — neutral spine",
        "Assessment",
        "Lumbar radiculopathy limiting sitting tolerance; responds to unloading.",
        "Goals",
        "STG1 (short-term): Sit 30 minutes without leg pain 10 minutes 30 minutes 03/13/2026",
        "Plan Traction, exercise and manual therapy",
        "Plan of care",
        "Certification period 02/20/2026 to 04/03/2026",
        "Frequency and duration 2–3 visits a week for 6 weeks",
        "Physician's signature signed 02/24/2026",
        "Order or referral signed 02/18/2026",
        # signature and addenda
        f"Electronically signed by Dana Reyes, PT on {signed:%m/%d/%Y} at {signed:%H:%M} {signed.tzname()}.",
        "Addenda",
        "Addendum 1 Dana Reyes,",
        "Reason Correction",
        "Text Hip IR was measured prone.",
    ]
    missing = [want for want in expected if want not in text]
    assert missing == []
    assert codes["97110"].label in text


def test_every_page_names_the_patient_and_counts_the_pages(session: Session) -> None:
    pt, biller, patient = patient_of_clinic(session, "running-head")
    note_id = write(session, pt, patient, every_section())
    pages = pages_of(note_pdf.note_pdf(session, biller, note_id, clock=CLOCK))
    assert len(pages) >= 2
    for number, page in enumerate(pages, start=1):
        assert f"{FIRST} {LAST} · DOB 07/14/1958 · Chart VN-1" in page
        assert "Initial evaluation · 02/20/2026" in page
        assert f"Page {number} of {len(pages)}" in page


def test_typed_text_that_looks_like_markup_prints_as_typed(session: Session) -> None:
    pt, biller, patient = patient_of_clinic(session, "hostile")
    doc = every_section()
    doc["services"][0]["traction"]["device_name"] = '<a href="http://x">Triton</a>'
    doc["assessment"] = "L>R <WNL> & </para> better"
    note_id = write(session, pt, patient, doc)
    pdf = note_pdf.note_pdf(session, biller, note_id, clock=CLOCK)
    text = flat(pdf)
    assert f"Sitting hurts {HOSTILE} after 10 min." in text
    assert f"recumbent bike — — — 8 {HOSTILE}" in text
    assert '<a href="http://x">Triton</a>' in text
    assert "L>R <WNL> & </para> better" in text
    assert f"{FIRST} {LAST}" in text  # Vietnamese letters, not boxes or Latin-1 guesses
    assert b"/URI" not in pdf


def test_a_draft_says_draft_on_every_page_and_is_not_signed(session: Session) -> None:
    pt, biller, patient = patient_of_clinic(session, "draft")
    note_id = write(session, pt, patient, every_section(), sign=False)
    pages = pages_of(note_pdf.note_pdf(session, biller, note_id, clock=CLOCK))
    for page in pages:
        assert "DRAFT, NOT SIGNED · Initial evaluation · 02/20/2026" in page
    text = " ".join(pages)
    assert "NOT SIGNED: draft version 1" in text
    assert "Not signed. This is draft version 1" in text
    assert "Electronically signed" not in text
    signed_id = write(session, pt, patient, every_section("enc-signed"))
    assert "DRAFT" not in flat(note_pdf.note_pdf(session, biller, signed_id, clock=CLOCK))


def test_a_format_1_daily_note_prints_its_traction_note_and_no_empty_sections(session: Session) -> None:
    pt, biller, patient = patient_of_clinic(session, "format-1")
    note_id = write(session, pt, patient, document("enc-1001", "2026-03-02"))
    assert "note_type" not in CLEAN
    text = flat(note_pdf.note_pdf(session, biller, note_id, clock=CLOCK))
    assert "Daily treatment note" in text
    assert "Mechanical traction (97012)" in text
    assert "Services and time" in text
    assert "Plan of care" in text  # format 1's plan_of_care
    for absent in ("Subjective", "Objective", "Flowsheet", "Goal Baseline", "Assessment", "Addenda", "Plan Traction"):
        assert absent not in text


def test_the_export_is_audited_and_another_clinic_finds_no_note(session: Session) -> None:
    pt, biller, patient = patient_of_clinic(session, "audited")
    note_id = write(session, pt, patient, every_section())
    note_pdf.note_pdf(session, biller, note_id, clock=CLOCK)
    exports = session.scalars(
        select(AuditRow).where(AuditRow.action == "export", AuditRow.entity_id == str(note_id))
    ).all()
    assert [(a.entity, a.user_id, a.detail) for a in exports] == [
        ("encounter", biller.user_id, "note PDF, version 1+0")
    ]
    assert not any(re.search(LAST, a.detail or "") for a in exports)  # ids only, never a name
    other, _, _ = make_clinic(session, "elsewhere")
    with pytest.raises(access.NotFoundError):
        note_pdf.note_pdf(session, other, note_id, clock=CLOCK)


def test_a_very_long_typed_text_flows_over_pages(session: Session) -> None:
    """Pages of text in one table cell (a justification pasted from elsewhere) split across pages."""
    pt, biller, patient = patient_of_clinic(session, "long-text")
    doc = document("enc-long", "2026-03-02")
    doc["services"][0]["clinical_justification"] = "radicular pain eased " * 3000
    doc["services"][0]["traction"]["patient_position"] = "supine " * 2000
    note_id = write(session, pt, patient, doc, sign=False)
    pages = pages_of(note_pdf.note_pdf(session, biller, note_id, clock=CLOCK))
    assert len(pages) > 10
    assert sum(page.count("radicular pain eased") for page in pages) == 3000


def test_times_print_in_the_zone_the_clinic_chose(session: Session) -> None:
    pt, biller, patient = patient_of_clinic(session, "eastern")
    clinic = session.get(ClinicRow, pt.clinic_id)
    assert clinic is not None
    clinic.time_zone = "America/New_York"  # a clinic in CA that works in Eastern time
    note_id = write(session, pt, patient, every_section())
    made = addenda.add_addendum(session, pt, note_id, "Late entry", "Called the patient.", clock=CLOCK)
    row = session.get(EncounterRow, note_id)
    assert row is not None
    assert row.signed_at is not None
    eastern = ZoneInfo("America/New_York")
    signed, added = row.signed_at.astimezone(eastern), made.created_at.astimezone(eastern)
    text = flat(note_pdf.note_pdf(session, biller, note_id, clock=CLOCK))
    assert f"Signed {signed:%m/%d/%Y %H:%M} EDT by Dana Reyes, PT" in text
    assert f"Addendum 1 Dana Reyes, {added:%m/%d/%Y} at {added:%H:%M} EDT" in text
