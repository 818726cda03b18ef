"""The clearinghouse mailbox's jobs: ``mailbox_poll`` (receive and route what the inbox holds),
``mailbox_send`` (send a built batch) and ``claim_status_inquiries`` (276s for claims unanswered too long).

Deferred for a clinic (the /mailbox page's "poll now" and "send"), a job acts as the user who asked. Run on
a schedule (``PTBILL_JOB_SCHEDULE``, e.g. ``mailbox_poll=*/15 * * * *``) it has no clinic: it then runs for
each clinic whose mailbox is configured, as that clinic's first active admin or biller, one transaction per
clinic, so one clinic's unreachable server does not hold back the others.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.errors import PtbillError
from ptbill.jobs.declared import JobContext, JobRefusedError, Outcome, job
from ptbill.services import mailbox, mailbox_settings, status_inquiries
from ptbill.services.access import Actor
from ptbill.services.job_runs import actor_of
from ptbill.storage.session import transaction
from ptbill.storage.tables import ClinicMailboxRow, UserRow

ClinicWork = Callable[[Session, Actor, JobContext], str]


def _clinic_actor(session: Session, clinic_id: int) -> Actor | None:
    """Who a scheduled job acts as in a clinic: its first active admin, else its first active biller."""
    for role in ("admin", "biller"):
        user = session.scalar(
            select(UserRow)
            .where(UserRow.clinic_id == clinic_id, UserRow.role == role, UserRow.active)
            .order_by(UserRow.id)
            .limit(1)
        )
        if user is not None:
            return Actor(user.id, user.clinic_id, user.role, user.name)
    return None


def _for_clinics(ctx: JobContext, work: ClinicWork) -> Outcome:
    """``work`` for the deferring user's clinic, or, scheduled, for each clinic with a mailbox configured."""
    if ctx.clinic_id is not None:
        clinic_id, user_id = ctx.actor_ids()
        with transaction(ctx.sessions) as session:
            return Outcome(work(session, actor_of(session, clinic_id, user_id), ctx))
    with ctx.sessions() as session:
        clinics = list(session.scalars(select(ClinicMailboxRow.clinic_id).order_by(ClinicMailboxRow.clinic_id)))
    lines = []
    for number, clinic_id in enumerate(clinics, start=1):
        try:
            with transaction(ctx.sessions) as session:
                actor = _clinic_actor(session, clinic_id)
                text = work(session, actor, ctx) if actor is not None else "no active admin or biller"
        except PtbillError as exc:  # this clinic's mailbox failed; the others still run
            text = f"failed: {type(exc).__name__}"
        lines.append(f"clinic {clinic_id}: {text}")
        ctx.progress(number, len(clinics))
    return Outcome("; ".join(lines)[:500] if lines else "no clinic has a mailbox configured")


def _poll(session: Session, actor: Actor, ctx: JobContext) -> str:
    box = mailbox_settings.open_mailbox(
        session, actor, secret_key=ctx.settings.secret_key, data_dir=ctx.settings.data_dir
    )
    try:
        return mailbox.poll(session, actor, box, ctx.clock).summary
    finally:
        box.close()


def _inquire(session: Session, actor: Actor, ctx: JobContext) -> str:
    box = mailbox_settings.open_mailbox(
        session, actor, secret_key=ctx.settings.secret_key, data_dir=ctx.settings.data_dir
    )
    try:
        return status_inquiries.send_inquiries(session, actor, box, ctx.clock).summary
    finally:
        box.close()


@job("mailbox_poll", retries=2, retry_seconds=60, queue="mailbox", periodic=True)
def mailbox_poll(ctx: JobContext) -> Outcome:
    """Receive what the clearinghouse's inbox holds: each new file stored, routed by type, handled, archived."""
    return _for_clinics(ctx, _poll)


@job("claim_status_inquiries", retries=1, retry_seconds=300, queue="mailbox", periodic=True)
def claim_status_inquiries(ctx: JobContext) -> Outcome:
    """A 276 for each claim sent with no 835 and no 277 for its payer's days, through the clinic's mailbox."""
    return _for_clinics(ctx, _inquire)


@job("mailbox_send", retries=0, queue="mailbox")
def mailbox_send(ctx: JobContext) -> Outcome:
    """A built batch (``batch_id``) sent through the clinic's mailbox and marked submitted, all or nothing."""
    clinic_id, user_id = ctx.actor_ids()
    batch_id = int(ctx.args["batch_id"])
    try:
        with transaction(ctx.sessions) as session:
            actor = actor_of(session, clinic_id, user_id)
            box = mailbox_settings.open_mailbox(
                session, actor, secret_key=ctx.settings.secret_key, data_dir=ctx.settings.data_dir
            )
            try:
                sent = mailbox.send_batch(
                    session, actor, box, batch_id, ctx.clock, confirm_late=bool(ctx.args.get("confirm_late"))
                )
            finally:
                box.close()
    except PtbillError as exc:  # refused (late, already sent) or the upload failed: the batch stays built
        raise JobRefusedError(f"batch {batch_id} was not sent: {exc}"[:500]) from None
    return Outcome(f"batch {batch_id} sent as {sent.name} and marked submitted", sent.id)
