"""The ABN drawn as form CMS-R-131 lays it out: notifier (A), patient name (B) and identification number (C);
the services (D) with the reason Medicare may not pay (E) and the estimated cost (F); what to do now; the
three options (G); additional information (H); signature (I) and date (J); the Paperwork Reduction Act
statement with OMB 0938-0566 and the form version in force on the day the notice was given.

The wording is the public form's (CMS Beneficiary Notices Initiative,
https://www.cms.gov/medicare/forms-notices/beneficiary-notices-initiative) as printed on the versions that
expired 06/30/2023 and 01/31/2026. The version approved through 03/31/2029 (mandatory from 2026-05-12) made
plain-language and layout edits and revised the options' wording without changing their meaning; its exact
text was not at hand here: compare against the CMS download before relying on this print for notices given
from 2026-05-12 (the footer prints the version in force, parameter ``abn.form_version``). Every value the
clinic or the patient's record supplied goes through ``pdf_text.plain``: a Paragraph reads its text as markup.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from sqlalchemy.orm import Session

from ptbill.services.abn import PREPARERS, Abn, abn_record, owned_abn
from ptbill.services.access import Actor, require_role
from ptbill.services.audit import audit
from ptbill.services.pdf_tables import ruled_table
from ptbill.services.pdf_text import plain, text_fonts

OMB_NUMBER = "0938-0566"
ITEMS = "services"  # blank D on the forms that expired 06/30/2023 and 01/31/2026: the notifier's word
# From the version approved through 03/31/2029 the form names what it is about in general words, in the table
# and the options alike, so the services are listed once, in the table (Illinois Chiropractic Society, "CMS
# Releases Updated Advance Beneficiary Notice", 2026: ilchiro.org/?p=232169).
ITEMS_2029 = "item, test, service or care"
BOX, CHECKED = "\u2610", "\u2612"


def _items(form_version: str) -> str:
    return ITEMS_2029 if "2029" in form_version else ITEMS


def _option_text(items: str) -> dict[int, str]:
    return {
        1: (
            f"I want the {items} listed above. You may ask to be paid now, but I also want Medicare billed for an "
            "official decision on payment, which is sent to me on a Medicare Summary Notice (MSN). I understand "
            "that if Medicare doesn't pay, I am responsible for payment, but I can appeal to Medicare by following "
            "the directions on the MSN. If Medicare does pay, you will refund any payments I made to you, less "
            "co-pays or deductibles."
        ),
        2: (
            f"I want the {items} listed above, but do not bill Medicare. You may ask to be paid now as I am "
            "responsible for payment. I cannot appeal if Medicare is not billed."
        ),
        3: (
            f"I don't want the {items} listed above. I understand with this choice I am not responsible for "
            "payment, and I cannot appeal to see if Medicare would pay."
        ),
    }


PRA_STATEMENT = (
    "According to the Paperwork Reduction Act of 1995, no persons are required to respond to a collection of "
    "information unless it displays a valid OMB control number. The valid OMB control number for this information "
    f"collection is {OMB_NUMBER}. The time required to complete this information collection is estimated to "
    "average 7 minutes per response, including the time to review instructions, search existing data resources, "
    "gather the data needed, and complete and review the information collection. If you have comments concerning "
    "the accuracy of the time estimate or suggestions for improving this form, please write to: CMS, 7500 "
    "Security Boulevard, Attn: PRA Reports Clearance Officer, Baltimore, Maryland 21244-1850."
)
OPTIONS_HEAD = "<b>G. OPTIONS:</b> Check only one box. We cannot choose a box for you."
ADDITIONAL = "<b>H. Additional Information:</b> "
GRID = colors.HexColor("#5b6470")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    font, bold = text_fonts()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontName=font, fontSize=9.5, leading=12, spaceBefore=0, spaceAfter=3
    )
    return {
        "title": ParagraphStyle("title", parent=body, fontName=bold, fontSize=15, leading=19, alignment=1),
        "body": body,
        "bold": ParagraphStyle("bold", parent=body, fontName=bold),
        "cell": ParagraphStyle("cell", parent=body, spaceAfter=0),
        "small": ParagraphStyle("small", parent=body, fontSize=7, leading=8.5, spaceAfter=0),
    }


def _boxed(
    rows: list[list[Any]], widths: list[float], header: bool = False, heights: list[float] | None = None
) -> Table:
    return ruled_table(
        rows,
        widths,
        shade="header" if header else None,
        heights=heights,
        line=0.5,
        outline=0.8,
        rule=GRID,
        fill=colors.HexColor("#e6e9ee"),
        extra=[("TOPPADDING", (0, 0), (-1, -1), 3), ("BOTTOMPADDING", (0, 0), (-1, -1), 4)],
    )


def abn_pdf_bytes(abn: Abn) -> bytes:
    """The notice as a one-page PDF, with the option and date filled in once the patient has signed."""
    s = _styles()
    items = _items(abn.form_version)
    width = 7.3 * inch
    head = _boxed(
        [
            [Paragraph(f"<b>A. Notifier:</b> {plain(abn.notifier)}", s["cell"]), ""],
            [
                Paragraph(f"<b>B. Patient Name:</b> {plain(abn.patient_name)}", s["cell"]),
                Paragraph(f"<b>C. Identification Number:</b> {plain(abn.identification)}", s["cell"]),
            ],
        ],
        [width * 0.6, width * 0.4],
    )
    head.setStyle(TableStyle([("SPAN", (0, 0), (1, 0))]))
    services = [
        [
            Paragraph(f"<b>D. {items.capitalize()}</b>", s["cell"]),
            Paragraph("<b>E. Reason Medicare May Not Pay:</b>", s["cell"]),
            Paragraph("<b>F. Estimated Cost</b>", s["cell"]),
        ]
    ]
    for index, service in enumerate(abn.services):
        services.append(
            [
                Paragraph(f"{plain(service.label)} ({plain(service.code)})", s["cell"]),
                Paragraph(plain(abn.reason_text) if index == 0 else "Same as above.", s["cell"]),
                Paragraph(f"${service.estimated_cost:,.2f}", s["cell"]),
            ]
        )
    options = []
    for number, words in _option_text(items).items():
        mark = CHECKED if abn.option == number else BOX
        options.append([Paragraph(f"{mark} <b>OPTION {number}.</b> {words}", s["cell"])])
    signed = f"{abn.signed_on:%m/%d/%Y}" if abn.signed_on else ""
    story: list[Any] = [
        head,
        Spacer(1, 8),
        Paragraph("Advance Beneficiary Notice of Non-coverage (ABN)", s["title"]),
        Spacer(1, 4),
        Paragraph(f"<b>NOTE:</b> If Medicare doesn't pay for <u>D. {items}</u> below, you may have to pay.", s["body"]),
        Paragraph(
            "Medicare does not pay for everything, even some care that you or your health care provider have good "
            f"reason to think you need. We expect Medicare may not pay for the <u>D. {items}</u> below.",
            s["body"],
        ),
        Spacer(1, 5),
        _boxed(services, [width * 0.34, width * 0.48, width * 0.18], header=True),
        Spacer(1, 6),
        Paragraph("<b>WHAT YOU NEED TO DO NOW:</b>", s["body"]),
        Paragraph("• Read this notice, so you can make an informed decision about your care.", s["body"]),
        Paragraph("• Ask us any questions that you may have after you finish reading.", s["body"]),
        Paragraph(f"• Choose an option below about whether to receive the <u>D. {items}</u> listed above.", s["body"]),
        Paragraph(
            "<b>Note:</b> If you choose Option 1 or 2, we may help you to use any other insurance that you might have, "
            "but Medicare cannot require us to do this.",
            s["body"],
        ),
        Spacer(1, 5),
        _boxed(
            [
                [Paragraph("<b>G. OPTIONS:</b> Check only one box. We cannot choose a box for you.", s["cell"])],
                *options,
            ],
            [width],
            header=True,
        ),
        Spacer(1, 5),
        _boxed(
            [[Paragraph("<b>H. Additional Information:</b> " + plain(abn.additional_info or ""), s["cell"])]], [width]
        ),
        Spacer(1, 5),
        Paragraph(
            "<b>This notice gives our opinion, not an official Medicare decision.</b> If you have other questions on "
            "this notice or Medicare billing, call <b>1-800-MEDICARE</b> (1-800-633-4227/TTY: 1-877-486-2048).",
            s["body"],
        ),
        Paragraph(
            "Signing below means that you have received and understand this notice. You also receive a copy.",
            s["body"],
        ),
        Spacer(1, 4),
        _boxed(
            [
                [
                    Paragraph("<b>I. Signature:</b>", s["cell"]),
                    Paragraph(f"<b>J. Date:</b> {signed}", s["cell"]),
                ]
            ],
            [width * 0.7, width * 0.3],
            heights=[0.42 * inch],
        ),
        Spacer(1, 6),
        Paragraph(
            "CMS does not discriminate in its programs and activities. To request this publication in an alternative "
            "format, please call: 1-800-MEDICARE or email: AltFormatRequest@cms.hhs.gov.",
            s["small"],
        ),
        Spacer(1, 3),
        Paragraph(PRA_STATEMENT, s["small"]),
        Spacer(1, 3),
        Paragraph(f"<b>Form {plain(abn.form_version)}</b> &nbsp; Form Approved OMB No. {OMB_NUMBER}", s["small"]),
    ]
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=LETTER,
        leftMargin=0.6 * inch,
        rightMargin=0.6 * inch,
        topMargin=0.5 * inch,
        bottomMargin=0.5 * inch,
        title="Advance Beneficiary Notice of Non-coverage (ABN)",
    )
    document.build(story)
    return buffer.getvalue()


def abn_pdf(session: Session, actor: Actor, patient_id: int, abn_id: int) -> bytes:
    """The stored notice as its PDF (audited as an export); the row holds everything printed on it."""
    require_role(actor, PREPARERS)
    record = abn_record(owned_abn(session, actor, patient_id, abn_id))
    audit(session, actor, "export", "abn", str(abn_id), f"patient {patient_id} pdf")
    return abn_pdf_bytes(record)
