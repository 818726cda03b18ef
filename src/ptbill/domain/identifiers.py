"""Check digits of U.S. health-care identifiers (NPI: CMS NPPES, ISO/IEC 7812 Luhn with prefix 80840)."""

from __future__ import annotations

import functools


@functools.lru_cache(maxsize=4096)
def npi_is_valid(npi: str) -> bool:
    """True when ``npi`` is 10 digits whose last digit is the Luhn check digit over ``80840`` + the first 9.

    >>> npi_is_valid("1245319599")
    True
    >>> npi_is_valid("1245319598")
    False
    """
    if len(npi) != 10 or not npi.isascii() or not npi.isdigit():
        return False
    digits = [int(c) for c in "80840" + npi[:9]]
    total = 0
    # Luhn: double every second digit counting from the right of the payload (the check digit is excluded).
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            doubled = digit * 2
            total += doubled - 9 if doubled > 9 else doubled
        else:
            total += digit
    check = (10 - total % 10) % 10
    return check == int(npi[9])
