"""The coordination-of-benefits loops of an 837P read back into ``OtherPayer`` values: loop 2320 (the other
subscriber's SBR, claim-level CAS, AMT*D paid, AMT*EAF remaining patient liability), 2330A (the other
subscriber), 2330B (the other payer and its DTP*573 adjudication date) and, per line, 2430 (SVD, CAS, DTP*573,
AMT*EAF), as ``x12_837p.writer`` writes them (005010X222A1).

What cannot be kept is said, one line each: the reader adds each as a problem of the loop it comes from.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal, InvalidOperation

from ptbill.claims.x12_837p.loops import Loop
from ptbill.domain.claim import InsuredName, OtherPayer, OtherPayerLine, ServiceLine
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.domain.remittance import Adjustment, AdjustmentGroup
from ptbill.domain.vocabulary import ClaimFilingIndicator
from ptbill.x12.syntax import Segment

RELATIONSHIPS = {"18": "self", "01": "spouse", "19": "child"}  # SBR02; every other code reads as "other"
ZERO = Decimal("0")


class CobReadError(ValueError):
    """A value of a COB loop that does not read; the message names the segment and element."""

    def __init__(self, segment_number: int, message: str) -> None:
        self.segment_number = segment_number
        super().__init__(message)


def _amount(text: str, number: int, what: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CobReadError(number, f"{what} {text[:20]!r} is not an amount") from None


def _day(text: str, number: int, what: str) -> date:
    if len(text) == 8 and is_ascii_digits(text):
        try:
            return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
        except ValueError:
            pass
    raise CobReadError(number, f"{what} {text[:20]!r} is not a date (CCYYMMDD)")


def _adjustments(loop: Loop) -> tuple[Adjustment, ...]:
    found: list[Adjustment] = []
    for read in loop.all("CAS"):
        segment: Segment = read.segment
        try:
            group = AdjustmentGroup(segment.element(1))
        except ValueError:
            raise CobReadError(read.number, f"CAS01 {segment.element(1)[:5]!r} is not a group code") from None
        for first in range(2, 20, 3):
            reason = segment.element(first)
            if reason:
                found.append(Adjustment(group, reason, _amount(segment.element(first + 1), read.number, "CAS amount")))
    return tuple(found)


def _amount_of(loop: Loop, qualifier: str, default: Decimal = ZERO) -> Decimal:
    read = loop.first("AMT", qualifier)
    return default if read is None else _amount(read.segment.element(2), read.number, f"AMT*{qualifier}")


def _adjudicated(loop: Loop, where: str) -> date:
    read = loop.first("DTP", "573")
    if read is None:
        raise CobReadError(loop.start.number, f"{where} has no DTP*573 adjudication date")
    return _day(read.segment.element(3), read.number, "DTP*573")


def other_payers(claim_loop: Loop, line_loops: Sequence[Loop], lines: Sequence[ServiceLine]) -> tuple[OtherPayer, ...]:
    """Each 2320 loop of the claim with its 2330A/2330B and the 2430 loops answering its payer."""
    found: list[OtherPayer] = []
    for other in claim_loop.children_with("2320"):
        sbr = other.start.segment
        insured, payer = other.child("2330A"), other.child("2330B")
        if insured is None or payer is None:
            raise CobReadError(other.start.number, "loop 2320 needs its 2330A and 2330B")
        nm1, payer_nm1 = insured.start.segment, payer.start.segment
        relationship = RELATIONSHIPS.get(sbr.element(2), "other")
        try:
            indicator = ClaimFilingIndicator(sbr.element(9))
        except ValueError:
            raise CobReadError(other.start.number, f"SBR09 {sbr.element(9)[:5]!r} is not a filing indicator") from None
        identifier = payer_nm1.element(9)
        answered = _line_adjudications(identifier, line_loops, lines)
        found.append(
            OtherPayer(
                sequence=sbr.element(1),
                payer_name=payer_nm1.element(3),
                payer_identifier=identifier,
                filing_indicator=indicator,
                subscriber=InsuredName(nm1.element(3), nm1.element(4) or None),
                relationship=relationship,
                member_id=nm1.element(9),
                group_number=sbr.element(3) or None,
                paid=_amount_of(other, "D"),
                adjudicated=_adjudicated(payer, "loop 2330B") if payer.first("DTP", "573") else None,
                patient_liability=_amount_of(other, "EAF"),
                adjustments=_adjustments(other),
                lines=answered,
            )
        )
    return tuple(found)


def _line_adjudications(
    identifier: str, line_loops: Sequence[Loop], lines: Sequence[ServiceLine]
) -> tuple[OtherPayerLine, ...]:
    found: list[OtherPayerLine] = []
    for line_loop, line in zip(line_loops, lines, strict=False):
        for adjudication in line_loop.children_with("2430"):
            svd = adjudication.start.segment
            if svd.element(1) != identifier:
                continue
            modifiers = tuple(m for m in (svd.component(3, k) for k in range(3, 7)) if m)
            units = svd.element(5) or "1"
            found.append(
                OtherPayerLine(
                    line_number=line.line_number,
                    code=svd.component(3, 2),
                    modifiers=modifiers,
                    units=int(_amount(units, adjudication.start.number, "SVD05 units")),
                    paid=_amount(svd.element(2), adjudication.start.number, "SVD02 paid amount"),
                    adjustments=_adjustments(adjudication),
                    adjudicated=_adjudicated(adjudication, f"line {line.line_number}'s 2430"),
                    patient_liability=_amount_of(adjudication, "EAF"),
                )
            )
    return tuple(found)
