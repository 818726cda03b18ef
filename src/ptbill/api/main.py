"""The JSON API's router: one router per resource, mounted by ``ptbill.server`` under /api. Handlers
are thin (parse, call one service, return a schema): roles, clinic filtering and auditing live in the services.
"""

from __future__ import annotations

from fastapi import APIRouter

from ptbill.api.routes import audit, batches, claims, encounters, me, patients, payers, queue, session, users

router = APIRouter()
for module in (session, me, users, patients, payers, encounters, claims, batches, queue, audit):
    router.include_router(module.router)
