"""Exceptions for broken input. A failed check is a Finding, never one of these.

PtbillError
├── EncounterFormatError     a document that does not follow encounter format 1
└── ReferenceDataError       a reference file or parameter that is missing or malformed
"""

from __future__ import annotations


class PtbillError(Exception):
    """Base of every error ptbill raises on purpose."""


class EncounterFormatError(PtbillError):
    """The document does not follow encounter format 1; ``problems`` has one line per field."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


class ReferenceDataError(PtbillError):
    """A reference file or parameter is missing or malformed; the message names the file or parameter."""
