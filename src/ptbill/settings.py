"""Settings read from the environment; only the delivery layers, services and storage import this."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    data_dir: Path  # installed CMS tables (NCCI, MUE) and the clinic's own reference overlays

    @classmethod
    def from_environment(cls) -> Settings:
        data_dir = Path(os.environ.get("PTBILL_DATA_DIR", "var"))
        return cls(
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{data_dir / 'ptbill.sqlite3'}"),
            data_dir=data_dir,
        )
