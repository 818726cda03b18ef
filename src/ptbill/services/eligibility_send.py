"""Asking payers through the clinic's mailbox: "verify now" for one coverage, and the nightly run.

The nightly run (the job ``nightly_eligibility``) asks, for each clinic, about every patient expected soon: a
note dated in the next ``days_ahead`` days (a visit written ahead) or a plan of care in force today. The
patient's primary active coverage is asked about unless its latest 271 is still within the payer's
``eligibility.verify_within_days`` or a 270 went out for it since yesterday (the answer may still be on its
way). Each 270 is stored and sent in one savepoint: a failed upload leaves neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.clock import Clock, day_in
from ptbill.mailbox.transport import Mailbox, MailboxError
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import BILLERS, Actor, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic import clinic_zone
from ptbill.services.eligibility import AskedRecord, latest_of_coverage, request_270, write_request
from ptbill.services.mailbox import MailboxFile, send_270
from ptbill.services.payers import clinic_layer
from ptbill.services.records import copy_of
from ptbill.storage.tables import CoverageRow, EligibilityRequestRow, EncounterRow, PlanOfCareRow

DAYS_AHEAD = 7
FALLBACK_WINDOW = 30


def verify_now(
    session: Session,
    actor: Actor,
    patient_id: int,
    mailbox: Mailbox,
    clock: Clock,
    *,
    coverage_id: int | None = None,
    day: date | None = None,
    source: str = "web",
) -> tuple[AskedRecord, MailboxFile]:
    """A 270 for the patient's coverage written, stored and put into the outbox, or neither (MailboxError)."""
    require_role(actor, BILLERS)
    with session.begin_nested():
        asked = request_270(session, actor, patient_id, clock, coverage_id=coverage_id, day=day, source=source)
        sent = send_270(session, actor.clinic_id, mailbox, asked.id, clock)
    return copy_of(AskedRecord, session.get(EligibilityRequestRow, asked.id)), sent


@dataclass(frozen=True, slots=True)
class NightlyResult:
    asked: int  # 270s sent
    current: int  # coverages whose answer is still current, or asked since yesterday
    failed: int  # 270s the mailbox did not take (nothing stored for them)
    problems: tuple[str, ...]

    @property
    def summary(self) -> str:
        text = f"{self.asked} eligibility request(s) sent, {self.current} still current, {self.failed} failed"
        return text + (f"; {'; '.join(self.problems)}" if self.problems else "")


def _expected(session: Session, clinic_id: int, today: date, days_ahead: int) -> dict[int, date]:
    """Patients with a visit in the next days (their first such day) or a plan of care in force (today)."""
    soon = session.execute(
        select(EncounterRow.patient_id, func.min(EncounterRow.date_of_service))
        .where(
            EncounterRow.clinic_id == clinic_id,
            EncounterRow.date_of_service >= today,
            EncounterRow.date_of_service <= today + timedelta(days=days_ahead),
        )
        .group_by(EncounterRow.patient_id)
    ).all()
    expected = dict(soon)
    planned = session.scalars(
        select(PlanOfCareRow.patient_id).where(
            PlanOfCareRow.clinic_id == clinic_id, PlanOfCareRow.start_date <= today, PlanOfCareRow.end_date >= today
        )
    ).all()
    for patient_id in planned:
        expected.setdefault(patient_id, today)
    return expected


def _window(session: Session, clinic_id: int, payer_id: str, today: date) -> int:
    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        return FALLBACK_WINDOW
    snapshot = catalog.snapshot(payer_id, today)
    layer = clinic_layer(session, clinic_id, payer_id)
    found = (snapshot.with_layer(layer) if layer is not None else snapshot).resolved("eligibility.verify_within_days")
    return found.integer if found is not None else FALLBACK_WINDOW


def _still_current(session: Session, clinic_id: int, coverage: CoverageRow, today: date, now: datetime) -> bool:
    latest = latest_of_coverage(session, clinic_id, coverage.id)
    window = _window(session, clinic_id, coverage.payer_id, today)
    if latest is not None and latest.received_on >= today - timedelta(days=window):
        return True
    last = session.scalar(
        select(func.max(EligibilityRequestRow.created_at)).where(
            EligibilityRequestRow.clinic_id == clinic_id, EligibilityRequestRow.coverage_id == coverage.id
        )
    )
    if last is None:
        return False
    last = last if last.tzinfo is not None else last.replace(tzinfo=UTC)  # SQLite hands it back without its zone
    return last >= now - timedelta(days=1)


def nightly_run(
    session: Session, clinic_id: int, mailbox: Mailbox, clock: Clock, *, days_ahead: int = DAYS_AHEAD
) -> NightlyResult:
    """Ask about each expected patient whose eligibility is not current (the installation's job: no user)."""
    today = day_in(clock, ZoneInfo(clinic_zone(session, clinic_id)))
    asked = current = failed = 0
    problems: list[str] = []
    for patient_id, visit in sorted(_expected(session, clinic_id, today, days_ahead).items()):
        coverage = session.scalars(
            select(CoverageRow)
            .where(CoverageRow.clinic_id == clinic_id, CoverageRow.patient_id == patient_id, CoverageRow.active)
            .order_by(CoverageRow.priority, CoverageRow.id)
        ).first()
        if coverage is None:
            continue
        if _still_current(session, clinic_id, coverage, today, clock.now()):
            current += 1
            continue
        try:
            with session.begin_nested():
                row = write_request(session, clinic_id, coverage, visit, clock, source="nightly", user_id=None)
                send_270(session, clinic_id, mailbox, row.id, clock)
            asked += 1
        except MailboxError as exc:
            failed += 1
            if len(problems) < 3:
                problems.append(str(exc)[:200])
    audit(session, None, "create", "eligibility_request", None, f"nightly: {asked} sent, {failed} failed",
          clinic_id=clinic_id)  # fmt: skip
    return NightlyResult(asked, current, failed, tuple(problems))
