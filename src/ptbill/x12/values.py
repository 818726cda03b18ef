"""How values are written into X12 elements: amounts, quantities, dates, times and control numbers.

Every writer formats through these functions, so one transaction set never writes an amount or a date
differently from another. Source: ASC X12 005010 data element types as the HIPAA TR3s use them
(appendix A): R (decimal) has no trailing zeros after the decimal point and no trailing decimal point;
DT dates are CCYYMMDD (GS04, DTP, DTM) or YYMMDD (ISA09); TM times are HHMM (ISA10, GS05, BHT05);
ISA13 is 9 digits; ST02 is 4 to 9 characters.
"""

from __future__ import annotations

import functools
from datetime import date, datetime
from decimal import Decimal

_CENT = Decimal("0.01")


def amount(value: Decimal) -> str:
    """A money amount (R): rounded to cents, then trailing zeros and a trailing point dropped: 120.50 → 120.5."""
    text = f"{value.quantize(_CENT):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def quantity(value: Decimal) -> str:
    """A quantity (R) as the value holds it, never in exponent form: units paid, adjustment quantities."""
    return f"{value:f}"


@functools.lru_cache(maxsize=2048)
def ccyymmdd(day: date) -> str:
    """A date (DT, 8 digits): 2026-03-02 → 20260302. Cached: a batch repeats the same few service dates."""
    return day.strftime("%Y%m%d")


def yymmdd(moment: datetime) -> str:
    """The interchange date (ISA09, 6 digits)."""
    return moment.strftime("%y%m%d")


def hhmm(moment: datetime) -> str:
    """A time (TM) to the minute: ISA10, GS05, BHT05."""
    return moment.strftime("%H%M")


def interchange_control_number(number: int) -> str:
    """ISA13 and IEA02: exactly 9 digits, zero-padded."""
    return f"{number:09d}"


def transaction_control_number(number: int) -> str:
    """ST02 and SE02: at least 4 digits, zero-padded."""
    return f"{number:04d}"
