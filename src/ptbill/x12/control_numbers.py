"""Interchange, group and transaction control numbers that are never reused, even after a restart.

Numbers are kept in a small SQLite file (standard library) and handed out inside a write
transaction, so two processes sharing the file never get the same number.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

KINDS = ("interchange", "group", "transaction")
# ISA13 and GS06 are at most 9 digits; ST02 is 4-9 characters. Wrap before the field overflows.
LARGEST = 999_999_999


class ControlNumbers:
    """Hands out the next control number of each kind for one sender (``scope``)."""

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
        """Reserve ``count`` consecutive numbers of ``kind`` and return the first."""
        if kind not in KINDS:
            raise ValueError(f"unknown control-number kind {kind!r}")
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            row = connection.execute(
                "SELECT last FROM control_numbers WHERE scope = ? AND kind = ?", (self.scope, kind)
            ).fetchone()
            last = row[0] if row else 0
            first = last + 1
            if first + count - 1 > LARGEST:
                first = 1  # wrapped after a billion batches: the payer's duplicate window is long past
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

    def close(self) -> None:
        self._connection.close()
