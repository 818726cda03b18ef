"""pyx12 4.0.0 as the independent judge of our X12 (its Python API; the command's exit status is meaningless)."""

from __future__ import annotations

import io
import logging
import tempfile
from pathlib import Path

import pyx12.params
import pyx12.x12n_document


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def pyx12_errors(text: str) -> list[str]:
    """pyx12's error messages for an X12 document; empty when pyx12 judges it clean."""
    logger = logging.getLogger("pyx12")
    handler = _Collect()
    logger.addHandler(handler)
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "claims.837"
            path.write_text(text, encoding="ascii")
            ok = pyx12.x12n_document.x12n_document(
                param=pyx12.params.params(), src_file=str(path), fd_997=io.StringIO(), fd_html=None, fd_json=None
            )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)
    if not ok and not handler.messages:
        return ["pyx12 judged the file invalid without a message"]
    return handler.messages
