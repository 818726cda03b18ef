"""The web app's 837P batches: accented names arrive transliterated and pyx12-clean while the stored note
keeps its spelling; a name with no Latin form blocks the note, so it is never signed or batched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.services import access, billing, notes
from ptbill.services import batches as batches_service
from tests.integration.test_storage_services import CLEAN, make_clinic
from tests.pyx12_check import pyx12_errors


def note_for(first_name: str, last_name: str) -> dict[str, object]:
    document = json.loads(json.dumps(CLEAN))
    document["patient"].update(first_name=first_name, last_name=last_name)
    return document


def test_accented_names_reach_the_batch_transliterated_and_the_note_keeps_them(
    session: Session, tmp_path: Path
) -> None:
    pt, biller, patient = make_clinic(session, "names")
    rows = []
    for number, (first, last) in enumerate([("José", "Muñoz-Peña"), ("Thị", "Nguyễn")]):
        document = note_for(first, last) | {"id": f"enc-{number}"}
        row, report = notes.save_encounter(session, pt, document, patient.id)
        assert report.verdict.value != "blocked", report.findings
        notes.sign_encounter(session, pt, row.id)
        rows.append(row)
    claims = billing.build_claims(session, biller, [row.id for row in rows])
    batch = batches_service.create_batch(
        session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), confirm_late=True
    )
    assert "NM1*IL*1*MUNOZ-PENA*JOSE****MI*" in batch.content
    assert "NM1*IL*1*NGUYEN*THI****MI*" in batch.content
    assert batch.content.isascii()
    assert pyx12_errors(batch.content) == []
    stored = notes.get_encounter(session, pt, rows[1].id).document
    assert (stored["patient"]["first_name"], stored["patient"]["last_name"]) == ("Thị", "Nguyễn")


def test_a_name_with_no_latin_form_blocks_the_note_naming_the_field(session: Session) -> None:
    pt, _, patient = make_clinic(session, "cjk")
    row, report = notes.save_encounter(session, pt, note_for("芳", "王"), patient.id)
    found = [f for f in report.findings if f.rule == "CLAIM_TEXT_NOT_TRANSLITERABLE"]
    assert {f.field for f in found} == {"patient.first_name", "patient.last_name"}
    assert report.verdict.value == "blocked"
    with pytest.raises(access.ConflictError, match="blocking"):
        notes.sign_encounter(session, pt, row.id)
