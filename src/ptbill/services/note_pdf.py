"""A note as a document: the clean PDF of one stored note that payers and records requests ask for.

``note_sheet`` reads what the pages print (the note's document, its patient, clinic, payer, signer and addenda,
and its version and sha256 as a claim records them); ``note_flowables`` draws it: the clinic's header, the note
type and date of service, who the patient and payer are, who wrote and signed it (times in the clinic's zone),
then every section the note holds and nothing for those it does not, the signature and the addenda. The episode
PDF (``episode_pdf``) and the appeal packet (``appeals``) print notes with the same flowables. ``note_pdf`` is
the one-note export, audited as an export of the note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from reportlab.platypus import HRFlowable, Paragraph, Spacer, Table, TableStyle
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.encounter import Encounter, dotted_diagnosis
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.note_content import NoteType
from ptbill.domain.status import EncounterState
from ptbill.reference.catalog import default_catalog
from ptbill.reference.icd10 import default_catalog as icd10_catalog
from ptbill.services import note_pdf_sections as sx
from ptbill.services.access import Actor
from ptbill.services.addenda import NoteVersion, note_version
from ptbill.services.audit import audit
from ptbill.services.clinic import clinic_zone
from ptbill.services.notes import encounter_of
from ptbill.services.pdf_pages import RULE, WIDTH, PageMark, RunningHead, build_document
from ptbill.services.pdf_text import plain
from ptbill.storage.tables import ClinicRow, EncounterRow, NoteAddendumRow, PatientRow, UserRow


@dataclass(frozen=True, slots=True)
class PrintedAddendum:
    sequence: int
    author: str
    at: datetime  # in the clinic's zone
    reason: str
    text: str


@dataclass(frozen=True, slots=True)
class NoteSheet:
    """One stored note as its pages print it."""

    encounter_id: int
    external_id: str
    status: str
    note_type: NoteType
    encounter: Encounter
    patient_name: str
    birth_date: date
    chart_number: str
    clinic_name: str
    clinic_lines: tuple[str, ...]
    payer_name: str
    signer: str | None  # "Dana Reyes, PT"
    signed_at: datetime | None  # in the clinic's zone
    saved_version: int  # the version saved last (signed or not)
    version: NoteVersion
    addenda: tuple[PrintedAddendum, ...]
    units: dict[str, int]  # billed units by code, from the latest check of this version

    @property
    def draft(self) -> bool:
        return self.status == EncounterState.DRAFT

    @property
    def label(self) -> str:
        """The note's type and date of service, as page headers and the episode's cover name it."""
        return f"{self.note_type.label} · {self.encounter.date_of_service:%m/%d/%Y}"


def in_zone(moment: datetime, zone: str) -> datetime:
    """A stored moment (UTC; SQLite hands it back without its zone) in the clinic's time zone."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(ZoneInfo(zone))


def moment_text(moment: datetime) -> str:
    return f"{moment:%m/%d/%Y} at {moment:%H:%M} {moment.tzname()}"


def patient_line(name: str, birth_date: date, chart_number: str) -> str:
    return f"{name} · DOB {birth_date:%m/%d/%Y} · Chart {chart_number}"


def note_sheet(session: Session, row: EncounterRow, zone: str) -> NoteSheet:
    """What the pages of ``row`` (a note of the caller's clinic, already checked) print; reads nothing else's."""
    encounter = encounter_from_dict(row.document, f"encounter {row.id}")
    patient = session.get(PatientRow, row.patient_id)
    clinic = session.get(ClinicRow, row.clinic_id)
    if patient is None or clinic is None:  # pragma: no cover - foreign keys guarantee both
        raise LookupError(f"encounter {row.id} has no patient or clinic")
    signer = session.get(UserRow, row.signed_by_user_id) if row.signed_by_user_id else None
    addenda = session.scalars(
        select(NoteAddendumRow)
        .where(NoteAddendumRow.clinic_id == row.clinic_id, NoteAddendumRow.encounter_id == row.id)
        .order_by(NoteAddendumRow.sequence)
    )
    latest = next((c for c in reversed(row.checks) if c.encounter_version == row.version), None)
    units: dict[str, int] = {}
    for line in latest.claim_lines if latest else []:
        units[line["code"]] = units.get(line["code"], 0) + int(line.get("units") or 0)
    payer = default_catalog().payer(encounter.coverage.payer)
    address = f"{clinic.address_line1}, {clinic.city}, {clinic.state} {clinic.zip}"
    return NoteSheet(
        encounter_id=row.id,
        external_id=row.external_id,
        status=row.status,
        note_type=encounter.note_type,
        encounter=encounter,
        patient_name=" ".join(p for p in (patient.first_name, patient.middle_name, patient.last_name) if p),
        birth_date=patient.birth_date,
        chart_number=patient.chart_number,
        clinic_name=clinic.name,
        clinic_lines=(
            address + (f" · {clinic.contact_phone}" if clinic.contact_phone else ""),
            f"NPI {clinic.npi} · Tax ID {clinic.tax_id}",
        ),
        payer_name=payer.name if payer else encounter.coverage.payer,
        signer=(f"{signer.name}, {signer.credential}" if signer.credential else signer.name) if signer else None,
        signed_at=in_zone(row.signed_at, zone) if row.signed_at else None,
        saved_version=row.version,
        version=note_version(session, row),
        addenda=tuple(
            PrintedAddendum(a.sequence, a.author_name, in_zone(a.created_at, zone), a.reason, a.text) for a in addenda
        ),
        units=units,
    )


def _header(sheet: NoteSheet) -> list[Any]:
    s = sx.styles()
    left = [Paragraph(plain(sheet.clinic_name), s["clinic"])]
    left += [Paragraph(plain(line), s["small"]) for line in sheet.clinic_lines]
    right = [
        Paragraph(plain(sheet.note_type.label), s["kind"]),
        Paragraph(plain(f"Date of service {sheet.encounter.date_of_service:%m/%d/%Y}"), s["right"]),
    ]
    table = Table([[left, right]], colWidths=[0.58 * WIDTH, 0.42 * WIDTH], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return [table, Spacer(1, 4), HRFlowable(width="100%", thickness=1.2, color=RULE, spaceAfter=6)]


def _people(sheet: NoteSheet) -> tuple[list[list[Any]], list[list[Any]]]:
    """The identity rows two by two, and the rows that take the whole width."""
    e = sheet.encounter
    r = e.rendering_provider
    coverage = e.coverage
    member = coverage.member_id + (f" (group {coverage.group_number})" if coverage.group_number else "")
    if sheet.draft:
        signed = f"NOT SIGNED: draft version {sheet.saved_version}"
    else:
        when = f"{sheet.signed_at:%m/%d/%Y %H:%M} {sheet.signed_at.tzname()}" if sheet.signed_at else "—"
        signed = f"{when} by {sheet.signer or 'a former user'}"
    rows: list[list[Any]] = [
        ["Patient", f"{sheet.patient_name} ({e.patient.sex.value})", "Date of birth", f"{sheet.birth_date:%m/%d/%Y}"],
        ["Chart number", sheet.chart_number, "Note", f"{sheet.external_id} · version {sheet.version.label}"],
        ["Payer", sheet.payer_name, "Member ID", member],
        ["Therapist", f"{r.name}, {r.credential.value} · NPI {r.npi}", "Signed", signed],
    ]
    extra: list[tuple[str, str]] = []
    if e.supervising_provider:
        s = e.supervising_provider
        extra.append(("Supervising", f"{s.name}{', ' + s.credential.value if s.credential else ''} · NPI {s.npi}"))
    if e.referring_provider:
        extra.append(("Referring", f"{e.referring_provider.name} · NPI {e.referring_provider.npi}"))
    if coverage.authorization:
        a = coverage.authorization
        used = f", {a.visits_used} of {a.visits_approved} visits used" if a.visits_approved is not None else ""
        dates = f", {sx.day(a.valid_from)} to {sx.day(a.valid_to)}" if a.valid_from or a.valid_to else ""
        extra.append(("Authorization", f"{a.number}{used}{dates}"))
    for index in range(0, len(extra) - 1, 2):
        rows.append([*extra[index], *extra[index + 1]])
    wide = [list(extra[-1])] if len(extra) % 2 else []  # the odd one spans the width
    return rows, wide


def _identity(sheet: NoteSheet) -> list[Any]:
    w = WIDTH
    pairs, wide = _people(sheet)
    found: list[Any] = [sx.grid(pairs, [0.15 * w, 0.35 * w, 0.15 * w, 0.35 * w], header=False, labels=(0, 2))]
    e = sheet.encounter
    if e.diagnoses:
        icd = icd10_catalog().version_for(e.date_of_service)[0]
        named = [f"{n}. {dotted_diagnosis(c)} {icd.description(c) or ''}".strip() for n, c in enumerate(e.diagnoses, 1)]
        wide.append(["Diagnoses", "; ".join(named)])
    if wide:
        found.append(sx.grid(wide, [0.15 * w, 0.85 * w], header=False, labels=(0,)))
    return found


def _signature(sheet: NoteSheet) -> list[Any]:
    s = sx.styles()
    r = sheet.encounter.rendering_provider
    if sheet.draft:
        text = (
            f"Not signed. This is draft version {sheet.saved_version}: it may still change and is not part of the "
            "signed record."
        )
        found: list[Any] = [Paragraph(plain(text), s["alert"])]
    else:
        when = moment_text(sheet.signed_at) if sheet.signed_at else "a date not recorded"
        by = sheet.signer or f"{r.name}, {r.credential.value}"
        found = [Paragraph(plain(f"Electronically signed by {by} on {when}."), s["body"])]
    found.append(
        Paragraph(
            plain(
                f"Note {sheet.external_id}, version {sheet.version.label} (the signed version and the number of "
                "addenda); SHA-256 of the note with its addenda:"
            ),
            s["small"],
        )
    )
    found.append(Paragraph(sheet.version.sha256, s["hash"]))
    return [sx.heading("Signature"), *found]


def _addenda(sheet: NoteSheet) -> list[Any]:
    if not sheet.addenda:
        return []
    found: list[Any] = [sx.heading("Addenda")]
    for a in sheet.addenda:
        rows = [
            [f"Addendum {a.sequence}", f"{a.author}, {moment_text(a.at)}"],
            ["Reason", a.reason],
            ["Text", a.text],
        ]
        found += [sx.grid(rows, [0.18 * WIDTH, 0.82 * WIDTH], header=False, labels=(0,)), Spacer(1, 6)]
    return found


def _abn(encounter: Encounter) -> list[Any]:
    abn = encounter.abn
    if abn is None:
        return []
    option = {1: "bill Medicare", 2: "do not bill Medicare", 3: "declined the service"}[int(abn.option)]
    text = f"ABN (form CMS-R-131) signed {sx.day(abn.date_signed)}, option {int(abn.option)} ({option}), for "
    return [
        sx.heading("Advance Beneficiary Notice"),
        Paragraph(plain(text + ", ".join(abn.services) + "."), sx.styles()["body"]),
    ]


def note_flowables(sheet: NoteSheet, *, found_on: dict[int, int] | None = None, key: int = 0) -> list[Any]:
    """One note's pages: header, identity, every section the note holds, the signature and the addenda (the page
    it starts on written into ``found_on[key]``)."""
    e = sheet.encounter
    story: list[Any] = [PageMark(sheet.label, draft=sheet.draft, found_on=found_on, key=key), *_header(sheet)]
    if sheet.draft:
        story += [Paragraph("DRAFT: NOT SIGNED", sx.styles()["alert"]), Spacer(1, 4)]
    story += _identity(sheet)
    story += sx.subjective_section(e.subjective)
    story += sx.objective_section(e.objective)
    story += sx.services_section(e, sheet.units)
    story += sx.traction_section(e)
    story += sx.flowsheet_section(e)
    story += sx.text_block("Assessment", e.assessment)
    story += sx.goals_section(e.goals)
    story += sx.text_block("Plan", e.plan)
    story += sx.plan_of_care_section(e.plan_of_care)
    story += _abn(e)
    story += _signature(sheet)
    story += _addenda(sheet)
    return story


def running_head(sheet: NoteSheet) -> RunningHead:
    return RunningHead(patient_line(sheet.patient_name, sheet.birth_date, sheet.chart_number), sheet.clinic_name)


def note_pdf(session: Session, actor: Actor, encounter_id: int, *, clock: Clock = SYSTEM_CLOCK) -> bytes:
    """One note of the actor's clinic as a PDF (another clinic's: NotFoundError), its export audited."""
    row = encounter_of(session, actor, encounter_id)
    sheet = note_sheet(session, row, clinic_zone(session, actor.clinic_id))
    printed = in_zone(clock.now(), clinic_zone(session, actor.clinic_id))
    story = note_flowables(sheet)
    story += [Spacer(1, 10), Paragraph(plain(f"Printed {moment_text(printed)} by {actor.name}."), sx.styles()["small"])]
    pdf = build_document(
        story, running_head(sheet), title=f"{sheet.label} ({sheet.external_id})", author=sheet.clinic_name
    )
    audit(session, actor, "export", "encounter", str(row.id), f"note PDF, version {sheet.version.label}")
    return pdf
