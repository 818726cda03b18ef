"""First run: a clinic's billing identity and its first admin, checked field by field before anything
is written (NPI check digit, tax id, state, ZIP), in one transaction, audited.

The billing provider's NPI is the type-2 (organisation) NPI the 837P sends in loop 2010AA and the
CMS-1500 in item 33a; the tax id is the employer identification number (9 digits) of item 25.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, fields
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ptbill.domain.errors import PtbillError
from ptbill.domain.identifiers import is_ascii_digits, npi_is_valid
from ptbill.domain.vocabulary import Role
from ptbill.services.access import Actor, hash_password
from ptbill.services.audit import audit
from ptbill.services.passwords import require_acceptable
from ptbill.storage.tables import ClinicRow, UserRow

# The 50 states, DC and the territories (USPS codes), as an 837P N4 or CMS-1500 address carries them.
US_STATES = frozenset(
    {
        "AL",
        "AK",
        "AZ",
        "AR",
        "CA",
        "CO",
        "CT",
        "DE",
        "DC",
        "FL",
        "GA",
        "HI",
        "ID",
        "IL",
        "IN",
        "IA",
        "KS",
        "KY",
        "LA",
        "ME",
        "MD",
        "MA",
        "MI",
        "MN",
        "MS",
        "MO",
        "MT",
        "NE",
        "NV",
        "NH",
        "NJ",
        "NM",
        "NY",
        "NC",
        "ND",
        "OH",
        "OK",
        "OR",
        "PA",
        "RI",
        "SC",
        "SD",
        "TN",
        "TX",
        "UT",
        "VT",
        "VA",
        "WA",
        "WV",
        "WI",
        "WY",
        "AS",
        "GU",
        "MP",
        "PR",
        "VI",
    }
)


class SetupRefusedError(PtbillError):
    """The set-up cannot be done as asked: one line per problem, each naming its field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ClinicIdentity:
    """What a claim says about the billing provider."""

    name: str
    npi: str
    tax_id: str
    address_line1: str
    city: str
    state: str
    zip: str

    def cleaned(self) -> ClinicIdentity:
        values = {f.name: " ".join(str(getattr(self, f.name)).split()) for f in fields(self)}
        values["state"] = values["state"].upper()
        values["tax_id"] = values["tax_id"].replace("-", "")  # 12-3456789 as printed on a W-9
        values["zip"] = values["zip"].replace("-", "")
        return ClinicIdentity(**values)

    def problems(self) -> list[str]:
        """One line per field that a payer would refuse, naming the field; empty when all is well."""
        found: list[str] = []
        labels = {"address_line1": "address"}
        for item in fields(self):
            if not str(getattr(self, item.name)).isprintable():
                found.append(f"{labels.get(item.name, item.name)}: holds a control character; type it again")
        if found:
            return found
        if not 1 <= len(self.name) <= 60:
            found.append("name: the clinic's legal name is required (at most 60 characters, as on claims)")
        if not npi_is_valid(self.npi):
            found.append(f"npi: {self.npi!r} is not a valid NPI (10 digits with a correct check digit)")
        if not (len(self.tax_id) == 9 and is_ascii_digits(self.tax_id)):
            found.append(f"tax_id: {self.tax_id!r} is not an employer identification number (9 digits)")
        if not 1 <= len(self.address_line1) <= 55:
            found.append("address: the street address is required (at most 55 characters)")
        if not 1 <= len(self.city) <= 30:
            found.append("city: the city is required (at most 30 characters)")
        if self.state not in US_STATES:
            found.append(f"state: {self.state!r} is not a U.S. state or territory code (two letters, e.g. OR)")
        if not (len(self.zip) in (5, 9) and is_ascii_digits(self.zip)):
            found.append(f"zip: {self.zip!r} is not a ZIP code (5 or 9 digits)")
        return found


def clinic_count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ClinicRow)) or 0)


def initialise_clinic(
    session: Session, identity: ClinicIdentity, admin_email: str, admin_name: str, password: str
) -> Actor:
    """Create the clinic and its first admin; nothing is written when any field is refused."""
    identity = identity.cleaned()
    email = admin_email.strip().lower()
    name = " ".join(admin_name.split())
    problems = identity.problems()
    if "@" not in email or len(email) > 200 or not email.isascii() or not email.isprintable():
        problems.append(f"admin email: {admin_email!r} is not an email address")
    elif session.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
        problems.append(f"admin email: {email} already has an account")
    if not 1 <= len(name) <= 120 or not name.isprintable():
        problems.append("admin name: the admin's name is required (printable, at most 120 characters)")
    if session.scalar(select(ClinicRow.id).where(ClinicRow.npi == identity.npi)) is not None:
        problems.append(f"npi: a clinic with NPI {identity.npi} is already set up in this database")
    if problems:
        raise SetupRefusedError(problems)
    require_acceptable(password, email)
    clinic = ClinicRow(**{f.name: getattr(identity, f.name) for f in fields(identity)})
    session.add(clinic)
    session.flush()
    admin = UserRow(clinic_id=clinic.id, email=email, name=name, role=Role.ADMIN, password_hash=hash_password(password))
    session.add(admin)
    session.flush()
    actor = Actor(admin.id, clinic.id, Role.ADMIN, name)
    audit(session, actor, "create", "clinic", str(clinic.id), "first run")
    audit(session, actor, "create", "user", str(admin.id), "role admin (first admin)")
    return actor


# The web set-up page -----------------------------------------------------------------------------
# On an empty database `ptbill serve` prints a one-time token; the set-up page asks for it, so only the
# person at the server's terminal can create the clinic and its first admin. Only the token's SHA-256 is
# kept, in a file of the data folder readable by its owner only (the server's workers share it). The first
# request that presents it claims it by renaming the file, which one process alone can do; a refused
# set-up hands it back.

SETUP_TOKEN_FILE = "setup-token"


class SetupTokenError(PtbillError):
    """The set-up page was posted without the token `ptbill serve` printed, or with another one."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_setup_token(data_dir: Path) -> str:
    """A new one-time token for the set-up page (any earlier one stops working)."""
    token = secrets.token_urlsafe(24)
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = data_dir / SETUP_TOKEN_FILE
    fresh = data_dir / f".{SETUP_TOKEN_FILE}.{secrets.token_hex(6)}"
    descriptor = os.open(fresh, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(_digest(token) + "\n")
    os.replace(fresh, path)
    return token


def setup_token_issued(data_dir: Path) -> bool:
    return (data_dir / SETUP_TOKEN_FILE).is_file()


def setup_with_token(
    session: Session,
    data_dir: Path,
    token: str,
    identity: ClinicIdentity,
    admin_email: str,
    admin_name: str,
    password: str,
) -> Actor:
    """The set-up page's first run: the token must match; the clinic and admin are created as by
    ``initialise_clinic`` and the token is spent. A refused set-up keeps the token for the corrected form."""
    path = data_dir / SETUP_TOKEN_FILE
    try:
        expected = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        raise SetupTokenError(
            "no set-up token is waiting: start `ptbill serve` and open the address it prints"
        ) from None
    if not hmac.compare_digest(expected, _digest(token.strip())):
        raise SetupTokenError("that set-up token is not the one `ptbill serve` printed; copy it again from there")
    claimed = data_dir / f".{SETUP_TOKEN_FILE}.claimed.{secrets.token_hex(6)}"
    try:
        os.rename(path, claimed)  # one request alone wins the token
    except FileNotFoundError:
        raise SetupTokenError("the set-up is already under way or done: log in instead") from None
    try:
        if clinic_count(session) > 0:
            raise SetupTokenError("this database already holds a clinic: log in instead")
        actor = initialise_clinic(session, identity, admin_email, admin_name, password)
    except BaseException:
        os.replace(claimed, path)  # refused: the same token works for the corrected form
        raise
    claimed.unlink()
    return actor
