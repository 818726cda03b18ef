"""The common case of reading an encounter, without building pydantic's validators (``ptbill check``'s start-up).

Building the encounter models' validators costs more than the rest of checking one note (issue 17). A note
that is plainly valid (each field of the type JSON gives it, already stripped, in the usual form, within its
bounds) is read here into the same frozen models, with the same values, types and set fields that
``Encounter.model_validate`` gives it. Anything else (a bad or unusual value, a whole-visit section, a
constraint this reader does not repeat) makes ``plain_encounter`` answer None, and the caller validates the
document with pydantic as before, so every error message stays pydantic's and ours, word for word.
``tests/unit/domain/test_encounter_plain.py`` proves the two agree on every example and rule case and on
generated mutations of them.
"""

from __future__ import annotations

import math
import re
from datetime import date, time
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

from ptbill.domain.encounter import (
    _DATE_RE as _DAY,  # the models' own forms: what they read, this reads
)
from ptbill.domain.encounter import (
    _DECIMAL_TEXT as _DECIMAL,
)
from ptbill.domain.encounter import (
    _TIME_RE as _CLOCK,
)
from ptbill.domain.encounter import (
    MAX_COUNT,
    AbnOption,
    Address,
    AdvanceBeneficiaryNotice,
    Authorization,
    BillingProvider,
    BodyRegion,
    Coverage,
    Credential,
    DeviceType,
    Encounter,
    ForceChange,
    Patient,
    PlanOfCare,
    ReferringProvider,
    Relationship,
    RenderingProvider,
    Service,
    Sex,
    Subscriber,
    SupervisingProvider,
    TherapyCarriedIn,
    Traction,
    TractionMode,
)
from ptbill.domain.note_content import MAX_TEXT, NoteType

_STATE = re.compile(r"[A-Z]{2}")
_ZIP = re.compile(r"[0-9]{5}(-?[0-9]{4})?")
_TAX_ID = re.compile(r"[0-9]{2}-?[0-9]{7}")
_LOCALITY = re.compile(r"[0-9]{5}-[0-9]{2}")
_CODE = re.compile(r"[A-Za-z0-9]{5}")
_MODIFIER = re.compile(r"[A-Za-z0-9]{2}")
_PLACE = re.compile(r"[0-9]{2}")
_GOAL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,19}")

E = TypeVar("E", bound=Enum)
M = TypeVar("M")


class _UnsureError(Exception):
    """Not plainly valid: pydantic decides, and words the problems."""


def plain_encounter(data: dict[str, Any]) -> Encounter | None:
    """The encounter ``Encounter.model_validate(data)`` would give, or None when pydantic must decide."""
    try:
        return _encounter(data)
    except _UnsureError:
        return None


def _text(value: Any, low: int = 0, high: int | None = None) -> str:
    # Already stripped: pydantic's stripping (Unicode White_Space) removes nothing Python's strip() keeps.
    if type(value) is not str or value != value.strip() or len(value) < low:
        raise _UnsureError
    if high is not None and len(value) > high:
        raise _UnsureError
    return value


def _form(value: Any, pattern: re.Pattern[str]) -> str:
    if type(value) is not str or pattern.fullmatch(value) is None:
        raise _UnsureError
    return value


def _count(value: Any, low: int = 0) -> int:
    if type(value) is not int or not low <= value <= MAX_COUNT:
        raise _UnsureError
    return value


def _day(value: Any) -> date:
    if type(value) is not str or _DAY.fullmatch(value) is None:
        raise _UnsureError
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _UnsureError from None


def _clock(value: Any) -> time:
    match = _CLOCK.fullmatch(value) if type(value) is str else None
    if match is None:
        raise _UnsureError
    hour, minute = int(match.group(1)), int(match.group(2))
    if hour > 23 or minute > 59:
        raise _UnsureError
    return time(hour, minute)


def _choice(value: Any, kind: type[E]) -> E:
    if type(value) is not str:
        raise _UnsureError
    member = kind._value2member_map_.get(value)
    if member is None:
        raise _UnsureError
    return member  # type: ignore[return-value]


def _decimal(value: Any, places: int | None = None, sign: int | None = None) -> Decimal:
    """A number of at most 12 digits (``places`` after the point at most): as pydantic reads it, an int as
    itself, a float as its shortest repr, text as written. ``sign`` 0: at least 0; 1: above 0."""
    if type(value) is int:
        number = Decimal(value)
    elif type(value) is float:
        text = repr(value)
        if not math.isfinite(value) or "e" in text or "E" in text:
            raise _UnsureError
        number = Decimal(text)
    elif type(value) is str and _DECIMAL.fullmatch(value) is not None:
        number = Decimal(value)
    else:
        raise _UnsureError
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    after = max(-exponent, 0)
    total = len(digits) + max(exponent, 0)
    if total > 12 or after > 12 or (places is not None and (after > places or total - after > 12 - places)):
        raise _UnsureError
    if (sign == 0 and number < 0) or (sign == 1 and number <= 0):
        raise _UnsureError
    return number


def _object(value: Any) -> dict[str, Any]:
    if type(value) is not dict:
        raise _UnsureError
    return value


def _rows(value: Any) -> list[Any]:
    """A list field whose null means empty (the models' before-validators)."""
    if value is None:
        return []
    if type(value) is not list:
        raise _UnsureError
    return value


def _model(kind: type[M], data: Any, readers: dict[str, Any], required: tuple[str, ...]) -> M:
    """``kind`` from the object ``data``: each field present read by its reader (None where its reader is
    None-able), the required ones present, every other key ignored as the models ignore it."""
    data = _object(data)
    for name in required:
        if name not in data:
            raise _UnsureError
    values = {name: reader(data[name]) for name, reader in readers.items() if name in data}
    return kind(**values)


def _optional(reader: Any) -> Any:
    return lambda value: None if value is None else reader(value)


def _address(data: Any) -> Address:
    readers = {
        "line1": _text,
        "line2": _optional(_text),
        "city": _text,
        "state": lambda v: _form(v, _STATE),
        "zip": lambda v: _form(v, _ZIP),
    }
    return _model(Address, data, readers, ("line1", "city", "state", "zip"))


def _billing(data: Any) -> BillingProvider:
    readers = {
        "name": _text,
        "npi": _text,
        "tax_id": lambda v: _form(v, _TAX_ID),
        "address": _address,
        "medicare_locality": _optional(lambda v: _form(v, _LOCALITY)),
    }
    return _model(BillingProvider, data, readers, ("name", "npi", "tax_id", "address"))


def _rendering(data: Any) -> RenderingProvider:
    readers = {"name": _text, "npi": _text, "credential": lambda v: _choice(v, Credential)}
    return _model(RenderingProvider, data, readers, ("name", "npi", "credential"))


def _supervising(data: Any) -> SupervisingProvider:
    readers = {"name": _text, "npi": _text, "credential": _optional(lambda v: _choice(v, Credential))}
    return _model(SupervisingProvider, data, readers, ("name", "npi"))


def _referring(data: Any) -> ReferringProvider:
    return _model(ReferringProvider, data, {"name": _text, "npi": _text}, ("name", "npi"))


_PERSON = {
    "first_name": _text,
    "last_name": _text,
    "birth_date": _day,
    "sex": lambda v: _choice(v, Sex),
    "address": _optional(_address),
}


def _patient(data: Any) -> Patient:
    readers = {"id": _text, **_PERSON}
    return _model(Patient, data, readers, ("id", "first_name", "last_name", "birth_date", "sex"))


def _subscriber(data: Any) -> Subscriber:
    return _model(Subscriber, data, _PERSON, ("first_name", "last_name", "birth_date", "sex"))


def _authorization(data: Any) -> Authorization:
    readers = {
        "number": _text,
        "visits_approved": _optional(_count),
        "visits_used": _optional(_count),
        "valid_from": _optional(_day),
        "valid_to": _optional(_day),
    }
    made = _model(Authorization, data, readers, ("number",))
    if made.valid_from and made.valid_to and made.valid_to < made.valid_from:
        raise _UnsureError
    return made


def _carried_in(data: Any) -> TherapyCarriedIn:
    readers = {"amount": lambda v: _decimal(v, 2, 0), "source": lambda v: _text(v, 1, 200), "as_of": _day}
    return _model(TherapyCarriedIn, data, readers, ("amount", "source", "as_of"))


def _coverage(data: Any) -> Coverage:
    readers = {
        "payer": lambda v: _text(v, 1),
        "member_id": lambda v: _text(v, 1),
        "group_number": _optional(_text),
        "relationship": lambda v: _choice(v, Relationship),
        "authorization": _optional(_authorization),
        "therapy_charges_ytd": _optional(lambda v: _decimal(v, 2, 0)),
        "therapy_carried_in": _optional(_carried_in),
        "subscriber": _optional(_subscriber),
    }
    return _model(Coverage, data, readers, ("payer", "member_id"))


def _abn_option(value: Any) -> AbnOption:
    if type(value) is not int or value not in (1, 2, 3):
        raise _UnsureError
    return AbnOption(value)


def _abn_codes(value: Any) -> tuple[str, ...]:
    if type(value) is not list or not value:  # null or empty: pydantic names the problem
        raise _UnsureError
    return tuple(_form(code, _CODE).upper() for code in value)


def _abn(data: Any) -> AdvanceBeneficiaryNotice:
    readers = {"date_signed": _day, "option": _abn_option, "services": _abn_codes}
    return _model(AdvanceBeneficiaryNotice, data, readers, ("date_signed", "option", "services"))


_PLAN_COUNTS = (
    "frequency_per_week",
    "visit_number",
    "visits_since_progress_report",
    "frequency_max_per_week",
    "duration_weeks",
)
_PLAN_DAYS = ("certified_date", "end_date", "order_signed_date", "sent_to_referrer_date")


def _recertification(value: Any) -> bool:
    if value is None:
        return False
    if type(value) is not bool:
        raise _UnsureError
    return value


def _plan(data: Any) -> PlanOfCare:
    readers: dict[str, Any] = {"start_date": _day, "recertification": _recertification}
    readers.update(dict.fromkeys(_PLAN_DAYS, _optional(_day)))
    readers.update(dict.fromkeys(_PLAN_COUNTS, _optional(_count)))
    made = _model(PlanOfCare, data, readers, ("start_date",))
    if made.end_date and made.end_date < made.start_date:
        raise _UnsureError
    low, high = made.frequency_per_week, made.frequency_max_per_week
    if low is not None and high is not None and high < low:
        raise _UnsureError
    return made


def _force(value: Any) -> Decimal:
    return _decimal(value, sign=1)


def _force_change(data: Any) -> ForceChange:
    readers = {"at_minute": _count, "force_lbs": _force, "reason": _optional(_text)}
    return _model(ForceChange, data, readers, ("at_minute", "force_lbs"))


def _traction(data: Any) -> Traction:
    readers = {
        "body_region": _optional(lambda v: _choice(v, BodyRegion)),
        "device_type": _optional(lambda v: _choice(v, DeviceType)),
        "device_name": _optional(_text),
        "mode": _optional(lambda v: _choice(v, TractionMode)),
        "force_lbs": _optional(_force),
        "force_changes": lambda v: tuple(_force_change(row) for row in _rows(v)),
        "angle_deg": _optional(_decimal),
        "hold_seconds": _optional(_count),
        "rest_seconds": _optional(_count),
        "patient_position": _optional(_text),
        "monitoring_checks": lambda v: tuple(_clock(check) for check in _rows(v)),
    }
    return _model(Traction, data, readers, ())


def _modifier(value: Any) -> str:
    return _form(value, _MODIFIER).upper()


def _service(data: Any) -> Service:
    readers = {
        "code": lambda v: _form(v, _CODE).upper(),
        "modifiers": lambda v: tuple(_modifier(m) for m in _rows(v)),
        "diagnosis_pointers": lambda v: tuple(_count(p, -MAX_COUNT) for p in _rows(v)),
        "start_time": _optional(_clock),
        "end_time": _optional(_clock),
        "minutes": _optional(_count),
        "units": _optional(_count),
        "traction": _optional(_traction),
        "patient_response": _optional(_text),
        "clinical_justification": _optional(_text),
        "goal_ids": lambda v: tuple(_form(goal, _GOAL_ID) for goal in _rows(v)),
    }
    made = _model(Service, data, readers, ("code",))
    if made.start_time and made.end_time and made.end_time < made.start_time:
        raise _UnsureError
    return made


def _no_section(value: Any) -> None:
    """The whole-visit sections (note_content.py) are left to pydantic when a note has them."""
    if value is not None:
        raise _UnsureError


def _no_rows(value: Any) -> tuple[()]:
    if _rows(value):
        raise _UnsureError
    return ()


def _format(value: Any) -> int | None:
    if value is None or (type(value) is int and value == 1):
        return value
    raise _UnsureError


def _encounter(data: dict[str, Any]) -> Encounter:
    readers = {
        "id": lambda v: _text(v, 1),
        "date_of_service": _day,
        "place_of_service": lambda v: "11" if v is None else _form(v, _PLACE),
        "billing_provider": _billing,
        "rendering_provider": _rendering,
        "supervising_provider": _optional(_supervising),
        "referring_provider": _optional(_referring),
        "patient": _patient,
        "coverage": _coverage,
        "plan_of_care": _optional(_plan),
        "diagnoses": lambda v: tuple(_text(code, 3, 8) for code in _rows(v)),
        "services": lambda v: tuple(_service(service) for service in _rows(v)),
        "total_treatment_minutes": _optional(_count),
        "abn": _optional(_abn),
        "format": _format,
        "note_type": lambda v: NoteType.DAILY_NOTE if v is None else _choice(v, NoteType),
        "subjective": _no_section,
        "objective": _no_section,
        "flowsheet": _no_rows,
        "assessment": _optional(lambda v: _text(v, 0, MAX_TEXT)),
        "plan": _optional(lambda v: _text(v, 0, MAX_TEXT)),
        "goals": _no_rows,
    }
    required = ("id", "date_of_service", "billing_provider", "rendering_provider", "patient", "coverage")
    return _model(Encounter, data, readers, required)
