"""The JSON API's router: one router per resource, mounted by ``ptbill.server`` under /api. Handlers
are thin (parse, call one service, return a schema): roles, clinic filtering and auditing live in the services.
``NoStore`` keeps every API answer (patient data, claim files, PDFs) out of browser and proxy caches.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptbill.api.routes import (
    abns,
    audit,
    batches,
    check_batch,
    claim_actions,
    claims,
    clinic,
    denials,
    eligibility,
    encounters,
    estimates,
    live_sessions,
    me,
    note_cosign,
    note_documents,
    patient_ledger,
    patients,
    payers,
    providers,
    queue,
    remittances,
    reports,
    session,
    statements,
    users,
)

router = APIRouter()
# Starlette tries the routes in order: the live check (the request a clinic sends most) is matched first
# instead of after about a hundred others. check_batch stays before encounters, whose paths it must precede.
for module in (
    check_batch,
    encounters,
    session,
    me,
    users,
    clinic,
    providers,
    live_sessions,
    patients,
    patient_ledger,
    statements,
    abns,
    eligibility,
    estimates,
    payers,
    note_cosign,
    claims,
    claim_actions,
    batches,
    denials,
    queue,
    reports,
    audit,
    remittances,
):
    router.include_router(module.router)
router.include_router(remittances.payments_router)
router.include_router(remittances.claim_payments_router)
router.include_router(statements.patients_router)
router.include_router(note_documents.router)
router.include_router(note_documents.patients_router)
router.include_router(note_cosign.clinic_router)

_NO_STORE = (b"cache-control", b"no-store")


class NoStore:
    """``Cache-Control: no-store`` on every response under /api, errors and downloads included; plain
    ASGI, like the pages' headers, so no extra task per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not (path == "/api" or path.startswith("/api/")):
            await self.app(scope, receive, send)
            return

        async def with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(name, value) for name, value in message.get("headers", []) if name.lower() != _NO_STORE[0]]
                message["headers"] = [*headers, _NO_STORE]
            await send(message)

        await self.app(scope, receive, with_header)
