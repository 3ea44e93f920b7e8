"""Step-up authentication with dynamic linking: a payment above a threshold, or to a payee
the customer has not saved, needs a fresh one-time code bound to that payment.

The customer asks for a challenge for the payment's legs (debit account, payee, amount,
currency); the challenge keeps a SHA-256 digest of them and a summary the customer reads
before typing the code. The payment then names the challenge and the code: the digest
must match the payment as sent, the challenge is used once, and it expires.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from uuid import UUID

from ebank.domain.errors import ChallengeInvalid, InvalidInput
from ebank.domain.money import Currency, format_minor

DIGEST_VERSION = "ebank-step-up-v1"
MAX_SUMMARY_LENGTH = 200


@dataclass(frozen=True, slots=True)
class StepUpPolicy:
    """From the settings: payments above ``threshold_minor`` need a code; a challenge
    lives ``ttl_s`` seconds."""

    threshold_minor: int
    ttl_s: int


@dataclass(frozen=True, slots=True)
class PaymentLeg:
    """One movement of a payment, as the customer names it."""

    debit_number: str
    credit_number: str
    amount_minor: int
    currency: str


@dataclass(frozen=True, slots=True)
class Challenge:
    id: UUID
    user_id: int
    digest: str
    summary: str
    created_at_us: int
    expires_at_us: int
    used_at_us: int | None = None


def payment_digest(legs: Sequence[PaymentLeg]) -> str:
    """SHA-256 over the legs in order: debit, payee, amount, currency of each."""
    if not legs:
        raise InvalidInput("a payment has at least one leg")
    text = "\n".join(
        [DIGEST_VERSION]
        + [f"{g.debit_number}|{g.credit_number}|{g.amount_minor}|{g.currency}" for g in legs]
    )
    return hashlib.sha256(text.encode()).hexdigest()


def needs_step_up(
    policy: StepUpPolicy, legs: Sequence[PaymentLeg], known_payees: Collection[str]
) -> bool:
    """Above the threshold (the legs' total), or any payee that is neither one of the
    customer's own accounts nor a saved beneficiary (``known_payees``)."""
    total = sum(g.amount_minor for g in legs)
    if total > policy.threshold_minor:
        return True
    return any(g.credit_number not in known_payees for g in legs)


def masked(number: str) -> str:
    """An account number as a summary shows it: the last four digits."""
    return f"****{number[-4:]}"


def summary_of(legs: Sequence[PaymentLeg]) -> str:
    """What the customer confirms, e.g. ``Pay 1,200.00 CNY from ****1234 to ****5678``."""
    first = legs[0]
    currency = Currency.of(first.currency)
    total = sum(g.amount_minor for g in legs)
    amount = f"{format_minor(total, currency)} {currency.code}"
    if len(legs) == 1:
        text = f"Pay {amount} from {masked(first.debit_number)} to {masked(first.credit_number)}"
    else:
        payees = len({g.credit_number for g in legs})
        text = (
            f"Pay {amount} in {len(legs)} transfers from {masked(first.debit_number)}"
            f" to {payees} payee(s)"
        )
    return text[:MAX_SUMMARY_LENGTH]


def new_challenge(
    challenge_id: UUID,
    user_id: int,
    legs: Sequence[PaymentLeg],
    policy: StepUpPolicy,
    now_us: int,
) -> Challenge:
    return Challenge(
        id=challenge_id,
        user_id=user_id,
        digest=payment_digest(legs),
        summary=summary_of(legs),
        created_at_us=now_us,
        expires_at_us=now_us + policy.ttl_s * 1_000_000,
    )


def check_challenge(
    challenge: Challenge | None, user_id: int, digest: str, now_us: int
) -> Challenge:
    """The challenge if it may confirm this payment now; ``ChallengeInvalid`` otherwise
    (the answer does not say which check failed)."""
    if (
        challenge is None
        or challenge.user_id != user_id
        or challenge.used_at_us is not None
        or now_us >= challenge.expires_at_us
        or challenge.digest != digest
    ):
        raise ChallengeInvalid("the confirmation is unknown, used, expired or for another payment")
    return challenge
