"""Benchmark: what looking the session up on every request costs, beside the lookup it replaced.

Every API and page request now reads its server-side session (one indexed query joining sessions, users and
the clinic, ``login_state.login_for_token``, so a logout or deactivation counts at once). The reference, in the
same run on the same database, is the primary-key read of the user that the signed-token design did when its
30-second cache missed.
Run from the repository root: ``.venv/bin/python bench/session_lookup.py [--postgres URL]``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.services.access import actor_for
from ptbill.services.demo_data import seed_demo
from ptbill.services.login_state import login_for_token
from ptbill.services.sessions import open_session, system_clock
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine, session_factory, transaction
from ptbill.storage.tables import UserRow

LOOKUPS = 5_000
OTHER_SESSIONS = 20_000  # a year of logins of a small clinic, so the index has something to search


def per_lookup_microseconds(session: Session, lookup: Callable[[], object]) -> float:
    runs = []
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(LOOKUPS):
            lookup()
            session.rollback()  # one request: its own transaction
        runs.append((time.perf_counter() - start) / LOOKUPS * 1e6)
    return statistics.median(runs)


def measure(url: str) -> None:
    upgrade(url)
    factory = session_factory(make_engine(url))
    now = system_clock()
    with transaction(factory) as session:
        if session.scalar(select(UserRow.id).limit(1)) is None:
            seed_demo(session, encounters=2, patients=1)
        user = session.scalars(select(UserRow).where(UserRow.email == "therapist1@harbor.example")).one()
        actor = actor_for(session, user.id)
        assert actor is not None
        for _ in range(OTHER_SESSIONS):
            open_session(session, actor, now)
        token = open_session(session, actor, now)
    with factory() as session:
        found = login_for_token(session, token, now)
        assert found is not None
        assert found.actor == actor
        session_lookup = per_lookup_microseconds(session, lambda: login_for_token(session, token, now))
        user_read = per_lookup_microseconds(session, lambda: actor_for(session, user.id))
    backend = url.split(":", 1)[0]
    print(f"{backend:<11} session lookup {session_lookup:7.0f} µs   reference (user by id) {user_read:7.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", help="also measure on this PostgreSQL database (it gets the ptbill schema)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        measure(f"sqlite:///{Path(directory) / 'bench.sqlite3'}")
    if args.postgres:
        measure(args.postgres)


if __name__ == "__main__":
    main()
