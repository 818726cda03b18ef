"""Payers: the catalog, each parameter in force on a date with its source, the clinic's dated changes,
and the clinic's contracted fee schedule per payer (stored per clinic; the engine prices with it)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import File, Path, Query, UploadFile
from fastapi.responses import JSONResponse

from ptbill.api.deps import ClockDep, CurrentActor, SessionDep
from ptbill.api.routing import errors, made_or_refused, resource_router
from ptbill.api.schemas.payers import (
    FeeSchedulePublic,
    FeeScheduleRowPublic,
    ParameterChangePublic,
    ParameterPublic,
    ParameterUpdate,
    PayerDetailPublic,
    PayerPublic,
)
from ptbill.domain.errors import ReferenceDataError
from ptbill.services import payers as payers_service

router = resource_router("/payers", "payers")
PayerId = Annotated[str, Path(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9-]*$")]
ParameterName = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
MAX_UPLOAD = 5 * 1024 * 1024  # a fee schedule is a few thousand rows at most


@router.get("", response_model=list[PayerPublic], summary="List the payer catalog", responses=errors(401))
def list_payers(actor: CurrentActor, session: SessionDep) -> list[PayerPublic]:
    return [PayerPublic.model_validate(p) for p in payers_service.list_payers(session, actor)]


@router.get(
    "/{payer_id}",
    response_model=PayerDetailPublic,
    summary="A payer and its parameters on a date",
    description="Every parameter's value in force on `date` (default: today), with its dates, source, "
    "confidence and the layer it comes from (the clinic's changes first).",
    responses=errors(401, 404, 422),
)
def read_payer(
    payer_id: PayerId,
    actor: CurrentActor,
    session: SessionDep,
    clock: ClockDep,
    day: Annotated[date | None, Query(alias="date", description="YYYY-MM-DD; default today.")] = None,
) -> PayerDetailPublic:
    on = day or clock.today()
    payer, parameters = payers_service.payer_detail(session, actor, payer_id, on)
    return PayerDetailPublic(
        id=payer.id,
        name=payer.name,
        type=payer.type.value,
        notes=payer.notes,
        day=on,
        parameters=[ParameterPublic.model_validate(p) for p in parameters],
    )


@router.put(
    "/{payer_id}/parameters/{name}",
    response_model=ParameterChangePublic,
    summary="Change a payer parameter from a date",
    description="The clinic's own value from `effective_from` on, with the reference it rests on. It is "
    "layered over the shipped value (which stays visible in the history) and applies to checks from then. "
    "The value passes the parameter's declared type, allowed values and range, as the shipped files do; "
    "a refused change is a 422 whose `field` is `name`, `value` or `reference` and whose `detail` says why; "
    "nothing is saved.",
    responses=errors(401, 403, 404, 422),
)
def change_parameter(
    payer_id: PayerId, name: ParameterName, body: ParameterUpdate, actor: CurrentActor, session: SessionDep
) -> ParameterChangePublic | JSONResponse:
    return made_or_refused(
        ParameterChangePublic,
        lambda: payers_service.set_payer_parameter(
            session, actor, payer_id, name, body.value, body.effective_from, body.reference
        ),
        "",
    )


@router.get(
    "/{payer_id}/fee-schedule",
    response_model=FeeSchedulePublic,
    summary="The clinic's fee schedule for a payer",
    responses=errors(401, 404, 422),
)
def read_fee_schedule(payer_id: PayerId, actor: CurrentActor, session: SessionDep) -> FeeSchedulePublic:
    rows = payers_service.fee_schedule_of(session, actor, payer_id)
    return FeeSchedulePublic(payer_id=payer_id, rows=[FeeScheduleRowPublic.model_validate(r) for r in rows])


@router.put(
    "/{payer_id}/fee-schedule",
    response_model=FeeSchedulePublic,
    summary="Upload the clinic's fee schedule for a payer",
    description="A CSV with columns code, amount, effective_from and optionally modifiers, effective_to "
    "(inclusive), note (docs/pricing.md). It replaces the clinic's previous rows for the payer; expected "
    "payments of later checks come from it. A bad row is a 422 naming the line and the field.",
    responses=errors(401, 403, 404, 422),
)
def upload_fee_schedule(
    payer_id: PayerId,
    actor: CurrentActor,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="The fee schedule CSV (UTF-8).")],
) -> FeeSchedulePublic | JSONResponse:
    raw = file.file.read(MAX_UPLOAD + 1)
    name = (file.filename or "upload.csv").replace("\x00", "")[:100]
    try:
        if len(raw) > MAX_UPLOAD:
            raise ReferenceDataError(f"{name}: larger than {MAX_UPLOAD // (1024 * 1024)} MiB")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ReferenceDataError(f"{name}: not UTF-8 text; save the CSV as UTF-8") from None
        rows = payers_service.replace_fee_schedule(session, actor, payer_id, text, name)
    except ReferenceDataError as exc:
        return JSONResponse({"detail": "the fee schedule cannot be read", "problems": [str(exc)]}, status_code=422)
    return FeeSchedulePublic(payer_id=payer_id, rows=[FeeScheduleRowPublic.model_validate(r) for r in rows])
