"""Timely filing: each claim not yet sent measured against its payer's filing limit (``rules.filing_limit``,
read from the payer's dated parameters with the clinic's own changes on top), on the day of the caller's clock.

The worklist holds the clinic's claims still waiting to be sent (built, in no batch or in a batch not yet
marked submitted) whose limit is near or past, fewest days left first. Building a batch and marking one
submitted refuse a claim past its limit (``LateFilingError`` names each) unless the biller confirms it: the
payer will deny it (CARC 29) unless an exception applies (42 CFR 424.44(b) for Medicare), and a confirmed
late claim is audited with the claim named.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.status import ClaimState
from ptbill.reference.catalog import default_catalog
from ptbill.reference.parameters import ParameterLayer
from ptbill.rules.filing_limit import LATE, OPEN, FilingLimit, filing_limit
from ptbill.services.access import BILLERS, Actor, ConflictError, require_role
from ptbill.services.audit import audit
from ptbill.services.payers import clinic_layer
from ptbill.storage.tables import ClaimRow, EncounterRow

RULE_ID = "TIMELY_FILING_LIMIT"


class FilingLimits:
    """Limits for one clinic on one day, each payer's snapshot read once per date of service."""

    def __init__(self, session: Session, clinic_id: int, today: date) -> None:
        self.session, self.clinic_id, self.today = session, clinic_id, today
        self._layers: dict[str, ParameterLayer | None] = {}
        self._found: dict[tuple[str, date], FilingLimit | None] = {}

    def of(self, payer_id: str, service_date: date) -> FilingLimit | None:
        key = (payer_id, service_date)
        if key not in self._found:
            catalog = default_catalog()
            if catalog.payer(payer_id) is None:
                self._found[key] = None
                return None
            if payer_id not in self._layers:
                self._layers[payer_id] = clinic_layer(self.session, self.clinic_id, payer_id)
            snapshot = catalog.snapshot(payer_id, service_date)
            layer = self._layers[payer_id]
            if layer is not None:
                snapshot = snapshot.with_layer(layer)
            self._found[key] = filing_limit(snapshot, service_date, self.today)
        return self._found[key]


def unsent_limit(limits: FilingLimits, status: str, payer_id: str, service_date: date) -> FilingLimit | None:
    """A claim's limit while it waits to be sent (built); None once sent or answered."""
    return limits.of(payer_id, service_date) if status == ClaimState.BUILT else None


@dataclass(frozen=True, slots=True)
class TimelyItem:
    claim_id: int
    patient_control_number: str
    patient: str
    payer_id: str
    service_date: date
    batch_id: int | None
    filing: FilingLimit


def _patient(document: dict[str, object] | None) -> str:
    patient = (document or {}).get("patient") or {}
    if not isinstance(patient, dict):
        return ""
    return f"{patient.get('last_name', '')}, {patient.get('first_name', '')}".strip(", ")


def timely_filing_worklist(session: Session, actor: Actor, today: date, payer: str | None = None) -> list[TimelyItem]:
    """The clinic's unsent claims near or past their filing limit (optionally one payer's), fewest days left first."""
    require_role(actor, BILLERS)
    query = (
        select(ClaimRow.id, ClaimRow.patient_control_number, ClaimRow.payer_id, ClaimRow.service_date)
        .add_columns(ClaimRow.batch_id, EncounterRow.document)
        .join(EncounterRow, EncounterRow.id == ClaimRow.encounter_id)
        .where(ClaimRow.clinic_id == actor.clinic_id, ClaimRow.status == ClaimState.BUILT)
    )
    if payer:
        query = query.where(ClaimRow.payer_id == payer)
    limits = FilingLimits(session, actor.clinic_id, today)
    items = []
    for claim_id, number, payer_id, service_date, batch_id, document in session.execute(query):
        found = limits.of(payer_id, service_date)
        if found is not None and found.state != OPEN:
            items.append(TimelyItem(claim_id, number, _patient(document), payer_id, service_date, batch_id, found))
    items.sort(key=lambda item: (item.filing.days_left, item.claim_id))
    audit(session, actor, "read", "claim_list", None, f"timely filing: {len(items)} claims")
    return items


class LateFilingError(ConflictError):
    """Claims past their payer's filing limit, sent only when the biller confirms."""

    def __init__(self, late: Sequence[tuple[int, FilingLimit]]) -> None:
        self.late = list(late)
        named = "; ".join(f"claim {claim_id}: {found.words()}" for claim_id, found in self.late)
        super().__init__(
            f"{RULE_ID}: past the payer's filing limit, so the payer will deny it (CARC 29) unless an exception "
            f"applies: {named}. Confirm to send anyway; nothing was changed"
        )


def guard_late_claims(
    session: Session, actor: Actor, claims: Iterable[tuple[int, str, str, date]], today: date, *, confirmed: bool
) -> None:
    """Refuse claims ``(id, status, payer, date of service)`` past their limit unless ``confirmed`` (audited)."""
    limits = FilingLimits(session, actor.clinic_id, today)
    late = []
    for claim_id, status, payer_id, service_date in claims:
        found = unsent_limit(limits, status, payer_id, service_date)
        if found is not None and found.state == LATE:
            late.append((claim_id, found))
    if late and not confirmed:
        raise LateFilingError(late)
    for claim_id, found in late:
        audit(session, actor, "update", "claim", str(claim_id), f"late filing confirmed: last day {found.last_day}")
