"""Control numbers drawn from the main database (SQLite and PostgreSQL): consecutive, reserved in runs,
wrapped before the nine-digit fields overflow, and continued after the file earlier versions kept."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import update
from sqlalchemy.orm import Session

from ptbill.storage.control_numbers import StoredControlNumbers
from ptbill.storage.tables import ControlNumberRow
from ptbill.x12.control_numbers import LARGEST, ControlNumbers


def test_each_kind_counts_on_its_own_and_a_run_is_reserved_whole(session: Session) -> None:
    numbers = StoredControlNumbers(session, scope="run")
    assert [numbers.next("interchange"), numbers.next("interchange"), numbers.next("group")] == [1, 2, 1]
    assert numbers.next("transaction", 3) == 1
    assert numbers.next("transaction") == 4


def test_numbers_wrap_to_one_before_the_field_overflows(session: Session) -> None:
    numbers = StoredControlNumbers(session, scope="wrap")
    numbers.next("interchange")
    session.execute(
        update(ControlNumberRow)
        .where(ControlNumberRow.scope == "wrap", ControlNumberRow.kind == "interchange")
        .values(last=LARGEST - 1)
    )
    assert numbers.next("interchange") == LARGEST
    assert numbers.next("interchange", 2) == 1


def test_the_database_continues_after_the_numbers_of_the_old_control_number_file(
    session: Session, tmp_path: Path
) -> None:
    old = ControlNumbers(tmp_path / "control-numbers.sqlite3", "file")
    old.next("interchange", 41)
    old.next("group", 7)
    old.close()
    numbers = StoredControlNumbers(session, scope="file")
    numbers.next("group")  # the database had already handed out group 1
    numbers.continue_after_file(tmp_path / "control-numbers.sqlite3")
    assert (numbers.next("interchange"), numbers.next("group"), numbers.next("transaction")) == (42, 8, 1)
    numbers.continue_after_file(tmp_path / "control-numbers.sqlite3")  # a restart lowers nothing
    assert numbers.next("interchange") == 43
