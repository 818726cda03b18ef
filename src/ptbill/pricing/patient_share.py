"""The patient's share of planned visits: the deductible first, then coinsurance, then the copay, visit by visit.

The order, and where it comes from:

1. **Deductible.** The allowed amount of a visit goes to the deductible remaining until it is met (Medicare
   Part B: 42 CFR 410.160, the annual Part B deductible is met before Medicare pays).
2. **Coinsurance** on what is left of the allowed amount after the deductible (Medicare Part B pays 80 % of
   the allowed amount after the deductible, the patient 20 %: 42 CFR 410.152(a)).
3. **Copay** per visit, a flat amount the plan states, added after the two above.

The patient never owes more for a visit than its allowed amount: the copay is cut to what is left. Payer
practice varies (plans that charge a copay instead of the deductible and coinsurance, copays that count
toward the deductible, out-of-pocket maximums), so this is an estimate, and every step says what it did.
Non-covered services are not part of this: the patient owes their self-pay price in full.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ptbill.pricing.medicare_pfs import round_cents

ZERO = Decimal("0.00")
ORDER = (
    "deductible first, then coinsurance on the rest of the allowed amount (42 CFR 410.160, 410.152(a) for "
    "Medicare Part B), then the copay per visit; never more than a visit's allowed amount"
)


@dataclass(frozen=True, slots=True)
class CostSharing:
    """What the coverage says the patient pays: each None when not known (taken as nothing)."""

    deductible_remaining: Decimal | None
    coinsurance_percent: Decimal | None
    copay: Decimal | None


@dataclass(frozen=True, slots=True)
class VisitShare:
    """One visit's arithmetic: what its allowed amount became."""

    visit: int  # 1-based
    allowed: Decimal
    deductible: Decimal
    coinsurance: Decimal
    copay: Decimal
    deductible_left: Decimal  # after this visit

    @property
    def patient(self) -> Decimal:
        return self.deductible + self.coinsurance + self.copay

    @property
    def payer(self) -> Decimal:
        return self.allowed - self.patient


def visit_shares(allowed_per_visit: Decimal, visits: int, sharing: CostSharing) -> list[VisitShare]:
    """The patient's share of each of ``visits`` visits of the same allowed amount, in order."""
    left = sharing.deductible_remaining or ZERO
    rate = (sharing.coinsurance_percent or ZERO) / 100
    copay = sharing.copay or ZERO
    shares = []
    for visit in range(1, visits + 1):
        deductible = min(left, allowed_per_visit)
        left -= deductible
        coinsurance = round_cents((allowed_per_visit - deductible) * rate)
        flat = min(copay, allowed_per_visit - deductible - coinsurance)
        shares.append(VisitShare(visit, allowed_per_visit, deductible, coinsurance, flat, left))
    return shares


@dataclass(frozen=True, slots=True)
class VisitRun:
    """Consecutive visits whose arithmetic is the same (``first`` to ``last``), printed as one row."""

    first: int
    last: int
    share: VisitShare

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def runs(shares: list[VisitShare]) -> list[VisitRun]:
    """The visits grouped where deductible, coinsurance and copay repeat (a 24-visit plan prints 2 or 3 rows)."""
    grouped: list[VisitRun] = []
    for share in shares:
        last = grouped[-1] if grouped else None
        same = last and (last.share.deductible, last.share.coinsurance, last.share.copay) == (
            share.deductible,
            share.coinsurance,
            share.copay,
        )
        if last and same:
            grouped[-1] = VisitRun(last.first, share.visit, last.share)
        else:
            grouped.append(VisitRun(share.visit, share.visit, share))
    return grouped
