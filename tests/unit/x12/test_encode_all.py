"""`SegmentEncoder.encode_all`: a claim's segments checked once as a whole, byte for byte what encoding each
segment gives, and the same refusal naming the segment and value when one holds a delimiter or a stray byte."""

from __future__ import annotations

from collections.abc import Callable

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


def test_random_segments_encode_as_each_segment_alone() -> None:
    """Differential: ``encode_all``'s one join per segment (and its composite path) against ``encode`` on
    segments with trailing empty elements and components, empty composites, and now and then a delimiter or
    a foreign character, which both must refuse with the same message."""
    import random

    rng = random.Random(20)
    alphabet = ["A", "7", " ", "", "", "-", "*", ":", "~", "^", "|", ">", "\x1c", "\u00e9"]

    def text() -> str:
        return (
            "".join(rng.choice(alphabet) for _ in range(rng.randrange(3)))
            if rng.random() < 0.1
            else "X1"[: rng.randrange(3)]
        )

    def element() -> str | tuple[str, ...]:
        if rng.random() < 0.3:
            return tuple(text() for _ in range(rng.randrange(4)))
        return text()

    for delimiters in (Delimiters(), Delimiters("|", ">", "!", "~", newline_after_segment=True)):
        encoder = SegmentEncoder(delimiters)
        for _ in range(3000):
            segments = [Segment("S" + str(n), tuple(element() for _ in range(rng.randrange(6)))) for n in range(3)]
            assert _outcome(encoder.encode_all, segments) == _outcome(encoder.encode, segments)


def _outcome(encode: Callable[..., str], segments: list[Segment]) -> str:
    """The text (of all at once, or of each in turn), or the refusal's message."""
    try:
        if encode.__name__ == "encode":
            return "".join(map(encode, segments))
        return encode(segments)
    except X12ValueError as error:
        return f"refused: {error}"


def test_the_text_cleaner_keeps_what_cleaning_gives() -> None:
    """The memo of ``text_cleaner`` (per delimiters, emptied when full) gives what cleaning afresh gives."""
    from ptbill.x12.charset import transliterate
    from ptbill.x12.syntax import CLEANED_TEXTS, text_cleaner

    for delimiters in (Delimiters(), Delimiters("|", ">", "!", "~")):
        clean = text_cleaner(delimiters)
        forbidden = delimiters.forbidden()
        for round_ in range(2):  # the second round reads the memo, and past CLEANED_TEXTS refills it
            for number in range(CLEANED_TEXTS + 50):
                value = f"Mu\u00f1oz  {number}|o'b*r:i~e^n {round_}"
                fresh = " ".join("".join(" " if c in forbidden else c for c in transliterate(value)).split())
                assert clean(value) == fresh.upper()
