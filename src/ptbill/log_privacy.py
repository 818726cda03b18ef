"""Logs without patient data: a logging filter that keeps an exception's type and where it was raised, and
withholds its message, which can quote what a user typed (a name, a member id, a note's text) or the
parameters of a failed database statement. ptbill's own log calls name ids only.
"""

from __future__ import annotations

import logging
import traceback

WITHHELD = "(message withheld: it may quote patient data)"
_CAUSED = "The above exception was the direct cause of the following exception:"
_DURING = "During handling of the above exception, another exception occurred:"
# The loggers that record exceptions in a ptbill process: uvicorn's (a crash in a request) and our own.
LOGGERS = ("uvicorn.error", "uvicorn.asgi", "ptbill")


def redacted_traceback(error: BaseException) -> str:
    """The traceback of ``error`` and the exceptions it came from, each frame with its file, line and code,
    and every exception by its type only."""
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    parts: list[str] = []
    previous: BaseException | None = None
    for exception in reversed(chain):  # the first cause first, as Python prints it
        if previous is not None:
            parts.append(f"\n{_CAUSED if exception.__cause__ is previous else _DURING}\n\n")
        parts.append("Traceback (most recent call last):\n")
        parts.extend(traceback.format_list(traceback.extract_tb(exception.__traceback__)))
        parts.append(f"{_name(exception)}: {WITHHELD}\n")
        if isinstance(exception, BaseExceptionGroup):
            parts.extend(f"  with {_name(inner)}: {WITHHELD}\n" for inner in exception.exceptions)
        previous = exception
    return "".join(parts).rstrip("\n")


def _name(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


class WithholdExceptionMessages(logging.Filter):
    """Replaces a record's exception with its redacted traceback before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redacted_traceback(record.exc_info[1])
            record.exc_info = None
        return True


def withhold_exception_messages() -> None:
    """Install the filter on the loggers that record exceptions and on the handlers already writing logs
    (a record from a child logger such as ``ptbill.services`` passes only its handlers' filters). Idempotent."""
    targets: list[logging.Logger | logging.Handler] = []
    for name in ("", *LOGGERS):
        logger = logging.getLogger(name)
        targets.append(logger)
        targets.extend(logger.handlers)
    for target in targets:
        if not any(isinstance(existing, WithholdExceptionMessages) for existing in target.filters):
            target.addFilter(WithholdExceptionMessages())
