"""The 835 reader turns the cycle collector off while it reads, and never leaves it off for its caller."""

from __future__ import annotations

import gc

import pytest

from ptbill.domain.errors import RemittanceFormatError
from ptbill.remittance.x12_835.reader import read_835
from tests.unit.remittance.synthetic_835 import CLAIM_PAID, interchange, transaction

TWO_REMITTANCES = interchange(
    transaction([CLAIM_PAID], "66.4", control="0001"), transaction([CLAIM_PAID], "66.4", control="0002")
)


def test_the_collector_is_on_while_the_caller_holds_each_remittance_and_after_the_file() -> None:
    states = [gc.isenabled() for _ in read_835(TWO_REMITTANCES)]
    assert states == [True, True]
    assert gc.isenabled()


def test_a_caller_that_stops_early_gets_the_collector_back() -> None:
    remittances = read_835(TWO_REMITTANCES)
    next(remittances)
    remittances.close()
    assert gc.isenabled()


def test_a_file_that_cannot_be_read_leaves_the_collector_on() -> None:
    with pytest.raises(RemittanceFormatError):
        list(read_835(TWO_REMITTANCES[: len(TWO_REMITTANCES) // 2]))
    assert gc.isenabled()


def test_a_caller_that_had_turned_it_off_finds_it_off() -> None:
    gc.disable()
    try:
        assert [gc.isenabled() for _ in read_835(TWO_REMITTANCES)] == [False, False]
        assert not gc.isenabled()
    finally:
        gc.enable()
