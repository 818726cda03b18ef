"""What the commands print. Text from input, made safe to print on a terminal: a note id, a file name or an 835
value that holds control characters (escape sequences, carriage returns, backspaces) or bidirectional overrides is
shown with those characters escaped (\\x1b, \\r, \\u202e), so it cannot recolour, move, retitle or hide output.
And ``echo``: a line written as ``click.echo`` writes it, without importing click (``ptbill check`` and ``units``
start without it).
"""

from __future__ import annotations

import codecs
import io
import os
import re
import sys

# C0 and C1 controls, DEL, the line and paragraph separators, and the bidirectional marks and overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(value: object) -> str:
    """``value`` as text with every control character written as its escape; other text unchanged."""
    return _UNSAFE.sub(_escaped, str(value))


def echo(text: str, err: bool = False) -> None:
    """``click.echo(text, err=err)``: the text and a newline on standard output (or error), flushed.

    Written here to the stream as it is, which is what click does with a text stream that names an encoding
    other than ASCII and an error handler (any usual one). Where click would do more, click writes the line: a
    stream it wraps anew (ASCII, no encoding: it writes UTF-8 to the bytes beneath), ANSI codes (which it strips
    off a terminal; ``printable`` text has none) and Windows' console."""
    stream = sys.stderr if err else sys.stdout
    if stream is None:  # no stream to write to: click writes nothing either
        return
    if "\x1b" in text or os.name == "nt" or not _written_as_is(stream):
        import click

        click.echo(text, err=err)
        return
    stream.write(text + "\n")
    stream.flush()


def _written_as_is(stream: object) -> bool:
    """Whether click writes to ``stream`` itself rather than to a stream it wraps around its bytes."""
    encoding = getattr(stream, "encoding", None)
    if not isinstance(stream, io.TextIOBase) or not encoding or getattr(stream, "errors", None) is None:
        return False
    try:
        return codecs.lookup(encoding).name != "ascii"
    except LookupError:
        return True
