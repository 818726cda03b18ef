"""Two billers building the secondary claim of the same primary answer at the same moment get the same one
claim, on PostgreSQL with real parallel connections (and on SQLite, which serializes writers)."""

from __future__ import annotations

import copy
import uuid
from datetime import date
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.remittance import ClaimStatus
from ptbill.services import cob, patients, posting
from ptbill.services import notes as notes_service
from ptbill.services.billing import build_claims
from ptbill.storage.session import DatabaseBusyError, transaction
from ptbill.storage.tables import ClaimRow
from tests.integration.test_cob import PRIMARY, answer
from tests.integration.test_concurrency import Clinic, clinic, factory, together
from tests.integration.test_storage_services import CLEAN

__all__ = ["clinic", "factory"]  # the module's fixtures, shared with the other concurrency tests


def answered_primary(factory: sessionmaker[Session], clinic: Clinic) -> int:
    """A Medicare claim whose 835 is posted, for a patient given a Medigap coverage only afterwards (so
    posting built nothing yet), committed; its id."""
    with transaction(factory) as session:
        patient = patients.create_patient(
            session,
            clinic.therapist,
            {
                "chart_number": f"C-{uuid.uuid4().hex[:10]}",
                "first_name": "Ava",
                "last_name": "Testwell",
                "birth_date": date(1961, 4, 2),
                "sex": "F",
            },
        )
        patients.add_coverage(
            session, clinic.biller, patient.id, {"payer_id": "ca-medicare-south", "member_id": "1EG4"}
        )
        document = copy.deepcopy(CLEAN)
        document["id"] = f"cob-{uuid.uuid4().hex[:12]}"
        row, _ = notes_service.save_encounter(session, clinic.therapist, document, patient.id)
        notes_service.sign_encounter(session, clinic.therapist, row.id)
        claim = build_claims(session, clinic.biller, [row.id])[0]
        primary_835 = answer(
            claim.patient_control_number, ClaimStatus.PRIMARY, PRIMARY, payer="MCR", trace=document["id"]
        )
        posting.post_remittances(session, clinic.biller, [primary_835], "medicare.835")
        patients.add_coverage(session, clinic.biller, patient.id, {"payer_id": "aetna", "member_id": "MS881"})
        return claim.id


def build(factory: sessionmaker[Session], clinic: Clinic, claim_id: int) -> int:
    with transaction(factory) as session:
        return cob.build_next_claim(session, clinic.biller, claim_id).id


def test_two_secondary_builds_at_once_make_one_claim(factory: sessionmaker[Session], clinic: Clinic) -> None:
    for round_number in range(6):
        primary_id = answered_primary(factory, clinic)
        results = together(partial(build, factory, clinic, primary_id), partial(build, factory, clinic, primary_id))
        built = [r for r in results if isinstance(r, int)]
        others = [r for r in results if not isinstance(r, int)]
        assert built, f"round {round_number}: {results!r}"
        assert len(set(built)) == 1, f"round {round_number}: two secondary claims {built}"
        assert all(isinstance(r, DatabaseBusyError) for r in others), repr(others)  # SQLite's busy writer only
        with factory() as session:
            count = session.scalar(
                select(func.count()).select_from(ClaimRow).where(ClaimRow.prior_claim_id == primary_id)
            )
        assert count == 1
