"""The streaming X12 reader: delimiters from the ISA, every kind of source, layout it tolerates, and its errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ptbill.x12.errors import X12EncodingError, X12HeaderError, X12SyntaxError, X12TruncatedError
from ptbill.x12.reader import ISA_LENGTH, ReadSegment, Separators, X12Reader, read_segments
from ptbill.x12.syntax import Delimiters, Segment

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "external" / "x12"
COMMERCIAL = SAMPLES / "stupidedi" / "837P_005010X222A1" / "commercial-health-insurance.edi"
BOM_FILE = SAMPLES / "stupidedi" / "999_005010X231A1" / "response-to-functional-group-containing-3-837s.edi"

ISA = "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261126*0930*^*00501*000000001*0*T*:~"
BODY = "GS*HC*S*R*20261126*0930*1*X*005010X222A1~ST*837*0001*005010X222A1~SV1*HC:97012:GP*35*UN*1***1~SE*3*0001~"
TRAILER = "GE*1*1~IEA*1*000000001~"
SMALL = ISA + BODY + TRAILER


def ids(source: object, **options: int) -> list[str]:
    return [read.id for read in read_segments(source, **options)]  # type: ignore[arg-type]


def test_the_isa_is_exactly_106_characters() -> None:
    assert len(ISA) == ISA_LENGTH


def test_delimiters_come_from_the_isa() -> None:
    reader = X12Reader(SMALL)
    segments = list(reader)
    assert reader.separators == Separators(element="*", component=":", repetition="^", segment="~")
    assert [s.number for s in segments] == list(range(1, 8))
    assert segments[0] == ReadSegment(1, segments[0].segment)
    assert segments[0].segment.element(13) == "000000001"
    assert segments[0].segment.element(16) == ":"  # ISA elements are never split into components


def test_composites_become_tuples_and_simple_elements_stay_strings() -> None:
    sv1 = next(r.segment for r in read_segments(SMALL) if r.id == "SV1")
    assert sv1 == Segment("SV1", (("HC", "97012", "GP"), "35", "UN", "1", "", "", "1"))
    assert sv1.component(1, 2) == "97012"
    assert sv1.component(7, 1) == "1"  # a one-component composite reads the same as a simple element


def test_other_delimiters_are_learned_too() -> None:
    text = SMALL.replace("*", "|").replace(":", ">").replace("~", "\n").replace("^", "!")
    reader = X12Reader(text)
    assert [r.id for r in reader] == ["ISA", "GS", "ST", "SV1", "SE", "GE", "IEA"]
    assert reader.separators == Separators("|", ">", "!", "\n")


def test_a_line_break_terminator_tolerates_blank_lines_and_stray_carriage_returns() -> None:
    newline = SMALL.replace("~", "\n")  # the ISA's 106th character is then the line feed
    messy = newline[:ISA_LENGTH] + newline[ISA_LENGTH:].replace("\n", "\r\n\n")
    segments = list(read_segments(messy))
    assert [r.id for r in segments] == ["ISA", "GS", "ST", "SV1", "SE", "GE", "IEA"]
    assert segments == list(read_segments(newline))
    assert list(read_segments(SMALL.replace("~", "\r\n"))) == list(read_segments(SMALL))  # CR ends, LF is layout


@pytest.mark.parametrize("layout", ["~\n", "~\r\n", "~\r", "~\n\n"])
def test_line_breaks_after_terminators_are_layout(layout: str) -> None:
    assert ids(SMALL.replace("~", layout)) == ids(SMALL)


def test_leading_whitespace_and_trailing_blank_lines_are_tolerated() -> None:
    assert ids(" \t\r\n" + SMALL + "\n\n  \n\x1a") == ids(SMALL)


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 5, 64, 105, 106, 107, 1 << 16])
def test_chunk_boundaries_do_not_change_the_segments(chunk_size: int) -> None:
    two_interchanges = SMALL + "\n" + SMALL.replace("*", "|").replace("~", "'")
    expected = list(read_segments(two_interchanges))
    assert list(read_segments(two_interchanges.encode("ascii"), chunk_size=chunk_size)) == expected
    assert list(read_segments(io.StringIO(two_interchanges), chunk_size=chunk_size)) == expected
    assert len(expected) == 14


def test_each_interchange_declares_its_own_delimiters() -> None:
    second = SMALL.replace("*", "|").replace(":", "}").replace("~", "'")
    segments = list(read_segments(SMALL + second))
    assert [r.id for r in segments].count("ISA") == 2
    assert segments[10].segment == Segment("SV1", (("HC", "97012", "GP"), "35", "UN", "1", "", "", "1"))


def test_every_kind_of_source_reads_the_same(tmp_path: Path) -> None:
    path = tmp_path / "claims.edi"
    path.write_bytes(SMALL.encode("ascii"))
    expected = list(read_segments(SMALL))
    assert list(read_segments(SMALL.encode("ascii"))) == expected
    assert list(read_segments(path)) == expected
    assert list(read_segments(io.BytesIO(SMALL.encode("ascii")))) == expected
    assert list(read_segments(io.StringIO(SMALL))) == expected
    with path.open("rb") as binary:
        assert list(read_segments(binary)) == expected
    with path.open(encoding="ascii") as text:
        assert list(read_segments(text)) == expected


@pytest.mark.parametrize("chunk_size", [1, 2, 4, 1 << 16])
def test_a_utf8_byte_order_mark_is_skipped(chunk_size: int) -> None:
    with_bom = b"\xef\xbb\xbf" + SMALL.encode("ascii")
    assert ids(with_bom, chunk_size=chunk_size) == ids(SMALL)
    assert ids("\ufeff" + SMALL) == ids(SMALL)


def test_the_shared_sample_with_a_bom_reads() -> None:
    segments = list(read_segments(BOM_FILE))
    assert segments[0].id == "ISA"
    assert segments[-1].id == "IEA"


def test_a_whole_sample_reads_with_positions() -> None:
    segments = list(read_segments(COMMERCIAL))
    assert len(segments) == 46
    assert segments[2].segment == Segment("ST", ("837", "0021", "005010X222A1"))
    assert segments[-1] == ReadSegment(46, Segment("IEA", ("1", "000010216")))


def test_a_4010_style_isa11_means_no_repetition_separator() -> None:
    reader = X12Reader(SMALL.replace("*^*00501*", "*U*00501*"))
    list(reader)
    assert reader.separators is not None
    assert reader.separators.repetition is None
    assert reader.separators.as_delimiters() == Delimiters("*", ":", "^", "~")


# -- errors: always an X12SyntaxError naming the segment ---------------------------------------------


def error_for(source: object) -> X12SyntaxError:
    with pytest.raises(X12SyntaxError) as caught:
        list(read_segments(source))  # type: ignore[arg-type]
    return caught.value


@pytest.mark.parametrize("source", ["", "   \n\t ", b"", b"\xef\xbb\xbf"])
def test_empty_input(source: str | bytes) -> None:
    error = error_for(source)
    assert isinstance(error, X12HeaderError)
    assert "empty" in str(error)


def test_input_that_is_not_x12() -> None:
    error = error_for("ST*835*0001~BPR*I~")
    assert isinstance(error, X12HeaderError)
    assert str(error).startswith("segment 1 (ST): an X12 interchange starts with ISA")


def test_a_path_given_as_str_gets_a_hint() -> None:
    assert "pass a pathlib.Path" in str(error_for("/tmp/claims.edi"))


def test_a_short_isa_element_is_named() -> None:
    error = error_for(SMALL.replace("SENDER         ", "SENDER"))
    assert isinstance(error, X12HeaderError)
    assert "ISA06 is 6 characters ('SENDER')" in str(error)
    assert str(error).startswith("segment 1 (ISA): ")


def test_a_separator_inside_an_isa_element() -> None:
    error = error_for(SMALL.replace("SENDER         ", "SEN*ER         "))
    assert isinstance(error, X12HeaderError)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (lambda t: t.replace("*:~", "*~~", 1), "must be three different characters"),
        (lambda t: t.replace("*:~", "*A~", 1), "is a letter, digit or blank"),
        (lambda t: t.replace("*^*", "*:*", 1), "repetition separator (ISA11) ':' is already used"),
        (lambda t: "ISA0" + t[4:], "is a letter, digit or blank"),
    ],
)
def test_unusable_delimiters(change: object, fragment: str) -> None:
    error = error_for(change(SMALL))  # type: ignore[operator]
    assert isinstance(error, X12HeaderError)
    assert fragment in str(error)


@pytest.mark.parametrize("cut", [3, 50, 105])
def test_a_file_ending_inside_the_isa(cut: int) -> None:
    error = error_for(SMALL[:cut])
    assert isinstance(error, X12TruncatedError)
    assert f"{cut} of its fixed 106 characters" in str(error)


def test_a_file_ending_inside_a_segment_is_truncated_after_the_complete_ones() -> None:
    read: list[str] = []
    with pytest.raises(X12TruncatedError) as caught:
        read.extend(r.id for r in read_segments(SMALL[:-8]))
    assert read == ["ISA", "GS", "ST", "SV1", "SE", "GE"]
    assert str(caught.value) == "segment 7 (IEA): the file ends inside this segment: no terminator '~' after 'IEA*1*00'"


def test_non_ascii_bytes_are_named_with_their_segment() -> None:
    data = SMALL.replace("SV1*HC", "SV1*H\xc9").encode("latin-1")
    error = error_for(data)
    assert isinstance(error, X12EncodingError)
    assert str(error).startswith("segment 4 (SV1): byte 0xC9 is not ASCII")


def test_non_ascii_text_is_named_with_its_character() -> None:
    error = error_for(SMALL.replace("SV1*HC", "SV1*Hé"))
    assert isinstance(error, X12EncodingError)
    assert "character 'é' (U+00E9) is not ASCII" in str(error)


def test_non_ascii_in_the_isa() -> None:
    assert isinstance(error_for(SMALL.replace("SENDER ", "SENDÉR")), X12EncodingError)


def test_a_text_stream_that_cannot_be_decoded(tmp_path: Path) -> None:
    path = tmp_path / "latin.edi"
    path.write_bytes(SMALL.replace("SV1*HC", "SV1*H\xc9").encode("latin-1"))
    with path.open(encoding="utf-8") as stream:
        error = error_for(stream)
    assert isinstance(error, X12EncodingError)
    assert "cannot be decoded" in str(error)


def test_a_bad_chunk_size_is_refused() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        X12Reader(SMALL, chunk_size=0)
