"""What the mailbox does with a received file, by the transaction type its envelope names: one handler per
type in ``HANDLERS``. The 835 is posted through ``remittance_files.post_file``; the 271's answers are recorded
through ``eligibility.record_271`` (matched or not); the 999, 277CA and 277 are stored per claim and move its
status through ``claim_answers``. A type without a handler is kept as received, "waiting for a reader": once a
reader registers one here with ``register_handler``, the next poll hands it the kept files, and the mailbox
itself does not change."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from ptbill.mailbox.kinds import ACK_999, CLAIM_ACK_277CA, ELIGIBILITY_271, REMITTANCE_835, STATUS_277
from ptbill.services import claim_answers
from ptbill.services.access import Actor, ConflictError
from ptbill.services.eligibility import record_271
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
Recorder = Callable[[Session, Actor, bytes, datetime], claim_answers.Recorded]
HANDLERS: dict[str, Handler] = {}


def register_handler(kind: str, handler: Handler) -> None:
    """``handler`` handles every received file of ``kind`` (a ``mailbox.kinds`` constant) from now on."""
    HANDLERS[kind] = handler


def post_835(session: Session, actor: Actor, name: str, data: bytes) -> Handled:
    """An 835 posted whole or not at all; refused (malformed, unbalanced, a conflict): tried again later."""
    result = post_file(session, actor, name, data, max_bytes=MAX_FILE_BYTES)
    return Handled(result.outcome, result.message[:500], result.outcome in (POSTED, ALREADY_POSTED))


register_handler(REMITTANCE_835, post_835)


def record_271_file(session: Session, actor: Actor, name: str, data: bytes) -> Handled:
    """Each member's answer of a 271 recorded against the clinic's patients (an unmatched one is kept too); a
    file that is not a readable 271 is done as "unreadable", with the segment named: trying again cannot help."""
    try:
        recorded = record_271(session, actor.clinic_id, data, None, source="mailbox", file_name=name)
    except ConflictError as exc:
        return Handled("unreadable", f"{name}: {exc}"[:500], True)
    return Handled("recorded", recorded.summary[:500], True)


register_handler(ELIGIBILITY_271, record_271_file)


def _claim_answers(recorder: Recorder) -> Handler:
    """A 999, 277CA or 277 stored per claim (``claim_answers``): done once read, whether or not every claim it
    names is ours (the outcome says which are not); a malformed file raises and is tried again."""

    def handle(session: Session, actor: Actor, name: str, data: bytes) -> Handled:
        result = recorder(session, actor, data, claim_answers.received_at(session, actor, data))
        return Handled(result.outcome, result.message, True)

    return handle


register_handler(ACK_999, _claim_answers(claim_answers.record_999))
register_handler(CLAIM_ACK_277CA, _claim_answers(claim_answers.record_277ca))
register_handler(STATUS_277, _claim_answers(claim_answers.record_277))
