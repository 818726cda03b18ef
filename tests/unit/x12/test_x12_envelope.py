"""Envelope checks: ISA/IEA, GS/GE, ST/SE nesting, control numbers and counts, on small files and the shared samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from ptbill.x12.envelope import EnvelopeIds, EnvelopeReader, check_envelopes, iter_transactions
from ptbill.x12.errors import (
    X12ControlNumberError,
    X12CountError,
    X12EnvelopeError,
    X12Error,
    X12SegmentError,
)

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "external" / "x12"
STUPIDEDI_837P = sorted((SAMPLES / "stupidedi" / "837P_005010X222A1").glob("*.edi"))
NEGATIVE = SAMPLES / "imsweb" / "837P_5010_negative"

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261126*0930*^*00501*000000001*0*T*:~"
GS = "GS*HC*SUBMITTER*RECEIVER*20261126*0930*{gs}*X*005010X222A1~"
ST = "ST*837*{st}*005010X222A1~BHT*0019*00*1*20261126*0930*CH~"
SE = "SE*{count}*{st}~"
GE = "GE*{count}*{gs}~"
IEA = "IEA*{count}*000000001~"


def transaction(st: str = "0001", count: int = 3, trailer_st: str | None = None) -> str:
    return ST.format(st=st) + SE.format(count=count, st=trailer_st or st)


def group(*transactions: str, gs: str = "1", count: int | None = None) -> str:
    return (
        GS.format(gs=gs) + "".join(transactions) + GE.format(count=len(transactions) if count is None else count, gs=gs)
    )


def interchange(*groups: str, count: int | None = None) -> str:
    return ISA + "".join(groups) + IEA.format(count=len(groups) if count is None else count)


def messages(text: str) -> list[str]:
    return [str(p) for p in check_envelopes(text)]


def test_a_well_formed_interchange_has_no_problems() -> None:
    text = interchange(group(transaction("0001"), transaction("0002")), group(transaction("0001"), gs="2"))
    reader = EnvelopeReader(text)
    transactions = list(reader)
    assert reader.problems == []
    assert [t.problems for t in transactions] == [[], [], []]
    assert [t.control_number for t in transactions] == ["0001", "0002", "0001"]
    assert transactions[2].ids == EnvelopeIds(
        interchange_control_number="000000001",
        group_control_number="2",
        transaction_control_number="0001",
        sender_id="SENDER",
        receiver_id="RECEIVER",
        application_sender="SUBMITTER",
        application_receiver="RECEIVER",
        version="005010X222A1",
        usage="T",
    )
    assert [r.id for r in transactions[0].segments] == ["ST", "BHT", "SE"]
    assert transactions[0].trailer is not None
    assert reader.interchanges[0].group_count == 2


@pytest.mark.parametrize("path", STUPIDEDI_837P, ids=lambda p: p.name)
def test_the_tr3_837p_samples_have_clean_envelopes(path: Path) -> None:
    assert check_envelopes(path) == []
    transactions = list(iter_transactions(path))
    assert len(transactions) == 1
    assert transactions[0].ids.version == "005010X222A1"


def test_se01_counts_st_through_se() -> None:
    assert messages(interchange(group(transaction(count=2)))) == [
        "segment 5 (SE): SE01 says 2 segments, the transaction has 3 (ST through SE)"
    ]
    assert messages(interchange(group(transaction(count="x")))) == [  # type: ignore[arg-type]
        "segment 5 (SE): SE01 'x' is not a number"
    ]


def test_trailer_control_numbers_must_match_their_headers() -> None:
    text = interchange(group(transaction("0001", trailer_st="0002"), gs="7")).replace("GE*1*7", "GE*1*8")
    text = text.replace("IEA*1*000000001", "IEA*1*000000002")
    problems = check_envelopes(text)
    assert [type(p) for p in problems] == [X12ControlNumberError] * 3
    assert [str(p) for p in problems] == [
        "segment 5 (SE): SE02 '0002' differs from ST02 '0001' (segment 3)",
        "segment 6 (GE): GE02 '8' differs from GS06 '7' (segment 2)",
        "segment 7 (IEA): IEA02 '000000002' differs from ISA13 '000000001' (segment 1)",
    ]


def test_ge01_and_iea01_count_what_they_close() -> None:
    text = interchange(group(transaction(), transaction("0002"), count=1), count=3)
    assert messages(text) == [
        "segment 9 (GE): GE01 says 1 transaction sets, the group has 2",
        "segment 10 (IEA): IEA01 says 3 functional groups, the interchange has 1",
    ]


def test_reused_control_numbers() -> None:
    text = interchange(group(transaction("0001"), transaction("0001")), group(transaction(), gs="1"))
    text += interchange(group(transaction()))
    assert messages(text) == [
        "segment 6 (ST): ST02 0001 is already used by the transaction set at segment 3 in this functional group",
        "segment 10 (GS): GS06 1 is already used by the group at segment 2 in this interchange",
        "segment 16 (ISA): ISA13 000000001 is already used by the interchange at segment 1",
    ]


def test_missing_trailers_at_the_end_of_the_file() -> None:
    reader = EnvelopeReader(ISA + GS.format(gs="1") + ST.format(st="0001"))
    transactions = list(reader)
    assert len(transactions) == 1
    assert [str(p) for p in transactions[0].problems] == [
        "segment 4 (BHT): the file ends before SE: the transaction set opened at segment 3 has no trailer"
    ]
    assert [str(p) for p in reader.problems] == [
        "segment 4 (BHT): the file ends before GE: the group opened at segment 2 has no trailer",
        "segment 4 (BHT): the file ends before IEA: the interchange opened at segment 1 has no trailer",
    ]
    assert transactions[0].trailer is None
    assert {id(p) for p in transactions[0].envelope_problems} == {id(p) for p in reader.problems}


def test_a_header_before_the_previous_trailer_closes_it_with_a_problem() -> None:
    text = ISA + GS.format(gs="1") + ST.format(st="0001") + transaction("0002") + GE.format(count=2, gs="1")
    text += ISA.replace("000000001", "000000002") + group(transaction()) + IEA.format(count=1).replace("01~", "02~")
    reader = EnvelopeReader(text)
    transactions = list(reader)
    assert [len(t.segments) for t in transactions] == [2, 3, 3]
    assert [str(p) for p in transactions[0].problems] == [
        "segment 5 (ST): another ST before SE: the transaction set opened at segment 3 (ST02 '0001') has no trailer"
    ]
    assert [str(p) for p in reader.problems] == [
        "segment 9 (ISA): ISA before IEA: the interchange opened at segment 1 (ISA13 '000000001') has no trailer"
    ]


def test_segments_outside_their_envelope() -> None:
    text = ISA + "TA1*000000001*261126*0930*A*000~" + "NTE*X~" + GS.format(gs="1") + "REF*X~" + transaction()
    text += GE.format(count=1, gs="1") + IEA.format(count=1) + "SE*1*0001~"
    problems = check_envelopes(text)
    assert [str(p) for p in problems] == [
        "segment 3 (NTE): segment outside a functional group (GS..GE)",
        "segment 5 (REF): segment outside a transaction set (ST..SE)",
        "segment 11 (SE): SE without an ST before it",
    ]
    assert all(isinstance(p, X12EnvelopeError) for p in problems)


def test_malformed_segments_are_reported_and_kept() -> None:
    text = interchange(group(ST.format(st="0001") + "Nd4*X~~HI*BK:1739**~" + SE.format(count=6, st="0001")))
    transactions = list(iter_transactions(text))
    assert [r.id for r in transactions[0].segments] == ["ST", "BHT", "Nd4", "", "HI", "SE"]
    problems = transactions[0].problems
    assert all(isinstance(p, X12SegmentError) for p in problems)
    assert [str(p) for p in problems] == [
        "segment 5 (Nd4): 'Nd4' is not a segment id (two or three upper-case letters and digits, letter first)",
        "segment 6 (no id): empty segment: two segment terminators in a row",
        "segment 7 (HI): ends with an empty element or component (trailing separators); X12 drops them",
    ]


def test_isa_header_values() -> None:
    text = interchange(group(transaction())).replace("*^*00501*", "*U*00501*").replace("*0*T*", "*2*X*")
    assert messages(text) == [
        "segment 1 (ISA): ISA11 is 'U', not a repetition separator: from version 00501 (ISA12) ISA11 holds the "
        "repetition separator ('U' was the 004010 standards identifier)",
        "segment 1 (ISA): ISA14 '2' must be 0 or 1",
        "segment 1 (ISA): ISA15 'X' must be P (production) or T (test)",
    ]


def test_st03_must_agree_with_gs08() -> None:
    text = interchange(group(transaction())).replace("ST*837*0001*005010X222A1", "ST*837*0001*005010X223A2")
    assert messages(text) == ["segment 3 (ST): ST03 '005010X223A2' differs from GS08 '005010X222A1' (segment 2)"]


# -- the imsweb envelope samples: what is really wrong with them ----------------------------------------


def kinds(problems: list[X12Error]) -> list[tuple[str, str]]:
    return [(type(p).__name__, str(p)) for p in problems]


def test_multiple_isa_is_two_well_nested_interchanges() -> None:
    """Two complete interchanges (ISA13 905 and 906) are fine; only each SE01 is wrong, as in x12_valid.txt."""
    reader = EnvelopeReader(NEGATIVE / "x12_multiple_isa.txt")
    transactions = list(reader)
    assert [t.ids.interchange_control_number for t in transactions] == ["000000905", "000000906"]
    assert [str(p) for t in transactions for p in t.problems] == [
        "segment 36 (SE): SE01 says 25 segments, the transaction has 34 (ST through SE)",
        "segment 74 (SE): SE01 says 25 segments, the transaction has 34 (ST through SE)",
    ]
    assert {type(p) for p in reader.problems} == {X12EnvelopeError}  # ISA11 'U' in each ISA, nothing else
    assert len(reader.problems) == 2


def test_multiple_gs_has_three_groups_under_an_iea_that_counts_one_and_reuses_gs06() -> None:
    problems = check_envelopes(NEGATIVE / "x12_multiple_gs.txt")
    assert ("X12CountError", "segment 110 (IEA): IEA01 says 1 functional groups, the interchange has 3") in kinds(
        problems
    )
    assert [str(p) for p in problems if isinstance(p, X12ControlNumberError)] == [
        "segment 38 (GS): GS06 1 is already used by the group at segment 2 in this interchange",
        "segment 74 (GS): GS06 1 is already used by the group at segment 2 in this interchange",
    ]
    assert sum(isinstance(p, X12CountError) and p.segment_id == "SE" for p in problems) == 3


def test_multiple_st_has_two_transactions_under_a_ge_that_counts_one_and_reuses_st02() -> None:
    problems = check_envelopes(NEGATIVE / "x12_multiple_st.txt")
    assert ("X12CountError", "segment 71 (GE): GE01 says 1 transaction sets, the group has 2") in kinds(problems)
    assert (
        "X12ControlNumberError",
        "segment 37 (ST): ST02 987654 is already used by the transaction set at segment 3 in this functional group",
    ) in kinds(problems)


def test_x12_valid_is_not_valid_at_the_envelope_level_either() -> None:
    assert kinds(check_envelopes(NEGATIVE / "x12_valid.txt")) == [
        (
            "X12EnvelopeError",
            "segment 1 (ISA): ISA11 is 'U', not a repetition separator: from version 00501 (ISA12) ISA11 holds the "
            "repetition separator ('U' was the 004010 standards identifier)",
        ),
        ("X12CountError", "segment 36 (SE): SE01 says 25 segments, the transaction has 34 (ST through SE)"),
    ]
