"""835 files posted through the app, the API or ``ptbill remit``: each file is checked (size, an 835 at
all, readable, balanced), then posted whole or not at all in a savepoint of its own, and its posting
summary is stored (``remittance_files``).

The same bytes post once per clinic: the file's row is inserted first with ON CONFLICT DO NOTHING on
(clinic, sha256), so a second upload of the same file, even from another session at the same moment,
waits for the first transaction and then finds the row and answers "already posted". A different file
carrying payments already on file (same payer and trace number) posts only what is new (services.posting).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ptbill.domain.errors import PtbillError, RemittanceFormatError
from ptbill.domain.remittance import Remittance
from ptbill.remittance.x12_835.reader import balance_problems, read_835
from ptbill.services.access import BILLERS, Actor, NotFoundError, require_role
from ptbill.services.audit import audit
from ptbill.services.posting import PostingSummary, post_remittances
from ptbill.storage.session import dialect_insert
from ptbill.storage.tables import RemittanceFileRow, RemittanceRow, UserRow

POSTED, ALREADY_POSTED, REFUSED = "posted", "already_posted", "refused"
MAX_WARNINGS = 50


@dataclass(frozen=True, slots=True)
class FileSummary:
    """What one file posted: the figures of the per-file summary page and the API."""

    remittances: int
    claims_posted: int
    claims_matched: int
    claims_already_posted: int
    payments_total: Decimal
    adjustments_total: Decimal
    patient_responsibility: Decimal
    denied: int
    reversals: int
    plb_total: Decimal
    unmatched_claims: tuple[str, ...]
    payment_ids: tuple[int, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemittanceFile:
    id: int
    file_name: str
    sha256: str
    size_bytes: int
    uploaded_by: str | None
    uploaded_at: datetime
    outcome: str
    summary: FileSummary


@dataclass(frozen=True, slots=True)
class UploadResult:
    """One file's answer: posted, already posted, or refused with the reason (too_big, not_835,
    malformed, unbalanced, conflict) and the problems that name the segment or the amounts."""

    file_name: str
    outcome: str
    reason: str | None
    message: str
    problems: tuple[str, ...] = ()
    file: RemittanceFile | None = None


def _summary_json(summary: PostingSummary) -> dict[str, Any]:
    return {
        "remittances": summary.remittances,
        "claims_posted": summary.claims_posted,
        "claims_matched": summary.claims_matched,
        "claims_already_posted": summary.claims_already_posted,
        "payments_total": str(summary.paid),
        "adjustments_total": str(summary.adjusted),
        "patient_responsibility": str(summary.patient_responsibility),
        "denied": summary.denied,
        "reversals": summary.reversals,
        "plb_total": str(summary.provider_adjustments),
        "unmatched_claims": list(summary.claims_unmatched),
        "payment_ids": list(summary.remittance_ids),
        "warnings": list(summary.warnings[:MAX_WARNINGS]),
    }


def _summary_of(data: dict[str, Any]) -> FileSummary:
    def money(key: str) -> Decimal:
        return Decimal(str(data.get(key, "0.00")))

    return FileSummary(
        remittances=int(data.get("remittances", 0)),
        claims_posted=int(data.get("claims_posted", 0)),
        claims_matched=int(data.get("claims_matched", 0)),
        claims_already_posted=int(data.get("claims_already_posted", 0)),
        payments_total=money("payments_total"),
        adjustments_total=money("adjustments_total"),
        patient_responsibility=money("patient_responsibility"),
        denied=int(data.get("denied", 0)),
        reversals=int(data.get("reversals", 0)),
        plb_total=money("plb_total"),
        unmatched_claims=tuple(data.get("unmatched_claims", ())),
        payment_ids=tuple(int(i) for i in data.get("payment_ids", ())),
        warnings=tuple(data.get("warnings", ())),
    )


def _record(row: RemittanceFileRow, uploaded_by: str | None) -> RemittanceFile:
    return RemittanceFile(
        row.id,
        row.file_name,
        row.sha256,
        row.size_bytes,
        uploaded_by,
        row.uploaded_at,
        row.outcome,
        _summary_of(row.summary),
    )


def _size(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MiB" if count >= 1024 * 1024 else f"{count:,} bytes"


def _read(name: str, data: bytes) -> list[Remittance] | UploadResult:
    """The file's remittances, or why it is refused: not an 835, or malformed (naming the segment)."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:3]
    if b"\x00" in data[:4096] or (head[:3] != b"ISA" and head[:2] != b"ST"):
        shown = head.decode("latin-1").encode("unicode_escape").decode("ascii") or "nothing"
        return UploadResult(
            name, REFUSED, "not_835", f"{name}: not an X12 835 file: it begins with {shown!r}, an 835 with ISA."
        )
    try:
        remittances = list(read_835(data))
    except RemittanceFormatError as exc:
        if exc.segment_id == "ST" and "835 remittances only" in exc.problem:
            return UploadResult(name, REFUSED, "not_835", f"{name}: not an 835: {exc}", (str(exc),))
        return UploadResult(
            name, REFUSED, "malformed", f"{name} cannot be read, so nothing was posted: {exc}", (str(exc),)
        )
    if not remittances:
        return UploadResult(name, REFUSED, "not_835", f"{name}: holds no 835 transaction (ST*835 … SE).")
    return remittances


def _already_posted(session: Session, actor: Actor, name: str, digest: str) -> UploadResult | None:
    row = session.scalar(
        select(RemittanceFileRow).where(
            RemittanceFileRow.clinic_id == actor.clinic_id, RemittanceFileRow.sha256 == digest
        )
    )
    if row is None:
        return None
    audit(session, actor, "read", "remittance_file", str(row.id), "uploaded again: already posted")
    earlier = _record(row, _user_name(session, row.uploaded_by_user_id))
    message = (
        f"{name}: already posted (file #{row.id}, {earlier.uploaded_at:%Y-%m-%d %H:%M} UTC); nothing posted again."
    )
    return UploadResult(name, ALREADY_POSTED, None, message, file=earlier)


def _existing(session: Session, actor: Actor, digest: str) -> RemittanceFileRow:
    row = session.scalar(
        select(RemittanceFileRow).where(
            RemittanceFileRow.clinic_id == actor.clinic_id, RemittanceFileRow.sha256 == digest
        )
    )
    assert row is not None  # the INSERT found it
    return row


def post_file(
    session: Session,
    actor: Actor,
    file_name: str,
    data: bytes,
    *,
    max_bytes: int,
    accept_unbalanced: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> UploadResult:
    """Check one 835 file and post it whole or not at all (a savepoint); store its summary.
    ``progress(done, total)`` hears of each claim payment posted (a background job's progress)."""
    require_role(actor, BILLERS)
    name = file_name.replace("\x00", "").strip()[:200] or "upload.835"
    if len(data) > max_bytes:
        return UploadResult(
            name, REFUSED, "too_big", f"{name}: too big ({_size(len(data))}); the limit is {_size(max_bytes)}."
        )
    if not data.strip():
        return UploadResult(name, REFUSED, "not_835", f"{name}: the file is empty.")
    digest = hashlib.sha256(data).hexdigest()
    posted_before = _already_posted(session, actor, name, digest)
    if posted_before is not None:  # the same bytes: answered without reading them again
        return posted_before
    read = _read(name, data)
    if isinstance(read, UploadResult):
        return read
    problems = [p for r in read for p in balance_problems(r)]
    if problems and not accept_unbalanced:
        message = f"{name} does not balance, so nothing was posted: " + "; ".join(problems[:5])
        return UploadResult(name, REFUSED, "unbalanced", message, tuple(problems))
    table = RemittanceFileRow.__table__
    try:
        with session.begin_nested():
            file_id = session.execute(
                dialect_insert(session)(table)
                .values(
                    clinic_id=actor.clinic_id,
                    file_name=name,
                    sha256=digest,
                    size_bytes=len(data),
                    uploaded_by_user_id=actor.user_id,
                    outcome=POSTED,
                    summary={},
                )
                .on_conflict_do_nothing(index_elements=[table.c.clinic_id, table.c.sha256])
                .returning(table.c.id)
            ).scalar_one_or_none()
            if file_id is None:
                # Another session posted the same bytes meanwhile: its INSERT won, this one waited for it.
                again = _already_posted(session, actor, name, digest)
                assert again is not None
                return again
            summary = post_remittances(
                session,
                actor,
                read,
                name,
                accept_unbalanced=accept_unbalanced,
                file_id=file_id,
                advance=_counter(progress, sum(len(r.claims) for r in read)),
            )
            outcome = POSTED if summary.claims_posted or not summary.claims_already_posted else ALREADY_POSTED
            session.execute(
                update(RemittanceFileRow)
                .where(RemittanceFileRow.id == file_id)
                .values(outcome=outcome, summary=_summary_json(summary))
            )
            audit(session, actor, "create", "remittance_file", str(file_id), f"{summary.claims_posted} claims posted")
    except PtbillError as exc:  # a claim that may not take the answer (ConflictError) ...: nothing posted
        return UploadResult(name, REFUSED, "conflict", f"{name}: not posted: {exc}", (str(exc),))
    stored = get_file(session, actor, file_id, audited=False)
    if outcome == ALREADY_POSTED:
        message = f"{name}: already posted: its {summary.claims_already_posted} claim payment(s) were on file."
    else:
        message = f"{name}: posted {summary.claims_posted} claim payment(s), {summary.claims_matched} matched."
    return UploadResult(name, outcome, None, message, tuple(problems), stored)


def _counter(progress: Callable[[int, int], None] | None, total: int) -> Callable[[], None] | None:
    if progress is None:
        return None
    done = [0]
    progress(0, total)

    def advance() -> None:
        done[0] += 1
        progress(done[0], total)

    return advance


def record_file(
    session: Session, actor: Actor, file_name: str, data: bytes, summary: PostingSummary
) -> tuple[int, bool]:
    """Store the summary of a file ``ptbill remit`` posted: its row's id, and whether this call stored it
    (False when the same bytes were posted before, whose first summary stays)."""
    outcome = POSTED if summary.claims_posted or not summary.claims_already_posted else ALREADY_POSTED
    table = RemittanceFileRow.__table__
    file_id = session.execute(
        dialect_insert(session)(table)
        .values(
            clinic_id=actor.clinic_id,
            file_name=file_name[:200],
            sha256=hashlib.sha256(data).hexdigest(),
            size_bytes=len(data),
            uploaded_by_user_id=actor.user_id,
            outcome=outcome,
            summary=_summary_json(summary),
        )
        .on_conflict_do_nothing(index_elements=[table.c.clinic_id, table.c.sha256])
        .returning(table.c.id)
    ).scalar_one_or_none()
    if file_id is None:
        return _existing(session, actor, hashlib.sha256(data).hexdigest()).id, False
    session.execute(
        update(RemittanceRow)
        .where(RemittanceRow.id.in_(summary.remittance_ids), RemittanceRow.remittance_file_id.is_(None))
        .values(remittance_file_id=file_id)
    )
    audit(session, actor, "create", "remittance_file", str(file_id), f"{summary.claims_posted} claims posted")
    return file_id, True


def _user_name(session: Session, user_id: int | None) -> str | None:
    return session.scalar(select(UserRow.name).where(UserRow.id == user_id)) if user_id else None


def get_file(session: Session, actor: Actor, file_id: int, *, audited: bool = True) -> RemittanceFile:
    require_role(actor, BILLERS)
    row = session.scalar(
        select(RemittanceFileRow).where(RemittanceFileRow.id == file_id, RemittanceFileRow.clinic_id == actor.clinic_id)
    )
    if row is None:
        raise NotFoundError(f"remittance file {file_id} not found")
    if audited:
        audit(session, actor, "read", "remittance_file", str(file_id))
    return _record(row, _user_name(session, row.uploaded_by_user_id))


def list_files(session: Session, actor: Actor, limit: int = 100) -> list[RemittanceFile]:
    """The clinic's posted files, newest first."""
    require_role(actor, BILLERS)
    query = (
        select(RemittanceFileRow, UserRow.name)
        .outerjoin(UserRow, UserRow.id == RemittanceFileRow.uploaded_by_user_id)
        .where(RemittanceFileRow.clinic_id == actor.clinic_id)
        .order_by(RemittanceFileRow.id.desc())
        .limit(limit)
    )
    files = [_record(row, name) for row, name in session.execute(query)]
    audit(session, actor, "read", "remittance_file", None, f"list of {len(files)}")
    return files
