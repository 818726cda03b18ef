"""Settings read from the environment; only the delivery layers, services and storage import this."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    data_dir: Path  # installed CMS tables (NCCI, MUE), control numbers, the SQLite file
    secret_key: str  # signs session cookies and CSRF tokens
    secure_cookies: bool  # Secure flag on cookies: on unless serving plain http on loopback

    @classmethod
    def from_environment(cls) -> Settings:
        data_dir = Path(os.environ.get("PTBILL_DATA_DIR", "var"))
        secret = os.environ.get("PTBILL_SECRET_KEY") or _local_secret(data_dir)
        return cls(
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{data_dir / 'ptbill.sqlite3'}"),
            data_dir=data_dir,
            secret_key=secret,
            secure_cookies=os.environ.get("PTBILL_SECURE_COOKIES", "1") != "0",
        )


def _local_secret(data_dir: Path) -> str:
    """A per-installation secret kept beside the data, so sessions survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's only: it holds the database
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
