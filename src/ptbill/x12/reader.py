"""The X12 tokenizer: learns the delimiters from each fixed-width ISA, then yields numbered segments.

Two modes share the source handling (paths, bytes, text, open files; a leading byte-order mark dropped):

- strict (:class:`X12Reader`, ``read_segments``): every interchange must start with a conforming ISA and
  hold only ASCII; anything else raises an ``X12SyntaxError``. The envelope checks sit one level up.
- lenient (:class:`LenientReader`, ``read_lenient``): for files received from payers, which arrive without
  an envelope (delimiters then come from the ST), with a stretched ISA, stray line breaks, spaces or a
  byte-order mark around segments, or odd bytes in names (decoded as UTF-8, unreadable bytes replaced).
  What does not conform but can be read becomes a note; only what cannot be read at all raises.

Source: ASC X12 005010 interchange control header (106-character ISA: position 4 element separator,
ISA11 repetition, ISA16 component separator, then the segment terminator).
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ptbill.x12.errors import X12EncodingError, X12HeaderError, X12TruncatedError
from ptbill.x12.syntax import Delimiters, Element, Segment

Source = str | bytes | bytearray | os.PathLike[str] | IO[str] | IO[bytes]
"""X12 text (``str``), raw bytes, a path (``pathlib.Path``), or a file object. The strict mode reads a plain
``str`` as X12 text; the lenient mode reads it as a path when it names an existing file."""

ISA_LENGTH = 106  # fixed width, terminator included
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)  # ISA01..ISA16
# Index of the separator in front of each ISA element: "ISA" is 0-2, the first separator is at 3.
ISA_SEPARATOR_POSITIONS = tuple(3 + sum(ISA_WIDTHS[:i]) + i for i in range(len(ISA_WIDTHS)))
ISA_TERMINATOR_POSITION = ISA_LENGTH - 1
DEFAULT_CHUNK_SIZE = 1 << 16
_BYTE_ORDER_MARK = "\ufeff"
_UTF8_BOM_AS_LATIN1 = "\xef\xbb\xbf"  # bytes are decoded as Latin-1 so every byte maps to one character
_LINE_BREAKS = "\r\n"
_LEADING_WHITESPACE = " \t\r\n\f\v"
_TRAILING_FILLER = " \t\r\n\f\v\x00\x1a"  # \x1a: DOS end-of-file marker some systems still append
_LENIENT_WHITESPACE = " \t\r\n\ufeff"  # a byte-order mark is not data either


@dataclass(frozen=True, slots=True)
class Separators:
    """The delimiters one ISA declares. ``repetition`` is None when ISA11 is not a separator (4010's 'U')."""

    element: str
    component: str
    repetition: str | None
    segment: str

    def as_delimiters(self) -> Delimiters:
        """The writer's Delimiters; a missing repetition separator gets the first of ^ | ! not already in use."""
        used = {self.element, self.component, self.segment}
        repetition = self.repetition or next(c for c in "^|!" if c not in used)
        return Delimiters(self.element, self.component, repetition, self.segment)


@dataclass(frozen=True, slots=True)
class ReadSegment:
    """A segment and its 1-based position in the file (ISA is segment 1), for messages and SE01 counts."""

    number: int
    segment: Segment

    @property
    def id(self) -> str:
        return self.segment.id


def _describe(character: str, from_bytes: bool) -> str:
    if from_bytes:
        return f"byte 0x{ord(character):02X}"
    return f"character {character!r} (U+{ord(character):04X})"


def _guess_id(text: str, element: str | None) -> str:
    """The segment id as far as it can be told, for messages about a segment that could not be read."""
    if element:
        head = text.split(element, 1)[0][:3]
    else:
        head = ""
        for character in text[:3]:
            if not (character.isascii() and character.isalnum()):
                break
            head += character
    return head if head.isascii() else ""


def _names_a_file(text: str) -> bool:
    """A short ``str`` that does not start like X12 and names an existing file is a path (lenient mode)."""
    return not text.lstrip(_LENIENT_WHITESPACE).startswith(("ISA", "ST")) and len(text) < 4096 and os.path.isfile(text)


class _Chunks:
    """Reads a source in chunks as text.

    Strict: bytes are decoded as Latin-1 so no byte can fail to decode (the reader then refuses non-ASCII).
    Lenient: bytes are decoded as UTF-8, an unreadable byte becoming U+FFFD, so a name with an odd byte
    does not stop a payment from being read.
    """

    def __init__(self, source: Source, chunk_size: int, *, lenient: bool = False) -> None:
        self.chunk_size = chunk_size
        self.from_bytes = True
        self._text: str | None = None
        self._stream: IO[str] | IO[bytes] | None = None
        self._owned: IO[bytes] | None = None  # a file opened here, closed in close()
        self._started = False
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace") if lenient else None
        if isinstance(source, str) and lenient and _names_a_file(source):
            source = Path(source)
        if isinstance(source, str):
            self._text, self.from_bytes = source, False
        elif isinstance(source, bytes | bytearray | memoryview):
            self._text = self._decode(bytes(source), final=True)
        elif isinstance(source, os.PathLike):
            self._stream = self._owned = Path(source).open("rb")  # noqa: SIM115 - closed in close()
        else:
            self._stream = source

    def read(self) -> str:
        """The next chunk, '' at the end. A leading byte-order mark is dropped."""
        if self._text is not None:
            chunk, self._text = self._text, ""
        elif (stream := self._stream) is not None:
            while True:  # a lenient decoder may hold a chunk's last bytes back and answer ''
                data = stream.read(self.chunk_size)
                if isinstance(data, bytes | bytearray):
                    chunk = self._decode(bytes(data), final=not data)
                else:
                    chunk, self.from_bytes = data, False
                if not data:
                    self._stream = None  # the end: what the decoder held back is flushed
                if chunk or not data:
                    break
        else:
            chunk = ""
        if not self._started and chunk:
            self._started = True
            chunk = self._drop_byte_order_mark(chunk)
        return chunk

    def _decode(self, data: bytes, *, final: bool) -> str:
        if self._decoder is None:
            return data.decode("latin-1")
        return self._decoder.decode(data, final=final)

    def _drop_byte_order_mark(self, chunk: str) -> str:
        if chunk.startswith(_BYTE_ORDER_MARK):
            return chunk[1:]
        if self.from_bytes:
            # A tiny chunk size may split the three BOM bytes; gather them before deciding.
            while len(chunk) < 3 and _UTF8_BOM_AS_LATIN1.startswith(chunk):
                more = self.read()
                if not more:
                    break
                chunk += more
            if chunk.startswith(_UTF8_BOM_AS_LATIN1):
                return chunk[3:]
        return chunk

    def close(self) -> None:
        if self._owned is not None:
            self._owned.close()


class X12Reader:
    """Iterates over every segment of every interchange in ``source``, as :class:`ReadSegment`.

    Raises :class:`~ptbill.x12.errors.X12SyntaxError` subclasses when the text cannot be read
    (no ISA, bad delimiters, non-ASCII, truncated); structure is checked one level up, in ``envelope``.
    Composite elements (holding the ISA16 separator) become tuples; repeated elements are left as
    one string holding the ISA11 separator. ``separators`` describes the interchange being read.
    """

    def __init__(self, source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self._source = source
        self._chunk_size = chunk_size
        self.separators: Separators | None = None

    def __iter__(self) -> Iterator[ReadSegment]:
        chunks = _Chunks(self._source, self._chunk_size)
        try:
            yield from self._segments(chunks)
        finally:
            chunks.close()

    def _segments(self, chunks: _Chunks) -> Iterator[ReadSegment]:
        buffer = ""
        position = 0
        at_end = False
        number = 0

        def refill() -> bool:
            nonlocal buffer, position, at_end
            if at_end:
                return False
            try:
                chunk = chunks.read()
            except UnicodeDecodeError as exc:
                raise X12EncodingError(
                    number + 1,
                    "",
                    f"the text stream cannot be decoded ({exc.reason}); X12 is ASCII, "
                    "open the file in binary mode or pass its path",
                ) from None
            if not chunk:
                at_end = True
                return False
            buffer = buffer[position:] + chunk
            position = 0
            return True

        # Leading whitespace of any kind is tolerated before the first ISA.
        while True:
            while position < len(buffer) and buffer[position] in _LEADING_WHITESPACE:
                position += 1
            if position < len(buffer) or not refill():
                break
        if position >= len(buffer):
            raise X12HeaderError(None, "", "the input is empty: an X12 interchange starts with ISA")

        separators: Separators | None = None
        element = component = terminator = ""
        from_bytes = chunks.from_bytes
        while True:
            # Line breaks after a terminator are layout, not data.
            while True:
                while position < len(buffer) and buffer[position] in _LINE_BREAKS:
                    position += 1
                if position < len(buffer) or not refill():
                    break
            if position >= len(buffer):
                return

            while len(buffer) - position < 3 and refill():
                pass  # a chunk boundary may split the "ISA" that starts the next interchange
            if separators is None or buffer.startswith("ISA", position):
                while len(buffer) - position < ISA_LENGTH and refill():
                    pass
                raw = buffer[position : position + ISA_LENGTH]
                separators, isa = self._read_isa(raw, number + 1, from_bytes, first=separators is None)
                self.separators = separators
                element, component, terminator = separators.element, separators.component, separators.segment
                position += ISA_LENGTH
                number += 1
                yield ReadSegment(number, isa)
                continue

            # Split every complete segment in the buffer at once; the incomplete tail waits for the next chunk.
            last = buffer.rfind(terminator, position)
            if last < 0:
                if refill():
                    continue
                rest = buffer[position:]
                if rest.strip(_TRAILING_FILLER):
                    raise X12TruncatedError(
                        number + 1,
                        _guess_id(rest, element),
                        f"the file ends inside this segment: no terminator {terminator!r} after {rest[:40]!r}",
                    )
                return
            block = buffer[position:last]
            start = position
            position = last + 1
            block_is_ascii = block.isascii()
            line_break_terminator = terminator in _LINE_BREAKS
            for raw_text in block.split(terminator):
                text = raw_text.lstrip(_LINE_BREAKS) if raw_text[:1] in _LINE_BREAKS else raw_text
                if text.startswith("ISA"):
                    position = start + len(raw_text) - len(text)  # a new interchange: read its own delimiters
                    break
                start += len(raw_text) + 1
                if line_break_terminator:
                    text = text.rstrip("\r")
                    if not text:
                        continue  # a blank line when the terminator is itself a line break
                if not block_is_ascii and not text.isascii():
                    bad = next(c for c in text if not c.isascii())
                    raise X12EncodingError(
                        number + 1,
                        _guess_id(text, element),
                        f"{_describe(bad, from_bytes)} is not ASCII (X12 basic and extended character sets are ASCII)",
                    )
                number += 1
                if component in text:
                    parts = text.split(element)
                    composite: list[Element] = [tuple(p.split(component)) if component in p else p for p in parts[1:]]
                    yield ReadSegment(number, Segment(parts[0], tuple(composite)))
                else:
                    segment_id, *elements = text.split(element)
                    yield ReadSegment(number, Segment(segment_id, tuple(elements)))

    @staticmethod
    def _read_isa(raw: str, number: int, from_bytes: bool, *, first: bool) -> tuple[Separators, Segment]:
        if not raw.startswith("ISA"):
            hint = " (to read a file, pass a pathlib.Path, not a str)" if first and not from_bytes else ""
            raise X12HeaderError(
                number, _guess_id(raw, None), f"an X12 interchange starts with ISA, found {raw[:20]!r}{hint}"
            )
        if len(raw) < ISA_LENGTH:
            raise X12TruncatedError(
                number, "ISA", f"the file ends inside the ISA: it has {len(raw)} of its fixed {ISA_LENGTH} characters"
            )
        if not raw.isascii():
            bad = next(c for c in raw if not c.isascii())
            raise X12EncodingError(number, "ISA", f"{_describe(bad, from_bytes)} is not ASCII")
        element = raw[3]
        if element.isalnum() or element in " \r\n":
            raise X12HeaderError(
                number, "ISA", f"the element separator {element!r} (ISA position 4) is a letter, digit or blank"
            )
        misplaced = [p for p in ISA_SEPARATOR_POSITIONS if raw[p] != element]
        if misplaced or raw[:ISA_TERMINATOR_POSITION].count(element) != len(ISA_WIDTHS):
            raise X12HeaderError(number, "ISA", _explain_isa_widths(raw, element))
        component, terminator, repetition_field = raw[104], raw[ISA_TERMINATOR_POSITION], raw[82]
        chosen = {
            "element separator": element,
            "component separator (ISA16)": component,
            "segment terminator": terminator,
        }
        for name, character in chosen.items():
            if character.isalnum() or character == " ":
                raise X12HeaderError(number, "ISA", f"the {name} {character!r} is a letter, digit or blank")
        if len(set(chosen.values())) != len(chosen):
            raise X12HeaderError(
                number,
                "ISA",
                f"the element separator {element!r}, component separator {component!r} and segment "
                f"terminator {terminator!r} must be three different characters",
            )
        if component in _LINE_BREAKS:
            raise X12HeaderError(number, "ISA", "the component separator (ISA16) is a line break")
        repetition: str | None = repetition_field
        if repetition_field.isalnum() or repetition_field == " ":
            repetition = None  # 4010 put the standards identifier 'U' here; the envelope check reports it for 5010
        elif repetition_field in chosen.values():
            raise X12HeaderError(
                number,
                "ISA",
                f"the repetition separator (ISA11) {repetition_field!r} is already used as another delimiter",
            )
        isa = Segment("ISA", tuple(raw[4:ISA_TERMINATOR_POSITION].split(element)))
        return Separators(element, component, repetition, terminator), isa


def _explain_isa_widths(raw: str, element: str) -> str:
    parts = raw[4:].split(element)
    for index, width in enumerate(ISA_WIDTHS):
        name = f"ISA{index + 1:02d}"
        if index >= len(parts):
            return f"the ISA ends before {name}; it has fixed-width elements and is {ISA_LENGTH} characters long"
        value = parts[index] if index < len(ISA_WIDTHS) - 1 else parts[index][:1]
        if len(value) != width:
            return (
                f"{name} is {len(value)} characters ({value!r}); the fixed-width ISA needs exactly {width} "
                "(pad ids and passwords with spaces)"
            )
    return f"the ISA holds the element separator {element!r} inside an element; it must be {ISA_LENGTH} characters"


_ISA_ELEMENTS = len(ISA_WIDTHS)  # 16


class LenientReader:
    """The tokenizer's lenient mode: segments as lists of element texts (the id first, composites left
    joined), read lazily from ``source``.

    The delimiters come from the ISA, found by counting its 16 elements rather than by fixed width,
    or, for a file without an envelope, from the ST (component separator ':' assumed). Spaces, line
    breaks and byte-order marks around segments are dropped. ``delimiters`` is known once the first
    segment has been yielded; ``has_envelope`` says whether the data starts with an ISA; ``notes``
    collects what did not conform but could be read, as (segment number, segment id, problem).
    Raises :class:`~ptbill.x12.errors.X12HeaderError` when there is nothing to read or no usable delimiters.
    """

    def __init__(self, source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> None:
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self._source = source
        self._chunk_size = chunk_size
        self.delimiters: Delimiters | None = None
        self.has_envelope = True
        self.notes: list[tuple[int, str, str]] = []

    def __iter__(self) -> Iterator[list[str]]:
        chunks = _Chunks(self._source, self._chunk_size, lenient=True)
        try:
            yield from self._segments(iter(chunks.read, ""))
        finally:
            chunks.close()

    def _segments(self, chunks: Iterator[str]) -> Iterator[list[str]]:
        buffer = ""
        for chunk in chunks:
            buffer += chunk
            if len(buffer.lstrip(_LENIENT_WHITESPACE)) >= ISA_LENGTH + 2:
                break
        buffer = buffer.lstrip(_LENIENT_WHITESPACE)
        if not buffer:
            raise X12HeaderError(None, "", "there is no data: expected an ISA or ST segment")
        self.delimiters = self._find_delimiters(buffer)
        element = self.delimiters.element
        terminator = self.delimiters.segment
        count = 0
        for chunk in chunks:
            buffer += chunk
            if terminator not in chunk:
                continue
            pieces = buffer.split(terminator)
            buffer = pieces.pop()
            for piece in pieces:
                text = piece.strip()
                if text:
                    count += 1
                    if count == 2:
                        self._check_terminator(text)
                    yield text.split(element)
        pieces = buffer.split(terminator)
        for index, piece in enumerate(pieces):
            text = piece.strip()
            if not text:
                continue
            count += 1
            if count == 2:
                self._check_terminator(text)
            fields = text.split(element)
            if index == len(pieces) - 1 and not terminator.isspace():  # a missing final newline is no news
                self.notes.append((count, fields[0][:3], "the last segment has no segment terminator"))
            yield fields

    def _check_terminator(self, text: str) -> None:
        """Refuse a body that ends its segments with another character than the ISA declares: read with the
        declared one, the rest of the file would run into one segment and nothing in it would be read."""
        delimiters = self.delimiters
        if delimiters is None or not self.has_envelope:
            return
        separators = delimiters.element + delimiters.component + delimiters.repetition
        # The segment after the ISA (a GS) runs on into the next envelope or header segment ...
        run_on = re.search(
            rf"([^A-Za-z0-9 {re.escape(separators)}])\s*(?:GS|ST|SE|GE|IEA|BPR|TRN){re.escape(delimiters.element)}",
            text,
        )
        # ... or ends with a character that is neither data nor a separator (the body's own terminator).
        used = run_on.group(1) if run_on else text[-1]
        if not run_on and (used.isalnum() or used in separators):
            return
        declared = "a line break" if delimiters.segment == "\n" else repr(delimiters.segment)
        found = "line breaks" if used in "\r\n" else repr(used)
        raise X12HeaderError(
            2,
            text[:3].rstrip(delimiters.element) or "?",
            f"the ISA declares {declared} as the segment terminator (the character after ISA16), but the "
            f"segments after it end with {found}; read with the declared one, they would run together",
        )

    def _find_delimiters(self, head: str) -> Delimiters:
        if head.startswith("ISA"):
            return self._from_isa(head)
        if head.startswith("ST") and len(head) > 3:
            return self._from_st(head)
        raise X12HeaderError(1, head[:3], f"the data begins with {head[:12]!r}, not with an ISA or ST segment")

    def _from_isa(self, head: str) -> Delimiters:
        if len(head) < 4:
            raise X12HeaderError(1, "ISA", "the ISA is cut short before its first element")
        element = head[3]
        position, seen = 3, 1  # the fourth character is the first separator
        while seen < _ISA_ELEMENTS:
            position = head.find(element, position + 1)
            if position < 0:
                raise X12HeaderError(
                    1, "ISA", f"the ISA is incomplete: it needs {_ISA_ELEMENTS} elements separated by {element!r}"
                )
            seen += 1
        if position + 2 >= len(head):
            raise X12HeaderError(1, "ISA", "the ISA is cut short before its segment terminator")
        component, terminator = head[position + 1], head[position + 2]
        if terminator == "\r":  # CR LF ends segments: split on LF, strip the CR
            terminator = "\n"
        if position + 3 != ISA_LENGTH:
            self.notes.append((1, "ISA", f"the ISA is {position + 3} characters long, not {ISA_LENGTH}"))
        repetition = head.split(element, 12)[11][:1]
        return self._delimiters(element, component, repetition, terminator, "ISA")

    def _from_st(self, head: str) -> Delimiters:
        self.has_envelope = False
        element = head[2]
        terminator = next((c for c in head[3:] if not (c.isalnum() or c in (element, " "))), "~")
        if terminator == "\r":
            terminator = "\n"
        self.notes.append(
            (1, "ST", "no ISA/GS envelope: delimiters taken from the ST segment, component separator assumed ':'")
        )
        return self._delimiters(element, ":", "^", terminator, "ST")

    @staticmethod
    def _delimiters(element: str, component: str, repetition: str, terminator: str, where: str) -> Delimiters:
        taken = {element, component, terminator}
        if repetition in taken or repetition.isalnum() or repetition in (" ", ""):
            # 4010 puts a 'U' in ISA11; any free character will do for a file that never repeats elements.
            repetition = next(c for c in "^|{}\\" if c not in taken)
        try:
            return Delimiters(element=element, component=component, repetition=repetition, segment=terminator)
        except ValueError as exc:
            raise X12HeaderError(1, where, f"unusable delimiters: {exc}") from None


def read_segments(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[ReadSegment]:
    """Every segment of ``source`` in order, numbered from 1; see :class:`X12Reader`."""
    return iter(X12Reader(source, chunk_size=chunk_size))


def read_lenient(source: Source, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> LenientReader:
    """The lenient mode's segments of ``source`` (iterate the result; it keeps the delimiters and notes)."""
    return LenientReader(source, chunk_size=chunk_size)
