"""Writing hierarchical transaction sets (270, 276, 277, 277CA): HL numbering, NM1 parties, DTP periods.

Source: ASC X12 005010 HL segment (HL01 id, HL02 parent id, HL03 level code, HL04 child code) as the
X212, X214 and X279A1 guides use it.
"""

from __future__ import annotations

from datetime import date

from ptbill.domain.coded import Party
from ptbill.x12.syntax import Delimiters, Segment, clean_identifier, clean_text
from ptbill.x12.values import ccyymmdd


class Hierarchy:
    """Numbers HL segments and remembers each one's parent."""

    def __init__(self) -> None:
        self.count = 0

    def hl(self, parent: int | None, level: str, has_children: bool | None) -> tuple[int, Segment]:
        self.count += 1
        child = "" if has_children is None else ("1" if has_children else "0")
        return self.count, Segment("HL", (str(self.count), "" if parent is None else str(parent), level, child))


def nm1(role: str, party: Party, d: Delimiters, default_kind: str) -> Segment:
    """An NM1 for a person (a first name given) or an organization, with its identifier when known."""
    person = party.first_name is not None or role in ("IL", "QC", "03")
    return Segment(
        "NM1",
        (
            role,
            "1" if person else "2",
            clean_text(party.name, d)[:60],
            clean_text(party.first_name or "", d)[:35],
            "",
            "",
            "",
            (party.id_kind or default_kind) if party.id else "",
            clean_identifier(party.id or "", d),
        ),
    )


def period(start: date, end: date) -> tuple[str, str]:
    """DTP02/DTP03 for one day (D8) or a range (RD8)."""
    if start == end:
        return "D8", ccyymmdd(start)
    return "RD8", f"{ccyymmdd(start)}-{ccyymmdd(end)}"
