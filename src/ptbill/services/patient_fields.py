"""Typed text read into values, one message per field: the registration, coverage, authorization and
plan-of-care forms and their API bodies share these readers, so both refuse the same things the same way.

Digits are ASCII digits only (``int()`` would read "٣" as 3); days are YYYY-MM-DD on the calendar.
A message names the problem, never the value typed, so it can go in an error and stay free of PHI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from decimal import Decimal

from ptbill.domain.errors import PtbillError
from ptbill.domain.identifiers import npi_is_valid

_ISO_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_ZIP = re.compile(r"[0-9]{5}(-[0-9]{4})?")
_STATE = re.compile(r"[A-Z]{2}")
_PHONE_CHARS = re.compile(r"[0-9 ()+.\-]+")
_EMAIL = re.compile(r"[^@\s]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,}")
_WHOLE = re.compile(r"[0-9]{1,6}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FieldProblemsError(PtbillError):
    """Some fields cannot be used: ``problems`` maps each form field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{name}: {message}" for name, message in problems.items()))


def parse_day(text: str) -> date | None:
    match = _ISO_DAY.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


_AMOUNT = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")


class Fields:
    """Reads the typed fields of one form; each reader notes a problem beside its field and returns None."""

    def __init__(self, data: Mapping[str, object]) -> None:
        self.data = data
        self.problems: dict[str, str] = {}

    def raw(self, name: str) -> str:
        value = self.data.get(name)
        return "" if value is None else str(value).strip()

    def fail(self, name: str, message: str) -> None:
        self.problems.setdefault(name, message)

    def text(self, name: str, max_length: int, *, required: bool = False) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "required")
            return None
        if len(value) > max_length:
            self.fail(name, f"at most {max_length} characters")
            return None
        if _CONTROL.search(value):
            self.fail(name, "control characters cannot be stored")
            return None
        return value

    def day(self, name: str, *, required: bool = False, not_after: date | None = None) -> date | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "required")
            return None
        parsed = parse_day(value)
        if parsed is None:
            self.fail(name, "not a date on the calendar (YYYY-MM-DD)")
        elif parsed.year < 1900:
            self.fail(name, "before 1900")
            return None
        elif not_after is not None and parsed > not_after:
            self.fail(name, "in the future")
            return None
        return parsed

    def whole(self, name: str, low: int, high: int, *, required: bool = True) -> int | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "required")
            return None
        if not _WHOLE.fullmatch(value) or not low <= int(value) <= high:
            self.fail(name, f"a whole number from {low} to {high} (digits 0-9)")
            return None
        return int(value)

    def amount(self, name: str, high: Decimal, *, required: bool = False) -> Decimal | None:
        """Dollars and cents (a leading $ and thousands commas allowed), from 0 to ``high``."""
        value = self.raw(name).removeprefix("$").replace(",", "")
        if not value:
            if required:
                self.fail(name, "required")
            return None
        if not _AMOUNT.fullmatch(value) or Decimal(value) > high:
            self.fail(name, f"an amount from 0 to {high:,} in dollars and cents (e.g. 1250.00)")
            return None
        return Decimal(value).quantize(Decimal("0.01"))

    def choice(self, name: str, options: Mapping[str, str] | tuple[str, ...], default: str | None = None) -> str | None:
        value = self.raw(name) or default
        if value not in options:
            self.fail(name, "choose one of the options")
            return None
        return value

    def pattern(self, name: str, pattern: re.Pattern[str], message: str) -> str | None:
        value = self.raw(name).upper() if pattern is _STATE else self.raw(name)
        if not value:
            return None
        if not pattern.fullmatch(value):
            self.fail(name, message)
            return None
        return value

    def zip(self, name: str) -> str | None:
        return self.pattern(name, _ZIP, "5 digits, or 5+4 (12345-6789)")

    def state(self, name: str) -> str | None:
        return self.pattern(name, _STATE, "the two-letter state code (e.g. OR)")

    def email(self, name: str) -> str | None:
        value = self.text(name, 200)
        if value is not None and not _EMAIL.fullmatch(value):
            self.fail(name, "not an email address")
            return None
        return value

    def phone(self, name: str) -> str | None:
        """A US number: ten digits (a leading 1 dropped), stored as digits only."""
        value = self.raw(name)
        if not value:
            return None
        digits = re.sub(r"[^0-9]", "", value) if _PHONE_CHARS.fullmatch(value) else ""
        if len(digits) == 11 and digits.startswith("1"):
            digits = digits[1:]
        if len(digits) != 10:
            self.fail(name, "10 digits (0-9), e.g. 503-555-0142")
            return None
        return digits

    def npi(self, name: str, *, required: bool = False) -> str | None:
        value = self.raw(name)
        if not value:
            if required:
                self.fail(name, "required")
            return None
        if not npi_is_valid(value):
            self.fail(name, "not an NPI: 10 digits whose last is the check digit")
            return None
        return value

    def done(self) -> None:
        if self.problems:
            raise FieldProblemsError(self.problems)


def shown_phone(digits: str | None) -> str:
    if not digits or len(digits) != 10:
        return digits or ""
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
