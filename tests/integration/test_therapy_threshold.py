"""The KX threshold in the app, on SQLite and PostgreSQL: the patient's own Medicare claims this year count
toward it (other notes only), an amount carried in from elsewhere adds to them, and the clinic's own MAC
locality wins over the ZIP-code guess."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy.orm import Session

from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.services import access
from ptbill.services import clinic as clinic_service
from ptbill.services import notes as notes_service
from ptbill.services.therapy_year import therapy_claims_this_year
from tests.integration.test_posting import billed_claim
from tests.integration.test_storage_services import CLEAN


def next_visit(claim_lines: int, **coverage: Any) -> dict[str, Any]:
    """A second visit a week after the billed one, not saved yet."""
    document: dict[str, Any] = json.loads(json.dumps(CLEAN))
    document.update(id="enc-1002", date_of_service="2026-03-09")
    document["patient"]["id"] = "C-1"  # the app's notes carry the chart number (make_clinic's patient)
    document["coverage"].update(therapy_charges_ytd=None, **coverage)
    assert claim_lines == 3  # the billed visit: 97012, 97110, 97140
    return document


def test_the_patients_claims_this_year_count_toward_the_kx_threshold(session: Session) -> None:
    biller, claim = billed_claim(session, "kx-own")
    own = sum((line.expected_payment or Decimal(0) for line in claim.lines), Decimal("0.00"))
    assert own > 0
    clinician = access.Actor(biller.user_id, biller.clinic_id, "therapist", "Dana Reyes")
    carried = {"amount": 2400.00, "source": "MAC portal", "as_of": "2026-03-06"}
    document = next_visit(len(claim.lines), therapy_carried_in=carried)

    alone = check_encounter(encounter_from_dict(document))  # what the note alone shows: under the threshold
    assert "MODIFIER_KX_MISSING" not in {f.rule for f in alone.findings}
    in_app = notes_service.check_document(session, clinician, document)  # + this clinic's claim of 2026-03-02
    kx = [f for f in in_app.findings if f.rule == "MODIFIER_KX_MISSING"]
    assert kx
    assert f"${own:,.2f} on this clinic's claims" in kx[0].message
    assert "$2,400.00 from elsewhere (MAC portal, as of 2026-03-06)" in kx[0].message


def test_the_note_being_checked_and_other_years_do_not_count(session: Session) -> None:
    biller, claim = billed_claim(session, "kx-self")
    catalog = default_catalog()
    same_note = encounter_from_dict(next_visit(len(claim.lines)) | {"id": "enc-1001"})
    assert therapy_claims_this_year(session, biller.clinic_id, same_note, catalog) == Decimal("0.00")
    next_year = encounter_from_dict(next_visit(len(claim.lines)) | {"date_of_service": "2027-01-04"})
    assert therapy_claims_this_year(session, biller.clinic_id, next_year, catalog) == Decimal("0.00")
    later = encounter_from_dict(next_visit(len(claim.lines)))
    assert therapy_claims_this_year(session, biller.clinic_id, later, catalog) == claim.expected_payment


def test_the_clinics_medicare_locality_wins_and_must_be_an_installed_one(session: Session) -> None:
    biller, claim = billed_claim(session, "kx-locality")
    admin = access.Actor(biller.user_id, biller.clinic_id, "admin", "Ann Admin")
    with pytest.raises(access.InvalidChangeError, match="'99999-99' is not a Medicare locality"):
        clinic_service.set_medicare_locality(session, admin, "99999-99", date(2026, 3, 2))
    clinic_service.set_medicare_locality(session, admin, "01182-18", date(2026, 3, 2))
    report = notes_service.check_document(session, admin, next_visit(len(claim.lines)))
    line = next(line for line in report.claim_lines if line.code == "97012")
    assert line.payment_basis is not None
    assert "01182-18, set by the clinic" in line.payment_basis
