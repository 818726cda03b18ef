"""Check digits of U.S. health-care identifiers (NPI: CMS NPPES, ISO/IEC 7812 Luhn with prefix 80840), and
what counts as a digit in any identifier, date or number a person types: ASCII 0-9 only.

``str.isdigit`` and a regular expression's ``\\d`` also accept Arabic-Indic (٣), fullwidth (３) and, for
``isdigit``, superscript (²) digits, which ``int()`` then reads or refuses; identifiers use these instead.
"""

from __future__ import annotations

import functools


def is_ascii_digits(text: str) -> bool:
    """True when ``text`` is one or more of the ASCII digits 0-9 and nothing else.

    >>> is_ascii_digits("954512345"), is_ascii_digits("٣"), is_ascii_digits("²"), is_ascii_digits("")
    (True, False, False, False)
    """
    return text.isascii() and text.isdigit()


def bounded_int(text: str, max_digits: int) -> int | None:
    """``text`` as an int when it is 1 to ``max_digits`` ASCII digits; None otherwise (never a ValueError,
    however long the text: Python refuses to convert strings of more than 4,300 digits)."""
    if len(text) > max_digits or not is_ascii_digits(text):
        return None
    return int(text)


@functools.lru_cache(maxsize=4096)
def npi_is_valid(npi: str) -> bool:
    """True when ``npi`` is 10 digits whose last digit is the Luhn check digit over ``80840`` + the first 9.

    >>> npi_is_valid("1245319599")
    True
    >>> npi_is_valid("1245319598")
    False
    """
    if len(npi) != 10 or not is_ascii_digits(npi):
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
