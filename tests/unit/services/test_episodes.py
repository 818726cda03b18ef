"""Episodes cut from a patient's notes in date order: an initial evaluation opens one, a discharge summary closes
it, notes outside any evaluation are an episode of their own, and a re-evaluation stays inside its episode."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from ptbill.domain.note_content import NoteType
from ptbill.services.access import InvalidChangeError
from ptbill.services.episodes import EpisodeNote, pick_episode, split_episodes

KINDS = {
    "E": NoteType.INITIAL_EVALUATION,
    "d": NoteType.DAILY_NOTE,
    "P": NoteType.PROGRESS_REPORT,
    "R": NoteType.RE_EVALUATION,
    "D": NoteType.DISCHARGE_SUMMARY,
}


def notes(kinds: str, drafts: str = "") -> list[EpisodeNote]:
    """One note a letter, a day apart, ids from 1; the ids in ``drafts`` (as digits) are drafts."""
    return [
        EpisodeNote(n, f"n{n}", date(2026, 1, 1) + timedelta(days=n), KINDS[kind],
                    "draft" if str(n) in drafts else "signed", "Dana Reyes, PT", 0)
        for n, kind in enumerate(kinds, start=1)
    ]  # fmt: skip


def cut(kinds: str) -> list[str]:
    return ["".join(next(k for k, v in KINDS.items() if v is n.note_type) for n in e.notes)
            for e in split_episodes(notes(kinds))]  # fmt: skip


@pytest.mark.parametrize(
    ("kinds", "episodes"),
    [
        ("EddPdD", ["EddPdD"]),
        ("ddEdD", ["dd", "EdD"]),  # notes before any evaluation
        ("EdDddEd", ["EdD", "dd", "Ed"]),  # after a discharge, before the next evaluation
        ("EddRddD", ["EddRddD"]),  # a re-evaluation continues the episode
        ("EddEdd", ["Edd", "Edd"]),  # a new evaluation without a discharge starts a new episode
        ("D", ["D"]),
        ("", []),
    ],
)
def test_notes_are_cut_into_episodes(kinds: str, episodes: list[str]) -> None:
    assert cut(kinds) == episodes


def test_the_latest_episode_with_something_to_print_is_the_default() -> None:
    found = split_episodes(notes("EdDEd", drafts="45"))
    assert pick_episode(found, None, include_drafts=False) is found[0]  # the second has only drafts
    assert pick_episode(found, None, include_drafts=True) is found[1]
    assert pick_episode(found, 4, include_drafts=False) is found[1]
    assert found[0].discharged
    assert not found[1].discharged
    assert found[1].printed(False) == ()
    with pytest.raises(InvalidChangeError, match="no episode of this patient begins with note 2") as refused:
        pick_episode(found, 2, include_drafts=True)
    assert refused.value.field == "evaluation"
    assert pick_episode([], None, include_drafts=True) is None
