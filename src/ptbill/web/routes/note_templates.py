"""Note templates on the pages: the choice a note starts from, applying one to the form as it stands, saving
one from a note, and the clinic's list (rename, delete).

The note page asks ``/notes/templates/choices`` which templates fit its patient (the form's diagnoses, the
patient's plans of care, the traction body region) and ``/notes/templates/apply`` what a template fills: the
form's empty inputs only (``web.template_fill``); the page fills them in place, without a reload, so nothing
typed is lost. Both are posted by ``static/note_templates.js`` with the note form as it stands; neither saves.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse

from ptbill.domain.encounter import BodyRegion
from ptbill.services import note_templates
from ptbill.services import notes as notes_service
from ptbill.services.access import require_role
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.web import inputs, template_fill
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, Viewer, form_values, render
from ptbill.web.inputs import OptionalRecordId, RecordId
from ptbill.web.note_form import T

router = APIRouter()
FormDep = Annotated[dict[str, str], Depends(form_values)]
REGIONS = {region.value for region in BodyRegion}
SAVED = {"saved": "Template saved.", "renamed": "Template renamed.", "deleted": "Template deleted."}


def _choice_json(ranked: note_templates.RankedChoice) -> dict[str, Any]:
    template = ranked.choice.template
    return {
        "key": ranked.choice.key,
        "name": template.name,
        "source": ranked.choice.source,
        "region": template.body_region.value,
        "why": ranked.why,
        "summary": template.summary or "",
    }


@router.post("/notes/templates/choices", dependencies=[CsrfChecked])
def template_choices(viewer: CurrentViewer, session: SessionDep, form: FormDep) -> JSONResponse:
    """The templates for the note as it stands: those fitting its diagnoses or body region first."""
    require_role(viewer.actor, note_templates.USERS)
    diagnoses = [value for name, value in sorted(form.items()) if name.startswith("diagnoses[")]
    patient_id = inputs.record_id(form.get("patient_id"))
    if patient_id is not None:  # the note page read and audited the patient; its plans add their diagnoses
        diagnoses += note_templates.plan_diagnoses(session, viewer.actor, patient_id)
    region = form.get(T + "body_region")
    matching, other = note_templates.ranked(
        note_templates.all_templates(session, viewer.actor), diagnoses, region if region in REGIONS else None
    )
    return JSONResponse(
        {"matching": [_choice_json(r) for r in matching], "other": [_choice_json(r) for r in other]},
        headers={"Cache-Control": "no-store"},
    )


@router.post("/notes/templates/apply", dependencies=[CsrfChecked])
def apply_template(viewer: CurrentViewer, session: SessionDep, form: FormDep) -> JSONResponse:
    """What the chosen template (the form's ``template``) fills of the form as it stands: its empty inputs."""
    choice = note_templates.template_by_key(session, viewer.actor, form.get("template", ""))
    filled = template_fill.fill(form, choice.template)
    return JSONResponse(
        {
            "template": choice.name,
            "values": filled.values,
            "kept": filled.kept,
            "left_out": filled.left_out,
        },
        headers={"Cache-Control": "no-store"},
    )


def _list_page(request: Request, viewer: Viewer, session: SessionDep, message: str | None = None, **extra: Any) -> Any:
    status = extra.pop("status_code", 200)
    context = {
        "viewer": viewer,
        "own": note_templates.clinic_templates(session, viewer.actor),
        "shipped": [c for c in note_templates.all_templates(session, viewer.actor) if c.source == "ptbill"],
        "can_manage": viewer.actor.role in note_templates.MANAGERS,
        "message": message,
        "problems": {},
        "typed": {},
        **extra,
    }
    return render(request, "notes/templates.html", context, status_code=status)


@router.get("/notes/templates")
def list_templates(
    request: Request,
    viewer: CurrentViewer,
    session: SessionDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Any:
    require_role(viewer.actor, note_templates.USERS)
    return _list_page(request, viewer, session, SAVED.get(done or ""))


def _new_page(
    request: Request,
    viewer: Viewer,
    session: SessionDep,
    note_id: int,
    typed: dict[str, str] | None = None,
    problems: dict[str, str] | None = None,
) -> Any:
    note = notes_service.get_encounter(session, viewer.actor, note_id)  # audited: the page shows its parts
    codes = [code for code in note.document.get("diagnoses") or [] if isinstance(code, str)]
    preview, trouble = note_templates.preview_of(note.document)
    context = {
        "viewer": viewer,
        "note": note,
        "typed": typed or {"diagnoses": ", ".join(note_templates.suggested_families(codes))},
        "problems": problems or {},
        "preview": preview,
        "trouble": trouble,
    }
    return render(request, "notes/template_new.html", context, status_code=422 if problems else 200)


@router.get("/notes/templates/new")
def new_template(
    request: Request,
    viewer: CurrentViewer,
    session: SessionDep,
    note: Annotated[OptionalRecordId, Query()] = None,
) -> Any:
    """Save a template from a note: what it will keep, and its name and diagnosis families."""
    require_role(viewer.actor, note_templates.MANAGERS)
    if note is None:
        return RedirectResponse("/notes/templates", status_code=303)
    return _new_page(request, viewer, session, note)


@router.post("/notes/templates", dependencies=[CsrfChecked])
def create_template(request: Request, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Any:
    note_id = inputs.record_id(form.get("note"))
    if note_id is None:
        return RedirectResponse("/notes/templates", status_code=303)
    typed = {"name": form.get("name", ""), "diagnoses": form.get("diagnoses", "")}
    try:
        made = note_templates.save_from_note(
            session, viewer.actor, note_id, typed["name"], typed["diagnoses"], clock=viewer.clock
        )
    except FieldProblemsError as exc:
        session.rollback()
        return _new_page(request, viewer, session, note_id, typed, exc.problems)
    session.commit()
    return RedirectResponse(f"/notes/templates?done=saved#template-{made.id}", status_code=303)


@router.post("/notes/templates/{template_id}/rename", dependencies=[CsrfChecked])
def rename_template(
    request: Request, template_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep
) -> Any:
    try:
        note_templates.rename_template(session, viewer.actor, template_id, form.get("name"), clock=viewer.clock)
    except FieldProblemsError as exc:
        session.rollback()
        typed = {template_id: form.get("name", "")}
        message = f"Not renamed: {exc.problems.get('name', exc)}. What you typed is kept below."
        return _list_page(
            request,
            viewer,
            session,
            message,
            tone="error",
            problems={template_id: message},
            typed=typed,
            status_code=422,
        )
    session.commit()
    return RedirectResponse(f"/notes/templates?done=renamed#template-{template_id}", status_code=303)


@router.post("/notes/templates/{template_id}/delete", dependencies=[CsrfChecked])
def delete_template(template_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Any:
    note_templates.delete_template(session, viewer.actor, template_id)
    session.commit()
    return RedirectResponse("/notes/templates?done=deleted", status_code=303)
