"""The clinic's clearinghouse mailbox settings: the transport (a folder under the data folder, or SFTP with its
server, user, stored host key and folders), the rule naming the files sent, and the credential, encrypted with
the app's secret key (Fernet, its key derived by HKDF-SHA256) and never shown back, logged or audited: the page
says only whether one is saved. The sender and receiver ids (ISA06/ISA08, GS02/GS03) are the clinic's trading
partner settings (``services.clinic``). Admins edit; billers open the mailbox to send and poll."""

from __future__ import annotations

import base64
import string
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from ptbill.domain.clock import Clock
from ptbill.domain.identifiers import is_ascii_digits
from ptbill.mailbox.folder import FolderMailbox
from ptbill.mailbox.sftp import SftpMailbox, SftpTarget, host_key, private_key
from ptbill.mailbox.transport import Mailbox, MailboxError, plain_name
from ptbill.services.access import BILLERS, Actor, require_role
from ptbill.services.audit import audit
from ptbill.services.clinic import SettingsRefusedError
from ptbill.storage.tables import ClinicMailboxRow, ClinicRow

FOLDER, SFTP = "folder", "sftp"
TRANSPORTS = {FOLDER: "A folder on this machine", SFTP: "SFTP to the clearinghouse"}
AUTHS = {"password": "Password", "key": "Private key"}
DEFAULT_TEMPLATE = "{clinic}_{batch}_{date}_{control}.837"
PLACEHOLDERS = ("clinic", "batch", "date", "control")
FORM_FIELDS = ("transport", "host", "port", "username", "auth", "known_host_key", "outbox_path", "inbox_path",
               "archive_path", "name_template")  # fmt: skip
_DEFAULT_PATHS = {"outbox_path": "outbox", "inbox_path": "inbox", "archive_path": "archive"}


@dataclass(frozen=True, slots=True)
class MailboxSettings:
    """The settings as the page shows them: the credential only as whether one is saved."""

    transport: str
    host: str | None
    port: int | None
    username: str | None
    auth: str | None
    known_host_key: str | None
    outbox_path: str | None
    inbox_path: str | None
    archive_path: str | None
    name_template: str
    credential_saved: bool
    sender_id: str | None
    receiver_id: str | None
    updated_at: datetime | None


def _fernet(secret_key: str) -> Fernet:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"ptbill mailbox", info=b"mailbox credential v1")
    return Fernet(base64.urlsafe_b64encode(hkdf.derive(secret_key.encode("utf-8"))))


def encrypt_credential(secret_key: str, credential: str) -> str:
    return _fernet(secret_key).encrypt(credential.encode("utf-8")).decode("ascii")


def decrypt_credential(secret_key: str, token: str) -> str:
    try:
        return _fernet(secret_key).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise MailboxError(
            "the stored mailbox credential cannot be decrypted with this installation's secret key: save it again"
        ) from None


def _row(session: Session, clinic_id: int) -> ClinicMailboxRow | None:
    return session.scalar(select(ClinicMailboxRow).where(ClinicMailboxRow.clinic_id == clinic_id))


def _record(row: ClinicMailboxRow | None, clinic: ClinicRow) -> MailboxSettings:
    if row is None:
        return MailboxSettings(FOLDER, None, None, None, None, None, None, None, None, DEFAULT_TEMPLATE, False,
                               clinic.submitter_id, clinic.receiver_id, None)  # fmt: skip
    return MailboxSettings(
        row.transport, row.host, row.port, row.username, row.auth, row.known_host_key, row.outbox_path,
        row.inbox_path, row.archive_path, row.name_template, row.credential_encrypted is not None,
        clinic.submitter_id, clinic.receiver_id, row.updated_at,
    )  # fmt: skip


def get_settings(session: Session, actor: Actor) -> MailboxSettings:
    require_role(actor, BILLERS)
    clinic = session.get(ClinicRow, actor.clinic_id)
    assert clinic is not None  # a user always belongs to a clinic
    return _record(_row(session, actor.clinic_id), clinic)


def file_name(template: str, clinic: str, batch_id: int, day: date, control: int | None) -> str:
    """A sent file's name by the clinic's rule: ``{clinic}`` (submitter id, else NPI), ``{batch}``, ``{date}``
    (YYYYMMDD in the clinic's zone) and ``{control}`` (the interchange control number, 9 digits)."""
    values = {"clinic": clinic, "batch": str(batch_id), "date": f"{day:%Y%m%d}", "control": f"{control or 0:09d}"}
    return plain_name(template.format_map(values))


def _template_problem(template: str) -> str | None:
    if not 1 <= len(template) <= 120:
        return "The file-name rule is required (at most 120 characters)."
    try:
        names = {name for _, name, spec, conv in string.Formatter().parse(template) if name is not None}
    except ValueError:
        return "Braces go around a placeholder only: {clinic}, {batch}, {date}, {control}."
    if names - set(PLACEHOLDERS) or "{batch}" not in template:
        return "Use {batch} and only the placeholders {clinic}, {batch}, {date} and {control}."
    try:
        file_name(template, "CLINIC", 1, date(2026, 1, 1), 1)
    except MailboxError:
        return "The rule must make a plain file name: no slashes, not starting with a dot."
    return None


def _sftp_problems(values: dict[str, str], credential: str, saved: bool) -> dict[str, str]:
    found: dict[str, str] = {}
    if not 1 <= len(values["host"]) <= 255 or not values["host"].isprintable() or " " in values["host"]:
        found["host"] = "The server's host name or address is required."
    if not (is_ascii_digits(values["port"]) and len(values["port"]) <= 5 and 1 <= int(values["port"]) <= 65535):
        found["port"] = "A port number from 1 to 65535 (SFTP is usually 22)."
    if not 1 <= len(values["username"]) <= 100 or not values["username"].isprintable():
        found["username"] = "The user name the clearinghouse gave is required."
    if values["auth"] not in AUTHS:
        found["auth"] = "Choose a password or a private key."
    try:
        host_key(values["known_host_key"])
    except MailboxError as exc:
        found["known_host_key"] = f"The server's host key, as the clearinghouse gave it: {exc}."
    for name in _DEFAULT_PATHS:
        if not 1 <= len(values[name]) <= 255 or not values[name].isprintable():
            found[name] = "The folder on the server is required."
    if not credential and not saved:
        found["credential"] = "The password or private key is required."
    elif credential and values["auth"] == "key":
        try:
            private_key(credential)
        except MailboxError as exc:
            found["credential"] = f"{exc}."
    return found


def save_settings(
    session: Session, actor: Actor, form: dict[str, str], *, secret_key: str, clock: Clock
) -> MailboxSettings:
    """Save the mailbox form, all or nothing; a new credential replaces the saved one (an empty one keeps it).
    One audit row names the fields changed, the credential as "credential replaced", never its value."""
    require_role(actor, {"admin"})
    values = {name: " ".join(form.get(name, "").split()) for name in FORM_FIELDS}
    values["known_host_key"] = " ".join(form.get("known_host_key", "").split()[:3])
    values["transport"] = values["transport"] or FOLDER
    values["name_template"] = values["name_template"] or DEFAULT_TEMPLATE
    credential = (form.get("private_key", "") if values["auth"] == "key" else form.get("password", "")).strip()
    row = _row(session, actor.clinic_id)
    saved = row is not None and row.credential_encrypted is not None and row.auth == values["auth"]
    problems: dict[str, str] = {}
    if values["transport"] not in TRANSPORTS:
        problems["transport"] = "Choose a folder on this machine or SFTP."
    template_problem = _template_problem(values["name_template"])
    if template_problem:
        problems["name_template"] = template_problem
    if values["transport"] == SFTP:
        problems |= _sftp_problems(values, credential, saved)
    if problems:
        raise SettingsRefusedError(problems)
    if row is None:
        row = ClinicMailboxRow(clinic_id=actor.clinic_id, transport=FOLDER, name_template=DEFAULT_TEMPLATE)
        session.add(row)
    new: dict[str, object] = {"transport": values["transport"], "name_template": values["name_template"]}
    if values["transport"] == SFTP:
        new |= {name: values[name] for name in ("host", "username", "auth", "known_host_key", *_DEFAULT_PATHS)}
        new["port"] = int(values["port"])
    changed = [name for name, value in new.items() if getattr(row, name) != value]
    for name in changed:
        setattr(row, name, new[name])
    if credential and values["transport"] == SFTP:
        row.credential_encrypted = encrypt_credential(secret_key, credential)
        changed.append("credential replaced")
    row.updated_at = clock.now()
    session.flush()
    audit(session, actor, "update", "clinic_mailbox", str(row.id), "changed: " + (", ".join(changed) or "nothing"))
    return get_settings(session, actor)


def clinic_code(session: Session, clinic_id: int) -> str:
    """What ``{clinic}`` stands for in a file name: the submitter id, else the clinic's NPI."""
    clinic = session.get(ClinicRow, clinic_id)
    assert clinic is not None
    return clinic.submitter_id or clinic.npi


def name_template(session: Session, clinic_id: int) -> str:
    row = _row(session, clinic_id)
    return row.name_template if row is not None else DEFAULT_TEMPLATE


def open_mailbox(session: Session, actor: Actor, *, secret_key: str, data_dir: Path) -> Mailbox:
    """The clinic's mailbox, connected: the folder ``<data dir>/mailbox/clinic-<id>`` unless SFTP is set up.
    The caller closes it. Raises MailboxError when the server cannot be reached or refuses the login."""
    require_role(actor, BILLERS)
    return clinic_mailbox(session, actor.clinic_id, secret_key=secret_key, data_dir=data_dir)


def clinic_mailbox(session: Session, clinic_id: int, *, secret_key: str, data_dir: Path) -> Mailbox:
    """As ``open_mailbox`` for the installation's own jobs (the nightly eligibility run), which act for no user."""
    row = _row(session, clinic_id)
    if row is None or row.transport == FOLDER:
        return FolderMailbox(data_dir / "mailbox" / f"clinic-{clinic_id}")
    credential = decrypt_credential(secret_key, row.credential_encrypted or "") if row.credential_encrypted else ""
    target = SftpTarget(
        host=row.host or "",
        port=row.port or 22,
        username=row.username or "",
        known_host_key=row.known_host_key or "",
        outbox=row.outbox_path or "outbox",
        inbox=row.inbox_path or "inbox",
        archive=row.archive_path or "archive",
        password=credential if row.auth == "password" else None,
        private_key=credential if row.auth == "key" else None,
    )
    return SftpMailbox(target)
