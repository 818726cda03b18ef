"""The one table of status moves: what may follow what for a note, a claim and a batch."""

from __future__ import annotations

import pytest

from ptbill.domain.status import BatchState, ClaimState, EncounterState, can_move, refusal, refusals

ANSWERED = (ClaimState.PAID, ClaimState.PARTIAL, ClaimState.DENIED, ClaimState.REVERSED)


@pytest.mark.parametrize("answer", ANSWERED)
def test_a_claim_the_payer_answered_never_goes_back_to_submitted_or_built(answer: ClaimState) -> None:
    assert not can_move(answer, ClaimState.SUBMITTED)
    assert not can_move(answer, ClaimState.BUILT)
    assert refusal("claim 7", answer, ClaimState.SUBMITTED) == (
        f"claim 7 is {answer} and cannot become submitted; from {answer} it may only become "
        "denied, paid, partial, reversed"
    )


@pytest.mark.parametrize("start", [ClaimState.BUILT, ClaimState.SUBMITTED, *ANSWERED])
@pytest.mark.parametrize("answer", ANSWERED)
def test_a_later_remittance_may_answer_a_claim_again(start: ClaimState, answer: ClaimState) -> None:
    assert refusal("claim 7", start, answer) is None


def test_only_a_built_claim_or_batch_becomes_submitted_and_only_once() -> None:
    assert can_move("built", ClaimState.SUBMITTED)
    assert not can_move("submitted", ClaimState.SUBMITTED)
    assert can_move("built", BatchState.SUBMITTED)
    assert refusal("batch 3", "submitted", BatchState.SUBMITTED) == "batch 3 is submitted and cannot become submitted"


def test_a_note_is_signed_then_billed_never_the_other_way() -> None:
    assert can_move("draft", EncounterState.SIGNED)
    assert can_move("signed", EncounterState.BILLED)
    assert not can_move("draft", EncounterState.BILLED)
    assert not can_move("billed", EncounterState.SIGNED)
    assert not can_move("billed", EncounterState.DRAFT)


def test_a_status_the_table_does_not_know_moves_nowhere() -> None:
    assert not can_move("lost", ClaimState.PAID)
    assert refusal("claim 9", "lost", ClaimState.PAID) == "claim 9 is lost and cannot become paid"


def test_refusals_name_every_item_that_may_not_move_by_its_status() -> None:
    items = [(4, "paid"), (2, "denied"), (3, "built"), (1, "paid")]
    assert refusals("claims", items, ClaimState.SUBMITTED) == "claims cannot become submitted (denied: 2; paid: 1, 4)"
    assert refusals("claims", [(3, "built")], ClaimState.SUBMITTED) is None


ACKNOWLEDGED = (ClaimState.ACCEPTED, ClaimState.REJECTED, ClaimState.PENDED, ClaimState.FINALIZED)


@pytest.mark.parametrize("answer", ACKNOWLEDGED)
def test_a_sent_claim_is_acknowledged_and_then_answered_by_the_835_but_an_835_has_the_last_word(
    answer: ClaimState,
) -> None:
    assert can_move(ClaimState.SUBMITTED, answer)
    assert all(can_move(answer, paid) for paid in ANSWERED)
    assert all(not can_move(paid, answer) for paid in ANSWERED)
    assert not can_move(answer, ClaimState.SUBMITTED)
    assert not can_move(answer, answer)


def test_a_rejected_claim_may_be_accepted_when_sent_again_and_a_pended_one_finalized() -> None:
    assert can_move(ClaimState.REJECTED, ClaimState.ACCEPTED)
    assert can_move(ClaimState.ACCEPTED, ClaimState.REJECTED)  # the payer's 277CA after the clearinghouse's
    assert can_move(ClaimState.PENDED, ClaimState.FINALIZED)
