"""Many rows in few statements, on the caller's transaction: the posting of a large 835 writes through these.

PostgreSQL: array comparisons, COPY FROM STDIN and an UPDATE joined to a temporary table; SQLite: IN lists
of ``CHUNK`` values and executemany.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ColumnElement,
    Connection,
    MetaData,
    Table,
    any_,
    bindparam,
    insert,
    update,
)
from sqlalchemy.dialects import postgresql

CHUNK = 1000


def among(connection: Connection, column: ColumnElement[Any], values: Sequence[Any]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select ``column`` among ``values``: one array comparison on PostgreSQL (one
    statement however many values), IN lists of CHUNK values on SQLite."""
    if connection.dialect.name == "postgresql":
        yield column == any_(bindparam(None, list(values), type_=postgresql.ARRAY(column.type)))
        return
    for start in range(0, len(values), CHUNK):
        yield column.in_(values[start : start + CHUNK])


def bulk_update(connection: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """Set ``columns`` of many rows by id. PostgreSQL: one UPDATE joined to a temporary table filled in
    multi-row INSERTs (a statement per row is the slow part of a big remittance); SQLite: executemany."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in columns})
        )
        connection.execute(
            statement,
            [
                {"row_id": row[0], **{f"new_{name}": value for name, value in zip(columns, row[1:], strict=True)}}
                for row in rows
            ],
        )
        return
    staging = Table(
        f"posting_{table.name}",
        MetaData(),
        Column("id", BigInteger),
        *(Column(name, table.c[name].type) for name in columns),
        prefixes=["TEMPORARY"],
    )
    staging.create(connection)
    try:
        copy_rows(connection, staging.name, ("id", *columns), rows)
        connection.execute(
            update(table).where(table.c.id == staging.c.id).values({name: staging.c[name] for name in columns})
        )
    finally:
        staging.drop(connection)


def copy_rows(connection: Connection, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL COPY FROM STDIN on the transaction's own connection: the fastest way in for many rows."""
    raw: Any = connection.connection.dbapi_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def insert_many(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        names = list(rows[0])
        json_columns = {name for name in names if isinstance(table.c[name].type, JSON)}
        copy_rows(
            connection,
            table.name,
            names,
            ([json.dumps(row[name]) if name in json_columns else row[name] for name in names] for row in rows),
        )
        return
    for start in range(0, len(rows), 5000):
        connection.execute(insert(table), rows[start : start + 5000])
