"""The biller's queue filters and paging, read from typed text (an address's query or a JSON body) one strict
way: ASCII digits only, calendar days as YYYY-MM-DD, a known rule id, a page size of those offered.

``read_filters`` raises ``FieldProblemsError`` naming every bad field; a message never repeats the value
typed, so it can go in an error page or a 422 and stay free of PHI.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from ptbill.rules import checks  # noqa: F401  (importing registers every rule)
from ptbill.rules.registry import all_rules
from ptbill.services.patient_fields import FieldProblemsError, parse_day

TABS = ("ready", "needs_attention", "blocked")
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE = 10**6
FILTER_FIELDS = ("payer", "therapist", "from", "to", "rule", "min", "max")

_AMOUNT = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")
_WHOLE = re.compile(r"[0-9]{1,19}")
_PAYER = re.compile(r"[A-Za-z0-9_.\-]{1,60}")


@dataclass(frozen=True, slots=True)
class QueueFilter:
    """What narrows the queue; every field None means the whole queue. Amounts are the note's expected payment."""

    payer: str | None = None
    therapist: int | None = None
    date_from: date | None = None
    date_to: date | None = None
    rule: str | None = None
    min_amount: Decimal | None = None
    max_amount: Decimal | None = None

    def query(self) -> dict[str, str]:
        """The filter as the address's query parameters (the names ``read_filters`` reads), values given only."""
        values = {
            "payer": self.payer,
            "therapist": self.therapist,
            "from": self.date_from,
            "to": self.date_to,
            "rule": self.rule,
            "min": self.min_amount,
            "max": self.max_amount,
        }
        return {key: str(value) for key, value in values.items() if value is not None}

    @property
    def active(self) -> bool:
        return bool(self.query())


@dataclass(frozen=True, slots=True)
class Paging:
    page: int = 1
    per_page: int = DEFAULT_PAGE_SIZE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def last(self, total: int) -> Paging:
        """This paging, on the last page when it points past the end."""
        pages = max(1, -(-total // self.per_page))
        return self if self.page <= pages else replace(self, page=pages)


def rule_titles() -> dict[str, str]:
    """Every rule id of the registry with its title, sorted by id: what the rule filter offers and accepts."""
    return {rule.id: rule.title for rule in sorted(all_rules(), key=lambda r: r.id)}


def _whole(text: str, low: int, high: int) -> int | None:
    if not _WHOLE.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def read_date_range(given: Mapping[str, str], problems: dict[str, str]) -> dict[str, date | None]:
    """The ``from`` and ``to`` days of a list's filter (typed text, stripped; empty is no bound), adding a
    problem for each that is not a calendar day or that ends the range before it starts."""
    days: dict[str, date | None] = {}
    for key in ("from", "to"):
        days[key] = parse_day(given[key]) if given[key] else None
        if given[key] and days[key] is None:
            problems[key] = "not a date on the calendar (YYYY-MM-DD)"
    if days["from"] and days["to"] and days["from"] > days["to"]:
        problems["to"] = "the date range ends before it starts"
    return days


def read_filters(values: Mapping[str, str | None]) -> QueueFilter:
    """The filter from typed text; an empty or missing value is no filter on that field."""
    problems: dict[str, str] = {}
    given = {key: (values.get(key) or "").strip() for key in FILTER_FIELDS}
    payer = given["payer"] or None
    if payer is not None and not _PAYER.fullmatch(payer):
        problems["payer"] = "not a payer id (letters, digits, '.', '_' or '-', up to 60)"
    therapist = None
    if given["therapist"]:
        therapist = _whole(given["therapist"], 1, 2**63 - 1)
        if therapist is None:
            problems["therapist"] = "not a user number (digits 0-9, from 1)"
    days = read_date_range(given, problems)
    rule = given["rule"] or None
    if rule is not None and rule not in rule_titles():
        problems["rule"] = "no rule has this id (see docs/rules.md)"
    amounts: dict[str, Decimal | None] = {}
    for key in ("min", "max"):
        amounts[key] = Decimal(given[key]) if _AMOUNT.fullmatch(given[key]) else None
        if given[key] and amounts[key] is None:
            problems[key] = "not an amount in dollars (digits 0-9, up to 2 decimals, e.g. 85.50)"
    if amounts["min"] is not None and amounts["max"] is not None and amounts["min"] > amounts["max"]:
        problems["max"] = "the maximum is below the minimum"
    if problems:
        raise FieldProblemsError(problems)
    return QueueFilter(payer, therapist, days["from"], days["to"], rule, amounts["min"], amounts["max"])


def read_paging(page: str | None, per_page: str | None) -> Paging:
    problems: dict[str, str] = {}
    number = _whole(page, 1, MAX_PAGE) if page else 1
    if number is None:
        problems["page"] = f"not a page number (digits 0-9, from 1 to {MAX_PAGE})"
    size = _whole(per_page, 1, 1000) if per_page else DEFAULT_PAGE_SIZE
    if size not in PAGE_SIZES:
        problems["per_page"] = "not a page size offered (" + ", ".join(str(s) for s in PAGE_SIZES) + ")"
    if problems:
        raise FieldProblemsError(problems)
    return Paging(number or 1, size or DEFAULT_PAGE_SIZE)
