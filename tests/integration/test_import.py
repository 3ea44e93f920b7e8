"""The data migration (``ebank import``) on SQLite and PostgreSQL: a clean file set imports
and reconciles; any bad row is reported with its file and line, and nothing is imported."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select
from typer.testing import CliRunner

from ebank.adapters.db.tables import accounts, customers, sequences, transfers
from ebank.adapters.migration_csv import MAPPING_COLUMNS, read_import_files, read_rows
from ebank.application.banking import add_branch
from ebank.application.context import Context
from ebank.application.migration import (
    MIGRATION_CHANNEL,
    ImportRejected,
    ImportResult,
    Totals,
    import_legacy,
)
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import AccountStatus, GlKind, is_valid_account_number
from ebank.domain.branches import BranchKind
from ebank.domain.codes import TxCode
from ebank.entrypoints.cli_import import import_command

DATA = Path(__file__).resolve().parent.parent / "data" / "import"
GOOD = DATA / "good"
BAD = DATA / "bad"

# What tests/data/import/good holds, per (branch, currency), in minor units.
EXPECTED = {
    ("0100", "CNY"): Totals(
        accounts=3,
        deposits_minor=5_234_567 - 1_500_000,
        loans_minor=200_000_000,
        transfers=3,
        transfers_minor=5_234_567 + 1_500_000 + 200_000_000,
        suspense_minor=-(5_234_567 - 1_500_000) + 200_000_000,
    ),
    ("0001", "USD"): Totals(
        accounts=1,
        deposits_minor=120_000,
        transfers=1,
        transfers_minor=120_000,
        suspense_minor=-120_000,
    ),
    ("0101", "CNY"): Totals(
        accounts=2,
        frozen=1,
        dormant=1,
        deposits_minor=80_050 + 1_234,
        transfers=2,
        transfers_minor=81_284,
        suspense_minor=-81_284,
    ),
    ("0200", "CNY"): Totals(
        accounts=3,
        dormant=1,
        deposits_minor=38_800_000,
        loans_minor=50_000_000,
        transfers=2,
        transfers_minor=88_800_000,
        suspense_minor=-38_800_000 + 50_000_000,
    ),
}
EXPECTED_CUSTOMERS = {"0100": 2, "0101": 2, "0200": 2}


def build_tree(ctx: Context) -> None:
    add_branch(ctx, "0001", "Head office", BranchKind.HEAD_OFFICE, None, ("CNY", "USD"))
    add_branch(ctx, "0100", "Pudong branch", BranchKind.BRANCH, "0001")
    add_branch(ctx, "0101", "Lujiazui outlet", BranchKind.OUTLET, "0100")
    add_branch(ctx, "0200", "Minhang branch", BranchKind.BRANCH, "0001")


@pytest.fixture
def tree(bank: Bank) -> Bank:
    build_tree(bank.ctx)
    return bank


def counts(bank: Bank) -> tuple[int, ...]:
    """Customers, accounts, transfers, and the serial allocators: all must be unchanged
    by a rejected import."""
    with bank.engine.connect() as conn:
        found = [
            conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in (customers, accounts, transfers)
        ]
        found += [v for (v,) in conn.execute(select(sequences.c.value).order_by(sequences.c.name))]
    return tuple(found)


def run_import(bank: Bank, directory: Path, **kwargs: object) -> ImportResult:
    batch = read_import_files(directory / "customers.csv", directory / "accounts.csv")
    return import_legacy(bank.ctx, batch, **kwargs)  # type: ignore[arg-type]


def rejected(bank: Bank, directory: Path) -> list[str]:
    """Import ``directory`` expecting a rejection that leaves the database untouched;
    returns the problems as ``file:line: message`` strings."""
    before = counts(bank)
    with pytest.raises(ImportRejected) as caught:
        run_import(bank, directory)
    assert counts(bank) == before
    return [str(i) for i in caught.value.issues]


def edited(tmp_path: Path, file: str, line: int, **values: str) -> Path:
    """A copy of the good files with some columns of one line (1 = the header) changed."""
    for name in ("customers.csv", "accounts.csv"):
        with (GOOD / name).open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.reader(f))
        if name == file:
            header = rows[0]
            for column, value in values.items():
                rows[line - 1][header.index(column)] = value
        with (tmp_path / name).open("w", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(rows)
    return tmp_path


# -- a clean import ----------------------------------------------------------------------
def test_good_files_import_and_reconcile(tree: Bank) -> None:
    bank = tree
    before = counts(bank)
    result = run_import(bank, GOOD)

    report = result.report
    assert report.balanced
    assert not result.dry_run
    assert (result.customers, result.accounts, result.transfers) == (6, 9, 8)
    assert {c.branch_code: (c.read, c.posted) for c in report.customers} == {
        b: (n, n) for b, n in EXPECTED_CUSTOMERS.items()
    }
    assert {(a.branch_code, a.currency): a.read for a in report.accounts} == EXPECTED
    assert {(a.branch_code, a.currency): a.posted for a in report.accounts} == EXPECTED
    totals = report.currency_totals()
    assert totals["USD"] == (EXPECTED["0001", "USD"], EXPECTED["0001", "USD"])
    assert totals["CNY"][0].accounts == totals["CNY"][1].accounts == 8

    assert counts(bank)[:3] == (before[0] + 6, before[1] + 9, before[2] + 8)
    check = verify_ledger(bank.ctx)
    assert check.ok, check


def test_imported_accounts_hold_their_balances_and_statuses(tree: Bank) -> None:
    bank = tree
    result = run_import(bank, GOOD)
    by_legacy = {m.legacy_account_no: m for m in result.mapping}
    assert len(by_legacy) == 9
    assert all(is_valid_account_number(m.account_number) for m in result.mapping)
    with bank.ctx.uow() as uow:

        def balance(legacy: str) -> tuple[int, AccountStatus]:
            account = uow.accounts.by_number(by_legacy[legacy].account_number)
            assert account is not None
            return uow.accounts.balances(account.id).ledger_minor, account.status

        assert balance("6222000000000001") == (5_234_567, AccountStatus.ACTIVE)
        assert balance("6222000000000003") == (80_050, AccountStatus.FROZEN)
        assert balance("6222000000000004") == (-1_500_000, AccountStatus.ACTIVE)  # overdrawn
        assert balance("6222000000000005") == (200_000_000, AccountStatus.ACTIVE)  # owed
        assert balance("6222000000000006") == (0, AccountStatus.DORMANT)
        assert balance("6222000000000009") == (1_234, AccountStatus.DORMANT)

        wang = uow.customers.by_number(by_legacy["6222000000000006"].customer_number)
        assert wang is not None and wang.name == "Wang, Fang"
        c6 = uow.customers.by_identity("resident_id", "320102197001011111")
        assert c6 is not None and c6.tier == "standard"  # an empty tier is standard

        suspense = uow.accounts.gl_account("0200", GlKind.SUSPENSE, "CNY")
        assert suspense is not None
        assert uow.accounts.balances(suspense.id).ledger_minor == 11_200_000
        loan = uow.accounts.by_number(by_legacy["6222000000000005"].account_number)
        assert loan is not None
        (entry,) = uow.journal.history(loan.id, None, 10)
    assert entry.code == TxCode.OPENING_BALANCE
    assert entry.channel == MIGRATION_CHANNEL
    assert entry.reference == "opening balance 6222000000000005"
    assert entry.debit_account_id == loan.id


def test_small_chunks_post_the_same(tree: Bank) -> None:
    stages: list[tuple[str, int, int]] = []
    result = run_import(tree, GOOD, chunk_size=3, progress=lambda *s: stages.append(s))
    assert result.report.balanced
    assert {(a.branch_code, a.currency): a.posted for a in result.report.accounts} == EXPECTED
    assert verify_ledger(tree.ctx).ok
    assert [s for s in stages if s[0] == "posting"] == [
        ("posting", 0, 8),
        ("posting", 3, 8),
        ("posting", 6, 8),
        ("posting", 8, 8),
    ]
    assert stages[-1] == ("reading back", 6, 6)


def test_dry_run_checks_everything_and_imports_nothing(tree: Bank) -> None:
    before = counts(tree)
    result = run_import(tree, GOOD, dry_run=True)
    assert result.dry_run
    assert result.report.balanced
    assert {(a.branch_code, a.currency): a.posted for a in result.report.accounts} == EXPECTED
    assert counts(tree) == before


def test_importing_the_same_customers_twice_is_refused(tree: Bank) -> None:
    run_import(tree, GOOD)
    problems = rejected(tree, GOOD)
    assert (
        "customers.csv:2: a customer with resident_id 110101199003071234 is already"
        " in the bank (C0000000001)" in problems
    )
    assert len([p for p in problems if "already in the bank" in p]) == 6


# -- one kind of bad row at a time ---------------------------------------------------------
BAD_ROWS = [
    pytest.param(
        "accounts.csv", 3, {"branch_code": "9999"}, "unknown branch '9999'", id="unknown-branch"
    ),
    pytest.param(
        "accounts.csv",
        4,
        {"legacy_account_no": "6222000000000001"},
        "duplicate legacy_account_no '6222000000000001' (first on line 2)",
        id="duplicate-account",
    ),
    pytest.param(
        "accounts.csv",
        5,
        {"customer_legacy_id": "C999"},
        "customer_legacy_id 'C999' is not in customers.csv",
        id="missing-customer",
    ),
    pytest.param(
        "accounts.csv",
        6,
        {"opening_balance": "12a"},
        "opening_balance: not an amount: '12a'",
        id="amount-not-a-number",
    ),
    pytest.param(
        "accounts.csv",
        2,
        {"opening_balance": "1.234"},
        "opening_balance: '1.234' has more than 2 decimal places for CNY",
        id="amount-too-many-decimals",
    ),
    pytest.param(
        "accounts.csv",
        2,
        {"opening_balance": "-0.01"},
        "opening_balance of a SAV deposit cannot be negative",
        id="amount-negative-deposit",
    ),
    pytest.param(
        "accounts.csv",
        5,
        {"opening_balance": "-60000.00"},
        "opening_balance -60000.00 is beyond the overdraft_limit 50000.00",
        id="amount-beyond-overdraft",
    ),
    pytest.param(
        "accounts.csv",
        6,
        {"opening_balance": "-5"},
        "a loan's opening_balance is the amount owed and cannot be negative",
        id="amount-negative-loan",
    ),
    pytest.param(
        "accounts.csv", 7, {"currency": "RMB"}, "unknown currency 'RMB'", id="unknown-currency"
    ),
    pytest.param(
        "accounts.csv",
        10,
        {"currency": "USD"},
        "branch 0101 has no USD suspense account",
        id="currency-not-at-branch",
    ),
    pytest.param(
        "accounts.csv",
        8,
        {"product_code": "FIXED"},
        "unknown product_code 'FIXED': expected SAV, CUR, LOAN",
        id="unknown-product",
    ),
    pytest.param(
        "accounts.csv",
        2,
        {"overdraft_limit": "100.00"},
        "only corporate current accounts may have an overdraft",
        id="overdraft-on-savings",
    ),
    pytest.param(
        "accounts.csv",
        9,
        {"status": "closed"},
        "status 'closed' is not one of active, frozen, dormant",
        id="bad-status",
    ),
    pytest.param(
        "customers.csv",
        3,
        {"id_number": "110101199003071234"},
        "duplicate customer identity resident_id 110101199003071234 (also on line 2)",
        id="duplicate-identity",
    ),
    pytest.param(
        "customers.csv",
        4,
        {"branch_code": "0300"},
        "unknown branch '0300'",
        id="customer-unknown-branch",
    ),
    pytest.param(
        "customers.csv",
        5,
        {"kind": "company"},
        "kind 'company' is not one of individual, corporate",
        id="bad-kind",
    ),
    pytest.param(
        "customers.csv",
        6,
        {"legacy_id": "C001"},
        "duplicate legacy_id 'C001' (first on line 2)",
        id="duplicate-customer",
    ),
    pytest.param(
        "customers.csv",
        4,
        {"id_type": "resident_id"},
        "a corporate customer is identified by its business licence",
        id="corporate-without-licence",
    ),
]


@pytest.mark.parametrize(("file", "line", "change", "message"), BAD_ROWS)
def test_a_bad_row_is_named_and_nothing_is_imported(
    tree: Bank,
    tmp_path: Path,
    file: str,
    line: int,
    change: dict[str, str],
    message: str,
) -> None:
    problems = rejected(tree, edited(tmp_path, file, line, **change))
    assert any(p.startswith(f"{file}:{line}: {message}") for p in problems), problems


def test_a_refusal_by_the_ledger_is_named_and_undoes_everything(
    tree: Bank,
    tmp_path: Path,
) -> None:
    # Each balance is valid; together they overflow branch 0200's CNY suspense account,
    # which the engine refuses after the customers, accounts and first balance are written.
    directory = edited(tmp_path, "accounts.csv", 7, opening_balance="50000000000000000.00")
    with (directory / "accounts.csv").open("a", encoding="utf-8", newline="") as f:
        csv.writer(f).writerow(
            ["6222000000000010", "C004", "0200", "SAV", "CNY", "50000000000000000.00", "", "active"]
        )
    problems = rejected(tree, directory)
    assert problems == [
        "accounts.csv:11: the ledger refused the opening balance: overflows_balance"
    ]


def test_a_report_that_disagrees_is_not_committed(
    tree: Bank,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ebank.application import migration

    read_back = migration._read_back

    def losing_one_transfer(*args: object) -> object:
        customers_, totals = read_back(*args)  # type: ignore[arg-type]
        totals["0200", "CNY"].transfers -= 1
        return customers_, totals

    monkeypatch.setattr(migration, "_read_back", losing_one_transfer)
    problems = rejected(tree, GOOD)
    assert len(problems) == 1
    assert problems[0].startswith("customers.csv + accounts.csv: branch 0200 CNY: read")


def test_a_customer_already_in_the_bank_is_refused(tree: Bank, tmp_path: Path) -> None:
    from ebank.application.banking import add_customer
    from ebank.domain.customers import CustomerKind, IdType

    add_customer(
        tree.ctx, CustomerKind.INDIVIDUAL, "李娜", IdType.RESIDENT_ID, "310101198512123456", "0101"
    )
    problems = rejected(tree, GOOD)
    assert problems == [
        "customers.csv:3: a customer with resident_id 310101198512123456 is"
        " already in the bank (C0000000001)"
    ]


def test_every_problem_in_a_file_is_reported(tree: Bank) -> None:
    problems = rejected(tree, BAD)
    where = [p.split(": ", 1)[0] for p in problems]
    assert where == [f"customers.csv:{n}" for n in (3, 4, 5, 6, 7)] + [
        f"accounts.csv:{n}" for n in range(3, 17)
    ]
    assert "accounts.csv:15: expected 8 fields, found 7" in problems
    assert "accounts.csv:14: opening_balance: not an amount: '1,000.00'" in problems


def test_wrong_headers_are_named(tree: Bank, tmp_path: Path) -> None:
    directory = edited(tmp_path, "customers.csv", 1, name="full_name")
    problems = rejected(tree, directory)
    assert problems == [
        "customers.csv:1: wrong header: missing column(s): name; unexpected column(s):"
        " 'full_name' (expected: legacy_id,kind,name,tier,id_type,id_number,branch_code,"
        "phone)"
    ]  # and no "customer not in customers.csv" for every account


def test_a_file_that_is_not_utf8_is_named_with_its_line(tree: Bank, tmp_path: Path) -> None:
    text = (GOOD / "customers.csv").read_text(encoding="utf-8-sig")
    (tmp_path / "customers.csv").write_bytes(text.encode("gb18030"))  # a legacy export
    (tmp_path / "accounts.csv").write_bytes((GOOD / "accounts.csv").read_bytes())
    problems = rejected(tree, tmp_path)
    assert problems == ["customers.csv:2: not UTF-8 text: save the file as UTF-8"]


def test_missing_files_are_named(tree: Bank, tmp_path: Path) -> None:
    problems = rejected(tree, tmp_path)
    assert [p.split(":")[0] for p in problems] == ["customers.csv", "accounts.csv"]
    assert all("cannot read the file" in p for p in problems)


# -- reading the files (no database) -------------------------------------------------------
def test_reading_handles_bom_quotes_blank_lines_and_column_order(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(
        "\ufeffName , legacy_id,kind,tier,id_type,id_number,branch_code,phone\r\n"
        "\r\n"
        '"Zhang\r\nWei",C1,individual,,passport,E1,0100,\r\n'
        "  李娜  ,C2,individual,gold,passport,E2,0100,139\r\n".encode()
    )
    read = read_rows(
        path, ("legacy_id", "kind", "name", "tier", "id_type", "id_number", "branch_code", "phone")
    )
    assert not read.issues
    assert [(line, row["legacy_id"], row["name"]) for line, row in read.rows] == [
        (3, "C1", "Zhang\r\nWei"),
        (5, "C2", "李娜"),
    ]


# -- the command line ------------------------------------------------------------------------
@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("EBANK_DATABASE_URL", database_url)
    monkeypatch.setenv("EBANK_ENVIRONMENT", "test")
    app = typer.Typer()
    app.callback()(lambda: None)  # a group, so the command is called by name as in ebank
    app.command("import")(import_command)
    return app


def test_cli_imports_good_files_and_writes_the_mapping(
    tree: Bank,
    cli: typer.Typer,
    tmp_path: Path,
) -> None:
    before = counts(tree)
    mapping = tmp_path / "mapping.csv"
    result = CliRunner().invoke(cli, ["import", str(GOOD), "--mapping-out", str(mapping)])
    assert result.exit_code == 0, result.output
    assert "imported 6 customer(s), 9 account(s), 8 opening-balance transfer(s)" in " ".join(
        result.output.split()
    )
    with mapping.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == MAPPING_COLUMNS
    assert [r["legacy_account_no"] for r in rows] == [
        f"62220000000000{n:02d}" for n in range(1, 10)
    ]
    assert rows[3]["opening_balance"] == "-15000.00"
    assert counts(tree)[:3] == (before[0] + 6, before[1] + 9, before[2] + 8)
    assert verify_ledger(tree.ctx).ok


def test_cli_lists_every_bad_row_and_imports_nothing(
    tree: Bank,
    cli: typer.Typer,
    tmp_path: Path,
) -> None:
    before = counts(tree)
    directory = edited(tmp_path, "accounts.csv", 3, branch_code="9999")
    result = CliRunner().invoke(cli, ["import", str(directory)])
    assert result.exit_code == 1, result.output
    assert "accounts.csv:3: unknown branch '9999'" in result.output
    assert "nothing was imported" in result.output
    assert counts(tree) == before

    result = CliRunner().invoke(
        cli,
        [
            "import",
            "--customers",
            str(BAD / "customers.csv"),
            "--accounts",
            str(BAD / "accounts.csv"),
        ],
    )
    assert result.exit_code == 1
    for n in range(3, 17):
        assert f"accounts.csv:{n}:" in result.output
    assert counts(tree) == before


def test_cli_dry_run_prints_the_report_and_imports_nothing(
    tree: Bank,
    cli: typer.Typer,
) -> None:
    before = counts(tree)
    result = CliRunner().invoke(cli, ["import", str(GOOD), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run" in result.output
    assert "0001" in result.output and "0200" in result.output
    assert counts(tree) == before


def test_cli_needs_the_files(cli: typer.Typer) -> None:
    result = CliRunner().invoke(cli, ["import", "--customers", "x.csv"])
    assert result.exit_code == 2


def test_cli_will_not_overwrite_a_mapping(tree: Bank, cli: typer.Typer, tmp_path: Path) -> None:
    before = counts(tree)
    mapping = tmp_path / "mapping.csv"
    mapping.write_text("an earlier migration's mapping\n")
    result = CliRunner().invoke(cli, ["import", str(GOOD), "--mapping-out", str(mapping)])
    assert result.exit_code == 2
    assert "already exists" in " ".join(result.output.split())  # however the line wraps
    assert counts(tree) == before
    assert mapping.read_text() == "an earlier migration's mapping\n"
