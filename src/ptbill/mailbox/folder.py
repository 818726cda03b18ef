"""The folder mailbox: ``outbox/``, ``inbox/`` and ``archive/`` under one folder on this machine (the clinic's
data folder by default), for an installation whose clearinghouse client syncs folders, and for tests."""

from __future__ import annotations

import os
from pathlib import Path

from ptbill.mailbox.transport import MailboxError, plain_name


class FolderMailbox:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.outbox = root / "outbox"
        self.inbox = root / "inbox"
        self.archive_dir = root / "archive"

    def _ready(self) -> None:
        for folder in (self.outbox, self.inbox, self.archive_dir):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def send(self, name: str, data: bytes) -> None:
        """Written beside the file under a hidden name, then renamed: a reader never sees half a file."""
        target = self.outbox / plain_name(name)
        try:
            self._ready()
            if target.exists():
                raise MailboxError(f"{name} is already in the outbox")
            partial = self.outbox / f".{name}.part"
            partial.write_bytes(data)
            os.replace(partial, target)
        except OSError as exc:
            raise MailboxError(f"cannot write {name} into the outbox: {exc.strerror}") from None

    def list_inbox(self) -> list[str]:
        try:
            self._ready()
            return sorted(p.name for p in self.inbox.iterdir() if p.is_file() and not p.name.startswith("."))
        except OSError as exc:
            raise MailboxError(f"cannot list the inbox: {exc.strerror}") from None

    def fetch(self, name: str) -> bytes:
        try:
            return (self.inbox / plain_name(name)).read_bytes()
        except OSError as exc:
            raise MailboxError(f"cannot read {name} from the inbox: {exc.strerror}") from None

    def archive(self, name: str) -> None:
        try:
            self._ready()
            os.replace(self.inbox / plain_name(name), self.archive_dir / name)
        except OSError as exc:
            raise MailboxError(f"cannot move {name} to the archive: {exc.strerror}") from None

    def close(self) -> None:
        return None
