"""Remittance pages: upload 835 files (the request limit stated on the page; a progress bar from
``static/remittances.js`` when scripts run, a plain form post when they do not), each file's posting
summary, and the unmatched worklist where a biller matches a payment to a claim by hand.
Billers and admins only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import UploadFile

from ptbill.services import access, job_runs, remittance_files, unmatched
from ptbill.web.deps import CsrfChecked, CurrentViewer, SessionDep, form_values, render
from ptbill.web.inputs import RecordId, day, record_id

router = APIRouter()
MAX_FILES = 20
FormDep = Annotated[dict[str, str], Depends(form_values)]


def upload_limit(request: Request) -> int:
    limit: int = request.app.state.ptbill.settings.request_limits.upload_bytes
    return limit


def limit_text(limit: int) -> str:
    mib = 1024 * 1024
    return f"{limit // mib} MiB" if limit >= mib and limit % mib == 0 else f"{limit:,} bytes"


async def uploaded_files(request: Request) -> list[tuple[str, bytes]]:
    """The files of the upload form, each read up to one byte past the limit (the service says "too big")."""
    form = await request.form()
    limit = upload_limit(request)
    files = []
    for key, value in form.multi_items():
        if not isinstance(value, UploadFile):
            continue
        if key == "files" and (value.filename or value.size):
            files.append((value.filename or "upload.835", await value.read(limit + 1)))
        await value.close()  # the spooled temporary file, now read
    return files


FilesDep = Annotated[list[tuple[str, bytes]], Depends(uploaded_files)]


def _page(
    request: Request,
    viewer: Any,
    session: Any,
    results: list[Any],
    error: str | None = None,
    jobs: list[tuple[str, int]] | None = None,
) -> Response:
    files = remittance_files.list_files(session, viewer.actor, limit=50)
    context = {
        "viewer": viewer,
        "files": files,
        "results": results,
        "error": error,
        "limit": limit_text(upload_limit(request)),
        "max_files": MAX_FILES,
        "unmatched": len(unmatched.list_unmatched(session, viewer.actor)),
        "jobs": jobs or [],
    }
    return render(request, "remittances/upload.html", context)


@router.get("/remittances")
def upload_page(request: Request, viewer: CurrentViewer, session: SessionDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    return _page(request, viewer, session, [])


@router.post("/remittances", dependencies=[CsrfChecked])
def upload(request: Request, viewer: CurrentViewer, session: SessionDep, files: FilesDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    if not files:
        return _page(request, viewer, session, [], "Choose one or more 835 files first.")
    limit = upload_limit(request)
    background = request.app.state.ptbill.settings.jobs.background_bytes
    small = [(name, data) for name, data in files[:MAX_FILES] if not background <= len(data) <= limit]
    large = [(name, data) for name, data in files[:MAX_FILES] if background <= len(data) <= limit]
    results = [remittance_files.post_file(session, viewer.actor, name, data, max_bytes=limit) for name, data in small]
    session.commit()  # before a job's own transactions (on SQLite it runs now, in this thread)
    runner = request.app.state.ptbill.jobs
    jobs = [(name, runner.defer("post_835_file", viewer.actor, data=data, data_name=name)) for name, data in large]
    if len(files) == 1 and jobs:
        return RedirectResponse(f"/remittances/jobs/{jobs[0][1]}", status_code=303)
    error = f"Only the first {MAX_FILES} files were read; upload the rest next." if len(files) > MAX_FILES else None
    return _page(request, viewer, session, results, error, jobs)


@router.get("/remittances/jobs/{job_id}")
def job_page(request: Request, job_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    """A large file posting in the background: its progress, refreshed until it is posted or refused."""
    run = job_runs.get_run(session, viewer.actor, job_id)
    return render(request, "remittances/job.html", {"viewer": viewer, "run": run})


@router.get("/remittances/unmatched")
def unmatched_list(
    request: Request, viewer: CurrentViewer, session: SessionDep, matched: Annotated[str | None, Query()] = None
) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    items = unmatched.list_unmatched(session, viewer.actor)
    done = record_id(matched)
    return render(request, "remittances/unmatched.html", {"viewer": viewer, "items": items, "matched": done})


@router.get("/remittances/unmatched/{claim_payment_id}")
def match_page(
    request: Request,
    claim_payment_id: RecordId,
    viewer: CurrentViewer,
    session: SessionDep,
    q: Annotated[str, Query(max_length=80)] = "",
    dos: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    item = unmatched.get_unmatched(session, viewer.actor, claim_payment_id)
    service_date = day(dos) if dos else None
    errors = {"dos": "Not a date: write it as YYYY-MM-DD."} if dos and service_date is None else {}
    searched = bool(q.strip() or service_date)
    # Before any search: the claims billed for the same charge, the likeliest ones.
    found = unmatched.find_claims(session, viewer.actor, q.replace("\x00", ""), service_date, item.charge)
    context = {
        "viewer": viewer,
        "item": item,
        "q": q,
        "dos": dos,
        "errors": errors,
        "found": found,
        "searched": searched,
    }
    return render(request, "remittances/match.html", context, 422 if errors else 200)


@router.post("/remittances/unmatched/{claim_payment_id}/match", dependencies=[CsrfChecked])
def match(claim_payment_id: RecordId, viewer: CurrentViewer, session: SessionDep, form: FormDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    claim_id = record_id(form.get("claim_id"))
    if claim_id is None:
        raise access.NotFoundError("no claim chosen")
    unmatched.match_payment(session, viewer.actor, claim_payment_id, claim_id)
    session.commit()
    return RedirectResponse(f"/remittances/unmatched?matched={claim_id}", status_code=303)


@router.get("/remittances/{file_id}")
def file_summary(request: Request, file_id: RecordId, viewer: CurrentViewer, session: SessionDep) -> Response:
    access.require_role(viewer.actor, access.BILLERS)
    stored = remittance_files.get_file(session, viewer.actor, file_id)
    return render(request, "remittances/file.html", {"viewer": viewer, "file": stored})
