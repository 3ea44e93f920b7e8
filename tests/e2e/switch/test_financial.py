"""The switch over a real TCP socket, on SQLite and PostgreSQL: echo, sign-on/off; the
financial requests by processing code (withdrawal, deposit, balance inquiry, transfer
between the card's accounts, purchase) with exact balances; a retransmission answered
again without a second posting; the ledger verified after each scenario."""

from __future__ import annotations

from e2e.switch.support import (
    ATM,
    POS,
    World,
    card_message,
    network,
    stamp,
)
from ebank.adapters.iso8583.client import SwitchClient


def test_echo_and_sign_on_off(world: World, client: SwitchClient) -> None:
    echo = client.request(network("301", ATM))
    assert echo["t"] == "0810" and echo["39"] == "00" and echo["70"] == "301"
    unknown = client.request(network("301", "NOSUCH01"))
    assert unknown["39"] == "58"  # an unknown terminal
    assert client.request(network("999", ATM))["39"] == "12"

    assert client.request(network("002", ATM))["39"] == "00"  # signed off
    refused = client.request(card_message(world, "010000", 10_000))
    assert refused["t"] == "0210" and refused["39"] == "91"
    assert client.request(network("001", ATM))["39"] == "00"
    assert client.request(card_message(world, "010000", 10_000))["39"] == "00"
    world.verify()


def test_withdrawal_deposit_inquiry_transfer_and_purchase(
    world: World, client: SwitchClient
) -> None:
    saving, checking = world.saving, world.checking
    assert world.available(saving) == 500_000
    atm_cash = world.ledger(world.atm_cash)

    withdrawal = card_message(world, "011000", 30_000)  # 300 yuan from savings
    answer = client.request(withdrawal)
    assert answer["t"] == "0210" and answer["39"] == "00", answer
    assert answer["11"] == withdrawal["11"] and answer["4"] == withdrawal["4"]
    assert len(answer["38"]) == 6
    assert answer["54"] == "1002156C000000470000"  # savings, available, CNY, 4,700.00
    assert world.available(saving) == 470_000
    assert world.ledger(world.atm_cash) == atm_cash - 30_000

    # the same message again (the terminal missed the answer): same answer, no posting
    again = client.request(withdrawal)
    assert again == answer
    assert world.available(saving) == 470_000

    deposit = client.request(card_message(world, "210010", 20_000))
    assert deposit["39"] == "00" and world.available(saving) == 490_000
    assert world.ledger(world.atm_cash) == atm_cash - 10_000

    inquiry = client.request(card_message(world, "311000", 0))
    assert inquiry["39"] == "00"
    assert inquiry["54"] == "1001156C000000490000" + "1002156C000000490000"

    transfer = client.request(card_message(world, "401020", 40_000))
    assert transfer["39"] == "00"
    assert world.available(saving) == 450_000 and world.available(checking) == 40_000
    checking_balance = client.request(card_message(world, "312000", 0))
    assert checking_balance["54"].startswith("2001156C000000040000")

    clearing = world.ledger(world.clearing)
    purchase = client.request(card_message(world, "000000", 12_345, terminal=POS))
    assert purchase["t"] == "0210" and purchase["39"] == "00", purchase
    assert world.available(saving) == 450_000 - 12_345
    assert world.ledger(world.clearing) == clearing + 12_345  # settled at end of day
    world.verify()


def test_a_key_used_again_for_another_message_is_a_duplicate(
    world: World, client: SwitchClient
) -> None:
    first = card_message(world, "011000", 10_000)
    assert client.request(first)["39"] == "00"
    other = stamp({**first, "4": f"{20_000:012d}"}, ATM, stan=first["11"])
    assert client.request(other)["39"] == "94"
    assert world.available(world.saving) == 490_000
    world.verify()
