"""``domain.values.value``: the engine's small values behave as the frozen dataclasses they replaced, except that
making one is cheap (mypy refuses an assignment to a field; ``make test`` runs it)."""

from __future__ import annotations

import dataclasses

import pytest

from ptbill.domain.claim_line import ClaimLine
from ptbill.domain.finding import Finding, Severity
from ptbill.domain.values import value


@value
class Line:
    code: str
    modifiers: tuple[str, ...] = ()
    amounts: list[int] = dataclasses.field(default_factory=list)


def test_two_values_with_the_same_fields_are_equal_and_hash_alike() -> None:
    first = Finding("POC_EXPIRED", Severity.ERROR, "The plan of care ended.", "Recertify.", "CMS")
    second = Finding("POC_EXPIRED", Severity.ERROR, "The plan of care ended.", "Recertify.", "CMS")
    assert first == second
    assert hash(first) == hash(second)
    assert len({first, second}) == 1
    assert first != dataclasses.replace(first, severity=Severity.WARNING)


def test_a_value_has_slots_and_no_instance_dictionary() -> None:
    line = ClaimLine(code="97012", modifiers=("GP",), units=1, diagnosis_pointers=(1,), service_indexes=(0,))
    assert not hasattr(line, "__dict__")
    with pytest.raises(AttributeError):
        line.colour = "red"  # type: ignore[attr-defined]


def test_replace_makes_a_changed_copy_and_leaves_the_value_as_it_was() -> None:
    line = Line("97012", ("GP",))
    changed = dataclasses.replace(line, modifiers=("GP", "KX"))
    assert line.modifiers == ("GP",)
    assert changed.modifiers == ("GP", "KX")


def test_a_field_factory_gives_each_value_its_own_default() -> None:
    assert Line("97110").amounts is not Line("97110").amounts


def test_a_value_holding_a_list_cannot_be_hashed_as_a_frozen_one_could_not() -> None:
    with pytest.raises(TypeError):
        hash(Line("97110"))
