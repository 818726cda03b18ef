"""The web pages: login, the therapist's traction note, the biller's queue, payer settings, history,
the denials worklist and the reports.

``mount`` adds the page routes, the static files and HTML error pages to the app that also serves the
JSON API. Pages call the same services as the API; errors on pages get a readable page, while paths
under /api keep the API's JSON answers.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptbill.domain.errors import EncounterFormatError, PtbillError
from ptbill.services.access import ConflictError, DatabaseBusyError, ForbiddenError, NotFoundError
from ptbill.services.sessions import session_is_live
from ptbill.web.deps import (
    STATIC_DIR,
    CsrfRefusedError,
    EnrolmentRequiredError,
    LoginRequiredError,
    PasswordChangeRequiredError,
    render,
    templates,
)
from ptbill.web.request_limits import BodyLimits
from ptbill.web.routes import (
    abns,
    admin,
    admin_people,
    admin_views,
    auth,
    claim_page,
    denials,
    eligibility,
    estimates,
    history,
    mailbox,
    note_addenda,
    note_cosign,
    note_documents,
    note_drafts,
    note_list,
    note_templates,
    notes,
    patient_ledger,
    patients,
    payers,
    payments,
    queue,
    rejections,
    remittances,
    reports,
    setup,
    statements,
    timely_filing,
    two_factor,
)

Handler = Callable[[Request, Any], Awaitable[Response]]
PAGE_ROUTERS = (
    auth.router,
    two_factor.router,
    history.router,
    timely_filing.router,  # before claim_page: /claims/timely-filing is not a claim id
    rejections.router,  # before claim_page: /claims/rejections is not a claim id
    claim_page.router,
    note_templates.router,  # before notes: /notes/templates is not a note id
    note_addenda.router,
    note_list.router,
    note_drafts.router,  # before notes: /notes/drafts is not a note id
    note_documents.router,  # the PDFs of a note and of a patient's episode of care
    note_cosign.router,
    notes.router,
    abns.router,
    eligibility.router,
    patients.router,
    patient_ledger.router,
    statements.router,
    estimates.router,
    queue.router,
    payers.router,
    denials.router,
    remittances.router,
    mailbox.router,
    payments.router,
    reports.router,
    # Last: the page walks post to these after every other page, so a session an admin ends there
    # (tests/integration/test_hostile_page_input.py) ends no other page's walk.
    admin.router,
    admin_people.router,
    admin_views.router,
)
ERROR_PAGES = {
    400: ("Something in that request can't be used", "Go back, check the entry and try again."),
    403: ("Not allowed", "Your role can't do this, or the form had expired. Reload the page and try again."),
    404: ("Not found", "There is nothing here, or it belongs to another clinic."),
    409: ("That can't be done right now", "Someone may have changed it in the meantime. Reload and check."),
    422: ("Something in that address can't be used", "Check the value named below, or use the page's own links."),
    500: ("Something went wrong on our side", "Try again in a moment. If it keeps happening, tell your administrator."),
}
# Pages hold patient data: never cached, never framed, scripts and styles only from this site.
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
}


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    title, advice = ERROR_PAGES.get(status, ("Something went wrong", "Try again in a moment."))
    # Service messages name ids only (never patient data), so they are safe to show, except "not
    # found", which must look the same whether the thing is missing or another clinic's.
    shown = None if status == 404 else detail
    return render(
        request, "errors/error.html", {"title": title, "advice": advice, "detail": shown, "status": status}, status
    )


def _page_or_api(app: FastAPI, error: type[Exception], status: int) -> Handler:
    api_handler = app.exception_handlers.get(error)

    async def handle(request: Request, exc: Any) -> Response:
        if _is_api(request) and api_handler is not None:
            answer = api_handler(request, exc)
            return await answer if inspect.isawaitable(answer) else answer
        return error_page(request, status, str(exc))

    return handle


def _asset_version() -> str:
    """A fingerprint of the static files, so browsers fetch them again after an upgrade."""
    digest = hashlib.sha256()
    for path in sorted(STATIC_DIR.rglob("*")):
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def mount(app: FastAPI) -> None:
    """Add the pages, /static, the page error handlers and the request body limits to ``app`` (after the API
    is included)."""
    templates.env.globals["asset_version"] = _asset_version()
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    _serve_docs_and_icon(app)
    for router in PAGE_ROUTERS:
        app.include_router(router, include_in_schema=False)
    # Before any login: the first-run page (tested on an empty database by tests/integration/test_setup_page.py).
    app.include_router(setup.router, include_in_schema=False)

    for error, status in (
        (EncounterFormatError, 400),
        (NotFoundError, 404),
        (ForbiddenError, 403),
        (ConflictError, 409),
        (DatabaseBusyError, 503),
        (PtbillError, 400),
    ):
        app.add_exception_handler(error, _page_or_api(app, error, status))

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequiredError)
        return RedirectResponse(f"/login?next={quote(exc.next_path)}", status_code=303)

    async def enrolment_required(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/account/two-factor", status_code=303)

    async def password_change_required(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/account/password?required=1", status_code=303)

    async def csrf_refused(request: Request, _exc: Exception) -> Response:
        return error_page(request, 403, "The form's security token is missing or out of date.")

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if _is_api(request) or request.url.path.startswith("/static/"):
            return await http_exception_handler(request, exc)
        return error_page(request, exc.status_code, None)

    async def invalid_request(request: Request, exc: Exception) -> Response:
        """A path or query value the route's types refuse: a page naming the value, never a 500."""
        assert isinstance(exc, RequestValidationError)
        if _is_api(request):
            return await request_validation_exception_handler(request, exc)
        problems = exc.errors()
        if any(problem.get("loc", ("",))[0] == "path" for problem in problems):
            return error_page(request, 404, None)  # an id that is not an id names no record
        named = "; ".join(f"{problem['loc'][-1]}: {problem['msg']}" for problem in problems)
        return error_page(request, 422, named)

    async def unexpected(request: Request, _exc: Exception) -> Response:
        """The last resort: a page (or JSON) that says so, without the error's text; the server logs it."""
        if _is_api(request):
            return JSONResponse({"detail": "something went wrong on the server"}, status_code=500)
        response = error_page(request, 500, None)
        response.headers.update(SECURITY_HEADERS)  # this handler runs outside PageHeaders
        return response

    app.add_exception_handler(LoginRequiredError, login_required)
    app.add_exception_handler(CsrfRefusedError, csrf_refused)
    app.add_exception_handler(EnrolmentRequiredError, enrolment_required)
    app.add_exception_handler(PasswordChangeRequiredError, password_change_required)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(Exception, unexpected)

    state = app.state.ptbill

    def has_session(token: str) -> bool:
        # It decides which size limit applies, not who may do what: the routes still check the actor.
        with state.sessions() as db:
            return session_is_live(db, token, state.clock())

    # Inside PageHeaders, so a refused page still gets the security headers.
    app.add_middleware(BodyLimits, limits=state.settings.request_limits, has_session=has_session)
    app.add_middleware(PageHeaders)


def _serve_docs_and_icon(app: FastAPI) -> None:
    """/api/docs from the Swagger UI files vendored under /static (no CDN: it works offline), and the
    icon browsers ask for at /favicon.ico."""
    vendor = f"/static/vendor/swagger-ui/{{}}?v={templates.env.globals['asset_version']}"

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/api/openapi.json",
            title=f"{app.title} API",
            swagger_js_url=vendor.format("swagger-ui-bundle.js"),
            swagger_css_url=vendor.format("swagger-ui.css"),
            swagger_favicon_url="/static/favicon.svg",
        )

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")


class PageHeaders:
    """Security headers on every page (not on the JSON API or static files), as plain ASGI: a
    BaseHTTPMiddleware would run each request through an extra task and stream (it showed in profiles)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.extra = [
            (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in SECURITY_HEADERS.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == "/api" or path.startswith(("/api/", "/static/")):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *((n, v) for n, v in self.extra if n not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
