"""Every page of the app, as the person who opens it: what the accessibility test and
``bench/screenshots.py --widths`` walk. Ids come from the live app's database (the demo clinic, with
the simulated payers' remittances posted, so the back-office pages have rows)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import Clock, FixedClock
from ptbill.services.abn import prepare_abn
from ptbill.services.access import Actor
from ptbill.services.batches import create_batch, mark_batch_submitted
from ptbill.services.billing import build_claims
from ptbill.services.claim_answers import record_277ca, record_999
from ptbill.services.denial_work import DenialFilter, denial_items
from ptbill.services.reports.registry import REPORTS
from ptbill.storage.tables import (
    AbnRow,
    ClaimBatchRow,
    ClaimPaymentRow,
    ClaimRow,
    EncounterRow,
    PatientRow,
    RemittanceFileRow,
    RemittanceRow,
    UserRow,
)
from tests.browser.live_app import VISIT_DATE, LiveApp
from tests.demo_day import DEMO_TODAY
from tests.integration.clearinghouse import Numbers, answer_277ca, answer_999

THERAPIST = "therapist1@harbor.example"
BILLER = "biller@harbor.example"
ADMIN = "admin@harbor.example"
REPORT_PARAMS = {
    "best-payer": "?code=97012",
    "documentation-audit": "?period=2026-02&n=5&draw=0",
    "ar-aging": "?as_of=2026-04-06&by=patient",  # the demo's day, so every bucket and table has rows
    "days-in-ar": "?as_of=2026-04-06",
}


@dataclass(frozen=True)
class WalkedPage:
    name: str  # file name of its screenshot, without .png
    who: str | None  # the email logged in, None for a page before login
    path: str


def answered_claim(session: Session, clinic: int | None) -> int | None:
    """A claim the payer answered: one paid with a line denied when there is one (the claim page's busiest case)."""
    query = (
        select(ClaimPaymentRow.claim_id, ClaimPaymentRow.lines)
        .where(ClaimPaymentRow.clinic_id == clinic, ClaimPaymentRow.claim_id.is_not(None))
        .order_by(ClaimPaymentRow.id)
    )
    first = some_paid = None
    for claim_id, lines in session.execute(query):
        first = first or claim_id
        paid = [Decimal(str(line.get("paid", 0))) for line in lines]
        if any(p > 0 for p in paid) and any(p == 0 for p in paid):
            return int(claim_id)
        if any(p > 0 for p in paid):
            some_paid = some_paid or claim_id
    return some_paid or first


def acknowledged_claims(session: Session, biller: Actor, clock: Clock) -> tuple[int | None, int | None]:
    """(a rejected claim, an accepted one): two of the demo's signed notes billed, sent, and answered by the
    stand-in clearinghouse's 999 and 277CA rejecting the first; the ones made before when there are."""
    rejected = session.scalar(
        select(ClaimRow.id).where(ClaimRow.clinic_id == biller.clinic_id, ClaimRow.status == "rejected")
    )
    if rejected is not None:
        accepted = session.scalar(
            select(ClaimRow.id).where(ClaimRow.clinic_id == biller.clinic_id, ClaimRow.status == "accepted")
        )
        return rejected, accepted
    signed = select(EncounterRow.id).where(EncounterRow.clinic_id == biller.clinic_id, EncounterRow.status == "signed")
    notes = list(session.scalars(signed.order_by(EncounterRow.id.desc()).limit(2)))
    if len(notes) < 2:
        return None, None
    claims = build_claims(session, biller, notes, clock=clock)
    batch = create_batch(session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), clock=clock)
    mark_batch_submitted(session, biller, batch.id, clock=clock)
    sent, now, numbers = batch.content.encode(), clock.now(), Numbers()
    record_999(session, biller, answer_999(sent, now, numbers).encode(), now)
    record_277ca(session, biller, answer_277ca(sent, now, numbers, claims[0].patient_control_number).encode(), now)
    session.commit()
    return claims[0].id, claims[1].id


def pages(app: LiveApp) -> list[WalkedPage]:
    with app.sessions() as session:
        clinic = session.scalar(select(PatientRow.clinic_id).where(PatientRow.id == app.new_patient_id))
        notes = select(EncounterRow.id).where(EncounterRow.clinic_id == clinic).order_by(EncounterRow.id)
        signed = session.scalar(notes.where(EncounterRow.status != "draft"))
        draft = session.scalar(notes.where(EncounterRow.status == "draft"))
        batch = session.scalar(
            select(ClaimBatchRow.id).where(ClaimBatchRow.clinic_id == clinic).order_by(ClaimBatchRow.id)
        )
        claim = answered_claim(session, clinic)
        ledger_patient = (
            session.scalar(
                select(EncounterRow.patient_id)
                .join(ClaimRow, ClaimRow.encounter_id == EncounterRow.id)
                .where(ClaimRow.id == claim)
            )
            if claim is not None
            else None
        )
        remittance_file = session.scalar(select(RemittanceFileRow.id).where(RemittanceFileRow.clinic_id == clinic))
        payment = session.scalar(select(RemittanceRow.id).where(RemittanceRow.clinic_id == clinic))
        stray = session.scalar(
            select(ClaimPaymentRow.id).where(ClaimPaymentRow.clinic_id == clinic, ClaimPaymentRow.claim_id.is_(None))
        )
        user = session.scalars(select(UserRow).where(UserRow.email == BILLER)).one()
        biller = Actor(user.id, user.clinic_id, user.role, user.name)
        items = denial_items(session, biller, DenialFilter(status="all"), app.settings.clock, limit=100_000).items
        rejected, accepted = acknowledged_claims(session, biller, FixedClock(DEMO_TODAY))
        abn = session.scalar(select(AbnRow.id).where(AbnRow.patient_id == app.new_patient_id))
        if abn is None:  # an unsigned ABN for the new Medicare patient: its page shows the signature form
            admin = session.scalars(select(UserRow).where(UserRow.email == ADMIN)).one()
            preparer = Actor(admin.id, admin.clinic_id, admin.role, admin.name)
            services = [{"code": "97012"}, {"code": "97110", "label": "Exercises to keep strength"}]
            abn = prepare_abn(
                session, preparer, app.new_patient_id, services, "above_threshold", clock=app.settings.clock
            ).id
        session.commit()
        today = app.settings.clock.today()
        denial = next((i.id for i in items if i.deadline_state(today)[0] != "past"), None)
        late = next((i.id for i in items if i.deadline_state(today)[0] == "past"), None)
    walk = [
        WalkedPage("login", None, "/login"),
        WalkedPage("notes", THERAPIST, "/notes"),
        WalkedPage("note-new", THERAPIST, "/notes/new"),
        WalkedPage("note-start", THERAPIST, f"/notes/new?patient_id={app.new_patient_id}&date_of_service={VISIT_DATE}"),
        WalkedPage(
            "note-progress-report",
            THERAPIST,
            f"/notes/new?patient_id={app.new_patient_id}&date_of_service={VISIT_DATE}&note_type=progress_report",
        ),
        WalkedPage("note-signed", THERAPIST, f"/notes/{signed}"),
        WalkedPage("note-history", THERAPIST, f"/notes/{signed}/history"),
        WalkedPage("note-templates", THERAPIST, "/notes/templates"),
        WalkedPage("note-template-new", THERAPIST, f"/notes/templates/new?note={signed}"),
        WalkedPage("account-password", THERAPIST, "/account/password"),
        WalkedPage("account-two-factor", THERAPIST, "/account/two-factor"),
        WalkedPage("queue", BILLER, "/queue"),
        WalkedPage("queue-attention", BILLER, "/queue?tab=needs_attention"),
        WalkedPage("queue-blocked", BILLER, "/queue?tab=blocked"),
        WalkedPage("queue-filtered", BILLER, "/queue?tab=needs_attention&payer=aetna&min=1&per_page=25"),
        WalkedPage("queue-refused", BILLER, "/queue?from=2026-02-30&min=%D9%A3"),
        WalkedPage("claims", BILLER, "/claims"),
        WalkedPage("batches", BILLER, "/batches"),
        WalkedPage("claims-timely-filing", BILLER, "/claims/timely-filing"),
        WalkedPage("claims-rejections", BILLER, "/claims/rejections"),
        WalkedPage("denials", BILLER, "/denials"),
        WalkedPage("remittances", BILLER, "/remittances"),
        WalkedPage("remittances-unmatched", BILLER, "/remittances/unmatched"),
        WalkedPage("payments", BILLER, "/payments"),
        WalkedPage("statements", BILLER, "/statements"),
        WalkedPage("mailbox", BILLER, "/mailbox"),
        WalkedPage("denials-all", BILLER, "/denials?status=all&follow_up=due"),
        WalkedPage("reports", BILLER, "/reports"),
        *(WalkedPage(f"report-{r.name}", BILLER, f"/reports/{r.name}{REPORT_PARAMS.get(r.name, '')}") for r in REPORTS),
        WalkedPage("payers", BILLER, "/payers"),
        WalkedPage("payer", BILLER, "/payers/ca-medicare-south"),
        WalkedPage("not-found", BILLER, "/notes/999999"),
        WalkedPage("patients", ADMIN, "/patients"),
        WalkedPage("patient-new", ADMIN, "/patients/new"),
        WalkedPage("patient-chart", ADMIN, f"/patients/{app.new_patient_id}"),
        WalkedPage("patient-coverage-new", ADMIN, f"/patients/{app.new_patient_id}/coverages/new"),
        WalkedPage("patient-authorization-new", ADMIN, f"/patients/{app.new_patient_id}/authorizations/new"),
        WalkedPage("patient-plan-new", ADMIN, f"/patients/{app.new_patient_id}/plans-of-care/new"),
        WalkedPage("patient-abn-new", ADMIN, f"/patients/{app.new_patient_id}/abns/new"),
        WalkedPage("patient-abn", ADMIN, f"/patients/{app.new_patient_id}/abns/{abn}"),
        WalkedPage("patient-estimate-new", ADMIN, f"/patients/{app.new_patient_id}/estimates/new"),
        WalkedPage("admin-clinic", ADMIN, "/admin/clinic"),
        WalkedPage("admin-providers", ADMIN, "/admin/providers"),
        WalkedPage("admin-users", ADMIN, "/admin/users"),
        WalkedPage("admin-audit", ADMIN, "/admin/audit"),
        WalkedPage("admin-sessions", ADMIN, "/admin/sessions"),
        WalkedPage("admin-reference", ADMIN, "/admin/reference"),
    ]
    if draft is not None:
        walk.append(WalkedPage("note-draft", THERAPIST, f"/notes/{draft}"))
    if batch is not None:
        walk.append(WalkedPage("batch", BILLER, f"/batches/{batch}"))
    if claim is not None:
        walk.append(WalkedPage("claim", BILLER, f"/claims/{claim}"))
    if rejected is not None:
        walk.append(WalkedPage("claim-rejected", BILLER, f"/claims/{rejected}"))
    if accepted is not None:
        walk.append(WalkedPage("claim-accepted", BILLER, f"/claims/{accepted}"))
    if ledger_patient is not None:
        walk.append(WalkedPage("patient-ledger", BILLER, f"/patients/{ledger_patient}/ledger"))
    if remittance_file is not None:
        walk.append(WalkedPage("remittance-file", BILLER, f"/remittances/{remittance_file}"))
    if payment is not None:
        walk.append(WalkedPage("payment", BILLER, f"/payments/{payment}"))
    if stray is not None:
        walk.append(WalkedPage("remittance-match", BILLER, f"/remittances/unmatched/{stray}?q=a"))
    if denial is not None:
        walk.append(WalkedPage("denial-item", BILLER, f"/denials/items/{denial}"))
    if late is not None:
        walk.append(WalkedPage("denial-item-late", BILLER, f"/denials/items/{late}"))
        walk.append(WalkedPage("denial-late-packet", BILLER, f"/denials/items/{late}/appeal.pdf"))
    return walk
