"""What every page handler needs: a database session, the logged-in user, the CSRF check, templates.

The pages authenticate with the session cookie only (never a bearer token), so every POST
carries the session-bound CSRF token as the ``csrf_token`` form field. A request without a valid
session is sent to the login page rather than answered with a bare 401.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request, Response
from fastapi.templating import Jinja2Templates
from jinja2 import pass_context

from ptbill.domain.clock import Clock
from ptbill.domain.vocabulary import BILLERS, CLINICIANS, SIGNERS
from ptbill.services import access
from ptbill.services.accounts import Client
from ptbill.services.db import Session
from ptbill.services.login_state import login_for_token
from ptbill.services.web_sessions import SESSION_COOKIE, SessionSigner
from ptbill.web.inputs import day, input_type

WEB_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
CSRF_FIELD = "csrf_token"


class LoginRequiredError(Exception):
    """No valid session: the page answers with a redirect to the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class EnrolmentRequiredError(Exception):
    """The clinic requires two-step login of the user's role and they have not set it up: the page
    answers with a redirect to its set-up."""


class PasswordChangeRequiredError(Exception):
    """The user logged in with a temporary password an admin gave them: the page answers with a redirect
    to the password change."""


class CsrfRefusedError(Exception):
    """A POST without the CSRF token of its session: refused with 403."""


def _money(value: object) -> str:
    """Dollars with cents and thousands separators; a dash when there is no amount (never "$0.00")."""
    if isinstance(value, Decimal | float | int | str) and str(value) != "":
        return f"${Decimal(str(value)):,.2f}"
    return "—"


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    """The time zone object of a name, made once (``ZoneInfo(name)`` looks its cache up on every call)."""
    return ZoneInfo(name)


def in_zone(value: datetime, zone: str | None) -> datetime:
    """A stored moment (UTC; SQLite hands it back without its zone) in the clinic's time zone."""
    moment = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return moment.astimezone(_zone(zone)) if zone else moment.astimezone(UTC)


def _zone_of(context: Any) -> str | None:
    """The clinic's time zone the viewer dependency left on the request (None before any login)."""
    request = context.get("request")
    zone = getattr(request.state, "clinic_zone", None) if request is not None else None
    return zone if isinstance(zone, str) else None


def _plain_day(value: date | datetime | str | None) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        parsed = day(value)
        if parsed is None:
            return value
        value = parsed
    return f"{value:%b} {value.day}, {value.year}"


@pass_context
def _day(context: Any, value: date | datetime | str | None) -> str:
    """A day as people read it (a moment's day in the clinic's zone); text that is not a date (a form's
    value as typed) is shown as typed."""
    if isinstance(value, datetime):
        value = in_zone(value, _zone_of(context))
    return _plain_day(value)


@pass_context
def _moment(context: Any, value: datetime | None) -> str:
    """Times are stored in UTC and shown in the clinic's time zone, with its abbreviation (PST, EDT)."""
    if value is None:
        return "—"
    return _moment_text(value, _zone_of(context))


@functools.lru_cache(maxsize=8192)
def _moment_text(value: datetime, zone: str | None) -> str:
    """One moment's text in one zone, kept: a page shows the same moments on every view (a claim's history
    holds up to 200), and the text depends on nothing else. (An aware and a naive moment never share a key.)"""
    local = in_zone(value, zone)
    return f"{_plain_day(local)} {local:%H:%M} {local.tzname()}"


def _label(value: object) -> str:
    return str(value).replace("_", " ")


templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
templates.env.filters.update(money=_money, day=_day, moment=_moment, label=_label, input_type=input_type)


def _db(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on any error.

    Handlers that redirect after a change commit first themselves, so the next page already sees it.
    """
    factory = request.app.state.ptbill.sessions
    with factory() as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


SessionDep = Annotated[Session, Depends(_db)]


def signer_of(request: Request) -> SessionSigner:
    signer: SessionSigner = request.app.state.ptbill.signer
    return signer


def now_of(request: Request) -> datetime:
    moment: datetime = request.app.state.ptbill.clock()
    return moment


def clock_of(request: Request) -> Clock:
    """The installation's clock (Settings): what "today" is for checks and a form's default dates."""
    clock: Clock = request.app.state.ptbill.settings.clock
    return clock


def client_of(request: Request) -> Client:
    return Client(request.client.host if request.client else None, request.headers.get("user-agent"))


@dataclass(frozen=True, slots=True)
class Viewer:
    """The logged-in user as the pages see them, with the CSRF token their forms must carry."""

    actor: access.Actor
    csrf: str
    clock: Clock  # the installation's: today for default dates and checks (PTBILL_TODAY pins it)

    @property
    def is_biller(self) -> bool:
        return self.actor.role in BILLERS

    @property
    def is_clinician(self) -> bool:
        return self.actor.role in CLINICIANS

    @property
    def can_sign(self) -> bool:
        return self.actor.role in SIGNERS


def _enrolment_viewer(request: Request, session: SessionDep) -> Viewer:
    """The user of the live session in the cookie, looked up on every request (nothing cached)."""
    token = request.cookies.get(SESSION_COOKIE)
    login = login_for_token(session, token, now_of(request))
    if login is None or token is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target)
    request.state.clinic_zone = login.zone  # every time on the page is in it
    request.state.first_step = login.first_step
    return Viewer(login.actor, signer_of(request).csrf_token(token), clock_of(request))


def _viewer(request: Request, session: SessionDep) -> Viewer:
    """The logged-in user, who must first set up two-step login when their clinic requires it of their role."""
    viewer = _enrolment_viewer(request, session)
    due = request.state.first_step  # read with the session (services.login_state)
    if due == "password":
        raise PasswordChangeRequiredError
    if due == "two_factor":
        raise EnrolmentRequiredError
    return viewer


# Every page but changing a temporary password, the two-step login set-up and logging out.
CurrentViewer = Annotated[Viewer, Depends(_viewer)]
EnrolmentViewer = Annotated[Viewer, Depends(_enrolment_viewer)]


async def check_csrf(request: Request) -> None:
    """Refuse a form POST whose token does not belong to the session cookie it came with."""
    form = await request.form()
    sent = form.get(CSRF_FIELD)
    if not signer_of(request).csrf_ok(request.cookies.get(SESSION_COOKIE), sent if isinstance(sent, str) else None):
        raise CsrfRefusedError


CsrfChecked = Depends(check_csrf)


def _typed(value: str) -> str:
    # No one types a NUL, and PostgreSQL text cannot hold one: dropped here, once for every form.
    return value.replace("\x00", "")


async def form_values(request: Request) -> dict[str, str]:
    """The submitted form as plain text fields (uploads are not part of any page)."""
    form = await request.form()
    return {key: _typed(value) for key, value in form.items() if isinstance(value, str)}


async def form_lists(request: Request) -> dict[str, list[str]]:
    """The submitted form with every value of repeated fields (checkbox lists)."""
    form = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(_typed(value))
    return lists


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def pdf_response(pdf: bytes, name: str, *, inline: bool = False) -> Response:
    """A PDF the browser downloads as ``name`` (``inline``: shows it in a tab, as appeal packets and ABNs)."""
    disposition = "inline" if inline else "attachment"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'{disposition}; filename="{name}"'}
    )
