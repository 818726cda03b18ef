"""Text from input, made safe to print on a terminal: a note id, a file name or an 835 value that holds
control characters (escape sequences, carriage returns, backspaces) or bidirectional overrides is shown
with those characters escaped (\\x1b, \\r, \\u202e), so it cannot recolour, move, retitle or hide output.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional marks and overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """``value`` as text with every control character written as its escape; other text unchanged."""
    return _UNSAFE.sub(_escaped, str(value))
