"""Databases at the newest migration for the test fixtures, without running Alembic for each SQLite file.

Alembic takes seconds to run the migrations (most of it importing and walking the scripts), and the
fixtures make dozens of SQLite databases in a run. The first SQLite database a run asks for is migrated by
Alembic into a file of its own; every later one is a copy of that file, made with SQLite's backup API.
PostgreSQL schemas, and databases not empty or not asked at the newest revision, are migrated by Alembic
as before. The tests of migrating itself (``test_queue_migration``, ``test_first_run``, ``test_private_files``)
call Alembic directly.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

from ptbill.storage.migrate import upgrade


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
