"""Databases at the newest migration for the test fixtures, without running Alembic for each one.

Alembic takes seconds to run the migrations (most of it importing and walking the scripts), and the
fixtures make dozens of SQLite databases in a run. The first SQLite database a run asks for is migrated by
Alembic into a file of its own; every later one is a copy of that file, made with SQLite's backup API.
PostgreSQL is the same with databases: ``postgres_database`` migrates one template database per run with
Alembic (into a schema named in the URL's search path, as the app is deployed) and makes every fixture's
database with ``CREATE DATABASE ... TEMPLATE`` (a file copy, about 0.2 s against 3 to 6 s of Alembic).
SQLite databases not empty are migrated by Alembic as before. The tests of migrating itself
(``test_queue_migration``, ``test_first_run``, ``test_private_files``) call Alembic directly.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from sqlalchemy import Engine, make_url, text

from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine

SCHEMA = "ptbill"


@functools.cache
def _migrated_template() -> Path:
    folder = Path(tempfile.mkdtemp(prefix="ptbill-template-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    template = folder / "ptbill.sqlite3"
    upgrade(f"sqlite:///{template}")
    return template


def migrate(url: str) -> None:
    """Bring the empty database at ``url`` to the newest migration (what ``upgrade(url)`` does)."""
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") and "?" not in url else None
    if path is None or str(path) == ":memory:" or (path.exists() and path.stat().st_size > 0):
        upgrade(url)
        return
    template = _migrated_template()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)  # as the app makes it: the owner's only
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)


def _with_database(server_url: str, name: str) -> str:
    """``server_url`` pointed at database ``name``, the app's tables found in schema ``SCHEMA``."""
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    return f"{url}?options=-csearch_path%3D{SCHEMA}"


@functools.cache
def _admin(server_url: str) -> Engine:
    engine = make_engine(server_url, isolation_level="AUTOCOMMIT")
    atexit.register(engine.dispose)
    return engine


def _drop(server_url: str, name: str) -> None:
    with _admin(server_url).connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@functools.cache
def _postgres_template(server_url: str) -> str:
    """The name of a database migrated by Alembic once per run, for ``CREATE DATABASE ... TEMPLATE``."""
    name = f"ptbill_template_{uuid.uuid4().hex[:10]}"
    with _admin(server_url).connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    atexit.register(_drop, server_url, name)
    url = _with_database(server_url, name)
    engine = make_engine(url.partition("?")[0])
    with engine.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{SCHEMA}"'))
    engine.dispose()
    upgrade(url)
    return name


@contextmanager
def postgres_database(server_url: str, prefix: str = "ptbill_test") -> Iterator[str]:
    """A PostgreSQL database of its own at the newest migration (a copy of the run's template), dropped after."""
    template = _postgres_template(server_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin(server_url).connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _with_database(server_url, name)
    finally:
        _drop(server_url, name)
