"""``ptbill mailbox poll`` and ``ptbill mailbox send BATCH_ID``: the clearinghouse mailbox from the terminal, as
the mailbox page does it (the clinic's transport and credential from its settings)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import click

from ptbill.cli.terminal import printable

_USER = click.option("--user", "email", envvar="PTBILL_USER", help="Act as this user (email); audited.")
T = TypeVar("T")


@click.group()
def mailbox() -> None:
    """The clearinghouse mailbox: send batches, receive answers."""


@contextmanager
def _refused(prefix: str) -> Iterator[None]:
    """A refusal (bad user, no mailbox, a batch that cannot go) as one line on stderr and exit 1."""
    from ptbill.domain.errors import PtbillError

    try:
        yield
    except PtbillError as exc:
        click.echo(f"{prefix}: {printable(str(exc))}", err=True)
        sys.exit(1)


def _with_mailbox(email: str | None, work: Callable[[Any, Any, Any, Any], T]) -> T:
    """``work(session, actor, mailbox, clock)`` in one transaction, as ``email``, the clinic's mailbox closed after."""
    from ptbill.cli.commands import _app_session, _cli_actor
    from ptbill.services.mailbox_settings import open_mailbox
    from ptbill.settings import Settings

    settings = Settings.from_environment()
    with _app_session() as session:
        actor = _cli_actor(session, email)
        box = open_mailbox(session, actor, secret_key=settings.secret_key, data_dir=settings.data_dir)
        try:
            return work(session, actor, box, settings.clock)
        finally:
            box.close()


@mailbox.command("poll")
@_USER
def poll(email: str | None) -> None:
    """Receive what the inbox holds: an 835 is posted, a 999/277CA/277/271 kept waiting for its reader."""
    from ptbill.services import mailbox as service

    with _refused("mailbox"):
        result = _with_mailbox(email, service.poll)
    click.echo(printable(result.summary))
    sys.exit(1 if result.problems or result.failed else 0)


@mailbox.command("send")
@_USER
@click.option("--confirm-late", is_flag=True, help="Send even if a claim is past its filing limit; audited.")
@click.argument("batch_id", type=click.IntRange(1, 2**63 - 1))
def send(email: str | None, confirm_late: bool, batch_id: int) -> None:
    """Put a built batch's 837P into the outbox and mark it submitted, all or nothing."""
    from ptbill.services import mailbox as service

    def send_it(session: Any, actor: Any, box: Any, clock: Any) -> Any:
        return service.send_batch(session, actor, box, batch_id, clock, confirm_late=confirm_late)

    with _refused(f"batch {batch_id} not sent"):
        sent = _with_mailbox(email, send_it)
    click.echo(f"batch {batch_id} sent as {printable(sent.name)} and marked submitted")
