"""Synthetic demo clinic: 3 therapists, a PTA, a biller and an admin, 40 patients over the seed payers,
and 200 traction visits with the mistakes real notes have. Every person is made up by Faker.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.claims.trading import TEST_TRADING, TradingConfig
from ptbill.domain.clock import SYSTEM_CLOCK, Clock, FixedClock
from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.remittance import (
    Adjustment,
    AdjustmentGroup,
    ClaimPayment,
    ClaimStatus,
    PatientName,
    Remittance,
    ServicePayment,
)
from ptbill.domain.vocabulary import PayerType
from ptbill.reference.catalog import default_catalog
from ptbill.remittance.x12_835.reader import read_835
from ptbill.remittance.x12_835.writer import liability_denial, write_835
from ptbill.services.access import Actor, hash_password
from ptbill.services.batches import create_batch, mark_batch_submitted
from ptbill.services.billing import ClaimRecord, build_claims
from ptbill.services.demo_cob import add_medigap, crossed_over
from ptbill.services.notes import save_encounter, sign_encounter
from ptbill.services.passwords import require_acceptable
from ptbill.services.posting import post_remittances
from ptbill.services.remittance_files import record_file
from ptbill.storage.tables import ClinicRow, CoverageRow, EncounterRow, PatientRow, UserRow

DEMO_PASSWORD = "traction-demo-2026"  # printed by `make demo`; synthetic accounts only
CLINIC_NPI = "1245319599"
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
        name="Harbor Physical Therapy (demo)",
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
        cervical = patient.id % 3 == 0
        choices = CERVICAL_DIAGNOSES if cervical else LUMBAR_DIAGNOSES
        diagnoses = choices[patient.id % len(choices)]
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
DEMO_DENIALS = [
    ("4", ("N519",), "modifier"),  # procedure code inconsistent with the modifier
    ("197", (), "authorization"),
    ("50", ("N661",), "necessity"),
    ("16", ("N443",), "time"),
    ("236", (), "pair"),
    ("151", ("N640",), "frequency"),
]


def simulate_payments(
    session: Session, seed: int = 2026, *, clock: Clock = SYSTEM_CLOCK, today: date | None = None
) -> int:
    """Bill every signed demo note and post the 835s its payer would send: payments near each payer's
    real 97012 rate, patient shares, some underpayments and denials with their codes."""
    today = today or clock.today()
    rng = random.Random(seed)
    biller_row = session.scalar(select(UserRow).where(UserRow.role == "biller").order_by(UserRow.id))
    if biller_row is None:  # pragma: no cover - seed_demo always creates one
        return 0
    biller = Actor(biller_row.id, biller_row.clinic_id, "biller", biller_row.name)
    signed = [
        r.id
        for r in session.scalars(
            select(EncounterRow)
            .where(EncounterRow.clinic_id == biller.clinic_id, EncounterRow.status == "signed")
            .order_by(EncounterRow.id)
        )
    ]
    claims = build_claims(session, biller, signed[: int(len(signed) * 0.85)], clock=clock)
    if not claims:
        return 0
    # Sent on the demo's day (its filing limits are measured from then, not from the machine's day).
    sent = clock if clock.today() == today else FixedClock(today)
    batch = create_batch(session, biller, [c.id for c in claims], TradingConfig(TEST_TRADING, {}), clock=sent)
    mark_batch_submitted(session, biller, batch.id, clock=sent)  # the payers answered it, so it was sent
    catalog = default_catalog()
    by_payer: dict[str, list[ClaimRecord]] = {}
    for claim in claims:
        by_payer.setdefault(claim.payer_id, []).append(claim)
    posted = 0
    for number, (payer_id, payer_claims) in enumerate(sorted(by_payer.items())):
        payments = []
        seed_rate = catalog.snapshot(payer_id, today).value("fees.seed_average.97012", 14.0)
        for claim in payer_claims:
            denial = DEMO_DENIALS[rng.randrange(len(DEMO_DENIALS))] if rng.random() < 0.2 else None
            medicare, day = catalog.payers()[payer_id].type is PayerType.MEDICARE, claim.service_date
            lines = []
            for line in claim.lines:
                units = Decimal(line.units)
                if medicare and (answer := liability_denial(line.code, line.modifiers, line.charge, units, day)):
                    lines.append(answer)  # GA: the patient's (PR-50, M38); GZ: the clinic's (CO-50); GY: PR-96
                    continue
                if line.code == "97012":
                    rate = Decimal(str(seed_rate)) * Decimal(str(rng.uniform(0.85, 1.12)))
                else:
                    rate = (line.expected_payment or line.charge / 3) * Decimal(str(rng.uniform(0.8, 1.02)))
                paid = Decimal(0) if denial else (rate * line.units).quantize(Decimal("0.01"))
                patient = (
                    Decimal(0)
                    if denial or claim.payer_id.endswith("medicaid")
                    else (paid * Decimal("0.2")).quantize(Decimal("0.01"))
                )
                paid -= patient
                adjustments = [
                    Adjustment(AdjustmentGroup.CONTRACTUAL, denial[0] if denial else "45", line.charge - paid - patient)
                ]
                if patient:
                    adjustments.append(Adjustment(AdjustmentGroup.PATIENT, "2", patient))
                lines.append(
                    ServicePayment(
                        "HC",
                        line.code,
                        tuple(line.modifiers),
                        line.charge,
                        paid,
                        units_paid=units,
                        service_start=claim.service_date,
                        adjustments=tuple(adjustments),
                        remark_codes=denial[1] if denial else (),
                    )
                )
            paid_total = sum((s.paid for s in lines), Decimal(0))
            responsibility = sum(
                (a.amount for s in lines for a in s.adjustments if a.group is AdjustmentGroup.PATIENT), Decimal(0)
            )
            payments.append(
                ClaimPayment(
                    claim.patient_control_number,
                    ClaimStatus.DENIED if denial or not paid_total else ClaimStatus.PRIMARY,
                    claim.total_charge,
                    paid_total,
                    patient_responsibility=responsibility,
                    payer_claim_control_number=f"{number:02d}{claim.id:08d}",
                    patient=PatientName("PATIENT", "DEMO"),
                    service_lines=tuple(lines),
                )
            )
        total = sum((p.paid for p in payments), Decimal(0))
        payment_day = min(max(c.service_date for c in payer_claims) + timedelta(days=rng.randint(14, 30)), today)
        remittance = Remittance(
            payer_name=catalog.payers()[payer_id].name.upper(),
            payer_id=payer_id.upper()[:80],
            payee_name="HARBOR PHYSICAL THERAPY",
            payee_npi=CLINIC_NPI,
            payee_tax_id=None,
            handling=None,
            payment_amount=total,
            credit_debit=None,
            payment_method=None,
            payment_date=payment_day,
            trace_number=f"EFT{seed}{number:04d}",
            originating_company_id=None,
            production_date=None,
            claims=tuple(crossed_over(session, payer_claims, payments)),
        )
        text, name = write_835(remittance, interchange_control=number + 1), f"demo-{payer_id}.835"
        summary = post_remittances(session, biller, read_835(text), name)
        record_file(session, biller, name, text.encode(), summary)  # its summary on /remittances
        posted += summary.claims_posted
    return posted
