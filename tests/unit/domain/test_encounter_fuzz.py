"""Hostile notes never crash: valid encounters mutated field by field (other-script digits, huge integers,
NUL, X12 delimiters, markup, other scripts, wrong types) go through the JSON reader, the engine and every
claim writer, and only ptbill's typed errors come out. The long run is bench/fuzz.py."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptbill.x12.control_numbers import ControlNumbers
from tests.hostile import EncounterTarget, hostile_encounter


@pytest.fixture(scope="module")
def run_note() -> Iterator[EncounterTarget]:
    numbers = ControlNumbers(":memory:")
    yield EncounterTarget(numbers)
    numbers.close()


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.randoms(use_true_random=False))
def test_mutated_notes_are_refused_or_claimed_never_crash(run_note: EncounterTarget, r: random.Random) -> None:
    assert run_note(hostile_encounter(r))
