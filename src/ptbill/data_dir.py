"""The installation's data folder as the environment names it: what every command reads at start-up (installed CMS
tables), without the rest of ``ptbill.settings``."""

from __future__ import annotations

import os
from pathlib import Path


def data_dir_from_environment() -> Path:
    """``PTBILL_DATA_DIR``, else ``var``: what a command that needs only the data folder reads (no secret made)."""
    return Path(os.environ.get("PTBILL_DATA_DIR", "var"))


def cache_dir() -> Path:
    """Where ptbill keeps what it can make again (parsed reference YAML, compiled dataclass methods):
    ``PTBILL_CACHE_DIR``, else ``$XDG_CACHE_HOME/ptbill``, else ``~/.cache/ptbill``."""
    explicit = os.environ.get("PTBILL_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ptbill"
