"""Exceptions for broken input. A failed check is a Finding, never one of these.

PtbillError
├── EncounterFormatError     a document that does not follow encounter format 1
├── ReferenceDataError       a reference file or parameter that is missing or malformed
└── RemittanceFormatError    an 835 remittance that cannot be read
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


class RemittanceFormatError(PtbillError):
    """An 835 cannot be read; the message names the segment's number in the file, its id and the problem.

    ``segment_number`` counts segments from the start of the data (the ISA is 1); it is None when the
    problem is the data as a whole (empty, or cut short).
    """

    def __init__(self, problem: str, segment_number: int | None = None, segment_id: str | None = None) -> None:
        self.problem = problem
        self.segment_number = segment_number
        self.segment_id = segment_id
        where = "" if segment_number is None else f"segment {segment_number} ({segment_id or '?'}): "
        super().__init__(where + problem)
