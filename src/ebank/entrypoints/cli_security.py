"""``ebank user`` and ``ebank audit``: users of the channels and the audit trail.

``user add`` creates a member of staff or a customer's user with an authenticator app
enrolled at once, and prints its secret and otpauth URI this one time only (they are
stored encrypted and never shown again). ``audit verify`` walks the hash chain and exits
1 on any edited, inserted or deleted entry.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.application import audit, credentials, identity
from ebank.application.ports_identity import AuditQuery
from ebank.bootstrap import build
from ebank.domain.access import CUSTOMER_ROLES, Role, UserKind
from ebank.domain.errors import DomainError, InvalidInput
from ebank.entrypoints.error_codes import answer_for_error

user_app = typer.Typer(help="Users of the channels: staff and customers.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit trail.", no_args_is_help=True)

out = Console()
err = Console(stderr=True)
EXIT_REFUSED = 1
EXIT_USAGE = 2


def _refused(exc: DomainError) -> typer.Exit:
    if isinstance(exc, InvalidInput):
        err.print(f"[red]invalid input[/red] ({exc.code}): {exc.message}")
        return typer.Exit(EXIT_USAGE)
    err.print(f"[red]refused[/red] ({exc.code}): {answer_for_error(exc).text} — {exc.message}")
    return typer.Exit(EXIT_REFUSED)


def _when(us: int) -> str:
    at = datetime.fromtimestamp(us / 1_000_000, UTC).astimezone(BANK_TIMEZONE)
    return at.strftime("%Y-%m-%d %H:%M:%S")


@user_app.command("add")
def user_add(
    username: str,
    role: Annotated[Role, typer.Option(help="The user's role")],
    name: Annotated[str, typer.Option(help="The name shown for the user")],
    branch: Annotated[str | None, typer.Option(help="Staff: their branch code")] = None,
    customer: Annotated[str | None, typer.Option(help="Customers: the customer number")] = None,
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for"),
    ] = "",
) -> None:
    """Create a user with an authenticator app enrolled; prints its secret once."""
    bank = build()
    try:
        kind = UserKind.CUSTOMER if role in CUSTOMER_ROLES else UserKind.STAFF
        if (kind is UserKind.STAFF) != (branch is not None) or (
            (kind is UserKind.CUSTOMER) != (customer is not None)
        ):
            raise InvalidInput("staff need --branch; customer roles need --customer")
        security = identity.services(bank.ctx)
        secret = security.otp.new_secret()
        view = identity.create_user(
            bank.ctx,
            username=username,
            password=password,
            kind=kind,
            role=role,
            display_name=name,
            customer_id=credentials.customer_id_for(bank.ctx, customer) if customer else None,
            branch_code=branch,
            totp_secret=secret,
        )
    except DomainError as exc:
        raise _refused(exc) from None
    finally:
        bank.close()
    uri = security.otp.provisioning_uri(secret, view.username, security.policy.issuer)
    out.print(f"user {view.username} (#{view.user_id}), {view.kind.value}, role {view.role.value}")
    out.print("Authenticator app (shown this once only; keep it secret):")
    out.print(f"  secret: {secret}")
    out.print(f"  otpauth URI: {uri}", soft_wrap=True)


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """Lift a user's lockout (failures and back-off are forgotten)."""
    bank = build()
    try:
        view = credentials.unlock_user(bank.ctx, None, credentials.user_id_for(bank.ctx, username))
    except DomainError as exc:
        raise _refused(exc) from None
    finally:
        bank.close()
    out.print(f"user {view.username} unlocked")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every link and hash of the audit trail; exit 1 on any problem."""
    bank = build()
    try:
        report = audit.verify(bank.ctx)
    finally:
        bank.close()
    out.print(f"{report.entries} entries; head: entry {report.head.seq}, hash {report.head.hash}")
    if report.ok:
        out.print("[green]the audit trail is intact[/green]")
        return
    table = Table("entry", "problem", "what")
    for problem in report.problems:
        table.add_row(str(problem.seq), problem.kind.value, problem.message)
    out.print(table)
    out.print(
        f"[red]the audit trail has been tampered with: {len(report.problems)} problem(s)[/red]"
    )
    raise typer.Exit(EXIT_REFUSED)


@audit_app.command("show")
def audit_show(
    limit: Annotated[int, typer.Option(min=1, max=audit.MAX_PAGE, help="How many")] = 20,
    action: Annotated[str | None, typer.Option(help="Only this action")] = None,
) -> None:
    """The newest audit entries."""
    bank = build()
    try:
        page = audit.search(bank.ctx, AuditQuery(action=action, limit=limit))
    finally:
        bank.close()
    table = Table("seq", "time", "actor", "action", "target", "outcome", "details")
    for entry in page.entries:
        table.add_row(
            str(entry.seq),
            _when(entry.at_us),
            entry.actor,
            entry.action,
            entry.target,
            entry.outcome,
            entry.details,
        )
    out.print(table)
