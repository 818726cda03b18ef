"""Claims are built once and frozen (SQLite and PostgreSQL): after a clinic's payer edit and a change to the
reference data in force, a claim's 837P, CMS-1500 and FHIR exports are what they were when it was built;
each stored check carries the fingerprint of what decided it; a corrected claim is a new frozen claim."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pdfplumber
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.cms1500 import render_cms1500
from ptbill.claims.fhir import claim_to_fhir_json
from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.status import ClaimState
from ptbill.reference import catalog as catalog_module
from ptbill.reference.catalog import ReferenceCatalog, default_catalog
from ptbill.services import access, billing, frozen_claims, notes, payers
from ptbill.services.therapy_year import therapy_claims_this_year
from ptbill.storage.tables import AuditRow, ClaimRow
from tests.integration.test_storage_services import CLEAN, make_clinic
from tests.pyx12_check import pyx12_errors

TRADING = TradingConfig(TEST_TRADING, {})
# The envelope's control numbers, dates and times: new on every download, as every interchange needs.
ENVELOPE = {"ISA": (9, 10, 13), "GS": (4, 5, 6), "ST": (2,), "BHT": (3, 4, 5), "SE": (2,), "GE": (2,), "IEA": (2,)}


def without_envelope_numbers(text: str) -> list[list[str]]:
    segments = []
    for segment in text.strip().split("~"):
        elements = segment.strip().split("*")
        for index in ENVELOPE.get(elements[0], ()):
            elements[index] = "#"
        segments.append(elements)
    return segments


def sbr09(segments: list[list[str]]) -> str:
    return next(elements[9] for elements in segments if elements[0] == "SBR")


def pdf_text(data: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        return [page.extract_text() for page in pdf.pages]


def exports(session: Session, biller: access.Actor, claim_id: int) -> tuple[list[list[str]], list[str], str]:
    x12 = billing.claim_837p(session, biller, claim_id, TRADING)
    pdf = render_cms1500([billing.claim_for_export(session, biller, claim_id, "cms1500")])
    fhir = claim_to_fhir_json(billing.claim_for_export(session, biller, claim_id, "fhir"))
    return without_envelope_numbers(x12), pdf_text(pdf), fhir


def billed_claim(session: Session, name: str) -> tuple[access.Actor, ClaimRow]:
    pt, biller, patient = make_clinic(session, name)
    row, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    notes.sign_encounter(session, pt, row.id)
    built = billing.build_claims(session, biller, [row.id])[0]
    stored = session.get(ClaimRow, built.id)  # the stored row itself: the test looks at what was frozen
    assert stored is not None
    return biller, stored


def change_what_is_in_force(session: Session, biller: access.Actor, payer: str, tmp_path: Path) -> None:
    """A clinic's payer edit, and shipped reference data that now says something else."""
    payers.set_payer_parameter(session, biller, payer, "charges.default_multiple", 5, date(2020, 1, 1), "new contract")
    payers.set_payer_parameter(session, biller, payer, "claims.payer_identifier", "NEWID", date(2020, 1, 1), "portal")
    overlay = tmp_path / "overlay" / "payers" / payer
    overlay.mkdir(parents=True)
    (overlay / "claims.yaml").write_text(
        "claims.filing_indicator:\n  description: filed as an HMO\n  reference: test\n  values:\n    2000-01-01: HM\n"
    )
    (overlay / "units.yaml").write_text(
        "units.method:\n  description: per code\n  reference: test\n  values:\n    2000-01-01: per_code\n"
    )
    catalog_module.configure_default_catalog(ReferenceCatalog(overlay_dirs=(tmp_path / "overlay",)))


@pytest.fixture
def restore_catalog(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_module, "_configured", None)


@pytest.mark.usefixtures("restore_catalog")
def test_a_claims_exports_stay_as_built_after_the_payer_and_the_rules_change(session: Session, tmp_path: Path) -> None:
    biller, claim = billed_claim(session, "frozen-a")
    assert claim.claim_json is not None
    assert claim.fingerprint == frozen_claims.current_fingerprint()
    before = exports(session, biller, claim.id)
    assert sbr09(before[0]) == "MB"  # the Medicare claim, as built

    change_what_is_in_force(session, biller, claim.payer_id, tmp_path)
    assert frozen_claims.current_fingerprint() != claim.fingerprint
    assert exports(session, biller, claim.id) == before

    # The same claim built now would differ: the comparison above could fail.
    claim.claim_json = None  # as a claim built before migration 0005_frozen
    rebuilt = exports(session, biller, claim.id)
    assert (rebuilt[0] != before[0], rebuilt[1] != before[1], rebuilt[2] != before[2]) == (True, True, True)
    assert sbr09(rebuilt[0]) == "HM"
    assert claim.claim_json is not None  # frozen at that first export, with what was in force then
    assert claim.fingerprint == frozen_claims.current_fingerprint()


def test_a_stored_check_carries_the_fingerprint_of_what_decided_it(session: Session) -> None:
    pt, _, patient = make_clinic(session, "frozen-b")
    row, _ = notes.save_encounter(session, pt, json.loads(json.dumps(CLEAN)), patient.id)
    fingerprint = row.checks[-1].fingerprint
    assert fingerprint == frozen_claims.current_fingerprint()
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*\+[0-9a-f]{16}", fingerprint or "")


def test_a_corrected_claim_is_a_new_frozen_claim_pointing_at_the_original(session: Session) -> None:
    biller, original = billed_claim(session, "frozen-c")
    # Medicare Part B takes no frequency 7 claims (a reopening instead): this clinic's change says its payer does.
    payers.set_payer_parameter(
        session, biller, original.payer_id, "claims.accepts_replacement_claims", True, date(2000, 1, 1), "test"
    )
    with pytest.raises(access.ConflictError, match="has not been sent"):
        frozen_claims.correct_claim(session, biller, original.id)
    original.status = ClaimState.PAID
    with pytest.raises(access.ConflictError, match="no payer claim number"):
        frozen_claims.correct_claim(session, biller, original.id)
    with pytest.raises(access.ConflictError, match="at most 50 printable"):
        frozen_claims.correct_claim(session, biller, original.id, payer_claim_number="9" * 51)
    original.payer_claim_number = "2026061500123"
    corrected = frozen_claims.correct_claim(session, biller, original.id)
    assert (corrected.frequency, corrected.corrects_claim_id, corrected.original_claim_number) == (
        "7",
        original.id,
        "2026061500123",
    )
    assert corrected.patient_control_number == f"{original.patient_control_number}-C1"
    stored = session.get(ClaimRow, corrected.id)
    assert stored is not None
    assert stored.claim_json is not None
    assert corrected.fingerprint
    text = billing.claim_837p(session, biller, corrected.id, TRADING)
    assert ":B:7*" in text
    assert "REF*F8*2026061500123~" in text
    assert pyx12_errors(text) == []
    with pytest.raises(access.ConflictError, match=f"already corrected by claim {corrected.id}"):
        frozen_claims.correct_claim(session, biller, original.id)
    stored.status = ClaimState.SUBMITTED
    again = frozen_claims.correct_claim(session, biller, corrected.id, payer_claim_number="X-99")
    assert (again.patient_control_number, again.original_claim_number) == (
        f"{original.patient_control_number}-C2",
        "X-99",
    )
    # Toward the yearly therapy threshold, the last correction counts instead of the claims it replaces.
    later = json.loads(json.dumps(CLEAN))
    later["id"], later["date_of_service"], later["patient"]["id"] = "later-visit", "2026-12-01", "C-1"
    counted = therapy_claims_this_year(session, biller.clinic_id, encounter_from_dict(later, "note"), default_catalog())
    assert counted == sum(line.expected_payment or 0 for line in again.lines if "GP" in line.modifiers)
    audited = session.scalars(
        select(AuditRow.detail).where(AuditRow.entity == "claim", AuditRow.entity_id == str(corrected.id))
    ).all()
    assert f"corrects claim {original.id} (frequency 7)" in audited
