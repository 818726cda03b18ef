"""Text in the appeal packet is text: clinical shorthand that looks like markup prints as written, links
and image paths typed into a note stay words, and names print in their own letters."""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Any

import pdfplumber
from sqlalchemy.orm import Session

from ptbill.services import appeals
from tests.integration.test_back_office import deny
from tests.integration.test_storage_services import CLEAN

SHORTHAND = {
    "clinical_justification": "L>R radicular pain <br> since 2 wks",
    "patient_response": "<R> SLR neg, <L5> dermatome eased, <WNL> & better",
}
INJECTED = {
    "device_name": '<a href="http://x">Triton</a>',
    "patient_position": '<img src="/etc/passwd"/>',
}


def hostile_note() -> dict[str, Any]:
    services = json.loads(json.dumps(CLEAN["services"]))
    services[0].update(SHORTHAND)
    services[0]["traction"].update(INJECTED)
    patient = {**CLEAN["patient"], "first_name": "Thị", "last_name": "Nguyễn"}
    return {"services": services, "patient": patient}


def test_markup_like_note_text_prints_literally_with_no_link_and_no_image(session: Session) -> None:
    biller, claim = deny(session, "markup", "50", ("N661",), **hostile_note())
    pdf = appeals.build_appeal_pdf(session, biller, claim.id, today=date(2026, 4, 1))
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        text = " ".join((page.extract_text() or "").replace("\n", " ") for page in document.pages)
        assert all(not page.hyperlinks and not page.images for page in document.pages)
    for written in [*SHORTHAND.values(), *INJECTED.values()]:
        assert written in text
    assert "Thị Nguyễn" in text
    assert b"/URI" not in pdf
