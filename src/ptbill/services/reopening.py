"""A reopening request: what a payer that takes no replacement or void claims wants instead (Medicare Part B
corrects a processed claim by a reopening, 42 CFR 405.980; a frequency 7 or 8 claim would be a new claim).

The request names the claim, the payer's claim number (ICN), the date of service, what to change and why.
It is stored as a row (audited) and its PDF is drawn again from that row and the frozen claim on every
download. Every value the user typed goes through ``pdf_text.plain``: a Paragraph reads its text as markup.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.vocabulary import BILLERS
from ptbill.services.access import Actor, ConflictError, InvalidChangeError, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.billing import claim_row
from ptbill.services.clinic import clinic_zone
from ptbill.services.frozen_claims import stored_claim, takes_replacement_claims
from ptbill.services.pdf_tables import ruled_table
from ptbill.services.pdf_text import plain, text_fonts
from ptbill.services.records import copy_of
from ptbill.storage.tables import ClinicRow, ReopeningRequestRow

MAX_TEXT = 1000
SOURCE = (
    "42 CFR 405.980; Noridian JF Part B, Reopenings: https://med.noridianmedicare.com/web/jfb/topics/appeals/reopening"
)


@dataclass(frozen=True, slots=True)
class ReopeningRequest:
    id: int
    claim_id: int
    change_text: str
    reason_text: str
    created_by_user_id: int | None
    created_at: datetime


def _text(raw: str | None, field: str, what: str) -> str:
    text = (raw or "").strip()
    if not text:
        raise InvalidChangeError(field, f"{field}: say {what}")
    if len(text) > MAX_TEXT or not text.replace("\n", " ").replace("\r", "").isprintable():
        raise InvalidChangeError(field, f"{field}: at most {MAX_TEXT} printable characters")
    return text


def request_reopening(
    session: Session,
    actor: Actor,
    claim_id: int,
    change_text: str,
    reason_text: str,
    *,
    clock: Clock = SYSTEM_CLOCK,
) -> ReopeningRequest:
    """Store a reopening request for the claim (audited); its PDF is ``reopening_pdf``."""
    require_role(actor, BILLERS)
    change = _text(change_text, "change", "what the payer should change (e.g. line 2: 97110 units 3, not 4)")
    reason = _text(reason_text, "reason", "why (e.g. a clerical error in the units billed)")
    row = claim_row(session, actor, claim_id)
    if not row.payer_claim_number:
        raise ConflictError(
            f"claim {claim_id} has no payer claim number (ICN): the payer never adjudicated it, so there is "
            "nothing to reopen; resubmit it instead"
        )
    stored = ReopeningRequestRow(
        clinic_id=actor.clinic_id,
        claim_id=row.id,
        change_text=change,
        reason_text=reason,
        created_by_user_id=actor.user_id,
        created_at=clock.now(),
    )
    session.add(stored)
    session.flush()
    audit(session, actor, "create", "reopening_request", str(stored.id), f"claim {row.id}")
    return copy_of(ReopeningRequest, stored)


def reopenings_of(session: Session, actor: Actor, claim_id: int) -> list[ReopeningRequest]:
    rows = session.scalars(
        select(ReopeningRequestRow)
        .where(ReopeningRequestRow.clinic_id == actor.clinic_id, ReopeningRequestRow.claim_id == claim_id)
        .order_by(ReopeningRequestRow.id)
    )
    return [copy_of(ReopeningRequest, row) for row in rows]


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    font, bold = text_fonts()
    return {
        "title": ParagraphStyle("title", parent=base["Heading1"], fontName=bold, fontSize=15, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=11.5, spaceBefore=10),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=10, leading=13.5),
        "small": ParagraphStyle("small", parent=base["BodyText"], fontName=font, fontSize=8.5, textColor=colors.grey),
    }


def _table(rows: list[list[str]], styles: dict[str, ParagraphStyle]) -> Table:
    return ruled_table(
        [[Paragraph(plain(cell), styles["body"]) for cell in row] for row in rows],
        [1.7 * inch, 4.8 * inch],
        shade="labels",
    )


def reopening_pdf(session: Session, actor: Actor, claim_id: int, request_id: int) -> bytes:
    """The stored request as a PDF letter to the payer (audited as an export)."""
    require_role(actor, BILLERS)
    request = session.get(ReopeningRequestRow, request_id)
    if request is None or request.clinic_id != actor.clinic_id or request.claim_id != claim_id:
        raise NotFoundError(f"reopening request {request_id} of claim {claim_id} not found")
    row = claim_row(session, actor, claim_id)
    claim = stored_claim(session, actor, row)
    clinic = session.get(ClinicRow, actor.clinic_id)
    assert clinic is not None
    takes, reference = takes_replacement_claims(session, actor.clinic_id, row.payer_id, row.service_date)
    styles = _styles()
    made = request.created_at
    if made.tzinfo is not None:
        made = made.astimezone(ZoneInfo(clinic_zone(session, actor.clinic_id)))
    lines = "; ".join(
        f"{line.line_number}: {line.code}{''.join('-' + m for m in line.modifiers)} × {line.units}, ${line.charge:,.2f}"
        for line in claim.lines
    )
    story: list[Any] = [
        Paragraph(plain(clinic.name), styles["title"]),
        Paragraph(
            plain(f"{clinic.address_line1}, {clinic.city}, {clinic.state} {clinic.zip} · NPI {clinic.npi}"),
            styles["small"],
        ),
        Spacer(1, 12),
        Paragraph(f"{made:%B %d, %Y}", styles["body"]),
        Paragraph(plain(f"To: {claim.payer.name}, reopenings"), styles["body"]),
        Spacer(1, 8),
        Paragraph("Request to reopen a processed claim", styles["h2"]),
        _table(
            [
                [
                    "Patient",
                    f"{claim.patient.first_name} {claim.patient.last_name}, born {claim.patient.birth_date:%m/%d/%Y}",
                ],
                ["Member ID", claim.member_id],
                ["ICN (payer claim no.)", row.payer_claim_number or ""],
                ["Our claim", claim.claim_id],
                ["Date of service", f"{claim.service_date:%m/%d/%Y}"],
                ["Billing provider NPI", claim.billing_provider.npi],
                ["Lines as billed", lines],
                ["What to change", request.change_text],
                ["Why", request.reason_text],
            ],
            styles,
        ),
        Spacer(1, 10),
        Paragraph(
            plain(
                "We ask you to reopen and revise the initial determination of this claim to correct the error "
                "described above. "
                + ("" if takes else "This payer does not take replacement or void claims: " + reference + ".")
            ),
            styles["body"],
        ),
        Spacer(1, 6),
        Paragraph(plain(f"Source: {SOURCE}"), styles["small"]),
    ]
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=LETTER, title=f"Reopening request {claim.claim_id}").build(story)
    audit(session, actor, "export", "reopening_request", str(request.id), f"claim {row.id} pdf")
    return buffer.getvalue()
