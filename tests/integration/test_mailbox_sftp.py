"""The mailbox over SFTP end to end against a real OpenSSH sshd on a free loopback port: a batch sent into the
remote outbox, a stand-in clearinghouse answering with an 835 in the remote inbox, one poll posting it and a
second changing nothing; a server presenting another host key is refused; no credential reaches the logs."""

from __future__ import annotations

import getpass
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from ptbill.mailbox.sftp import SftpMailbox
from ptbill.mailbox.transport import MailboxError
from ptbill.services import access, mailbox, mailbox_settings
from ptbill.storage.tables import ClaimBatchRow, RemittanceFileRow
from tests.integration.mailbox_world import MovingClock, answer_835, batched_claim
from tests.integration.test_mailbox import count

SSHD = Path("/usr/sbin/sshd")
SECRET = "sftp-test-secret-key"


@dataclass(frozen=True)
class Server:
    port: int
    host_key: str  # "ssh-ed25519 AAAA..."
    user: str
    user_key: str  # the private key's text
    files: Path  # the mailbox folder as the server's disk holds it
    remote: str  # the same folder as the SFTP client names it


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def keygen(path: Path) -> None:
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)


@pytest.fixture(scope="module")
def sshd() -> Iterator[Server]:
    if not SSHD.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("/usr/sbin/sshd is missing: `make system-deps` installs openssh-server")
        pytest.skip("/usr/sbin/sshd is missing (apt-get install openssh-server); CI=true fails instead")
    root_user = os.geteuid() == 0
    # As root, a real chroot: sshd wants every component of ChrootDirectory root-owned and writable by no one
    # else, which /tmp (world-writable) is not, so the jail is made under root's home (0700). As any other
    # user sshd cannot chroot at all: then ChrootDirectory none, with the mailbox in a user-owned temporary
    # folder, and the paths the client names are the absolute ones.
    base = Path(tempfile.mkdtemp(prefix="ptbill-sftp-", dir=Path.home() if root_user else None))
    try:
        etc = base / "etc"
        etc.mkdir()
        keygen(etc / "host_key")
        keygen(etc / "user_key")
        jail = base / "jail"
        (jail / "mailbox").mkdir(parents=True)
        os.chmod(base, 0o755)
        os.chmod(jail, 0o755)
        for folder in ("outbox", "inbox", "archive"):
            (jail / "mailbox" / folder).mkdir()
        if root_user:
            Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
        port = free_port()
        config = etc / "sshd_config"
        config.write_text(
            f"ListenAddress 127.0.0.1\nPort {port}\nHostKey {etc / 'host_key'}\nPidFile {etc / 'sshd.pid'}\n"
            f"AuthorizedKeysFile {etc / 'user_key.pub'}\nAllowUsers {getpass.getuser()}\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nPubkeyAuthentication yes\n"
            "PermitRootLogin prohibit-password\nStrictModes no\nUsePAM no\n"
            "Subsystem sftp internal-sftp\nForceCommand internal-sftp\n"
            "AllowTcpForwarding no\nX11Forwarding no\nLogLevel VERBOSE\n"
            f"ChrootDirectory {jail if root_user else 'none'}\n"
        )
        log = etc / "sshd.log"
        with log.open("wb") as sshd_log:
            process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(config)], stdout=sshd_log, stderr=sshd_log)
        try:
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                assert process.poll() is None, log.read_text()
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            host_key = " ".join((etc / "host_key.pub").read_text().split()[:2])
            yield Server(
                port,
                host_key,
                getpass.getuser(),
                (etc / "user_key").read_text(),
                jail / "mailbox",
                "/mailbox" if root_user else str(jail / "mailbox"),
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def settings_form(server: Server, host_key: str | None = None) -> dict[str, str]:
    return {
        "transport": "sftp",
        "host": "127.0.0.1",
        "port": str(server.port),
        "username": server.user,
        "auth": "key",
        "private_key": server.user_key,
        "known_host_key": host_key or server.host_key,
        "outbox_path": f"{server.remote}/outbox",
        "inbox_path": f"{server.remote}/inbox",
        "archive_path": f"{server.remote}/archive",
        "name_template": "{clinic}.{batch}.{date}.837",
    }


def test_a_batch_sent_over_sftp_is_answered_by_an_835_that_one_poll_posts_and_a_second_leaves_alone(
    session: Session, sshd: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    clock = MovingClock()
    biller, claim, batch_id = batched_claim(session, "sftp1", clock)
    admin = access.Actor(biller.user_id, biller.clinic_id, "admin", "Admin")
    mailbox_settings.save_settings(session, admin, settings_form(sshd), secret_key=SECRET, clock=clock)

    box = mailbox_settings.open_mailbox(session, biller, secret_key=SECRET, data_dir=tmp_path)
    assert isinstance(box, SftpMailbox)
    try:
        sent = mailbox.send_batch(session, biller, box, batch_id, clock)
    finally:
        box.close()
    assert session.get(ClaimBatchRow, batch_id).status == "submitted"  # type: ignore[union-attr]

    # The stand-in clearinghouse: takes the 837P from its inbox (our outbox) and answers with an 835.
    outgoing = sshd.files / "outbox" / sent.name
    assert outgoing.read_bytes().startswith(b"ISA*")
    assert claim.patient_control_number.upper().encode() in outgoing.read_bytes().upper()
    (sshd.files / "inbox" / f"{sent.name}.835").write_bytes(answer_835(claim, "EFT-SFTP1"))

    for _ in range(2):
        box = mailbox_settings.open_mailbox(session, biller, secret_key=SECRET, data_dir=tmp_path)
        try:
            result = mailbox.poll(session, biller, box, clock)
        finally:
            box.close()
        if result.received:
            assert (result.listed, result.received, result.handled, result.problems) == (1, 1, 1, ())
        else:  # the second poll: the inbox is empty and nothing changes
            assert (result.listed, result.handled, result.failed) == (0, 0, 0)
        clock.later(minutes=10)
    assert claim.paid_amount > 0
    assert count(session, RemittanceFileRow, biller.clinic_id) == 1
    assert list((sshd.files / "inbox").iterdir()) == []
    assert (sshd.files / "archive" / f"{sent.name}.835").is_file()
    key_body = "".join(sshd.user_key.splitlines()[1:-1])
    assert key_body
    assert key_body[:40] not in caplog.text
    assert sshd.user_key not in caplog.text


def test_a_server_presenting_another_host_key_is_refused(sshd: Server, tmp_path: Path) -> None:
    other = tmp_path / "other"
    keygen(other)
    wrong = " ".join(Path(f"{other}.pub").read_text().split()[:2])
    from ptbill.mailbox.sftp import SftpTarget

    target = SftpTarget("127.0.0.1", sshd.port, sshd.user, wrong, "o", "i", "a", private_key=sshd.user_key)
    with pytest.raises(MailboxError, match="host key other than the stored one"):
        SftpMailbox(target)
