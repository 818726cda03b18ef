"""The supervising therapist's co-signature of an assistant's signed note, where the payer or the clinic's state
requires one (the parameter ``notes.assistant_cosign_required``; the clinic's ``assistant_cosign_from``).

The flow: a PTA's (or OTA's) note is checked like any other; once signed it is checked again, and while the
co-signature is required and missing the check's NOTE_COSIGN_MISSING error holds it (the queue shows it blocked,
"waiting for co-signature by ...", and billing, which checks the note again, refuses it). A therapist of the
assistant's discipline co-signs it once: the note names its supervising therapist, and another therapist of the
clinic who supervised in their place may co-sign instead (the audit row says which). The co-signature is a
compare-and-set on the signed version (of two at once, one wins), audited, and the note is checked again, after
which it is ready to bill.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ptbill.domain.clock import SYSTEM_CLOCK, Clock
from ptbill.domain.encounter import ASSISTANT_OF
from ptbill.domain.encounter_json import encounter_from_dict
from ptbill.domain.errors import EncounterFormatError
from ptbill.domain.status import EncounterState
from ptbill.domain.vocabulary import Role
from ptbill.reference.catalog import default_catalog
from ptbill.reference.fingerprint import fingerprint
from ptbill.rules.engine import RULESET_VERSION
from ptbill.services.access import Actor, ConflictError, ForbiddenError, require_role
from ptbill.services.audit import audit
from ptbill.services.billing import rows_changed
from ptbill.services.clinic import Clinic, SettingsRefusedError, clinic_row
from ptbill.services.notes import Note, check_for_clinic, encounter_of, note_of
from ptbill.services.records import copy_of
from ptbill.storage.tables import EncounterCheckRow, EncounterRow, UserRow

COSIGNERS = frozenset({Role.THERAPIST})


def store_check(session: Session, row: EncounterRow, clock: Clock = SYSTEM_CLOCK) -> None:
    """Check the stored note again and keep the answer with its current version, as a save does: the queue, the
    notes list and billing read the latest check."""
    catalog = default_catalog()
    report = check_for_clinic(session, row.clinic_id, encounter_from_dict(row.document, "note"), catalog, clock=clock)
    row.verdict = report.verdict.value
    row.checks.append(
        EncounterCheckRow(
            encounter_version=row.version,
            ruleset_version=RULESET_VERSION,
            verdict=report.verdict.value,
            findings=[f.to_json() for f in report.findings],
            claim_lines=[line.to_json() for line in report.claim_lines],
            fingerprint=fingerprint(RULESET_VERSION, catalog),
        )
    )
    session.flush()


def check_after_signing(session: Session, row: EncounterRow, clock: Clock = SYSTEM_CLOCK) -> None:
    """An assistant's note is checked again once signed: its co-signature, when required, now holds it."""
    credential = (row.document.get("rendering_provider") or {}).get("credential")
    if credential in {c.value for c in ASSISTANT_OF}:
        store_check(session, row, clock)


def cosign_note(session: Session, actor: Actor, encounter_id: int, *, clock: Clock = SYSTEM_CLOCK) -> Note:
    """Co-sign an assistant's signed note, once per signed version; then it is checked again.

    Refused (ForbiddenError) for anyone but a therapist of the assistant's discipline, and (ConflictError) for a
    note that is not an assistant's, not signed, or already co-signed.
    """
    row = encounter_of(session, actor, encounter_id)  # another clinic's note is not found, before anything else
    require_role(actor, COSIGNERS)
    user = session.get(UserRow, actor.user_id)
    try:
        encounter = encounter_from_dict(row.document, f"encounter {encounter_id}")
    except EncounterFormatError:
        raise ConflictError(f"encounter {encounter_id} can no longer be read, so it cannot be co-signed") from None
    assistant = encounter.rendering_provider.credential
    supervisor = ASSISTANT_OF.get(assistant)
    if supervisor is None:
        raise ConflictError(f"encounter {encounter_id} is a {assistant.value}'s note: only an assistant's is co-signed")
    if user is None or user.credential != supervisor.value:
        raise ForbiddenError(f"a {assistant.value}'s note is co-signed by a {supervisor.value}")
    if row.status != EncounterState.SIGNED:
        raise ConflictError(
            f"encounter {encounter_id} is {row.status}: "
            + ("sign it first" if row.status == EncounterState.DRAFT else "a billed note is not co-signed")
        )
    version = row.version
    moved = rows_changed(
        session,
        update(EncounterRow)
        .where(
            EncounterRow.id == row.id,
            EncounterRow.status == EncounterState.SIGNED,
            EncounterRow.version == version,
            or_(EncounterRow.cosigned_version.is_(None), EncounterRow.cosigned_version != version),
        )
        .values(
            cosigned_by_user_id=user.id,
            cosigned_by_name=user.name[:120],
            cosigned_at=clock.now(),
            cosigned_version=version,
        ),
    )
    session.expire(row)
    if moved != 1:
        who = session.scalar(select(EncounterRow.cosigned_by_name).where(EncounterRow.id == row.id))
        raise ConflictError(f"encounter {encounter_id} was co-signed by {who or 'someone else'} a moment ago")
    named = encounter.supervising_provider
    as_named = named is not None and user.npi is not None and named.npi == user.npi
    detail = f"version {version}, " + ("the supervising therapist named" if as_named else "in the named one's place")
    audit(session, actor, "cosign", "encounter", str(row.id), detail)
    store_check(session, row, clock)
    return note_of(row)


def set_assistant_cosign(session: Session, actor: Actor, since: date | None) -> Clinic:
    """The clinic's own co-signature rule for its state: from which date of service a PTA's or OTA's notes wait
    for a therapist's co-signature (None: the state asks none). Admins only; audited."""
    require_role(actor, {Role.ADMIN})
    if since is not None and not date(2000, 1, 1) <= since <= date(2100, 12, 31):
        raise SettingsRefusedError({"assistant_cosign_from": "A date of service between 2000 and 2100."})
    clinic = clinic_row(session, actor)
    if clinic.assistant_cosign_from != since:
        clinic.assistant_cosign_from = since
        audit(session, actor, "update", "clinic", str(clinic.id), "changed: assistant_cosign_from")
    return copy_of(Clinic, clinic)
