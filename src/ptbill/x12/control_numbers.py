"""Interchange, group and transaction control numbers that are never reused, even after a restart.

Writers take any ``ControlNumberSource``. The app keeps its numbers in the main database (an atomic
increment there, see ``ptbill.storage.control_numbers``); the ``ptbill claim`` command, which has no
database, keeps them in a small SQLite file (``ControlNumbers``, standard library), handed out inside
a write transaction so two processes sharing the file never get the same number.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Protocol

KINDS = ("interchange", "group", "transaction")
# ISA13 and GS06 are at most 9 digits; ST02 is 4-9 characters. Wrap before the field overflows.
LARGEST = 999_999_999


class ControlNumberSource(Protocol):
    def next(self, kind: str, count: int = 1) -> int:
        """Reserve ``count`` consecutive numbers of ``kind`` (one of KINDS) and return the first."""
        ...


def check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown control-number kind {kind!r}")


def first_after(last: int, count: int) -> int:
    """The first of ``count`` numbers following ``last``; wraps after a billion batches, when the payer's
    duplicate window is long past."""
    return 1 if last + count > LARGEST else last + 1


class ControlNumbers:
    """Hands out the next control number of each kind for one sender (``scope``), from a file."""

    def __init__(self, path: Path | str, scope: str = "default") -> None:
        self.path = Path(path)
        self.scope = scope
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._connection = sqlite3.connect(str(path), isolation_level=None, timeout=30)
        self._connection.execute(
            "CREATE TABLE IF NOT EXISTS control_numbers ("
            " scope TEXT NOT NULL, kind TEXT NOT NULL, last INTEGER NOT NULL, PRIMARY KEY (scope, kind))"
        )

    def next(self, kind: str, count: int = 1) -> int:
        check_kind(kind)
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT last FROM control_numbers WHERE scope = ? AND kind = ?", (self.scope, kind)
            ).fetchone()
            first = first_after(row[0] if row else 0, count)
            connection.execute(
                "INSERT INTO control_numbers (scope, kind, last) VALUES (?, ?, ?) "
                "ON CONFLICT (scope, kind) DO UPDATE SET last = excluded.last",
                (self.scope, kind, first + count - 1),
            )
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        return first

    def issued(self) -> dict[str, int]:
        """The last number of each kind handed out from this file."""
        rows = self._connection.execute("SELECT kind, last FROM control_numbers WHERE scope = ?", (self.scope,))
        return {kind: last for kind, last in rows if kind in KINDS}

    def close(self) -> None:
        self._connection.close()
