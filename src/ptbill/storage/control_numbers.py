"""Control numbers kept in the main database: one row per kind, raised by one atomic upsert.

On PostgreSQL the upsert locks the row until the transaction ends, so batches built at the same
moment get different numbers; on SQLite the database's single writer does the same. A number rolled
back with its transaction was never stored, and so never sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import case
from sqlalchemy.orm import Session

from ptbill.storage.session import dialect_insert
from ptbill.storage.tables import ControlNumberRow
from ptbill.x12.control_numbers import LARGEST, ControlNumbers, check_kind

_TABLE = ControlNumberRow.__table__


class StoredControlNumbers:
    """A ``ControlNumberSource`` drawing from the ``control_numbers`` table inside the session's transaction."""

    def __init__(self, session: Session, scope: str = "default") -> None:
        self.session = session
        self.scope = scope

    def next(self, kind: str, count: int = 1) -> int:
        check_kind(kind)
        last = _TABLE.c.last
        raised = case((last + count > LARGEST, count), else_=last + count)  # wraps as x12.first_after does
        statement = (
            dialect_insert(self.session)(_TABLE)
            .values(scope=self.scope, kind=kind, last=count)
            .on_conflict_do_update(index_elements=[_TABLE.c.scope, _TABLE.c.kind], set_={"last": raised})
            .returning(last)
        )
        new_last: int = self.session.execute(statement).scalar_one()
        return new_last - count + 1

    def continue_after_file(self, path: Path) -> None:
        """Continue after the numbers a control-number file handed out: before the database kept them,
        the app kept them in a file in its data folder, and none of those may be sent again."""
        if not path.is_file():
            return
        numbers = ControlNumbers(path, self.scope)
        try:
            self.at_least(numbers.issued())
        finally:
            numbers.close()

    def at_least(self, issued: Mapping[str, int]) -> None:
        """Continue after numbers handed out elsewhere."""
        last = _TABLE.c.last
        for kind, number in issued.items():
            check_kind(kind)
            self.session.execute(
                dialect_insert(self.session)(_TABLE)
                .values(scope=self.scope, kind=kind, last=number)
                .on_conflict_do_update(
                    index_elements=[_TABLE.c.scope, _TABLE.c.kind],
                    set_={"last": case((last < number, number), else_=last)},
                )
            )
