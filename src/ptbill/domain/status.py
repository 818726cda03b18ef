"""Where a note, a claim and a batch are in their life, and the one table of the moves between statuses.

A move the table does not list is refused with the message ``refusal`` gives; it never overwrites.
The payer's own answer on a claim (CLP02) is ``domain.remittance.ClaimStatus``, a different thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TypeVar


class EncounterState(StrEnum):
    DRAFT = "draft"  # the therapist may still edit it
    SIGNED = "signed"  # final; waits in the biller's queue
    BILLED = "billed"  # a claim was built from it


class ClaimState(StrEnum):
    BUILT = "built"  # built from a signed note, not sent yet
    SUBMITTED = "submitted"  # its batch was sent to the clearinghouse
    ACCEPTED = "accepted"  # a 277CA (or 277) says the payer or clearinghouse took it in for processing
    REJECTED = "rejected"  # a 999 or 277CA rejected it: never entered adjudication; fix it and send again
    PENDED = "pended"  # a 277 says the payer holds it (pending, or asking for more information)
    FINALIZED = "finalized"  # a 277 says the payer decided it; its 835 is on the way
    PAID = "paid"
    PARTIAL = "partial"  # paid less than expected
    DENIED = "denied"
    REVERSED = "reversed"  # the payer took its payment back


class BatchState(StrEnum):
    BUILT = "built"  # the 837P file exists; not sent yet
    SUBMITTED = "submitted"


class DenialState(StrEnum):
    """Where a denied line is in the biller's work (``denial_items``)."""

    NEW = "new"  # found on a posted 835; nobody has touched it
    IN_PROGRESS = "in progress"
    APPEALED = "appealed"  # an appeal was sent (``appeal_level`` says which)
    CORRECTED = "corrected"  # a corrected claim was sent instead
    WRITTEN_OFF = "written off"
    RESOLVED = "resolved"  # paid after all, or otherwise closed


# The payer's answers. A later 835 may pay more, take back or reverse, so an answer may follow any
# answer; a claim answered before it was marked submitted was evidently sent, so an answer may also
# follow BUILT. Nothing goes back to BUILT or SUBMITTED once the payer has answered.
_ANSWERED = frozenset({ClaimState.PAID, ClaimState.PARTIAL, ClaimState.DENIED, ClaimState.REVERSED})
# What the clearinghouse and the payer say before the 835 (999, 277CA, 277: ``services.claim_answers``). An
# acknowledgement or a status may follow another (a claim rejected, corrected and acknowledged again; pended,
# then finalized); each may be followed by the 835. None follows an 835: the payer's answer is the last word.
_ACKNOWLEDGED = frozenset({ClaimState.ACCEPTED, ClaimState.REJECTED, ClaimState.PENDED, ClaimState.FINALIZED})

MOVES: Mapping[type[StrEnum], Mapping[StrEnum, frozenset[StrEnum]]] = {
    EncounterState: {
        EncounterState.DRAFT: frozenset({EncounterState.SIGNED}),
        # A biller may return a signed note not yet billed to its therapist (services/note_returns.py).
        EncounterState.SIGNED: frozenset({EncounterState.BILLED, EncounterState.DRAFT}),
        EncounterState.BILLED: frozenset(),
    },
    ClaimState: {
        ClaimState.BUILT: frozenset({ClaimState.SUBMITTED, *_ANSWERED, *_ACKNOWLEDGED}),
        ClaimState.SUBMITTED: _ANSWERED | _ACKNOWLEDGED,
        **{state: _ANSWERED | (_ACKNOWLEDGED - {state}) for state in _ACKNOWLEDGED},
        **dict.fromkeys(_ANSWERED, _ANSWERED),
    },
    BatchState: {
        BatchState.BUILT: frozenset({BatchState.SUBMITTED}),
        BatchState.SUBMITTED: frozenset(),
    },
    # Any open state may go to any other; an appealed item may be appealed again (the next level, with the
    # decision's date); a closed item (written off, resolved) may only be reopened as in progress.
    DenialState: {
        DenialState.NEW: frozenset(set(DenialState) - {DenialState.NEW}),
        DenialState.IN_PROGRESS: frozenset(set(DenialState) - {DenialState.NEW, DenialState.IN_PROGRESS}),
        DenialState.APPEALED: frozenset(set(DenialState) - {DenialState.NEW}),
        DenialState.CORRECTED: frozenset(
            {DenialState.IN_PROGRESS, DenialState.APPEALED, DenialState.WRITTEN_OFF, DenialState.RESOLVED}
        ),
        DenialState.WRITTEN_OFF: frozenset({DenialState.IN_PROGRESS}),
        DenialState.RESOLVED: frozenset({DenialState.IN_PROGRESS}),
    },
}

State = TypeVar("State", EncounterState, ClaimState, BatchState, DenialState)


def can_move(current: str, target: State) -> bool:
    """Whether something in ``current`` (as stored) may become ``target``."""
    kind = type(target)
    try:
        return target in MOVES[kind][kind(current)]
    except ValueError:  # a status the table does not know is never a safe place to move from
        return False


def refusal(subject: str, current: str, target: State) -> str | None:
    """Why ``subject`` may not move from ``current`` to ``target``; None when it may."""
    if can_move(current, target):
        return None
    kind = type(target)
    allowed = sorted(MOVES[kind].get(kind(current), frozenset())) if current in set(kind) else []
    after = f"; from {current} it may only become {', '.join(allowed)}" if allowed else ""
    return f"{subject} is {current} and cannot become {target}{after}"


def refusals(things: str, items: Iterable[tuple[int, str]], target: State) -> str | None:
    """Why some of ``items`` (id, current status) may not become ``target``, naming each; None when all may."""
    refused: dict[str, list[int]] = {}
    for item_id, current in items:
        if not can_move(current, target):
            refused.setdefault(current, []).append(item_id)
    if not refused:
        return None
    which = "; ".join(f"{current}: {', '.join(map(str, sorted(ids)))}" for current, ids in sorted(refused.items()))
    return f"{things} cannot become {target} ({which})"
