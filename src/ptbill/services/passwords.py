"""The password rules of NIST SP 800-63B (section 5.1.1.2, memorized secrets): at least 12 characters,
no common password (a shipped list, also with digits or symbols added around it), nothing made from the
account's own email, no single piece repeated or run in sequence. No composition rules, as NIST advises.
"""

from __future__ import annotations

import string
from functools import cache
from itertools import pairwise
from pathlib import Path

from ptbill.domain.errors import PtbillError
from ptbill.domain.identifiers import is_ascii_digits

MIN_LENGTH = 12
MAX_LENGTH = 200  # NIST asks for at least 64; passphrases fit, and argon2 never hashes a megabyte
COMMON_PASSWORDS = Path(__file__).resolve().parent.parent / "reference_data" / "passwords" / "common.txt"
# Padding people add to a common word to pass a length rule ("password1234", "!!iloveyou2026").
_PADDING = string.digits + string.punctuation + " "
_SHORTEST_LOCAL_PART = 4  # "pt@..." is too short to look for inside a password


class PasswordRefusedError(PtbillError):
    """A new password breaks a rule, or the current one is wrong; the message says which, ``field``
    names the form field it belongs beside."""

    def __init__(self, message: str, field: str = "password") -> None:
        super().__init__(message)
        self.field = field


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def password_problem(password: str, email: str) -> str | None:
    """Why ``password`` may not be the password of the account ``email``, or None when it may."""
    if len(password) < MIN_LENGTH:
        return f"the password must be at least {MIN_LENGTH} characters long"
    if len(password) > MAX_LENGTH:
        return f"the password must be at most {MAX_LENGTH} characters long"
    lowered = password.lower()
    email = email.strip().lower()
    local_part = email.split("@", 1)[0]
    if email and (email in lowered or (len(local_part) >= _SHORTEST_LOCAL_PART and local_part in lowered)):
        return "the password must not contain the account's email address (or its part before the @)"
    common = common_passwords()
    if lowered in common or lowered.strip(_PADDING) in common:
        return "the password is on the list of common passwords (or is one with digits or symbols added)"
    if _repeats(lowered) or _runs(lowered):
        return "the password must not be one character or piece repeated, or a run such as 123456789012"
    return None


def require_acceptable(password: str, email: str, field: str = "password") -> None:
    problem = password_problem(password, email)
    if problem is not None:
        raise PasswordRefusedError(problem, field)


def _repeats(text: str) -> bool:
    """One piece repeated to fill the whole password: "aaaaaaaaaaaa", "abcabcabcabc", "passwordpassword"."""
    return text in (text + text)[1:-1]


def _runs(text: str) -> bool:
    """Each character one step from the one before: "123456789012", "abcdefghijkl", "zyxwvutsrqpo"."""
    steps = {(ord(b) - ord(a)) % 10 if is_ascii_digits(a + b) else ord(b) - ord(a) for a, b in pairwise(text)}
    return steps <= {1} or steps <= {-1, 9}  # digits wrap around: 8901, 1098
