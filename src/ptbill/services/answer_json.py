"""How a posted 835 answer is kept as JSON on its payment row: its adjustments and its service lines."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ptbill.domain.remittance import ClaimPayment


class Matched(Protocol):
    """A claim line an answer's service line was matched to."""

    line_number: int


def adjustments_json(payment: ClaimPayment) -> list[dict[str, object]]:
    """The answer's adjustments, claim level then each line's, as the remittance row keeps them."""
    rows: list[dict[str, object]] = [
        {"level": "claim", "group": a.group.value, "reason": a.reason, "amount": str(a.amount)}
        for a in payment.adjustments
    ]
    for line in payment.service_lines:
        rows += [
            {
                "level": "line",
                "code": line.billed_code,
                "group": a.group.value,
                "reason": a.reason,
                "amount": str(a.amount),
            }
            for a in line.adjustments
        ]
    return rows


def lines_json(payment: ClaimPayment, matched: Sequence[Matched | None]) -> list[dict[str, object]]:
    """Each service line of the answer with the claim line it was matched to (None when none was)."""
    return [
        {
            "code": service.billed_code,
            "modifiers": list(service.modifiers),
            "charge": str(service.charge),
            "paid": str(service.paid),
            "matched_line": line.line_number if line else None,
            "remarks": list(service.remark_codes),
            # The line's own adjustments, so its balance by party can be read back (services.balances).
            "adjustments": [
                {"group": a.group.value, "reason": a.reason, "amount": str(a.amount)} for a in service.adjustments
            ],
        }
        for service, line in zip(payment.service_lines, matched, strict=True)
    ]
