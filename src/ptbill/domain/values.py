"""``value``: the dataclass of the small immutable values that the check engine makes several of per note
(findings, claim lines, prices, units, reports).

A ``frozen`` dataclass sets each field through ``object.__setattr__`` when it is made, about four times the cost
of a plain one (0.93 against 0.28 µs for nine fields), and checking a note makes dozens of these. A ``value`` class
is a plain slots dataclass at run time, hashable by its fields as a frozen one is, and frozen to the type checker
(``dataclass_transform(frozen_default=True)``): mypy, which ``make test`` runs, refuses any assignment to a field
after the value is made, so nothing can change one without the check failing. ``dataclasses.replace`` makes a
changed copy, as it does of a frozen one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar, dataclass_transform

T = TypeVar("T")


@dataclass_transform(frozen_default=True, eq_default=True, field_specifiers=(field,))
def value(cls: type[T]) -> type[T]:
    """The class as a slots dataclass, compared and hashed by its fields; immutable to the type checker."""
    return dataclass(slots=True, unsafe_hash=True)(cls)
