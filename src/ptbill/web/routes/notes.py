"""The therapist's traction note: start one for a patient, check it live, save it, sign it.

The page is the documentation template the 97012 billing guide asks for. The note is checked by the
same engine and services as the API: live while it is typed (``POST /notes/check``), and again on every
save. A refused save re-renders everything the therapist typed, with each problem beside its field.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.status import EncounterState
from ptbill.domain.vocabulary import CLINICIANS, Role
from ptbill.reference.catalog import default_catalog
from ptbill.services import access, addenda, note_returns
from ptbill.services import notes as notes_service
from ptbill.services import patients as patients_service
from ptbill.services import users as users_service
from ptbill.services.clinic import get_clinic
from ptbill.services.db import Session
from ptbill.services.eligibility_use import coverage_line
from ptbill.services.notes import Note
from ptbill.services.patients import Coverage, Patient
from ptbill.web import copy_forward, inputs, note_drafts, note_form, note_sections
from ptbill.web.copy_forward import LastVisit
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, render
from ptbill.web.inputs import OptionalRecordId, RecordId

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
EDITORS = CLINICIANS | {Role.ADMIN}


# reading the rows a note is made of ----------------------------------------------------------------


def _rendering_provider(session: Session, viewer: Viewer, stored: dict[str, Any] | None) -> dict[str, Any]:
    """The clinician writing the note renders the care; anyone else editing keeps the stored clinician."""
    if viewer.is_clinician:
        user = users_service.current_user(session, viewer.actor)
        if user is not None:
            return {"name": user.name, "npi": user.npi, "credential": user.credential}
    if stored and stored.get("rendering_provider"):
        return dict(stored["rendering_provider"])
    return {"name": viewer.actor.name, "npi": None, "credential": None}


def _coverage(coverages: list[Coverage], wanted: str | int | None) -> Coverage | None:
    for coverage in coverages:
        if str(coverage.id) == str(wanted):
            return coverage
    return None


def _parties(
    session: Session, viewer: Viewer, patient: Patient, coverage: Coverage | None, stored: dict[str, Any] | None
) -> note_form.NoteParties:
    return note_form.NoteParties(
        get_clinic(session, viewer.actor), _rendering_provider(session, viewer, stored), patient, coverage
    )


def _day(text: str | None, viewer: Viewer) -> date:
    """The note's day for looking things up (last visit, ICD-10 edition); today while it is not a date."""
    return inputs.day(text) or viewer.clock.today()


# findings as the page shows them -----------------------------------------------------------------


def _finding(raw: dict[str, Any], built: note_form.BuiltNote) -> dict[str, Any]:
    """A finding with its document path turned into the form input it belongs beside."""
    path = raw.get("field") or (f"services[{raw['service']}]" if raw.get("service") is not None else None)
    return {
        "rule": raw.get("rule"),
        "severity": raw.get("severity", "error"),
        "message": raw.get("message", ""),
        "fix": raw.get("fix"),
        "reference": raw.get("reference"),
        "field": built.form_field(path),
    }


def _format_findings(problems: list[str], built: note_form.BuiltNote) -> list[dict[str, Any]]:
    return [
        {
            "rule": None,
            "severity": "error",
            "message": item["message"],
            "fix": "Correct this entry so the note can be read and checked.",
            "reference": "Encounter format 1",
            "field": built.form_field(item["field"]),
        }
        for item in note_form.problem_fields(problems)
    ]


def _summary(findings: list[dict[str, Any]], verdict: str | None) -> dict[str, Any]:
    errors = sum(1 for f in findings if f["severity"] == "error")
    warnings = sum(1 for f in findings if f["severity"] == "warning")
    if verdict is None:
        verdict = "blocked" if errors else ("needs_attention" if warnings else "ready")
    return {"verdict": verdict, "errors": errors, "warnings": warnings}


def _diagnosis_labels(values: dict[str, str], viewer: Viewer) -> dict[str, str]:
    version, _exact = default_catalog().icd10_for(_day(values.get("date_of_service"), viewer))
    labels = {}
    for name, code in values.items():
        if name.startswith("diagnoses[") and code.strip():
            labels[name] = version.description(code) or ""
    return labels


def _claim_lines(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    labels = default_catalog().procedure_codes
    return [dict(line, label=labels[line["code"]].label if line["code"] in labels else "") for line in lines]


# the page ----------------------------------------------------------------------------------------


def _note_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    *,
    values: dict[str, str],
    patient: Patient | None,
    patients: list[Patient] | None,
    coverages: list[Coverage],
    row: Note | None,
    previous: LastVisit | None,
    findings: list[dict[str, Any]],
    verdict: str | None,
    claim_lines: list[dict[str, Any]],
    message: str | None = None,
    tone: str = "info",
    status_code: int = 200,
    eligibility_line: str | None = None,
    addendum: dict[str, Any] | None = None,
) -> Any:
    values, draft = note_drafts.on_page(request, session, viewer, values, row, patient)
    counts = note_form.row_counts(values)
    signed = row is not None and row.status != EncounterState.DRAFT
    supervising = viewer.actor.role == Role.PTA or bool(values.get("supervising_provider.name"))
    known = note_form.field_names(counts, supervising)
    placed: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for finding in findings:
        placed[note_form.place(finding["field"], known)].append(finding)
    editable = (row is None or row.status == EncounterState.DRAFT) and viewer.actor.role in EDITORS
    signer = access.actor_for(session, row.signed_by_user_id) if row and row.signed_by_user_id else None
    catalog = default_catalog()
    summary = _summary(findings, verdict)
    return render(
        request,
        "notes/note.html",
        {
            "viewer": viewer,
            "v": values,
            "row": row,
            "patient": patient,
            "patients": patients,
            "coverages": coverages,
            "payers": catalog.payers(),
            "counts": counts,
            "placed": placed,
            "findings": findings,
            "summary": summary,
            "claim_lines": claim_lines,
            "previous": previous,
            **copy_forward.page_context(previous, values, editable=editable, saved=row is not None),
            "force_story": note_form.previous_force_story(previous.force_source) if editable and previous else None,
            "editable": editable,
            "supervising": supervising,
            "signer": signer.name if signer else "a former user",
            "can_sign": editable and viewer.can_sign,
            "dx_labels": _diagnosis_labels(values, viewer),
            "message": message,
            "tone": tone,
            "f": note_form,
            "s": note_sections,
            "goal_status": note_sections.shows_goal_status(values),
            "procedure_codes": catalog.procedure_codes,
            "total_hint": note_form.form_minutes(values),
            "returned": note_returns.open_returns(session, viewer.actor, [row.id]).get(row.id) if row else None,
            "note_claims": note_returns.claims_of_note(session, viewer.actor, row.id) if row else [],
            "eligibility_line": eligibility_line,
            "addenda": addenda.addenda_of(session, viewer.actor, row.id) if row and signed else [],
            "can_amend": signed and viewer.actor.role in CLINICIANS,
            "addendum": addendum or {},
            "draft": draft,
        },
        status_code=status_code,
    )


@router.get("/notes/new")
def new_note(
    request: Request,
    viewer: CurrentViewer,
    session: SessionDep,
    patient_id: Annotated[OptionalRecordId, Query()] = None,
    date_of_service: Annotated[str | None, Query()] = None,
    q: Annotated[str, Query(max_length=200)] = "",
    note_type: Annotated[str, Query(max_length=40)] = "daily_note",
) -> Any:
    day = inputs.day(date_of_service) if date_of_service else viewer.clock.today()
    # The patient field: every patient, or those the search finds (what patients.js asks as one types).
    if q.strip():
        patients = patients_service.search_patients(session, viewer.actor, q)
    else:
        patients = patients_service.list_patients(session, viewer.actor)
    kind = note_type if note_type in dict(note_sections.NOTE_TYPES) else "daily_note"
    values = {"date_of_service": day.isoformat() if day else date_of_service or "", "place_of_service": "11"}
    values["note_type"] = kind
    if patient_id is None or day is None:
        # Step 1 again, with what was chosen kept and a date that is not one marked beside the date.
        values["patient_id"] = str(patient_id or "")
        values["q"] = q
        typed = (date_of_service or "")[:40]
        problems = [] if day else [f"date_of_service: not a date on the calendar (YYYY-MM-DD): {typed!r}"]
        return _note_page(
            request,
            session,
            viewer,
            values=values,
            patient=None,
            patients=patients,
            coverages=[],
            row=None,
            previous=None,
            findings=_format_findings(problems, note_form.BuiltNote({})),
            verdict=None,
            claim_lines=[],
            status_code=422 if problems else 200,
        )
    patient = patients_service.get_patient(session, viewer.actor, patient_id)
    coverages = [c for c in patients_service.coverages_of(session, viewer.actor, patient_id) if c.active]
    previous = copy_forward.last_visit(session, viewer, patient_id, day)
    values.update({"id": note_form.new_encounter_id(day), "services[0].modifiers": "GP"})
    if previous is not None:
        values.update(copy_forward.start_values(session, viewer, previous, patient_id))
    if "coverage_id" not in values and coverages:
        values["coverage_id"] = str(coverages[0].id)
    return _note_page(
        request,
        session,
        viewer,
        values=values,
        patient=patient,
        patients=patients,
        coverages=coverages,
        row=None,
        previous=previous,
        findings=[],
        verdict=None,
        claim_lines=[],
    )


OUTCOMES = {
    "saved": ("Saved and checked.", "ok"),
    "signed": ("Signed. The note is now in the biller's queue.", "ok"),
    "amended": ("Addendum added. The signed note is unchanged; the addendum is shown with it.", "ok"),
    "not-signed": ("Saved, but not signed: the findings marked in red block signing. Fix them, then sign.", "error"),
    "confirm-sign": (
        "Saved, but not signed yet: the findings marked “Check” are still open. Read them; to sign with them open,"
        " tick the box under “Sign note” and sign again.",
        "warning",
    ),
}
CONFIRMED = "yes"  # the value of the "sign with the warnings open" checkbox


@router.get("/notes/{encounter_id}")
def show_note(
    request: Request,
    encounter_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    outcome: Annotated[str | None, Query()] = None,
) -> Any:
    row = notes_service.get_encounter(session, viewer.actor, encounter_id, every_check=False)
    message, tone = OUTCOMES.get(outcome or "", (None, "info"))
    return stored_page(request, session, viewer, row, message, tone)


def stored_page(
    request: Request,
    session: Session,
    viewer: Viewer,
    row: Note,
    message: str | None = None,
    tone: str = "info",
    status_code: int = 200,
    addendum: dict[str, Any] | None = None,
) -> Any:
    patient = patients_service.get_patient(session, viewer.actor, row.patient_id)
    coverages = patients_service.coverages_of(session, viewer.actor, row.patient_id)
    values, renames = note_form.form_values(row.document)
    values["patient_id"] = str(row.patient_id)
    payer = (row.document.get("coverage") or {}).get("payer")
    chosen = next((c for c in coverages if c.payer_id == payer), None)
    if chosen is not None:
        values["coverage_id"] = str(chosen.id)
    built = note_form.BuiltNote(row.document, renames)
    latest = row.checks[-1] if row.checks else None
    previous = copy_forward.last_visit(session, viewer, row.patient_id, row.date_of_service)
    return _note_page(
        request,
        session,
        viewer,
        values=values,
        patient=patient,
        patients=None,
        coverages=coverages,
        row=row,
        previous=previous,
        findings=[_finding(f, built) for f in (latest.findings if latest else [])],
        verdict=row.verdict,
        claim_lines=_claim_lines(latest.claim_lines if latest else []),
        message=message,
        tone=tone,
        status_code=status_code,
        eligibility_line=coverage_line(session, viewer.actor, chosen.id if chosen else None),
        addendum=addendum,
    )


@router.post("/notes/check", dependencies=[CsrfChecked])
def check_note(viewer: CurrentViewer, session: SessionDep, form: FormDep) -> JSONResponse:
    """The live check: the form as it stands, checked by the engine, nothing saved."""
    patient_id = inputs.record_id(form.get("patient_id"))
    if patient_id is None:
        return JSONResponse({"verdict": None, "findings": [], "claim_lines": []})
    # The note's page view audited the patient's read; the check, sent at each pause in typing, does not again.
    patient = patients_service.patient_record(session, viewer.actor, patient_id)
    coverages = patients_service.coverage_records(session, viewer.actor, patient.id)
    built = note_form.build_document(
        form, _parties(session, viewer, patient, _coverage(coverages, form.get("coverage_id")), None)
    )
    try:
        report = notes_service.check_document(session, viewer.actor, built.document, clock=viewer.clock)
    except EncounterFormatError as exc:
        findings = _format_findings(exc.problems, built)
        return JSONResponse(
            {
                **_summary(findings, "blocked"),
                "findings": findings,
                "claim_lines": [],
                "readable": False,
                "total_hint": note_form.documented_minutes(built.document),
            }
        )
    findings = [_finding(f.to_json(), built) for f in report.findings]
    version, _exact = default_catalog().icd10_for(_day(built.document.get("date_of_service"), viewer))
    return JSONResponse(
        {
            **_summary(findings, report.verdict.value),
            "findings": findings,
            "claim_lines": _claim_lines([line.to_json() for line in report.claim_lines]),
            "readable": True,
            "total_hint": note_form.documented_minutes(built.document),
            "diagnoses": {
                f"diagnoses[{i}]": version.description(code) or "" for i, code in enumerate(built.document["diagnoses"])
            },
            "ruleset_version": report.ruleset_version,
        }
    )


@router.post("/notes", dependencies=[CsrfChecked])
def create_note(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Any:
    return _save(request, viewer, session, form, None)


@router.post("/notes/{encounter_id}", dependencies=[CsrfChecked])
def update_note(
    request: Request, encounter_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Any:
    return _save(request, viewer, session, form, encounter_id)


def _save(request: Request, viewer: Viewer, session: Session, form: dict[str, str], encounter_id: int | None) -> Any:
    """Save (checked on every save), then sign when asked and nothing blocks it; redirect after success."""
    if viewer.actor.role not in EDITORS:
        raise access.ForbiddenError(f"a {viewer.actor.role} may read notes but not write them")
    note_drafts.keep_first(session, viewer, form, encounter_id)  # committed before anything can fail
    row = (
        notes_service.get_encounter(session, viewer.actor, encounter_id, every_check=False)
        if encounter_id is not None
        else None
    )
    if row is not None and row.status != EncounterState.DRAFT:
        return stored_page(
            request, session, viewer, row, f"This note is {row.status}; a signed note cannot be changed.", "error", 409
        )
    patient_id = row.patient_id if row is not None else inputs.record_id(form.get("patient_id"))
    if patient_id is None:
        return RedirectResponse("/notes/new", status_code=303)
    patient = patients_service.get_patient(session, viewer.actor, patient_id)
    coverages = patients_service.coverages_of(session, viewer.actor, patient_id)
    stored = row.document if row is not None else None
    built = note_form.build_document(
        form, _parties(session, viewer, patient, _coverage(coverages, form.get("coverage_id")), stored)
    )
    if row is not None:
        built.document["id"] = row.external_id  # the id is the claim's control number: it never changes
    try:
        row, report = notes_service.save_encounter(
            session, viewer.actor, built.document, patient_id, encounter_id, clock=viewer.clock, every_check=False
        )
    except (EncounterFormatError, access.ConflictError) as exc:
        # The note was not written: the form comes back as typed, each unreadable entry beside its input.
        unreadable = isinstance(exc, EncounterFormatError)
        previous = copy_forward.last_visit(session, viewer, patient_id, _day(form.get("date_of_service"), viewer))
        return _note_page(
            request,
            session,
            viewer,
            values=dict(form),
            patient=patient,
            patients=None,
            coverages=[c for c in coverages if c.active or str(c.id) == form.get("coverage_id")],
            row=row,
            previous=previous,
            findings=_format_findings(exc.problems, built) if isinstance(exc, EncounterFormatError) else [],
            verdict="blocked" if unreadable else None,
            claim_lines=[],
            message="Not saved: some entries can't be read. They are marked below; everything you typed is kept."
            if unreadable
            else f"Not saved: {exc}. Everything you typed is kept below.",
            tone="error",
            status_code=422 if unreadable else 409,
        )
    note_drafts.saved(session, viewer, form, encounter_id, row)  # the note holds what the draft held
    if form.get("action") == "sign":
        if report.verdict.value == "blocked":
            session.commit()
            return RedirectResponse(f"/notes/{row.id}?outcome=not-signed", status_code=303)
        if report.verdict.value == "needs_attention" and viewer.can_sign and form.get("confirm_warnings") != CONFIRMED:
            session.commit()  # saved; signing with warnings open waits for the therapist's yes
            return RedirectResponse(f"/notes/{row.id}?outcome=confirm-sign", status_code=303)
        try:
            notes_service.sign_encounter(session, viewer.actor, row.id, clock=viewer.clock)
        except (access.ConflictError, access.ForbiddenError) as exc:
            session.commit()  # the save stands; only the signature was refused, and the page says why
            status = 403 if isinstance(exc, access.ForbiddenError) else 409
            return stored_page(request, session, viewer, row, f"Saved, but not signed: {exc}.", "error", status)
        session.commit()
        return RedirectResponse(f"/notes/{row.id}?outcome=signed", status_code=303)
    session.commit()
    return RedirectResponse(f"/notes/{row.id}?outcome=saved", status_code=303)
