"""A small streaming X12 tokenizer for the 835 reader: delimiters from the ISA (or the ST), then segments.

Kept apart from ``ptbill.x12.reader`` on purpose: payers' 835s arrive without an envelope or with stray
non-ASCII bytes in names, and a remittance must still be read (with a warning), where the shared
reader refuses such files outright. Source: the X12 5010 interchange
envelope: the ISA's fourth character is the element separator, ISA11 the repetition separator, ISA16
the component separator, and the character after ISA16 ends every segment.
"""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ptbill.domain.errors import RemittanceFormatError
from ptbill.x12.syntax import Delimiters

Source = str | bytes | bytearray | os.PathLike[str] | IO[str] | IO[bytes]

_CHUNK = 1 << 16
_ISA_LENGTH = 106  # a conforming ISA, terminator included
_ISA_ELEMENTS = 16
_WHITESPACE = " \t\r\n\ufeff"  # a byte-order mark is not data either


def text_chunks(source: Source) -> Iterator[str]:
    """The source's text in pieces. A ``str`` is X12 text unless it names an existing file."""
    if isinstance(source, bytes | bytearray):
        yield _decode(bytes(source))
        return
    if isinstance(source, str):
        if not source.lstrip(_WHITESPACE).startswith(("ISA", "ST")) and len(source) < 4096 and os.path.isfile(source):
            yield from _file_chunks(Path(source))
        else:
            yield source
        return
    if isinstance(source, os.PathLike):
        yield from _file_chunks(Path(source))
        return
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    while True:
        chunk = source.read(_CHUNK)
        if not chunk:
            break
        yield decoder.decode(chunk) if isinstance(chunk, bytes) else chunk
    yield decoder.decode(b"", final=True)


def _decode(data: bytes) -> str:
    # X12 is ASCII; an odd byte in a name must not stop a payment from being read.
    return data.decode("utf-8-sig", errors="replace")


def _file_chunks(path: Path) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            yield decoder.decode(chunk)
    yield decoder.decode(b"", final=True)


class SegmentStream:
    """Iterates over segments as lists of element texts (the id first), reading the source lazily.

    ``delimiters`` is known once the first segment has been yielded; ``notes`` collects what did not
    conform but could be read, as (segment number, segment id, problem).
    """

    def __init__(self, chunks: Iterator[str]) -> None:
        self._chunks = chunks
        self.delimiters: Delimiters | None = None
        self.has_envelope = True
        self.notes: list[tuple[int, str, str]] = []

    def __iter__(self) -> Iterator[list[str]]:
        buffer = ""
        for chunk in self._chunks:
            buffer += chunk
            if len(buffer.lstrip(_WHITESPACE)) >= _ISA_LENGTH + 2:
                break
        buffer = buffer.lstrip(_WHITESPACE)
        if not buffer:
            raise RemittanceFormatError("there is no data: expected an ISA or ST segment")
        self.delimiters = self._find_delimiters(buffer)
        element = self.delimiters.element
        terminator = self.delimiters.segment
        count = 0
        for chunk in self._chunks:
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
        declared one, the rest of the file would run into one segment and no transaction would be read."""
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
        raise RemittanceFormatError(
            f"the ISA declares {declared} as the segment terminator (the character after ISA16), but the "
            f"segments after it end with {found}; read with the declared one, they would run together",
            2,
            text[:3].rstrip(delimiters.element) or "?",
        )

    def _find_delimiters(self, head: str) -> Delimiters:
        if head.startswith("ISA"):
            return self._from_isa(head)
        if head.startswith("ST") and len(head) > 3:
            return self._from_st(head)
        raise RemittanceFormatError(f"the data begins with {head[:12]!r}, not with an ISA or ST segment", 1, head[:3])

    def _from_isa(self, head: str) -> Delimiters:
        if len(head) < 4:
            raise RemittanceFormatError("the ISA is cut short before its first element", 1, "ISA")
        element = head[3]
        position, seen = 3, 1  # the fourth character is the first separator
        while seen < _ISA_ELEMENTS:
            position = head.find(element, position + 1)
            if position < 0:
                raise RemittanceFormatError(
                    f"the ISA is incomplete: it needs {_ISA_ELEMENTS} elements separated by {element!r}", 1, "ISA"
                )
            seen += 1
        if position + 2 >= len(head):
            raise RemittanceFormatError("the ISA is cut short before its segment terminator", 1, "ISA")
        component, terminator = head[position + 1], head[position + 2]
        if terminator == "\r":  # CR LF ends segments: split on LF, strip the CR
            terminator = "\n"
        if position + 3 != _ISA_LENGTH:
            self.notes.append((1, "ISA", f"the ISA is {position + 3} characters long, not {_ISA_LENGTH}"))
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
            # 4010 puts a 'U' in ISA11; the 835 never repeats elements, so any free character will do.
            repetition = next(c for c in "^|{}\\" if c not in taken)
        try:
            return Delimiters(element=element, component=component, repetition=repetition, segment=terminator)
        except ValueError as exc:
            raise RemittanceFormatError(f"unusable delimiters: {exc}", 1, where) from None
