"""The crash-log filter: exception types and frames stay, messages go, through causes, contexts and groups."""

from __future__ import annotations

import io
import logging

from ptbill.log_privacy import WITHHELD, WithholdExceptionMessages, redacted_traceback

MEMBER_ID = "7QW2ER4TY19"  # synthetic


def _failing_lookup() -> None:
    try:
        {}[MEMBER_ID]
    except KeyError:
        raise ValueError(f"member {MEMBER_ID} has no coverage") from None


def test_a_record_keeps_the_types_and_frames_and_loses_the_messages() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger("ptbill.tests.log_privacy")
    logger.addFilter(WithholdExceptionMessages())
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            _failing_lookup()
        except ValueError:
            try:
                raise ExceptionGroup(f"saving {MEMBER_ID}", [TypeError(MEMBER_ID), OSError(MEMBER_ID)])
            except ExceptionGroup:
                logger.exception("saving the note failed")
    finally:
        logger.removeHandler(handler)
    log = stream.getvalue()
    assert MEMBER_ID not in log
    assert "saving the note failed" in log
    assert f"ValueError: {WITHHELD}" in log
    assert "During handling of the above exception, another exception occurred:" in log
    assert f"ExceptionGroup: {WITHHELD}" in log
    assert f"  with TypeError: {WITHHELD}" in log
    assert "in _failing_lookup" in log
    assert "KeyError" not in log  # `from None` hid it, as Python's own traceback would


def test_a_cycle_of_contexts_ends() -> None:
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__context__, second.__context__ = second, first
    assert redacted_traceback(first).count("RuntimeError") == 2
