"""Every page of the app on the demo clinic grown to about 5,000 claims: how long each takes to render.

Issue 13's target: every page renders in at most 300 ms on the demo data with 5,000 claims. Setup (not
timed): the synthetic demo clinic seeded with N notes (default 11,800: about 5,100 of them signed, billed
and answered by the simulated payers' 835s, the rest drafts and signed notes waiting in the queue), in a
temporary SQLite file, or in the PostgreSQL database given as the second argument (emptied first).
Timed: each page of ``tests/browser/page_walk.py`` (the list the accessibility test walks, so a new page is
measured without touching this file), logged in as the person who opens it, through the ASGI app in
process: one warm-up request, then R requests; the median, 95th percentile and worst are printed, and
every page over the target is named at the end. The last column is the median CPU time of this process
per request (the app and, on SQLite, the database; not PostgreSQL's server): on a busy machine it moves
less than the wall-clock times.

Run: .venv/bin/python bench/pages.py [NOTES] [DATABASE_URL] [--repeat R] [--seeded] [--only NAME ...]

``--seeded`` times a database given as DATABASE_URL (a ``sqlite:////path`` or PostgreSQL URL) that this
script seeded before, migrated to the newest schema first, instead of seeding it again; ``--copy-from URL``
copies such a database (the SQLite file of an earlier run) into the PostgreSQL schema given and times that;
``--only`` times
the pages whose name contains one of the words given. A PostgreSQL URL may name a schema of its own
(``?options=-csearch_path%3Dbench``): seeding empties that schema only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, Table, func, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the page list and the login helper are shared with the tests

from ptbill.domain.clock import FixedClock  # noqa: E402
from ptbill.server import create_app, settle_heap  # noqa: E402
from ptbill.services import patients, users  # noqa: E402
from ptbill.services.demo_data import DEMO_PASSWORD, seed_demo  # noqa: E402
from ptbill.services.demo_payments import simulate_payments  # noqa: E402
from ptbill.settings import Settings  # noqa: E402
from ptbill.storage.migrate import upgrade  # noqa: E402
from ptbill.storage.session import make_engine, session_factory, transaction  # noqa: E402
from ptbill.storage.tables import Base, ClaimRow, EncounterRow, PatientRow  # noqa: E402
from tests.browser.live_app import NEW_COVERAGE, NEW_PATIENT  # noqa: E402
from tests.browser.page_walk import pages  # noqa: E402
from tests.demo_day import DEMO_TODAY  # noqa: E402
from tests.integration.page_forms import logged_in  # noqa: E402

TARGET_MS = 300.0


@dataclass
class SeededApp:
    """What ``page_walk.pages`` reads of a live app: the database and the new patient."""

    sessions: sessionmaker[Session]
    new_patient_id: int
    settings: Settings | None = None  # the walk reads the app's clock


def _empty_postgres(url: str) -> None:
    """Empties the schema the URL's search path names (``?options=-csearch_path%3Dbench``), public by default."""
    engine = make_engine(url)
    with engine.begin() as connection:
        schema = connection.scalar(text("SELECT current_schema()")) or "public"
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def seed(url: str, notes: int) -> SeededApp:
    upgrade(url)
    sessions = session_factory(make_engine(url))
    started = time.perf_counter()
    with transaction(sessions) as session:
        seed_demo(session, today=DEMO_TODAY, encounters=notes, patients=max(40, notes // 5))
        admin = users.authenticate(session, "admin@harbor.example", DEMO_PASSWORD)
        assert admin is not None
        patient = patients.create_patient(session, admin, dict(NEW_PATIENT))
        patients.add_coverage(session, admin, patient.id, dict(NEW_COVERAGE))
        patient_id = patient.id
    with transaction(sessions) as session:
        simulate_payments(session, today=DEMO_TODAY)
    with sessions() as session:
        claims = session.scalar(select(func.count()).select_from(ClaimRow))
        encounters = session.scalar(select(func.count()).select_from(EncounterRow))
    print(f"seeded {encounters:,} notes and {claims:,} claims in {time.perf_counter() - started:.0f} s")
    return SeededApp(sessions, patient_id)


def copy_database(source: str, target: str) -> None:
    """Copies a database this script seeded (``--copy-from``, e.g. the SQLite file of an earlier run) into an
    emptied PostgreSQL schema at the same migration, row for row: seeding PostgreSQL itself checks each of
    thousands of notes against tables it has no statistics for yet, inside one transaction, which took
    over half an hour. The pages then read the same clinic on both backends."""
    started = time.perf_counter()
    source_engine, target_engine = make_engine(source), make_engine(target)
    with source_engine.connect() as connection:
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    upgrade(target, revision)
    copied = 0
    with source_engine.connect() as reading, target_engine.begin() as writing:
        for table in Base.metadata.sorted_tables:
            if not inspect(reading).has_table(table.name):
                continue
            old = Table(table.name, MetaData(), autoload_with=reading)
            new = Table(table.name, MetaData(), autoload_with=writing)
            columns = [c.name for c in old.columns if c.name in new.columns]
            rows = [dict(r) for r in reading.execute(select(*(old.c[c] for c in columns))).mappings()]
            for start in range(0, len(rows), 5000):
                writing.execute(new.insert(), rows[start : start + 5000])
            copied += len(rows)
            if "id" in new.columns and rows:
                sequence = f"pg_get_serial_sequence('{table.name}', 'id')"
                writing.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table.name}))"))
        writing.execute(text("ANALYZE"))
    print(f"copied {copied:,} rows from {source} at {revision} in {time.perf_counter() - started:.0f} s")


def seeded_already(url: str) -> SeededApp:
    """A database this script seeded before (``--seeded``), migrated to the newest schema first: the new
    patient is the newest patient."""
    upgrade(url)
    sessions = session_factory(make_engine(url))
    with sessions() as session:
        newest = session.scalar(select(func.max(PatientRow.id)))
    assert newest is not None, "the database has no patients: seed it first"
    return SeededApp(sessions, newest)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notes", nargs="?", type=int, default=11_800)
    parser.add_argument("database_url", nargs="?")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--seeded", action="store_true", help="the database given was seeded by this script before")
    parser.add_argument("--copy-from", help="copy this seeded database into DATABASE_URL (PostgreSQL) first")
    parser.add_argument("--only", action="append", default=[], help="time only the pages whose name contains this")
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="ptbill-pages-"))
    url = args.database_url or f"sqlite:///{directory / 'ptbill.sqlite3'}"
    if args.copy_from and url.startswith("postgresql"):
        _empty_postgres(url)
        copy_database(args.copy_from, url)
        seeded = seeded_already(url)
    elif args.seeded and args.database_url:
        seeded = seeded_already(url)
    else:
        if url.startswith("postgresql"):
            _empty_postgres(url)
        seeded = seed(url, args.notes)
        print(f"database: {url}")
    settings = Settings(url, directory, "bench-secret-" + "x" * 32, secure_cookies=False, clock=FixedClock(DEMO_TODAY))
    seeded.settings = settings
    app = create_app(settings)
    settle_heap()  # as ptbill serve does (server.serving_app)
    clients = {}
    slow: list[str] = []
    print(f"{'page':40} {'status':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu p50':>8}")
    for page in pages(seeded):  # type: ignore[arg-type]  # reads only .sessions and .new_patient_id
        if args.only and not any(part in page.name for part in args.only):
            continue
        who = page.who or ""
        if who not in clients:
            clients[who] = logged_in(app, who) if who else TestClient(app)
        client = clients[who]
        status = client.get(page.path).status_code  # warm-up: templates compiled, caches filled
        times, cpu = [], []
        for _ in range(args.repeat):
            started, used = time.perf_counter(), time.process_time()
            client.get(page.path)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - used) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        row = f"{page.name:40} {status:>6} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}"
        print(f"{row} {statistics.median(cpu):8.1f}")
        if statistics.median(times) > TARGET_MS or p95 > TARGET_MS:
            slow.append(page.name)
    verdict = f"pages over {TARGET_MS:.0f} ms: {', '.join(slow)}" if slow else f"every page under {TARGET_MS:.0f} ms"
    print(f"\n{verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
