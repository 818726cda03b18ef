"""What every resource router shares: documented error responses, operation ids, and one 422 format
(``detail`` plus a ``problems`` line per field, as for a malformed note), NaN and infinities refused too.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Coroutine, Sequence
from datetime import datetime
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel

from ptbill.api.schemas.common import MAX_ID, ErrorPublic, ProblemPublic
from ptbill.services.access import InvalidChangeError
from ptbill.services.accounts import LoginLockedError
from ptbill.services.passwords import PasswordRefusedError
from ptbill.services.patient_fields import FieldProblemsError
from ptbill.settings import KIB, MIB, RequestLimits

_LIMITS = RequestLimits()
# A record's id in a path: 1 up to the largest id both databases hold (a larger one is a 422, never a driver error).
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]

_ERRORS: dict[int, tuple[type[ErrorPublic | ProblemPublic], str]] = {
    400: (ErrorPublic, "Reference data or settings the request needs are broken; the message names them."),
    401: (ErrorPublic, "Not logged in: no bearer token or session cookie, or an expired one."),
    403: (ErrorPublic, "The user's role may not do this, or a cookie-authenticated write lacks X-CSRF-Token."),
    404: (ErrorPublic, "Not found in the user's clinic (another clinic's ids answer exactly like missing ones)."),
    409: (ErrorPublic, "The request conflicts with the current state (a signed note, a billed encounter ...)."),
    413: (
        ErrorPublic,
        f"The body is larger than the app takes: {_LIMITS.json_bytes // MIB} MiB of JSON, "
        f"{_LIMITS.upload_bytes // MIB} MiB for an upload, {_LIMITS.anonymous_bytes // KIB} KiB without a session "
        "(the defaults); refused before it is parsed.",
    ),
    422: (ProblemPublic, "The request or the note is malformed: `problems` has one line per field."),
    429: (ErrorPublic, "Too many failed logins for the account or from the address; `Retry-After` says when to retry."),
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these error statuses."""
    return {status: {"model": _ERRORS[status][0], "description": _ERRORS[status][1]} for status in statuses}


def problem_lines(raw: Sequence[Any]) -> list[str]:
    lines = []
    for error in raw:
        location = ".".join(str(part) for part in error.get("loc", ())) or "(request)"
        lines.append(f"{location}: {error.get('msg', 'invalid')}")
    return lines


def invalid_change(exc: InvalidChangeError, prefix: str = "") -> JSONResponse:
    """A change the service refused for one field: 422 with the problem line the API's validation errors use
    (``prefix`` ``body.`` where the field is the request body's)."""
    problem = {"detail": str(exc), "problems": [f"{prefix}{exc.field}: {exc}"], "field": exc.field}
    return JSONResponse(problem, status_code=422)


Public = TypeVar("Public", bound=BaseModel)


def made_or_refused(public: type[Public], make: Callable[[], object], prefix: str = "body.") -> Public | JSONResponse:
    """What ``make`` (a service call) returns, read as ``public``; or the 422 naming the field it refused."""
    try:
        made = make()
    except InvalidChangeError as exc:
        return invalid_change(exc, prefix)
    return public.model_validate(made)


class PdfResponse(Response):
    """A PDF the API hands out (CMS-1500, appeal packet, reopening request, estimate, ABN)."""

    media_type = "application/pdf"


def pdf_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` of a route answering a PDF: the binary 200 and these error statuses."""
    pdf = {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    return {200: pdf, **errors(*statuses)}


def pdf_download(pdf: bytes, name: str) -> PdfResponse:
    """``pdf`` as a download named ``name``."""
    return PdfResponse(pdf, headers={"Content-Disposition": f'attachment; filename="{name}"'})


def field_problems(
    exc: FieldProblemsError, where: str = "body", detail: str = "some fields cannot be used"
) -> JSONResponse:
    """422 in the API's problem format, one line per field of ``where`` (body or query)."""
    problems = [f"{where}.{name}: {message}" for name, message in exc.problems.items()]
    return JSONResponse({"detail": detail, "problems": problems}, status_code=422)


def refused_password(exc: PasswordRefusedError) -> JSONResponse:
    """A 422 in the problem format naming the password field and the rule it breaks. Returned, not
    raised, so the request's transaction still commits what it must keep (a counted wrong password)."""
    return JSONResponse(
        {"detail": "the password cannot be used", "problems": [f"body.{exc.field}: {exc}"]}, status_code=422
    )


def locked_out(locked: LoginLockedError, now: datetime) -> JSONResponse:
    """429 with the same words whether or not the account exists, and when to try again."""
    wait = max(1, math.ceil((locked.until - now).total_seconds()))
    return JSONResponse({"detail": str(locked)}, status_code=429, headers={"Retry-After": str(wait)})


# What a non-finite number needs in JSON text: NaN/Infinity, a 3-digit exponent, or 309+ digits.
_MAYBE_NOT_FINITE = re.compile(rb"NaN|Infinity|[eE][+]?\d{3}|\d{309}")


class _NotFiniteError(ValueError):
    pass


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as infinity
        raise _NotFiniteError(text)
    return value


def _refuse(text: str) -> float:
    raise _NotFiniteError(text)


async def _non_finite_number(request: Request) -> str | None:
    """A NaN or infinite number in a JSON body, which Python's parser accepts but no database column,
    JSON column included, can store (nor the rules compare); None when there is none."""
    if request.method not in ("POST", "PUT", "PATCH") or "json" not in request.headers.get("content-type", ""):
        return None
    body = await request.body()
    if not _MAYBE_NOT_FINITE.search(body):
        return None  # the common case, decided without a second parse of the body
    try:
        json.loads(body, parse_float=_finite, parse_constant=_refuse)
    except _NotFiniteError as exc:
        return str(exc)
    except ValueError:
        return None  # malformed JSON: FastAPI reports it
    return None


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class ProblemRoute(APIRoute):
    """An APIRoute whose request validation errors come out as ``{"detail", "problems"}``."""

    def get_route_handler(self) -> Handler:
        handler = self.fast_path(super().get_route_handler())

        async def route(request: Request) -> Response:
            number = await _non_finite_number(request)
            if number is not None:
                return JSONResponse(
                    {"detail": "the request is not valid", "problems": [f"body: {number} is not a finite number"]},
                    status_code=422,
                )
            try:
                return await handler(request)
            except RequestValidationError as exc:
                return JSONResponse(
                    {"detail": "the request is not valid", "problems": problem_lines(exc.errors())}, status_code=422
                )

        return route

    def fast_path(self, handler: Handler) -> Handler:
        """The handler FastAPI built for the route (dependencies, body, validation); a route class may answer its
        common request itself and hand the rest to it."""
        return handler


# The content types FastAPI reads as a JSON body that a fast path takes; others (``+json`` types, parameters)
# are left to FastAPI.
_PLAIN_JSON = frozenset({"application/json", "application/json; charset=utf-8"})


async def json_object(request: Request) -> dict[str, Any] | None:
    """The request's body when it is a JSON object sent as plain ``application/json``, which a ``dict[str, Any]``
    body parameter takes as it is; None for anything else (FastAPI then reads it, and words its refusal)."""
    if request.headers.get("content-type", "").lower() not in _PLAIN_JSON:
        return None
    try:
        document = json.loads(await request.body())
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _operation_id(route: APIRoute) -> str:
    # The handler's name: short, stable ids for generated clients (handler names are unique in the API).
    return route.name


def resource_router(prefix: str, tag: str) -> APIRouter:
    """A resource's router; every route documents 401, 413 and 422 (with the problem format) at least."""
    return APIRouter(
        prefix=prefix,
        tags=[tag],
        route_class=ProblemRoute,
        generate_unique_id_function=_operation_id,
        responses=errors(401, 413, 422),
    )
