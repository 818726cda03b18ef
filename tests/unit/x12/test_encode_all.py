"""`SegmentEncoder.encode_all`: a claim's segments checked once as a whole, byte for byte what encoding each
segment gives, and the same refusal naming the segment and value when one holds a delimiter or a stray byte."""

from __future__ import annotations

import pytest

from ptbill.x12.syntax import Delimiters, Segment, SegmentEncoder, X12ValueError

CLEAN = [
    Segment("HL", ("1", "", "20", "1")),
    Segment("NM1", ("85", "2", "HARBOR PT", "", "", "", "", "XX", "1245319599")),
    Segment("CLM", ("C1", "140.38", "", "", ("11", "B", "1"), "Y", "A", "Y", "Y")),
    Segment("HI", (("ABK", "M5116"), ("ABF", "M5416", ""))),
    Segment("SV1", (("HC", "97012", "GP", ""), "40.00", "UN", "1", "", "", ("1", "2"))),
    Segment("REF", ("EI", "", "")),
]


@pytest.mark.parametrize(
    "delimiters",
    [Delimiters(), Delimiters("|", ">", "!", "~", newline_after_segment=True), Delimiters("^", ":", "{", "\x1c")],
)
def test_the_whole_text_is_each_segment_encoded_in_turn(delimiters: Delimiters) -> None:
    encoder = SegmentEncoder(delimiters)
    assert encoder.encode_all(CLEAN) == "".join(map(encoder.encode, CLEAN))
    assert encoder.encode_all([]) == ""


@pytest.mark.parametrize(
    "bad",
    [
        Segment("NM1", ("85", "2", "HARBOR*PT")),  # an element separator in a value
        Segment("SV1", (("HC", "97012:GP"), "40.00")),  # a component separator
        Segment("NTE", ("ADD", "ONE~TWO")),  # a segment terminator
        Segment("NTE", ("ADD", "A^B")),  # the repetition separator
        Segment("NTE", ("ADD", "caf\u00e9")),  # outside the X12 character set
    ],
)
def test_a_bad_value_is_refused_with_the_message_of_its_segment(bad: Segment) -> None:
    encoder = SegmentEncoder(Delimiters())
    with pytest.raises(X12ValueError) as alone:
        encoder.encode(bad)
    with pytest.raises(X12ValueError) as together:
        encoder.encode_all([*CLEAN[:2], bad, *CLEAN[2:]])
    assert str(together.value) == str(alone.value)
