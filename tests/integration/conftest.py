"""Storage fixtures: the same tests run on SQLite and on the PostgreSQL at 127.0.0.1:5432.

Each backend is migrated once per run (PostgreSQL in a schema of its own, dropped at the end);
each test runs inside a transaction that is rolled back, so tests never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ptbill.storage.session import make_engine
from tests.migrated import migrate, postgres_database

POSTGRES_URL = os.environ.get("PTBILL_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@contextmanager
def migrated_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database of its own at the newest migration: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "ptbill.sqlite3"
        url = f"sqlite:///{path}"
        migrate(url)
        yield url
        return
    with postgres_database(POSTGRES_URL) as url:
        yield url


BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with migrated_database(request.param, tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session whose work is rolled back at the end of the test, commits included (savepoints)."""
    connection = engine.connect()
    outer = connection.begin()
    db = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield db
    finally:
        db.close()
        outer.rollback()
        connection.close()
