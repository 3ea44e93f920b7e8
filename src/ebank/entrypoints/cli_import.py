"""``ebank import``: the data migration (帐务数据移植) from another system's CSV files
(customers, accounts and, when there is a cards file, cards with their PIN blocks).

A thin translator: read the files (``adapters.migration_csv``), call the use case
(``application.migration.import_legacy``), print every problem or the reconciliation
report. Exit codes: 0 imported (or, with --dry-run, all checked); 1 nothing imported,
every problem listed as ``file:line: what is wrong``; 2 bad usage; 3 imported, but the
mapping file could not be written.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich import progress as bars
from rich.console import Console
from rich.table import Table

from ebank.adapters.migration_csv import read_import_files, write_mapping
from ebank.application.migration import (
    CardCheck,
    ImportRejected,
    ImportResult,
    Progress,
    Totals,
    import_legacy,
)
from ebank.application.ports import ConcurrencyConflict
from ebank.bootstrap import build
from ebank.domain.errors import DomainError
from ebank.domain.money import Currency, format_minor

CUSTOMERS_FILE = "customers.csv"
ACCOUNTS_FILE = "accounts.csv"
CARDS_FILE = "cards.csv"
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_MAPPING_FAILED = 3


def import_command(
    directory: Annotated[
        Path | None,
        typer.Argument(
            help=f"folder holding {CUSTOMERS_FILE} and {ACCOUNTS_FILE}",
            show_default=False,
        ),
    ] = None,
    customers: Annotated[
        Path | None,
        typer.Option(
            "--customers",
            help=f"the customers file (default: DIRECTORY/{CUSTOMERS_FILE})",
        ),
    ] = None,
    accounts: Annotated[
        Path | None,
        typer.Option(
            "--accounts",
            help=f"the accounts file (default: DIRECTORY/{ACCOUNTS_FILE})",
        ),
    ] = None,
    cards: Annotated[
        Path | None,
        typer.Option(
            "--cards",
            help=f"the cards file (default: DIRECTORY/{CARDS_FILE} if it is there)",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="check and post everything, print the report, then roll back",
        ),
    ] = False,
    mapping_out: Annotated[
        Path | None,
        typer.Option(
            "--mapping-out",
            help="write a CSV of legacy ids -> new customer/account numbers",
        ),
    ] = None,
) -> None:
    """Import customers, accounts, opening balances and cards from CSV files, all or
    nothing, and print the reconciliation report (read vs posted, per branch and
    currency; cards per branch and status)."""
    out, err = Console(), Console(stderr=True)
    customers_path, accounts_path = _paths(directory, customers, accounts, err)
    if mapping_out is not None and not dry_run:
        _check_mapping_path(mapping_out, err)
    if cards is None and directory is not None and (directory / CARDS_FILE).exists():
        cards = directory / CARDS_FILE
    batch = read_import_files(customers_path, accounts_path, cards_path=cards)
    bank = build()
    assert bank.ctx.hsm is not None
    card_check = CardCheck(bank.ctx.hsm, bank.settings.migration_zone_key_ref, bank.card_policy)
    try:
        with _progress(err) as progress:
            result = import_legacy(
                bank.ctx, batch, dry_run=dry_run, progress=progress, card_check=card_check
            )
    except ImportRejected as exc:
        for issue in exc.issues:
            err.print(str(issue), markup=False, highlight=False, soft_wrap=True)
        err.print(f"[red]{len(exc.issues)} problem(s): nothing was imported[/red]")
        raise typer.Exit(EXIT_REJECTED) from None
    except ConcurrencyConflict:
        err.print(
            "[red]another writer changed the ledger meanwhile: nothing was imported;"
            " run the import again[/red]"
        )
        raise typer.Exit(EXIT_REJECTED) from None
    except DomainError as exc:
        err.print(
            f"[red]refused ({exc.code}):[/red] {exc.message}; nothing was imported", highlight=False
        )
        raise typer.Exit(EXIT_REJECTED) from None
    finally:
        bank.close()
    print_report(out, result)
    if mapping_out is not None:
        _write_mapping(mapping_out, result, out, err)


@contextmanager
def _progress(err: Console) -> Iterator[Progress]:
    """A bar per stage on a terminal; nothing when the output goes to a file."""
    if not err.is_terminal:
        yield lambda stage, done, total: None
        return
    columns = (
        bars.TextColumn("{task.description:>12}"),
        bars.BarColumn(),
        bars.MofNCompleteColumn(),
        bars.TimeElapsedColumn(),
    )
    with bars.Progress(*columns, console=err, transient=True) as shown:
        tasks: dict[str, bars.TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = shown.add_task(stage, total=total)
            shown.update(tasks[stage], completed=done, total=total)

        yield report


def _paths(
    directory: Path | None, customers: Path | None, accounts: Path | None, err: Console
) -> tuple[Path, Path]:
    if directory is None and (customers is None or accounts is None):
        err.print("give the DIRECTORY holding both files, or both --customers and --accounts")
        raise typer.Exit(EXIT_USAGE)
    base = directory or Path()
    return customers or base / CUSTOMERS_FILE, accounts or base / ACCOUNTS_FILE


def _check_mapping_path(path: Path, err: Console) -> None:
    """Refuse before importing anything, rather than lose the mapping afterwards."""
    if path.exists():
        err.print(f"{path} already exists: choose a new file for the mapping", markup=False)
        raise typer.Exit(EXIT_USAGE)
    if not path.parent.is_dir():
        err.print(f"{path.parent} is not a folder", markup=False)
        raise typer.Exit(EXIT_USAGE)


def _write_mapping(path: Path, result: ImportResult, out: Console, err: Console) -> None:
    if result.dry_run:
        out.print("--mapping-out is ignored in a dry run: no numbers were kept")
        return
    try:
        write_mapping(path, result.mapping)
    except OSError as exc:
        err.print(
            f"[red]the import IS committed, but {path} could not be written:"
            f" {exc}[/red]. Each opening-balance transfer's reference names its legacy"
            " account number.",
            highlight=False,
        )
        raise typer.Exit(EXIT_MAPPING_FAILED) from None
    out.print(f"mapping of {len(result.mapping)} row(s) written to {path}", markup=False)


def print_report(console: Console, result: ImportResult) -> None:
    """The reconciliation report: what the files held beside what the ledger now holds."""
    report = result.report
    customers = Table("Branch", "Read", "Posted", "", title="Customers by branch")
    for c in report.customers:
        customers.add_row(c.branch_code, str(c.read), str(c.posted), _mark(c.matches))
    console.print(customers)
    accounts = Table(
        "Branch",
        "Cur",
        "Side",
        "Accounts",
        "Deposits",
        "Loans",
        "Opening transfers",
        "Suspense",
        "",
        title="Accounts and opening balances by branch and currency",
    )
    for line in report.accounts:
        _add_pair(accounts, line.branch_code, line.currency, line.read, line.posted, line.matches)
    for currency, (read, posted) in sorted(report.currency_totals().items()):
        _add_pair(accounts, "all", currency, read, posted, read == posted, bold=True)
    console.print(accounts)
    if report.cards:
        cards = Table(
            "Branch",
            "Status",
            "Read",
            "Loaded",
            "With PIN read",
            "With PIN loaded",
            "",
            title="Cards by branch and status",
        )
        for card_line in report.cards:
            cards.add_row(
                card_line.branch_code,
                card_line.status,
                str(card_line.read),
                str(card_line.posted),
                str(card_line.read_with_pin),
                str(card_line.posted_with_pin),
                _mark(card_line.matches),
            )
        console.print(cards)
    what = (
        f"{result.customers} customer(s), {result.accounts} account(s),"
        f" {result.transfers} opening-balance transfer(s)"
        + (f", {result.cards} card(s)" if result.cards else "")
    )
    if not report.balanced:  # the use case refuses to commit these; never expected here
        console.print(f"[red]read and posted DIFFER[/red] for {what}")
    elif result.dry_run:
        console.print(
            f"[green]dry run: read and posted agree[/green] for {what};"
            " rolled back, nothing was imported"
        )
    else:
        console.print(f"[green]imported[/green] {what}; read and posted agree")


def _add_pair(
    table: Table,
    branch: str,
    currency: str,
    read: Totals,
    posted: Totals,
    matches: bool,
    bold: bool = False,
) -> None:
    table.add_section()
    style = "bold" if bold else None
    table.add_row(branch, currency, "read", *_cells(read, currency), "", style=style)
    table.add_row("", "", "posted", *_cells(posted, currency), _mark(matches), style=style)


def _cells(t: Totals, currency: str) -> list[str]:
    cur = Currency.of(currency)
    held = [f"{n} {word}" for n, word in ((t.frozen, "frozen"), (t.dormant, "dormant")) if n]
    return [
        f"{t.accounts}" + (f" ({', '.join(held)})" if held else ""),
        format_minor(t.deposits_minor, cur),
        format_minor(t.loans_minor, cur),
        f"{t.transfers}: {format_minor(t.transfers_minor, cur)}",
        format_minor(t.suspense_minor, cur),
    ]


def _mark(ok: bool) -> str:
    return "[green]✓[/green]" if ok else "[red]✗[/red]"
