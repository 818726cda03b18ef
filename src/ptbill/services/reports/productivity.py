"""Per-therapist productivity: visits, billed units and charges over the date range.

Visits: the therapist's signed notes (signed or billed) with a date of service in the range. Units and
charges: the lines of the original claims (frequency 1) built from those notes, so a corrected or void
claim does not count a visit twice. A visit signed but not billed yet has no units or charges; the
"billed visits" column says how many have. Three aggregate queries, no rows loaded.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from ptbill.services.access import Actor
from ptbill.services.audit import audit
from ptbill.services.reports.base import (
    COMMON,
    ZERO,
    ChartModel,
    Report,
    ReportDefinition,
    ReportParams,
    Series,
    note_filters,
)
from ptbill.storage.tables import ClaimLineRow, ClaimRow, EncounterRow, UserRow


class ProductivityRow(NamedTuple):
    therapist: str
    visits: int
    billed_visits: int
    units: int
    charges: Decimal
    charges_per_visit: Decimal | None


def _notes_where(params: ReportParams, clinic_id: int) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [
        EncounterRow.clinic_id == clinic_id,
        EncounterRow.status.in_(("signed", "billed")),
        *note_filters(params, clinic_id),
    ]
    if params.date_from:
        where.append(EncounterRow.date_of_service >= params.date_from)
    if params.date_to:
        where.append(EncounterRow.date_of_service <= params.date_to)
    if params.payer:
        where.append(EncounterRow.payer_id == params.payer)
    return where


class Productivity(ReportDefinition[ProductivityRow]):
    name = "productivity"
    tab = "Therapist productivity"
    question = "Visits, billed units and charges per therapist."
    accepts = COMMON
    columns = ("therapist", "visits", "billed visits", "units", "charges", "charges per billed visit")

    def build(self, session: Session, actor: Actor, params: ReportParams) -> Report[ProductivityRow]:
        where = _notes_where(params, actor.clinic_id)
        therapist = EncounterRow.therapist_user_id
        visits = dict(session.execute(select(therapist, func.count()).where(*where).group_by(therapist)).all())
        claims = select(therapist, func.count(ClaimRow.id), func.sum(ClaimRow.total_charge)).join(
            ClaimRow, ClaimRow.encounter_id == EncounterRow.id
        )
        billed = {
            t: (n, Decimal(c or 0))
            for t, n, c in session.execute(
                claims.where(*where, ClaimRow.frequency == "1", ClaimRow.clinic_id == actor.clinic_id).group_by(
                    therapist
                )
            )
        }
        units_query = (
            select(therapist, func.sum(ClaimLineRow.units))
            .join(ClaimRow, ClaimRow.encounter_id == EncounterRow.id)
            .join(ClaimLineRow, ClaimLineRow.claim_id == ClaimRow.id)
            .where(*where, ClaimRow.frequency == "1", ClaimRow.clinic_id == actor.clinic_id)
            .group_by(therapist)
        )
        units = {t: int(u or 0) for t, u in session.execute(units_query)}
        users = select(UserRow.id, UserRow.name).where(UserRow.clinic_id == actor.clinic_id)
        names = dict(session.execute(users).all())
        totals: dict[str, list[Any]] = defaultdict(lambda: [0, 0, 0, ZERO])
        for t in set(visits) | set(billed):
            row = totals[names.get(t, "No therapist recorded") if t else "No therapist recorded"]
            n, charge = billed.get(t, (0, ZERO))
            row[0] += visits.get(t, 0)
            row[1] += n
            row[2] += units.get(t, 0)
            row[3] += charge
        rows = [
            ProductivityRow(name, v, b, u, c, (c / b).quantize(Decimal("0.01")) if b else None)
            for name, (v, b, u, c) in totals.items()
        ]
        rows.sort(key=lambda r: (-r.visits, r.therapist.lower()))
        audit(session, actor, "read", "report", self.name)
        chart = ChartModel(
            "bar",
            "Charges billed per therapist",
            tuple(r.therapist for r in rows),
            (Series("Charges", tuple(float(r.charges) for r in rows)),),
        )
        return Report(self.name, "Visits, units and charges per therapist", self.columns, rows, chart, params)

    def page(self, session: Session, actor: Actor, report: Report[ProductivityRow]) -> dict[str, Any]:
        rows = report.rows
        return {
            "totals": {
                "visits": sum(r.visits for r in rows),
                "billed_visits": sum(r.billed_visits for r in rows),
                "units": sum(r.units for r in rows),
                "charges": sum((r.charges for r in rows), ZERO),
            }
        }
