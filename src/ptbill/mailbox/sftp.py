"""The SFTP mailbox (paramiko): the clearinghouse's server, its host key checked against the one stored in the
clinic's settings (an unknown or changed key refuses the connection: nothing is ever added on trust), and a
password or a private key. Messages name the step and the server, never the credential."""

from __future__ import annotations

import base64
import binascii
import io
import posixpath
import stat
from dataclasses import dataclass

import paramiko

from ptbill.mailbox.transport import MailboxError, plain_name

TIMEOUT_SECONDS = 20.0
_KEY_TYPES: tuple[type[paramiko.PKey], ...] = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


@dataclass(frozen=True, slots=True)
class SftpTarget:
    host: str
    port: int
    username: str
    known_host_key: str  # one line as ssh-keyscan prints it, without the host: "ssh-ed25519 AAAA..."
    outbox: str
    inbox: str
    archive: str
    password: str | None = None
    private_key: str | None = None  # OpenSSH or PEM text


def host_key(line: str) -> paramiko.PKey:
    """The public key of a known-hosts line ("[host]:port ssh-ed25519 AAAA..." or "ssh-ed25519 AAAA...")."""
    parts = line.split()
    if len(parts) >= 3 and not parts[0].startswith(("ssh-", "ecdsa-")):
        parts = parts[1:]
    if len(parts) < 2:
        raise MailboxError("the stored host key is not a key line such as 'ssh-ed25519 AAAA...'")
    try:
        return paramiko.PKey.from_type_string(parts[0], base64.b64decode(parts[1], validate=True))
    except (binascii.Error, paramiko.SSHException, ValueError):
        raise MailboxError("the stored host key cannot be read as an SSH public key") from None


def private_key(text: str) -> paramiko.PKey:
    for kind in _KEY_TYPES:
        try:
            return kind.from_private_key(io.StringIO(text))
        except (paramiko.SSHException, ValueError):
            continue
    raise MailboxError("the stored private key cannot be read (an unencrypted Ed25519, ECDSA or RSA key)")


class SftpMailbox:
    """One SSH connection for the mailbox's life: open it, use it, ``close()`` it."""

    def __init__(self, target: SftpTarget) -> None:
        self.target = target
        where = f"{target.host}:{target.port}"
        client = paramiko.SSHClient()
        known = target.host if target.port == 22 else f"[{target.host}]:{target.port}"
        expected = host_key(target.known_host_key)
        client.get_host_keys().add(known, expected.get_name(), expected)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            client.connect(
                target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                pkey=private_key(target.private_key) if target.private_key else None,
                timeout=TIMEOUT_SECONDS,
                banner_timeout=TIMEOUT_SECONDS,
                auth_timeout=TIMEOUT_SECONDS,
                allow_agent=False,
                look_for_keys=False,
            )
            self._sftp = client.open_sftp()
        except paramiko.BadHostKeyException:
            client.close()
            raise MailboxError(f"{where} presented a host key other than the stored one: not connected") from None
        except paramiko.AuthenticationException:
            client.close()
            raise MailboxError(f"{where} refused the user name and credential") from None
        except (paramiko.SSHException, OSError) as exc:
            client.close()
            raise MailboxError(f"cannot reach the SFTP server {where}: {type(exc).__name__}") from None
        self._client = client

    def _path(self, folder: str, name: str) -> str:
        return posixpath.join(folder, plain_name(name))

    def send(self, name: str, data: bytes) -> None:
        target = self._path(self.target.outbox, name)
        partial = posixpath.join(self.target.outbox, f".{name}.part")
        try:
            with self._sftp.open(partial, "wb") as remote:
                remote.write(data)
            self._sftp.posix_rename(partial, target)
        except (OSError, paramiko.SSHException) as exc:
            raise MailboxError(f"cannot put {name} into the SFTP outbox: {type(exc).__name__}") from None

    def list_inbox(self) -> list[str]:
        try:
            entries = self._sftp.listdir_attr(self.target.inbox)
        except (OSError, paramiko.SSHException) as exc:
            raise MailboxError(f"cannot list the SFTP inbox: {type(exc).__name__}") from None
        return sorted(e.filename for e in entries if stat.S_ISREG(e.st_mode or 0) and not e.filename.startswith("."))

    def fetch(self, name: str) -> bytes:
        try:
            with self._sftp.open(self._path(self.target.inbox, name), "rb") as remote:
                return remote.read()
        except (OSError, paramiko.SSHException) as exc:
            raise MailboxError(f"cannot read {name} from the SFTP inbox: {type(exc).__name__}") from None

    def archive(self, name: str) -> None:
        try:
            self._sftp.posix_rename(self._path(self.target.inbox, name), self._path(self.target.archive, name))
        except (OSError, paramiko.SSHException) as exc:
            raise MailboxError(f"cannot move {name} to the SFTP archive: {type(exc).__name__}") from None

    def close(self) -> None:
        self._sftp.close()
        self._client.close()
