"""schemathesis against the app's own OpenAPI document: generated requests, valid and invalid, for every
operation, in-process over ASGI with a bearer token; no answer may be a 5xx. Each backend gets its own
database here, so the fuzzed rows never meet the other API tests."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from tests.integration.api.world import A_USERS, PASSWORD, World, build_world, fresh_database, new_patient, note

pytestmark = pytest.mark.slow

# Bounded so one backend takes about half a minute; derandomized so CI sees the same requests each run,
# and without the shrinking phase (a failure is reported as generated, and replays, being derandomized).
# Every operation still gets valid and invalid requests, with random ids and with ids that exist (12 and 6
# per pass before).
# PTBILL_FUZZ_EXAMPLES=200 explores further (and with fresh random data) when hunting a bug by hand.
_ASKED = int(os.environ.get("PTBILL_FUZZ_EXAMPLES", "0"))
EXAMPLES = {GenerationMode.POSITIVE: _ASKED or 6, GenerationMode.NEGATIVE: _ASKED // 2 or 3}
# Each of these hashes a password with argon2 (about half a second on purpose): a few examples suffice.
HASHING = {"POST /api/session", "POST /api/users", "PUT /api/me/password"}
# Logging out ends the session it is called with, so it gets a session of its own, not the fuzzing one.
ENDS_SESSION = {"DELETE /api/session"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def fuzz_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    tmp: Path = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with fresh_database(request.param, tmp) as url:
        world = build_world(url, tmp, encounters=12, patients=4)
        try:
            yield world
        finally:
            world.close()


def fuzz(
    operation: schemathesis.APIOperation,
    mode: GenerationMode,
    examples: int,
    token: str,
    path_parameters: dict[str, Any] | None = None,
) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=not _ASKED,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy(mode, headers=headers, path_parameters=path_parameters))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(checks=[not_a_server_error])

    run()


def existing_records(world: World) -> dict[str, Any]:
    """Ids of records that exist in the fuzzing user's clinic, so bodies are also fuzzed past the 404."""
    therapist, biller = world.client(A_USERS["therapist"]), world.client(A_USERS["biller"])
    patient = new_patient(therapist)
    made = [therapist.post("/api/encounters", json={"patient_id": patient, "document": note()}).json()["id"]]
    for _ in range(2):
        made.append(therapist.post("/api/encounters", json={"patient_id": patient, "document": note()}).json()["id"])
        assert therapist.post(f"/api/encounters/{made[-1]}/sign").status_code == 200
    [claim] = biller.post("/api/claims", json={"encounter_ids": [made[1]]}).json()
    batch = biller.post("/api/batches", json={"claim_ids": [claim["id"]]}).json()
    medicare = {"payer_id": "ca-medicare-south", "member_id": "1EG4TE5MK73"}
    assert therapist.post(f"/api/patients/{patient}/coverages", json=medicare).status_code == 201
    body = {"services": [{"code": "97110"}], "reason_kind": "maintenance"}
    abn = therapist.post(f"/api/patients/{patient}/abns", json=body).json()
    return {
        "abn_id": abn["id"],
        "patient_id": patient,
        "encounter_id": made[0],  # a draft, so updates get as far as the engine
        "claim_id": claim["id"],
        "batch_id": batch["id"],
        "payer_id": "aetna",
    }


def own_session(world: World) -> str:
    response = world.client().post("/api/session", json={"email": A_USERS["admin"], "password": PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["token"]
    return token


def test_no_generated_request_gets_a_server_error(fuzz_world: World) -> None:
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", fuzz_world.app)
    token = fuzz_world.tokens[A_USERS["admin"]]
    known = existing_records(fuzz_world)
    failures, runs = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        # Random ids mostly meet a 404; a second pass with ids that exist reaches the services' own checks.
        passes = [None, {n: known[n] for n in names if n in known}] if names & set(known) else [None]
        for path_parameters, (mode, examples) in itertools.product(passes, EXAMPLES.items()):
            # Only headers to break (any header text is valid), or only path ids the pass holds fixed: nothing
            # to generate. Hypothesis would search for a while (seconds per operation) and then give up.
            free = [p for p in operation.path_parameters if p.name not in (path_parameters or {})]
            negatable = bool(free or len(operation.query) or len(operation.body))
            if mode is GenerationMode.NEGATIVE and not negatable:
                continue
            own_token = own_session(fuzz_world) if operation.label in ENDS_SESSION else token
            try:
                fuzz(operation, mode, 3 if operation.label in HASHING else examples, own_token, path_parameters)
            except Unsatisfiable:
                continue  # negative mode on an operation with nothing to break (no parameters, no body)
            except Exception as exc:  # every failing operation is reported, not only the first
                failures.append(f"{operation.label} {path_parameters} ({mode.value}): {type(exc).__name__}: {exc}")
            runs += 1
    assert failures == []
    assert runs >= 60
    # The fuzzing session lived to the end: no operation above was answered 401 for want of one.
    assert fuzz_world.client(A_USERS["admin"]).get("/api/me").status_code == 200
