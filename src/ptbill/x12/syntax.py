"""X12 syntax shared by every transaction: delimiters, segments and their encoding.

Source: ASC X12 5010 envelope conventions as used by the HIPAA implementation guides (the ISA
segment is fixed-width and carries the element, repetition, component and segment separators).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ptbill.domain.errors import PtbillError
from ptbill.domain.identity_memo import BoundedMemo
from ptbill.x12.charset import describe, outside_x12, transliterate

Element = str | tuple[str, ...]  # a simple element, or a composite's components


@dataclass(frozen=True, slots=True)
class Delimiters:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"
    newline_after_segment: bool = False  # many files put a line break after each terminator

    def __post_init__(self) -> None:
        chosen = [self.element, self.component, self.repetition, self.segment]
        if any(len(c) != 1 for c in chosen) or len(set(chosen)) != 4:
            raise ValueError(f"X12 delimiters must be four different single characters, got {chosen}")
        if any(c.isalnum() or c == " " for c in chosen):
            raise ValueError(f"X12 delimiters cannot be letters, digits or spaces, got {chosen}")

    @property
    def terminator(self) -> str:
        return self.segment + ("\n" if self.newline_after_segment else "")

    def forbidden(self) -> frozenset[str]:
        return frozenset({self.element, self.component, self.repetition, self.segment})


class Segment(NamedTuple):
    """One segment: its id (``CLM``) and its elements in order, trailing empty ones trimmed on output.

    A named tuple rather than a frozen dataclass: writers build hundreds of thousands of them, and a
    tuple is several times cheaper to create.
    """

    id: str
    elements: tuple[Element, ...]

    def element(self, position: int) -> str:
        """The 1-based element's text (a composite's components joined by ':'), or '' when absent."""
        if position < 1 or position > len(self.elements):
            return ""
        value = self.elements[position - 1]
        return value if isinstance(value, str) else ":".join(value)

    def component(self, position: int, component: int) -> str:
        if position < 1 or position > len(self.elements):
            return ""
        value = self.elements[position - 1]
        parts = (value,) if isinstance(value, str) else value
        return parts[component - 1] if 1 <= component <= len(parts) else ""


class X12ValueError(PtbillError, ValueError):
    """A value cannot be written into X12: it holds a delimiter, or a character outside the X12 character set."""


@functools.cache
def _cleaning_tables(delimiters: Delimiters) -> tuple[dict[int, str], dict[int, str], re.Pattern[str]]:
    """Translation tables and a delimiter pattern, built once per set of delimiters (the writers' hot path)."""
    forbidden = delimiters.forbidden()
    unprintable = [c for c in range(256) if not 32 <= c < 127]
    to_space = {ord(c): " " for c in forbidden} | dict.fromkeys(unprintable, " ")
    to_dash = {ord(c): "-" for c in forbidden} | dict.fromkeys([*unprintable, 32], "-")
    return to_space, to_dash, re.compile("[" + re.escape("".join(sorted(forbidden))) + "]")


def clean_text(value: str, delimiters: Delimiters) -> str:
    """Upper-case free text, transliterated to the X12 character set (``charset.transliterate``), with
    delimiters replaced by spaces; raises TransliterationError for what has no X12 form."""
    return text_cleaner(delimiters)(value)


CLEANED_TEXTS = 4096  # the most texts a cleaner keeps, per set of delimiters


@functools.cache
def text_cleaner(delimiters: Delimiters) -> Callable[[str], str]:
    """``clean_text`` for one set of delimiters, keeping the texts it cleaned: the names, cities and payers of
    a batch repeat from claim to claim. The result depends on the text and the delimiters alone, so nothing
    invalidates an entry; the memo is emptied when it reaches CLEANED_TEXTS entries. A text with no X12 form
    raises each time and is not kept."""
    to_space = _cleaning_tables(delimiters)[0]
    cleaned: BoundedMemo[str, str] = BoundedMemo(CLEANED_TEXTS)

    def clean(value: str) -> str:
        if value.isascii() and value.isalnum():
            return value.upper()
        known = cleaned.get(value)
        if known is None:
            known = cleaned.keep(value, " ".join(transliterate(value).translate(to_space).split()).upper())
        return known

    return clean


def clean_identifier(value: str, delimiters: Delimiters) -> str:
    """An identifier kept as given (case included), with delimiters and spaces replaced by '-'.

    Never transliterated: an identifier outside printable ASCII is refused with X12ValueError.
    """
    value = value.strip()
    outside = outside_x12(value)
    if outside:
        raise X12ValueError(f"an identifier has characters outside the X12 character set: {describe(outside)}")
    _, to_dash, _ = _cleaning_tables(delimiters)
    return value.translate(to_dash)


class SegmentEncoder:
    """Encodes segments for one set of delimiters; the writers keep one for a whole batch."""

    def __init__(self, delimiters: Delimiters) -> None:
        self.delimiters = delimiters
        self._element = delimiters.element
        self._component = delimiters.component
        self._terminator = delimiters.terminator
        self._stray = _cleaning_tables(delimiters)[2].search
        # Printable ASCII and the chosen delimiters (which may be control characters) are all a file may hold.
        allowed = re.escape("".join(sorted(delimiters.forbidden())))
        self._foreign = re.compile(f"[^\\x20-\\x7e{allowed}]").search

    def encode(self, segment: Segment) -> str:
        element, component = self._element, self._component
        if segment.id == "ISA":
            # The ISA is fixed width and carries the separators themselves (ISA11, ISA16) as values.
            texts = [e if isinstance(e, str) else component.join(e) for e in segment.elements]
            text = element.join(["ISA", *texts])
            if self._foreign(text):
                self._refuse_characters(segment)
            return text + self._terminator
        text, placed, joins = self._joined(segment)
        # One pass over the joined text: any separator beyond the ones placed came from a value.
        if text.count(element) != placed or text.count(component) != joins or self._stray_outside(text):
            self._refuse(segment)
        if self._foreign(text):
            self._refuse_characters(segment)
        return text + self._terminator

    def encode_all(self, segments: Sequence[Segment]) -> str:
        """``"".join(map(self.encode, segments))`` with the checks made once over the whole text rather than
        once per segment (a writer's claim at a time); on any doubt each segment is encoded on its own, which
        names the segment and value at fault."""
        separator, joined = self.delimiters.segment, self._joined
        texts: list[str] = []
        elements_placed = joins = 0
        for segment in segments:
            if segment.id == "ISA":
                return "".join(map(self.encode, segments))
            text, placed, joined_components = joined(segment)
            elements_placed += placed
            joins += joined_components
            texts.append(text)
        if not texts:
            return ""
        body = separator.join(texts) + separator
        if (
            body.count(self._element) != elements_placed
            or body.count(self._component) != joins
            or body.count(separator) != len(texts)
            or self.delimiters.repetition in body
            or self._foreign(body)
        ):
            return "".join(map(self.encode, segments))
        if self._terminator != separator:
            return self._terminator.join(texts) + self._terminator
        return body

    def _joined(self, segment: Segment) -> tuple[str, int, int]:
        """The segment's text without its terminator, trailing empty elements and components trimmed, with
        the number of element and of component separators placed in it."""
        name, values = segment
        if values and (values[-1] == "" or values[-1] == ()):
            values = _trimmed(values)
        if not values:
            return name, 0, 0
        try:
            # Most segments hold simple elements only: one join, which refuses (TypeError) a composite.
            return name + self._element + self._element.join(values), len(values), 0  # type: ignore[arg-type]
        except TypeError:
            pass
        parts = [name]
        joins = 0  # component separators we place ourselves
        for value in values:
            if isinstance(value, str):
                parts.append(value)
                continue
            components = _trimmed_components(value) if value and value[-1] == "" else value
            joins += len(components) - 1 if components else 0
            parts.append(self._component.join(components))
        return self._element.join(parts), len(values), joins

    def _stray_outside(self, text: str) -> bool:
        return self.delimiters.segment in text or self.delimiters.repetition in text

    def _refuse(self, segment: Segment) -> None:
        for value in segment.elements:
            for text in (value,) if isinstance(value, str) else value:
                if self._stray(text):
                    raise X12ValueError(f"{segment.id}: value {text!r} contains an X12 delimiter")
        raise X12ValueError(f"{segment.id}: a value contains an X12 delimiter")  # pragma: no cover

    def _refuse_characters(self, segment: Segment) -> None:
        texts = [t for value in segment.elements for t in ((value,) if isinstance(value, str) else value)]
        outside = "".join(dict.fromkeys(c for t in texts for c in outside_x12(t)))
        raise X12ValueError(f"{segment.id}: a value has characters outside the X12 character set: {describe(outside)}")


def _trimmed(values: tuple[Element, ...]) -> tuple[Element, ...]:
    """The elements without the trailing empty ones (``""`` or an empty composite), which are never written."""
    end = len(values)
    while end and (values[end - 1] == "" or values[end - 1] == ()):
        end -= 1
    return values[:end]


def _trimmed_components(components: tuple[str, ...]) -> tuple[str, ...]:
    """A composite without its trailing empty components."""
    end = len(components)
    while end and components[end - 1] == "":
        end -= 1
    return components[:end]


def encode_segment(segment: Segment, delimiters: Delimiters) -> str:
    return SegmentEncoder(delimiters).encode(segment)
