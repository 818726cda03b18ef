"""Payer settings: the payer catalog, the clinic's dated parameter changes (the top layer of the snapshot),
fee schedules."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import delete, event, select, update
from sqlalchemy.orm import Session

from ptbill.domain.dates import DateRange
from ptbill.domain.errors import ReferenceDataError
from ptbill.pricing import FeeSchedule
from ptbill.pricing import FeeScheduleRow as PricedRow
from ptbill.reference.catalog import PayerInfo, default_catalog
from ptbill.reference.declarations import InvalidValueError, UnknownParameterError, as_json
from ptbill.reference.parameters import (
    ClinicChange,
    Confidence,
    ParameterLayer,
    check_clinic_value,
    clinic_layer_from,
)
from ptbill.rules.registry import all_rules
from ptbill.services.access import BILLERS, Actor, InvalidChangeError, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.records import copy_of
from ptbill.storage.tables import ClinicRow, FeeScheduleRow, PayerParameterRow


@dataclass(frozen=True, slots=True)
class ParameterChange:
    """A clinic's dated value for one payer parameter, as saved."""

    id: int
    payer_id: str
    name: str
    value: Any
    effective_from: date
    reference: str
    confidence: str
    changed_by_user_id: int | None
    changed_at: datetime


@dataclass(frozen=True, slots=True)
class FeeScheduleEntry:
    """One contracted rate of the clinic's fee schedule; ``effective_to`` is the last day it applies."""

    code: str
    modifiers: str
    amount: Decimal
    effective_from: date
    effective_to: date | None
    source: str


def clinic_layer(session: Session, clinic_id: int, payer_id: str) -> ParameterLayer | None:
    """The clinic's dated changes to one payer's parameters, as the top layer of the snapshot.

    Each stored value is checked again on the way in: one that does not fit its parameter is skipped
    and reported by PAYER_SETTING_INVALID, so nothing a clinic stored can make a check fail.
    """
    rows = list(
        session.scalars(
            select(PayerParameterRow)
            .where(PayerParameterRow.clinic_id == clinic_id, PayerParameterRow.payer_id == payer_id)
            .order_by(PayerParameterRow.name, PayerParameterRow.effective_from, PayerParameterRow.id)
        )
    )
    if not rows:
        return None
    changes = (
        ClinicChange(row.name, row.value, row.effective_from, row.reference, row.confidence, row.changed_at.date())
        for row in rows
    )
    return clinic_layer_from(f"clinic:{clinic_id}", changes)


def set_payer_parameter(
    session: Session, actor: Actor, payer_id: str, name: str, value: Any, effective_from: date, reference: str
) -> ParameterChange:
    """Save a clinic's dated value after the same declaration check as the shipped files (InvalidChangeError)."""
    require_role(actor, BILLERS)
    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        raise NotFoundError(f"payer {payer_id} not found")
    try:
        stored = check_clinic_value(name, value)
    except UnknownParameterError as exc:
        raise InvalidChangeError("name", str(exc)) from None
    except InvalidValueError as exc:
        raise InvalidChangeError("value", f"{name} {exc}") from None
    rule_id = name.removeprefix("severity.")
    if rule_id != name and rule_id not in {registered.id for registered in all_rules()}:
        raise InvalidChangeError("name", f"no check has the id {rule_id} (the ids are listed in docs/rules.md)")
    if not reference.strip():
        raise InvalidChangeError(
            "reference", "say where the new value comes from (contract, bulletin, phone call with date)"
        )
    row = PayerParameterRow(
        clinic_id=actor.clinic_id,
        payer_id=payer_id,
        name=name,
        value=stored,
        effective_from=effective_from,
        reference=reference.strip(),
        confidence=Confidence.CLINIC,
        changed_by_user_id=actor.user_id,
    )
    session.add(row)
    session.flush()  # the flush gives the clinic a new configuration revision (config_changed)
    audit(session, actor, "update", "payer_parameter", f"{payer_id}:{name}", f"from {effective_from}")
    return copy_of(ParameterChange, row)


def payer_parameters(session: Session, actor: Actor, payer_id: str, day: date) -> list[dict[str, Any]]:
    catalog = default_catalog()
    if catalog.payer(payer_id) is None:
        raise NotFoundError(f"payer {payer_id} not found")
    snapshot = catalog.snapshot(payer_id, day)
    layer = clinic_layer(session, actor.clinic_id, payer_id)
    if layer is not None:
        snapshot = snapshot.with_layer(layer)
    out = []
    for name in sorted(set(snapshot.names()) | set(layer.parameters if layer else ())):
        resolved = snapshot.resolved(name)
        if resolved is None:
            continue
        out.append(
            {
                "name": name,
                "value": as_json(resolved.value),
                "effective_from": resolved.effective.start,
                "effective_to": resolved.effective.end,
                "source": resolved.reference,
                "confidence": resolved.confidence,
                "layer": resolved.layer,
                "description": resolved.description,
            }
        )
    return out


def list_payers(session: Session, actor: Actor) -> list[PayerInfo]:
    return sorted(default_catalog().payers().values(), key=lambda p: p.id)


def payer_detail(session: Session, actor: Actor, payer_id: str, day: date) -> tuple[PayerInfo, list[dict[str, Any]]]:
    """The payer and every parameter in force on ``day``, the clinic's own changes included."""
    payer = default_catalog().payer(payer_id)
    if payer is None:
        raise NotFoundError(f"payer {payer_id} not found")
    return payer, payer_parameters(session, actor, payer_id, day)


# The clinic's self-pay price list is a fee schedule of its own under this id (no payer of the catalog has it):
# what an uninsured patient pays, and what a service a payer does not cover costs on an estimate.
SELF_PAY = "self-pay"
_MAX_AMOUNT = Decimal("9999999999.99")  # Numeric(12, 2)


_FEE_COLUMNS = ("code", "modifiers", "amount", "effective_from", "effective_to")


def replace_fee_schedule(
    session: Session, actor: Actor, payer_id: str, csv_text: str, filename: str
) -> list[FeeScheduleEntry]:
    """Replace the clinic's contracted rates for one payer with an uploaded CSV (docs/pricing.md columns).

    A bad row raises ReferenceDataError naming the file, the line and the field; nothing is kept then.
    """
    require_role(actor, BILLERS)
    _schedule_owner(payer_id)
    schedule = _parse_fee_schedule(csv_text, filename)
    config_changed(session, actor.clinic_id)  # the checks of every server process read the schedule again
    session.execute(
        delete(FeeScheduleRow).where(FeeScheduleRow.clinic_id == actor.clinic_id, FeeScheduleRow.payer_id == payer_id)
    )
    rows = [
        FeeScheduleRow(
            clinic_id=actor.clinic_id,
            payer_id=payer_id,
            code=row.code,
            modifiers=" ".join(sorted(row.modifiers)),
            amount=row.amount,
            effective_from=row.effective.start,
            # stored as the CSV says it: the last day the amount applies
            effective_to=row.effective.end - timedelta(days=1) if row.effective.end else None,
            source=f"{filename} line {row.line}",
        )
        for row in schedule.rows
    ]
    session.add_all(rows)
    session.flush()
    audit(session, actor, "update", "fee_schedule", payer_id, f"{len(rows)} rows uploaded")
    return [copy_of(FeeScheduleEntry, row) for row in rows]


def _schedule_owner(payer_id: str) -> None:
    """A fee schedule belongs to a payer of the catalog, or is the clinic's self-pay price list."""
    if payer_id != SELF_PAY and default_catalog().payer(payer_id) is None:
        raise NotFoundError(f"payer {payer_id} not found")


def fee_schedule_of(session: Session, actor: Actor, payer_id: str) -> list[FeeScheduleEntry]:
    _schedule_owner(payer_id)
    rows = session.scalars(
        select(FeeScheduleRow)
        .where(FeeScheduleRow.clinic_id == actor.clinic_id, FeeScheduleRow.payer_id == payer_id)
        .order_by(FeeScheduleRow.id)
    )
    return [copy_of(FeeScheduleEntry, row) for row in rows]


def _parse_fee_schedule(csv_text: str, filename: str) -> FeeSchedule:
    if "\x00" in csv_text:
        raise ReferenceDataError(f"{filename}: contains NUL characters; is it a CSV file?")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "upload.csv"
        path.write_text(csv_text, encoding="utf-8")
        try:
            schedule = FeeSchedule.from_csv(path)
        except ReferenceDataError as exc:
            raise ReferenceDataError(str(exc).replace(str(path), filename)) from None
        except (csv.Error, OverflowError) as exc:  # a malformed cell, or a date past 9999-12-30
            raise ReferenceDataError(f"{filename}: {exc}") from None
    for row in schedule.rows:
        where = f"{filename}: line {row.line}"
        if row.amount > _MAX_AMOUNT or row.amount != row.amount.quantize(Decimal("0.01")):
            raise ReferenceDataError(f"{where}: field 'amount': {row.amount} is not dollars and cents below 10^10")
        if len(row.modifiers) > 4:
            raise ReferenceDataError(f"{where}: field 'modifiers': at most 4 modifiers")
    return schedule


def clinic_fee_schedule(session: Session, clinic_id: int, payer_id: str) -> FeeSchedule | None:
    """The clinic's uploaded rates for a payer, cited by the file and line they were uploaded from."""
    rows = list(
        session.scalars(
            select(FeeScheduleRow)
            .where(FeeScheduleRow.clinic_id == clinic_id, FeeScheduleRow.payer_id == payer_id)
            .order_by(FeeScheduleRow.id)
        )
    )
    if not rows:
        return None
    # Every row of one payer comes from the same upload (replace_fee_schedule), "<file> line <n>".
    filename, _, _ = rows[0].source.rpartition(" line ")
    return FeeSchedule(
        [
            PricedRow(
                code=row.code,
                modifiers=frozenset(row.modifiers.split()),
                amount=row.amount,
                effective=DateRange(
                    row.effective_from, row.effective_to + timedelta(days=1) if row.effective_to else None
                ),
                line=int(row.source.rpartition(" line ")[2] or 0),
            )
            for row in rows
        ],
        f"the clinic's fee schedule, {filename}",
    )


def config_changed(session: Session, clinic_id: int) -> None:
    """Give the clinic a new configuration revision in the caller's transaction: every server process then reads
    its payer parameters and fee schedules again at its next check (``services.clinic_config``)."""
    revised = update(ClinicRow).where(ClinicRow.id == clinic_id).values(config_revision=uuid4().hex)
    session.connection().execute(revised)  # not session.execute: it runs inside a flush too


@event.listens_for(Session, "before_flush")
def _config_rows_written(session: Session, _context: Any, _instances: Any) -> None:
    """A flush that writes payer parameters or fee-schedule rows, whoever wrote them, gives their clinics a new
    configuration revision."""
    clinics = {
        row.clinic_id
        for row in chain(session.new, session.dirty, session.deleted)
        if isinstance(row, PayerParameterRow | FeeScheduleRow) and row.clinic_id is not None
    }
    for clinic_id in sorted(clinics):
        config_changed(session, clinic_id)
