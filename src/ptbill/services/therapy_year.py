"""What the app adds to a check beyond the note: the patient's therapy on the clinic's own claims this calendar
year (toward Medicare's KX threshold), and the Medicare localities a clinic can choose from (the check reads the
clinic's own with its other facts, ``check_inputs``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from ptbill.domain.encounter import Encounter
from ptbill.domain.status import ClaimState
from ptbill.domain.vocabulary import PayerType
from ptbill.pricing.installed import InstalledPfs
from ptbill.pricing.medicare_pfs import MedicareFeeSchedule
from ptbill.reference.catalog import ReferenceCatalog
from ptbill.storage.tables import ClaimLineRow, ClaimRow, EncounterRow, PatientRow

# The KX threshold counts PT and SLP together (OT has its own): lines under a PT or SLP plan of care.
THRESHOLD_MODIFIERS = frozenset({"GP", "GN"})
NOT_INCURRED = frozenset({ClaimState.DENIED})  # a denied claim's lines were not allowed
VOID_FREQUENCY = "8"
_correction = aliased(ClaimRow)
_replaced = select(_correction.corrects_claim_id).where(_correction.corrects_claim_id.is_not(None))


def therapy_claims_this_year(
    session: Session, clinic_id: int, encounter: Encounter, catalog: ReferenceCatalog
) -> Decimal | None:
    """Expected allowed amounts of the PT/SLP lines of the patient's Medicare claims from 1 January of the
    visit's year up to its date, other notes only. None when the payer is not Medicare (no threshold)."""
    payer = catalog.payer(encounter.coverage.payer)
    if payer is None or payer.type is not PayerType.MEDICARE:
        return None
    # The patient: the saved note's, else the one whose chart number the note carries (a note not yet saved).
    saved = select(EncounterRow.patient_id).where(
        EncounterRow.clinic_id == clinic_id, EncounterRow.external_id == encounter.id
    )
    by_chart = select(PatientRow.id).where(
        PatientRow.clinic_id == clinic_id, PatientRow.chart_number == encounter.patient.id
    )
    return therapy_claims_of(session, clinic_id, session.scalar(saved) or session.scalar(by_chart), encounter, catalog)


def therapy_claims_of(
    session: Session, clinic_id: int, patient_id: int | None, encounter: Encounter, catalog: ReferenceCatalog
) -> Decimal | None:
    """``therapy_claims_this_year`` for the note's patient, known to the caller (None: no patient found)."""
    payer = catalog.payer(encounter.coverage.payer)
    if payer is None or payer.type is not PayerType.MEDICARE:
        return None
    if patient_id is None:
        return Decimal("0.00")
    medicare = [p.id for p in catalog.payers().values() if p.type is PayerType.MEDICARE]
    day = encounter.date_of_service
    rows = session.execute(
        select(ClaimLineRow.modifiers, ClaimLineRow.expected_payment)
        .join(ClaimRow, ClaimRow.id == ClaimLineRow.claim_id)
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .where(
            ClaimRow.clinic_id == clinic_id,
            EncounterRow.patient_id == patient_id,
            EncounterRow.external_id != encounter.id,
            ClaimRow.payer_id.in_(medicare),
            ClaimRow.service_date >= date(day.year, 1, 1),
            ClaimRow.service_date <= day,
            ClaimRow.status.not_in(NOT_INCURRED),
            ClaimRow.frequency != VOID_FREQUENCY,
            ClaimRow.id.not_in(_replaced),  # a corrected claim counts instead of the one it replaces
            ClaimLineRow.expected_payment.is_not(None),
        )
    )
    return sum(
        (
            amount
            for modifiers, amount in rows
            if amount is not None and THRESHOLD_MODIFIERS.intersection(modifiers or [])
        ),
        Decimal("0.00"),
    )


def medicare_localities(catalog: ReferenceCatalog, day: date) -> list[tuple[str, str]]:
    """The localities a clinic can choose from on ``day``: (key, name) of the installed or shipped GPCI file."""
    installed = InstalledPfs.at(catalog.installed_dir) if catalog.installed_dir else None
    schedule = installed.schedule if installed else MedicareFeeSchedule.default()
    year = schedule.schedule_for(day) or schedule.latest
    return sorted((key, f"{loc.state} {loc.name}") for key, loc in year.localities.items())
