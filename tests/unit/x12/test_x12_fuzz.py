"""Broken files never crash the readers: only X12Error subclasses (or clean results) come out, whatever the damage."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptbill.claims.x12_837p.reader import read_837p
from ptbill.x12.envelope import check_envelopes
from ptbill.x12.errors import X12Error
from ptbill.x12.reader import ReadSegment, read_segments

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "external" / "x12"
VALID = [
    SAMPLES / "stupidedi" / "837P_005010X222A1" / "commercial-health-insurance.edi",
    SAMPLES / "stupidedi" / "837P_005010X222A1" / "COB-claim-from-billing-provider-to-payer-b.edi",
    SAMPLES
    / "stupidedi"
    / "837P_005010X222A1"
    / "home-infusion-therapy-pharmacy-(adjudicated-with-NDC-in-loop-2410).edi",
    SAMPLES / "imsweb" / "837P_5010_negative" / "x12_valid.txt",
    SAMPLES / "imsweb" / "837P_5010_negative" / "x12_multiple_gs.txt",
]
ORIGINALS = {path.name: path.read_bytes() for path in VALID}
TERMINATOR = b"~"  # every sample above ends its segments with ~ (some add a line break)

position = st.integers(min_value=0, max_value=1 << 16)
mutation = st.one_of(
    st.tuples(st.just("delete"), position),
    st.tuples(st.just("duplicate"), position),
    st.tuples(st.just("swap"), position, position),
    st.tuples(st.just("delimiter"), st.sampled_from(b"*:~^"), st.sampled_from(b"*:~^|!>\n\r x0\x00\xc3\xe9")),
    st.tuples(st.just("truncate"), position),
    st.tuples(st.just("insert"), position, st.binary(min_size=1, max_size=6)),
    st.tuples(st.just("replace"), position, st.integers(min_value=0, max_value=255)),
    st.tuples(
        st.just("insert"), position, st.sampled_from([b"\xef\xbb\xbf", b"\xc3\xa9", b"~~", b"*", b":", b"HL*9*"])
    ),
)


def mutate(data: bytes, change: tuple[object, ...]) -> bytes:
    kind = change[0]
    segments = data.split(TERMINATOR)
    if kind in ("delete", "duplicate", "swap") and len(segments) > 1:
        index = int(change[1]) % len(segments)  # type: ignore[call-overload]
        if kind == "delete":
            del segments[index]
        elif kind == "duplicate":
            segments.insert(index, segments[index])
        else:
            other = int(change[2]) % len(segments)  # type: ignore[call-overload]
            segments[index], segments[other] = segments[other], segments[index]
        return TERMINATOR.join(segments)
    if not data:
        return data
    at = int(change[1]) % (len(data) + 1) if len(change) > 1 else 0  # type: ignore[call-overload]
    if kind == "delimiter":
        return data.replace(bytes([int(change[1])]), bytes([int(change[2])]))  # type: ignore[call-overload]
    if kind == "truncate":
        return data[:at]
    if kind == "insert":
        return data[:at] + bytes(change[2]) + data[at:]  # type: ignore[call-overload]
    if kind == "replace" and at < len(data):
        return data[:at] + bytes([int(change[2])]) + data[at + 1 :]  # type: ignore[call-overload]
    return data


def _read_claims(data: bytes, chunk_size: int) -> None:
    for transaction in read_837p(data, chunk_size=chunk_size):
        for problem in transaction.all_problems():
            assert isinstance(problem, X12Error)
            assert str(problem)
        for parsed in transaction.claims:
            assert parsed.claim is not None or parsed.problems  # a missing Claim always comes with its reasons
            if parsed.claim is not None:
                assert parsed.claim.lines == parsed.lines


def _check_envelopes(data: bytes, chunk_size: int) -> None:
    for problem in check_envelopes(data, chunk_size=chunk_size):
        assert str(problem)


def read_everything(data: bytes, chunk_size: int) -> None:
    """Run both readers to the end and touch every result, as a caller would; only X12Error may escape them."""
    raised: list[X12Error] = []
    for read in (_read_claims, _check_envelopes):
        try:
            read(data, chunk_size)
        except X12Error as error:
            raised.append(error)
    assert all(str(error) for error in raised)


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(sorted(ORIGINALS)),
    changes=st.lists(mutation, min_size=1, max_size=4),
    chunk_size=st.sampled_from([1, 7, 106, 1 << 16]),
)
def test_mutated_files_raise_only_x12_errors(sample: str, changes: list[tuple[object, ...]], chunk_size: int) -> None:
    data = ORIGINALS[sample]
    for change in changes:
        data = mutate(data, change)
    read_everything(data, chunk_size)


def segments_or_error(data: bytes, chunk_size: int) -> list[ReadSegment | str]:
    read: list[ReadSegment | str] = []
    try:
        read.extend(read_segments(data, chunk_size=chunk_size))
    except X12Error as error:
        read.append(f"{type(error).__name__}: {error}")
    return read


@settings(max_examples=100, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(sorted(ORIGINALS)),
    changes=st.lists(mutation, max_size=3),
    chunk_size=st.integers(min_value=1, max_value=300),
)
def test_chunk_size_never_changes_what_is_read(sample: str, changes: list[tuple[object, ...]], chunk_size: int) -> None:
    """Streaming is invisible: the same segments, or the same error at the same segment, whatever the chunk size."""
    data = ORIGINALS[sample]
    for change in changes:
        data = mutate(data, change)
    assert segments_or_error(data, chunk_size) == segments_or_error(data, 1 << 20)


def test_every_truncation_of_a_sample_is_handled() -> None:
    data = ORIGINALS["commercial-health-insurance.edi"]
    for cut in range(0, len(data) + 1, 3):
        read_everything(data[:cut], 1 << 16)


def test_deleting_or_duplicating_each_segment_is_handled() -> None:
    data = ORIGINALS["COB-claim-from-billing-provider-to-payer-b.edi"]
    for index in range(data.count(TERMINATOR) + 1):
        read_everything(mutate(data, ("delete", index)), 1 << 16)
        read_everything(mutate(data, ("duplicate", index)), 1 << 16)
