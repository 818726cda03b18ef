"""Batches written at the same moment, each in its own transaction on its own connection, never share an
ISA13, a GS06 or an ST02: on PostgreSQL with real parallel connections (and on SQLite, one writer at a time).

The 837P writer draws its numbers from the main database (``StoredControlNumbers``) inside the worker's
transaction; each batch reserves a run of transaction numbers (one ST per claim here), and runs drawn at
once must not overlap either. The numbers are read back from the files written, not from the source.
"""

from __future__ import annotations

import dataclasses
import threading
import uuid
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from ptbill.claims.x12_837p.writer import write_batch
from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.session import DatabaseBusyError, transaction
from ptbill.x12.envelope import iter_transactions
from tests.integration.test_concurrency import factory  # noqa: F401 - the module's database, SQLite and PostgreSQL
from tests.unit.x12.test_writers_golden import MEDICARE_CLAIM, TRADING

WORKERS = 4
BATCHES_PER_WORKER = 5
CLAIMS_PER_BATCH = 3  # one ST each: a run of three transaction numbers per batch
WHEN = datetime(2026, 3, 3, 9, 5)


def envelope_numbers(text: str) -> tuple[str, str, list[str]]:
    """ISA13, GS06 and every ST02 of one interchange, as written."""
    transactions = list(iter_transactions(text))
    assert all(not t.problems and not t.envelope_problems for t in transactions)
    ids = transactions[0].ids
    return ids.interchange_control_number, ids.group_control_number, [t.control_number for t in transactions]


def test_batches_written_at_once_never_share_an_isa_gs_or_st_control_number(
    factory: sessionmaker[Session],  # noqa: F811 - the fixture imported above
) -> None:
    scope = f"race-{uuid.uuid4().hex[:8]}"
    claims = [dataclasses.replace(MEDICARE_CLAIM, claim_id=f"R-{i}") for i in range(CLAIMS_PER_BATCH)]
    barrier = threading.Barrier(WORKERS)
    written: list[str] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def work() -> None:
        barrier.wait()
        for _ in range(BATCHES_PER_WORKER):
            for _attempt in range(20):  # SQLite answers busy when another writer holds the file too long
                try:
                    with transaction(factory) as session:
                        batch = write_batch(
                            claims,
                            TRADING,
                            StoredControlNumbers(session, scope),
                            created=WHEN,
                            claims_per_transaction=1,
                        )
                    break
                except DatabaseBusyError:
                    continue
                except BaseException as exc:  # the test reports what each worker ended with
                    with lock:
                        failures.append(exc)
                    return
            with lock:
                written.append(batch.text)

    threads = [threading.Thread(target=work) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a worker hung"
    assert failures == []
    assert len(written) == WORKERS * BATCHES_PER_WORKER

    found = [envelope_numbers(text) for text in written]
    interchanges = [isa13 for isa13, _, _ in found]
    groups = [gs06 for _, gs06, _ in found]
    transactions = [st02 for _, _, st02s in found for st02 in st02s]
    assert len(set(interchanges)) == len(interchanges), sorted(interchanges)
    assert len(set(groups)) == len(groups), sorted(groups)
    assert len(set(transactions)) == len(transactions) == WORKERS * BATCHES_PER_WORKER * CLAIMS_PER_BATCH
    # Nothing skipped either: every number handed out went into a file.
    assert sorted(int(n) for n in interchanges) == list(range(1, WORKERS * BATCHES_PER_WORKER + 1))
    assert sorted(int(n) for n in transactions) == list(range(1, len(transactions) + 1))
