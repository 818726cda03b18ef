"""What the pages accept from an address or a form: record ids, counts and dates, each read one strict way.

Path and query values are typed with ``RecordId``, ``OptionalRecordId`` and ``OptionalCount``: FastAPI
checks them before a handler runs, and a bad one becomes an error page naming the value. Form handlers
and date pickers call the same readers (``record_id``, ``day``), so a form shows its error beside the
field; the command line reads its arguments with them too. Digits are ASCII digits only: ``int()``
would read "٣" as 3, and ``str.isdigit()`` says yes to "²", which ``int()`` refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Annotated

from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAX_ID = 2**63 - 1  # BIGINT on PostgreSQL (SQLite's INTEGER holds as much): a larger id names no row
_WHOLE = re.compile(r"[0-9]{1,19}")
_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CLOCK = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def whole_number(text: str | None, low: int = 0, high: int = MAX_ID) -> int | None:
    """A whole number typed with ASCII digits only, from ``low`` to ``high``; None for anything else."""
    if text is None or not _WHOLE.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def record_id(text: str | None) -> int | None:
    """A record's id as an address or a form carries it: 1 to the largest id a table can hold."""
    return whole_number(text, 1)


def day(text: str | None) -> date | None:
    """A day of the calendar typed as YYYY-MM-DD; None when it is not one (2026-02-30, 26-2-3, ...)."""
    match = _ISO_DAY.fullmatch(text or "")
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


def input_type(value: str, kind: str) -> str:
    """The type a form input is rendered with: a date or a time the browser's own picker cannot hold
    (it would show it empty) is shown as text, so what was typed stays in sight beside its error."""
    if value and ((kind == "date" and day(value) is None) or (kind == "time" and not _CLOCK.fullmatch(value))):
        return "text"
    return kind


_TYPED_CLOCK = re.compile(r"([0-9]{1,2})(?:[:.h]?([0-9]{2}))?\s*(am|pm|a|p)?")


def clock_time(text: str | None) -> str | None:
    """A clock time as typed quickly ("905", "0905", "9:05", "9.05", "2:30 pm", "2pm") written HH:MM (24-hour).

    Anything else, or an hour or minute out of range, comes back as typed, and the note's check names the field.
    A bare "9" or "14" is not read as a time: it is too easily a slip.
    """
    typed = (text or "").strip()
    match = _TYPED_CLOCK.fullmatch(typed.lower())
    if match is None or (match.group(2) is None and match.group(3) is None):
        return text
    hour, minute, half = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if half:
        if not 1 <= hour <= 12:
            return text
        hour = hour % 12 + (12 if half.startswith("p") else 0)
    if hour > 23 or minute > 59:
        return text
    return f"{hour:02d}:{minute:02d}"


def _strict(reader: Callable[[str], object | None], kind: str, message: str) -> BeforeValidator:
    """A validator that reads a typed text with ``reader`` and names the problem when it cannot;
    an empty text is a value not given (a form's cleared input)."""

    def check(value: object) -> object:
        if not isinstance(value, str) or value == "":
            return None if value == "" else value
        parsed = reader(value)
        if parsed is None:
            raise PydanticCustomError(kind, message)
        return parsed

    return BeforeValidator(check)


_ID = _strict(record_id, "record_id", "not a record number (digits 0-9, from 1)")
RecordId = Annotated[int, _ID]
OptionalRecordId = Annotated[int | None, _ID]
OptionalCount = Annotated[int | None, _strict(whole_number, "count", "not a whole number (digits 0-9)")]
