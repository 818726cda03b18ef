"""First run and user accounts from the terminal: ``ptbill init`` creates the clinic and its first admin;
``ptbill users add | list | deactivate`` manage the clinic's accounts. A password is read from a hidden
prompt or, with ``--password-stdin``, from the first line of standard input: never from the command
line, where other users of the machine and the shell history would see it.
"""

from __future__ import annotations

import sys
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

from ptbill.cli.terminal import printable
from ptbill.domain.vocabulary import Role

ROLE_CHOICE = click.Choice([role.value for role in Role], case_sensitive=False)


def _password(from_stdin: bool, email: str) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            _refuse(["password: --password-stdin read an empty line"])
        return password
    value: str = click.prompt(f"Password for {email}", hide_input=True, confirmation_prompt=True)
    return value


def _refuse(problems: list[str]) -> NoReturn:
    for problem in problems:
        click.echo(printable(problem), err=True)
    sys.exit(2)


def _session() -> AbstractContextManager[Session]:
    """One transaction on the installation's database, migrated first."""
    from ptbill.settings import Settings
    from ptbill.storage.migrate import upgrade
    from ptbill.storage.session import make_engine, session_factory, transaction

    settings = Settings.from_environment()
    upgrade(settings.database_url)
    return transaction(session_factory(make_engine(settings.database_url)))


def _admin(session: Any, email: str | None) -> Any:
    """The admin the command acts as (audited): --user, else the only clinic's first active admin."""
    from sqlalchemy import select

    from ptbill.services.access import Actor
    from ptbill.services.clinic_setup import clinic_count
    from ptbill.storage.tables import UserRow

    clinics = clinic_count(session)
    if clinics == 0:
        _refuse(["this database holds no clinic yet: run `ptbill init` first"])
    if not email and clinics > 1:
        _refuse(
            [f"this database holds {clinics} clinics: say which admin you act as with --user EMAIL (or PTBILL_USER)"]
        )
    query = select(UserRow).where(UserRow.active, UserRow.role == Role.ADMIN)
    query = query.where(UserRow.email == email.strip().lower()) if email else query
    user = session.scalar(query.order_by(UserRow.id))
    if user is None:
        _refuse([f"--user: no active admin {email}" if email else "no active admin in the database"])
    return Actor(user.id, user.clinic_id, user.role, user.name)


def _user_in_clinic(session: Any, actor: Any, email: str) -> int:
    """The id of the admin's clinic's account ``email``; refused (exit 2) when there is none."""
    from sqlalchemy import select

    from ptbill.storage.tables import UserRow

    user_id = session.scalar(
        select(UserRow.id).where(UserRow.email == email.strip().lower(), UserRow.clinic_id == actor.clinic_id)
    )
    if user_id is None:
        _refuse([f"no user {email} in your clinic"])
    return int(user_id)


@click.command()
@click.option("--clinic", "clinic_name", prompt="Clinic legal name", help="The billing provider's legal name.")
@click.option("--npi", prompt="Billing NPI (type 2, 10 digits)", help="The clinic's organisation NPI.")
@click.option("--tax-id", prompt="Tax id (EIN, 9 digits)", help="Employer identification number.")
@click.option("--address", prompt="Street address", help="Billing provider street address.")
@click.option("--city", prompt="City")
@click.option("--state", prompt="State (two letters)")
@click.option("--zip", "zip_code", prompt="ZIP code")
@click.option("--admin-email", prompt="First admin's email")
@click.option("--admin-name", prompt="First admin's name")
@click.option("--password-stdin", is_flag=True, help="Read the admin's password from the first line of stdin.")
def init(
    clinic_name: str,
    npi: str,
    tax_id: str,
    address: str,
    city: str,
    state: str,
    zip_code: str,
    admin_email: str,
    admin_name: str,
    password_stdin: bool,
) -> None:
    """Set up a clinic and its first admin (asks for what the flags do not give; audited)."""
    from ptbill.services.clinic_setup import ClinicIdentity, SetupRefusedError, initialise_clinic
    from ptbill.services.passwords import PasswordRefusedError

    identity = ClinicIdentity(clinic_name, npi, tax_id, address, city, state, zip_code)
    problems = identity.cleaned().problems()
    if problems:  # before the password prompt, so nobody types a password for a refused set-up
        _refuse(problems)
    password = _password(password_stdin, admin_email.strip().lower())
    try:
        with _session() as session:
            actor = initialise_clinic(session, identity, admin_email, admin_name, password)
    except SetupRefusedError as exc:
        _refuse(exc.problems)
    except PasswordRefusedError as exc:
        _refuse([f"password: {exc}"])
    click.echo(
        f"Clinic {printable(identity.cleaned().name)} is set up (clinic {actor.clinic_id}); "
        f"{printable(admin_email.strip().lower())} is its admin. Next: `ptbill serve`, then log in."
    )


@click.command("add")
@click.argument("email")
@click.option("--name", required=True, help="The person's name as it appears on notes.")
@click.option("--role", type=ROLE_CHOICE, required=True)
@click.option("--credential", help="PT, PTA, OT, OTA, SLP ... for clinicians.")
@click.option("--npi", help="The clinician's individual NPI (type 1).")
@click.option("--user", "acting", envvar="PTBILL_USER", help="The admin you act as (email); audited.")
@click.option("--password-stdin", is_flag=True, help="Read the new user's password from the first line of stdin.")
def users_add(
    email: str, name: str, role: str, credential: str | None, npi: str | None, acting: str | None, password_stdin: bool
) -> None:
    """Create an account in the admin's clinic."""
    from ptbill.domain.identifiers import npi_is_valid
    from ptbill.services.access import ConflictError
    from ptbill.services.passwords import PasswordRefusedError
    from ptbill.services.users import create_user

    email = email.strip().lower()
    if "@" not in email or not email.isascii():
        _refuse([f"email: {email!r} is not an email address"])
    if npi is not None and not npi_is_valid(npi):
        _refuse([f"--npi: {npi!r} is not a valid NPI (10 digits with a correct check digit)"])
    password = _password(password_stdin, email)
    data = {"email": email, "name": " ".join(name.split()), "role": role.lower(), "credential": credential, "npi": npi}
    try:
        with _session() as session:
            row = create_user(session, _admin(session, acting), data, password)
            created = (row.id, row.email, row.role)
    except (ConflictError, PasswordRefusedError) as exc:
        _refuse([str(exc)])
    click.echo(f"user {created[0]}: {printable(created[1])} ({created[2]}) created")


@click.command("list")
@click.option("--user", "acting", envvar="PTBILL_USER", help="The admin you act as (email); audited.")
def users_list(acting: str | None) -> None:
    """The clinic's accounts: email, role, name, and whether each can log in."""
    from ptbill.services.audit import audit
    from ptbill.services.users import list_users

    with _session() as session:
        actor = _admin(session, acting)
        rows = [(u.email, u.role, u.name, u.active) for u in list_users(session, actor)]
        audit(session, actor, "read", "user", None, f"listed {len(rows)} accounts")
    for email, role, name, active in rows:
        click.echo(printable(f"{email:<32} {role:<10} {'active' if active else 'deactivated':<12} {name}"))


@click.command("deactivate")
@click.argument("email")
@click.option("--user", "acting", envvar="PTBILL_USER", help="The admin you act as (email); audited.")
def users_deactivate(email: str, acting: str | None) -> None:
    """Turn an account off: its sessions end at once and it can no longer log in (audited)."""

    from ptbill.services.access import ConflictError
    from ptbill.services.accounts import set_active
    from ptbill.services.sessions import system_clock

    with _session() as session:
        actor = _admin(session, acting)
        user_id = _user_in_clinic(session, actor, email)
        try:
            set_active(session, actor, user_id, False, system_clock())
        except ConflictError as exc:
            _refuse([str(exc)])
    click.echo(f"{printable(email.strip().lower())}: deactivated; every session of it has ended")


@click.command("two-factor-off")
@click.argument("email")
@click.option("--user", "acting", envvar="PTBILL_USER", help="The admin you act as (email); audited.")
def users_two_factor_off(email: str, acting: str | None) -> None:
    """Turn a user's two-step login off (a lost phone): they set it up again at their next login."""

    from ptbill.services.two_factor import turn_off

    with _session() as session:
        actor = _admin(session, acting)
        user_id = _user_in_clinic(session, actor, email)
        turn_off(session, actor, user_id)
    click.echo(f"{printable(email.strip().lower())}: two-step login is off; recovery codes no longer work")


@click.command("require-two-factor")
@click.argument("roles", nargs=-1, type=ROLE_CHOICE)
@click.option("--none", "no_roles", is_flag=True, help="Require two-step login of no role.")
@click.option("--user", "acting", envvar="PTBILL_USER", help="The admin you act as (email); audited.")
def users_require_two_factor(roles: tuple[str, ...], no_roles: bool, acting: str | None) -> None:
    """Require two-step login of these roles (for example: admin biller); their users set it up at next login."""
    from ptbill.services.two_factor import require_for_roles

    if not roles and not no_roles:
        _refuse(["name the roles (admin, biller, therapist, pta), or --none to require it of nobody"])
    with _session() as session:
        chosen = require_for_roles(session, _admin(session, acting), [r.lower() for r in roles])
    click.echo(f"two-step login is required of: {', '.join(chosen) or 'no role'}")


def register(cli: click.Group, users: click.Group) -> None:
    cli.add_command(init)
    for command in (users_add, users_list, users_deactivate, users_two_factor_off, users_require_two_factor):
        users.add_command(command)
