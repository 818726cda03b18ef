"""Synthetic demo clinic: 3 therapists, a PTA, a biller and an admin, 40 patients over the seed payers,
and 200 traction visits with the mistakes real notes have. Every person is made up by Faker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock, FixedClock
from ptbill.domain.errors import EncounterFormatError
from ptbill.reference.catalog import default_catalog
from ptbill.services.access import Actor, hash_password
from ptbill.services.demo_cob import add_medigap
from ptbill.services.notes import save_encounter, sign_encounter
from ptbill.services.passwords import require_acceptable
from ptbill.storage.tables import ClinicRow, CoverageRow, PatientRow, UserRow

DEMO_PASSWORD = "traction-demo-2026"  # printed by `make demo`; synthetic accounts only
CLINIC_NPI = "1245319599"
DEMO_CLINIC = "Harbor Physical Therapy (demo)"
THERAPIST_NPIS = ["1093817462", "1144556671", "1003000126", "1667788990"]
REFERRING_NPI = "1528060639"
# Each patient's diagnoses name the region their traction treats (cervical for one patient in three).
LUMBAR_DIAGNOSES = [
    ["M51.16", "M54.16"],
    ["M51.26", "M54.41"],
    ["M48.061", "M54.16"],
    ["M47.816", "M54.50"],
    ["M51.362", "M54.16"],
    ["M54.50", "M51.16"],
]
CERVICAL_DIAGNOSES = [["M50.122", "M54.12"], ["M54.2", "M50.30"]]


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    name: str


def _traction(rng: random.Random, cervical: bool) -> dict[str, Any]:
    force = rng.choice([10, 12, 15]) if cervical else rng.choice([55, 60, 65, 70, 80])
    intermittent = rng.random() < 0.6
    return {
        "body_region": "cervical" if cervical else "lumbar",
        "device_type": "cervical_device" if cervical else "motorized_table",
        "device_name": "Saunders 3D ActiveTrac" if cervical else "Chattanooga Triton DTS",
        "mode": "intermittent" if intermittent else "static",
        "force_lbs": force,
        "force_changes": [{"at_minute": 6, "force_lbs": force + 5, "reason": "tolerated well"}]
        if rng.random() < 0.3
        else [],
        "angle_deg": rng.choice([15, 20, 25]),
        "hold_seconds": 60 if intermittent else None,
        "rest_seconds": 20 if intermittent else None,
        "patient_position": "supine",
        "monitoring_checks": ["09:08", "09:15"],
    }


def _mistake(rng: random.Random, document: dict[str, Any]) -> None:
    """One of the mistakes the billing guide and denial data say real notes make."""
    traction = document["services"][0]
    kind = rng.choice(
        [
            "force",
            "device",
            "manual",
            "times",
            "justification",
            "response",
            "monitoring",
            "header_dx",
            "units",
            "59",
            "total_time",
            "none",
            "none",
            "none",
            "none",
            "none",
        ]
    )
    if kind == "force":
        traction["traction"]["force_lbs"] = None
    elif kind == "device":
        traction["traction"]["device_type"] = None
    elif kind == "manual":
        traction["traction"]["device_type"] = "manual"
    elif kind == "times":
        traction.pop("start_time", None)
        traction.pop("end_time", None)
        traction["minutes"] = 15
    elif kind == "justification":
        traction["clinical_justification"] = None
    elif kind == "response":
        traction["patient_response"] = None
    elif kind == "monitoring":
        traction["traction"]["monitoring_checks"] = []
    elif kind == "header_dx":
        document["diagnoses"] = ["M54.5"]
        for service in document["services"]:
            service["diagnosis_pointers"] = [1]
    elif kind == "units":
        traction["units"] = 2
    elif kind == "59":
        traction["modifiers"] = [*traction["modifiers"], "59"]
    elif kind == "total_time":
        document["total_treatment_minutes"] = None


def _demo_password_hash(email: str) -> str:
    """The demo password follows the same rules as any other (it is printed, but it is no exception)."""
    require_acceptable(DEMO_PASSWORD, email)
    return hash_password(DEMO_PASSWORD)


def demo_start(today: date) -> date:
    """The first demo visit: twelve weeks before ``today``, so the visits fill the last three months, the
    plan of care (90 days from this day) is still in force today and every denial is inside its appeal
    window, on whatever day the demo is seeded."""
    return today - timedelta(days=DEMO_WEEKS * 7)


DEMO_WEEKS = 12
VISIT_SPACING_DAYS = 7  # each patient's visits, a week apart


def seed_demo(
    session: Session,
    *,
    seed: int = 2026,
    encounters: int = 200,
    patients: int = 40,
    clock: Clock = SYSTEM_CLOCK,
    today: date | None = None,
) -> list[DemoLogin]:
    """The demo clinic, dated relative to ``today`` (the clock's day when not given); its notes are checked and
    signed on that day, so a check that reads the day (timely filing) sees them as the demo's clinic would."""
    today = today or clock.today()
    if clock.today() != today:
        clock = FixedClock(today)
    start = demo_start(today)
    fake = Faker("en_US")
    Faker.seed(seed)
    rng = random.Random(seed)
    catalog = default_catalog()
    payer_ids = [p for p in catalog.payers() if p != "commercial-default"]

    clinic = ClinicRow(
        name=DEMO_CLINIC,
        npi=CLINIC_NPI,
        tax_id="954512345",
        address_line1="120 Harbor Way",
        city="Santa Barbara",
        state="CA",
        zip="93109",
    )
    other = ClinicRow(
        name="Mesa Spine & Sport PT (demo)",
        npi="1972658342",
        tax_id="954598765",
        address_line1="45 Mesa Rd",
        city="Goleta",
        state="CA",
        zip="93117",
    )
    session.add_all([clinic, other])
    session.flush()
    staff = [
        ("therapist", "PT"),
        ("therapist", "PT"),
        ("therapist", "PT"),
        ("pta", "PTA"),
        ("biller", None),
        ("admin", None),
    ]
    users: list[UserRow] = []
    logins: list[DemoLogin] = []
    for index, (role, credential) in enumerate(staff):
        name = f"{fake.first_name()} {fake.last_name()}"
        email = f"{role}{index + 1 if role == 'therapist' else ''}@harbor.example"
        users.append(
            UserRow(
                clinic_id=clinic.id,
                email=email,
                name=name,
                role=role,
                credential=credential,
                npi=THERAPIST_NPIS[index] if credential else None,
                password_hash=_demo_password_hash(email),
            )
        )
        logins.append(DemoLogin(email, role, name))
    users.append(
        UserRow(
            clinic_id=other.id,
            email="biller@mesa.example",
            name=f"{fake.first_name()} {fake.last_name()}",
            role="biller",
            password_hash=_demo_password_hash("biller@mesa.example"),
        )
    )
    logins.append(DemoLogin("biller@mesa.example", "biller (other clinic)", users[-1].name))
    session.add_all(users)
    session.flush()

    patient_rows: list[tuple[PatientRow, CoverageRow]] = []
    for number in range(patients):
        sex = rng.choice(["F", "M"])
        patient = PatientRow(
            clinic_id=clinic.id,
            chart_number=f"HPT-{1000 + number}",
            first_name=fake.first_name_female() if sex == "F" else fake.first_name_male(),
            last_name=fake.last_name(),
            birth_date=fake.date_of_birth(minimum_age=35, maximum_age=88),
            sex=sex,
            address_line1=fake.street_address(),
            city=fake.city(),
            state="CA",
            zip=fake.zipcode_in_state("CA"),
        )
        session.add(patient)
        session.flush()
        payer = payer_ids[number % len(payer_ids)]
        coverage = CoverageRow(
            clinic_id=clinic.id,
            patient_id=patient.id,
            payer_id=payer,
            member_id=fake.bothify("#??##??#??#").upper(),
            relationship_to_insured="self",
            authorization={
                "number": f"A-{rng.randint(1000, 9999)}",
                "visits_approved": 12,
                "visits_used": rng.randint(0, 6),
                "valid_from": (start - timedelta(days=7)).isoformat(),
                "valid_to": (start + timedelta(days=170)).isoformat(),
            }
            if rng.random() < 0.5
            else None,
        )
        session.add(coverage)
        patient_rows.append((patient, coverage))
    add_medigap(session, [coverage for _, coverage in patient_rows])

    clinicians = [u for u in users if u.role in ("therapist", "pta") and u.clinic_id == clinic.id]
    supervising = clinicians[0]
    for number in range(encounters):
        patient, coverage = patient_rows[number % len(patient_rows)]
        visit = number // len(patient_rows)
        therapist = clinicians[number % len(clinicians)]
        day = min(start + timedelta(days=VISIT_SPACING_DAYS * visit + number % 5), today)
        # The patient's place in the list (1-based), not its id: ids differ from one database to the next.
        place = number % len(patient_rows) + 1
        cervical = place % 3 == 0
        choices = CERVICAL_DIAGNOSES if cervical else LUMBAR_DIAGNOSES
        diagnoses = choices[place % len(choices)]
        pta = therapist.role == "pta"
        modifiers = ["GP", "CQ"] if pta else ["GP"]
        exercise = rng.randint(8, 30)
        manual = rng.choice([0, 8, 10, 12, 15])
        services: list[dict[str, Any]] = [
            {
                "code": "97012",
                "modifiers": list(modifiers),
                "diagnosis_pointers": [1, 2][: len(diagnoses)],
                "start_time": "09:02",
                "end_time": "09:20",
                "traction": _traction(rng, cervical),
                "patient_response": "Pain 6/10 before, 3/10 after; no adverse response.",
                "clinical_justification": "Radicular symptoms from disc disease; traction to unload the nerve root.",
            },
            {"code": "97110", "modifiers": list(modifiers), "diagnosis_pointers": [1], "minutes": exercise},
        ]
        if manual:
            services.append(
                {"code": "97140", "modifiers": list(modifiers), "diagnosis_pointers": [1], "minutes": manual}
            )
        authorization = coverage.authorization
        document: dict[str, Any] = {
            "id": f"HPT-{day:%Y%m%d}-{number:03d}",
            "date_of_service": day.isoformat(),
            "place_of_service": "11",
            "billing_provider": {
                "name": clinic.name.replace(" (demo)", ""),
                "npi": clinic.npi,
                "tax_id": clinic.tax_id,
                "address": {
                    "line1": clinic.address_line1,
                    "city": clinic.city,
                    "state": clinic.state,
                    "zip": clinic.zip,
                },
            },
            "rendering_provider": {"name": therapist.name, "npi": therapist.npi, "credential": therapist.credential},
            "supervising_provider": (
                {"name": supervising.name, "npi": supervising.npi, "credential": "PT"} if pta else None
            ),
            "referring_provider": {"name": "Alan Cho", "npi": REFERRING_NPI},
            "patient": {
                "id": patient.chart_number,
                "first_name": patient.first_name,
                "last_name": patient.last_name,
                "birth_date": patient.birth_date.isoformat(),
                "sex": patient.sex,
                "address": {
                    "line1": patient.address_line1,
                    "city": patient.city,
                    "state": patient.state,
                    "zip": patient.zip,
                },
            },
            "coverage": {
                "payer": coverage.payer_id,
                "member_id": coverage.member_id,
                "group_number": None,
                "relationship": "self",
                "authorization": (
                    dict(authorization, visits_used=authorization["visits_used"] + visit) if authorization else None
                ),
                "therapy_charges_ytd": float(150 * visit),
            },
            "plan_of_care": {
                "start_date": start.isoformat(),
                "certified_date": (start + timedelta(days=4)).isoformat(),
                "end_date": (start + timedelta(days=89)).isoformat(),  # a 90-day certification
                "frequency_per_week": 2,
                "visit_number": visit + 1,
                "visits_since_progress_report": visit % 8,
            },
            "diagnoses": diagnoses,
            "services": services,
            "total_treatment_minutes": 18 + exercise + manual,
        }
        _mistake(rng, document)
        actor = Actor(therapist.id, clinic.id, therapist.role, therapist.name)
        try:
            row, report = save_encounter(session, actor, document, patient.id, clock=clock)
        except EncounterFormatError:  # pragma: no cover - the generator writes valid documents
            continue
        # Most notes older than the last week are signed; blocked ones stay drafts for the therapist.
        if report.verdict.value != "blocked" and rng.random() < 0.8:
            sign_encounter(session, actor, row.id, clock=clock)
    session.flush()
    return logins


# Denials the demo payers send, with the CARC/RARC a real remittance would carry.
