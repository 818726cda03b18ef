"""`POST /api/encounters/check` answers with the engine's report as it is, without validating it through
`CheckPublic` again: the answer must mean exactly what the schema's serialization of the same report said (same
keys in the same order, same values, unpriced lines with null prices), for every example note and scenario."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from ptbill.api.routes.encounters import check_public
from ptbill.api.schemas.encounters import CheckPublic
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.errors import EncounterFormatError
from ptbill.rules.engine import check_encounter
from tests.integration.api.world import A_USERS, World, note

ROOT = Path(__file__).resolve().parents[3]
NOTES = sorted([*ROOT.glob("examples/*.json"), *ROOT.glob("tests/scenarios/*.json")])


def old_answer(report: dict[str, Any]) -> bytes:
    """What the route answered before: the report validated as CheckPublic, then serialized by FastAPI."""
    return JSONResponse(jsonable_encoder(CheckPublic.model_validate(report))).body


def in_order(value: Any) -> Any:
    """The value with each object's keys as an ordered list, so a test compares their order too."""
    if isinstance(value, dict):
        return [(key, in_order(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [in_order(item) for item in value]
    return value


@pytest.mark.parametrize("path", NOTES, ids=lambda path: path.name)
def test_the_answer_means_what_the_schema_serialized(path: Path) -> None:
    try:
        encounter = encounter_from_dict(json.loads(path.read_text()), path.name)
    except EncounterFormatError:
        pytest.skip("an example of a malformed note")
    report = check_encounter(encounter).to_json()
    new = JSONResponse(check_public(report)).body
    assert in_order(json.loads(new)) == in_order(json.loads(old_answer(report)))
    assert CheckPublic.model_validate_json(new).model_dump(mode="json") == json.loads(new)


def test_priced_and_unpriced_lines_answer_as_before(world: World) -> None:
    document = note()
    document["services"].append({**document["services"][-1], "code": "97999"})  # an unlisted code: no price
    response = world.client(A_USERS["therapist"]).post("/api/encounters/check", json=document)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    priced = [line for line in body["claim_lines"] if line["expected_payment"] is not None]
    unpriced = [line for line in body["claim_lines"] if line["expected_payment"] is None]
    assert priced
    assert unpriced
    assert all(line["payment_basis"] is None and line["payment_is_estimate"] is False for line in unpriced)
    assert in_order(body) == in_order(json.loads(old_answer(body)))
