"""The interface every mailbox transport offers, and the one error they raise."""

from __future__ import annotations

from typing import Protocol

from ptbill.domain.errors import PtbillError


class MailboxError(PtbillError):
    """The mailbox could not be reached or a file could not be moved: the message names the step, never a
    credential."""


class Mailbox(Protocol):
    """A clearinghouse mailbox: files sent into its outbox, answers read from its inbox and moved away once
    handled. Names are plain file names (no folders)."""

    def send(self, name: str, data: bytes) -> None: ...

    def list_inbox(self) -> list[str]: ...

    def fetch(self, name: str) -> bytes: ...

    def archive(self, name: str) -> None: ...

    def close(self) -> None: ...


def plain_name(name: str) -> str:
    """``name`` when it is a plain file name, else MailboxError: no folders, no hidden or partial files."""
    if not name or name != name.strip() or "/" in name or "\\" in name or name.startswith(".") or "\x00" in name:
        raise MailboxError(f"{name!r} is not a plain file name")
    if len(name) > 200 or not name.isprintable():
        raise MailboxError("a mailbox file name is at most 200 printable characters")
    return name
