"""What the mailbox does with a received file, by the transaction type its envelope names: one handler per
type in ``HANDLERS``. Only the 835 has one (posted through ``remittance_files.post_file``); a 999, 277CA, 277
or 271 is kept as received, "waiting for a reader", until its reader registers a handler here with
``register_handler``: the next poll hands the kept files to it, and the mailbox itself does not change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ptbill.mailbox.kinds import REMITTANCE_835
from ptbill.services.access import Actor
from ptbill.services.remittance_files import ALREADY_POSTED, POSTED, post_file

MAX_FILE_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Handled:
    """A handler's answer: the outcome stored on the file, its message, and whether the file is done (archived)
    or failed (left in the inbox and tried again later)."""

    outcome: str
    message: str
    done: bool


Handler = Callable[[Session, Actor, str, bytes], Handled]
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """``handler`` handles every received file of ``kind`` (a ``mailbox.kinds`` constant) from now on."""
    HANDLERS[kind] = handler


def post_835(session: Session, actor: Actor, name: str, data: bytes) -> Handled:
    """An 835 posted whole or not at all; refused (malformed, unbalanced, a conflict): tried again later."""
    result = post_file(session, actor, name, data, max_bytes=MAX_FILE_BYTES)
    return Handled(result.outcome, result.message[:500], result.outcome in (POSTED, ALREADY_POSTED))


register_handler(REMITTANCE_835, post_835)
