"""An element named as the guides name it: its reference (segment id + position) and its name.

Every transaction set's ``segments.py`` declares the elements its reader and writer use with
``element_ref``, so messages read "STC01 (health care claim status)" rather than a bare position.
"""

from __future__ import annotations

from typing import NamedTuple


class ElementRef(NamedTuple):
    """An element: its X12 reference (segment id + position) and its name in the guide."""

    ref: str
    name: str
    position: int

    def __str__(self) -> str:
        return f"{self.ref} ({self.name})"


def element_ref(ref: str, name: str) -> ElementRef:
    """An element by its reference (``CLP04``) and its name in the guide."""
    return ElementRef(ref, name, int(ref[-2:]))
