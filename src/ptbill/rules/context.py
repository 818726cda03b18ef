"""Everything a check may read: the encounter, the payer's parameters on the date of service,
the code catalogs and the units the calculator gives. Built once per encounter by the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from ptbill.domain.encounter import Encounter, Service
from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.same_day import SameDayService
from ptbill.pricing import (
    NATIONAL_LOCALITY_KEY,
    FeeSchedule,
    MedicareFeeSchedule,
    PricingLine,
    locality_for,
    price_visit,
)
from ptbill.reference.catalog import ProcedureCode, Snapshot
from ptbill.reference.modifiers import ModifierCodeSet
from ptbill.units import TimedMinutes, UnitMethod, UnitResult, compute_units

if TYPE_CHECKING:
    from ptbill.reference.icd10 import CodeSetVersion
    from ptbill.reference.mue import MueTable
    from ptbill.reference.ncci import PtpTable


@dataclass(slots=True)
class CodeGroup:
    """All services of one code in the encounter: they make one claim line (one line per code per day)."""

    code: str
    service_indexes: list[int] = field(default_factory=list)


@dataclass
class CheckContext:
    encounter: Encounter
    snapshot: Snapshot
    codes: Mapping[str, ProcedureCode]
    icd10: CodeSetVersion | None = None
    icd10_exact: bool = True
    ptp: PtpTable | None = None
    mue: MueTable | None = None
    payer_known: bool = True
    is_medicare: bool = False
    medicare_schedule: MedicareFeeSchedule = field(default_factory=MedicareFeeSchedule.default)
    fee_schedule: FeeSchedule | None = None
    modifiers: ModifierCodeSet = field(default_factory=ModifierCodeSet.default)
    today: date | None = None  # from the caller's clock; None where no clock is given (no future-date check)
    same_day: tuple[SameDayService, ...] = ()  # the patient's other notes of the day, where the app sees them

    @property
    def services(self) -> tuple[Service, ...]:
        return self.encounter.services

    def code_info(self, code: str) -> ProcedureCode | None:
        return self.codes.get(code)

    def is_timed(self, code: str) -> bool:
        info = self.codes.get(code)
        return info.timed if info else False

    def is_traction(self, code: str) -> bool:
        info = self.codes.get(code)
        return info.traction if info else False

    @cached_property
    def traction_services(self) -> tuple[tuple[int, Service], ...]:
        """The traction services with their indexes (a dozen checks read them)."""
        return tuple((i, s) for i, s in enumerate(self.services) if self.is_traction(s.code))

    @cached_property
    def unit_method(self) -> UnitMethod:
        method = self.snapshot.choice("units.method")
        if method is None:  # declared required: only a date before the baseline's first value gets here
            raise ReferenceDataError(f"no unit method for payer {self.snapshot.payer.id} on {self.snapshot.day}")
        return UnitMethod(method)

    @cached_property
    def groups(self) -> list[CodeGroup]:
        by_code: dict[str, CodeGroup] = {}
        for index, service in enumerate(self.services):
            by_code.setdefault(service.code, CodeGroup(service.code)).service_indexes.append(index)
        return list(by_code.values())

    @cached_property
    def units(self) -> UnitResult:
        """Units per code under the payer's method, from the minutes each service documents."""
        return compute_units(
            (TimedMinutes(s.code, s.documented_minutes or 0, self.is_timed(s.code)) for s in self.services),
            self.unit_method,
        )

    def computed_units(self, code: str) -> int:
        return self.units.units.get(code, 0)

    def billed_units(self, code: str) -> int:
        """What the clinic intends to bill for a code: its stated units, else what the calculator gives."""
        group = next((g for g in self.groups if g.code == code), None)
        if group is None:
            return 0
        stated = [self.services[i].units for i in group.service_indexes]
        if all(u is not None for u in stated):
            return sum(u for u in stated if u is not None)
        return self.computed_units(code)

    @cached_property
    def line_prices(self) -> dict[str, tuple[Decimal | None, str | None]]:
        """Expected payment of every billable line, priced together (MPPR looks at the whole visit)."""
        lines = [
            PricingLine(
                g.code,
                self.computed_units(g.code),
                self.encounter.date_of_service,
                tuple(m for i in g.service_indexes for m in self.services[i].modifiers),
            )
            for g in self.groups
            if self.computed_units(g.code) > 0
        ]
        prices: dict[str, tuple[Decimal | None, str | None]] = {}
        if self.fee_schedule is not None:
            for line in lines:
                found = self.fee_schedule.amount_for(line.code, line.modifiers, line.service_date)
                if found is not None:
                    prices[line.code] = (
                        (found.amount * line.units).quantize(Decimal("0.01")),
                        f"contracted fee schedule: {found.explanation}",
                    )
        medicare_year = (
            self.medicare_schedule.schedule_for(self.encounter.date_of_service) if self.is_medicare else None
        )
        if medicare_year is not None:
            address = self.encounter.billing_provider.address
            choice = locality_for(address.state, address.zip[:5])
            key = choice.key if choice else NATIONAL_LOCALITY_KEY
            where = f"locality {choice.name} ({choice.how})" if choice else "national amounts (no locality found)"
            pending = [line for line in lines if line.code not in prices]
            # Codes the schedule cannot price (not in the file, contractor-priced) are left to the fallback;
            # the others are priced together, so MPPR ranks every unit of the day.
            priceable = [line for line in pending if medicare_year.can_price(line.code, line.modifiers)]
            for price in price_visit(priceable, medicare_year, key):
                prices[price.code] = (
                    price.amount,
                    f"Medicare PFS {medicare_year.name}, {where}: " + "; ".join(price.steps),
                )
        for line in lines:
            if line.code in prices:
                continue
            seed = self.snapshot.resolved(f"fees.seed_average.{line.code}")
            if seed is not None:
                amount = (seed.decimal * line.units).quantize(Decimal("0.01"))
                prices[line.code] = (
                    amount,
                    f"seed guide's average payment for {line.code} x {line.units} "
                    f"(no fee schedule in force on the date of service; {seed.reference})",
                )
        return prices

    def expected_payment(self, code: str, units: int) -> tuple[Decimal | None, str | None]:
        """What the payer should pay for the line of ``code``, and how that was worked out."""
        amount, basis = self.line_prices.get(code, (None, None))
        return amount, basis

    @cached_property
    def expected_visit_amount(self) -> Decimal:
        """Expected allowed amount of the whole visit (lines with no known amount count as 0)."""
        total = Decimal("0.00")
        for group in self.groups:
            amount, _ = self.expected_payment(group.code, self.computed_units(group.code))
            total += amount or Decimal(0)
        return total

    def patient_cost_estimate(self, code: str) -> Decimal | None:
        """What the patient would owe for a service the payer does not cover: its expected amount."""
        units = self.computed_units(code) or 1
        amount, _ = self.expected_payment(code, units)
        return amount
