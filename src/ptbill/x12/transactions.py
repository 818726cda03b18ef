"""Reading one ST..SE element by element, for the readers of the smaller transaction sets (999, 270/271,
276/277, 277CA): typed values out of elements, and every problem recorded with its segment and element.

The envelope is read strictly (``x12.envelope``: counts and control numbers checked); what is wrong
inside becomes an ``X12ElementError`` or ``X12LoopError`` on the transaction's ``problems``, never an
exception, so one bad claim status does not hide the others. Only ``X12SyntaxError`` (unreadable
characters, a truncated file) is raised, by the tokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from ptbill.x12.elements import ElementRef
from ptbill.x12.envelope import EnvelopeReader, Transaction
from ptbill.x12.errors import X12ElementError, X12EnvelopeError, X12Error, X12LoopError, clip
from ptbill.x12.reader import ReadSegment, Source

_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_MAX_NUMBER_LENGTH = 18  # the R type's maximum
_DATE = re.compile(r"[0-9]{8}")
_RANGE = re.compile(r"([0-9]{8})-([0-9]{8})")


def read_transactions(source: Source) -> tuple[list[Transaction], list[X12Error]]:
    """Every ST..SE of ``source`` and the problems outside any of them (the whole file is read first, so
    interchange and group problems found at GE/IEA are known)."""
    reader = EnvelopeReader(source)
    transactions = list(reader)
    return transactions, list(reader.problems)


def first_transaction_kind(source: Source) -> tuple[str, str]:
    """ST01 and the guide (ST03, else GS08) of the first transaction set of ``source``; ('', '') when none."""
    for transaction in EnvelopeReader(source):
        return transaction.transaction_set_id, transaction.implementation
    return "", ""


def parse_day(raw: str) -> date | None:
    """A CCYYMMDD date, or None when it is not one."""
    if not _DATE.fullmatch(raw):
        return None
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
    except ValueError:
        return None


class TransactionView:
    """One transaction set's segments, the typed readers of their elements, and its problems."""

    def __init__(self, transaction: Transaction, outside: list[X12Error] | None = None) -> None:
        self.transaction = transaction
        self.segments: list[ReadSegment] = transaction.segments
        separators = transaction.interchange.separators
        self.repetition = separators.repetition or "^"
        seen: set[int] = set()
        self.problems: list[X12Error] = []
        for problem in (*transaction.problems, *transaction.envelope_problems, *(outside or ())):
            if id(problem) not in seen:
                seen.add(id(problem))
                self.problems.append(problem)

    def body(self) -> Iterator[ReadSegment]:
        """The segments between ST and SE."""
        end = len(self.segments) - (1 if self.transaction.trailer is not None else 0)
        yield from self.segments[1:end]

    def messages(self) -> tuple[str, ...]:
        """The problems in file order, as one line each."""
        return tuple(str(p) for p in sorted(self.problems, key=lambda p: p.segment_number or 0))

    # -- recording --------------------------------------------------------------------------------------

    def element_problem(self, read: ReadSegment, detail: str) -> None:
        self.problems.append(X12ElementError(read.number, read.id, detail))

    def loop_problem(self, read: ReadSegment, detail: str) -> None:
        self.problems.append(X12LoopError(read.number, read.id, detail))

    def check_guide(self, transaction_set: str, guides: tuple[str, ...]) -> bool:
        """Whether this is the expected ST01 under one of ``guides``; records why not."""
        header = self.transaction.header
        if self.transaction.transaction_set_id != transaction_set:
            self.problems.append(
                X12EnvelopeError(
                    header.number,
                    "ST",
                    f"ST01 is {clip(self.transaction.transaction_set_id)!r}, not {transaction_set}",
                )
            )
            return False
        guide = self.transaction.implementation
        if guide not in guides:
            self.problems.append(
                X12EnvelopeError(
                    header.number, "ST", f"the guide (ST03/GS08) is {clip(guide)!r}, not {' or '.join(guides)}"
                )
            )
            return False
        return True

    # -- elements -----------------------------------------------------------------------------------------

    @staticmethod
    def text(read: ReadSegment, element: ElementRef) -> str:
        return read.segment.element(element.position).strip()

    def optional(self, read: ReadSegment, element: ElementRef) -> str | None:
        return self.text(read, element) or None

    def required(self, read: ReadSegment, element: ElementRef) -> str:
        value = self.text(read, element)
        if not value:
            self.element_problem(read, f"{element} is missing")
        return value

    @staticmethod
    def component(read: ReadSegment, element: ElementRef, position: int) -> str:
        return read.segment.component(element.position, position).strip()

    def repeats(self, read: ReadSegment, element: ElementRef) -> tuple[str, ...]:
        """A repeating element's values (split at the ISA11 repetition separator)."""
        raw = self.text(read, element)
        return tuple(v.strip() for v in raw.split(self.repetition) if v.strip()) if raw else ()

    def amount(self, read: ReadSegment, element: ElementRef) -> Decimal | None:
        raw = self.text(read, element)
        if not raw:
            return None
        if len(raw) > _MAX_NUMBER_LENGTH or not _NUMBER.fullmatch(raw):
            self.element_problem(read, f"{element} {clip(raw)!r} is not a number")
            return None
        return Decimal(raw)

    def whole(self, read: ReadSegment, element: ElementRef) -> int | None:
        number = self.amount(read, element)
        if number is None:
            return None
        if number != number.to_integral_value():
            self.element_problem(read, f"{element} {number} is not a whole number")
            return None
        return int(number)

    def day(self, read: ReadSegment, element: ElementRef) -> date | None:
        raw = self.text(read, element)
        if not raw:
            return None
        day = parse_day(raw)
        if day is None:
            self.element_problem(read, f"{element} {clip(raw)!r} is not a date (CCYYMMDD)")
        return day

    def period(self, read: ReadSegment, qualifier: ElementRef, value: ElementRef) -> tuple[date | None, date | None]:
        """A date (D8) or a range (RD8 'CCYYMMDD-CCYYMMDD') as first and last day."""
        form = self.text(read, qualifier)
        raw = self.text(read, value)
        if form == "RD8":
            found = _RANGE.fullmatch(raw)
            first, last = (parse_day(found.group(1)), parse_day(found.group(2))) if found else (None, None)
            if first is None or last is None or last < first:
                self.element_problem(read, f"{value} {clip(raw)!r} is not a date range (CCYYMMDD-CCYYMMDD)")
                return None, None
            return first, last
        if form != "D8":
            self.element_problem(read, f"{qualifier} {clip(form)!r} is not D8 or RD8")
            return None, None
        day = self.day(read, value)
        if day is None and not raw:
            self.element_problem(read, f"{value} is missing")
        return day, day
