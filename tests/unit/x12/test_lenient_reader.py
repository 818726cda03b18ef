"""The tokenizer's lenient mode reads what payers send (no envelope, stray bytes, line breaks, a BOM);
the strict mode still refuses the same files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ptbill.x12.errors import X12EncodingError, X12HeaderError
from ptbill.x12.reader import LenientReader, read_lenient, read_segments

ISA = "ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *260303*0905*^*00501*000000001*0*P*:~"
BODY = (
    "GS*HP*PAYER*CLINIC*20260303*0905*1*X*005010X221A1~ST*835*0001~NM1*QC*1*GARCÍA*JOSÉ~SE*3*0001~"
    "GE*1*1~IEA*1*000000001~"
)


def fields(source: object, chunk_size: int = 1 << 16) -> list[list[str]]:
    return list(LenientReader(source, chunk_size=chunk_size))  # type: ignore[arg-type]


def test_a_file_without_an_envelope_takes_its_delimiters_from_the_st() -> None:
    reader = read_lenient("ST|835|0001~CLP|A1|1|10|10~SE|3|0001~")
    assert list(reader) == [["ST", "835", "0001"], ["CLP", "A1", "1", "10", "10"], ["SE", "3", "0001"]]
    assert reader.has_envelope is False
    assert reader.delimiters is not None
    assert reader.delimiters.element == "|"
    assert "no ISA/GS envelope" in reader.notes[0][2]


def test_a_bom_blank_lines_and_spaces_around_segments_are_not_data() -> None:
    messy = "\ufeff\r\n  " + ISA + "\r\n\r\n" + BODY.replace("~", "~\r\n  ") + "\n\n"
    assert fields(messy.encode()) == fields(ISA + BODY)
    assert fields(ISA + BODY)[3] == ["NM1", "QC", "1", "GARCÍA", "JOSÉ"]


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 7, 1 << 16])
def test_any_chunk_size_reads_the_same_segments_from_bytes_with_an_odd_byte(chunk_size: int) -> None:
    data = b"\xef\xbb\xbf" + (ISA + BODY).encode().replace("JOS\xc3\x89".encode("latin-1"), b"JOS\xff")
    segments = fields(io.BytesIO(data), chunk_size)
    assert segments[3] == ["NM1", "QC", "1", "GARCÍA", "JOS\ufffd"]
    assert len(segments) == 7


def test_a_str_naming_a_file_is_read_as_that_file(tmp_path: Path) -> None:
    path = tmp_path / "era.835"
    path.write_text(ISA + BODY, encoding="utf-8")
    assert fields(str(path)) == fields(ISA + BODY)


def test_a_stretched_isa_is_read_with_a_note() -> None:
    reader = read_lenient(ISA.replace("PAYER          ", "PAYER") + BODY)
    assert len(list(reader)) == 7
    assert reader.notes == [(1, "ISA", "the ISA is 96 characters long, not 106")]


@pytest.mark.parametrize("text", ["", " \r\n ", "HELLO*WORLD~"])
def test_what_is_not_x12_at_all_is_refused(text: str) -> None:
    with pytest.raises(X12HeaderError):
        fields(text)


def test_the_strict_mode_still_refuses_what_the_lenient_mode_reads() -> None:
    with pytest.raises(X12HeaderError):
        list(read_segments("ST*835*0001~SE*2*0001~"))
    with pytest.raises(X12EncodingError):
        list(read_segments((ISA + BODY).encode()))
