"""The encounter: one patient visit as documented and as the clinic wants to bill it.

Shape and meaning follow ``spec/encounter-format.md`` (format 1). Money is ``Decimal``; clock times
are validated ``HH:MM`` values and a service's documented time is computed in whole minutes. Digits are
ASCII 0-9 only in every identifier, date, time and number (``\\d`` would also take ٣, ３), and numbers are
bounded, so nothing a note holds can break a claim format or a conversion further on.
"""

from __future__ import annotations

import re
from datetime import date, time
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator, model_validator

from ptbill.domain.note_content import (
    MAX_ROWS,
    MAX_TEXT,
    FlowsheetRow,
    Goal,
    GoalId,
    NoteType,
    Objective,
    Subjective,
    duplicate_goal_ids,
)

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")
MAX_COUNT = 99_999  # visits, minutes, seconds, units, pointers: far above any real note, far below overflow


def _parse_iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise ValueError("not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date") from None


def _parse_clock_time(value: Any) -> Any:
    if isinstance(value, time):
        return value
    match = _TIME_RE.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError("not a clock time (expected HH:MM, 24-hour)")
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise ValueError("not a clock time (expected HH:MM, 24-hour)")
    return time(hour, minute)


def _reject_bool(value: Any) -> Any:
    # JSON true/false must not pass as 1/0 in counts, minutes or money.
    if isinstance(value, bool):
        raise ValueError("not a number")
    return value


def _plain_number(value: Any) -> Any:
    # Decimal() reads Arabic-Indic and fullwidth digits, "1_000" and "Infinity"; a number typed as text is
    # ASCII digits with an optional point.
    if isinstance(value, str) and not _DECIMAL_TEXT.fullmatch(value.strip()):
        raise ValueError("not a number (digits 0-9, with an optional decimal point)")
    return _reject_bool(value)


# A constraint written before the BeforeValidator is pydantic's native one (checked in its core), after it a
# Python callback. Native where the accepted values and the message stay the same: bounds of whole numbers and
# the digits of an Amount. Money and Force keep the callback: the native check tests the digits before the
# sign, so a large negative amount would be told "more than 12 digits" instead of "greater than or equal to 0".
# Dates and clock times keep theirs too: pydantic's own parsing takes other forms (timestamps, datetimes).
IsoDate = Annotated[date, BeforeValidator(_parse_iso_date)]
ClockTime = Annotated[time, BeforeValidator(_parse_clock_time)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT, strict=False), BeforeValidator(_reject_bool)]
Pointer = Annotated[int, Field(ge=-MAX_COUNT, le=MAX_COUNT), BeforeValidator(_reject_bool)]
Money = Annotated[Decimal, BeforeValidator(_plain_number), Field(ge=0, max_digits=12, decimal_places=2)]
Amount = Annotated[Decimal, Field(max_digits=12), BeforeValidator(_plain_number)]
Force = Annotated[Decimal, BeforeValidator(_plain_number), Field(gt=0, max_digits=12)]


def minutes_of_day(clock: time) -> int:
    return clock.hour * 60 + clock.minute


class _Model(BaseModel):
    # Validators are built at first use, not when the class is made: ``ptbill check`` reads a plainly valid note
    # without them (encounter_plain.py), and a server builds them before its first request (build_validators).
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True, defer_build=True)


class Credential(StrEnum):
    PT = "PT"
    PTA = "PTA"
    OT = "OT"
    OTA = "OTA"
    DC = "DC"
    MD = "MD"
    DO = "DO"
    NP = "NP"
    PA = "PA"
    SLP = "SLP"  # a ptbill addition to format 1: speech-language pathologist


class Discipline(StrEnum):
    """The therapy plan of care a service is furnished under; Medicare marks it with GP, GO or GN."""

    PHYSICAL_THERAPY = "physical therapy"
    OCCUPATIONAL_THERAPY = "occupational therapy"
    SPEECH_LANGUAGE_PATHOLOGY = "speech-language pathology"


# Assistants work under a therapist of their own discipline; everyone else who furnishes therapy
# under a plan of care (physicians, NPs, PAs, chiropractors) is taken to follow the PT plan.
ASSISTANT_OF = {Credential.PTA: Credential.PT, Credential.OTA: Credential.OT}
_DISCIPLINE_OF = {
    Credential.OT: Discipline.OCCUPATIONAL_THERAPY,
    Credential.OTA: Discipline.OCCUPATIONAL_THERAPY,
    Credential.SLP: Discipline.SPEECH_LANGUAGE_PATHOLOGY,
}


def discipline_of(credential: Credential) -> Discipline:
    return _DISCIPLINE_OF.get(credential, Discipline.PHYSICAL_THERAPY)


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class Relationship(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    OTHER = "other"


class BodyRegion(StrEnum):
    CERVICAL = "cervical"
    THORACIC = "thoracic"
    LUMBAR = "lumbar"
    PELVIC = "pelvic"
    UPPER_EXTREMITY = "upper_extremity"
    LOWER_EXTREMITY = "lower_extremity"


class DeviceType(StrEnum):
    MOTORIZED_TABLE = "motorized_table"
    CERVICAL_DEVICE = "cervical_device"
    PNEUMATIC_HOME_UNIT = "pneumatic_home_unit"
    DECOMPRESSION_TABLE = "decompression_table"
    MANUAL = "manual"
    ROLLER_TABLE = "roller_table"
    OVER_DOOR_WEIGHTS = "over_door_weights"
    INVERSION_TABLE = "inversion_table"
    OTHER = "other"


class TractionMode(StrEnum):
    STATIC = "static"
    INTERMITTENT = "intermittent"


class Address(_Model):
    line1: str
    line2: str | None = None
    city: str
    state: str = Field(pattern=r"^[A-Z]{2}$")
    zip: str = Field(pattern=r"^[0-9]{5}(-?[0-9]{4})?$")


class BillingProvider(_Model):
    name: str
    npi: str
    tax_id: str = Field(pattern=r"^[0-9]{2}-?[0-9]{7}$")
    address: Address
    # ptbill extension: the clinic's Medicare payment locality (MAC-locality, e.g. 01112-75), which wins
    # over the locality guessed from the address's ZIP code.
    medicare_locality: str | None = Field(default=None, pattern=r"^[0-9]{5}-[0-9]{2}$")


class RenderingProvider(_Model):
    name: str
    npi: str
    credential: Credential


class SupervisingProvider(_Model):
    name: str
    npi: str
    credential: Credential | None = None


class ReferringProvider(_Model):
    name: str
    npi: str


class Patient(_Model):
    id: str
    first_name: str
    last_name: str
    birth_date: IsoDate
    sex: Sex
    address: Address | None = None


class Authorization(_Model):
    number: str
    visits_approved: Count | None = None
    visits_used: Count | None = None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Authorization:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
        return self


class Subscriber(_Model):
    """The insured person when it is not the patient (a ptbill extension of format 1)."""

    first_name: str
    last_name: str
    birth_date: IsoDate
    sex: Sex
    address: Address | None = None


class TherapyCarriedIn(_Model):
    """Therapy the patient received elsewhere this calendar year (a ptbill extension of format 1).

    Medicare's KX threshold counts every provider's allowed amounts; ptbill counts its own claims and adds
    this amount, as read on ``as_of`` from ``source`` (the MAC portal, the eligibility response, the patient).
    """

    amount: Money
    source: str = Field(min_length=1, max_length=200)
    as_of: IsoDate


class Coverage(_Model):
    payer: str = Field(min_length=1)
    member_id: str = Field(min_length=1)
    group_number: str | None = None
    relationship: Relationship = Relationship.SELF
    authorization: Authorization | None = None
    therapy_charges_ytd: Money | None = None
    therapy_carried_in: TherapyCarriedIn | None = None
    subscriber: Subscriber | None = None


class AbnOption(IntEnum):
    """The option the beneficiary checked on the ABN (CMS-R-131, box G)."""

    BILL_MEDICARE = 1  # wants the service, Medicare is billed (with GA), the patient pays if Medicare denies
    DO_NOT_BILL = 2  # wants the service, Medicare is not billed, the patient pays now
    DECLINED = 3  # does not want the service


class AdvanceBeneficiaryNotice(_Model):
    """A signed ABN on file for the visit's services (a ptbill extension of format 1)."""

    date_signed: IsoDate
    option: Annotated[AbnOption, BeforeValidator(_reject_bool)]
    services: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{5}$")], ...] = Field(min_length=1)

    @field_validator("services", mode="after")
    @classmethod
    def _upper_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(code.upper() for code in value)

    def covers(self, code: str, day: date) -> bool:
        """Signed by the date of service, option 1 (bill Medicare), and listing the code."""
        return self.option is AbnOption.BILL_MEDICARE and self.date_signed <= day and code in self.services


class PlanOfCare(_Model):
    start_date: IsoDate
    certified_date: IsoDate | None = None
    end_date: IsoDate | None = None
    frequency_per_week: Count | None = None
    visit_number: Count | None = None
    visits_since_progress_report: Count | None = None
    # ptbill additions to format 1, for Medicare's initial-certification exception (dates of service
    # from 2025): the physician's or NPP's signed and dated order or referral, and the day the plan
    # was sent to that practitioner. A recertification cannot use the exception.
    order_signed_date: IsoDate | None = None
    sent_to_referrer_date: IsoDate | None = None
    recertification: StrictBool = False
    # ptbill additions (the plan an evaluation writes): a frequency range's upper end ("2-3x/week" is
    # frequency_per_week 2 and frequency_max_per_week 3) and the plan's duration in weeks.
    frequency_max_per_week: Count | None = None
    duration_weeks: Count | None = None

    @field_validator("recertification", mode="before")
    @classmethod
    def _null_is_initial(cls, value: Any) -> Any:
        return False if value is None else value

    @model_validator(mode="after")
    def _dates_in_order(self) -> PlanOfCare:
        if self.end_date and self.end_date < self.start_date:
            raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
        low, high = self.frequency_per_week, self.frequency_max_per_week
        if low is not None and high is not None and high < low:
            raise ValueError(f"frequency_max_per_week {high} is below frequency_per_week {low}")
        return self

    @property
    def most_visits_per_week(self) -> int | None:
        return self.frequency_max_per_week if self.frequency_max_per_week is not None else self.frequency_per_week


class ForceChange(_Model):
    at_minute: Count
    force_lbs: Force
    reason: str | None = None


class Traction(_Model):
    body_region: BodyRegion | None = None
    device_type: DeviceType | None = None
    device_name: str | None = None
    mode: TractionMode | None = None
    force_lbs: Force | None = None
    force_changes: tuple[ForceChange, ...] = ()
    angle_deg: Amount | None = None
    hold_seconds: Count | None = None
    rest_seconds: Count | None = None
    patient_position: str | None = None
    monitoring_checks: tuple[ClockTime, ...] = ()

    @field_validator("force_changes", "monitoring_checks", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return () if value is None else value


class Service(_Model):
    code: str = Field(min_length=1, pattern=r"^[A-Za-z0-9]{5}$")
    modifiers: tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{2}$")], ...] = ()
    diagnosis_pointers: tuple[Pointer, ...] = ()
    start_time: ClockTime | None = None
    end_time: ClockTime | None = None
    minutes: Count | None = None
    units: Count | None = None
    traction: Traction | None = None
    patient_response: str | None = None
    clinical_justification: str | None = None
    goal_ids: tuple[GoalId, ...] = ()  # ptbill addition: the goals this service's justification serves

    @field_validator("code", mode="after")
    @classmethod
    def _upper_code(cls, value: str) -> str:
        return value.upper()

    @field_validator("modifiers", mode="before")
    @classmethod
    def _modifiers(cls, value: Any) -> Any:
        if value is None:
            return ()
        if isinstance(value, list | tuple):
            return tuple(m.upper() if isinstance(m, str) else m for m in value)
        return value

    @field_validator("diagnosis_pointers", "goal_ids", mode="before")
    @classmethod
    def _pointers(cls, value: Any) -> Any:
        return () if value is None else value

    @model_validator(mode="after")
    def _end_after_start(self) -> Service:
        if self.start_time and self.end_time and self.end_time < self.start_time:
            raise ValueError(f"end_time {self.end_time:%H:%M} is before start_time {self.start_time:%H:%M}")
        return self

    @property
    def has_clock_times(self) -> bool:
        return self.start_time is not None and self.end_time is not None

    @property
    def documented_minutes(self) -> int | None:
        """Minutes of the service: from its clock times when both are given, else its ``minutes``."""
        if self.start_time is not None and self.end_time is not None:
            return minutes_of_day(self.end_time) - minutes_of_day(self.start_time)
        return self.minutes


def normalize_diagnosis(code: str) -> str:
    """ICD-10-CM codes are compared without the dot and in upper case (``m54.16`` → ``M5416``)."""
    return code.replace(".", "").strip().upper()


def dotted_diagnosis(code: str) -> str:
    """The dotted form used on paper and in reports (``M5416`` → ``M54.16``)."""
    bare = normalize_diagnosis(code)
    return bare if len(bare) <= 3 else f"{bare[:3]}.{bare[3:]}"


class Encounter(_Model):
    id: str = Field(min_length=1)
    date_of_service: IsoDate
    place_of_service: str = Field(default="11", pattern=r"^[0-9]{2}$")
    billing_provider: BillingProvider
    rendering_provider: RenderingProvider
    supervising_provider: SupervisingProvider | None = None
    referring_provider: ReferringProvider | None = None
    patient: Patient
    coverage: Coverage
    plan_of_care: PlanOfCare | None = None
    diagnoses: tuple[Annotated[str, Field(min_length=3, max_length=8)], ...] = ()
    services: tuple[Service, ...] = ()
    total_treatment_minutes: Count | None = None
    abn: AdvanceBeneficiaryNotice | None = None  # ptbill extension: the ABN on file for this visit
    # ptbill additions, the whole visit (domain/note_content.py): absent in a format-1 document, which is a
    # daily treatment note with only the sections above.
    format: Literal[1] | None = None
    note_type: NoteType = NoteType.DAILY_NOTE
    subjective: Subjective | None = None
    objective: Objective | None = None
    flowsheet: tuple[FlowsheetRow, ...] = Field(default=(), max_length=MAX_ROWS)
    assessment: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    plan: Annotated[str, Field(max_length=MAX_TEXT)] | None = None
    goals: tuple[Goal, ...] = Field(default=(), max_length=MAX_ROWS)

    @field_validator("note_type", mode="before")
    @classmethod
    def _null_is_daily(cls, value: Any) -> Any:
        return NoteType.DAILY_NOTE if value is None else value

    @field_validator("flowsheet", "goals", mode="before")
    @classmethod
    def _null_is_no_rows(cls, value: Any) -> Any:
        return () if value is None else value

    @field_validator("goals", mode="after")
    @classmethod
    def _unique_goals(cls, value: tuple[Goal, ...]) -> tuple[Goal, ...]:
        problems = duplicate_goal_ids(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @property
    def goal_ids(self) -> frozenset[str]:
        return frozenset(goal.id for goal in self.goals)

    def unknown_goal_references(self) -> list[str]:
        """One line per service goal id that names no goal of the note (a note that lists goals)."""
        if not self.goals:
            return []
        known = self.goal_ids
        return [
            f"services[{index}].goal_ids[{position}]: no goal with id {goal_id!r} among the note's goals"
            for index, service in enumerate(self.services)
            for position, goal_id in enumerate(service.goal_ids)
            if goal_id not in known
        ]

    @field_validator("place_of_service", mode="before")
    @classmethod
    def _default_place(cls, value: Any) -> Any:
        return "11" if value is None else value

    @field_validator("diagnoses", "services", mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return () if value is None else value

    @property
    def normalized_diagnoses(self) -> tuple[str, ...]:
        return tuple(normalize_diagnosis(code) for code in self.diagnoses)

    @property
    def furnished_by_assistant(self) -> bool:
        return self.rendering_provider.credential in ASSISTANT_OF

    @property
    def billed_under(self) -> RenderingProvider | SupervisingProvider:
        """Who the claim names as rendering provider: the supervising therapist for an assistant's visit."""
        if self.furnished_by_assistant and self.supervising_provider is not None:
            return self.supervising_provider
        return self.rendering_provider


def build_validators() -> None:
    """Build the encounter's validators now, which the models otherwise build at their first validation."""
    Encounter.model_rebuild()
