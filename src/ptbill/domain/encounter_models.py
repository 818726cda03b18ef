"""pydantic's validators of the note's parts, made at first use from the parts' own declarations.

The parts (``Encounter`` and everything in it, ``encounter.py`` and ``note_content.py``) are plain values
(``parts.py``). Each field's annotation names its kind; ``KINDS`` says what each kind is to pydantic (the
constraint, the callback that words a problem). For each part this module makes a pydantic model of the same
name, fields, defaults and validators, then hands pydantic-core that model's schema with the part in the
model's place: pydantic validates straight into the part, with no copy, and every error keeps the location,
type and message the models always gave (``encounter_json.problems_of`` words them).

Importing this module imports pydantic (about a tenth of a second): only a note the plain reader leaves to
pydantic, a server (``build_validators``), a long batch and the places that validate a part alone load it.
"""

from __future__ import annotations

import functools
import threading
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, create_model
from pydantic import field_validator as on_field
from pydantic import model_validator as on_model
from pydantic_core import SchemaSerializer, SchemaValidator

from ptbill.domain import encounter, note_content
from ptbill.domain.encounter import _DATE_RE as _DATE
from ptbill.domain.encounter import _DECIMAL_TEXT, MAX_COUNT
from ptbill.domain.encounter import _TIME_RE as _CLOCK
from ptbill.domain.note_content import _GOAL_ID, MAX_NAME, MAX_ROWS, MAX_TEXT, duplicate_goal_ids
from ptbill.domain.parts import Part


def _parse_iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("not a date (expected YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a date") from None


def _parse_clock_time(value: Any) -> Any:
    if isinstance(value, time):
        return value
    match = _CLOCK.fullmatch(value) if isinstance(value, str) else None
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


class _Rows:
    """``Rows[X]``: a tuple of X, at most MAX_ROWS of them."""

    def __class_getitem__(cls, item: Any) -> Any:
        return Annotated[tuple[item, ...], Field(max_length=MAX_ROWS)]


# A constraint written before the BeforeValidator is pydantic's native one (checked in its core), after it a
# Python callback. Native where the accepted values and the message stay the same: bounds of whole numbers and
# the digits of an Amount. Money and Force keep the callback: the native check tests the digits before the
# sign, so a large negative amount would be told "more than 12 digits" instead of "greater than or equal to 0".
# Dates and clock times keep theirs too: pydantic's own parsing takes other forms (timestamps, datetimes).
# Degrees keeps the callback, since natively its digits would be tested before its bounds (another message).
KINDS: dict[str, Any] = {
    "IsoDate": Annotated[date, BeforeValidator(_parse_iso_date)],
    "ClockTime": Annotated[time, BeforeValidator(_parse_clock_time)],
    "Count": Annotated[int, Field(ge=0, le=MAX_COUNT, strict=False), BeforeValidator(_reject_bool)],
    "Pointer": Annotated[int, Field(ge=-MAX_COUNT, le=MAX_COUNT), BeforeValidator(_reject_bool)],
    "Money": Annotated[Decimal, BeforeValidator(_plain_number), Field(ge=0, max_digits=12, decimal_places=2)],
    "Amount": Annotated[Decimal, Field(max_digits=12), BeforeValidator(_plain_number)],
    "Force": Annotated[Decimal, BeforeValidator(_plain_number), Field(gt=0, max_digits=12)],
    "Flag": StrictBool,
    "NonEmptyText": Annotated[str, Field(min_length=1)],
    "SourceText": Annotated[str, Field(min_length=1, max_length=200)],
    "StateCode": Annotated[str, Field(pattern=r"^[A-Z]{2}$")],
    "ZipCode": Annotated[str, Field(pattern=r"^[0-9]{5}(-?[0-9]{4})?$")],
    "TaxId": Annotated[str, Field(pattern=r"^[0-9]{2}-?[0-9]{7}$")],
    "LocalityCode": Annotated[str, Field(pattern=r"^[0-9]{5}-[0-9]{2}$")],
    "PlaceCode": Annotated[str, Field(pattern=r"^[0-9]{2}$")],
    "ServiceCode": Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9]{5}$")],
    "ModifierCode": Annotated[str, Field(pattern=r"^[A-Za-z0-9]{2}$")],
    "DiagnosisText": Annotated[str, Field(min_length=3, max_length=8)],
    "AbnCodes": Annotated[tuple[Annotated[str, Field(pattern=r"^[A-Za-z0-9]{5}$")], ...], Field(min_length=1)],
    "AbnOption": Annotated[encounter.AbnOption, BeforeValidator(_reject_bool)],
    "FormatOne": Literal[1],
    "Rows": _Rows,
    "Text": Annotated[str, Field(max_length=MAX_TEXT)],
    "Name": Annotated[str, Field(min_length=1, max_length=MAX_NAME)],
    "Pain": Annotated[int, Field(ge=0, le=10), BeforeValidator(_plain_number)],
    "Degrees": Annotated[
        Decimal, BeforeValidator(_plain_number), Field(ge=-360, le=360, max_digits=6, decimal_places=1)
    ],
    "Score": Annotated[Decimal, Field(max_digits=8, decimal_places=2), BeforeValidator(_plain_number)],
    "SmallCount": Annotated[int, Field(ge=0, le=9_999), BeforeValidator(_plain_number)],
    "GoalId": Annotated[str, Field(pattern=_GOAL_ID.pattern)],
    "MuscleGrade": Annotated[str, Field(pattern=r"^[0-5][+-]?$")],
    "Load": Annotated[str, Field(max_length=40)],
    "ShortText": Annotated[str, Field(max_length=400)],
    "Description": Annotated[str, Field(min_length=1, max_length=1_000)],
    "Progress": Annotated[str, Field(max_length=1_000)],
}


def _null_is_empty(cls: Any, value: Any) -> Any:
    return () if value is None else value


def _authorization_dates(self: Any) -> Any:
    if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
        raise ValueError(f"valid_to {self.valid_to} is before valid_from {self.valid_from}")
    return self


def _upper_codes(cls: Any, value: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(code.upper() for code in value)


def _null_is_initial(cls: Any, value: Any) -> Any:
    return False if value is None else value


def _plan_dates(self: Any) -> Any:
    if self.end_date and self.end_date < self.start_date:
        raise ValueError(f"end_date {self.end_date} is before start_date {self.start_date}")
    low, high = self.frequency_per_week, self.frequency_max_per_week
    if low is not None and high is not None and high < low:
        raise ValueError(f"frequency_max_per_week {high} is below frequency_per_week {low}")
    return self


def _upper_code(cls: Any, value: str) -> str:
    return value.upper()


def _modifiers(cls: Any, value: Any) -> Any:
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(m.upper() if isinstance(m, str) else m for m in value)
    return value


def _end_after_start(self: Any) -> Any:
    if self.start_time and self.end_time and self.end_time < self.start_time:
        raise ValueError(f"end_time {self.end_time:%H:%M} is before start_time {self.start_time:%H:%M}")
    return self


def _null_is_daily(cls: Any, value: Any) -> Any:
    return note_content.NoteType.DAILY_NOTE if value is None else value


def _unique_goals(cls: Any, value: tuple[Any, ...]) -> tuple[Any, ...]:
    problems = duplicate_goal_ids(value)
    if problems:
        raise ValueError("; ".join(problems))
    return value


def _default_place(cls: Any, value: Any) -> Any:
    return "11" if value is None else value


def _on_scale(self: Any) -> Any:
    if self.scale_max <= self.scale_min:
        raise ValueError(f"scale_max {self.scale_max} is not above scale_min {self.scale_min}")
    if not self.scale_min <= self.score <= self.scale_max:
        raise ValueError(f"score {self.score} is outside its scale {self.scale_min}-{self.scale_max}")
    return self


# What each part checks beyond its fields' kinds: null read as empty or as the default, codes in upper case,
# dates in order. Each model validator sees the part itself.
_VALIDATORS: dict[type[Part], dict[str, Any]] = {
    encounter.Authorization: {"_dates_in_order": on_model(mode="after")(_authorization_dates)},
    encounter.AdvanceBeneficiaryNotice: {"_upper_codes": on_field("services", mode="after")(_upper_codes)},
    encounter.PlanOfCare: {
        "_null_is_initial": on_field("recertification", mode="before")(_null_is_initial),
        "_dates_in_order": on_model(mode="after")(_plan_dates),
    },
    encounter.Traction: {
        "_null_is_empty": on_field("force_changes", "monitoring_checks", mode="before")(_null_is_empty)
    },
    encounter.Service: {
        "_upper_code": on_field("code", mode="after")(_upper_code),
        "_modifiers": on_field("modifiers", mode="before")(_modifiers),
        "_pointers": on_field("diagnosis_pointers", "goal_ids", mode="before")(_null_is_empty),
        "_end_after_start": on_model(mode="after")(_end_after_start),
    },
    encounter.Encounter: {
        "_null_is_daily": on_field("note_type", mode="before")(_null_is_daily),
        "_null_is_no_rows": on_field("flowsheet", "goals", mode="before")(_null_is_empty),
        "_unique_goals": on_field("goals", mode="after")(_unique_goals),
        "_default_place": on_field("place_of_service", mode="before")(_default_place),
        "_null_is_empty": on_field("diagnoses", "services", mode="before")(_null_is_empty),
    },
    note_content.OutcomeMeasure: {"_on_scale": on_model(mode="after")(_on_scale)},
    note_content.Objective: {
        "_null_is_empty": on_field("range_of_motion", "strength", "special_tests", "outcome_measures", mode="before")(
            _null_is_empty
        ),
    },
}

# Every part, each after the parts its fields hold.
PARTS: tuple[type[Part], ...] = (
    note_content.Subjective,
    note_content.RangeOfMotion,
    note_content.Strength,
    note_content.SpecialTest,
    note_content.OutcomeMeasure,
    note_content.Objective,
    note_content.FlowsheetRow,
    note_content.Goal,
    encounter.Address,
    encounter.BillingProvider,
    encounter.RenderingProvider,
    encounter.SupervisingProvider,
    encounter.ReferringProvider,
    encounter.Patient,
    encounter.Authorization,
    encounter.Subscriber,
    encounter.TherapyCarriedIn,
    encounter.Coverage,
    encounter.AdvanceBeneficiaryNotice,
    encounter.PlanOfCare,
    encounter.ForceChange,
    encounter.Traction,
    encounter.Service,
    encounter.Encounter,
)


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore", str_strip_whitespace=True, defer_build=True)


def _model_of(part: type[Part], namespace: dict[str, Any]) -> type[BaseModel]:
    """The pydantic model of ``part``: its annotations read with each kind and part name as pydantic's."""
    fields: dict[str, Any] = {}
    for name in part._fields:
        annotation = eval(part.__annotations__[name], namespace)
        fields[name] = (annotation, part._defaults[name]) if name in part._defaults else (annotation, ...)
    return create_model(
        part.__name__, __base__=_Model, __module__=__name__, __validators__=_VALIDATORS.get(part, {}), **fields
    )


def _with_parts(schema: Any, parts: dict[type[BaseModel], type[Part]]) -> Any:
    """A copy of a core schema with each of our models' places taken by its part."""
    if isinstance(schema, dict):
        copied = {key: _with_parts(value, parts) for key, value in schema.items()}
        if copied.get("type") == "model" and copied.get("cls") in parts:
            copied["cls"] = parts[copied["cls"]]
        return copied
    if isinstance(schema, list):
        return [_with_parts(value, parts) for value in schema]
    return schema


class _Built:
    """The models of every part, made with their validators deferred; each part's schema made at its first use."""

    def __init__(self) -> None:
        namespace: dict[str, Any] = {**vars(note_content), **vars(encounter), **KINDS}
        self.models: dict[type[Part], type[BaseModel]] = {}
        for part in PARTS:
            model = _model_of(part, namespace)
            namespace[part.__name__] = model
            self.models[part] = model
        self.parts = {model: part for part, model in self.models.items()}
        self.schemas: dict[type[Part], Any] = {}
        self.validators: dict[type[Part], SchemaValidator] = {}
        self.serializers: dict[type[Part], SchemaSerializer] = {}
        self.lock = threading.Lock()

    def schema(self, part: type[Part]) -> Any:
        schema = self.schemas.get(part)
        if schema is None:
            with self.lock:
                model = self.models[part]
                model.model_rebuild()  # the schema of the model and of the parts it holds, made once
                schema = self.schemas[part] = _with_parts(model.__pydantic_core_schema__, self.parts)
        return schema


@functools.cache  # once per process; a server makes them before its first request (build_validators)
def _parts() -> _Built:
    return _Built()


def built() -> bool:
    """Whether the validators are made (``encounter_json`` reads a note in pydantic's JSON mode once they are)."""
    return _parts.cache_info().currsize > 0


def core_schema_of(part: type[Part]) -> Any:
    """pydantic-core's schema of a part, which validates into the part (``Part.__get_pydantic_core_schema__``)."""
    return _parts().schema(part)


def validator_of(part: type[Part]) -> SchemaValidator:
    """The validator of one part: ``validate_python`` and ``validate_json`` raise pydantic's ValidationError."""
    made = _parts()
    validator = made.validators.get(part)
    if validator is None:
        validator = made.validators[part] = SchemaValidator(made.schema(part))
    return validator


def encounter_validator() -> SchemaValidator:
    return validator_of(encounter.Encounter)


def dump_part(part: Part) -> dict[str, Any]:
    """A part as JSON values without its empty (None) fields, as pydantic's ``model_dump(mode="json",
    exclude_none=True)`` gave it: dates and times in ISO form, numbers as text."""
    made = _parts()
    kind = type(part)
    serializer = made.serializers.get(kind)
    if serializer is None:
        serializer = made.serializers[kind] = SchemaSerializer(made.schema(kind))
    return serializer.to_python(part, mode="json", exclude_none=True)  # type: ignore[no-any-return]
