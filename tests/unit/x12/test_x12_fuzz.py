"""Broken files never crash the readers: only X12Error subclasses (or clean results) come out, whatever the damage."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ptbill.x12.errors import X12Error
from ptbill.x12.reader import ReadSegment, read_segments
from tests.hostile import hostile_837p, run_837p

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
    run_837p(data, chunk_size)


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
        run_837p(data[:cut], 1 << 16)


def test_deleting_or_duplicating_each_segment_is_handled() -> None:
    data = ORIGINALS["COB-claim-from-billing-provider-to-payer-b.edi"]
    for index in range(data.count(TERMINATOR) + 1):
        run_837p(mutate(data, ("delete", index)), 1 << 16)
        run_837p(mutate(data, ("duplicate", index)), 1 << 16)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_837ps_mutated_field_by_field_with_hostile_values_raise_only_x12_errors(r: random.Random) -> None:
    """Elements and components replaced by other-script digits, 5,000-digit numbers, NUL, delimiters, markup."""
    assert run_837p(hostile_837p(r))
