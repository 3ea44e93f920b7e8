"""Cards in the data migration, on SQLite and PostgreSQL: the old system's cards load
with their customers and accounts and reconcile per branch and status, and their PIN
blocks (format 0 under the migration zone key) become PIN verification values that the
ATM path accepts; a bad card row — a PIN block that does not decipher, a wrong Luhn
digit, an unknown account, ... — refuses everything, named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from ebank.adapters.crypto.keys import TEST_ZONE_KEY_REF
from ebank.adapters.db.tables_channels import cards as cards_table
from ebank.adapters.migration_csv import read_import_files
from ebank.application import card_pins
from ebank.application.migration import CardCheck, ImportRejected, ImportResult, import_legacy
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.cards import CardPolicy
from ebank.domain.errors import CardNotActive, CardReportedLost, WrongPin
from ebank.entrypoints.cli_import import import_command
from integration.test_import import GOOD, build_tree, counts

CARDS = Path(__file__).resolve().parent.parent / "data" / "import" / "cards"


@pytest.fixture
def tree(bank: Bank) -> Bank:
    build_tree(bank.ctx)
    return bank


def _check(bank: Bank) -> CardCheck:
    assert bank.ctx.hsm is not None
    return CardCheck(bank.ctx.hsm, TEST_ZONE_KEY_REF, CardPolicy())


def _import(bank: Bank, cards_file: Path, **kw: object) -> ImportResult:
    batch = read_import_files(GOOD / "customers.csv", GOOD / "accounts.csv", cards_path=cards_file)
    return import_legacy(bank.ctx, batch, card_check=_check(bank), **kw)  # type: ignore[arg-type]


def _card_count(bank: Bank) -> int:
    with bank.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(cards_table)).scalar_one())


def test_good_cards_load_reconcile_and_take_their_pins_at_the_atm(tree: Bank) -> None:
    result = _import(tree, CARDS / "good.csv")
    assert result.cards == 5 and result.report.balanced
    lines = {
        (c.branch_code, c.status): (c.read, c.posted, c.read_with_pin) for c in result.report.cards
    }
    assert lines == {
        ("0100", "active"): (2, 2, 2),  # C001 and C003 are customers of 0100
        ("0101", "temporarily_blocked"): (1, 1, 1),
        ("0101", "blocked"): (1, 1, 1),
        ("0200", "inactive"): (1, 1, 0),
    }
    assert verify_ledger(tree.ctx).ok

    hsm = tree.ctx.hsm
    assert hsm is not None
    card = card_pins.card_by_pan(tree.ctx, "6225880000000019")
    assert card is not None and card.pan_prefix == "622588" and card.expiry == "2912"
    assert (card.limits.atm_daily_minor, card.limits.atm_daily_count) == (500_000, 5)
    zpk = TEST_ZONE_KEY_REF
    card_pins.check_pin(
        tree.ctx, card.card_id, zpk, hsm.encrypt_pin_block(zpk, "123456", "6225880000000019")
    )
    with pytest.raises(WrongPin):
        card_pins.check_pin(
            tree.ctx, card.card_id, zpk, hsm.encrypt_pin_block(zpk, "123457", "6225880000000019")
        )
    corporate = card_pins.card_by_pan(tree.ctx, "6225880000000035")
    assert corporate is not None and [a.account_type.value for a in corporate.accounts] == [
        "checking"
    ]
    lost = card_pins.card_by_pan(tree.ctx, "6225880000000027")
    inactive = card_pins.card_by_pan(tree.ctx, "6225880000000043")
    assert lost is not None and inactive is not None and inactive.pin_verification is None
    with pytest.raises(CardReportedLost):
        card_pins.check_pin(
            tree.ctx, lost.card_id, zpk, hsm.encrypt_pin_block(zpk, "654321", "6225880000000027")
        )
    with pytest.raises(CardNotActive):
        card_pins.check_pin(
            tree.ctx, inactive.card_id, zpk, hsm.encrypt_pin_block(zpk, "0000", "6225880000000043")
        )

    # The card numbers are sealed, the PIN blocks and PINs kept nowhere.
    with tree.engine.connect() as conn:
        dumped = " ".join(str(v) for r in conn.execute(text("SELECT * FROM cards")) for v in r)
    source = (CARDS / "good.csv").read_text()
    assert "6225880000000019" not in dumped and "8A9FCFCC0A920AC2" not in dumped.upper()
    assert "8A9FCFCC0A920AC2" in source and "123456" not in dumped


def test_bad_cards_refuse_everything_with_file_and_line(tree: Bank) -> None:
    before, cards_before = counts(tree), _card_count(tree)
    with pytest.raises(ImportRejected) as caught:
        _import(tree, CARDS / "bad.csv")
    assert counts(tree) == before and _card_count(tree) == cards_before
    problems = [str(i) for i in caught.value.issues]
    assert problems == [
        "bad.csv:2: pan ****0069 is not a card number (13 to 19 digits, Luhn)",
        "bad.csv:3: pin_block is not a format 0 PIN block of card ****0076"
        f" under the migration zone key {TEST_ZONE_KEY_REF}",
        "bad.csv:4: savings_account '6222000000009999' is not in accounts.csv",
        "bad.csv:5: status 'lost' is not one of inactive, active, temporarily_blocked,"
        " blocked, expired",
        "bad.csv:5: expiry '3013' is not YYMM (year and month, such as 3012)",
        "bad.csv:6: savings_account '6222000000000004' is a CUR account, not savings",
        "bad.csv:7: checking_account '6222000000000007' belongs to another customer",
        "bad.csv:8: limits: a card limit is above the bank's maximum",
        "bad.csv:9: pan ****0126 repeated (first on line 8)",
        "bad.csv:9: customer_legacy_id 'C404' is not in customers.csv",
        "bad.csv:9: savings_account '6222000000000001' belongs to another customer",
    ]
    # No message repeats a card number or a PIN block.
    joined = " ".join(problems)
    assert "6225880000000069" not in joined and "1DD9F9D8CF69155E" not in joined


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> typer.Typer:
    monkeypatch.setenv("EBANK_DATABASE_URL", database_url)
    monkeypatch.setenv("EBANK_ENVIRONMENT", "test")
    app = typer.Typer()
    app.callback()(lambda: None)
    app.command("import")(import_command)
    return app


def test_cli_imports_cards_and_prints_their_report(tree: Bank, cli: typer.Typer) -> None:
    args = ["import", str(GOOD), "--cards", str(CARDS / "good.csv")]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "Cards by branch and status" in said and ", 5 card(s); read and posted agree" in said
    assert "6225880000000019" not in result.output
    bad = CliRunner().invoke(cli, ["import", str(GOOD), "--cards", str(CARDS / "bad.csv")])
    assert bad.exit_code == 1 and "bad.csv:3: pin_block" in " ".join(bad.output.split())
