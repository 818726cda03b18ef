"""Medicare Physician Fee Schedule amounts for therapy claim lines, each with its computation in words.

Sources: CMS PFS Relative Value File and GPCIs (Addendum E) with the RVU-file formula (RVU file notes),
the therapy multiple procedure payment reduction (NGS Medicare MPPR article) and the 85 % PTA/OTA
payment (BBA 2018 §53107).
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import itertools
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Any

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import PtbillError, ReferenceDataError
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.domain.identity_memo import IdentityMemo, kept
from ptbill.domain.values import value

DEFAULT_DIRECTORY = Path(__file__).resolve().parent.parent / "reference_data" / "baseline" / "medicare" / "pfs"
SCHEDULE_FILE = "schedule.json"

CENT = Decimal("0.01")
NATIONAL_LOCALITY_KEY = "national"

# MULT PROC indicator 5: "subject to 50% of the practice expense component for certain therapy
# services" (RVU25 file documentation). The share itself is a dated value of each schedule year
# (schedule.json ``therapy_mppr_pe_share``), as is the PTA/OTA rate (``assistant_rate``, BBA 2018 §53107).
MPPR_INDICATOR = "5"
ASSISTANT_MODIFIERS = frozenset({"CQ", "CO"})

# PFS status codes whose RVUs are used for payment (RVU file documentation). Other statuses carry
# RVUs for reference only.
PRICED_STATUSES = {"A": "active", "R": "restricted coverage", "T": "paid only with no other PFS service that day"}
UNPAID_STATUSES = {
    "B": "bundled: Medicare makes no separate payment",
    "E": "excluded from the fee schedule by regulation",
    "I": "not valid for Medicare purposes (Medicare uses another code)",
    "M": "measurement code: no payment",
    "N": "non-covered service",
    "P": "bundled or excluded: no separate payment",
    "X": "statutory exclusion: not a Medicare benefit",
}


class NotPricedError(PtbillError, LookupError):
    """The schedule cannot price the line: unknown code or locality, contractor-priced, or not valid in the setting."""


class AdjustmentOrder(StrEnum):
    """Which reduction comes first on a line that has both the therapy MPPR and the CQ/CO 85 % rate.

    No CMS source found states the order. Both multiply, so a unit's amount
    is the same either way; the order decides which unit keeps its full PE, because MPPR ranks units
    by PE payment and the 85 % lowers the PE payment of CQ/CO lines when it is applied first.
    """

    MPPR_THEN_CQ = "mppr-then-cq"
    CQ_THEN_MPPR = "cq-then-mppr"


# Our choice, NOT CONFIRMED: CMS words the CQ/CO rate as 85 % of the "otherwise applicable" amount,
# which we read as the amount after MPPR; so MPPR ranks units by their unreduced PE payment.
DEFAULT_ORDER = AdjustmentOrder.MPPR_THEN_CQ

_ORDER_STEP = {
    AdjustmentOrder.MPPR_THEN_CQ: (
        "Order: MPPR first (units ranked by PE payment before any CQ/CO cut), then the CQ/CO 85 %. "
        "This order is our choice; CMS's order is NOT CONFIRMED."
    ),
    AdjustmentOrder.CQ_THEN_MPPR: (
        "Order: CQ/CO 85 % first (units ranked by PE payment after the cut), then MPPR. "
        "This order was chosen by the caller; CMS's order is NOT CONFIRMED."
    ),
}


@dataclass(frozen=True, slots=True)
class RvuRow:
    """One HCPCS (+ modifier) row of the PFS relative value file."""

    hcpcs: str
    modifier: str
    status: str
    work: Decimal
    pe_nonfacility: Decimal
    pe_nonfacility_na: bool
    pe_facility: Decimal
    pe_facility_na: bool
    mp: Decimal
    pctc: str
    mult_proc: str
    source: str  # a key of PfsYear.sources
    line: int

    @property
    def label(self) -> str:
        return f"{self.hcpcs}-{self.modifier}" if self.modifier else self.hcpcs


@dataclass(frozen=True, slots=True)
class Locality:
    """A Medicare payment locality and its GPCIs; ``key`` is MAC and locality number, e.g. ``01112-75``."""

    key: str
    mac: str
    state: str
    number: str
    name: str
    work_gpci: Decimal
    pe_gpci: Decimal
    mp_gpci: Decimal
    note: str = ""
    source: str = ""

    @property
    def label(self) -> str:
        return f"locality {self.key} {self.name}" if self.key != NATIONAL_LOCALITY_KEY else self.name


_ONE = Decimal("1.000")
NATIONAL = Locality(
    key=NATIONAL_LOCALITY_KEY,
    mac="",
    state="",
    number="",
    name="national amount (all GPCIs 1.000; not a payable locality)",
    work_gpci=_ONE,
    pe_gpci=_ONE,
    mp_gpci=_ONE,
)


@dataclass(frozen=True, slots=True)
class PriceBreakdown:
    """The fee-schedule amount of one unit of a code in one locality, before MPPR and CQ/CO."""

    code: str
    modifier: str
    status: str
    locality: Locality
    facility: bool
    pe_setting: str  # "non-facility" or "facility": which PE RVU was used
    work_rvu: Decimal
    pe_rvu: Decimal
    mp_rvu: Decimal
    conversion_factor: Decimal
    adjusted_rvu: Decimal  # work×GPCI + PE×GPCI + MP×GPCI, unrounded
    unrounded: Decimal
    amount: Decimal  # rounded half-up to the cent
    steps: list[str]
    source: str


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class PricingLine:
    """A claim line to price: code, units, date of service and modifiers (GP, CQ, 59 ...)."""

    code: str
    units: int
    service_date: date
    modifiers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.units < 1:
            raise ValueError(f"{self.code}: units must be 1 or more, not {self.units}")


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class LinePrice:
    """The expected Medicare amount of one claim line and how it was computed."""

    code: str
    units: int
    amount: Decimal
    steps: list[str]
    source: str
    service_date: date
    modifiers: tuple[str, ...] = ()
    full_pe_units: int = 0  # units paid with their full PE (at most one per day across MPPR lines)
    reduced_pe_units: int = 0  # units paid with 50 % of their PE under MPPR
    assistant_rate_applied: bool = False


@dataclass(frozen=True)
class PfsYear:
    """One schedule period (normally a calendar year): RVUs, GPCIs and the conversion factor in force."""

    name: str
    effective: DateRange
    conversion_factor: Decimal
    conversion_factor_reference: str
    mppr_pe_share: Decimal  # share of PE paid on every therapy unit after the first
    mppr_reference: str
    assistant_rate: Decimal  # share paid for CQ/CO lines
    assistant_reference: str
    rvus: Mapping[tuple[str, str], RvuRow]
    localities: Mapping[str, Locality]
    sources: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""
    estimate: bool = False  # another year's RVUs at this period's conversion factor (see ``year_at``)

    @classmethod
    def load(cls, directory: Path) -> PfsYear:
        """Read ``schedule.json`` and the RVU and GPCI files it names from one schedule folder."""
        schedule_path = directory / SCHEDULE_FILE
        meta = _read_json_object(schedule_path)
        sources = _string_mapping(meta.get("sources"), schedule_path, "sources")
        start = _json_date(meta, "effective_from", schedule_path)
        end = _json_date(meta, "effective_to_exclusive", schedule_path)
        if end <= start:
            raise ReferenceDataError(f"{schedule_path}: effective_to_exclusive {end} is not after {start}")
        cf_meta = meta.get("conversion_factor")
        if not isinstance(cf_meta, dict):
            raise ReferenceDataError(f"{schedule_path}: conversion_factor must be an object with value and reference")
        cf = _parse_decimal(str(cf_meta.get("value", "")), f"{schedule_path}: conversion_factor.value")
        cf_reference = str(cf_meta.get("reference") or "")
        if cf <= 0 or not cf_reference:
            raise ReferenceDataError(f"{schedule_path}: conversion_factor needs a positive value and a reference")
        mppr_share, mppr_reference = _rate(meta, "therapy_mppr_pe_share", schedule_path)
        assistant_rate, assistant_reference = _rate(meta, "assistant_rate", schedule_path)
        rvu_name = meta.get("rvu_file")
        gpci_name = meta.get("gpci_file")
        if not isinstance(rvu_name, str) or not isinstance(gpci_name, str):
            raise ReferenceDataError(f"{schedule_path}: rvu_file and gpci_file must name files in {directory}")
        return cls(
            name=directory.name,
            effective=DateRange(start, end),
            conversion_factor=cf,
            conversion_factor_reference=cf_reference,
            mppr_pe_share=mppr_share,
            mppr_reference=mppr_reference,
            assistant_rate=assistant_rate,
            assistant_reference=assistant_reference,
            rvus=_load_rvus(directory / rvu_name, sources),
            localities=_load_localities(directory / gpci_name, sources),
            sources=sources,
            origin=str(directory),
        )

    @property
    def label(self) -> str:
        """``2025 RVUs``, or for an estimate ``2025 RVUs at the 2026 CF, estimate``."""
        if self.estimate:
            return f"{self.name} RVUs at the {self.effective.start.year} CF, estimate"
        return f"{self.name} RVUs"

    def rvu(self, code: str, modifier: str = "") -> RvuRow | None:
        return self.rvus.get((code.strip().upper(), modifier.strip().upper()))

    def locality(self, key: str) -> Locality:
        """The locality with this key; ``"national"`` gives GPCIs of 1.000 (the national amount)."""
        if key == NATIONAL_LOCALITY_KEY:
            return NATIONAL
        found = self.localities.get(key)
        if found is None:
            raise NotPricedError(
                f"Medicare PFS {self.name}: no locality {key!r} (expected MAC-locality such as '01112-75', "
                f"or {NATIONAL_LOCALITY_KEY!r})"
            )
        return found

    def amount(self, code: str, locality_key: str, facility: bool = False, *, modifier: str = "") -> PriceBreakdown:
        """One unit of ``code`` in the locality: [(work×GPCIw) + (PE×GPCIpe) + (MP×GPCImp)] × CF.

        Raises NotPricedError when the code is not in the file, is not paid under the PFS (status B,
        I, N ...), is contractor-priced, or has no price in the setting.
        """
        locality = self.locality(locality_key)
        row = self._priced_row(code, modifier)
        pe, pe_setting, pe_step = _pe_for_setting(row, facility)
        parts = _UnitParts.of(row, pe, locality, self.conversion_factor, reduced=False, share=self.mppr_pe_share)
        steps = [
            f"{row.label}: Medicare PFS {self.name} RVUs work {_num(row.work)}, {pe_setting} PE {_num(pe)}, "
            f"MP {_num(row.mp)} (status {row.status}, {row.source}).",
        ]
        steps.extend(step for step in (_status_step(row), pe_step) if step)
        steps.append(f"{locality.label}: GPCI work {locality.work_gpci}, PE {locality.pe_gpci}, MP {locality.mp_gpci}.")
        steps.append(parts.describe(row, pe, locality, self.conversion_factor))
        amount = round_cents(parts.total)
        steps.append(_rounding_step(parts.total, amount))
        return PriceBreakdown(
            code=row.hcpcs,
            modifier=row.modifier,
            status=row.status,
            locality=locality,
            facility=facility,
            pe_setting=pe_setting,
            work_rvu=row.work,
            pe_rvu=pe,
            mp_rvu=row.mp,
            conversion_factor=self.conversion_factor,
            adjusted_rvu=parts.adjusted_rvu,
            unrounded=parts.total,
            amount=amount,
            steps=steps,
            source=self._source(row, locality),
        )

    def can_price(self, code: str, modifiers: Sequence[str] = ()) -> bool:
        """Whether ``price_visit`` can give this code an amount (unpaid statuses give $0.00 with the reason)."""
        row = self._row_for(code, modifiers)
        if row is None or row.status in UNPAID_STATUSES:
            return row is not None
        return row.status in PRICED_STATUSES and row.work + row.pe_nonfacility + row.mp != 0

    def _row_for(self, code: str, modifiers: Sequence[str]) -> RvuRow | None:
        # A modifier-specific row (26, TC, 53 ...) wins over the bare code, as in the CMS file.
        for modifier in modifiers:
            row = self.rvu(code, modifier)
            if row is not None:
                return row
        return self.rvu(code)

    def _priced_row(self, code: str, modifier: str = "") -> RvuRow:
        return self._check_priced(code, self._row_for(code, [modifier] if modifier else []))

    def _check_priced(self, code: str, row: RvuRow | None) -> RvuRow:
        if row is None:
            raise NotPricedError(f"{code}: not in the Medicare PFS {self.name} RVU file shipped with ptbill")
        if row.status in UNPAID_STATUSES:
            raise NotPricedError(f"{row.label}: PFS status {row.status}, {UNPAID_STATUSES[row.status]}")
        if row.status not in PRICED_STATUSES or row.work + row.pe_nonfacility + row.mp == 0:
            raise NotPricedError(
                f"{row.label}: PFS status {row.status} with no national RVUs: priced by the Medicare contractor"
            )
        return row

    def _source(self, row: RvuRow, locality: Locality) -> str:
        gpci = f"{locality.source} locality {locality.key}" if locality.source else locality.name
        return (
            f"Medicare PFS {self.name}: RVUs {row.source} row {row.label}; GPCIs {gpci}; "
            f"conversion factor ${self.conversion_factor} ({self.conversion_factor_reference})"
        )


class MedicareFeeSchedule:
    """Every loaded schedule period; ``schedule_for(day)`` picks the one in force."""

    def __init__(self, years: Sequence[PfsYear]) -> None:
        ordered = sorted(years, key=lambda y: y.effective.start)
        for earlier, later in itertools.pairwise(ordered):
            if earlier.effective.overlaps(later.effective):
                raise ReferenceDataError(
                    f"Medicare PFS schedules {earlier.origin} ({earlier.effective}) and {later.origin} "
                    f"({later.effective}) overlap"
                )
        self.years: tuple[PfsYear, ...] = tuple(ordered)

    @classmethod
    def load(cls, directory: Path) -> MedicareFeeSchedule:
        """Load each sub-folder of ``directory`` that holds a ``schedule.json`` (one folder per period)."""
        if not directory.is_dir():
            raise ReferenceDataError(f"{directory}: no such fee schedule directory")
        folders = sorted(p for p in directory.iterdir() if (p / SCHEDULE_FILE).is_file())
        if not folders:
            raise ReferenceDataError(f"{directory}: no schedule folder (a folder with {SCHEDULE_FILE})")
        return cls([PfsYear.load(folder) for folder in folders])

    @classmethod
    def default(cls) -> MedicareFeeSchedule:
        """The schedules shipped in ``reference_data/baseline/medicare/pfs`` (loaded once)."""
        return _default_schedule()

    def schedule_for(self, day: date) -> PfsYear | None:
        """The schedule in force on ``day``; None when none is loaded (fall back to the seed average)."""
        for year in self.years:
            if year.effective.contains(day):
                return year
        return None

    @property
    def latest(self) -> PfsYear:
        return self.years[-1]

    def with_years(self, years: Sequence[PfsYear]) -> MedicareFeeSchedule:
        """These years added; one that covers any day of a year already here replaces it (an installed CMS file)."""
        kept = [y for y in self.years if not any(y.effective.overlaps(new.effective) for new in years)]
        return MedicareFeeSchedule([*kept, *years])


@dataclass(frozen=True, slots=True)
class Rate:
    """A dated value from the caller's parameters (conversion factor, assistant share) with its citation."""

    value: Decimal
    reference: str
    effective: DateRange


def year_at(
    schedule: MedicareFeeSchedule,
    day: date,
    conversion_factor: Rate | None = None,
    assistant_rate: Rate | None = None,
) -> PfsYear | None:
    """The schedule to price ``day`` with: the RVUs in force and the conversion factor and assistant share in force.

    ``conversion_factor`` and ``assistant_rate`` are the values in force on ``day`` (parameters, which know
    mid-year changes such as 2024-03-09); they replace the RVU file's own. When no RVU file covers ``day``,
    the latest loaded RVUs are priced at ``day``'s conversion factor and the year is marked an estimate;
    without a conversion factor for ``day`` there is no estimate (None).

    Equal inputs give the very same object (kept by the RVU year's id, ``domain.identity_memo``): each payer's
    snapshot asks for its own year, and payers whose conversion factor and assistant share read alike then share
    the prices, steps and texts kept by the year's id rather than work each out again.
    """
    year = schedule.schedule_for(day) if schedule.years else None
    if year is None and (conversion_factor is None or not schedule.years):
        return None
    base = year if year is not None else schedule.latest
    # Every input of ``_year_at``'s answer: the values as written (equal Decimals such as 33.4 and 33.40 read
    # differently in the texts), the references, the conversion factor's start, and an estimate's calendar year.
    key = (
        id(base),
        None if year is not None else day.year,
        None if conversion_factor is None else _rate_key(conversion_factor),
        None if assistant_rate is None else _rate_key(assistant_rate),
    )

    def make() -> PfsYear:
        return _year_at(base, year is None, day, conversion_factor, assistant_rate)

    return kept(_YEARS, key, make, _YEARS_LIMIT, base)


def _rate_key(rate: Rate) -> tuple[str, str, date]:
    return str(rate.value), rate.reference, rate.effective.start


# ``year_at``'s answers by the RVU year's id and the rates (``domain.identity_memo``).
_YEARS: IdentityMemo = {}
_YEARS_LIMIT = 256  # RVU years × rates in force: a handful per installed schedule


def _year_at(
    year: PfsYear, estimate: bool, day: date, conversion_factor: Rate | None, assistant_rate: Rate | None
) -> PfsYear:
    changes: dict[str, Any] = {}
    if estimate:
        start = date(day.year, 1, 1)
        changes.update(effective=DateRange(start, date(day.year + 1, 1, 1)), estimate=True)
    if conversion_factor is not None and (conversion_factor.value != year.conversion_factor or changes):
        changes.update(
            conversion_factor=conversion_factor.value,
            conversion_factor_reference=(
                f"{conversion_factor.reference}; in force from {conversion_factor.effective.start}"
            ),
        )
    if assistant_rate is not None and assistant_rate.value != year.assistant_rate:
        changes.update(assistant_rate=assistant_rate.value, assistant_reference=assistant_rate.reference)
    return dataclasses.replace(year, **changes) if changes else year


@functools.cache
def _default_schedule() -> MedicareFeeSchedule:
    return MedicareFeeSchedule.load(DEFAULT_DIRECTORY)


def round_cents(value: Decimal) -> Decimal:
    """Half-up to the cent, the one rounding applied to a line amount."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _rate(meta: Mapping[str, object], key: str, path: Path) -> tuple[Decimal, str]:
    """A share between 0 and 1 with its citation, from schedule.json."""
    raw = meta.get(key)
    if not isinstance(raw, dict):
        raise ReferenceDataError(f"{path}: {key} must be an object with value and reference")
    value = _parse_decimal(str(raw.get("value", "")), f"{path}: {key}.value")
    reference = str(raw.get("reference") or "")
    if not 0 < value <= 1 or not reference:
        raise ReferenceDataError(f"{path}: {key} needs a value in (0, 1] and a reference")
    return value, reference


def _percent(share: Decimal) -> str:
    return f"{share * 100:f}".rstrip("0").rstrip(".") + " %"


@dataclass(frozen=True, slots=True)
class _UnitParts:
    """The dollar parts of one unit, unrounded."""

    work: Decimal
    pe: Decimal
    mp: Decimal
    adjusted_rvu: Decimal
    reduced: bool
    pe_share: Decimal

    @classmethod
    def of(
        cls, row: RvuRow, pe_rvu: Decimal, loc: Locality, cf: Decimal, *, reduced: bool, share: Decimal
    ) -> _UnitParts:
        pe_share = share if reduced else Decimal(1)
        work = row.work * loc.work_gpci
        pe = pe_share * pe_rvu * loc.pe_gpci
        mp = row.mp * loc.mp_gpci
        return cls(work * cf, pe * cf, mp * cf, work + pe + mp, reduced, pe_share)

    @property
    def total(self) -> Decimal:
        return self.work + self.pe + self.mp

    def describe(self, row: RvuRow, pe_rvu: Decimal, loc: Locality, cf: Decimal) -> str:
        pe_text = f"{_percent(self.pe_share)} × PE {_num(pe_rvu)}" if self.reduced else f"PE {_num(pe_rvu)}"
        return (
            f"work {_num(row.work)} × {loc.work_gpci} + {pe_text} × {loc.pe_gpci} + MP {_num(row.mp)} × "
            f"{loc.mp_gpci} = {_num(self.adjusted_rvu)} RVU × ${cf} {_money(self.total)}"
        )


def _status_step(row: RvuRow) -> str:
    """A caveat for priced statuses other than A (active)."""
    if row.status == "A":
        return ""
    return f"PFS status {row.status}: {PRICED_STATUSES[row.status]}; the amount assumes Medicare covers the service."


def _pe_for_setting(row: RvuRow, facility: bool) -> tuple[Decimal, str, str]:
    """The PE RVU to use, the setting's name and, when it is not the obvious one, why."""
    if facility and row.pe_facility_na:
        return (
            row.pe_nonfacility,
            "non-facility",
            f"Facility PE is NA for {row.label} (therapy codes have no facility rate), "
            f"so the non-facility PE {_num(row.pe_nonfacility)} is used.",
        )
    if facility:
        return row.pe_facility, "facility", ""
    if row.pe_nonfacility_na:
        raise NotPricedError(f"{row.label}: no non-facility price (NA indicator set in the RVU file)")
    return row.pe_nonfacility, "non-facility", ""


@value  # frozen to mypy, a plain slots dataclass when made (``domain.values``)
class _Prepared:
    line: PricingLine
    row: RvuRow | None  # None: a status Medicare does not pay
    status_reason: str
    pe_rvu: Decimal
    pe_setting: str
    pe_step: str
    mppr: bool
    assistant: bool  # a CQ/CO modifier is on the line
    assistant_cut: bool  # ... and the 85 % applies on its date


def price_visit(
    lines: Sequence[PricingLine],
    year: PfsYear,
    locality_key: str,
    *,
    facility: bool = False,
    order: AdjustmentOrder = DEFAULT_ORDER,
    assistant_modifiers: Collection[str] = ASSISTANT_MODIFIERS,
) -> list[LinePrice]:
    """Expected Medicare amounts of a visit's lines, with MPPR per date of service and the CQ/CO rate.

    MPPR (MULT PROC 5): across every unit of every such line on the same day, the one unit with the
    highest PE payment (PE RVU × PE GPCI × CF) is paid in full; every other unit is paid
    (work×GPCIw + 50 % × PE×GPCIpe + MP×GPCImp) × CF. Ties go to the line listed first.
    CQ/CO: 85 % of the line from 2022-01-01. ``order`` says which comes first (see AdjustmentOrder).
    Each line amount is rounded half-up to the cent once, at the end.

    A visit of one day is priced once per schedule, locality and lines (code, units, modifiers): the same
    codes on another day of the period reuse the amounts and steps, with that day written in.
    """
    day, priced = _visit(lines, year, locality_key, (facility, order, assistant_modifiers))
    if day is None:
        return priced
    shown = str(day)
    return [
        dataclasses.replace(price, service_date=day, steps=[step.replace(DAY_SLOT, shown) for step in price.steps])
        for price in priced
    ]


def price_visit_slotted(
    lines: Sequence[PricingLine], year: PfsYear, locality_key: str
) -> tuple[date | None, list[LinePrice]]:
    """``price_visit``'s prices (non-facility, default order and assistant modifiers) as kept: for a visit of one
    day, that day and the prices with ``DAY_SLOT`` where their steps name the day (the caller writes the day in;
    the objects are shared, never to be changed); for any other visit, None and the prices as ``price_visit``
    gives them."""
    return _visit(lines, year, locality_key, (False, DEFAULT_ORDER, ASSISTANT_MODIFIERS))


def _visit(
    lines: Sequence[PricingLine],
    year: PfsYear,
    locality_key: str,
    options: tuple[bool, AdjustmentOrder, Collection[str]],
) -> tuple[date | None, list[LinePrice]]:
    facility, order, assistant_modifiers = options
    for line in lines:
        if not year.effective.contains(line.service_date):
            raise ValueError(
                f"{line.code} on {line.service_date}: outside Medicare PFS {year.name} ({year.effective}); "
                "pick the schedule with MedicareFeeSchedule.schedule_for(day)"
            )
    # The default set (every engine check's) is upper case already, and keeps its hash for the memo's key.
    assistant_set = (
        ASSISTANT_MODIFIERS
        if assistant_modifiers is ASSISTANT_MODIFIERS
        else frozenset(m.upper() for m in assistant_modifiers)
    )
    days = {line.service_date for line in lines}
    if len(days) != 1:
        return None, _price_lines(lines, year, locality_key, facility, order, assistant_set, str)
    (day,) = days
    key = (
        id(year),
        locality_key,
        facility,
        order,
        assistant_set,
        tuple((line.code, line.units, tuple(line.modifiers)) for line in lines),
    )
    priced = kept(
        _ONE_DAY_PRICES,
        key,
        lambda: _price_lines(lines, year, locality_key, facility, order, assistant_set, _day_slot),
        _ONE_DAY_LIMIT,
        year,
    )
    return day, priced


# The day a cached visit's steps name, filled in when the visit is read back; a NUL never occurs in their text.
DAY_SLOT = "\x00day\x00"
_ONE_DAY_LIMIT = 4096
# Kept by the year's id with the rest of their inputs (``domain.identity_memo``): a one-day visit's prices, and one
# line of such a visit, its day written as the slot (``_price_lines``).
_ONE_DAY_PRICES: IdentityMemo = {}
_LINE_PRICES: IdentityMemo = {}


def clear_price_caches() -> None:
    """Forget every priced visit and line (tests compare prices made afresh with those read back)."""
    _YEARS.clear()
    _ONE_DAY_PRICES.clear()
    _LINE_PRICES.clear()
    _HEAD_STEPS.clear()
    _UNIT_STEPS.clear()
    _PREPARED.clear()
    _MPPR_STEPS.clear()
    _LINE_TAILS.clear()
    _rounding_step.cache_clear()


def _day_slot(day: date) -> str:
    return DAY_SLOT


def _price_lines(
    lines: Sequence[PricingLine],
    year: PfsYear,
    locality_key: str,
    facility: bool,
    order: AdjustmentOrder,
    assistant_set: frozenset[str],
    shown: Callable[[date], str],
) -> list[LinePrice]:
    """``price_visit``'s work, with each day written as ``shown`` writes it."""
    locality = year.locality(locality_key)
    prepared = [_prepare(year, line, facility, assistant_set) for line in lines]
    full_unit_owner = _mppr_full_units(prepared, locality, year.conversion_factor, order, year.assistant_rate)

    def price(index: int, item: _Prepared) -> LinePrice:
        return _price_line(
            index,
            item,
            prepared=prepared,
            full_unit_owner=full_unit_owner,
            year=year,
            loc=locality,
            order=order,
            shown=shown,
        )

    if shown is not _day_slot:
        return [price(index, item) for index, item in enumerate(prepared)]
    # One day, written as the slot: a line's price and steps depend on the schedule, locality, setting, order, the
    # line itself (code, units, modifiers) and, under MPPR, on the day's MPPR units and the line that keeps its
    # full PE (its code and modifiers decide its PE and CQ/CO cut), so a line priced once is reused in other
    # visits. Keyed by all of it; bounded; the year is kept in the value, as an id is reused once its object is gone.
    day_units = sum(item.line.units for item in prepared if item.mppr)
    owner_index = next(iter(full_unit_owner.values()), None)
    owner = prepared[owner_index].line if owner_index is not None else None
    visit = (id(year), locality_key, facility, order, assistant_set, day_units)
    priced = []
    for index, item in enumerate(prepared):
        line = item.line
        key = (
            visit,
            line.code,
            line.units,
            tuple(line.modifiers),
            item.mppr and owner_index == index,
            (owner.code, tuple(owner.modifiers)) if item.mppr and owner is not None else None,
        )
        priced.append(kept(_LINE_PRICES, key, lambda: price(index, item), _ONE_DAY_LIMIT, year))  # noqa: B023
    return priced


# What ``_prepare`` finds for a code and its modifiers in a schedule and setting: the same for every line of them.
# Keyed by the year's id with the rest (``domain.identity_memo``).
_PREPARED: IdentityMemo = {}


def _prepare(year: PfsYear, line: PricingLine, facility: bool, assistant_set: frozenset[str]) -> _Prepared:
    key = (id(year), line.code, tuple(line.modifiers), facility, assistant_set)
    known = kept(_PREPARED, key, lambda: _prepare_line(year, line, facility, assistant_set), _STEP_LIMIT, year)
    if known.line is line:
        return known
    return _Prepared(
        line,
        known.row,
        known.status_reason,
        known.pe_rvu,
        known.pe_setting,
        known.pe_step,
        known.mppr,
        known.assistant,
        known.assistant_cut,
    )


def _prepare_line(year: PfsYear, line: PricingLine, facility: bool, assistant_set: frozenset[str]) -> _Prepared:
    modifiers = tuple(m.strip().upper() for m in line.modifiers if m.strip())
    assistant = bool(assistant_set.intersection(modifiers))
    assistant_cut = assistant and year.assistant_rate < 1
    row = year._row_for(line.code, modifiers)
    if row is not None and row.status in UNPAID_STATUSES:
        reason = f"PFS status {row.status}, {UNPAID_STATUSES[row.status]}"
        return _Prepared(line, None, reason, Decimal(0), "", "", False, assistant, assistant_cut)
    priced = year._check_priced(line.code, row)
    pe, setting, pe_step = _pe_for_setting(priced, facility)
    mppr = priced.mult_proc == MPPR_INDICATOR
    return _Prepared(line, priced, "", pe, setting, pe_step, mppr, assistant, assistant_cut)


def _pe_payment(
    item: _Prepared, loc: Locality, cf: Decimal, order: AdjustmentOrder, assistant_rate: Decimal
) -> Decimal:
    payment = item.pe_rvu * loc.pe_gpci * cf
    if order is AdjustmentOrder.CQ_THEN_MPPR and item.assistant_cut:
        payment *= assistant_rate
    return payment


def _mppr_full_units(
    prepared: Sequence[_Prepared], loc: Locality, cf: Decimal, order: AdjustmentOrder, assistant_rate: Decimal
) -> dict[date, int]:
    """For each day, the index of the line whose first unit keeps its full PE.

    All units of a line have the same PE payment, so the highest-paying unit of the day is the first
    unit of the line with the highest PE payment per unit; ``max`` keeps the first line on a tie.
    """
    owners: dict[date, int] = {}
    best: dict[date, Decimal] = {}
    for index, item in enumerate(prepared):
        if not item.mppr:
            continue
        day = item.line.service_date
        payment = _pe_payment(item, loc, cf, order, assistant_rate)
        if day not in owners or payment > best[day]:
            owners[day], best[day] = index, payment
    return owners


def _price_line(
    index: int,
    item: _Prepared,
    *,
    prepared: Sequence[_Prepared],
    full_unit_owner: Mapping[date, int],
    year: PfsYear,
    loc: Locality,
    order: AdjustmentOrder,
    shown: Callable[[date], str] = str,
) -> LinePrice:
    line = item.line
    modifiers = tuple(line.modifiers)
    if item.row is None:
        steps = [
            f"{line.code} × {line.units}: {item.status_reason}; the expected Medicare amount is $0.00.",
        ]
        return LinePrice(
            line.code, line.units, Decimal("0.00"), steps, f"Medicare PFS {year.name}", line.service_date, modifiers
        )
    row = item.row
    steps = list(_head_steps(row, line.units, shown(line.service_date), year.name, item, loc))

    full_units, reduced_units = line.units, 0
    if item.mppr:
        day = line.service_date
        same_day = [p for p in prepared if p.mppr and p.line.service_date == day]
        day_units = sum(p.line.units for p in same_day)
        owner = prepared[full_unit_owner[day]]
        full_units = 1 if full_unit_owner[day] == index else 0
        reduced_units = line.units - full_units
        if day_units == 1:
            steps.append(f"MPPR: this is the only 'always therapy' unit (MULT PROC 5) on {shown(day)}; full PE.")
        else:
            steps.append(_mppr_step(owner, loc, year, order, day_units, shown(day)))
    else:
        steps.append(f"MPPR does not apply: MULT PROC indicator {row.mult_proc}, not {MPPR_INDICATOR}.")

    tail, amount, source = _line_tail(row, item, year, loc, order, full_units, reduced_units)
    steps.extend(tail)
    return LinePrice(
        code=line.code,
        units=line.units,
        amount=amount,
        steps=steps,
        source=source,
        service_date=line.service_date,
        modifiers=modifiers,
        full_pe_units=full_units,
        reduced_pe_units=reduced_units,
        assistant_rate_applied=item.assistant_cut,
    )


def _line_tail(
    row: RvuRow,
    item: _Prepared,
    year: PfsYear,
    loc: Locality,
    order: AdjustmentOrder,
    full_units: int,
    reduced_units: int,
) -> tuple[tuple[str, ...], Decimal, str]:
    """A priced line's steps after its MPPR step (the units' amounts, the CQ/CO rate, the order, the rounding), its
    amount and its source. They depend on the row, its PE, the locality, the year's rates, the order, the line's
    full and reduced PE units and its CQ/CO modifiers alone, not on the rest of the visit nor on the day: a line
    whose visit is new (other codes' units, another MPPR total) mostly reuses them. Kept by the year's and
    locality's ids (``domain.identity_memo``; the row is the year's)."""

    def make() -> tuple[tuple[str, ...], Decimal, str]:
        steps: list[str] = []
        cf = year.conversion_factor
        total = Decimal(0)
        for count, reduced in ((full_units, False), (reduced_units, True)):
            if count == 0:
                continue
            subtotal, step = _unit_step(row, item.pe_rvu, loc, cf, reduced, year.mppr_pe_share, count)
            steps.append(step)
            total += subtotal

        if item.assistant_cut:
            before = total
            total *= year.assistant_rate
            rate = _percent(year.assistant_rate)
            steps.append(
                f"CQ/CO: furnished in whole or in part by a therapy assistant, paid at {rate} "
                f"({year.assistant_reference}): {rate} × {_dollars(before)} {_money(total)}."
            )
        elif item.assistant:
            steps.append(f"CQ/CO on the line; schedule {year.name} pays assistants in full.")
        if item.mppr or item.assistant:
            steps.append(_ORDER_STEP[order])
        amount = round_cents(total)
        steps.append(_rounding_step(total, amount))
        return tuple(steps), amount, year._source(row, loc)

    key = (id(year), id(loc), id(row), item.pe_rvu, order, full_units, reduced_units, item.mppr, item.assistant,
           item.assistant_cut)  # fmt: skip
    return kept(_LINE_TAILS, key, make, _STEP_LIMIT, year, loc)


# The steps a line's row, locality and units decide whatever else the visit holds, and the MPPR step a day's units
# and full-PE line decide: written once. Keyed by the row's (or year's) and locality's ids with every other input
# (``domain.identity_memo``).
_STEP_LIMIT = 4096
_HEAD_STEPS: IdentityMemo = {}
_UNIT_STEPS: IdentityMemo = {}
_MPPR_STEPS: IdentityMemo = {}
_LINE_TAILS: IdentityMemo = {}


def _head_steps(row: RvuRow, units: int, day: str, name: str, item: _Prepared, loc: Locality) -> tuple[str, ...]:
    """The line's first steps: its RVUs and the locality's GPCIs, then its status's caveat and why its PE is the
    other setting's, when they apply."""

    def make() -> tuple[str, ...]:
        setting, pe_rvu = item.pe_setting, item.pe_rvu
        first = (
            f"{row.label} × {units} on {day}: Medicare PFS {name} RVUs work "
            f"{_num(row.work)}, {setting} PE {_num(pe_rvu)}, MP {_num(row.mp)}; {loc.label} GPCIs work "
            f"{loc.work_gpci}, PE {loc.pe_gpci}, MP {loc.mp_gpci}."
        )
        return (first, *(step for step in (_status_step(row), item.pe_step) if step))

    key = (id(row), id(loc), units, day, name, item.pe_setting, item.pe_rvu, item.pe_step)
    return kept(_HEAD_STEPS, key, make, _STEP_LIMIT, row, loc)


def _unit_step(
    row: RvuRow, pe_rvu: Decimal, loc: Locality, cf: Decimal, reduced: bool, share: Decimal, count: int
) -> tuple[Decimal, str]:
    """What ``count`` units with full (or MPPR-reduced) PE come to, unrounded, and the step that says so."""

    def make() -> tuple[Decimal, str]:
        parts = _UnitParts.of(row, pe_rvu, loc, cf, reduced=reduced, share=share)
        kind = f"{_percent(share)} PE" if reduced else "full PE"
        subtotal = parts.total * count
        each = " each" if count > 1 else ""
        times = f"; × {count} {_money(subtotal)}" if count > 1 else ""
        plural = "s" if count > 1 else ""
        return subtotal, f"{count} unit{plural} with {kind}: {parts.describe(row, pe_rvu, loc, cf)}{each}{times}."

    return kept(_UNIT_STEPS, (id(row), id(loc), pe_rvu, cf, reduced, share, count), make, _STEP_LIMIT, row, loc)


def _mppr_step(owner: _Prepared, loc: Locality, year: PfsYear, order: AdjustmentOrder, units: int, day: str) -> str:
    """The MPPR step of a day with more than one 'always therapy' unit: which line keeps its full PE, and why."""

    def make() -> str:
        cf = year.conversion_factor
        owner_payment = _pe_payment(owner, loc, cf, order, year.assistant_rate)
        cut = (
            f" after the CQ/CO {_percent(year.assistant_rate)}"
            if order is AdjustmentOrder.CQ_THEN_MPPR and owner.assistant_cut
            else ""
        )
        return (
            f"MPPR: {units} units of 'always therapy' codes (MULT PROC 5) on {day}. The highest PE "
            f"payment per unit is {owner.line.code}'s: PE {_num(owner.pe_rvu)} × {loc.pe_gpci} × ${cf}{cut} "
            f"{_money(owner_payment)}. One unit of it keeps its full PE; every other unit is paid "
            f"{_percent(year.mppr_pe_share)} of its PE ({year.mppr_reference})."
        )

    key = (id(year), id(loc), order, units, owner.line.code, owner.pe_rvu, owner.assistant_cut, day)
    return kept(_MPPR_STEPS, key, make, _STEP_LIMIT, year, loc)


@functools.lru_cache(maxsize=4096)  # its text depends on the amounts' values alone (equal Decimals read the same)
def _rounding_step(unrounded: Decimal, amount: Decimal) -> str:
    return f"Line total {_money(unrounded)} before rounding; rounded half-up to the cent, once, at the end: ${amount}."


@functools.lru_cache(maxsize=4096)  # a few hundred RVUs and GPCIs, written into every priced line's steps
def _num(value: Decimal) -> str:
    """A number without trailing zeros beyond two decimals: 0.44000 → 0.44, 0.41217 → 0.41217."""
    whole, _, fraction = format(value.normalize(), "f").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _dollars(value: Decimal) -> str:
    """Dollars to 4 decimals, for display only: sums and the final rounding use the exact value."""
    return f"${value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP)}"


def _money(value: Decimal) -> str:
    """'= $14.2325' when the value is exact to 4 decimals, else '≈ $14.2325'."""
    exact = value == value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return f"{'=' if exact else '≈'} {_dollars(value)}"


# --- loading -----------------------------------------------------------------------------------------


def read_csv_table(path: Path, required: Sequence[str]) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file (stripped strings) with the line each ends on; errors name the file and line."""
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read the file ({exc.strerror})") from None
    with handle:
        reader = csv.DictReader(handle)
        header = [name.strip() for name in reader.fieldnames or []]
        reader.fieldnames = header
        missing = [name for name in required if name not in header]
        if missing:
            raise ReferenceDataError(f"{path}: line 1: missing column(s) {', '.join(missing)}")
        for row in reader:
            if None in row:
                raise ReferenceDataError(f"{path}: line {reader.line_num}: more cells than columns")
            yield reader.line_num, {key: (value or "").strip() for key, value in row.items()}


def _parse_decimal(text: str, where: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ReferenceDataError(f"{where}: {text!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ReferenceDataError(f"{where}: {text!r} is not a non-negative number")
    return value


def _read_json_object(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReferenceDataError(f"{path}: cannot read the file ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise ReferenceDataError(f"{path}: line {exc.lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(data, dict):
        raise ReferenceDataError(f"{path}: expected a JSON object")
    return data


def _string_mapping(raw: object, path: Path, name: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ReferenceDataError(f"{path}: {name} must map source ids to citations")
    return dict(raw)


def _json_date(meta: Mapping[str, object], key: str, path: Path) -> date:
    raw = meta.get(key)
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise ReferenceDataError(f"{path}: {key} {raw!r} is not a date (YYYY-MM-DD)") from None


_RVU_COLUMNS = (
    "hcpcs", "mod", "status", "work_rvu", "nf_pe_rvu", "nf_na_ind", "fac_pe_rvu", "fac_na_ind", "mp_rvu",
    "pctc_ind", "mult_proc_ind", "source",
)  # fmt: skip


def _load_rvus(path: Path, sources: Mapping[str, str]) -> dict[tuple[str, str], RvuRow]:
    rows: dict[tuple[str, str], RvuRow] = {}
    for line, raw in read_csv_table(path, _RVU_COLUMNS):
        where = f"{path}: line {line}"
        code, modifier = raw["hcpcs"].upper(), raw["mod"].upper()
        if len(code) != 5 or not code.isalnum():
            raise ReferenceDataError(f"{where}: field 'hcpcs': {raw['hcpcs']!r} is not a 5-character code")
        if not raw["status"]:
            raise ReferenceDataError(f"{where}: field 'status' is empty")
        if raw["source"] not in sources:
            raise ReferenceDataError(f"{where}: field 'source': {raw['source']!r} is not a source in schedule.json")
        if (code, modifier) in rows:
            raise ReferenceDataError(f"{where}: {code} {modifier} already on line {rows[code, modifier].line}")
        rows[code, modifier] = RvuRow(
            hcpcs=code,
            modifier=modifier,
            status=raw["status"].upper(),
            work=_parse_decimal(raw["work_rvu"], f"{where}: field 'work_rvu'"),
            pe_nonfacility=_parse_decimal(raw["nf_pe_rvu"], f"{where}: field 'nf_pe_rvu'"),
            pe_nonfacility_na=raw["nf_na_ind"].upper() == "NA",
            pe_facility=_parse_decimal(raw["fac_pe_rvu"], f"{where}: field 'fac_pe_rvu'"),
            pe_facility_na=raw["fac_na_ind"].upper() == "NA",
            mp=_parse_decimal(raw["mp_rvu"], f"{where}: field 'mp_rvu'"),
            pctc=raw["pctc_ind"],
            mult_proc=raw["mult_proc_ind"],
            source=raw["source"],
            line=line,
        )
    return rows


_GPCI_COLUMNS = (
    "mac", "state", "locality", "locality_name", "work_gpci_with_floor", "pe_gpci", "mp_gpci", "note", "source",
)  # fmt: skip


def _load_localities(path: Path, sources: Mapping[str, str]) -> dict[str, Locality]:
    localities: dict[str, Locality] = {}
    for line, raw in read_csv_table(path, _GPCI_COLUMNS):
        where = f"{path}: line {line}"
        mac, number = raw["mac"], raw["locality"]
        # Spreadsheet copies of CMS files drop leading zeros (2102 for 02102): refuse them here.
        if len(mac) != 5 or not is_ascii_digits(mac) or len(number) != 2 or not is_ascii_digits(number):
            raise ReferenceDataError(f"{where}: MAC {mac!r} and locality {number!r} must be 5 and 2 digits")
        if raw["source"] not in sources:
            raise ReferenceDataError(f"{where}: field 'source': {raw['source']!r} is not a source in schedule.json")
        key = f"{mac}-{number}"
        if key in localities:
            raise ReferenceDataError(f"{where}: locality {key} appears twice")
        gpcis = [_parse_decimal(raw[name], f"{where}: field {name!r}") for name in _GPCI_COLUMNS[4:7]]
        if any(g == 0 for g in gpcis):
            raise ReferenceDataError(f"{where}: a GPCI of 0 is not plausible")
        localities[key] = Locality(
            key=key,
            mac=mac,
            state=raw["state"].upper(),
            number=number,
            name=raw["locality_name"],
            work_gpci=gpcis[0],
            pe_gpci=gpcis[1],
            mp_gpci=gpcis[2],
            note=raw["note"],
            source=raw["source"],
        )
    if not localities:
        raise ReferenceDataError(f"{path}: no localities")
    return localities
