"""The telephone-banking PIN: separate from any card PIN, kept as a keyed verification
value from the HSM port (the customer's number in the place of a card number), locked
after ``MAX_TRIES`` wrong entries in a row for a time that doubles with each lockout.

Staff set it (``set_phone_pin``, also behind ``ebank phone-pin set``); the caller
changes it from the menu (``change_phone_pin``). Neither the PIN nor its verification
value ever reaches the audit trail.
"""

from __future__ import annotations

import hmac
from dataclasses import replace
from enum import StrEnum

from ebank.application import audit
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_hsm import PinSecurity
from ebank.application.ports_ivr import PhonePin
from ebank.application.visibility import customer_for
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.customers import Customer
from ebank.domain.errors import CustomerNotFound, InvalidInput
from ebank.domain.ivr import new_pin_acceptable
from ebank.domain.ivr_model import PIN_LENGTH

MAX_TRIES = 3
LOCKOUT_BASE_S = 15 * 60
LOCKOUT_MAX_S = 24 * 3600
SETTING_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS, Role.ADMIN})


class PinCheck(StrEnum):
    OK = "ok"
    WRONG = "wrong"
    LOCKED = "locked"
    NOT_SET = "not_set"


def _hsm(ctx: Context) -> PinSecurity:
    assert ctx.hsm is not None, "the bank was built without an HSM"
    return ctx.hsm


def verification_of(ctx: Context, customer: Customer, pin: str) -> str:
    """The keyed verification value of ``pin`` for ``customer`` (never the PIN)."""
    # The HSM keys a verification value to a number of digits: the customer number,
    # or the row id when a migrated customer number has letters.
    subject = customer.number if customer.number.isdigit() else f"{customer.id:012d}"
    return _hsm(ctx).pin_verification_from_clear(subject, pin)


def _check_new_pin(pin: str) -> None:
    if not new_pin_acceptable(pin):
        raise InvalidInput(
            f"a telephone PIN is {PIN_LENGTH} digits, not all the same and not a run"
        )


def set_phone_pin(ctx: Context, actor: Actor | None, customer_number: str, pin: str) -> None:
    """Staff (or the CLI, ``actor=None``) set a customer's telephone PIN; it clears any
    lockout."""
    if actor is not None:
        require_role(actor, SETTING_ROLES)
    _check_new_pin(pin)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        if actor is None:
            customer = uow.customers.by_number(customer_number)
            if customer is None:
                raise CustomerNotFound(f"no customer {customer_number}")
        else:
            customer = customer_for(uow, actor, customer_number)
        value = verification_of(ctx, customer, pin)
        uow.ivr.save_phone_pin(PhonePin(customer.id, value), now)
        audit.record(
            uow,
            actor=actor,
            action="phone_pin.set",
            target=f"customer:{customer.number}",
            now_us=now,
        )
        uow.commit()


def check_phone_pin(ctx: Context, customer_id: int, pin: str) -> PinCheck:
    """Check the caller's telephone PIN, counting wrong ones; the third wrong one in a
    row locks telephone banking for a while."""
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        stored = uow.ivr.phone_pin(customer_id, lock=True)
        customer = uow.customers.get(customer_id)
        if stored is None or customer is None:
            return PinCheck.NOT_SET
        if stored.locked_until_us > now:
            return PinCheck.LOCKED
        if hmac.compare_digest(verification_of(ctx, customer, pin), stored.verification):
            if stored.failed_attempts:
                uow.ivr.save_phone_pin(replace(stored, failed_attempts=0), now)
                uow.commit()
            return PinCheck.OK
        result = _count_wrong(uow, stored, customer, now)
        uow.commit()
    return result


def _count_wrong(uow: UnitOfWork, stored: PhonePin, customer: Customer, now: int) -> PinCheck:
    failed = stored.failed_attempts + 1
    if failed < MAX_TRIES:
        uow.ivr.save_phone_pin(replace(stored, failed_attempts=failed), now)
        return PinCheck.WRONG
    lock_s = min(LOCKOUT_BASE_S * 2**stored.lockouts, LOCKOUT_MAX_S)
    locked = replace(
        stored,
        failed_attempts=0,
        lockouts=stored.lockouts + 1,
        locked_until_us=now + lock_s * 10**6,
    )
    uow.ivr.save_phone_pin(locked, now)
    audit.record(
        uow,
        actor=None,
        actor_name="ivr",
        action="phone_pin.locked",
        target=f"customer:{customer.number}",
        details={"locked_for_s": lock_s},
        now_us=now,
    )
    return PinCheck.LOCKED


def change_phone_pin(ctx: Context, customer_id: int, first_token: str, repeated: str) -> bool:
    """The authenticated caller's new PIN: ``first_token`` is the verification value of
    the first entry; False when the repeated entry does not match it."""
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        customer = uow.customers.get(customer_id)
        stored = uow.ivr.phone_pin(customer_id, lock=True)
        assert customer is not None and stored is not None, "an authenticated caller"
        if not new_pin_acceptable(repeated):
            return False
        value = verification_of(ctx, customer, repeated)
        if not hmac.compare_digest(value, first_token):
            return False
        uow.ivr.save_phone_pin(PhonePin(customer_id, value, lockouts=stored.lockouts), now)
        audit.record(
            uow,
            actor=None,
            actor_name="ivr",
            action="phone_pin.change",
            target=f"customer:{customer.number}",
            now_us=now,
        )
        uow.commit()
    return True
