"""Every decline the switch gives, over a real TCP socket, each from its own cause (on
SQLite and PostgreSQL): 05 12 13 14 30 41 43 51 54 55 57 58 61 62 65 75 91 94 96 — and
after each the ledger verifies and the customer's balance has not moved."""

from __future__ import annotations

from e2e.api.support import add_user
from e2e.switch.support import (
    ATM,
    POS,
    ZPK,
    World,
    card_message,
    network,
)
from ebank.adapters.iso8583.client import SwitchClient
from ebank.adapters.iso8583.codec import decode, encode
from ebank.application import banking, card_pins, cards, terminals
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.accounts import AccountStatus
from ebank.domain.cards import CardLimits, luhn_check_digit
from ebank.domain.terminals import Cassette
from factories import BRANCH


def _staff(bank: Bank) -> Actor:
    user = add_user(bank, role=Role.SUPERVISOR, branch_code=BRANCH)
    return Actor(user.user_id, user.username, UserKind.STAFF, Role.SUPERVISOR, branch_code=BRANCH)


def _holder(bank: Bank, world: World) -> Actor:
    with bank.ctx.read() as uow:
        customer = uow.customers.by_number(world.customer_number)
    assert customer is not None
    user = add_user(bank, role=Role.CUSTOMER, customer_id=customer.id)
    return Actor(user.user_id, user.username, UserKind.CUSTOMER, Role.CUSTOMER, customer.id)


def _code(client: SwitchClient, fields: dict[str, str]) -> str:
    answer = client.request(fields)
    assert answer["t"] == "0210" or answer["t"] == "0110", answer
    assert "38" not in answer or answer["39"] == "00"
    return answer["39"]


def test_declines_that_need_no_change_to_the_card(
    bank: Bank, world: World, client: SwitchClient
) -> None:
    ctx, saving = bank.ctx, world.saving
    # 51: more than the balance (5,000 yuan), within the daily limit
    assert _code(client, card_message(world, "011000", 600_000)) == "51"
    # 13: the ATM pays whole notes of 50 yuan or more; a zero amount
    assert _code(client, card_message(world, "011000", 12_345)) == "13"
    assert _code(client, card_message(world, "011000", 0)) == "13"
    # 12: a deposit at a POS terminal; a transfer to the same account
    assert _code(client, card_message(world, "210000", 10_000, terminal=POS)) == "12"
    assert _code(client, card_message(world, "401010", 10_000)) == "12"
    # 14: a card number of the bank's BIN that was never issued
    body = world.pan[:6] + "000000000"
    assert (
        _code(client, card_message(world, "011000", 10_000, pan=body + luhn_check_digit(body)))
        == "14"
    )
    # 54: the expiry date sent is not the card's
    assert (
        _code(
            client,
            card_message(world, "011000", 10_000, **{"14": "2012", "35": f"{world.pan}=2012101"}),
        )
        == "54"
    )
    # 58: a terminal the bank does not know
    assert _code(client, card_message(world, "011000", 10_000, terminal="NOSUCH01")) == "58"
    # 57: the checking account is dormant (a card reaches it, but it takes no debits)
    banking.change_status(ctx, world.checking.number, AccountStatus.DORMANT)
    assert _code(client, card_message(world, "402010", 10_000)) == "57"
    # 05: an ATM with less cash than asked (its cash account cannot go below zero)
    small = (Cassette(1, "CNY", 10_000, 10, 2),)  # 1,000 yuan
    terminals.register_atm(ctx, None, "ATM00002", BRANCH, ZPK, "Kiosk", small)
    assert client.request(network("001", "ATM00002"))["39"] == "00"
    assert _code(client, card_message(world, "011000", 200_000, terminal="ATM00002")) == "05"
    # 96: a terminal whose zone key the bank was never given (a configuration error)
    terminals.register_atm(ctx, None, "ATM00003", BRANCH, "ZPK-NOT-LOADED", "Hall", small)
    assert client.request(network("001", "ATM00003"))["39"] == "00"
    assert _code(client, card_message(world, "011000", 10_000, terminal="ATM00003")) == "96"
    # 30: a field that is not what it should be
    assert _code(client, card_message(world, "011000", 10_000, **{"4": "00000001000A"})) == "30"
    assert (
        _code(client, card_message(world, "011000", 10_000, **{"35": f"{world.pan[:-1]}0=2912101"}))
        == "30"
    )
    # none of these moved money
    assert world.available(saving) == 500_000
    world.verify()


def test_daily_limits_by_amount_and_count(bank: Bank, world: World, client: SwitchClient) -> None:
    holder = _holder(bank, world)
    cards.set_limits(bank.ctx, holder, world.card_id, CardLimits(50_000, 2, 30_000))
    assert _code(client, card_message(world, "011000", 30_000)) == "00"
    assert _code(client, card_message(world, "011000", 30_000)) == "61"  # 600 > 500 yuan
    assert _code(client, card_message(world, "011000", 20_000)) == "00"
    assert _code(client, card_message(world, "011000", 5_000)) == "65"  # a third withdrawal
    assert _code(client, card_message(world, "000000", 30_001, terminal=POS)) == "61"
    assert _code(client, card_message(world, "000000", 30_000, terminal=POS)) == "00"
    assert world.available(world.saving) == 500_000 - 30_000 - 20_000 - 30_000
    world.verify()


def test_pins_and_card_status(bank: Bank, world: World, client: SwitchClient) -> None:
    ctx = bank.ctx
    # 55 twice, then 75 on the third wrong PIN; then even the right PIN gets 75
    assert _code(client, card_message(world, "011000", 10_000, pin="9999")) == "55"
    wrong = card_message(world, "011000", 10_000, pin="9999")
    assert _code(client, wrong) == "55"
    assert _code(client, wrong) == "55"  # a retransmission counts no try
    assert _code(client, card_message(world, "011000", 10_000, pin="9998")) == "75"
    assert _code(client, card_message(world, "011000", 10_000)) == "75"
    staff = _staff(bank)
    card_pins.reset_pin_tries(ctx, staff, world.card_id)
    assert _code(client, card_message(world, "011000", 10_000)) == "00"

    # 41: the customer reports the card lost on the web (the use case behind the page)
    holder = _holder(bank, world)
    cards.report_lost(ctx, holder, world.card_id)
    assert _code(client, card_message(world, "011000", 10_000)) == "41"
    assert _code(client, card_message(world, "311000", 0)) == "41"
    cards.lift_loss_report(ctx, staff, world.card_id)
    assert _code(client, card_message(world, "311000", 0)) == "00"
    # 43: blocked for good
    cards.block_card(ctx, staff, world.card_id)
    assert _code(client, card_message(world, "011000", 10_000)) == "43"

    # 62: a card issued without a PIN yet
    second = cards.issue_card(ctx, None, world.customer_number, world.saving.number)
    with ctx.read() as uow:
        record = uow.cards.get(second.id)
    assert record is not None and ctx.security is not None
    pan = ctx.security.secrets.open(record.pan_enc)
    assert _code(client, card_message(world, "011000", 10_000, pan=pan)) == "62"
    assert world.available(world.saving) == 490_000
    world.verify()


def test_an_expired_card(bank: Bank, world: World, client: SwitchClient, clock) -> None:  # type: ignore[no-untyped-def]
    clock.advance(6 * 366 * 24 * 3600)  # past the card's five years
    assert client.request(network("301", ATM))["39"] == "00"
    assert _code(client, card_message(world, "011000", 10_000)) == "54"
    assert world.available(world.saving) == 500_000
    world.verify()


def test_malformed_messages(world: World, client: SwitchClient) -> None:
    # a readable type, a body that does not decode: the answer type with 30
    raw = client.request_raw(b"0200" + b"F" * 16 + b"junk")
    assert decode(raw) == {"t": "0210", "39": "30"}
    # a type the switch does not take: 12
    answer = client.request_raw(encode({"t": "0600", "11": "000001"}))
    assert decode(answer)["39"] == "12" and decode(answer)["t"] == "0610"
    # the connection still works
    assert client.request(network("301", ATM))["39"] == "00"
