"""The ``ebank`` command line: database, branches, customers, accounts, the demo bank,
and every other group of commands registered here (money and the ledger in
``cli_money``, users and audit, cards, terminals, SMS, tickets, telephony, the server).

A thin translator: it parses and validates what it is given, calls one use case, and
prints the outcome. Business refusals print their code and exit 1; bad input exits 2.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from ebank.adapters.db.engine import schema_revision, upgrade
from ebank.application import banking, demo, demo_terminals, demo_users, queries
from ebank.bootstrap import Bank
from ebank.domain.accounts import AccountStatus, Balances
from ebank.domain.branches import BranchKind
from ebank.domain.codes import TxCode
from ebank.domain.customers import CustomerKind, IdType, Tier
from ebank.domain.errors import CustomerNotFound
from ebank.domain.money import Money
from ebank.domain.transfers import JournalEntry
from ebank.entrypoints import (
    cli_cards,
    cli_money,
    cli_phone,
    cli_security,
    cli_sms,
    cli_terminals,
    cli_tickets,
)
from ebank.entrypoints.atm_simulator import atm_command
from ebank.entrypoints.cli_common import err, fmt, open_bank, out, progress_bar, refusals, when
from ebank.entrypoints.cli_import import import_command
from ebank.entrypoints.cli_serve import demo_code_command, serve_command

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
for sub, name in (
    (db_app, "db"),
    (branch_app, "branch"),
    (customer_app, "customer"),
    (account_app, "account"),
    (cli_money.cash_app, "cash"),
    (cli_money.hold_app, "hold"),
    (cli_money.ledger_app, "ledger"),
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
app.command("transfer")(cli_money.transfer)
app.command("reverse")(cli_money.reverse)


# -- db --------------------------------------------------------------------------------
@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest revision."""
    bank = open_bank()
    upgrade(bank.engine)
    current, head = schema_revision(bank.engine)
    out.print(
        f"database at revision {current} (newest {head}): "
        f"{bank.engine.url.render_as_string(hide_password=True)}"
    )


@db_app.command("status")
def db_status() -> None:
    """Show the database's schema revision."""
    bank = open_bank()
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
    branch = banking.add_branch(
        open_bank().ctx, code, name, kind, parent, tuple(currency or ["CNY"])
    )
    out.print(f"added {branch.kind} {branch.code} {branch.name}")


@branch_app.command("list")
def branch_list() -> None:
    """List the branch tree."""
    with open_bank().ctx.read() as uow:
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
        open_bank().ctx, kind, name, id_type, id_number, branch, tier, phone, email
    )
    out.print(f"customer {c.number}: {c.name} ({c.kind}, {c.tier})")


@customer_app.command("show")
@refusals
def customer_show(number: str) -> None:
    """Show a customer and their accounts."""
    with open_bank().ctx.read() as uow:
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
            fmt(bal.ledger_minor, a.currency),
            fmt(bal.available_minor, a.currency),
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
    a = banking.open_account(open_bank().ctx, customer, product, currency, branch, limit)
    out.print(f"opened {a.number} ({a.product_code} {a.currency}) at {a.branch_code}")


def _status_command(name: str, status: AccountStatus, doc: str) -> None:
    @account_app.command(name, help=doc)
    @refusals
    def command(number: Annotated[str, typer.Argument(help="account number")]) -> None:
        a = banking.change_status(open_bank().ctx, number, status)
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
        fmt(bal.ledger_minor, currency),
        fmt(bal.available_minor, currency),
        fmt(bal.debits_pending, currency),
        currency,
    )
    out.print(table)


@account_app.command("balance")
@refusals
def account_balance(number: str) -> None:
    """Ledger and available balance of an account."""
    view = queries.account_view(open_bank().ctx, number)
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
    page = queries.history(open_bank().ctx, number, before, limit)
    a = page.account
    table = Table("seq", "time", "type", "channel", "debit", "credit", "status", "reference")
    for e in page.entries:
        table.add_row(*_history_row(e, a.id, a.currency))
    out.print(f"{a.number} {a.name}")
    out.print(table)
    if page.next_before_seq is not None:
        out.print(f"more: ebank account history {a.number} --before {page.next_before_seq}")


def _history_row(e: JournalEntry, account_id: int, currency: str) -> tuple[str, ...]:
    amount = fmt(e.amount_minor, currency)
    debit, credit = (amount, "") if e.debit_account_id == account_id else ("", amount)
    status = e.pending_status.value if e.pending_status else e.kind.value
    if e.reversal_of is not None:
        status = "reversal"
    return (
        str(e.seq),
        when(e.created_at_us),
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
    bank = open_bank()
    with bank.ctx.read() as uow:
        has_branches = bool(uow.branches.all())
    if has_branches:
        if if_empty:
            out.print("the bank already has data: demo not loaded")
            return
        err.print("[red]the database is not empty[/red]; the demo needs an empty bank")
        raise typer.Exit(1)
    with progress_bar() as progress:
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
        table.add_row(f"customer deposits {currency}", fmt(minor, currency))
    out.print(table)


@app.command("summary")
def summary() -> None:
    """The bank in figures."""
    _print_summary(open_bank())


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
