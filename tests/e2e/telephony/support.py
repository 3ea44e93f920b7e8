"""Calls to the telephone banking webhooks for the tests: a caller that follows the
script of key presses and remembers what it heard."""

from __future__ import annotations

import httpx

from e2e.switch.support import World
from e2e.telephony.conftest import TWILIO_TOKEN
from ebank.application import phone_pins
from ebank.entrypoints.phone_simulator import Heard, PhoneCall

PHONE_PIN = "135790"


def call(http: httpx.Client, *, vxml: bool = False, call_id: str | None = None) -> PhoneCall:
    return PhoneCall(http, vxml=vxml, token=TWILIO_TOKEN, call_id=call_id)


def with_phone_pin(world: World) -> World:
    phone_pins.set_phone_pin(world.bank.ctx, None, world.customer_number, PHONE_PIN)
    return world


def signed_in(phone: PhoneCall, number: str, *, english: bool) -> Heard:
    """Greeting, language, number, PIN: returns the main menu."""
    assert "English" in phone.start().text
    phone.press("2" if english else "1")
    phone.press(number + "#")
    menu = phone.press(PHONE_PIN + "#")
    assert menu.waiting
    return menu
