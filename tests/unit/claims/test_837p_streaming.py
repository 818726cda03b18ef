"""An 837P written one transaction set at a time: the same bytes as the whole batch, nothing for a refused one."""

from __future__ import annotations

import dataclasses
import gc
from datetime import datetime
from pathlib import Path

import pytest

from ptbill.claims.build import build_claim
from ptbill.claims.x12_837p.writer import ClaimRejectedError, Trading, stream_batch, write_batch
from ptbill.domain.claim import Claim
from ptbill.domain.encounter_json import parse_encounter
from ptbill.reference.catalog import default_catalog
from ptbill.rules.engine import check_encounter
from ptbill.x12.control_numbers import ControlNumbers
from tests.pyx12_check import pyx12_errors

ROOT = Path(__file__).resolve().parents[3]
TRADING = Trading("PTBILL01", "Harbor Physical Therapy", "Billing Office", "8055550100", "CLEARHOUSE", "Clearinghouse")
WHEN = datetime(2026, 3, 3, 10, 30)


def seven_claims() -> list[Claim]:
    path = ROOT / "examples" / "medicare-lumbar-traction-clean.json"
    encounter = parse_encounter(path.read_bytes(), path.name)
    claim = build_claim(encounter, check_encounter(encounter).claim_lines, default_catalog())
    return [dataclasses.replace(claim, claim_id=f"C{i}") for i in range(7)]


def test_each_transaction_set_comes_as_one_piece_and_together_they_are_the_batch(tmp_path: Path) -> None:
    claims = seven_claims()
    used, pieces = stream_batch(
        claims, TRADING, ControlNumbers(tmp_path / "a.sqlite3"), created=WHEN, claims_per_transaction=3
    )
    parts = list(pieces)
    whole = write_batch(claims, TRADING, ControlNumbers(tmp_path / "b.sqlite3"), created=WHEN, claims_per_transaction=3)

    assert len(parts) == 5  # ISA/GS, three ST..SE, GE/IEA
    assert [part.count("ST*837*") for part in parts] == [0, 1, 1, 1, 0]
    assert all(part.endswith("~") for part in parts[1:4])
    assert "".join(parts) == whole.text
    assert used == whole.control_numbers
    assert pyx12_errors("".join(parts)) == []


def test_a_refused_claim_stops_the_batch_before_any_piece_or_number(tmp_path: Path) -> None:
    claims = seven_claims()
    claims[5] = dataclasses.replace(claims[5], diagnoses=())
    numbers = ControlNumbers(tmp_path / "numbers.sqlite3")
    with pytest.raises(ClaimRejectedError, match="C5"):
        stream_batch(claims, TRADING, numbers, created=WHEN)
    assert numbers.next("interchange") == 1  # none was taken for the refused batch


def test_the_collector_is_back_on_once_the_pieces_are_written(tmp_path: Path) -> None:
    _, pieces = stream_batch(seven_claims(), TRADING, ControlNumbers(tmp_path / "n.sqlite3"), created=WHEN)
    next(pieces)
    assert not gc.isenabled()
    list(pieces)
    assert gc.isenabled()
