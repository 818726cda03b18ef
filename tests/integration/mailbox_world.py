"""What the mailbox tests share: a claim billed into a batch, its 835 answer, and a clock whose moment the
test moves on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.remittance.x12_835.writer import write_835
from ptbill.services import access, batches, billing, notes
from ptbill.storage.tables import ClaimRow
from tests.integration.test_posting import billed_claim, remittance_for
from tests.integration.test_storage_services import CLEAN, make_clinic


@dataclass
class MovingClock:
    """A clock at one moment the test moves: ``later(minutes=6)``."""

    moment: datetime = datetime(2026, 3, 16, 15, 0, tzinfo=UTC)

    def today(self) -> date:
        return self.moment.date()

    def now(self) -> datetime:
        return self.moment

    def later(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


def batched_claim(session: Session, name: str, clock: MovingClock) -> tuple[access.Actor, ClaimRow, int]:
    """A clinic's biller, its claim and the built batch holding it."""
    biller, claim = billed_claim(session, name)
    batch = batches.create_batch(session, biller, [claim.id], TradingConfig(TEST_TRADING, {}), clock=clock)
    return biller, claim, batch.id


def answer_835(claim: ClaimRow, trace: str) -> bytes:
    return write_835(remittance_for(claim, trace=trace)).encode()


def batched_claims(
    session: Session, name: str, clock: MovingClock, days: tuple[str, ...] = ("2026-03-02", "2026-03-04", "2026-03-06")
) -> tuple[access.Actor, list[ClaimRow], int]:
    """A clinic's biller, a patient's claims for visits on ``days`` and the built batch holding them."""
    pt, biller, patient = make_clinic(session, name)
    claims = []
    for day in days:
        document = json.loads(json.dumps(CLEAN))
        document["date_of_service"] = day
        document["id"] = f"{name}-{day}"
        row, _ = notes.save_encounter(session, pt, document, patient.id)
        notes.sign_encounter(session, pt, row.id)
        built = billing.build_claims(session, biller, [row.id])[0]
        stored = session.get(ClaimRow, built.id)
        assert stored is not None
        claims.append(stored)
    batch = batches.create_batch(session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), clock=clock)
    return biller, claims, batch.id
