"""CAS segments (claim adjustments), shared by the 835 the payer simulator writes and the 837P's loops
2320 and 2430, where a later payer reads an earlier one's adjustments: grouped by group code, up to six
reason/amount/quantity triples each."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ptbill.domain.remittance import Adjustment
from ptbill.x12.syntax import Segment
from ptbill.x12.values import amount, quantity


def cas_segments(adjustments: Sequence[Adjustment]) -> Iterator[Segment]:
    by_group: dict[str, list[Adjustment]] = {}
    for adjustment in adjustments:
        by_group.setdefault(adjustment.group.value, []).append(adjustment)
    for group, items in by_group.items():
        for start in range(0, len(items), 6):
            elements: list[str] = [group]
            for item in items[start : start + 6]:
                elements += [item.reason, amount(item.amount), "" if item.quantity is None else quantity(item.quantity)]
            yield Segment("CAS", tuple(elements))
