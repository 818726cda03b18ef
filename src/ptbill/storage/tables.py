"""SQLAlchemy 2 tables: clinics, users, patients, coverages, encounters and their checks, claims,
batches, payer parameter edits, fee schedules, remittances and the append-only audit log.

Every row that holds patient or billing data carries ``clinic_id``: repositories filter by it, so a
clinic sees only its own data. Money is Numeric(12, 2); the encounter document is kept whole as JSON
(format 1) so nothing the therapist entered is lost.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import uuid4

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from ptbill.storage.check_columns import findings_rules, lines_expected

# Shared column types (Warehouse-style): one definition, used everywhere.
pk = Annotated[int, mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)]
money = Annotated[Decimal, mapped_column(Numeric(12, 2))]
created_at = Annotated[datetime, mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)]
clinic_fk = Annotated[int, mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"), index=True, nullable=False)]
json_doc = Annotated[dict[str, Any], mapped_column(JSON, nullable=False)]


class Base(DeclarativeBase):
    pass


class ClinicRow(Base):
    __tablename__ = "clinics"

    id: Mapped[pk]
    name: Mapped[str] = mapped_column(String(120))
    npi: Mapped[str] = mapped_column(String(10))
    tax_id: Mapped[str] = mapped_column(String(10))
    address_line1: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(2))
    zip: Mapped[str] = mapped_column(String(10))
    # MAC and locality number (01112-75) of the clinic's Medicare locality; null: guessed from the ZIP code.
    medicare_locality: Mapped[str | None] = mapped_column(String(8))
    # Roles that must log in with a second factor (comma-separated, e.g. "admin,biller"); null: none.
    two_factor_roles: Mapped[str | None] = mapped_column(String(60))
    # The settings page (migration 0008): null is "not set" (the time zone then follows the state).
    taxonomy_code: Mapped[str | None] = mapped_column(String(10))
    time_zone: Mapped[str | None] = mapped_column(String(64))  # IANA, e.g. America/Los_Angeles
    pay_to_address_line1: Mapped[str | None] = mapped_column(String(120))
    pay_to_city: Mapped[str | None] = mapped_column(String(60))
    pay_to_state: Mapped[str | None] = mapped_column(String(2))
    pay_to_zip: Mapped[str | None] = mapped_column(String(10))
    place_of_service: Mapped[str | None] = mapped_column(String(2))
    statement_cycle_days: Mapped[int | None] = mapped_column(Integer)
    statement_message: Mapped[str | None] = mapped_column(String(200))
    submitter_id: Mapped[str | None] = mapped_column(String(15))
    submitter_name: Mapped[str | None] = mapped_column(String(60))
    receiver_id: Mapped[str | None] = mapped_column(String(15))
    receiver_name: Mapped[str | None] = mapped_column(String(60))
    contact_phone: Mapped[str | None] = mapped_column(String(15))
    # 0028_note_cosign: the first date of service from which the clinic's state requires a supervising
    # therapist's co-signature on an assistant's notes; null: it requires none (payers may: a parameter).
    assistant_cosign_from: Mapped[date | None] = mapped_column(Date)
    # 0029_clinic_config_revision: a random token replaced in the same transaction as every change to the
    # clinic's payer parameters or fee schedules (services.clinic_config); a new clinic starts with its own.
    config_revision: Mapped[str] = mapped_column(String(32), default=lambda: uuid4().hex, server_default="")
    created_at: Mapped[created_at]


class ServiceLocationRow(Base):
    """Where the clinic treats patients (the 837P's service facility when it is not the billing address)."""

    __tablename__ = "service_locations"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    name: Mapped[str] = mapped_column(String(60))
    address_line1: Mapped[str] = mapped_column(String(120))
    city: Mapped[str] = mapped_column(String(60))
    state: Mapped[str] = mapped_column(String(2))
    zip: Mapped[str] = mapped_column(String(10))
    npi: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[created_at]


class ProviderRow(Base):
    """A rendering provider of the clinic's roster: PT, PTA, OT, OTA or SLP; assistants name a supervisor."""

    __tablename__ = "providers"
    __table_args__ = (UniqueConstraint("clinic_id", "npi", name="uq_providers_clinic_npi"),)

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    name: Mapped[str] = mapped_column(String(120))
    discipline: Mapped[str] = mapped_column(String(5))
    npi: Mapped[str] = mapped_column(String(10))
    credentials: Mapped[str | None] = mapped_column(String(40))
    licence_state: Mapped[str] = mapped_column(String(2))
    licence_number: Mapped[str] = mapped_column(String(30))
    supervisor_id: Mapped[int | None] = mapped_column(ForeignKey("providers.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[created_at]


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    email: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(20))  # therapist, pta, biller, admin
    credential: Mapped[str | None] = mapped_column(String(5))  # PT, PTA ... for clinicians
    npi: Mapped[str | None] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # TOTP (RFC 6238): the shared secret (base32), set when enrolment starts; in force once confirmed.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # a code's 30-second step, used once
    # Set by an admin's invitation or reset (a temporary password): the user chooses their own before anything else.
    password_must_change: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[created_at]


class RecoveryCodeRow(Base):
    """A one-time recovery code for a user's second factor, kept only as its SHA-256 digest."""

    __tablename__ = "recovery_codes"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class UserSessionRow(Base):
    """A login of the web pages or the API: the random token is kept only as its SHA-256 digest, and
    every request looks it up, so logging out or deactivating the user ends it at once."""

    __tablename__ = "sessions"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    address: Mapped[str | None] = mapped_column(String(64))


class LoginFailureRow(Base):
    """One wrong password, by the email typed (an account or not) and the client address: counted
    in a sliding window to lock out guessing, shared by every worker process."""

    __tablename__ = "login_failures"

    id: Mapped[pk]
    account: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (
        Index("ix_login_failures_account_at", "account", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    chart_number: Mapped[str] = mapped_column(String(40))
    first_name: Mapped[str] = mapped_column(String(60))
    last_name: Mapped[str] = mapped_column(String(60))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(1))
    address_line1: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(60))
    state: Mapped[str | None] = mapped_column(String(2))
    zip: Mapped[str | None] = mapped_column(String(10))
    # Registration (migration 0007_patients): contact and the rest of the address.
    middle_name: Mapped[str | None] = mapped_column(String(60))
    address_line2: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[created_at]

    __table_args__ = (
        UniqueConstraint("clinic_id", "chart_number"),
        Index("ix_patients_clinic_name", "clinic_id", "last_name", "first_name"),
    )


class CoverageRow(Base):
    __tablename__ = "coverages"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    payer_id: Mapped[str] = mapped_column(String(60))
    member_id: Mapped[str] = mapped_column(String(80))
    group_number: Mapped[str | None] = mapped_column(String(50))
    relationship_to_insured: Mapped[str] = mapped_column(String(10), default="self")
    authorization: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(default=True)
    # 1 primary, 2 secondary, 3 tertiary (migration 0007_patients); the subscriber when not the patient.
    priority: Mapped[int] = mapped_column(default=1, server_default="1")
    subscriber_first_name: Mapped[str | None] = mapped_column(String(60))
    subscriber_last_name: Mapped[str | None] = mapped_column(String(60))
    subscriber_birth_date: Mapped[date | None] = mapped_column(Date)
    # The patient's cost sharing for an estimate (migration 0018_estimates), by hand until eligibility fills it.
    deductible_remaining: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    coinsurance_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    copay: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # per visit
    cost_sharing_as_of: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[created_at]


class AuthorizationRow(Base):
    """A payer's prior authorization: visits or units from one day to another, for some codes (none: any)."""

    __tablename__ = "authorizations"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverages.id"))
    number: Mapped[str] = mapped_column(String(50))
    unit_kind: Mapped[str] = mapped_column(String(10))  # visits, units
    approved: Mapped[int]
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date] = mapped_column(Date)
    codes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[created_at]


class PlanOfCareRow(Base):
    """A certified plan of care with the referral it answers: dates, frequency, physician, diagnoses."""

    __tablename__ = "plans_of_care"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    visits_per_week: Mapped[int]
    duration_weeks: Mapped[int]
    physician_name: Mapped[str] = mapped_column(String(120))
    physician_npi: Mapped[str] = mapped_column(String(10))
    signed_on: Mapped[date | None] = mapped_column(Date)
    diagnoses: Mapped[list[str]] = mapped_column(JSON)
    referring_provider_name: Mapped[str | None] = mapped_column(String(120))
    referring_provider_npi: Mapped[str | None] = mapped_column(String(10))
    referral_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[created_at]


class EncounterRow(Base):
    __tablename__ = "encounters"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    external_id: Mapped[str] = mapped_column(String(60))
    date_of_service: Mapped[date] = mapped_column(Date, index=True)
    payer_id: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="draft")  # draft, signed, billed
    document: Mapped[json_doc]  # the note as encounter format 1
    version: Mapped[int] = mapped_column(default=1)
    verdict: Mapped[str | None] = mapped_column(String(20))
    therapist_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # 0028_note_cosign: the supervising therapist's co-signature of an assistant's signed note (services.cosign).
    cosigned_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", name="fk_encounters_cosigned_by"))
    cosigned_by_name: Mapped[str | None] = mapped_column(String(120))
    cosigned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    cosigned_version: Mapped[int | None]  # the signed version co-signed; a later version needs its own
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), onupdate=func.now()
    )

    checks: Mapped[list[EncounterCheckRow]] = relationship(
        back_populates="encounter", order_by="EncounterCheckRow.id", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("clinic_id", "external_id"),
        Index("ix_encounters_clinic_status", "clinic_id", "status"),
        Index("ix_encounters_queue", "clinic_id", "status", "verdict", "date_of_service", "id"),  # 0013_queue
        Index("ix_encounters_queue_choices", "clinic_id", "status", "payer_id", "therapist_user_id"),  # 0013_queue
    )


class EncounterCheckRow(Base):
    """The engine's answer on one save of one version of a note, with the rule-set version that gave it."""

    __tablename__ = "encounter_checks"

    id: Mapped[pk]
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"), index=True)
    encounter_version: Mapped[int]
    ruleset_version: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(20))
    findings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    claim_lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    checked_at: Mapped[created_at]
    fingerprint: Mapped[str | None] = mapped_column(String(80))  # reference.fingerprint; null before 0005_frozen
    # The planned lines' expected payments summed (null when none is known) and the findings' rule ids,
    # computed from ``claim_lines`` and ``findings`` on insert by every writer (ORM or Core, one row or many):
    # the queue filters, counts and totals on them without reading JSON (migration 0013_queue backfilled them).
    expected_payment: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), default=lines_expected)
    finding_rules: Mapped[str | None] = mapped_column(Text, default=findings_rules)  # " RULE_A RULE_B "

    encounter: Mapped[EncounterRow] = relationship(back_populates="checks")

    __table_args__ = (  # 0013_queue: the queue reads a note's latest check from the index alone
        Index("ix_encounter_checks_latest", "encounter_id", "id", "expected_payment", "finding_rules"),
    )


class ClaimBatchRow(Base):
    __tablename__ = "claim_batches"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    format: Mapped[str] = mapped_column(String(10))  # 837p
    status: Mapped[str] = mapped_column(String(20), default="built", server_default="built")  # domain.status.BatchState
    interchange_control_number: Mapped[int | None]
    claim_count: Mapped[int]
    content: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ClaimRow(Base):
    __tablename__ = "claims"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batches.id"), index=True)
    patient_control_number: Mapped[str] = mapped_column(String(38))
    payer_id: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(20), default="built")  # domain.status.ClaimState
    frequency: Mapped[str] = mapped_column(String(1), default="1")
    original_claim_number: Mapped[str | None] = mapped_column(String(50))
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))
    total_charge: Mapped[money]
    expected_payment: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    patient_responsibility: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    service_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[created_at]
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Frozen when built (migration 0005_frozen): the claim as claims.stored writes it, and the fingerprint of
    # the rules and reference data that built it. Null for a claim built before: its first export freezes it.
    claim_json: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    fingerprint: Mapped[str | None] = mapped_column(String(80))
    corrects_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)  # frequency 7
    # Coordination of benefits (migration 0014_cob): SBR01 (P, S, T), the claim of the payer before this one
    # (whose 835 this claim follows), the coverage billed, and where the payer crossed the claim over itself.
    payer_sequence: Mapped[str] = mapped_column(String(1), default="P", server_default="P")
    prior_claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverages.id"))
    crossed_over_to: Mapped[str | None] = mapped_column(String(120))
    crossed_over_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The note as the claim was built from it (migration 0025_note_types): "3+1" is version 3 with one
    # addendum, and the sha256 of the signed document with its addenda. Null for claims built before.
    note_version: Mapped[str | None] = mapped_column(String(20))
    note_hash: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[ClaimLineRow]] = relationship(
        back_populates="claim", order_by="ClaimLineRow.line_number", cascade="all, delete-orphan"
    )

    __table_args__ = (
        UniqueConstraint("clinic_id", "patient_control_number"),
        # One claim per payer after each claim (0017_cob_more): a secondary is built once per primary answer.
        Index("uq_claims_prior_sequence", "prior_claim_id", "payer_sequence", unique=True),
        # 0030_page_indexes: the few claims a payer forwarded (crossovers), which every A/R report reads.
        Index(
            "ix_claims_crossed_over",
            "clinic_id",
            "id",
            postgresql_where=text("crossed_over_to IS NOT NULL"),
            sqlite_where=text("crossed_over_to IS NOT NULL"),
        ),
    )


class ClaimLineRow(Base):
    __tablename__ = "claim_lines"

    id: Mapped[pk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"), index=True)
    line_number: Mapped[int]
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[list[str]] = mapped_column(JSON)
    units: Mapped[int]
    charge: Mapped[money]
    expected_payment: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0.00"))
    diagnosis_pointers: Mapped[list[int]] = mapped_column(JSON)

    claim: Mapped[ClaimRow] = relationship(back_populates="lines")


class PayerParameterRow(Base):
    """A clinic's dated change to a payer parameter, layered over the shipped reference data."""

    __tablename__ = "payer_parameters"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    payer_id: Mapped[str] = mapped_column(String(60))
    name: Mapped[str] = mapped_column(String(120))
    effective_from: Mapped[date] = mapped_column(Date)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    reference: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(20), default="clinic")
    changed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[created_at]

    __table_args__ = (Index("ix_payer_parameters_lookup", "clinic_id", "payer_id", "name"),)


class FeeScheduleRow(Base):
    __tablename__ = "fee_schedule_rows"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    payer_id: Mapped[str] = mapped_column(String(60))
    code: Mapped[str] = mapped_column(String(5))
    modifiers: Mapped[str] = mapped_column(String(20), default="")
    amount: Mapped[money]
    effective_from: Mapped[date] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    created_at: Mapped[created_at]


class RemittanceRow(Base):
    """One posted 835 payment (BPR/TRN); the trace number makes posting idempotent."""

    __tablename__ = "remittances"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    payer_name: Mapped[str] = mapped_column(String(120))
    payer_identifier: Mapped[str] = mapped_column(String(80))
    trace_number: Mapped[str] = mapped_column(String(80))
    payment_amount: Mapped[money]
    payment_date: Mapped[date | None] = mapped_column(Date)
    posted_at: Mapped[created_at]
    source_name: Mapped[str] = mapped_column(String(200))
    # Migration 0011_remittance_files: BPR04 (CHK, ACH, NON ...), TRN02 as sent, and the file that posted it.
    payment_method: Mapped[str | None] = mapped_column(String(3))
    check_number: Mapped[str | None] = mapped_column(String(80))
    remittance_file_id: Mapped[int | None] = mapped_column(ForeignKey("remittance_files.id"), index=True)

    __table_args__ = (UniqueConstraint("clinic_id", "payer_identifier", "trace_number"),)


class ClaimPaymentRow(Base):
    __tablename__ = "claim_payments"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    patient_control_number: Mapped[str] = mapped_column(String(38))
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))
    status_code: Mapped[str] = mapped_column(String(3))
    charge: Mapped[money]
    paid: Mapped[money]
    patient_responsibility: Mapped[money]
    adjustments: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    remarks: Mapped[list[str]] = mapped_column(JSON)
    # The answer accounted on its own when it was written (services/answer_totals.py, migration
    # 0015_answer_totals); null only for an answer written by a path that does not store them yet.
    deductible: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    coinsurance: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    copay: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    patient_other: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    contractual: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    sequestration: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    other_adjusted: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    denied_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    denied: Mapped[bool | None]  # the answer alone denies the claim (remittance.accounting's ``denied``)
    denial_keys: Mapped[list[str] | None] = mapped_column(JSON)  # "CO-50" per net denial
    denial_reasons: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)  # each denial, before netting

    __table_args__ = (
        UniqueConstraint("remittance_id", "patient_control_number", "payer_claim_number", "status_code"),
        # 0030_page_indexes: the answers not accounted yet (answer_totals.fill_missing), found without a scan
        Index(
            "ix_claim_payments_unaccounted",
            "clinic_id",
            "id",
            postgresql_where=text("denied IS NULL"),
            sqlite_where=text("denied IS NULL"),
        ),
    )


class ClaimPaymentLineRow(Base):
    """One 835 service line of a posted answer, accounted on its own, with the billed line it matched
    (migration 0015_answer_totals): what expected vs paid adds up per billed line."""

    __tablename__ = "claim_payment_lines"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    claim_payment_id: Mapped[int] = mapped_column(ForeignKey("claim_payments.id", ondelete="CASCADE"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)
    position: Mapped[int]  # the line's place in the answer
    line_number: Mapped[int | None]  # the billed line it matched
    code: Mapped[str] = mapped_column(String(48))
    charge: Mapped[money]
    paid: Mapped[money]
    deductible: Mapped[money]
    coinsurance: Mapped[money]
    copay: Mapped[money]
    patient_other: Mapped[money]
    contractual: Mapped[money]
    sequestration: Mapped[money]
    other_adjusted: Mapped[money]
    denied_amount: Mapped[money]


class ControlNumberRow(Base):
    """The last interchange, group or transaction control number handed out (migration 0002_money)."""

    __tablename__ = "control_numbers"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)  # interchange, group, transaction
    last: Mapped[int] = mapped_column(BigInteger)


class AuditRow(Base):
    """Append-only: who read or changed what, when. Triggers refuse UPDATE and DELETE (migration 0001)
    and, on PostgreSQL, TRUNCATE (migration 0002_sessions)."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_record", "clinic_id", "entity", "entity_id", "id"),)  # 0030_page_indexes

    id: Mapped[pk]
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(20))  # read, create, update, sign, export, login ...
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(60))
    detail: Mapped[str | None] = mapped_column(Text)  # never PHI: ids and field names only
    at: Mapped[created_at]


class ClaimWriteOffRow(Base):
    """What the clinic decided not to collect on a claim (or one of its lines), and why (migration 0010)."""

    __tablename__ = "claim_write_offs"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    line_number: Mapped[int | None]
    amount: Mapped[money]
    reason_code: Mapped[str] = mapped_column(String(30))
    reason_text: Mapped[str | None] = mapped_column(String(500))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]


class NoteReturnRow(Base):
    """A note the biller sent back to its therapist with a message (migration 0010)."""

    __tablename__ = "note_returns"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"))
    message: Mapped[str] = mapped_column(String(1000))
    returned_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    returned_at: Mapped[created_at]
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class NoteAddendumRow(Base):
    """A correction to a signed note (migration 0025_note_types): the signed note never changes, the addendum
    says what is added or corrected, by whom, when and why. Numbered 1, 2, ... per note; the note's row is
    locked while the next number is taken, and (note, number) is unique."""

    __tablename__ = "note_addenda"
    __table_args__ = (UniqueConstraint("encounter_id", "sequence", name="uq_note_addenda_sequence"),)

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    encounter_id: Mapped[int] = mapped_column(ForeignKey("encounters.id"), index=True)
    sequence: Mapped[int]
    encounter_version: Mapped[int]  # the signed version it amends
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    author_name: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(400))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # from the caller's clock


class NoteDraftRow(Base):
    """What a clinician typed into a note's form and has not saved yet (migration 0026_note_drafts): the raw form
    values, so an entry the note cannot read is kept too. One row per clinic, user and draft key ("note-12" for a
    stored draft note, "new-7-2026-11-24" for a new note of patient 7 on that day), written by an upsert on that
    key and removed when the note is saved. ``saves`` counts the writes; ``audited_at`` and ``audited_save`` are
    the last write the audit log records."""

    __tablename__ = "note_drafts"
    __table_args__ = (UniqueConstraint("clinic_id", "user_id", "draft_key", name="uq_note_drafts_key"),)

    id: Mapped[pk]
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    draft_key: Mapped[str] = mapped_column(String(60))
    encounter_id: Mapped[int | None] = mapped_column(ForeignKey("encounters.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    form: Mapped[json_doc]
    saves: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[created_at]
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    audited_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    audited_save: Mapped[int] = mapped_column(Integer)  # the write ``audited_at`` stamps


class NoteTemplateRow(Base):
    """A clinic's own note template (migration 0027_note_templates), saved from a note: the template's parts
    as JSON (``domain.note_template.NoteTemplate``), which hold nothing of the patient or the visit. Its name
    is unique in the clinic."""

    __tablename__ = "note_templates"
    __table_args__ = (UniqueConstraint("clinic_id", "name", name="uq_note_templates_name"),)

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    name: Mapped[str] = mapped_column(String(80))
    body_region: Mapped[str] = mapped_column(String(20))
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # from the caller's clock
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EstimateRow(Base):
    """A cost estimate prepared before treatment (migration 0018_estimates): its lines and arithmetic as JSON,
    its totals, and the PDF handed to the patient, kept as it was printed."""

    __tablename__ = "estimates"
    __table_args__ = (
        CheckConstraint("visits > 0", name="ck_estimates_visits"),
        CheckConstraint("patient_total >= 0 AND allowed_total >= 0", name="ck_estimates_totals"),
    )

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverages.id"))
    plan_of_care_id: Mapped[int | None] = mapped_column(ForeignKey("plans_of_care.id"))
    payer_id: Mapped[str | None] = mapped_column(String(60))
    self_pay: Mapped[bool]
    first_visit: Mapped[date] = mapped_column(Date)
    visits: Mapped[int]
    document: Mapped[json_doc]
    allowed_total: Mapped[money]
    patient_total: Mapped[money]
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]


class ReopeningRequestRow(Base):
    """A reopening request prepared for a payer that takes no replacement or void claims (migration 0010);
    its PDF is drawn again from this row on every download."""

    __tablename__ = "reopening_requests"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    change_text: Mapped[str] = mapped_column(String(1000))
    reason_text: Mapped[str] = mapped_column(String(1000))
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]


class RemittanceFileRow(Base):
    """An 835 file posted through the app, the API or ``ptbill remit`` (migration 0011_remittance_files):
    who uploaded it, its sha256 (one clinic posts the same bytes once) and its posting summary."""

    __tablename__ = "remittance_files"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    file_name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    uploaded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[created_at]
    outcome: Mapped[str] = mapped_column(String(20))  # posted, already_posted (every claim was on file)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON)

    __table_args__ = (UniqueConstraint("clinic_id", "sha256"),)


class ProviderAdjustmentRow(Base):
    """A provider-level adjustment (PLB) of a posted remittance; positive amounts reduce the payment."""

    __tablename__ = "provider_adjustments"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    remittance_id: Mapped[int] = mapped_column(ForeignKey("remittances.id", ondelete="CASCADE"), index=True)
    reason_code: Mapped[str] = mapped_column(String(2))
    reference_id: Mapped[str | None] = mapped_column(String(80))
    amount: Mapped[money]
    claim_id: Mapped[int | None] = mapped_column(ForeignKey("claims.id"), index=True)


class DenialItemRow(Base):
    """One denied or partly denied line of a posted answer: a piece of the biller's work (migration
    0012_denial_work). Created once per answer and line (``line_key``: ``line:<index>`` or ``claim``);
    its status moves by compare-and-set (``domain.status.DenialState``)."""

    __tablename__ = "denial_items"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    claim_payment_id: Mapped[int] = mapped_column(ForeignKey("claim_payments.id", ondelete="CASCADE"))
    line_key: Mapped[str] = mapped_column(String(20))
    line_index: Mapped[int | None] = mapped_column(Integer)
    line_number: Mapped[int | None] = mapped_column(Integer)
    code: Mapped[str | None] = mapped_column(String(10))
    carc_group: Mapped[str | None] = mapped_column(String(2))
    carc: Mapped[str | None] = mapped_column(String(10))
    rarcs: Mapped[list[str]] = mapped_column(JSON)
    denied_amount: Mapped[money]
    status: Mapped[str] = mapped_column(String(20), index=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    follow_up: Mapped[date | None] = mapped_column(Date)
    appeal_level: Mapped[int] = mapped_column(Integer, default=0)
    decision_date: Mapped[date | None] = mapped_column(Date)  # the last appeal's decision: the next clock
    updated_at: Mapped[created_at]  # declared before created_at: the annotation names the shared type
    created_at: Mapped[created_at]

    __table_args__ = (UniqueConstraint("claim_payment_id", "line_key"),)


class DenialItemEventRow(Base):
    """A denial item's history: notes, status moves, assignments, follow-up dates and appeals."""

    __tablename__ = "denial_item_events"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    item_id: Mapped[int] = mapped_column(ForeignKey("denial_items.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    at: Mapped[created_at]
    kind: Mapped[str] = mapped_column(String(20))  # note, status, assign, follow-up, appeal, created
    text: Mapped[str] = mapped_column(Text)


class DenialBackfillRow(Base):
    """The clinic's answers posted before migration 0012 have been read for denied lines (once)."""

    __tablename__ = "denial_backfills"

    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id"), primary_key=True, autoincrement=False)
    done_at: Mapped[created_at]


class _PatientMoney:
    """Columns every row of the patient's money has (migration 0016_patient_ledger): positive amounts only."""

    id: Mapped[pk]
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"))
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    amount: Mapped[money]
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]


class PatientPaymentRow(_PatientMoney, Base):
    """Money a patient paid: cash, a check (its number) or a card (the receipt's reference; ptbill takes no cards)."""

    __tablename__ = "patient_payments"

    method: Mapped[str] = mapped_column(String(10))  # cash, check, card
    reference: Mapped[str | None] = mapped_column(String(40))
    received_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(10), default="user", server_default="user")  # user, statement

    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_patient_payments_amount_positive"),
        Index("ix_patient_payments_clinic_patient", "clinic_id", "patient_id"),
    )


class PaymentApplicationRow(_PatientMoney, Base):
    """Patient money applied to a visit's claim: at receipt (``payment_id``), or later from the credit (null)."""

    __tablename__ = "payment_applications"

    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("patient_payments.id"))
    applied_on: Mapped[date] = mapped_column(Date)

    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_payment_applications_amount_positive"),
        Index("ix_payment_applications_clinic_patient", "clinic_id", "patient_id"),
    )


class PatientRefundRow(_PatientMoney, Base):
    """Money given back to a patient out of their credit."""

    __tablename__ = "patient_refunds"

    method: Mapped[str] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(40))
    refunded_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_patient_refunds_amount_positive"),
        Index("ix_patient_refunds_clinic_patient", "clinic_id", "patient_id"),
    )


class AbnRow(Base):
    """An Advance Beneficiary Notice (form CMS-R-131) given to a patient (migration 0019_abn): who gave it, the
    notifier, name and ID number as printed, the reason Medicare may not pay, the day given; the day signed and
    the option chosen are set once, together, and never changed (a new notice replaces it)."""

    __tablename__ = "abns"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    form_version: Mapped[str] = mapped_column(String(60))
    notifier: Mapped[str] = mapped_column(String(400))
    patient_name: Mapped[str] = mapped_column(String(130))
    identification: Mapped[str] = mapped_column(String(40))
    reason_kind: Mapped[str] = mapped_column(String(20))  # decompression, above_threshold, maintenance, other
    reason_text: Mapped[str] = mapped_column(String(500))
    additional_info: Mapped[str | None] = mapped_column(String(1000))
    given_on: Mapped[date] = mapped_column(Date)
    signed_on: Mapped[date | None] = mapped_column(Date)
    option: Mapped[int | None] = mapped_column(Integer)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signature_recorded_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    signature_recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[created_at]
    services: Mapped[list[AbnServiceRow]] = relationship(order_by="AbnServiceRow.position", lazy="selectin")

    __table_args__ = (
        CheckConstraint("option IS NULL OR option IN (1, 2, 3)", name="ck_abns_option"),
        CheckConstraint("(signed_on IS NULL) = (option IS NULL)", name="ck_abns_signed_with_option"),
        CheckConstraint("signed_on IS NULL OR signed_on >= given_on", name="ck_abns_signed_after_given"),
    )


class AbnServiceRow(Base):
    """One service an ABN lists: its code, the clinic's own plain-language label, the estimated cost."""

    __tablename__ = "abn_services"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    abn_id: Mapped[int] = mapped_column(ForeignKey("abns.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(5))
    label: Mapped[str] = mapped_column(String(120))
    estimated_cost: Mapped[money]

    __table_args__ = (
        CheckConstraint("estimated_cost >= 0", name="ck_abn_services_cost"),
        UniqueConstraint("abn_id", "position"),
    )


class StatementRunRow(Base):
    """One run of patient statements (migration 0020_statements): the threshold it used, and how many
    statements it made for how much (both added up from its statements as it made them)."""

    __tablename__ = "statement_runs"
    __table_args__ = (CheckConstraint("threshold >= 0 AND total >= 0 AND count >= 0", name="ck_statement_runs_totals"),)

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    run_date: Mapped[date] = mapped_column(Date)
    threshold: Mapped[money]
    count: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[money]
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]


class StatementRow(Base):
    """A patient statement as it was printed (migration 0020_statements): made by a run, or printed from the
    patient's ledger (``run_id`` null). A run never states a patient twice on one day: the partial unique index
    ``uq_statements_run_patient_day`` refuses the second, whatever two runs do at once."""

    __tablename__ = "statements"
    __table_args__ = (
        CheckConstraint("amount_due >= 0", name="ck_statements_amount_due"),
        CheckConstraint("reminder_level BETWEEN 0 AND 3", name="ck_statements_reminder_level"),
        Index(
            "uq_statements_run_patient_day",
            "clinic_id",
            "patient_id",
            "statement_date",
            unique=True,
            sqlite_where=text("run_id IS NOT NULL"),
            postgresql_where=text("run_id IS NOT NULL"),
        ),
    )

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("statement_runs.id"), index=True)
    statement_date: Mapped[date] = mapped_column(Date)
    amount_due: Mapped[money]
    oldest_due: Mapped[date | None] = mapped_column(Date)
    reminder_level: Mapped[int] = mapped_column(Integer)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[created_at]


class ClinicMailboxRow(Base):
    """The clinic's clearinghouse mailbox (migration 0021_mailbox): the transport (a folder on this machine or
    SFTP) with its server, folders and stored host key, the credential encrypted with the app's secret key
    (Fernet; never stored or shown in plain text), and the rule that names the files it sends."""

    __tablename__ = "clinic_mailboxes"

    id: Mapped[pk]
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"), unique=True)
    transport: Mapped[str] = mapped_column(String(10))  # folder, sftp
    host: Mapped[str | None] = mapped_column(String(255))
    port: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(100))
    auth: Mapped[str | None] = mapped_column(String(10))  # password, key
    credential_encrypted: Mapped[str | None] = mapped_column(Text)
    known_host_key: Mapped[str | None] = mapped_column(Text)
    outbox_path: Mapped[str | None] = mapped_column(String(255))
    inbox_path: Mapped[str | None] = mapped_column(String(255))
    archive_path: Mapped[str | None] = mapped_column(String(255))
    name_template: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class MailboxFileRow(Base):
    """A file the mailbox sent or received (migration 0021_mailbox), kept as it was: its transaction type read
    from the envelope, what handling it came to (posted, waiting for a reader, retrying ...) and, while it
    fails, its attempts and the moment of the next try. A clinic receives the same bytes once."""

    __tablename__ = "mailbox_files"

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    transaction_type: Mapped[str] = mapped_column(String(10))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # sent at, for a file sent
    outcome: Mapped[str] = mapped_column(String(24))
    message: Mapped[str | None] = mapped_column(String(500))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("claim_batches.id"))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    __table_args__ = (UniqueConstraint("clinic_id", "direction", "sha256"),)


class JobRunRow(Base):
    """A background job and its progress (migration 0022_jobs): what kind, for which clinic (none for the
    installation's own jobs, the reference checks), who asked, queued → running → done or failed, how far it
    got, and a message without patient data. ``args`` holds ids and numbers only; ``input`` the bytes a job
    reads (an uploaded 835), dropped once it ends. On PostgreSQL procrastinate's own tables hold the queue."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name="ck_job_runs_status"),
        CheckConstraint("progress_done >= 0 AND progress_total >= 0 AND attempts >= 0", name="ck_job_runs_counts"),
    )

    id: Mapped[pk]
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinics.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))
    attempts: Mapped[int] = mapped_column(Integer)
    progress_done: Mapped[int] = mapped_column(Integer)
    progress_total: Mapped[int] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(String(500))
    args: Mapped[dict[str, Any]] = mapped_column(JSON)
    input: Mapped[bytes | None] = mapped_column(LargeBinary)
    input_name: Mapped[str | None] = mapped_column(String(200))  # the uploaded file's name, kept with its bytes
    result_id: Mapped[int | None] = mapped_column(BigInteger)  # what it made: the remittance file, the run
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class EligibilityRequestRow(Base):
    """A 270 asked for a patient's coverage on a date of service (migration 0023_eligibility): its trace number
    (TRN02, unique per clinic, echoed by the 271), its interchange control number and the file as written; the
    mailbox file it went out as, when sent."""

    __tablename__ = "eligibility_requests"
    __table_args__ = (UniqueConstraint("clinic_id", "trace_number", name="uq_eligibility_requests_trace"),)

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    coverage_id: Mapped[int] = mapped_column(ForeignKey("coverages.id"))
    service_date: Mapped[date] = mapped_column(Date)
    trace_number: Mapped[str] = mapped_column(String(50))
    interchange_control_number: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))  # web, cli, api, nightly
    mailbox_file_id: Mapped[int | None] = mapped_column(ForeignKey("mailbox_files.id"))
    content: Mapped[str] = mapped_column(Text)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class EligibilityResponseRow(Base):
    """One member's 271 answer (migration 0023_eligibility), matched to the clinic's patient and coverage (or
    kept unmatched with the reason): the day asked, when and how it came, the key figures as columns and the
    whole parsed answer as JSON."""

    __tablename__ = "eligibility_responses"
    __table_args__ = (
        CheckConstraint("outcome IN ('matched', 'unmatched')", name="ck_eligibility_responses_outcome"),
        Index("ix_eligibility_responses_coverage", "clinic_id", "patient_id", "coverage_id", "received_at"),
    )

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    coverage_id: Mapped[int | None] = mapped_column(ForeignKey("coverages.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("eligibility_requests.id"))
    service_date: Mapped[date] = mapped_column(Date)  # the day asked about
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    received_on: Mapped[date] = mapped_column(Date)  # the clinic's day it was received (its time zone)
    source: Mapped[str] = mapped_column(String(20))  # mailbox, manual, cli, api
    mailbox_file_id: Mapped[int | None] = mapped_column(ForeignKey("mailbox_files.id"))
    outcome: Mapped[str] = mapped_column(String(12))
    message: Mapped[str] = mapped_column(String(500))
    member_id: Mapped[str | None] = mapped_column(String(80))
    trace_number: Mapped[str | None] = mapped_column(String(50))
    request_control_number: Mapped[int | None] = mapped_column(Integer)  # the 270's ISA13, when matched by trace
    coverage_status: Mapped[str] = mapped_column(String(10))  # active, inactive, unknown
    plan_begin: Mapped[date | None] = mapped_column(Date)
    plan_end: Mapped[date | None] = mapped_column(Date)
    deductible_remaining: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    deductible_total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    out_of_pocket_remaining: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    out_of_pocket_total: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    coinsurance_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    copay: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    visits_limit: Mapped[int | None] = mapped_column(Integer)
    visits_used: Mapped[int | None] = mapped_column(Integer)
    visits_remaining: Mapped[int | None] = mapped_column(Integer)
    prior_auth_required: Mapped[bool | None]
    therapy_applied: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    reasons: Mapped[str | None] = mapped_column(String(1000))  # EB01 words, AAA reasons and MSG text
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ClaimAnswerRow(Base):
    """What the clearinghouse or the payer said of one claim before its 835 (migration 0024_claim_answers): a
    999's verdict on the claim's transaction set, a 277CA's acknowledgement, a 277's status, or a 276 sent
    (``kind``), in words (``label``, ``detail``) with its codes (STC category, status and entity; IK3/IK4),
    the fix and the ptbill checks for a rejection, and the mailbox file it came in or went out in."""

    __tablename__ = "claim_answers"
    __table_args__ = (
        UniqueConstraint("claim_id", "mailbox_file_id", "kind", name="uq_claim_answers_file"),
        Index("ix_claim_answers_claim", "claim_id", "id"),
        Index("ix_claim_answers_clinic_outcome", "clinic_id", "outcome"),
    )

    id: Mapped[pk]
    clinic_id: Mapped[clinic_fk]
    claim_id: Mapped[int] = mapped_column(ForeignKey("claims.id", ondelete="CASCADE"))
    mailbox_file_id: Mapped[int | None] = mapped_column(ForeignKey("mailbox_files.id"))
    kind: Mapped[str] = mapped_column(String(6))  # 999, 277CA, 277, 276
    outcome: Mapped[str] = mapped_column(String(20))  # accepted, rejected, pended, finalized, noted, asked
    label: Mapped[str] = mapped_column(String(200))
    codes: Mapped[list[str]] = mapped_column(JSON)  # 'A7:562:85' (STC), 'IK3 NM1 at 17: 8', 'IK4 67: 7'
    detail: Mapped[str] = mapped_column(String(1000))
    fix: Mapped[str | None] = mapped_column(String(1000))
    rule_ids: Mapped[list[str]] = mapped_column(JSON)
    payer_claim_number: Mapped[str | None] = mapped_column(String(50))
    trace_number: Mapped[str | None] = mapped_column(String(50))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
