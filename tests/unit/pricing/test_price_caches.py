"""Prices read back from the pricing caches are those priced afresh: a differential run over many visits.

``price_visit`` keeps one-day visits, inside them each line (keyed by the schedule, locality, setting, order,
the line, and under MPPR the day's MPPR units and the line that keeps its full PE), and the steps that a line's
row, locality and units decide. Visits of random codes, units, modifiers (CQ/CO, 59, KX), settings, orders and
days are priced with every cache cleared first and again with the caches warm from all the others; the prices,
steps and dates must be the same.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from ptbill.pricing import AdjustmentOrder, MedicareFeeSchedule, PricingLine, price_visit
from ptbill.pricing.medicare_pfs import LinePrice, clear_price_caches

CODES = ["97110", "97112", "97140", "97530", "97035", "97116", "97012", "97161", "97014", "97750"]
MODIFIERS = [(), ("GP",), ("GP", "CQ"), ("GO", "CO"), ("GP", "59"), ("GP", "KX")]
LOCALITIES = ["04412-99", "01112-75", "national"]


def _visits(count: int, seed: int) -> list[tuple[list[PricingLine], str, bool, AdjustmentOrder]]:
    rng = random.Random(seed)
    visits = []
    for _ in range(count):
        day = date(2025, 1, 1) + timedelta(days=rng.randrange(365))
        lines = [
            PricingLine(code, rng.randint(1, 4), day, rng.choice(MODIFIERS))
            for code in rng.sample(CODES, rng.randint(1, 4))
        ]
        visits.append((lines, rng.choice(LOCALITIES), rng.random() < 0.2, rng.choice(list(AdjustmentOrder))))
    return visits


def _priced(lines: list[PricingLine], locality: str, facility: bool, order: AdjustmentOrder) -> list[LinePrice]:
    year = MedicareFeeSchedule.default().schedule_for(lines[0].service_date)
    assert year is not None
    priceable = [line for line in lines if year.can_price(line.code, line.modifiers)]
    return price_visit(priceable, year, locality, facility=facility, order=order)


def test_prices_read_back_from_the_caches_are_those_priced_afresh() -> None:
    visits = _visits(600, seed=20)
    fresh = []
    for visit in visits:
        clear_price_caches()
        fresh.append(_priced(*visit))
    clear_price_caches()
    warm = [_priced(*visit) for visit in visits]  # later visits reuse the lines of earlier ones
    again = [_priced(*visit) for visit in visits]  # every visit read back whole
    assert warm == fresh
    assert again == fresh
    assert any(len(prices) > 1 and any(p.reduced_pe_units for p in prices) for prices in fresh)  # MPPR was exercised
    assert any(p.assistant_rate_applied for prices in fresh for p in prices)  # and CQ/CO
