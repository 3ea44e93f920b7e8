"""Card PINs and the card at a terminal: finding a card by its number, checking a PIN
block (three wrong PINs in a row lock the card until staff reset the count), changing
the PIN at an ATM, setting it at the counter, activating a card.

The PIN is never stored, logged or audited: a PIN block goes to the HSM port
(``ctx.hsm``), which answers with a verification value or a yes/no. A PIN block that
does not decipher to a well-formed block counts as a wrong PIN: the terminal and the
audit trail cannot tell the two apart (no oracle on the block's format).
"""

from __future__ import annotations

from collections.abc import Callable

from ebank.application import audit, identity
from ebank.application.account_services import Audited, run_audited
from ebank.application.cards import (
    DEFAULT_POLICY,
    ISSUING_ROLES,
    CardView,
    card_for,
    card_view,
    cards_of_customer,
    effective_status,
    masked_pan,
)
from ebank.application.cards import activate_card as activate_for_actor
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_cards import CardRecord
from ebank.application.ports_hsm import PinSecurity
from ebank.domain.access import Actor, require_role
from ebank.domain.cards import CardPolicy, CardStatus, next_status
from ebank.domain.errors import (
    CardBlocked,
    CardExpired,
    CardNotActive,
    CardNotFound,
    CardReportedLost,
    CardStatusConflict,
    CustomerNotFound,
    InvalidInput,
    PinBlockInvalid,
    PinTriesExceeded,
    WrongPin,
)

MAX_PIN_TRIES = 3
MIN_PIN_DIGITS = 4
MAX_PIN_DIGITS = 12

__all__ = [
    "MAX_PIN_TRIES",
    "CardView",
    "activate_card",
    "card_by_pan",
    "change_pin",
    "check_card_usable",
    "check_pin",
    "list_cards",
    "reset_pin_tries",
    "set_pin",
]


def _hsm(ctx: Context) -> PinSecurity:
    assert ctx.hsm is not None, "the bank was built without an HSM"
    return ctx.hsm


def card_by_pan(ctx: Context, pan: str) -> CardRecord | None:
    """The card with the number ``pan`` (found by its keyed hash), if the bank issued it."""
    if not (pan.isascii() and pan.isdigit()):
        return None
    with ctx.read() as uow:
        return uow.cards.by_pan_hash(identity.services(ctx).secrets.keyed_hash(pan))


def check_card_usable(ctx: Context, card: CardRecord) -> None:
    """Raise the reason ``card`` cannot be used at a terminal now, in the order a switch
    answers them: blocked (43), reported lost (41), expired (54), not active or without
    a PIN (62), locked by wrong PINs (75)."""
    status = effective_status(card, ctx)
    if status is CardStatus.BLOCKED:
        raise CardBlocked(f"card {card.card_id} is blocked")
    if status is CardStatus.TEMPORARILY_BLOCKED:
        raise CardReportedLost(f"card {card.card_id} is reported lost")
    if status is CardStatus.EXPIRED:
        raise CardExpired(f"card {card.card_id} has expired")
    if status is not CardStatus.ACTIVE or card.pin_verification is None:
        raise CardNotActive(f"card {card.card_id} is not active or has no PIN")
    if card.pin_tries >= MAX_PIN_TRIES:
        raise PinTriesExceeded(f"card {card.card_id} is locked by wrong PINs")


def _pan_of(ctx: Context, card: CardRecord) -> str:
    return identity.services(ctx).secrets.open(card.pan_enc)


def _locked_card(uow: UnitOfWork, card_id: int) -> CardRecord:
    card = uow.cards.get(card_id, lock=True)
    if card is None:
        raise CardNotFound(f"no card {card_id}")
    return card


def check_pin(ctx: Context, card_id: int, zone_key_ref: str, pin_block: bytes) -> None:
    """The PIN in ``pin_block`` (under the zone key ``zone_key_ref``) is the card's, and
    the card is usable; in its own short unit of work. A wrong PIN counts a try and
    raises ``WrongPin``; the third in a row raises ``PinTriesExceeded`` and locks the
    card; a right one clears the count."""
    hsm = _hsm(ctx)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        card = _locked_card(uow, card_id)
        check_card_usable(ctx, card)
        assert card.pin_verification is not None
        try:
            right = hsm.verify_pin_block(
                zone_key_ref, pin_block, _pan_of(ctx, card), card.pin_verification
            )
        except PinBlockInvalid:
            right = False
        if right:
            if card.pin_tries:
                uow.cards.reset_pin_tries(card_id, now)
                uow.commit()
            return
        tries = uow.cards.count_wrong_pin(card_id, now)
        locked = tries >= MAX_PIN_TRIES
        audit.record(
            uow,
            actor=None,
            action="card.pin_locked" if locked else "card.wrong_pin",
            target=f"card:{card_id}",
            outcome="refused",
            details={"card": masked_pan(card), "tries": tries},
            now_us=now,
        )
        uow.commit()
    if locked:
        raise PinTriesExceeded(f"card {card_id} is locked after {tries} wrong PINs")
    raise WrongPin(f"wrong PIN for card {card_id} ({tries} of {MAX_PIN_TRIES})")


def change_pin(
    ctx: Context, card_id: int, zone_key_ref: str, old_block: bytes, new_block: bytes
) -> None:
    """At an ATM: the old PIN is checked like any PIN (a wrong one counts a try), then
    the new one replaces it. A new block that cannot be read changes nothing and counts
    nothing (``PinBlockInvalid``)."""
    hsm = _hsm(ctx)
    with ctx.read() as uow:
        card = uow.cards.get(card_id)
    if card is None:
        raise CardNotFound(f"no card {card_id}")
    new_verification = hsm.pin_verification_from_block(zone_key_ref, new_block, _pan_of(ctx, card))
    check_pin(ctx, card_id, zone_key_ref, old_block)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        card = _locked_card(uow, card_id)
        check_card_usable(ctx, card)  # nothing changed it since the check, or refuse
        uow.cards.set_pin_verification(card_id, new_verification, now)
        audit.record(
            uow,
            actor=None,
            action="card.change_pin",
            target=f"card:{card_id}",
            details={"card": masked_pan(card), "channel": "atm"},
            now_us=now,
        )
        uow.commit()


# A change to one card, made in a unit of work: returns the audit entry's details.
_Change = Callable[[UnitOfWork, int, CardRecord], dict[str, object]]


def _change_card(
    ctx: Context, actor: Actor | None, card_id: int, action: str, change: _Change
) -> None:
    """Run ``change`` on the locked card in one unit of work, audited under ``actor``
    (staff of the customer's branch) or the system (``None``: the bank's operators on
    the command line)."""
    target = f"card:{card_id}"
    if actor is not None:
        require_role(actor, ISSUING_ROLES)

        def work(uow: UnitOfWork, now: int) -> Audited[None]:
            details = change(uow, now, card_for(uow, actor, card_id, lock=True))
            return Audited(None, target, details)

        run_audited(ctx, actor, action, work, changes=True, refused_target=target)
        return
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        details = change(uow, now, _locked_card(uow, card_id))
        audit.record(uow, actor=None, action=action, target=target, details=details, now_us=now)
        uow.commit()


def set_pin(ctx: Context, actor: Actor | None, card_id: int, pin: str) -> None:
    """At the counter: the customer types a new PIN on the bank's PIN pad (here a clear
    PIN, never stored or logged); the count of wrong PINs starts again."""
    if not (pin.isascii() and pin.isdigit() and MIN_PIN_DIGITS <= len(pin) <= MAX_PIN_DIGITS):
        raise InvalidInput(f"a PIN has {MIN_PIN_DIGITS} to {MAX_PIN_DIGITS} digits")

    def change(uow: UnitOfWork, now: int, card: CardRecord) -> dict[str, object]:
        status = effective_status(card, ctx)
        if status not in (CardStatus.INACTIVE, CardStatus.ACTIVE):
            raise CardStatusConflict(f"a card that is {status.value} cannot take a new PIN")
        verification = _hsm(ctx).pin_verification_from_clear(_pan_of(ctx, card), pin)
        uow.cards.set_pin_verification(card.card_id, verification, now)
        return {"card": masked_pan(card)}

    _change_card(ctx, actor, card_id, "card.set_pin", change)


def reset_pin_tries(ctx: Context, actor: Actor | None, card_id: int) -> None:
    """Unlock a card locked by wrong PINs (staff, having seen the customer)."""

    def change(uow: UnitOfWork, now: int, card: CardRecord) -> dict[str, object]:
        uow.cards.reset_pin_tries(card.card_id, now)
        return {"card": masked_pan(card), "tries_before": card.pin_tries}

    _change_card(ctx, actor, card_id, "card.reset_pin_tries", change)


def activate_card(
    ctx: Context, actor: Actor | None, card_id: int, *, policy: CardPolicy = DEFAULT_POLICY
) -> CardView | None:
    """An inactive card starts to work (it still needs a PIN for terminals)."""
    if actor is not None:
        return activate_for_actor(ctx, actor, card_id, policy=policy)

    def change(uow: UnitOfWork, now: int, card: CardRecord) -> dict[str, object]:
        after = next_status(effective_status(card, ctx), "activate")
        uow.cards.set_status(card.card_id, after, None, now)
        return {"card": masked_pan(card), "from": card.status.value, "to": after.value}

    _change_card(ctx, None, card_id, "card.activate", change)
    return None


def list_cards(
    ctx: Context, actor: Actor | None, customer_number: str, *, policy: CardPolicy = DEFAULT_POLICY
) -> list[CardView]:
    """A customer's cards by customer number: for staff (their branch), or for the
    bank's operators on the command line (``None``). Masked numbers only."""
    with ctx.read() as uow:
        customer = uow.customers.by_number(customer_number)
        if customer is None:
            raise CustomerNotFound(f"no customer {customer_number}")
        if actor is None:
            records = uow.cards.for_customer(customer.id)
            return [card_view(uow, ctx, card, policy) for card in records]
    return cards_of_customer(ctx, actor, customer.id, policy=policy)
