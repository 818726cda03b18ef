"""Names and text survive the claim formats: one transliteration for the 837P and the CMS-1500, refusals
for what has none (before any byte is written), and delimiters or markup in a value never break anything."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pdfplumber
import pytest

from ptbill.claims.build import build_claim
from ptbill.claims.claim_text import all_values, identifiers, texts
from ptbill.claims.cms1500 import Cms1500Error, render_cms1500
from ptbill.claims.cms1500.form import DATA_FONT
from ptbill.claims.x12_837p.writer import ClaimRejectedError, Trading, write_batch
from ptbill.domain.claim import Claim, ClaimParty, PostalAddress
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.errors import PtbillError
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers
from ptbill.x12.syntax import Delimiters, Segment, SegmentEncoder, X12ValueError
from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
CLEAN: dict[str, Any] = json.loads((ROOT / "examples" / "medicare-lumbar-traction-clean.json").read_text())
TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")
WHEN = datetime(2026, 3, 3, 10, 30)


def claim_with(**patient: str) -> Claim:
    document = json.loads(json.dumps(CLEAN))
    document["patient"].update(patient)
    encounter = encounter_from_dict(document)
    return build_claim(encounter, check_encounter(encounter).claim_lines, default_catalog())


@pytest.fixture
def numbers(tmp_path: Path) -> ControlNumbers:
    return ControlNumbers(tmp_path / "numbers.sqlite3")


def cms1500_text(claim: Claim) -> str:
    with pdfplumber.open(io.BytesIO(render_cms1500([claim]))) as pdf:
        page = pdf.pages[0].filter(lambda o: o.get("object_type") != "char" or o.get("fontname") == DATA_FONT)
        return page.extract_text()


def test_accented_names_reach_the_837p_transliterated_and_pyx12_accepts_it(numbers: ControlNumbers) -> None:
    spanish = claim_with(last_name="Muñoz-Peña", first_name="José")
    vietnamese = dataclasses.replace(claim_with(last_name="Nguyễn", first_name="Thị Hương"), claim_id="EX-02")
    text = write_batch([spanish, vietnamese], TRADING, numbers, created=WHEN).text
    assert "NM1*IL*1*MUNOZ-PENA*JOSE****MI*" in text
    assert "NM1*IL*1*NGUYEN*THI HUONG****MI*" in text
    assert text.isascii()
    assert pyx12_errors(text) == []
    assert spanish.patient.last_name == "Muñoz-Peña"  # the claim, like the note, keeps the spelling


def test_accented_names_reach_the_cms1500_transliterated() -> None:
    text = cms1500_text(claim_with(last_name="Nguyễn", first_name="Thị"))
    assert "NGUYEN, THI" in text
    assert "NGUYnN" not in text
    assert "MUNOZ-PENA, JOSE" in cms1500_text(claim_with(last_name="Muñoz-Peña", first_name="José"))


@pytest.mark.parametrize("name", ["王", "Иванова", "Ann\x00"])
def test_a_name_without_a_latin_form_is_refused_by_both_writers_naming_the_field(
    name: str, numbers: ControlNumbers
) -> None:
    claim = claim_with(last_name=name)
    with pytest.raises(ClaimRejectedError) as refused:
        write_batch([claim], TRADING, numbers, created=WHEN)
    assert any("the patient's last name has characters with no X12 form" in r for r in refused.value.reasons)
    with pytest.raises(Cms1500Error) as unprintable:
        render_cms1500([claim])
    assert any("the patient's last name" in p for p in unprintable.value.problems)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"member_id": "1EG4TE5MK٧٣"}, "the member id"),
        ({"prior_authorization": "A-５531"}, "the prior authorization number"),
        ({"place_of_service": "١١"}, "the place of service"),
    ],
)
def test_an_identifier_outside_the_character_set_is_refused_not_changed(
    change: dict[str, str], field: str, numbers: ControlNumbers
) -> None:
    claim = dataclasses.replace(claim_with(), **change)
    with pytest.raises(ClaimRejectedError) as refused:
        write_batch([claim], TRADING, numbers, created=WHEN)
    assert any(r.startswith(f"{field} has characters outside the X12 character set") for r in refused.value.reasons)
    with pytest.raises(Cms1500Error):
        render_cms1500([claim])


def test_delimiters_in_every_text_value_never_break_a_segment(numbers: ControlNumbers) -> None:
    hostile = "A*B~C:D^E"
    claim = claim_with(first_name=hostile, last_name=hostile)
    address = PostalAddress(hostile, hostile, "CA", "93117", line2=hostile)
    patient = dataclasses.replace(claim.patient, address=address)
    claim = dataclasses.replace(
        claim,
        patient=patient,
        subscriber=patient,
        member_id="M*1~2:3^4",
        group_number=hostile,
        prior_authorization="A*5~5:3^1",
    )
    text = write_batch([claim], TRADING, numbers, created=WHEN).text
    assert pyx12_errors(text) == []
    assert "NM1*IL*1*A B C D E*A B C D E****MI*M-1-2-3-4~" in text
    assert "REF*G1*A-5-5-3-1~" in text
    assert text.count("~") == len(text.split("~")) - 1  # every ~ ends a segment


def test_the_encoder_refuses_any_character_outside_the_set_with_a_typed_error() -> None:
    encoder = SegmentEncoder(Delimiters())
    for value in ("NGUYỄN", "ANN\x00", "A\nB"):
        with pytest.raises(X12ValueError) as refused:
            encoder.encode(Segment("NM1", ("IL", "1", value)))
        assert isinstance(refused.value, PtbillError)


def test_markup_like_shorthand_prints_literally_on_the_cms1500() -> None:
    shorthand = "<WNL> L>R <br> & <L5>"
    claim = dataclasses.replace(
        claim_with(), group_number=shorthand, patient=dataclasses.replace(claim_with().patient, first_name="<R>")
    )
    text = cms1500_text(claim)
    assert "<WNL> L>R <BR> & <L5>" in text
    assert "TESTWELL, <R>" in text


def test_the_fast_check_reads_exactly_the_values_the_labelled_check_reads() -> None:
    """all_values (the writers' fast path) and texts + identifiers (the reasons) must never drift apart."""
    base = claim_with()
    counter = iter(range(1000))

    def address() -> PostalAddress:
        line1, city, state, zip_code = (f"A{next(counter)}" for _ in range(4))
        return PostalAddress(line1, city, state, zip_code, line2="L2")

    def party(kind: ClaimParty | None) -> ClaimParty:
        assert kind is not None
        return dataclasses.replace(kind, first_name=f"F{next(counter)}", tax_id=f"T{next(counter)}", address=address())

    claim = dataclasses.replace(
        base,
        patient=dataclasses.replace(base.patient, address=address()),
        subscriber=dataclasses.replace(base.patient, first_name="Sub", address=address()),
        payer=dataclasses.replace(base.payer, address=address()),
        billing_provider=party(base.billing_provider),
        rendering_provider=party(base.rendering_provider),
        referring_provider=party(base.referring_provider),
        supervising_provider=party(base.rendering_provider),
        group_number="G-1",
        original_claim_number="O-1",
    )
    labelled = [value for _, value in [*texts(claim), *identifiers(claim)]]
    assert sorted(all_values(claim)) == sorted(labelled)
