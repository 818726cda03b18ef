"""Writing hierarchical transaction sets (270, 276, 277, 277CA): HL numbering, NM1 parties, DTP periods.

Source: ASC X12 005010 HL segment (HL01 id, HL02 parent id, HL03 level code, HL04 child code) as the
X212, X214 and X279A1 guides use it.
"""

from __future__ import annotations

from datetime import date, datetime

from ptbill.domain.coded import Party
from ptbill.x12.elements import element_ref
from ptbill.x12.envelope_writer import st
from ptbill.x12.syntax import Delimiters, Segment, clean_identifier, clean_text
from ptbill.x12.values import ccyymmdd, hhmm

# The header and party elements every hierarchical set shares (BHT, HL, NM1, TRN, DMG, DTP), by reference and name;
# each set's ``segments.py`` re-exports them beside its own.
BHT03 = element_ref("BHT03", "reference identification")
BHT04 = element_ref("BHT04", "date")
HL03 = element_ref("HL03", "hierarchical level code")
NM101 = element_ref("NM101", "entity identifier code")
NM103 = element_ref("NM103", "last or organization name")
NM104 = element_ref("NM104", "first name")
NM108 = element_ref("NM108", "identification code qualifier")
NM109 = element_ref("NM109", "identification code")
TRN02 = element_ref("TRN02", "trace number")
DMG02 = element_ref("DMG02", "date time period (birth date)")
DTP01 = element_ref("DTP01", "date time qualifier")
DTP02 = element_ref("DTP02", "date time period format qualifier")
DTP03 = element_ref("DTP03", "date time period")


def heading(
    set_id: str,
    control: int,
    guide: str,
    bht: tuple[str, str],
    reference: str | None,
    created: datetime,
    d: Delimiters,
    kind: str | None = None,
) -> list[Segment]:
    """ST and BHT of a hierarchical set: ``bht`` its structure and purpose codes (BHT01, BHT02), BHT03 the
    ``reference`` or else the control number, BHT04/05 the creation day and time, BHT06 ``kind`` if given."""
    number = clean_identifier(reference or str(control), d)
    elements = (*bht, number, ccyymmdd(created.date()), hhmm(created), *((kind,) if kind else ()))
    return [st(set_id, control, guide), Segment("BHT", elements)]


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
