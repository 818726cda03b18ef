"""The traction note form and encounter format 1, both ways.

Every input is named by the document path it fills (``services[0].traction.force_lbs``), so a rule's
``field`` names the input its finding belongs beside. The live check and the save build the
document with the same function from the same form, so what the therapist sees checked is what is
stored. Text the therapist typed is passed on as typed when it is not a number or list the builder
understands: the format check then names the field, instead of the builder silently dropping it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ptbill.services.clinic import Clinic
from ptbill.services.patients import Coverage, Patient
from ptbill.web import note_sections
from ptbill.web.inputs import clock_time

TRACTION_CODE = "97012"
T = "services[0].traction."  # the traction section's input names start with this
DIAGNOSIS_ROWS = 4  # a claim line points to at most four diagnoses
FORCE_CHANGE_ROWS = 2
OTHER_SERVICE_ROWS = 4

BODY_REGIONS = [
    ("lumbar", "Lumbar"),
    ("cervical", "Cervical"),
    ("thoracic", "Thoracic"),
    ("pelvic", "Pelvic"),
    ("upper_extremity", "Upper extremity"),
    ("lower_extremity", "Lower extremity"),
]
# Only a device that applies a consistent, controlled force qualifies for 97012 (encounter format 1).
MECHANICAL_DEVICES = [
    ("motorized_table", "Motorized traction table", ""),
    ("cervical_device", "Mechanical cervical unit", ""),
    ("decompression_table", "Decompression table (VAX-D, DRX…)", "Medicare does not cover it; many plans want S9090"),
]
OTHER_DEVICES = [
    ("manual", "Manual, hands-on traction", "bill it inside 97140 manual therapy"),
    ("roller_table", "Roller table", ""),
    ("over_door_weights", "Over-door weights", ""),
    ("inversion_table", "Inversion table", ""),
    ("pneumatic_home_unit", "Pneumatic home unit", ""),
    ("other", "Other", ""),
]
MODES = [("intermittent", "Intermittent"), ("static", "Static (sustained)")]
PLACES_OF_SERVICE = [("11", "11 Office"), ("22", "22 Outpatient hospital"), ("12", "12 Home"), ("02", "02 Telehealth")]
OTHER_CODES = ["97110", "97140", "97112", "97530", "97116", "97535", "97035", "97032", "G0283", "97014", "97010"]
EVALUATION_CODES = ["97161", "97162", "97163", "97164"]  # PT evaluation (low, moderate, high complexity), re-evaluation
DEVICE_LABELS = {value: label for value, label, _hint in MECHANICAL_DEVICES + OTHER_DEVICES}
CARRIED = {  # traction inputs that start from the last visit, and how a previous value reads
    "body_region": dict(BODY_REGIONS),
    "device_type": DEVICE_LABELS,
    "device_name": None,
    "mode": dict(MODES),
    "force_lbs": "lb",
    "angle_deg": "°",
    "hold_seconds": "s hold",
    "rest_seconds": "s rest",
    "patient_position": None,
}

# ASCII digits only ("٣" is text, not 3), and few enough that int() takes them: a longer number stays
# text, and the format check names its field. A row index of three digits or more is no row of this form.
_INTEGER = re.compile(r"^-?[0-9]{1,15}$")
_DECIMAL = re.compile(r"^-?[0-9]{0,15}\.[0-9]{1,15}$")
_ROW = re.compile(r"^([0-9]{1,2})\]")
_INDEXED = re.compile(r"^services\[([0-9]{1,2})\]\.code$")
_SPLIT = re.compile(r"[\s,;]+")
_CLOCK = re.compile(r"^([0-9]{1,2}):([0-9]{2})$")


@dataclass(frozen=True, slots=True)
class NoteParties:
    """The rows a note's header is copied from: the clinic, the clinician, the patient and the coverage."""

    clinic: Clinic
    rendering_provider: dict[str, Any]
    patient: Patient
    coverage: Coverage | None


@dataclass(slots=True)
class BuiltNote:
    """An encounter document, and where its renumbered parts sit on the form.

    Empty rows of the form are left out of the document, so a later row's index shifts;
    ``renames`` maps a document path prefix back to the form's.
    """

    document: dict[str, Any]
    renames: dict[str, str] = field(default_factory=dict)

    def form_field(self, path: str | None) -> str | None:
        if not path:
            return path
        for prefix in sorted(self.renames, key=len, reverse=True):
            if path == prefix or path.startswith((prefix + ".", prefix + "[")):
                return self.renames[prefix] + path[len(prefix) :]
        return path


def new_encounter_id(day: date) -> str:
    """The clinic-unique id a new note keeps for life; it becomes the claim's patient control number."""
    return f"N{day:%Y%m%d}-{secrets.token_hex(3).upper()}"


def _text(form: Mapping[str, str], name: str) -> str | None:
    value = form.get(name, "").strip()
    return value or None


def _number(form: Mapping[str, str], name: str) -> Any:
    value = _text(form, name)
    if value is None:
        return None
    if _INTEGER.match(value):
        return int(value)
    if _DECIMAL.match(value):
        return float(value)
    return value  # the format check names the field and quotes the text


def _words(form: Mapping[str, str], name: str) -> list[str]:
    return [part.upper() for part in _SPLIT.split(form.get(name, "")) if part]


def _pointers(form: Mapping[str, str], name: str) -> list[Any]:
    return [int(part) if _INTEGER.match(part) else part for part in _SPLIT.split(form.get(name, "")) if part]


def _times(form: Mapping[str, str], name: str) -> list[str]:
    return [clock_time(part) or part for part in _SPLIT.split(form.get(name, "")) if part]


def _address(line1: str | None, city: str | None, state: str | None, zip_code: str | None) -> dict[str, Any] | None:
    if not line1:
        return None
    return {"line1": line1, "city": city, "state": state, "zip": zip_code}


def _person(form: Mapping[str, str], prefix: str, credential: bool = False) -> dict[str, Any] | None:
    name, npi = _text(form, f"{prefix}.name"), _text(form, f"{prefix}.npi")
    if name is None and npi is None:
        return None
    person: dict[str, Any] = {"name": name, "npi": npi}
    if credential:
        person["credential"] = _text(form, f"{prefix}.credential")
    return person


# The plan's dates; the order and the day the plan was sent certify an initial Medicare plan from 2025.
PLAN_DATES = ("start_date", "certified_date", "end_date", "order_signed_date", "sent_to_referrer_date")


def build_document(form: Mapping[str, str], parties: NoteParties) -> BuiltNote:
    """The encounter (format 1) the form describes; the header parts come from the rows, never the form."""
    built = BuiltNote({})
    clinic, patient, coverage = parties.clinic, parties.patient, parties.coverage
    plan_fields = PLAN_DATES
    plan_counts = ("frequency_per_week", "visit_number", "visits_since_progress_report")
    plan = {name: _text(form, f"plan_of_care.{name}") for name in plan_fields}
    plan.update({name: _number(form, f"plan_of_care.{name}") for name in plan_counts})
    plan.update(note_sections.plan_additions(form))

    diagnoses = [form.get(f"diagnoses[{i}]", "").strip().upper() for i in range(_rows(form, "diagnoses[", 0))]
    while diagnoses and not diagnoses[-1]:
        diagnoses.pop()  # empty rows at the end are unused; an empty row in the middle is reported

    traction = {
        "body_region": _text(form, T + "body_region"),
        "device_type": _text(form, T + "device_type"),
        "device_name": _text(form, T + "device_name"),
        "mode": _text(form, T + "mode"),
        "force_lbs": _number(form, T + "force_lbs"),
        "force_changes": [],
        "angle_deg": _number(form, T + "angle_deg"),
        "hold_seconds": _number(form, T + "hold_seconds"),
        "rest_seconds": _number(form, T + "rest_seconds"),
        "patient_position": _text(form, T + "patient_position"),
        "monitoring_checks": _times(form, T + "monitoring_checks"),
    }
    for row in range(_rows(form, T + "force_changes[", FORCE_CHANGE_ROWS)):
        prefix = f"{T}force_changes[{row}]"
        change = {
            "at_minute": _number(form, f"{prefix}.at_minute"),
            "force_lbs": _number(form, f"{prefix}.force_lbs"),
            "reason": _text(form, f"{prefix}.reason"),
        }
        if any(value is not None for value in change.values()):
            index = len(traction["force_changes"])
            if index != row:
                built.renames[f"{T}force_changes[{index}]"] = prefix
            traction["force_changes"].append(change)

    services: list[dict[str, Any]] = [
        {
            "code": TRACTION_CODE,
            "modifiers": _words(form, "services[0].modifiers"),
            "diagnosis_pointers": _pointers(form, "services[0].diagnosis_pointers"),
            "start_time": clock_time(_text(form, "services[0].start_time")),  # "0905" typed is 09:05
            "end_time": clock_time(_text(form, "services[0].end_time")),
            "traction": traction,
            "patient_response": _text(form, "services[0].patient_response"),
            "clinical_justification": _text(form, "services[0].clinical_justification"),
        }
    ]
    for row in _service_rows(form):
        code = _text(form, f"services[{row}].code")
        if code is None:
            continue  # a row left empty, or cleared because the service was not given today
        index = len(services)
        if index != row:
            built.renames[f"services[{index}]"] = f"services[{row}]"
        services.append(
            {
                "code": code.upper(),
                "modifiers": _words(form, f"services[{row}].modifiers"),
                "diagnosis_pointers": _pointers(form, f"services[{row}].diagnosis_pointers"),
                "minutes": _number(form, f"services[{row}].minutes"),
            }
        )

    if ids := note_sections.goal_ids(form, "services[0].goal_ids"):
        services[0]["goal_ids"] = ids
    coverage_part: dict[str, Any] = {}
    if coverage is not None:
        coverage_part = {
            "payer": coverage.payer_id,
            "member_id": coverage.member_id,
            "group_number": coverage.group_number,
            "relationship": coverage.relationship_to_insured,
            "authorization": coverage.authorization,
            "therapy_charges_ytd": _number(form, "coverage.therapy_charges_ytd"),
        }
    built.document = {
        "id": _text(form, "id"),
        "date_of_service": _text(form, "date_of_service"),
        "place_of_service": _text(form, "place_of_service") or "11",
        "billing_provider": {
            "name": clinic.name.replace(" (demo)", ""),
            "npi": clinic.npi,
            "tax_id": clinic.tax_id,
            "address": _address(clinic.address_line1, clinic.city, clinic.state, clinic.zip),
        },
        "rendering_provider": parties.rendering_provider,
        "supervising_provider": _person(form, "supervising_provider", credential=True),
        "referring_provider": _person(form, "referring_provider"),
        "patient": {
            "id": patient.chart_number,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex,
            "address": _address(patient.address_line1, patient.city, patient.state, patient.zip),
        },
        "coverage": coverage_part,
        "plan_of_care": plan if any(value is not None for value in plan.values()) else None,
        "diagnoses": diagnoses,
        "services": services,
        "total_treatment_minutes": _number(form, "total_treatment_minutes"),
    }
    parts, renames = note_sections.build_sections(form)
    built.document.update(parts)
    built.renames.update(renames)
    return built


def _rows(form: Mapping[str, str], prefix: str, minimum: int) -> int:
    """How many rows of a repeated group (``diagnoses[3]`` ...) the form holds, at least ``minimum``."""
    found = [minimum]
    for key in form:
        if key.startswith(prefix) and (row := _ROW.match(key[len(prefix) :])):
            found.append(int(row.group(1)) + 1)
    return max(found)


def _service_rows(form: Mapping[str, str]) -> list[int]:
    return sorted({int(m.group(1)) for key in form if (m := _INDEXED.match(key)) and m.group(1) != "0"})


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def form_values(document: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The form inputs that show a stored document, and document-path renames for its findings.

    The traction line goes first on the form whatever its place in the document.
    """
    values: dict[str, str] = {}
    renames: dict[str, str] = {}
    for name in ("id", "date_of_service", "place_of_service", "total_treatment_minutes"):
        values[name] = _shown(document.get(name))
    for party in ("referring_provider", "supervising_provider"):
        for key in ("name", "npi", "credential"):
            values[f"{party}.{key}"] = _shown((document.get(party) or {}).get(key))
    values["coverage.therapy_charges_ytd"] = _shown((document.get("coverage") or {}).get("therapy_charges_ytd"))
    for key, value in (document.get("plan_of_care") or {}).items():
        values[f"plan_of_care.{key}"] = _shown(value)
    for index, code in enumerate(document.get("diagnoses") or []):
        values[f"diagnoses[{index}]"] = _shown(code)

    services = list(document.get("services") or [])
    traction_index = next((i for i, s in enumerate(services) if s.get("code") == TRACTION_CODE), None)
    # Row 0 is the traction section; the other services fill rows 1, 2 ... in their document order.
    others = [i for i in range(len(services)) if i != traction_index]
    rows = ([(0, traction_index)] if traction_index is not None else []) + list(enumerate(others, start=1))
    for row, index in rows:
        service = services[index]
        if index != row:
            renames[f"services[{index}]"] = f"services[{row}]"
        prefix = f"services[{row}]"
        values[f"{prefix}.code"] = _shown(service.get("code"))
        values[f"{prefix}.modifiers"] = ", ".join(service.get("modifiers") or [])
        values[f"{prefix}.diagnosis_pointers"] = ", ".join(_shown(p) for p in service.get("diagnosis_pointers") or [])
        values[f"{prefix}.minutes"] = _shown(service.get("minutes"))
        if row == 0:
            for key in ("start_time", "end_time", "patient_response", "clinical_justification"):
                values[f"{prefix}.{key}"] = _shown(service.get(key))
            values[f"{prefix}.goal_ids"] = ", ".join(service.get("goal_ids") or [])
            traction = service.get("traction") or {}
            for key in CARRIED:
                values[T + key] = _shown(traction.get(key))
            values[T + "monitoring_checks"] = ", ".join(traction.get("monitoring_checks") or [])
            for number, change in enumerate(traction.get("force_changes") or []):
                for key in ("at_minute", "force_lbs", "reason"):
                    values[f"{T}force_changes[{number}].{key}"] = _shown(change.get(key))
    values.update(note_sections.section_values(document))
    return values, renames


def previous_force_story(previous: Mapping[str, Any] | None) -> str | None:
    """How the force went last visit, when it was changed during the session."""
    traction = (previous or {}).get("traction") or {}
    changes = traction.get("force_changes") or []
    if not changes or traction.get("force_lbs") is None:
        return None
    last = changes[-1]
    return (
        f"Last visit started at {_shown(traction['force_lbs'])} lb and was changed to "
        f"{_shown(last.get('force_lbs'))} lb at minute {_shown(last.get('at_minute'))}."
    )


def _clock(value: Any) -> int | None:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    return int(match.group(1)) * 60 + int(match.group(2)) if match else None


def documented_minutes(document: Mapping[str, Any]) -> int | None:
    """The minutes the services add up to, from clock times or minutes: a hint beside the total."""
    total, seen = 0, False
    for service in document.get("services") or []:
        start, end = _clock(service.get("start_time")), _clock(service.get("end_time"))
        minutes = service.get("minutes")
        if start is not None and end is not None and end >= start:
            total, seen = total + end - start, True
        elif isinstance(minutes, int):
            total, seen = total + minutes, True
    return total if seen else None


def form_minutes(values: Mapping[str, str]) -> int | None:
    """``documented_minutes`` of the form as it stands, before any document is built."""
    services: list[dict[str, Any]] = [
        {key: clock_time(values.get(f"services[0].{key}")) for key in ("start_time", "end_time")}
    ]
    services += [
        {"minutes": _number(values, f"services[{row}].minutes")}
        for row in _service_rows(values)
        if _text(values, f"services[{row}].code")
    ]
    return documented_minutes({"services": services})


def problem_fields(problems: list[str]) -> list[dict[str, str | None]]:
    """Format problems ("services[0].start_time: not a clock time") as findings placed by field."""
    out: list[dict[str, str | None]] = []
    for problem in problems:
        where, _, message = problem.partition(": ")
        placed = where if message and where != "(document)" else None
        out.append({"field": placed, "message": message if placed else problem})
    return out


def row_counts(values: Mapping[str, str]) -> dict[str, Any]:
    """How many rows of each repeated group the form shows: the stored ones plus a spare."""
    stored = _service_rows(values)
    last = max(stored, default=0)
    return {
        "diagnoses": _rows(values, "diagnoses[", DIAGNOSIS_ROWS),
        "force_changes": _rows(values, T + "force_changes[", FORCE_CHANGE_ROWS),
        "services": list(range(1, max(last + 2, OTHER_SERVICE_ROWS + 1))),
        **note_sections.row_counts(values),
    }


def field_names(counts: Mapping[str, Any], supervising: bool = False) -> set[str]:
    """Every place on the form a finding can be shown beside (``note.html`` has a findings box for each)."""
    names = {
        "date_of_service",
        "place_of_service",
        "patient",
        "coverage",
        "coverage.therapy_charges_ytd",
        "referring_provider.name",
        "referring_provider.npi",
        "plan_of_care",
        "diagnoses",
        "services[0]",
        "services[0].modifiers",
        "services[0].diagnosis_pointers",
        "services[0].start_time",
        "services[0].end_time",
        "services[0].patient_response",
        "services[0].clinical_justification",
        T + "force_changes",
        T + "monitoring_checks",
        "total_treatment_minutes",
    }
    if supervising:
        names.update({"supervising_provider.name", "supervising_provider.npi"})
    names.update(f"plan_of_care.{key}" for key in PLAN_DATES)
    names.update(
        f"plan_of_care.{key}" for key in ("frequency_per_week", "visit_number", "visits_since_progress_report")
    )
    names.update(T + key for key in CARRIED)
    names.update(note_sections.field_names(counts))
    names.update(f"diagnoses[{row}]" for row in range(counts["diagnoses"]))
    for row in counts["services"]:
        names.update(
            f"services[{row}]{part}" for part in ("", ".code", ".minutes", ".modifiers", ".diagnosis_pointers")
        )
    return names


_LAST_PART = re.compile(r"^(.*)(\[[0-9]+\]|\.[^.\[\]]+)$")


def place(name: str | None, known: set[str]) -> str:
    """The nearest place on the form for a document path: itself, else its closest enclosing part.

    ``coverage.authorization.visits_used`` lands beside the coverage choice; "" means the top of the note.
    """
    while name:
        if name in known:
            return name
        match = _LAST_PART.match(name)
        if match is None:
            break
        name = match.group(1)
    return ""
