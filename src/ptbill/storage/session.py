"""Engines and sessions: SQLite by default (a file beside the app), PostgreSQL in production."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, ExceptionContext, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from ptbill.domain.errors import PtbillError


class DatabaseBusyError(PtbillError):
    """Another change holds the (SQLite) database longer than we wait; nothing of this one was saved."""


def _busy(context: ExceptionContext) -> None:
    # SQLite has one writer at a time; past the busy timeout it says "database is locked".
    original = context.original_exception
    if isinstance(original, sqlite3.OperationalError) and "locked" in str(original):
        raise DatabaseBusyError(
            "the database is busy with another change; nothing of this one was saved: try again in a moment"
        ) from context.sqlalchemy_exception


def dialect_insert(bind: Session | Connection) -> Callable[..., Any]:
    """The INSERT construct of the bound database, for ON CONFLICT clauses (PostgreSQL and SQLite share them)."""
    name = bind.get_bind().dialect.name if isinstance(bind, Session) else bind.dialect.name
    return postgresql.insert if name == "postgresql" else sqlite.insert


def make_engine(url: str, **options: Any) -> Engine:
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
            _create_private(Path(url.removeprefix("sqlite:///")))
        engine = create_engine(url, connect_args={"check_same_thread": False}, **options)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=5000")
            cursor.close()

        event.listen(engine, "handle_error", _busy)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # The pool matches the server's thread pool (40 threads), so a busy moment never waits 30 s for a
    # connection; connections are recycled hourly instead of pinged on every checkout (a round trip each).
    defaults: dict[str, Any] = {"pool_size": 20, "max_overflow": 20, "pool_recycle": 3600}
    if options.get("poolclass") is not None:
        defaults = {}
    return create_engine(url, **(defaults | options))


def _create_private(database: Path) -> None:
    """The data folder (0700) and the database file (0600) are the owner's only: they hold patient data.
    SQLite gives its -wal and -shm files the database file's mode. Existing ones are left as they are."""
    database.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    database.touch(mode=0o600, exist_ok=True)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back whole on any error."""
    with factory() as session, session.begin():
        yield session
