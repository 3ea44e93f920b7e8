"""``ebank atm`` driven as a person would, through its standard input, against a switch
running in the test: a card is inserted, its PIN typed, cash withdrawn, the balance
asked; the screens say so in words, the ledger moved exactly that money, and the trace
never shows the full card number or the PIN block."""

from __future__ import annotations

import os
import subprocess
import sys

from ebank.adapters.crypto.keys import TEST_ZONE_KEY_REF
from ebank.application import banking, card_pins, cards, identity, ledger, terminals
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import GlKind
from ebank.domain.money import Money
from ebank.domain.terminals import Cassette
from ebank.entrypoints.switch.server import switch_in_thread
from factories import bank_with_branch, gl, individual

TERMINAL = "ATMSIM01"
PIN = "2580"
CLI = [sys.executable, "-c", "from ebank.entrypoints.cli import main; main()"]


def _atm_with_a_card(bank: Bank) -> tuple[str, int, int]:
    """An ATM holding 50,000 yuan and a card on an account of 5,000 yuan; returns the
    card number, the account id and the ATM's cash account id."""
    ctx = bank.ctx
    branch = bank_with_branch(ctx)
    vault = gl(ctx, GlKind.CASH, branch.code)
    # Cash into the branch vault (debit the vault, credit the bank's capital).
    ledger.transfer(ctx, vault.number, gl(ctx, GlKind.CAPITAL).number, Money.parse("100000"))
    atm = terminals.register_atm(
        ctx,
        None,
        TERMINAL,
        branch.code,
        TEST_ZONE_KEY_REF,
        "lobby",
        [Cassette(1, "CNY", 10_000, 500, 50)],
    )
    assert atm.cash_account_id is not None
    person = individual(ctx, branch.code)
    account = banking.open_account(ctx, person.number, "SAV")
    ledger.cash_deposit(ctx, branch.code, account.number, Money.parse("5000"))
    card = cards.issue_card(ctx, None, person.number, account.number, policy=bank.card_policy)
    card_pins.set_pin(ctx, None, card.id, PIN)
    with ctx.read() as uow:
        record = uow.cards.get(card.id)
    assert record is not None
    pan = identity.services(ctx).secrets.open(record.pan_enc)
    return pan, account.id, atm.cash_account_id


def _net_credits(bank: Bank, account_id: int) -> int:
    with bank.ctx.read() as uow:
        counters = uow.accounts.balances(account_id)
    assert not counters.has_pending
    return counters.credits_posted - counters.debits_posted


def test_a_person_withdraws_cash_and_asks_the_balance(bank: Bank, database_url: str) -> None:
    pan, account_id, atm_cash_id = _atm_with_a_card(bank)
    atm_cash_before = _net_credits(bank, atm_cash_id)
    typed = "\n".join([pan, PIN, "1", "300", "3", "6", ""]) + "\n"
    env = {
        **os.environ,
        "EBANK_ENVIRONMENT": "test",
        "EBANK_DATABASE_URL": database_url,
        "COLUMNS": "160",
    }
    with switch_in_thread(bank) as (host, port):
        done = subprocess.run(
            [*CLI, "atm", "--terminal", TERMINAL, "--host", host, "--port", str(port), "--trace"],
            input=typed,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
            start_new_session=True,  # no terminal of ours: the PIN is read from stdin
        )
    screens = done.stdout
    print(screens)  # shown when the test fails
    assert done.returncode == 0, screens + done.stderr
    assert "Please take your cash: 300.00 CNY" in screens, screens
    # The balance screen: 5,000 less the 300 withdrawn.
    assert "4,700.00 CNY" in screens, screens
    assert "The ATM is closed." in screens
    # The trace shows the fields, never the card number or a PIN block in full.
    assert "0210" in screens and "0810" in screens
    assert pan not in screens and pan[:6] in screens
    assert not any(
        line.strip().startswith("52") and "*" not in line for line in screens.splitlines()
    )
    # Exactly the money the screen said: from the customer's account, out of the ATM.
    assert _net_credits(bank, account_id) == 470_000
    # The ATM's cash (an asset: debit balance) went down by the notes it paid out.
    assert _net_credits(bank, atm_cash_id) == atm_cash_before + 30_000
    assert verify_ledger(bank.ctx).ok
