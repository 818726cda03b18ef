"""The encounter: one patient visit as documented and as the clinic wants to bill it.

Shape and meaning follow ``spec/encounter-format.md`` (format 1). Money is ``Decimal``; clock times
are validated ``HH:MM`` values and a service's documented time is computed in whole minutes. Digits are
ASCII 0-9 only in every identifier, date, time and number (``\\d`` would also take ٣, ３), and numbers are
bounded, so nothing a note holds can break a claim format or a conversion further on.
"""

from __future__ import annotations

import re
import sys
from datetime import date, time
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Literal, TypeAlias

from ptbill.domain.note_content import (
    Flag,
    FlowsheetRow,
    Goal,
    GoalId,
    IsoDate,
    NoteType,
    Objective,
    Rows,
    Subjective,
    Text,
)
from ptbill.domain.parts import Part

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_TIME_RE = re.compile(r"([0-9]{1,2}):([0-9]{2})")
_DECIMAL_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,12})?")
MAX_COUNT = 99_999  # visits, minutes, seconds, units, pointers: far above any real note, far below overflow


# Each field's kind: the plain Python type here, and pydantic's constrained type in encounter_models.py, which
# reads these annotations (parts.py). A kind names what a field accepts, declared once for both. IsoDate, Flag,
# Text and Rows are note_content.py's.
ClockTime: TypeAlias = time  # HH:MM, 24-hour
Count: TypeAlias = int  # 0..MAX_COUNT, not true/false
Pointer: TypeAlias = int  # -MAX_COUNT..MAX_COUNT (a bad pointer is the check's to name, not the reader's)
Money: TypeAlias = Decimal  # at least 0, 12 digits, 2 after the point
Amount: TypeAlias = Decimal  # 12 digits
Force: TypeAlias = Decimal  # above 0, 12 digits
NonEmptyText: TypeAlias = str  # at least one character
SourceText: TypeAlias = str  # 1 to 200 characters
StateCode: TypeAlias = str  # two capital letters
ZipCode: TypeAlias = str  # 5 or 9 digits
TaxId: TypeAlias = str  # 9 digits, a hyphen after the second allowed
LocalityCode: TypeAlias = str  # MAC-locality, 01112-75
PlaceCode: TypeAlias = str  # two digits
ServiceCode: TypeAlias = str  # 5 letters or digits, read in upper case
ModifierCode: TypeAlias = str  # 2 letters or digits, read in upper case
DiagnosisText: TypeAlias = str  # 3 to 8 characters
AbnCodes: TypeAlias = tuple[str, ...]  # at least one 5-character code, read in upper case
FormatOne: TypeAlias = Literal[1]


def minutes_of_day(clock: time) -> int:
    return clock.hour * 60 + clock.minute


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


class Address(Part):
    line1: str
    line2: str | None = None
    city: str
    state: StateCode
    zip: ZipCode


class BillingProvider(Part):
    name: str
    npi: str
    tax_id: TaxId
    address: Address
    # ptbill extension: the clinic's Medicare payment locality (MAC-locality, e.g. 01112-75), which wins
    # over the locality guessed from the address's ZIP code.
    medicare_locality: LocalityCode | None = None


class RenderingProvider(Part):
    name: str
    npi: str
    credential: Credential


class SupervisingProvider(Part):
    name: str
    npi: str
    credential: Credential | None = None


class ReferringProvider(Part):
    name: str
    npi: str


class Patient(Part):
    id: str
    first_name: str
    last_name: str
    birth_date: IsoDate
    sex: Sex
    address: Address | None = None


class Authorization(Part):
    number: str
    visits_approved: Count | None = None
    visits_used: Count | None = None
    valid_from: IsoDate | None = None
    valid_to: IsoDate | None = None


class Subscriber(Part):
    """The insured person when it is not the patient (a ptbill extension of format 1)."""

    first_name: str
    last_name: str
    birth_date: IsoDate
    sex: Sex
    address: Address | None = None


class TherapyCarriedIn(Part):
    """Therapy the patient received elsewhere this calendar year (a ptbill extension of format 1).

    Medicare's KX threshold counts every provider's allowed amounts; ptbill counts its own claims and adds
    this amount, as read on ``as_of`` from ``source`` (the MAC portal, the eligibility response, the patient).
    """

    amount: Money
    source: SourceText
    as_of: IsoDate


class Coverage(Part):
    payer: NonEmptyText
    member_id: NonEmptyText
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


class AdvanceBeneficiaryNotice(Part):
    """A signed ABN on file for the visit's services (a ptbill extension of format 1)."""

    date_signed: IsoDate
    option: AbnOption
    services: AbnCodes

    def covers(self, code: str, day: date) -> bool:
        """Signed by the date of service, option 1 (bill Medicare), and listing the code."""
        return self.option is AbnOption.BILL_MEDICARE and self.date_signed <= day and code in self.services


class PlanOfCare(Part):
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
    recertification: Flag = False
    # ptbill additions (the plan an evaluation writes): a frequency range's upper end ("2-3x/week" is
    # frequency_per_week 2 and frequency_max_per_week 3) and the plan's duration in weeks.
    frequency_max_per_week: Count | None = None
    duration_weeks: Count | None = None

    @property
    def most_visits_per_week(self) -> int | None:
        return self.frequency_max_per_week if self.frequency_max_per_week is not None else self.frequency_per_week


class ForceChange(Part):
    at_minute: Count
    force_lbs: Force
    reason: str | None = None


class Traction(Part):
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


class Service(Part):
    code: ServiceCode
    modifiers: tuple[ModifierCode, ...] = ()
    diagnosis_pointers: tuple[Pointer, ...] = ()
    start_time: ClockTime | None = None
    end_time: ClockTime | None = None
    minutes: Count | None = None
    units: Count | None = None
    traction: Traction | None = None
    patient_response: str | None = None
    clinical_justification: str | None = None
    goal_ids: tuple[GoalId, ...] = ()  # ptbill addition: the goals this service's justification serves

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


class Encounter(Part):
    id: NonEmptyText
    date_of_service: IsoDate
    place_of_service: PlaceCode = "11"
    billing_provider: BillingProvider
    rendering_provider: RenderingProvider
    supervising_provider: SupervisingProvider | None = None
    referring_provider: ReferringProvider | None = None
    patient: Patient
    coverage: Coverage
    plan_of_care: PlanOfCare | None = None
    diagnoses: tuple[DiagnosisText, ...] = ()
    services: tuple[Service, ...] = ()
    total_treatment_minutes: Count | None = None
    abn: AdvanceBeneficiaryNotice | None = None  # ptbill extension: the ABN on file for this visit
    # ptbill additions, the whole visit (domain/note_content.py): absent in a format-1 document, which is a
    # daily treatment note with only the sections above.
    format: FormatOne | None = None
    note_type: NoteType = NoteType.DAILY_NOTE
    subjective: Subjective | None = None
    objective: Objective | None = None
    flowsheet: Rows[FlowsheetRow] = ()
    assessment: Text | None = None
    plan: Text | None = None
    goals: Rows[Goal] = ()

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


def validators_built() -> bool:
    """Whether pydantic's validators of the encounter are made (then pydantic reads every note)."""
    models = sys.modules.get("ptbill.domain.encounter_models")
    return models is not None and models.built()


def build_validators() -> None:
    """Build pydantic's validators of the encounter now (a server, before its first request; a long batch)."""
    from ptbill.domain.encounter_models import encounter_validator

    encounter_validator()
