"""Expected payment of a visit's lines: the one computation the checks and the cost estimate share.

The clinic's contracted fee schedule first; then, for Medicare, the PFS year in force on the date (MPPR
looks at every line of the visit together); then the seed guide's average where nothing else prices a code.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from ptbill.domain.identity_memo import BoundedMemo, IdentityMemo, kept
from ptbill.domain.values import value
from ptbill.pricing import (
    ASSISTANT_MODIFIERS,
    DAY_SLOT,
    NATIONAL_LOCALITY_KEY,
    MedicareFeeSchedule,
    PfsYear,
    PricingLine,
    Rate,
    price_visit_slotted,
    round_cents,
    year_at,
)
from ptbill.reference.catalog import ResolvedValue, Snapshot

if TYPE_CHECKING:  # a note's clinic locality set and no fee schedule installed: neither module is loaded
    from ptbill.pricing.fee_schedules import FeeSchedule
    from ptbill.pricing.localities import ZipLocalityTable


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class ExpectedPrice:
    """A line's expected payment, how it was computed, and a short name for the method."""

    amount: Decimal
    basis: str
    label: str
    estimate: bool = False


@value  # made for every Medicare note: a plain slots dataclass when made, frozen to mypy (``domain.values``)
class Place:
    """Where the visit happens, for the Medicare locality: the clinic's own locality, else its state and ZIP."""

    locality: str | None
    state: str
    zip: str


def _rate(found: ResolvedValue | None) -> Rate | None:
    return None if found is None else Rate(found.decimal, found.reference, found.effective)


def medicare_year_for(snapshot: Snapshot, schedule: MedicareFeeSchedule, day: date) -> PfsYear | None:
    """The Medicare schedule for the date of service (an estimate when its RVUs are not installed)."""
    name = "pfs.conversion_factor"
    if snapshot.flag("pfs.qualifying_apm_participant") and snapshot.resolved(f"{name}_qualifying_apm") is not None:
        name = f"{name}_qualifying_apm"
    return year_at(schedule, day, _rate(snapshot.resolved(name)), _rate(snapshot.resolved("pfs.assistant_rate")))


def locality_choice(year: PfsYear, place: Place, zip_table: ZipLocalityTable | None) -> tuple[str, str]:
    """The locality key and how it was chosen: the clinic's own setting wins over a guess from the ZIP code.

    The answer depends on the year's localities, the place and the ZIP table alone (none of which changes once
    made), and a clinic's notes repeat it: kept by the year's and table's ids (``domain.identity_memo``)."""
    key = (id(year), place.locality, place.state, place.zip, id(zip_table))
    return kept(_LOCALITY_CHOICES, key, lambda: _locality_choice(year, place, zip_table), _MEMO_LIMIT, year, zip_table)


def _locality_choice(year: PfsYear, place: Place, zip_table: ZipLocalityTable | None) -> tuple[str, str]:
    note = ""
    if place.locality:
        if place.locality in year.localities:
            return (
                place.locality,
                f"locality {year.localities[place.locality].name} ({place.locality}, set by the clinic)",
            )
        note = f" The clinic's locality {place.locality} is not in the {year.name} GPCI file, so it was not used."
    from ptbill.pricing.localities import locality_for

    choice = locality_for(place.state, place.zip[:5], zip_table, localities=year.localities)
    if choice is None:
        return NATIONAL_LOCALITY_KEY, "national amounts (no locality found)" + note
    return choice.key, f"locality {choice.name} ({choice.how}){note}"


def _seed_price(snapshot: Snapshot, line: PricingLine, seed: ResolvedValue) -> ExpectedPrice:
    amount = seed.decimal * line.units
    basis = (
        f"seed guide's average payment for {line.code} x {line.units} "
        f"(no fee schedule in force on the date of service; {seed.reference})"
    )
    assistant = snapshot.resolved("pfs.assistant_rate")
    if assistant is not None and assistant.decimal < 1 and ASSISTANT_MODIFIERS.intersection(line.modifiers):
        amount *= assistant.decimal
        rate = f"{assistant.decimal * 100:f}".rstrip("0").rstrip(".")
        basis += f"; CQ/CO: paid at {rate} % ({assistant.reference})"
    return ExpectedPrice(round_cents(amount), basis, "seed average")


def expected_prices(
    lines: Sequence[PricingLine],
    snapshot: Snapshot,
    fee_schedule: FeeSchedule | None,
    medicare_year: PfsYear | None,
    medicare_locality: tuple[str, str] | None,
) -> dict[str, ExpectedPrice]:
    """Expected payment of every line of one visit, by code, priced together (MPPR looks at the whole visit).

    ``medicare_year`` is None for other payers; ``medicare_locality`` is ``locality_choice``'s answer."""
    prices: dict[str, ExpectedPrice] = {}
    if fee_schedule is not None:
        for line in lines:
            found = fee_schedule.amount_for(line.code, line.modifiers, line.service_date)
            if found is not None:
                prices[line.code] = ExpectedPrice(
                    (found.amount * line.units).quantize(Decimal("0.01")),
                    f"contracted fee schedule: {found.explanation}",
                    "contracted fee schedule",
                )
    if medicare_year is not None:
        pending = [line for line in lines if line.code not in prices] if prices else lines
        if pending:
            where = medicare_locality or (NATIONAL_LOCALITY_KEY, "national amounts (no locality given)")
            _add_medicare_prices(prices, pending, medicare_year, where)
    seeds: BoundedMemo[tuple[str, int, tuple[str, ...]], ExpectedPrice | None] | None = None
    for line in lines:
        if line.code in prices:
            continue
        if seeds is None:
            seeds = seed_prices(snapshot)
        seed_key = (line.code, line.units, tuple(line.modifiers))
        try:
            seeded = seeds[seed_key]
        except KeyError:
            seed = snapshot.resolved(f"fees.seed_average.{line.code}")
            seeded = seeds.keep(seed_key, None if seed is None else _seed_price(snapshot, line, seed))
        if seeded is not None:
            prices[line.code] = seeded
    return prices


def _add_medicare_prices(
    prices: dict[str, ExpectedPrice], lines: Sequence[PricingLine], year: PfsYear, where: tuple[str, str]
) -> None:
    """``_medicare_visit``'s prices of ``lines`` into ``prices``, its bases with the day written in; kept (by the
    year's id, the locality choice and the lines' codes, units and modifiers) for lines of one day in the year's
    period, as a note's lines are."""
    day = lines[0].service_date
    if year.effective.contains(day) and all(line.service_date == day for line in lines):
        key = (id(year), where, tuple([(line.code, line.units, tuple(line.modifiers)) for line in lines]))
        visit = kept(_VISITS, key, lambda: _medicare_visit(lines, year, where), _MEMO_LIMIT, year)
    else:  # ``price_visit_slotted`` refuses a day outside the period; several days are rare: priced afresh
        visit = _medicare_visit(lines, year, where)
    shown = str(day)
    for code, amount, parts, label, estimate in visit:
        prices[code] = ExpectedPrice(amount, shown.join(parts), label, estimate)


# A visit's Medicare prices, each line as (code, amount, basis cut where it names the day, label, estimate).
_VisitPrices = list[tuple[str, Decimal, list[str], str, bool]]


def _medicare_visit(lines: Sequence[PricingLine], year: PfsYear, locality: tuple[str, str]) -> _VisitPrices:
    """The Medicare prices of the lines the contract left, their bases cut where they name the day when the lines
    are of one day (``DAY_SLOT``; a visit of several days has its days written in: its bases are one part each).

    Codes the schedule cannot price (not in the file, contractor-priced) are left to the fallback; the others are
    priced together, so MPPR ranks every unit of the day. The answer depends on the year, the locality choice and
    the lines' codes, units and modifiers alone, not on the day: ``expected_prices`` keeps it by them, as a clinic's
    visits repeat a few such sets, and a note then only joins its day into the texts (some 500 characters a line)."""
    key, where = locality
    priceable = [line for line in lines if _can_price(year, line)]
    _, priced = price_visit_slotted(priceable, year, key)
    (prefix, label), estimate = _heading(year, where), year.estimate
    return [
        (price.code, price.amount, (prefix + "; ".join(price.steps)).split(DAY_SLOT), label, estimate)
        for price in priced
    ]


def seed_prices(snapshot: Snapshot) -> BoundedMemo[tuple[str, int, tuple[str, ...]], ExpectedPrice | None]:
    """The snapshot's seed-priced lines, kept by code, units and modifiers (``_SEED_PRICES``)."""
    return snapshot.derived(_SEED_PRICES, lambda: BoundedMemo(_MEMO_LIMIT))


def _heading(year: PfsYear, where: str) -> tuple[str, str]:
    """What every Medicare line's basis starts with (the schedule and the locality) and the year's label, worded
    once per (year, locality choice), as each Medicare note of a clinic repeats them."""

    def make() -> tuple[str, str]:
        if year.estimate:
            heading = (
                f"Medicare PFS estimate: the {year.effective.start.year} RVUs are not installed, so the "
                f"{year.name} RVUs are priced at the {year.effective.start.year} conversion "
                f"factor ${year.conversion_factor}"
            )
        else:
            heading = f"Medicare PFS {year.name}"
        return f"{heading}, {where}: ", year.label

    return kept(_HEADINGS, (id(year), where), make, _MEMO_LIMIT, year)


def _can_price(year: PfsYear, line: PricingLine) -> bool:
    """``PfsYear.can_price`` of the line's code and modifiers, kept by the year's id: the same few codes come on
    every Medicare note."""
    modifiers = tuple(line.modifiers)
    return kept(
        _PRICEABLE, (id(year), line.code, modifiers), lambda: year.can_price(line.code, modifiers), _MEMO_LIMIT, year
    )


# The locality choices, headings, priceable codes and one-day visits' Medicare prices above, kept by the year's (and
# ZIP table's) id (``domain.identity_memo``).
_LOCALITY_CHOICES: IdentityMemo = {}
_HEADINGS: IdentityMemo = {}
_PRICEABLE: IdentityMemo = {}
_VISITS: IdentityMemo = {}


def clear_memos() -> None:
    """Forget every locality choice, heading, priceable code and visit kept here (tests compare reports made afresh
    with those read back)."""
    for memo in (_LOCALITY_CHOICES, _HEADINGS, _PRICEABLE, _VISITS):
        memo.clear()


# A seed-priced line depends on the snapshot's values (the code's seed average, the assistant rate) and the line's
# code, units and modifiers, not its date: kept per snapshot (``Snapshot.derived``: shared by the days that resolve
# alike, never stale since a snapshot never changes), bounded.
_SEED_PRICES = "prices.seed"
# Entries of each memo here (seed prices per snapshot, locality choices, headings, priceable codes, visits).
_MEMO_LIMIT = 1024
