"""Card PINs on SQLite and PostgreSQL: a PIN set at the counter and checked from an ATM's
PIN block, the count of wrong PINs and the lock at three, the lock lifted by staff, the
PIN changed at an ATM, activation, and the card's status answered before any PIN — and
neither the PIN nor the card number ever reaching the database or the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from e2e.api.support import add_user
from ebank.adapters.crypto.keys import TEST_AES_ZONE_KEY_REF, TEST_ZONE_KEY_REF
from ebank.application import banking, card_pins, cards
from ebank.application.ports_hsm import PinSecurity
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.branches import BranchKind
from ebank.domain.cards import CardStatus
from ebank.domain.errors import (
    CardBlocked,
    CardExpired,
    CardNotActive,
    CardReportedLost,
    CardStatusConflict,
    InvalidInput,
    OutsideBranch,
    PinBlockInvalid,
    PinTriesExceeded,
    WrongPin,
)
from ebank.entrypoints.error_codes import answer_for
from factories import HEAD_OFFICE, bank_with_branch, individual, savings

ZPK = TEST_ZONE_KEY_REF


def _teller(bank: Bank, branch_code: str) -> Actor:
    user = add_user(bank, role=Role.TELLER, branch_code=branch_code)
    return Actor(user.user_id, user.username, UserKind.STAFF, Role.TELLER, branch_code=branch_code)


def _card(bank: Bank) -> tuple[int, str, Actor]:
    branch = bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, branch.code)
    account = savings(bank.ctx, customer)
    teller = _teller(bank, branch.code)
    card = cards.issue_card(bank.ctx, teller, customer.number, account.number)
    found = card_pins.list_cards(bank.ctx, None, customer.number)
    assert [c.id for c in found] == [card.id]
    with bank.ctx.read() as uow:
        record = uow.cards.get(card.id)
    assert record is not None
    pan = bank.ctx.security.secrets.open(record.pan_enc)  # type: ignore[union-attr]
    assert record.pan_prefix == pan[:6] and card.masked_pan == f"{pan[:4]} **** **** {pan[-4:]}"
    return card.id, pan, teller


def _hsm(bank: Bank) -> PinSecurity:
    assert bank.ctx.hsm is not None
    return bank.ctx.hsm


def _tries(bank: Bank, card_id: int) -> int:
    with bank.ctx.read() as uow:
        record = uow.cards.get(card_id)
    assert record is not None
    return record.pin_tries


def test_pin_tries_lock_the_card_at_three_until_staff_reset_them(bank: Bank) -> None:
    card_id, pan, teller = _card(bank)
    hsm = _hsm(bank)
    block = hsm.encrypt_pin_block(ZPK, "482916", pan)

    # No PIN yet: the card cannot be used at a terminal.
    with pytest.raises(CardNotActive):
        card_pins.check_pin(bank.ctx, card_id, ZPK, block)
    with pytest.raises(InvalidInput):
        card_pins.set_pin(bank.ctx, teller, card_id, "12a4")
    card_pins.set_pin(bank.ctx, teller, card_id, "482916")
    assert card_pins.card_by_pan(bank.ctx, pan).card_id == card_id  # type: ignore[union-attr]
    assert card_pins.card_by_pan(bank.ctx, pan[:-1] + str((int(pan[-1]) + 1) % 10)) is None

    card_pins.check_pin(bank.ctx, card_id, ZPK, block)  # right: nothing raised
    # The same PIN under the AES zone key (format 4) is as good.
    aes_block = hsm.encrypt_pin_block(TEST_AES_ZONE_KEY_REF, "482916", pan)
    assert len(aes_block) == 16
    card_pins.check_pin(bank.ctx, card_id, TEST_AES_ZONE_KEY_REF, aes_block)

    wrong = hsm.encrypt_pin_block(ZPK, "482917", pan)
    with pytest.raises(WrongPin):
        card_pins.check_pin(bank.ctx, card_id, ZPK, wrong)
    assert _tries(bank, card_id) == 1
    # A right PIN clears the count; then three wrong ones in a row lock the card, and a
    # garbled block counts like a wrong PIN (the terminal cannot tell them apart).
    card_pins.check_pin(bank.ctx, card_id, ZPK, block)
    assert _tries(bank, card_id) == 0
    with pytest.raises(WrongPin):
        card_pins.check_pin(bank.ctx, card_id, ZPK, wrong)
    with pytest.raises(WrongPin):
        card_pins.check_pin(bank.ctx, card_id, ZPK, bytes(8))
    with pytest.raises(PinTriesExceeded):
        card_pins.check_pin(bank.ctx, card_id, ZPK, wrong)
    # Locked: even the right PIN is refused, and no further try is counted.
    with pytest.raises(PinTriesExceeded):
        card_pins.check_pin(bank.ctx, card_id, ZPK, block)
    assert _tries(bank, card_id) == 3
    assert answer_for(WrongPin.code).iso8583 == "55"
    assert answer_for(PinTriesExceeded.code).iso8583 == "75"

    # Staff of another branch cannot unlock it; the card's branch can.
    banking.add_branch(bank.ctx, "0099", "Other", BranchKind.BRANCH, HEAD_OFFICE, ("CNY",))
    other = _teller(bank, "0099")
    with pytest.raises(OutsideBranch):
        card_pins.reset_pin_tries(bank.ctx, other, card_id)
    card_pins.reset_pin_tries(bank.ctx, teller, card_id)
    card_pins.check_pin(bank.ctx, card_id, ZPK, block)

    # Neither the PIN nor the card number is in any stored row or the audit trail.
    with bank.engine.connect() as conn:
        rows = " ".join(
            str(v)
            for table in ("cards", "audit_log")
            for r in conn.execute(text(f"SELECT * FROM {table}"))
            for v in r
        )
        actions = [r[0] for r in conn.execute(text("SELECT action FROM audit_log"))]
    assert "482916" not in rows and pan not in rows and block.hex() not in rows
    assert {"card.set_pin", "card.wrong_pin", "card.pin_locked", "card.reset_pin_tries"} <= set(
        actions
    )


def test_change_pin_at_an_atm_and_the_status_answered_before_the_pin(bank: Bank) -> None:
    card_id, pan, teller = _card(bank)
    hsm = _hsm(bank)
    card_pins.set_pin(bank.ctx, None, card_id, "1357")
    old, new = hsm.encrypt_pin_block(ZPK, "1357", pan), hsm.encrypt_pin_block(ZPK, "8642", pan)

    # A wrong old PIN counts a try and changes nothing; an unreadable new block counts
    # nothing and changes nothing.
    with pytest.raises(WrongPin):
        card_pins.change_pin(bank.ctx, card_id, ZPK, new, new)
    with pytest.raises(PinBlockInvalid):
        card_pins.change_pin(bank.ctx, card_id, ZPK, old, bytes(8))
    assert _tries(bank, card_id) == 1
    card_pins.change_pin(bank.ctx, card_id, ZPK, old, new)
    assert _tries(bank, card_id) == 0
    with pytest.raises(WrongPin):
        card_pins.check_pin(bank.ctx, card_id, ZPK, old)
    card_pins.check_pin(bank.ctx, card_id, ZPK, new)

    # The card's status comes before its PIN, with the switch's codes.
    cards.report_lost(bank.ctx, teller, card_id)
    with pytest.raises(CardReportedLost):
        card_pins.check_pin(bank.ctx, card_id, ZPK, new)
    with pytest.raises(CardStatusConflict):
        card_pins.set_pin(bank.ctx, teller, card_id, "1111")
    cards.lift_loss_report(bank.ctx, teller, card_id)
    card_pins.check_pin(bank.ctx, card_id, ZPK, new)
    with pytest.raises(CardStatusConflict):  # already active
        card_pins.activate_card(bank.ctx, teller, card_id)
    clock = bank.ctx.clock
    clock.advance(6 * 366 * 86_400)  # type: ignore[attr-defined]
    with pytest.raises(CardExpired):
        card_pins.check_pin(bank.ctx, card_id, ZPK, new)
    # Back within its validity, blocked for good: 43.
    clock.advance(-6 * 366 * 86_400)  # type: ignore[attr-defined]
    cards.block_card(bank.ctx, teller, card_id)
    with pytest.raises(CardBlocked):
        card_pins.check_pin(bank.ctx, card_id, ZPK, new)
    assert [answer_for(c).iso8583 for c in ("card_reported_lost", "card_expired")] == ["41", "54"]
    assert [answer_for(c).iso8583 for c in ("card_blocked", "card_not_active")] == ["43", "62"]


def test_an_inactive_card_is_activated_by_staff_or_the_operators(bank: Bank) -> None:
    card_id, pan, teller = _card(bank)
    with bank.ctx.uow() as uow:
        uow.cards.set_status(card_id, CardStatus.INACTIVE, None, bank.ctx.clock.now_us())
        uow.commit()
    card_pins.set_pin(bank.ctx, teller, card_id, "2468")
    block = _hsm(bank).encrypt_pin_block(ZPK, "2468", pan)
    with pytest.raises(CardNotActive):
        card_pins.check_pin(bank.ctx, card_id, ZPK, block)
    assert card_pins.activate_card(bank.ctx, None, card_id) is None
    card_pins.check_pin(bank.ctx, card_id, ZPK, block)


def test_the_card_commands(bank: Bank, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from ebank.entrypoints.cli_cards import card_app

    monkeypatch.setenv("EBANK_DATABASE_URL", database_url)
    monkeypatch.setenv("EBANK_ENVIRONMENT", "test")
    card_id, pan, _ = _card(bank)
    with bank.ctx.read() as uow:
        record = uow.cards.get(card_id)
        assert record is not None
        customer = uow.customers.get(record.customer_id)
    assert customer is not None
    runner = CliRunner()
    listed = runner.invoke(card_app, ["list", customer.number])
    assert (
        listed.exit_code == 0 and f"card {card_id}: {pan[:4]} **** **** {pan[-4:]}" in listed.output
    )
    assert pan not in listed.output
    differ = runner.invoke(card_app, ["set-pin", str(card_id)], input="7531\n7532\n")
    assert differ.exit_code == 2 and "differ" in differ.output
    done = runner.invoke(card_app, ["set-pin", str(card_id)], input="7531\n7531\n")
    assert done.exit_code == 0 and "7531" not in done.output
    card_pins.check_pin(bank.ctx, card_id, ZPK, _hsm(bank).encrypt_pin_block(ZPK, "7531", pan))
    short = runner.invoke(card_app, ["set-pin", str(card_id)], input="75\n75\n")
    assert short.exit_code == 2 and "invalid_input" in short.output
    assert runner.invoke(card_app, ["reset-pin-tries", str(card_id)]).exit_code == 0
    refused = runner.invoke(card_app, ["activate", str(card_id)])  # already active
    assert refused.exit_code == 1 and "card_status_conflict" in refused.output
