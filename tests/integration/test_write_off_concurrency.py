"""Two billers writing off the same claim at the same moment, on PostgreSQL with real parallel connections
(and on SQLite, which serializes writers): together they never write off more than was open."""

from __future__ import annotations

from decimal import Decimal
from functools import partial

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ptbill.services import access, write_offs
from ptbill.storage.session import transaction
from ptbill.storage.tables import ClaimRow, ClaimWriteOffRow
from tests.integration.test_concurrency import Clinic, billed_claims, together
from tests.integration.test_concurrency import clinic as clinic  # noqa: PLC0414 - the module's fixtures
from tests.integration.test_concurrency import factory as factory  # noqa: PLC0414

ROUNDS = 5


def write_off(factory: sessionmaker[Session], actor: access.Actor, claim_id: int, amount: Decimal) -> object:
    with transaction(factory) as session:
        return write_offs.write_off(session, actor, claim_id, amount, "small_balance")


def test_two_write_offs_at_once_never_exceed_the_open_balance(factory: sessionmaker[Session], clinic: Clinic) -> None:
    claim_ids = billed_claims(factory, clinic, count=ROUNDS)
    sqlite = factory.kw["bind"].dialect.name == "sqlite"
    refused = 0
    for claim_id in claim_ids:
        with factory() as session:
            total = session.scalar(select(ClaimRow.total_charge).where(ClaimRow.id == claim_id))
        assert total is not None
        share = (total * Decimal("0.6")).quantize(Decimal("0.01"))  # each alone fits; both together do not
        results = together(
            partial(write_off, factory, clinic.biller, claim_id, share),
            partial(write_off, factory, clinic.biller, claim_id, share),
        )
        kinds = sorted(type(r).__name__ for r in results)
        if sqlite and "DatabaseBusyError" in kinds:
            assert kinds.count("WriteOff") <= 1
        else:
            assert kinds == ["ConflictError", "WriteOff"], results
            refused += 1
        with factory() as session:
            written = session.scalar(
                select(func.coalesce(func.sum(ClaimWriteOffRow.amount), 0)).where(ClaimWriteOffRow.claim_id == claim_id)
            )
        assert Decimal(written) <= total
    assert sqlite or refused == ROUNDS
