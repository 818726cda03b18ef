"""Mutated 835s: the reader either reads them or raises RemittanceFormatError, never anything else."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.hostile import hostile_835, run_835
from tests.unit.remittance.synthetic_835 import medicare_remittance

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "external" / "x12"
_SAMPLE_NAMES = (
    "stupidedi/835_005010X221A1/dollars-and-data-sent-together.edi",
    "stupidedi/835_005010X221A1/secondary-payments.edi",
    "edi-835-parser/emedny_sample.txt",
    "linuxforhealth/835_005010X221A1_nonconforming/medicare-part-a.835",
)
BASES = [medicare_remittance()] + [
    (SAMPLES / name).read_text(encoding="ascii") for name in _SAMPLE_NAMES if (SAMPLES / name).is_file()
]
# Delimiters, digits, signs and letters: the characters that change what a segment means.
ALPHABET = "*:~^>\n\r -.+0123456789ABCDEGHILMNOPRSTVXZ"


@st.composite
def mutated_835(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(BASES))
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        operation = draw(st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate", "drop", "swap"]))
        at = draw(st.integers(min_value=0, max_value=max(len(text) - 1, 0)))
        if operation == "delete":
            text = text[:at] + text[at + draw(st.integers(min_value=1, max_value=8)) :]
        elif operation == "insert":
            text = text[:at] + draw(st.text(ALPHABET, min_size=1, max_size=6)) + text[at:]
        elif operation == "replace":
            text = text[:at] + draw(st.sampled_from(ALPHABET)) + text[at + 1 :]
        elif operation == "truncate":
            text = text[:at]
        else:
            segments = text.split("~")
            i = draw(st.integers(min_value=0, max_value=len(segments) - 1))
            j = draw(st.integers(min_value=0, max_value=len(segments) - 1))
            if operation == "duplicate":
                segments.insert(j, segments[i])
            elif operation == "drop":
                del segments[i]
            else:
                segments[i], segments[j] = segments[j], segments[i]
            text = "~".join(segments)
    return text


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_835())
def test_mutated_835s_are_read_or_refused_with_the_reader_error(text: str) -> None:
    run_835(text)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=400), st.sampled_from([b"", b"ISA*", b"ST*835*1~"]))
def test_arbitrary_bytes_are_refused_with_the_reader_error(data: bytes, prefix: bytes) -> None:
    run_835(prefix + data)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.randoms(use_true_random=False))
def test_835s_mutated_field_by_field_with_hostile_values_are_read_or_refused(r: random.Random) -> None:
    """Amounts, dates and codes replaced by other-script digits, 5,000-digit numbers, NUL, delimiters, markup."""
    assert run_835(hostile_835(r))
