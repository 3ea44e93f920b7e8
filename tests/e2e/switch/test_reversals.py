"""Authorisations, completions and reversals over a real TCP socket (SQLite and
PostgreSQL): a reversal after a time-out, repeated (same STAN, then a new one) without a
second credit; a partial reversal (field 95); a reversal of a message the switch never
saw; an authorisation's hold completed for less, reversed whole or in part, expired by
its time-out; a PIN change. Exact balances and a verified ledger after each."""

from __future__ import annotations

from e2e.switch.support import (
    POS,
    World,
    card_message,
    reversal_of,
    stamp,
)
from ebank.adapters.clock import FixedClock
from ebank.adapters.iso8583.client import SwitchClient
from ebank.adapters.iso8583.spec import NEW_PIN_FIELD, PIN_CHANGE_CODE
from ebank.application.card_transactions import AUTHORISATION_TIMEOUT_S
from ebank.application.ledger import expire_due
from ebank.bootstrap import Bank


def test_reversal_after_a_time_out_is_idempotent(
    world: World, client: SwitchClient, switch_address: tuple[str, int]
) -> None:
    saving, cash = world.saving, world.ledger(world.atm_cash)
    withdrawal = card_message(world, "011000", 50_000)
    # the ATM's first connection breaks after the switch answered: the answer is lost
    with SwitchClient(*switch_address) as lost_line:
        lost_line.request(withdrawal)
    assert world.available(saving) == 450_000

    reversal = reversal_of(withdrawal)
    answer = client.request(reversal)
    assert answer["t"] == "0410" and answer["39"] == "00", answer
    assert world.available(saving) == 500_000
    assert world.ledger(world.atm_cash) == cash
    # the same reversal again, then as an advice under a new trace number
    assert client.request(reversal) == answer
    advice = reversal_of(withdrawal, mti="0420")
    assert client.request(advice)["39"] == "00"
    assert world.available(saving) == 500_000
    # a reversal whose amount is not the original's
    wrong = {**reversal_of(withdrawal), "4": f"{40_000:012d}"}
    assert client.request(wrong)["39"] == "12"
    assert world.available(saving) == 500_000
    world.verify()


def test_partial_reversal_and_a_reversal_of_a_message_never_seen(
    world: World, client: SwitchClient
) -> None:
    withdrawal = card_message(world, "011000", 50_000)
    assert client.request(withdrawal)["39"] == "00"
    # the ATM could only pay out 300 of the 500 yuan
    partial = client.request(reversal_of(withdrawal, kept_minor=30_000))
    assert partial["39"] == "00" and partial["95"].startswith("000000030000")
    assert world.available(world.saving) == 470_000
    # and the daily usage counts 300 yuan: a later full reversal moves nothing more
    assert client.request(reversal_of(withdrawal))["39"] == "00"
    assert world.available(world.saving) == 470_000

    never_seen = card_message(world, "011000", 10_000)
    answer = client.request(reversal_of(never_seen))
    assert answer["39"] == "00"
    assert world.available(world.saving) == 470_000
    # the original arriving late is then a message of its own (a terminal never sends it)
    world.verify()


def test_authorisation_completion_and_reversal(world: World, client: SwitchClient) -> None:
    saving, clearing = world.saving, world.ledger(world.clearing)
    auth = card_message(world, "000000", 20_000, terminal=POS, mti="0100")
    answer = client.request(auth)
    assert answer["t"] == "0110" and answer["39"] == "00" and len(answer["38"]) == 6
    assert world.available(saving) == 480_000 and world.ledger(saving) == 500_000

    completion = stamp(
        {
            "t": "0220",
            "2": world.pan,
            "3": "000000",
            "4": f"{15_000:012d}",
            "49": "156",
            "90": auth["t"] + auth["11"] + auth["7"] + "0" * 22,
        },
        POS,
    )
    done = client.request(completion)
    assert done["t"] == "0230" and done["39"] == "00", done
    assert world.available(saving) == 485_000 and world.ledger(saving) == 485_000
    assert world.ledger(world.clearing) == clearing + 15_000
    assert client.request(completion) == done  # an advice repeated
    again = stamp({**completion}, POS)  # the same completion under a new trace number
    assert client.request(again)["39"] == "94"  # the hold was already completed
    assert world.ledger(saving) == 485_000

    # an authorisation reversed whole, another in part (completed at what was done)
    whole = card_message(world, "000000", 10_000, terminal=POS, mti="0100")
    assert client.request(whole)["39"] == "00"
    assert client.request(reversal_of(whole))["39"] == "00"
    assert world.available(saving) == 485_000
    part = card_message(world, "000000", 10_000, terminal=POS, mti="0100")
    assert client.request(part)["39"] == "00"
    assert client.request(reversal_of(part, kept_minor=4_000))["39"] == "00"
    assert world.available(saving) == 481_000 and world.ledger(saving) == 481_000
    world.verify()


def test_an_authorisation_expires(
    bank: Bank, clock: FixedClock, world: World, client: SwitchClient
) -> None:
    auth = card_message(world, "010000", 30_000, mti="0100")  # at the ATM
    assert client.request(auth)["39"] == "00"
    assert world.available(world.saving) == 470_000
    clock.advance(AUTHORISATION_TIMEOUT_S + 1)
    assert expire_due(bank.ctx) == 1
    assert world.available(world.saving) == 500_000
    completion = stamp(
        {
            "t": "0220",
            "2": world.pan,
            "3": "010000",
            "4": f"{30_000:012d}",
            "49": "156",
            "90": auth["t"] + auth["11"] + auth["7"] + "0" * 22,
        },
        auth["41"],
    )
    assert client.request(completion)["39"] == "12"  # the hold has expired
    assert world.ledger(world.saving) == 500_000
    world.verify()


def test_pin_change_at_the_atm(world: World, client: SwitchClient) -> None:
    change = card_message(world, PIN_CHANGE_CODE, 0)
    change[NEW_PIN_FIELD] = world.pin_block("4321")
    assert client.request(change)["39"] == "00"
    assert client.request(card_message(world, "311000", 0, pin="4321"))["39"] == "00"
    assert client.request(card_message(world, "311000", 0))["39"] == "55"
    missing = card_message(world, PIN_CHANGE_CODE, 0)  # without the new PIN block
    assert client.request(missing)["39"] == "30"
    world.verify()
