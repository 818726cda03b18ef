"""The appeal packet: a PDF built from the chart for one denied claim.

It follows the seed guide's advice: assess the reason for denial, gather the supporting
documentation, and include a cover letter that addresses the payer's criteria. Page 1 is the cover
letter; then its enclosures (``appeal_enclosures``), each printed as the note PDF prints notes: the treatment
note the claim was built from (every section, the traction record, signature and addenda), the plan of care and
progress (the episode's initial evaluation and its latest progress report before the note), and the claim lines
as billed and paid. Every page names the patient and says "Page X of Y".
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, Spacer, Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK
from ptbill.domain.encounter import dotted_diagnosis
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.vocabulary import BILLERS
from ptbill.reference.catalog import default_catalog
from ptbill.reference.icd10 import default_catalog as icd10_catalog
from ptbill.remittance.appeal_levels import AppealLevel, appeal_level
from ptbill.rules.engine import FALLBACK_PAYER
from ptbill.services import denial_work
from ptbill.services.access import Actor, ConflictError, require_role
from ptbill.services.appeal_enclosures import enclosures
from ptbill.services.audit import audit
from ptbill.services.billing import claim_row
from ptbill.services.clinic import clinic_zone
from ptbill.services.denial_items import DenialItem
from ptbill.services.denials import main_denial
from ptbill.services.pdf_pages import build_document
from ptbill.services.pdf_tables import ruled_table
from ptbill.services.pdf_text import plain, text_fonts
from ptbill.storage.tables import ClaimPaymentRow, ClaimRow, ClinicRow, EncounterRow, RemittanceRow

# What each denial family asks the letter to show, pointing at the note's own words.
ARGUMENTS = {
    "necessity": "Mechanical traction was reasonable and necessary: the note records the diagnosis it treats, why "
    "traction was chosen over other treatment, the measured response, and the plan of care it serves.",
    "time": "The note records the start and end clock times of the traction, the minutes of every timed service and "
    "the total treatment time, as Medicare Benefit Policy Manual ch.15 §220.3 asks.",
    "modifier": "The lines carry the modifiers the services require (GP for the outpatient PT plan of care; CQ when a "
    "PTA furnished them; KX when the year's therapy passed the threshold, with medical necessity documented).",
    "authorization": "The visit was covered by the prior authorization recorded below, within its dates and "
    "approved visits.",
    "pair": "The services were distinct: separate, non-overlapping treatment times are documented, which the "
    "NCCI modifier on the column-2 code reports.",
    "frequency": "The number of visits and units billed is what the plan of care and the documented minutes support.",
}
RULE_FAMILY = {
    "JUSTIFICATION_MISSING": "necessity",
    "DIAGNOSIS_NOT_COVERED": "necessity",
    "TIME_NOT_DOCUMENTED": "time",
    "START_END_TIMES_MISSING": "time",
    "TOTAL_TIME_MISSING": "time",
    "MODIFIER_GP_MISSING": "modifier",
    "MODIFIER_CQ_MISSING": "modifier",
    "MODIFIER_KX_MISSING": "modifier",
    "AUTH_MISSING": "authorization",
    "AUTH_EXPIRED": "authorization",
    "AUTH_VISITS_EXHAUSTED": "authorization",
    "NCCI_MODIFIER_REQUIRED": "pair",
    "NCCI_PAIR_NOT_ALLOWED": "pair",
    "UNITS_EXCEED_MUE": "frequency",
}


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    font, bold = text_fonts()  # names and notes print as written (Nguyễn, Muñoz-Peña), not in Latin-1 only
    return {
        "title": ParagraphStyle("title", parent=base["Heading1"], fontName=bold, fontSize=15, spaceAfter=6),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName=bold, fontSize=11.5, spaceBefore=10, spaceAfter=4),
        "body": ParagraphStyle("body", parent=base["BodyText"], fontName=font, fontSize=10, leading=13.5),
        "small": ParagraphStyle(
            "small", parent=base["BodyText"], fontName=font, fontSize=8.5, leading=11, textColor=colors.grey
        ),
    }


def _table(rows: list[list[Any]], widths: list[float], header: bool = True) -> Table:
    return ruled_table(
        [[Paragraph(plain(c), _styles()["body"]) if isinstance(c, str) else c for c in row] for row in rows],
        widths,
        shade="header" if header else None,
        extra=[("LEFTPADDING", (0, 0), (-1, -1), 5), ("RIGHTPADDING", (0, 0), (-1, -1), 5)],
    )


def _deadline_text(level: AppealLevel) -> str:
    if level.deadline is None:
        return "deadline unknown (no remittance date, or no appeal limit on file)"
    text = f"file by {level.deadline:%m/%d/%Y} ({level.days} days from {level.counted_from}"
    text += f", presumed received {level.receipt_days} days after its date)" if level.receipt_days else ")"
    return text + (" — ptbill's assumed default: check the contract" if level.assumed else "")


def _late_warning(level: AppealLevel, today: date, styles: dict[str, ParagraphStyle]) -> list[Any]:
    if level.deadline is None or level.deadline >= today:
        return []
    days = (today - level.deadline).days
    cause = (
        "Medicare may extend the time limit for good cause (42 CFR 405.942(b)): state the cause below."
        if level.form
        else "The payer may refuse a late appeal: state why it is late."
    )
    style = ParagraphStyle("late", parent=styles["body"], textColor=colors.HexColor("#a4161a"))
    return [
        Paragraph(
            plain(f"LATE: the deadline for this {level.name} was {level.deadline:%m/%d/%Y}, {days} days ago. {cause}"),
            style,
        ),
        Spacer(1, 8),
    ]


class LateAppealError(ConflictError):
    """The packet would be filed after its level's deadline: the caller must say it knows (``late=True``)."""


def build_item_appeal_pdf(session: Session, actor: Actor, item_id: int, today: date, *, late: bool = False) -> bytes:
    """The appeal packet for one denied line, at the level the item is at; refused with LateAppealError when
    the deadline has passed, unless ``late`` (the packet then says it is late)."""
    item = denial_work.denial_item(session, actor, item_id).item
    deadline = item.appeal.deadline
    if deadline is not None and deadline < today and not late:
        raise LateAppealError(
            f"the deadline for the {item.appeal.name} of denial item {item_id} was {deadline:%m/%d/%Y}: "
            "a packet filed now is late (build it anyway with late=true, and explain the good cause)"
        )
    return build_appeal_pdf(session, actor, item.claim_id, today=today, item=item)


def build_appeal_pdf(
    session: Session, actor: Actor, claim_id: int, today: date | None = None, item: DenialItem | None = None
) -> bytes:
    """The appeal packet for a denied or short-paid claim (or one denied line of it, ``item``), as PDF bytes,
    naming the appeal level for the payer (Medicare: redetermination, then reconsideration) and its deadline."""
    require_role(actor, BILLERS)
    claim: ClaimRow = claim_row(session, actor, claim_id)
    payment = session.scalar(
        select(ClaimPaymentRow)
        .where(
            ClaimPaymentRow.claim_id == claim.id,
            ClaimPaymentRow.id == item.claim_payment_id if item else ClaimPaymentRow.claim_id == claim.id,
        )
        .order_by(ClaimPaymentRow.id.desc())
    )
    if payment is None:
        raise ConflictError(f"claim {claim_id} has no posted remittance to appeal")
    encounter_row = session.get(EncounterRow, claim.encounter_id)
    clinic = session.get(ClinicRow, actor.clinic_id)
    if encounter_row is None or clinic is None:  # pragma: no cover - foreign keys guarantee both
        raise ConflictError(f"claim {claim_id} has no note")
    encounter = encounter_from_dict(encounter_row.document, f"encounter {encounter_row.id}")
    reason = item.reason if item else main_denial(payment)
    today = today or SYSTEM_CLOCK.today()
    payer = default_catalog().payer(claim.payer_id)
    if item is not None:
        level = item.appeal
    else:
        paid_on = session.scalar(select(RemittanceRow.payment_date).where(RemittanceRow.id == payment.remittance_id))
        snapshot = default_catalog().snapshot(claim.payer_id if payer else FALLBACK_PAYER, claim.service_date)
        level = appeal_level(snapshot, payer.type if payer else None, 1, paid_on, None)
    late = level.deadline is not None and level.deadline < today
    styles = _styles()
    icd = icd10_catalog().version_for(encounter.date_of_service)[0]
    # The first rule the denial knowledge names is the one the payer's reason is about.
    families = [RULE_FAMILY[r] for r in (reason.rules if reason else ()) if r in RULE_FAMILY][:1]
    codes = f"{reason.group.value if reason and reason.group else ''}-{reason.carc}" if reason else "not stated"
    remarks = ", ".join(reason.rarcs) if reason and reason.rarcs else "none"
    patient = encounter.patient
    enclosed = enclosures(session, actor, claim, encounter_row, clinic_zone(session, actor.clinic_id))

    story: list[Any] = [
        Paragraph(plain(clinic.name), styles["title"]),
        Paragraph(
            plain(
                f"{clinic.address_line1}, {clinic.city}, {clinic.state} {clinic.zip} · NPI {clinic.npi} · "
                f"Tax ID {clinic.tax_id}"
            ),
            styles["small"],
        ),
        Spacer(1, 14),
        Paragraph(f"{today:%B %d, %Y}", styles["body"]),
        Spacer(1, 8),
        *_late_warning(level, today, styles),
        Paragraph(
            plain(
                f"To: {payer.name if payer else claim.payer_id}, {level.decided_by}: request for {level.name} "
                f"(appeal level {level.level}" + (f", form {level.form}" if level.form else "") + ")"
            ),
            styles["body"],
        ),
        Spacer(1, 8),
        _table(
            [
                ["Patient", f"{patient.first_name} {patient.last_name}, born {patient.birth_date:%m/%d/%Y}"],
                ["Member ID", encounter.coverage.member_id],
                ["Claim", f"{claim.patient_control_number}; payer claim number {payment.payer_claim_number or 'n/a'}"],
                ["Date of service", f"{claim.service_date:%m/%d/%Y}"],
                ["Billed / paid", f"${claim.total_charge:,.2f} / ${Decimal(payment.paid):,.2f}"],
                ["Denial codes", f"{codes}; remarks {remarks}"],
                *(
                    [["Denied line", f"line {item.line_number or '-'}, {item.code}: ${item.denied_amount:,.2f} denied"]]
                    if item and item.code
                    else []
                ),
                ["Appeal", f"{level.name} (level {level.level}); {_deadline_text(level)}" + (" LATE" if late else "")],
            ],
            [1.5 * inch, 5.0 * inch],
            header=False,
        ),
        Spacer(1, 10),
        Paragraph(f"Request for {level.name}", styles["h2"]),
        Paragraph(
            f"We ask for a {level.name} of the denial of the services above. Your remittance gives the reason as: "
            f"<i>{plain((reason.reason if reason else 'no reason code').rstrip('.'))}</i>. The enclosed treatment note "
            "answers it.",
            styles["body"],
        ),
        Spacer(1, 6),
    ]
    for family in families or ["necessity"]:
        story += [Paragraph(ARGUMENTS[family], styles["body"]), Spacer(1, 4)]
    diagnoses = "; ".join(f"{dotted_diagnosis(c)} {icd.description(c) or ''}".strip() for c in encounter.diagnoses)
    story += [
        Paragraph(plain(f"Diagnoses treated: {diagnoses}."), styles["body"]),
        Spacer(1, 6),
        Paragraph(
            "We ask that the claim be reprocessed and paid. Please contact the billing office with any question.",
            styles["body"],
        ),
        Spacer(1, 22),
        Paragraph(plain(f"{actor.name}, for {clinic.name}"), styles["body"]),
        Paragraph(plain("Enclosures: " + "; ".join(enclosed.names) + "."), styles["small"]),
        *enclosed.story,
    ]
    pdf = build_document(
        story,
        enclosed.head,
        title=f"Appeal {claim.patient_control_number}",
        author=clinic.name,
    )
    detail = (
        f"{level.name} (level {level.level})"
        + (f", denial item {item.id}" if item else "")
        + (", late" if late else "")
    )
    detail += ", notes " + ", ".join(str(note) for note in enclosed.note_ids)
    audit(session, actor, "export", "appeal_packet", str(claim.id), detail)
    return pdf
