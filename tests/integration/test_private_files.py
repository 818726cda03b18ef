"""The data folder and the SQLite database hold patient data: they are created readable by their owner
only (0700 and 0600), whichever code creates them first, the secret key or the database engine."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from ptbill.settings import Settings
from ptbill.storage.migrate import upgrade
from ptbill.storage.session import make_engine


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The common umask (022), which leaves new files readable by everyone unless the code says otherwise."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.usefixtures("usual_umask")
@pytest.mark.parametrize("secret_in_environment", [False, True])
def test_the_data_folder_and_the_database_are_the_owners_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret_in_environment: bool
) -> None:
    data = tmp_path / "installation" / "var"
    monkeypatch.setenv("PTBILL_DATA_DIR", str(data))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    if secret_in_environment:
        monkeypatch.setenv("PTBILL_SECRET_KEY", "x" * 48)  # then the engine creates the folder
    else:
        monkeypatch.delenv("PTBILL_SECRET_KEY", raising=False)  # then the secret key file does
    settings = Settings.from_environment()
    upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    with engine.begin() as connection:  # a write, so SQLite makes its -wal and -shm files
        connection.execute(text("CREATE TABLE probe (x INTEGER)"))
    database = data / "ptbill.sqlite3"
    assert mode(data) == 0o700
    assert mode(database) == 0o600
    for companion in (Path(f"{database}-wal"), Path(f"{database}-shm")):
        assert mode(companion) == 0o600, companion
    if not secret_in_environment:
        assert mode(data / "secret_key") == 0o600
    engine.dispose()
