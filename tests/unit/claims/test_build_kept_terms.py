"""`build_claim` keeps the charge terms and the claim's payer per snapshot (``Snapshot.derived``): claims built
from one catalog, note after note over several payers and days, are those a fresh catalog builds for each note."""

from __future__ import annotations

import sys
from pathlib import Path

from ptbill.claims.build import ClaimBuildError, build_claim
from ptbill.domain.claim import Claim
from ptbill.domain.encounter_json import parse_encounter
from ptbill.reference.catalog import ReferenceCatalog
from ptbill.rules.engine import check_encounter

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "bench"))
from check_throughput import synthetic_stream


def _claim(document: bytes, catalog: ReferenceCatalog) -> Claim | str:
    encounter = parse_encounter(document)
    report = check_encounter(encounter, catalog, today=encounter.date_of_service)
    try:
        return build_claim(encounter, report.claim_lines, catalog)
    except ClaimBuildError as error:
        return f"refused: {error.reasons}"


def test_claims_from_one_catalog_are_those_of_a_fresh_one() -> None:
    shared = ReferenceCatalog()
    documents = list(synthetic_stream(120))
    built = [_claim(document, shared) for document in documents]
    assert len({claim.payer.id for claim in built if isinstance(claim, Claim)}) > 1
    for document, claim in zip(documents, built, strict=True):
        assert claim == _claim(document, ReferenceCatalog())
