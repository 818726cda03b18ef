"""Everything a check may read: the encounter, the payer's parameters on the date of service,
the code catalogs and the units the calculator gives. Built once per encounter by the engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from ptbill.domain.chart import CertifiedPlan, NoteSignatures
from ptbill.domain.encounter import AdvanceBeneficiaryNotice, DeviceType, Encounter, Service, normalize_diagnosis
from ptbill.domain.errors import ReferenceDataError
from ptbill.domain.same_day import SameDayService
from ptbill.pricing import MedicareFeeSchedule, PfsYear, PricingLine
from ptbill.reference.catalog import ProcedureCode, Snapshot
from ptbill.reference.modifiers import ModifierCodeSet
from ptbill.rules.prices import ExpectedPrice, Place, expected_prices, locality_choice, medicare_year_for
from ptbill.units import UnitMethod, UnitResult, compute_units_of

if TYPE_CHECKING:
    from ptbill.domain.eligibility import EligibilityOnFile
    from ptbill.pricing.fee_schedules import FeeSchedule
    from ptbill.pricing.localities import ZipLocalityTable
    from ptbill.reference.icd10 import CodeSetVersion
    from ptbill.reference.mue import MueTable
    from ptbill.reference.ncci import PtpTable


_T = TypeVar("_T")
_UNIT_METHODS = {method.value: method for method in UnitMethod}


@functools.lru_cache(maxsize=4096)
def _units_for(minutes: tuple[tuple[str, int, bool], ...], method: UnitMethod) -> UnitResult:
    """The calculator's answer for a visit's (code, minutes, timed) under a method: visits repeat, so it is kept
    (the engine copies its dict of units into each report)."""
    return compute_units_of(minutes, method)


class cached_property(Generic[_T]):  # noqa: N801 - a drop-in for functools.cached_property
    """``functools.cached_property`` without its lock (Python 3.11 takes one on every first read, and a context
    computes about ten of them per note): a context belongs to one check in one thread."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[_T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> _T | cached_property[_T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


def _group_modifiers(services: tuple[Service, ...], indexes: list[int]) -> tuple[str, ...]:
    """Every modifier of a code's services, in order (repeats kept), for its pricing line: a code on one service
    (nearly all) takes that service's own tuple."""
    if len(indexes) == 1:
        return services[indexes[0]].modifiers
    return tuple([m for i in indexes for m in services[i].modifiers])


@dataclass(slots=True)
class CodeGroup:
    """All services of one code in the encounter: they make one claim line (one line per code per day)."""

    code: str
    service_indexes: list[int] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class YearToDate:
    """An amount of therapy already incurred this year, and what it is made of, in words."""

    amount: Decimal
    explanation: str


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
    medicare_locality: str | None = None  # the clinic's own MAC locality (key such as 01112-75)
    zip_table: ZipLocalityTable | None = None  # CMS's ZIP-to-locality file, when installed
    therapy_claims_this_year: Decimal | None = None  # the patient's therapy on ptbill's own claims, before this visit
    modifiers: ModifierCodeSet = field(default_factory=ModifierCodeSet.default)
    today: date | None = None  # from the caller's clock; None where no clock is given (no future-date check)
    same_day: tuple[SameDayService, ...] = ()  # the patient's other notes of the day, where the app sees them
    abns: tuple[AdvanceBeneficiaryNotice, ...] = ()  # the patient's signed ABNs on file, where the app sees them
    eligibility: EligibilityOnFile | None = None  # the coverage's latest 271 on file, where the clinic verifies
    # The chart beyond the note (domain.chart), where the app sees it; None in a single file's check.
    visits_this_week: tuple[date, ...] | None = None  # days of the patient's other signed notes, Monday to Sunday
    certified_plan: CertifiedPlan | None = None  # the plan as the physician certified it
    signatures: NoteSignatures | None = None  # the stored note's state and co-signature

    @cached_property
    def services(self) -> tuple[Service, ...]:
        """The encounter's services (read about twenty times a note: kept on the context after the first read)."""
        return self.encounter.services

    @property
    def all_abns(self) -> tuple[AdvanceBeneficiaryNotice, ...]:
        """The note's own ABN (format 1's ``abn``) and the signed ABNs the app has on file for the patient."""
        own = (self.encounter.abn,) if self.encounter.abn is not None else ()
        return own + self.abns

    def abn_covering(self, code: str) -> AdvanceBeneficiaryNotice | None:
        """An ABN signed by the date of service, option 1 (bill Medicare), listing the code."""
        if not self.abns and self.encounter.abn is None:
            return None  # none on file, none on the note: the usual Medicare note, asked once a line
        day = self.encounter.date_of_service
        return next((abn for abn in self.all_abns if abn.covers(code, day)), None)

    def expected_denial(self, code: str, indexes: list[int]) -> tuple[str, str] | None:
        """Why Medicare is expected to deny the code as not reasonable and necessary, and the source: the
        parameter ``abn.expected_denial_codes``, or traction given on a decompression table (NCD 160.16)."""
        if not self.is_medicare:
            return None
        listed = self.snapshot.resolved("abn.expected_denial_codes")
        if listed is not None and code in listed.code_texts:
            return listed.code_texts[code], f"{listed.reference} (in force from {listed.effective.start})"
        for index in indexes:
            traction = self.services[index].traction
            if traction is not None and traction.device_type is DeviceType.DECOMPRESSION_TABLE:
                return (
                    "Medicare does not cover vertebral axial decompression (NCD 160.16)",
                    "NCD 160.16 Vertebral Axial Decompression (VAX-D) "
                    "(https://www.cms.gov/medicare-coverage-database/view/ncd.aspx?NCDId=124)",
                )
        return None

    def statutory_exclusion(self, code: str) -> tuple[str, str] | None:
        """Why the code is not a Medicare benefit (parameter ``abn.statutorily_excluded_codes``), and the source."""
        if not self.is_medicare:
            return None
        listed = self.snapshot.resolved("abn.statutorily_excluded_codes")
        if listed is None or code not in listed.code_texts:
            return None
        return listed.code_texts[code], f"{listed.reference} (in force from {listed.effective.start})"

    def code_info(self, code: str) -> ProcedureCode | None:
        return self.codes.get(code)

    def is_timed(self, code: str) -> bool:
        info = self.codes.get(code)
        return info.timed if info else False

    def is_traction(self, code: str) -> bool:
        info = self.codes.get(code)
        return info.traction if info else False

    @cached_property
    def service_infos(self) -> tuple[ProcedureCode | None, ...]:
        """Each service's code in the catalog, None where the catalog lacks it: looked up once a note, not once a
        check (a dozen checks and the units read them)."""
        get = self.codes.get
        return tuple([get(service.code) for service in self.services])

    @cached_property
    def documented_minutes(self) -> tuple[int | None, ...]:
        """Each service's ``Service.documented_minutes`` (a property that reads the clock times): worked out once
        for the units and the checks that add the minutes up."""
        return tuple([service.documented_minutes for service in self.services])

    @cached_property
    def normalized_diagnoses(self) -> tuple[str, ...]:
        """The diagnoses as ``normalize_diagnosis`` writes them (no dot, upper case), in the note's order: the checks
        that compare them with a payer's code prefixes read them from here."""
        return tuple([normalize_diagnosis(code) for code in self.encounter.diagnoses])

    @cached_property
    def modifiers_used(self) -> frozenset[str]:
        """Every modifier on any line of the visit: a check of a few modifiers returns at once when none is here."""
        return frozenset([modifier for service in self.services for modifier in service.modifiers])

    @cached_property
    def traction_services(self) -> tuple[tuple[int, Service], ...]:
        """The traction services with their indexes (a dozen checks read them)."""
        # From the services' catalog entries (looked up once a note), not a catalog lookup per service again.
        return tuple(
            [
                (index, service)
                for index, (service, info) in enumerate(zip(self.services, self.service_infos, strict=True))
                if info is not None and info.traction
            ]
        )

    @cached_property
    def ncci_pairs(self) -> tuple[tuple[int, int, int, str, str], ...]:
        """Every code pair of the encounter with a PTP edit in force, worked out once for the three checks that read
        them: (column-1 line, column-2 line, modifier indicator, source, rationale)."""
        if self.ptp is None:
            return ()
        groups, day, pairs = self.groups, self.encounter.date_of_service, []
        for a in range(len(groups)):
            for b in range(a + 1, len(groups)):
                edit = self.ptp.lookup(groups[a].code, groups[b].code, day)
                if edit is None or edit.modifier_indicator == 9:
                    continue
                column1 = groups[a] if groups[a].code == edit.column1 else groups[b]
                column2 = groups[b] if column1 is groups[a] else groups[a]
                pairs.append(
                    (
                        column1.service_indexes[0],
                        column2.service_indexes[0],
                        edit.modifier_indicator,
                        edit.source,
                        edit.rationale,
                    )
                )
        return tuple(pairs)

    @cached_property
    def unit_method(self) -> UnitMethod:
        method = self.snapshot.choice("units.method")
        if method is None:  # declared required: only a date before the baseline's first value gets here
            raise ReferenceDataError(f"no unit method for payer {self.snapshot.payer.id} on {self.snapshot.day}")
        # A dict read rather than ``UnitMethod(method)`` (an enum's lookup by value goes through its metaclass's
        # ``__call__``, about 0.5 µs a note); a value it lacks still raises the enum's own error.
        return _UNIT_METHODS.get(method) or UnitMethod(method)

    @cached_property
    def groups(self) -> list[CodeGroup]:
        by_code: dict[str, list[int]] = {}
        for index, service in enumerate(self.services):
            indexes = by_code.get(service.code)
            if indexes is None:
                by_code[service.code] = [index]
            else:
                indexes.append(index)
        return [CodeGroup(code, indexes) for code, indexes in by_code.items()]

    @cached_property
    def units(self) -> UnitResult:
        """Units per code under the payer's method, from the minutes each service documents."""
        # Whether a code is timed is read from the services' catalog entries (``is_timed``'s answer, without a
        # lookup per service).
        minutes = tuple(
            [
                (service.code, documented or 0, info is not None and info.timed)
                for service, documented, info in zip(
                    self.services, self.documented_minutes, self.service_infos, strict=True
                )
            ]
        )
        found = _units_for(minutes, self.unit_method)
        # Each report gets its own dict of units: a caller may change it without changing another report's.
        return UnitResult(found.method, found.total_timed_minutes, dict(found.units), found.ties)

    def computed_units(self, code: str) -> int:
        return self.units.units.get(code, 0)

    def billed_units(self, code: str) -> int:
        """What the clinic intends to bill for a code: its stated units, else what the calculator gives."""
        return self._billed_units.get(code, 0)

    @cached_property
    def _billed_units(self) -> dict[str, int]:
        """``billed_units`` of every code of the visit, worked out together (the MUE check asks for each)."""
        services, computed, billed = self.services, self.units.units, {}
        for group in self.groups:
            stated = [services[i].units for i in group.service_indexes]
            billed[group.code] = computed.get(group.code, 0) if None in stated else sum(cast("list[int]", stated))
        return billed

    @cached_property
    def line_prices(self) -> dict[str, ExpectedPrice]:
        """Expected payment of every billable line, priced together (MPPR looks at the whole visit)."""
        units, services, day = self.units.units, self.encounter.services, self.encounter.date_of_service
        lines = [
            PricingLine(g.code, count, day, _group_modifiers(services, g.service_indexes))
            for g in self.groups
            if (count := units.get(g.code, 0)) > 0
        ]
        year = self.medicare_year
        where = self.medicare_locality_choice(year) if year is not None else None
        return expected_prices(lines, self.snapshot, self.fee_schedule, year, where)

    @cached_property
    def medicare_year(self) -> PfsYear | None:
        """The Medicare schedule for the date of service (an estimate when its RVUs are not installed)."""
        if not self.is_medicare:
            return None
        schedule, day, snapshot = self.medicare_schedule, self.encounter.date_of_service, self.snapshot
        # The same for every day the snapshot's values and the schedule's period are the same: worked out once
        # (the schedule in the key keeps its periods alive, so their ids stay theirs).
        in_force = schedule.schedule_for(day) if schedule.years else None
        key = ("pfs.year", schedule, id(in_force) if in_force is not None else day.year)
        return snapshot.derived(key, lambda: medicare_year_for(snapshot, schedule, day))

    def medicare_locality_choice(self, year: PfsYear) -> tuple[str, str]:
        """The locality key and how it was chosen: the clinic's own setting wins over a guess from the ZIP code."""
        provider = self.encounter.billing_provider
        place = Place(
            self.medicare_locality or provider.medicare_locality, provider.address.state, provider.address.zip
        )
        return locality_choice(year, place, self.zip_table)

    def expected_payment(self, code: str, units: int) -> tuple[Decimal | None, str | None]:
        """What the payer should pay for the line of ``code``, and how that was worked out."""
        price = self.line_prices.get(code)
        return (price.amount, price.basis) if price else (None, None)

    @cached_property
    def therapy_year_to_date(self) -> YearToDate | None:
        """PT and SLP therapy already incurred this calendar year before this visit, and what it is made of.

        ptbill's own claims (when the app can see them) plus the amount carried in from elsewhere; the amount
        the note states (``coverage.therapy_charges_ytd``) is used instead when it is larger. None: unknown.
        """
        coverage, day = self.encounter.coverage, self.encounter.date_of_service
        parts: list[str] = []
        counted: Decimal | None = None
        if self.therapy_claims_this_year is not None:
            counted = self.therapy_claims_this_year
            parts.append(f"${counted:,.2f} on this clinic's claims")
        carried = coverage.therapy_carried_in
        if carried is not None and carried.as_of.year == day.year and carried.as_of <= day:
            counted = (counted or Decimal(0)) + carried.amount
            parts.append(f"${carried.amount:,.2f} from elsewhere ({carried.source}, as of {carried.as_of})")
        stated = coverage.therapy_charges_ytd
        if stated is not None and (counted is None or stated > counted):
            more = f", more than the ${counted:,.2f} counted ({'; '.join(parts)})" if counted is not None else ""
            return YearToDate(stated, f"as stated on the note{more}")
        return None if counted is None else YearToDate(counted, "; ".join(parts))

    @property
    def priced_line_count(self) -> int:
        return len(self.line_prices)

    @property
    def billed_line_count(self) -> int:
        units = self.units.units
        return sum(1 for group in self.groups if units.get(group.code, 0) > 0)

    @cached_property
    def expected_visit_amount(self) -> Decimal:
        """Expected allowed amount of the whole visit (lines with no known amount count as 0)."""
        total, prices = Decimal("0.00"), self.line_prices
        for group in self.groups:
            price = prices.get(group.code)  # ``expected_payment``'s amount, read without its tuple
            if price is not None:
                total += price.amount or Decimal(0)
        return total

    def patient_cost_estimate(self, code: str) -> Decimal | None:
        """What the patient would owe for a service the payer does not cover: its expected amount."""
        units = self.computed_units(code) or 1
        amount, _ = self.expected_payment(code, units)
        return amount
