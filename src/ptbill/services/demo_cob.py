"""The demo clinic's Medicare patients with a Medigap plan: a few get Aetna's Medicare Supplement as their
secondary coverage, and the first of them has Medicare cross its claims over (claim status 19, remark
MA18, the Medigap plan named in NM1*TT), so the demo shows both a secondary claim ptbill bills and a crossover."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.remittance import ClaimPayment, ClaimStatus
from ptbill.reference.catalog import default_catalog
from ptbill.services.billing import ClaimRecord
from ptbill.storage.tables import ClaimRow, CoverageRow, EncounterRow

MEDIGAP_PAYER = "aetna"  # Aetna sells Medicare Supplement plans
MEDIGAP_NAME = "AETNA MEDICARE SUPPLEMENT"
MEDIGAP_PATIENTS = 3  # how many Medicare patients have one


def add_medigap(session: Session, coverages: Sequence[CoverageRow]) -> None:
    """Aetna's Medicare Supplement as the secondary coverage of the first few Medicare patients."""
    catalog = default_catalog()
    medicare = [c for c in coverages if (info := catalog.payer(c.payer_id)) and info.type.value == "medicare"]
    for number, primary in enumerate(medicare[:MEDIGAP_PATIENTS]):
        session.add(
            CoverageRow(
                clinic_id=primary.clinic_id,
                patient_id=primary.patient_id,
                payer_id=MEDIGAP_PAYER,
                member_id=f"MS{primary.patient_id:06d}{number}",
                relationship_to_insured="self",
                priority=2,
            )
        )
    session.flush()


def crossed_over(session: Session, claims: Sequence[ClaimRecord], payments: list[ClaimPayment]) -> list[ClaimPayment]:
    """The payments with the claims of the first Medigap patient answered as crossed over by Medicare."""
    first = session.scalar(  # the first Medigap patient with a claim, whichever payer group is posted
        select(func.min(CoverageRow.patient_id))
        .join(EncounterRow, EncounterRow.patient_id == CoverageRow.patient_id)
        .join(ClaimRow, ClaimRow.encounter_id == EncounterRow.id)
        .where(CoverageRow.payer_id == MEDIGAP_PAYER, CoverageRow.priority == 2)
    )
    encounter_ids = [c.encounter_id for c in claims]
    theirs = set(
        session.scalars(
            select(EncounterRow.id).where(EncounterRow.id.in_(encounter_ids), EncounterRow.patient_id == first)
        )
    )
    crossing = {c.patient_control_number for c in claims if c.encounter_id in theirs}
    return [
        dataclasses.replace(
            p, status=ClaimStatus.PRIMARY_FORWARDED, remark_codes=("MA18",), crossover_carrier=MEDIGAP_NAME
        )
        if p.patient_control_number in crossing and p.status is ClaimStatus.PRIMARY
        else p
        for p in payments
    ]
