"""Every page of the app, as the person who opens it: what the accessibility test and
``bench/screenshots.py --widths`` walk. Ids come from the live app's database (the demo clinic, with
the simulated payers' remittances posted, so the back-office pages have rows)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ptbill.services.reports.registry import REPORTS
from ptbill.storage.tables import ClaimBatchRow, EncounterRow, PatientRow
from tests.browser.live_app import VISIT_DATE, LiveApp

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


def pages(app: LiveApp) -> list[WalkedPage]:
    with app.sessions() as session:
        clinic = session.scalar(select(PatientRow.clinic_id).where(PatientRow.id == app.new_patient_id))
        notes = select(EncounterRow.id).where(EncounterRow.clinic_id == clinic).order_by(EncounterRow.id)
        signed = session.scalar(notes.where(EncounterRow.status != "draft"))
        draft = session.scalar(notes.where(EncounterRow.status == "draft"))
        batch = session.scalar(
            select(ClaimBatchRow.id).where(ClaimBatchRow.clinic_id == clinic).order_by(ClaimBatchRow.id)
        )
    walk = [
        WalkedPage("login", None, "/login"),
        WalkedPage("notes", THERAPIST, "/notes"),
        WalkedPage("note-new", THERAPIST, "/notes/new"),
        WalkedPage("note-start", THERAPIST, f"/notes/new?patient_id={app.new_patient_id}&date_of_service={VISIT_DATE}"),
        WalkedPage("note-signed", THERAPIST, f"/notes/{signed}"),
        WalkedPage("note-history", THERAPIST, f"/notes/{signed}/history"),
        WalkedPage("account-password", THERAPIST, "/account/password"),
        WalkedPage("account-two-factor", THERAPIST, "/account/two-factor"),
        WalkedPage("queue", BILLER, "/queue"),
        WalkedPage("queue-attention", BILLER, "/queue?tab=needs_attention"),
        WalkedPage("queue-blocked", BILLER, "/queue?tab=blocked"),
        WalkedPage("claims", BILLER, "/claims"),
        WalkedPage("batches", BILLER, "/batches"),
        WalkedPage("denials", BILLER, "/denials"),
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
    return walk
