"""The A/R of a visit billed to more than one payer (coordination of benefits), and the patient's payments.

A claim's patient share (group PR) is the patient's only once no other payer is left to bill it:
- when the next payer's claim exists (``prior_claim_id`` names this one), the share moved to that payer: it is
  the next claim's insurance A/R while that claim waits, and what the next payer's answer leaves to the
  patient is the patient's A/R, on the next claim; a next claim not yet sent keeps it in insurance A/R here;
- when the payer forwarded the claim itself (a Medicare crossover, ``crossed_over_to``), the share waits for
  the other payer's answer: insurance A/R;
- a next payer's claim not yet answered is open for what was moved to it, not for its whole charge (the
  earlier payers settled the rest).

Patient payments and credits applied to any claim of the visit then lower the patient's A/R of the visit,
on its latest claim first. Pure: the caller reads the rows.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Protocol, TypeVar

ZERO = Decimal("0.00")


class Open(Protocol):
    @property
    def claim_id(self) -> int: ...
    @property
    def insurance_open(self) -> Decimal: ...
    @property
    def patient_open(self) -> Decimal: ...


B = TypeVar("B", bound=Open)


def root_of(claim_id: int, prior: Mapping[int, int]) -> int:
    """The visit's first claim: ``prior`` maps a next payer's claim to the claim before it."""
    seen = {claim_id}
    while claim_id in prior and prior[claim_id] not in seen:
        claim_id = prior[claim_id]
        seen.add(claim_id)
    return claim_id


def settle_chains(
    balances: Sequence[B],
    prior: Mapping[int, int],
    crossed_over: set[int],
    patient_paid: Mapping[int, Decimal],
) -> list[B]:
    """``balances`` with each patient share moved where it is owed and the patient's payments taken off.

    ``prior``: every next payer's claim of the clinic (in A/R or not) → the claim before it; ``crossed_over``:
    claims their payer forwarded; ``patient_paid``: patient money applied, by the claim it was applied to.
    """
    present = {b.claim_id for b in balances}
    has_next: dict[int, list[int]] = defaultdict(list)
    for after, before in prior.items():
        has_next[before].append(after)
    moved: list[B] = []
    for b in balances:
        if not b.patient_open or (b.claim_id not in has_next and b.claim_id not in crossed_over):
            moved.append(b)
        elif any(n in present for n in has_next.get(b.claim_id, ())):
            moved.append(dataclasses.replace(b, patient_open=ZERO))  # type: ignore[type-var]
        else:  # waiting for the next payer: still insurance A/R
            opened = b.insurance_open + b.patient_open
            moved.append(dataclasses.replace(b, insurance_open=opened, patient_open=ZERO))  # type: ignore[type-var]
    paid_by_visit: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for claim_id, amount in patient_paid.items():
        paid_by_visit[root_of(claim_id, prior)] += amount
    latest_first = sorted(range(len(moved)), key=lambda i: -moved[i].claim_id)
    for i in latest_first:
        b = moved[i]
        visit = root_of(b.claim_id, prior)
        left = paid_by_visit.get(visit, ZERO)
        if left > ZERO and b.patient_open > ZERO:
            taken = min(left, b.patient_open)
            paid_by_visit[visit] = left - taken
            moved[i] = dataclasses.replace(b, patient_open=b.patient_open - taken)  # type: ignore[type-var]
    return moved
