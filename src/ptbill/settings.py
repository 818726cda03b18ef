"""Settings read from the environment; only the delivery layers, services and storage import this."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ptbill.data_dir import data_dir_from_environment
from ptbill.domain.clock import SYSTEM_CLOCK, Clock, FixedClock
from ptbill.domain.identifiers import is_ascii_digits

KIB = 1024
MIB = 1024 * KIB


@dataclass(frozen=True, slots=True)
class RequestLimits:
    """The largest request body the app takes, by kind; counted as the body streams in, before anything parses it."""

    json_bytes: int = 1 * MIB  # API bodies; a note itself may be at most MAX_NOTE_BYTES (domain/encounter_json.py)
    form_bytes: int = 1 * MIB  # the pages' forms, the traction note form included
    upload_bytes: int = 32 * MIB  # multipart uploads (fee-schedule CSVs)
    anonymous_bytes: int = 64 * KIB  # any body sent without a signed session: logging in needs well under 1 KiB

    @classmethod
    def from_environment(cls) -> RequestLimits:
        defaults = cls()
        return cls(
            json_bytes=_byte_count("PTBILL_MAX_JSON_BYTES", defaults.json_bytes),
            form_bytes=_byte_count("PTBILL_MAX_FORM_BYTES", defaults.form_bytes),
            upload_bytes=_byte_count("PTBILL_MAX_UPLOAD_BYTES", defaults.upload_bytes),
            anonymous_bytes=_byte_count("PTBILL_MAX_ANONYMOUS_BYTES", defaults.anonymous_bytes),
        )


def _byte_count(name: str, default: int, unit: str = "bytes") -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not is_ascii_digits(raw) or int(raw) == 0:
        raise ValueError(f"{name} must be a positive whole number of {unit}, not {raw!r}")
    return int(raw)


# The reference tables checked daily at 06:00 UTC; the A/R aging's ledger marks folded into totals at 05:30.
DEFAULT_SCHEDULE = (("reference_checks", "0 6 * * *"), ("ledger_marks_compact", "30 5 * * *"))


@dataclass(frozen=True, slots=True)
class JobSettings:
    """Background jobs: the upload size from which an 835 posts as a job (with progress) instead of within
    the request (``PTBILL_JOB_UPLOAD_BYTES``), the number of statements from which a statement run does
    (``PTBILL_JOB_STATEMENTS``), and the periodic schedule, job name and cron expression (UTC), from
    ``PTBILL_JOB_SCHEDULE``:
    ``"reference_checks=0 6 * * *; other=*/15 * * * *"``, or ``off`` for none."""

    background_bytes: int = 1 * MIB
    background_statements: int = 100  # a statement run making more than this many runs as a job
    schedule: tuple[tuple[str, str], ...] = DEFAULT_SCHEDULE

    @classmethod
    def from_environment(cls) -> JobSettings:
        return cls(
            background_bytes=_byte_count("PTBILL_JOB_UPLOAD_BYTES", cls().background_bytes),
            background_statements=_byte_count("PTBILL_JOB_STATEMENTS", cls().background_statements, "statements"),
            schedule=parse_schedule(os.environ.get("PTBILL_JOB_SCHEDULE", "")),
        )


def parse_schedule(text: str) -> tuple[tuple[str, str], ...]:
    """``name=cron`` entries separated by ``;`` (empty: the default; ``off``: none). The names and the cron
    expressions are checked where the jobs are declared (``ptbill.jobs``)."""
    text = text.strip()
    if not text:
        return DEFAULT_SCHEDULE
    if text.lower() == "off":
        return ()
    entries = []
    for entry in filter(None, (e.strip() for e in text.split(";"))):
        name, sep, cron = entry.partition("=")
        if not sep or not name.strip() or not cron.strip():
            raise ValueError(f"PTBILL_JOB_SCHEDULE: expected name=cron, not {entry!r}")
        entries.append((name.strip(), " ".join(cron.split())))
    return tuple(entries)


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    data_dir: Path  # installed CMS tables (NCCI, MUE), control numbers, the SQLite file
    secret_key: str  # signs session cookies and CSRF tokens
    secure_cookies: bool  # Secure flag on cookies: on unless serving plain http on loopback
    request_limits: RequestLimits = field(default_factory=RequestLimits)
    clock: Clock = SYSTEM_CLOCK  # today's date for checks and forms; PTBILL_TODAY pins it
    jobs: JobSettings = field(default_factory=JobSettings)

    @classmethod
    def from_environment(cls) -> Settings:
        data_dir = data_dir_from_environment()
        secret = os.environ.get("PTBILL_SECRET_KEY") or _local_secret(data_dir)
        return cls(
            database_url=os.environ.get("DATABASE_URL", f"sqlite:///{data_dir / 'ptbill.sqlite3'}"),
            data_dir=data_dir,
            secret_key=secret,
            secure_cookies=os.environ.get("PTBILL_SECURE_COOKIES", "1") != "0",
            request_limits=RequestLimits.from_environment(),
            clock=clock_from_environment(),
            jobs=JobSettings.from_environment(),
        )


def clock_from_environment() -> Clock:
    """The system clock, or a day pinned by ``PTBILL_TODAY=YYYY-MM-DD`` (the demo, tests, a past day's re-check)."""
    raw = os.environ.get("PTBILL_TODAY", "").strip()
    if not raw:
        return SYSTEM_CLOCK
    try:
        return FixedClock(date.fromisoformat(raw))
    except ValueError:
        raise ValueError(f"PTBILL_TODAY must be a day written YYYY-MM-DD, not {raw!r}") from None


def _local_secret(data_dir: Path) -> str:
    """A per-installation secret kept beside the data, so sessions survive a restart."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    import secrets  # here: most commands never make a secret

    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the owner's only: it holds the database
    secret = secrets.token_urlsafe(48)
    path.write_text(secret)
    path.chmod(0o600)
    return secret
