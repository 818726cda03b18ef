"""A visit's expected prices as ``rules.prices`` keeps them are those worked out afresh, and those ``price_visit``
gives: a differential run over many visits.

Two memos are at stake. ``year_at`` gives one ``PfsYear`` object to every payer whose conversion factor and
assistant share read alike, so that the prices kept by a year's id are shared; and ``expected_prices`` keeps a
one-day visit's Medicare prices, bases cut where they name the day, by the year, the locality choice and the lines.
Visits of random payers (Medicare and others), days (2024 to 2026: the 2025 RVUs, and estimates at another year's
conversion factor), localities, codes, units and modifiers are priced with every memo cleared first and again
with the memos warm from all the others.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from ptbill.pricing import MedicareFeeSchedule, PricingLine, Rate, price_visit, year_at
from ptbill.pricing.medicare_pfs import clear_price_caches
from ptbill.reference.catalog import default_catalog
from ptbill.rules import prices
from ptbill.rules.prices import ExpectedPrice, Place, expected_prices, locality_choice, medicare_year_for

CODES = ["97110", "97112", "97140", "97530", "97035", "97116", "97012", "97161", "97750", "97032", "G0283", "99999"]
MODIFIERS = [(), ("GP",), ("GP", "CQ"), ("GO", "CO"), ("GP", "59"), ("GP", "KX"), ("26",)]
PLACES = [
    Place(None, "CA", "93109"),
    Place("01112-75", "CA", "93109"),
    Place("09102-99", "FL", "33101"),
    Place("99999-99", "IL", "60601"),
    Place(None, "AK", "99501"),
    Place(None, "ZZ", "00000"),
]
PAYERS = ["ca-medicare-south", "il-medicare-part-b", "florida-medicare", "medicare-service-center", "aetna"]

Visit = tuple[str, list[PricingLine], Place]


def _visits(count: int, seed: int) -> list[Visit]:
    rng = random.Random(seed)
    visits = []
    for _ in range(count):
        day = date(2024, 1, 1) + timedelta(days=rng.randrange(3 * 365))
        lines = [
            PricingLine(code, rng.randint(1, 4), day, rng.choice(MODIFIERS))
            for code in rng.sample(CODES, rng.randint(1, 4))
        ]
        visits.append((rng.choice(PAYERS), lines, rng.choice(PLACES)))
    return visits


def _expected(payer: str, lines: list[PricingLine], place: Place) -> dict[str, ExpectedPrice]:
    """The engine's pricing of a visit (``CheckContext.line_prices``, without a clinic's fee schedule)."""
    catalog, day = default_catalog(), lines[0].service_date
    snapshot = catalog.snapshot(payer, day)
    year = medicare_year_for(snapshot, MedicareFeeSchedule.default(), day) if "medicare" in payer else None
    where = locality_choice(year, place, None) if year is not None else None
    return expected_prices(lines, snapshot, None, year, where)


def _forget() -> None:
    prices.clear_memos()
    clear_price_caches()


def test_visit_prices_read_back_from_the_memos_are_those_priced_afresh() -> None:
    visits = _visits(500, seed=71)
    fresh = []
    for visit in visits:
        _forget()
        fresh.append(_expected(*visit))
    _forget()
    warm = [_expected(*visit) for visit in visits]  # later visits reuse the years and visits of earlier ones
    assert warm == fresh
    assert sum(1 for found in fresh if any(p.label != "seed average" for p in found.values())) > 200
    assert any(p.estimate for found in fresh for p in found.values())


def test_a_kept_visit_prices_as_price_visit_does() -> None:
    """Each Medicare basis is the heading, then ``price_visit``'s steps with the day written in; same amounts."""
    checked = 0
    for payer, lines, place in _visits(300, seed=17):
        if "medicare" not in payer:
            continue
        found = _expected(payer, lines, place)
        day = lines[0].service_date
        year = medicare_year_for(default_catalog().snapshot(payer, day), MedicareFeeSchedule.default(), day)
        assert year is not None
        key, _ = locality_choice(year, place, None)
        priceable = [line for line in lines if year.can_price(line.code, line.modifiers)]
        for price in price_visit(priceable, year, key):
            assert found[price.code].amount == price.amount
            assert found[price.code].basis.endswith(": " + "; ".join(price.steps))
            checked += 1
    assert checked > 300


def test_a_visit_of_several_days_is_priced_with_each_day_written_in() -> None:
    day = date(2025, 6, 2)
    lines = [PricingLine("97110", 2, day, ("GP",)), PricingLine("97140", 1, day + timedelta(days=1), ("GP",))]
    found = _expected("ca-medicare-south", lines, PLACES[0])
    assert "on 2025-06-02" in found["97110"].basis
    assert "on 2025-06-03" in found["97140"].basis
    assert "\x00" not in found["97110"].basis + found["97140"].basis


def test_a_day_outside_the_year_is_refused_as_before() -> None:
    year = medicare_year_for(default_catalog().snapshot("ca-medicare-south", date(2025, 6, 2)),
                             MedicareFeeSchedule.default(), date(2025, 6, 2))  # fmt: skip
    assert year is not None
    lines = [PricingLine("97110", 1, date(2023, 6, 2), ("GP",))]
    with pytest.raises(ValueError, match="outside Medicare PFS"):
        expected_prices(lines, default_catalog().snapshot("ca-medicare-south", date(2023, 6, 2)), None, year, None)


def test_equal_rates_give_one_year_and_rates_written_otherwise_their_own() -> None:
    schedule, day = MedicareFeeSchedule.default(), date(2026, 3, 2)
    span = schedule.latest.effective

    def rate(value: str, reference: str = "CY2026 final rule") -> Rate:
        return Rate(Decimal(value), reference, span)

    one = year_at(schedule, day, rate("33.4009"), rate("0.85", "BBA 2018"))
    assert one is not None
    assert one.estimate
    assert str(one.conversion_factor) == "33.4009"
    assert year_at(schedule, day, rate("33.4009"), rate("0.85", "BBA 2018")) is one
    written_otherwise = year_at(schedule, day, rate("33.40090"), rate("0.85", "BBA 2018"))
    assert written_otherwise is not one
    assert written_otherwise is not None
    assert str(written_otherwise.conversion_factor) == "33.40090"
    cited_otherwise = year_at(schedule, day, rate("33.4009", "another citation"), rate("0.85", "BBA 2018"))
    assert cited_otherwise is not None
    assert "another citation" in cited_otherwise.conversion_factor_reference
    assert year_at(schedule, date(2027, 3, 2), rate("33.4009"), None) is not one  # an estimate of another year
