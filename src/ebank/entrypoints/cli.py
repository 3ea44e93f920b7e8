"""The ``ebank`` command line: database, branches, customers, accounts, counter cash,
transfers, holds, the ledger check, the demo bank and the server.

A thin translator: it parses and validates what it is given, calls one use case, and
prints the outcome. Business refusals print their code and exit 1; bad input exits 2.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar
from uuid import UUID

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.db.engine import schema_revision, upgrade
from ebank.application import banking, demo, demo_terminals, demo_users, ledger, queries, verify
from ebank.application.context import Context
from ebank.bootstrap import Bank, build
from ebank.domain.accounts import AccountStatus, Balances
from ebank.domain.branches import BranchKind
from ebank.domain.codes import TxCode
from ebank.domain.customers import CustomerKind, IdType, Tier
from ebank.domain.errors import CustomerNotFound, DomainError, InvalidInput, TransferNotFound
from ebank.domain.money import Currency, Money, format_minor
from ebank.domain.transfers import JournalEntry
from ebank.entrypoints import (
    cli_cards,
    cli_phone,
    cli_security,
    cli_sms,
    cli_terminals,
    cli_tickets,
)
from ebank.entrypoints.atm_simulator import atm_command
from ebank.entrypoints.cli_import import import_command
from ebank.entrypoints.cli_serve import demo_code_command, serve_command
from ebank.entrypoints.error_codes import answer_for_error

app = typer.Typer(
    help="ebank: a bank's core ledger and its channels.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="The database: migrate and inspect.", no_args_is_help=True)
branch_app = typer.Typer(help="The branch tree.", no_args_is_help=True)
customer_app = typer.Typer(help="Customers.", no_args_is_help=True)
account_app = typer.Typer(
    help="Open, freeze, close accounts; balances and history.", no_args_is_help=True
)
cash_app = typer.Typer(
    help="Counter cash: deposits and withdrawals at a branch.", no_args_is_help=True
)
hold_app = typer.Typer(help="Holds: reserve funds, then capture or void.", no_args_is_help=True)
ledger_app = typer.Typer(help="The ledger as a whole: verify, expire holds.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (branch_app, "branch"),
    (customer_app, "customer"),
    (account_app, "account"),
    (cash_app, "cash"),
    (hold_app, "hold"),
    (ledger_app, "ledger"),
):
    app.add_typer(sub, name=name)
app.add_typer(cli_security.user_app, name="user")
app.add_typer(cli_security.audit_app, name="audit")
app.add_typer(cli_cards.card_app, name="card")
app.add_typer(cli_terminals.terminal_app, name="terminal")
app.add_typer(cli_terminals.merchant_app, name="merchant")
app.add_typer(cli_terminals.settle_app, name="settle")
app.add_typer(cli_terminals.alarms_app, name="alarms")
app.add_typer(cli_terminals.outbox_app, name="outbox")
app.add_typer(cli_sms.sms_app, name="sms")
app.add_typer(cli_tickets.tickets_app, name="tickets")
app.add_typer(cli_phone.phone_pin_app, name="phone-pin")
app.add_typer(cli_phone.documents_app, name="documents")
app.command("phone")(cli_phone.phone_command)
app.command("import")(import_command)
app.command("serve")(serve_command)
app.command("demo-code")(demo_code_command)
app.command("atm")(atm_command)

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def refusals(func: F) -> F:
    """Turn a business refusal into a clear message and exit code 1, bad input into 2."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except InvalidInput as exc:
            err.print(f"[red]invalid input[/red] ({exc.code}): {exc.message}")
            raise typer.Exit(2) from None
        except DomainError as exc:
            answer = answer_for_error(exc)
            err.print(
                f"[red]refused[/red] ({exc.code}): {answer.text}"
                + (f" — {exc.message}" if exc.message != exc.code else "")
            )
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _bank() -> Bank:
    return build()


def _money(amount: str, currency: str) -> Money:
    money = Money.parse(amount, currency)
    if money.minor <= 0:
        raise InvalidInput("the amount must be positive")
    return money


def _when(us: int) -> str:
    at = datetime.fromtimestamp(us // 1_000_000, UTC).astimezone(BANK_TIMEZONE)
    return at.strftime("%Y-%m-%d %H:%M:%S")


def _fmt(minor: int, currency: str) -> str:
    return format_minor(minor, Currency.of(currency))


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    )


# -- db --------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest revision."""
    bank = _bank()
    upgrade(bank.engine)
    current, head = schema_revision(bank.engine)
    out.print(
        f"database at revision {current} (newest {head}): "
        f"{bank.engine.url.render_as_string(hide_password=True)}"
    )


@db_app.command("status")
def db_status() -> None:
    """Show the database's schema revision."""
    bank = _bank()
    current, head = schema_revision(bank.engine)
    out.print(f"revision {current or 'none'}; newest {head}")
    if current != head:
        raise typer.Exit(1)


# -- branches --------------------------------------------------------------------------
@branch_app.command("add")
@refusals
def branch_add(
    code: Annotated[str, typer.Argument(help="4-digit branch code")],
    name: Annotated[str, typer.Argument(help="the unit's name")],
    kind: Annotated[BranchKind, typer.Option(help="head_office, branch, sub_branch, outlet")],
    parent: Annotated[str | None, typer.Option(help="the parent unit's code")] = None,
    currency: Annotated[list[str] | None, typer.Option(help="currencies it books")] = None,
) -> None:
    """Add a unit to the branch tree, with its internal (GL) accounts."""
    branch = banking.add_branch(_bank().ctx, code, name, kind, parent, tuple(currency or ["CNY"]))
    out.print(f"added {branch.kind} {branch.code} {branch.name}")


@branch_app.command("list")
def branch_list() -> None:
    """List the branch tree."""
    with _bank().ctx.read() as uow:
        units = uow.branches.all()
    table = Table("code", "kind", "name", "parent")
    for b in units:
        table.add_row(b.code, b.kind.value, b.name, b.parent_code or "")
    out.print(table)


# -- customers -------------------------------------------------------------------------
@customer_app.command("add")
@refusals
def customer_add(
    name: Annotated[str, typer.Option(help="full name or registered company name")],
    id_number: Annotated[str, typer.Option(help="identity document number")],
    branch: Annotated[str, typer.Option(help="home branch code")],
    kind: Annotated[CustomerKind, typer.Option()] = CustomerKind.INDIVIDUAL,
    id_type: Annotated[IdType, typer.Option()] = IdType.RESIDENT_ID,
    tier: Annotated[Tier, typer.Option()] = Tier.STANDARD,
    phone: Annotated[str, typer.Option()] = "",
    email: Annotated[str, typer.Option(help="where statements are e-mailed")] = "",
) -> None:
    """Add a customer."""
    c = banking.add_customer(
        _bank().ctx, kind, name, id_type, id_number, branch, tier, phone, email
    )
    out.print(f"customer {c.number}: {c.name} ({c.kind}, {c.tier})")


@customer_app.command("show")
@refusals
def customer_show(number: str) -> None:
    """Show a customer and their accounts."""
    with _bank().ctx.read() as uow:
        c = uow.customers.by_number(number)
        if c is None:
            raise CustomerNotFound(f"no customer {number}")
        owned = [(a, uow.accounts.balances(a.id)) for a in uow.accounts.for_customer(c.id)]
    out.print(f"{c.number} {c.name} — {c.kind}, tier {c.tier}, branch {c.branch_code}")
    if c.email:
        out.print(f"e-mail {c.email}")
    table = Table("account", "product", "currency", "status", "ledger", "available")
    for a, bal in owned:
        table.add_row(
            a.number,
            a.product_code,
            a.currency,
            a.status.value,
            _fmt(bal.ledger_minor, a.currency),
            _fmt(bal.available_minor, a.currency),
        )
    out.print(table)


# -- accounts --------------------------------------------------------------------------
@account_app.command("open")
@refusals
def account_open(
    customer: Annotated[str, typer.Argument(help="customer number")],
    product: Annotated[str, typer.Option(help="SAV, CUR or LOAN")] = "SAV",
    currency: Annotated[str, typer.Option()] = "CNY",
    branch: Annotated[str | None, typer.Option(help="default: the customer's")] = None,
    overdraft: Annotated[str, typer.Option(help="overdraft limit, corporates' CUR")] = "0",
) -> None:
    """Open an account for a customer."""
    limit = Money.parse(overdraft, currency).minor
    a = banking.open_account(_bank().ctx, customer, product, currency, branch, limit)
    out.print(f"opened {a.number} ({a.product_code} {a.currency}) at {a.branch_code}")


def _status_command(name: str, status: AccountStatus, doc: str) -> None:
    @account_app.command(name, help=doc)
    @refusals
    def command(number: Annotated[str, typer.Argument(help="account number")]) -> None:
        a = banking.change_status(_bank().ctx, number, status)
        out.print(f"{a.number} is now {a.status}")


_status_command("freeze", AccountStatus.FROZEN, "Freeze an account: no money leaves it.")
_status_command("unfreeze", AccountStatus.ACTIVE, "Lift a freeze.")
_status_command("close", AccountStatus.CLOSED, "Close an account (zero balance, no holds).")
_status_command("dormant", AccountStatus.DORMANT, "Mark an account dormant.")
_status_command("reactivate", AccountStatus.ACTIVE, "Reactivate a dormant account.")


def _print_balances(number: str, currency: str, status: str, bal: Balances) -> None:
    table = Table("account", "status", "ledger balance", "available", "held", "currency")
    table.add_row(
        number,
        status,
        _fmt(bal.ledger_minor, currency),
        _fmt(bal.available_minor, currency),
        _fmt(bal.debits_pending, currency),
        currency,
    )
    out.print(table)


@account_app.command("balance")
@refusals
def account_balance(number: str) -> None:
    """Ledger and available balance of an account."""
    view = queries.account_view(_bank().ctx, number)
    _print_balances(
        view.account.number, view.account.currency, view.account.status.value, view.balances
    )


@account_app.command("history")
@refusals
def account_history(
    number: str,
    limit: Annotated[int, typer.Option(min=1, max=queries.MAX_PAGE_SIZE)] = 20,
    before: Annotated[int | None, typer.Option(help="show entries older than this seq")] = None,
) -> None:
    """An account's transactions, newest first, a page at a time."""
    page = queries.history(_bank().ctx, number, before, limit)
    a = page.account
    table = Table("seq", "time", "type", "channel", "debit", "credit", "status", "reference")
    for e in page.entries:
        table.add_row(*_history_row(e, a.id, a.currency))
    out.print(f"{a.number} {a.name}")
    out.print(table)
    if page.next_before_seq is not None:
        out.print(f"more: ebank account history {a.number} --before {page.next_before_seq}")


def _history_row(e: JournalEntry, account_id: int, currency: str) -> tuple[str, ...]:
    amount = _fmt(e.amount_minor, currency)
    debit, credit = (amount, "") if e.debit_account_id == account_id else ("", amount)
    status = e.pending_status.value if e.pending_status else e.kind.value
    if e.reversal_of is not None:
        status = "reversal"
    return (
        str(e.seq),
        _when(e.created_at_us),
        TxCode.label(e.code),
        e.channel,
        debit,
        credit,
        status,
        e.reference,
    )


app.command("balance", help="Ledger and available balance of an account.")(account_balance)
app.command("history", help="An account's transactions, newest first.")(account_history)


# -- money movement --------------------------------------------------------------------
def _posted(p: ledger.Posted) -> None:
    e = p.entry
    out.print(
        f"[green]posted[/green] {e.id} seq {e.seq}: {_fmt(e.amount_minor, e.currency)} "
        f"{e.currency} {p.debit.number} -> {p.credit.number}"
    )


@cash_app.command("deposit")
@refusals
def cash_deposit(
    account: str,
    amount: str,
    branch: Annotated[str, typer.Option(help="the branch taking the cash")],
    currency: Annotated[str, typer.Option()] = "CNY",
) -> None:
    """Cash paid in at a branch counter."""
    _posted(ledger.cash_deposit(_bank().ctx, branch, account, _money(amount, currency)))


@cash_app.command("withdraw")
@refusals
def cash_withdraw(
    account: str,
    amount: str,
    branch: Annotated[str, typer.Option(help="the branch paying the cash")],
    currency: Annotated[str, typer.Option()] = "CNY",
) -> None:
    """Cash paid out at a branch counter."""
    _posted(ledger.cash_withdrawal(_bank().ctx, branch, account, _money(amount, currency)))


def _uuid(text: str | None) -> UUID | None:
    if text is None:
        return None
    try:
        return UUID(text)
    except ValueError:
        raise InvalidInput(f"not a transfer id: {text!r}") from None


def _transfer_id(text: str) -> UUID:
    found = _uuid(text)
    assert found is not None
    return found


def _part_of(ctx: Context, transfer_id: UUID, amount: str | None) -> int:
    """``--amount`` in the minor units of the transfer's currency; 0 (all of it) if absent."""
    if amount is None:
        return 0
    with ctx.read() as uow:
        entry = uow.journal.entry(transfer_id)
    if entry is None:
        raise TransferNotFound(f"no transfer {transfer_id}")
    return _money(amount, entry.currency).minor


@app.command("transfer")
@refusals
def transfer(
    from_account: str,
    to_account: str,
    amount: str,
    currency: Annotated[str, typer.Option()] = "CNY",
    reference: Annotated[str, typer.Option(max=64)] = "",
    transfer_id: Annotated[str | None, typer.Option("--id", help="idempotency key")] = None,
) -> None:
    """Move money between two accounts. Retrying with the same --id never posts twice."""
    _posted(
        ledger.transfer(
            _bank().ctx,
            from_account,
            to_account,
            _money(amount, currency),
            transfer_id=_uuid(transfer_id),
            reference=reference,
        )
    )


@hold_app.command("place")
@refusals
def hold_place(
    from_account: str,
    to_account: str,
    amount: str,
    timeout: Annotated[int, typer.Option(help="seconds until it expires", min=1)] = 86_400,
    currency: Annotated[str, typer.Option()] = "CNY",
) -> None:
    """Reserve funds on an account for a payee."""
    _posted(
        ledger.place_hold(
            _bank().ctx, from_account, to_account, _money(amount, currency), timeout_s=timeout
        )
    )


@hold_app.command("capture")
@refusals
def hold_capture(hold_id: str, amount: Annotated[str | None, typer.Option()] = None) -> None:
    """Post a hold: all of it, or --amount of it (the rest is released)."""
    ctx = _bank().ctx
    pending = _transfer_id(hold_id)
    minor = _part_of(ctx, pending, amount)
    e = ledger.resolve_hold(ctx, pending, capture=True, amount_minor=minor)
    out.print(f"[green]captured[/green] {_fmt(e.amount_minor, e.currency)} {e.currency}")


@hold_app.command("void")
@refusals
def hold_void(hold_id: str) -> None:
    """Release a hold."""
    ledger.resolve_hold(_bank().ctx, _transfer_id(hold_id), capture=False)
    out.print("[green]released[/green]")


@app.command("reverse")
@refusals
def reverse(transfer_id: str, amount: Annotated[str | None, typer.Option()] = None) -> None:
    """Reverse a posted transfer (all of it, or --amount of it)."""
    ctx = _bank().ctx
    original = _transfer_id(transfer_id)
    e = ledger.reverse(ctx, original, amount_minor=_part_of(ctx, original, amount))
    out.print(f"[green]reversed[/green] by {e.id}: {_fmt(e.amount_minor, e.currency)}")


# -- the ledger as a whole -------------------------------------------------------------
@ledger_app.command("verify")
def ledger_verify() -> None:
    """Re-derive every balance from the journal and compare; exit 1 on any difference."""
    bank = _bank()
    with _progress() as progress:
        task = progress.add_task("checking accounts", total=None)

        def tick(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = verify.verify_ledger(bank.ctx, tick)
    table = Table("currency", "posted debits", "posted credits", "journal", "balanced")
    for t in report.totals:
        table.add_row(
            t.currency,
            _fmt(t.debits_posted, t.currency),
            _fmt(t.credits_posted, t.currency),
            _fmt(t.journal_posted, t.currency),
            "yes" if t.balanced else "[red]NO[/red]",
        )
    out.print(f"{report.accounts} accounts, {report.transfers} journal entries")
    out.print(table)
    for m in report.mismatches:
        out.print(
            f"[red]mismatch[/red] {m.account_number} {m.counter}: stored {m.stored}, "
            f"journal says {m.derived}"
        )
    if report.mismatch_count > len(report.mismatches):
        out.print(f"... {report.mismatch_count - len(report.mismatches)} more mismatches")
    for number in report.limit_breaches:
        out.print(f"[red]beyond its limit[/red] {number}")
    for account_id in report.orphans:
        out.print(f"[red]journal names unknown account[/red] {account_id}")
    if not report.ok:
        out.print("[red]LEDGER VERIFY FAILED[/red]")
        raise typer.Exit(1)
    out.print("[green]ledger verified: every balance matches the journal[/green]")


@ledger_app.command("expire")
def ledger_expire() -> None:
    """Release every hold whose time-out has passed."""
    n = ledger.expire_due(_bank().ctx)
    out.print(f"expired {n} holds")


# -- demo, summary, serve --------------------------------------------------------------
@app.command("demo")
def demo_command(
    if_empty: Annotated[bool, typer.Option(help="do nothing if the bank has branches")] = False,
    customers: Annotated[int, typer.Option(min=10, max=200_000)] = 3000,
    months: Annotated[int, typer.Option(min=1, max=24)] = 3,
    seed: Annotated[int, typer.Option()] = 2026,
) -> None:
    """Build the demo bank: head office, 9 county sub-branches, 43 outlets, customers,
    accounts and a few months of transactions."""
    bank = _bank()
    with bank.ctx.read() as uow:
        has_branches = bool(uow.branches.all())
    if has_branches:
        if if_empty:
            out.print("the bank already has data: demo not loaded")
            return
        err.print("[red]the database is not empty[/red]; the demo needs an empty bank")
        raise typer.Exit(1)
    with _progress() as progress:
        task = progress.add_task("demo bank", total=None)

        def tick(stage: str, done: int, total: int) -> None:
            progress.update(task, description=stage, completed=done, total=total)

        made = demo.build_demo(
            bank.ctx, seed=seed, customers=customers, months=months, progress=tick
        )
        logins = demo_users.add_demo_users(bank.ctx)
        demo_terminals.add_demo_terminals(bank.ctx)
    out.print(
        f"demo bank: {made.branches} units, {made.customers} customers, "
        f"{made.accounts} accounts, {made.transfers} transfers over {made.days} days "
        f"({sum(made.refused.values())} refused, as in real life), "
        f"{len(logins)} demo sign-ins"
    )


def _print_summary(bank: Bank) -> None:
    assert bank.ctx.reports is not None
    s = queries.bank_summary(bank.ctx.reports)
    table = Table("what", "count", title="ebank")
    for label, data in (
        ("units", s.branches_by_kind),
        ("customers", s.customers_by_kind),
        ("accounts", s.accounts_by_product),
        ("account status", s.accounts_by_status),
        ("transfers by channel", s.transfers_by_channel),
    ):
        for key, n in sorted(data.items()):
            table.add_row(f"{label}: {key}", f"{n:,}")
    for currency, minor in sorted(s.deposits_minor.items()):
        table.add_row(f"customer deposits {currency}", _fmt(minor, currency))
    out.print(table)


@app.command("summary")
def summary() -> None:
    """The bank in figures."""
    _print_summary(_bank())


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
