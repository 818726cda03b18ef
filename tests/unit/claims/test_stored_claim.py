"""The stored claim's JSON reads back into the very claim that was built, and refuses what it cannot read."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ptbill.claims.build import ClaimBuildError, build_claim
from ptbill.claims.stored import StoredClaimError, claim_from_json, claim_to_json
from ptbill.domain.claim import Claim, ClaimFrequency
from ptbill.domain.encounter_json import parse_encounter
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def built(path: Path) -> Claim | None:
    encounter = parse_encounter(path.read_bytes(), path.name)
    report = check_encounter(encounter)
    try:
        return build_claim(encounter, report.claim_lines, default_catalog(), created=date(2026, 3, 3))
    except ClaimBuildError:  # an example that makes no claim; the others are enough
        return None


CLAIMS = [claim for claim in map(built, EXAMPLES) if claim is not None]


@pytest.mark.parametrize("claim", CLAIMS, ids=[c.claim_id for c in CLAIMS])
def test_a_claim_reads_back_exactly_through_json(claim: Claim) -> None:
    stored = json.loads(json.dumps(claim_to_json(claim)))  # through text, as the database keeps it
    again = claim_from_json(stored)
    assert again == claim
    assert [str(line.charge) for line in again.lines] == [str(line.charge) for line in claim.lines]
    assert claim_to_json(again) == stored


def test_a_replacement_keeps_its_frequency_and_the_original_number() -> None:
    claim = dataclasses.replace(
        CLAIMS[0], frequency=ClaimFrequency.REPLACEMENT, original_claim_number="2026061500123", notes=("a", "b")
    )
    again = claim_from_json(json.loads(json.dumps(claim_to_json(claim))))
    assert (again.frequency, again.original_claim_number, again.notes) == (
        ClaimFrequency.REPLACEMENT,
        "2026061500123",
        ("a", "b"),
    )
    assert isinstance(again.lines[0].charge, Decimal)
    assert isinstance(again.service_date, date)


def test_an_unknown_format_or_field_is_refused() -> None:
    stored = claim_to_json(CLAIMS[0])
    with pytest.raises(StoredClaimError, match="format"):
        claim_from_json({**stored, "format": 99})
    with pytest.raises(StoredClaimError, match="no field colour"):
        claim_from_json({**stored, "claim": {**stored["claim"], "colour": "blue"}})
