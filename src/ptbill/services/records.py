"""What the services hand to the API and the pages: frozen copies of stored rows, never the rows themselves.

Each feature module declares its record (``users.User``, ``patients.Patient`` ...) with the attribute names
the schemas and templates read; ``copy_of`` fills it from a row, so a caller can neither change a row
behind the service's back nor trigger a lazy load after the transaction.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

R = TypeVar("R", bound="DataclassInstance")


def copy_of(record: type[R], row: object, **given: object) -> R:
    """The record with each of its fields read from the attribute of the same name, except those ``given``."""
    return record(**{f.name: given[f.name] if f.name in given else getattr(row, f.name) for f in fields(record)})
