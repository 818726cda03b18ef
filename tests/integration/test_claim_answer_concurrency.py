"""A 277CA accepting claims recorded while their 835 posts, at the same moment: the claim ends with the 835's
status whichever comes first (the acknowledgement waits for the claim rows posting locks, reads the status
again and never overwrites a payer's answer), on PostgreSQL with real parallel connections (and on SQLite,
which serializes writers: a busy writer is tried again)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.services import batches as batches_service
from ptbill.services.claim_answers import record_277ca
from ptbill.storage.session import DatabaseBusyError, transaction
from ptbill.storage.tables import ClaimAnswerRow, ClaimRow
from tests.integration.clearinghouse import Numbers, answer_277ca
from tests.integration.test_concurrency import (
    TRADING,
    Clinic,
    billed_claims,
    clinic,
    factory,
    load_claims,
    payment_835,
    post,
    together,
)

__all__ = ["clinic", "factory"]
WHEN = datetime(2026, 3, 17, 9, 0)


def sent(factory: sessionmaker[Session], clinic: Clinic, claim_ids: list[int]) -> bytes:
    with transaction(factory) as session:
        batch = batches_service.create_batch(session, clinic.biller, claim_ids, TRADING)
        batches_service.mark_batch_submitted(session, clinic.biller, batch.id)
        return batch.content.encode()


def acknowledge(factory: sessionmaker[Session], clinic: Clinic, data: bytes) -> str:
    with transaction(factory) as session:
        return record_277ca(session, clinic.biller, data, WHEN).outcome


def test_an_acknowledgement_racing_the_835_never_overwrites_the_payers_answer(
    factory: sessionmaker[Session], clinic: Clinic
) -> None:
    for round_number in range(4):
        claim_ids = billed_claims(factory, clinic, 4)
        acknowledgement = answer_277ca(sent(factory, clinic, claim_ids), WHEN, Numbers(), None).encode()
        era = payment_835(load_claims(factory, claim_ids), f"RACE{round_number}", Decimal("0.9"))
        jobs = {
            "835": partial(post, factory, clinic.biller, era, f"race-{round_number}.835"),
            "277CA": partial(acknowledge, factory, clinic, acknowledgement),
        }
        results = dict(zip(jobs, together(*jobs.values()), strict=True))
        for name, result in results.items():
            if isinstance(result, DatabaseBusyError):  # SQLite's single writer: the other went first
                results[name] = jobs[name]()
        assert not any(isinstance(r, Exception) for r in results.values()), results
        assert results["277CA"] == "recorded"
        with factory() as session:
            statuses = session.scalars(select(ClaimRow.status).where(ClaimRow.id.in_(claim_ids))).all()
            answers = session.scalars(select(ClaimAnswerRow.claim_id).where(ClaimAnswerRow.claim_id.in_(claim_ids)))
            assert sorted(answers) == sorted(claim_ids)
        assert set(statuses) == {"partial"}, f"round {round_number}: {statuses} {results}"
