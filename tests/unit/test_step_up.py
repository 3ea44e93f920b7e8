"""Step-up with dynamic linking: when a payment needs a code, and a challenge confirms
only the payment it was made for, once, before it expires."""

from __future__ import annotations

import uuid
from dataclasses import replace

import pytest

from ebank.domain.errors import ChallengeInvalid, InvalidInput
from ebank.domain.step_up import (
    PaymentLeg,
    StepUpPolicy,
    check_challenge,
    needs_step_up,
    new_challenge,
    payment_digest,
    summary_of,
)

POLICY = StepUpPolicy(threshold_minor=500_000, ttl_s=300)
OWN = "0100000000000011"
PAYEE = "0100000000000029"
LEG = PaymentLeg(OWN, PAYEE, 120_050, "CNY")
NOW = 1_794_013_200_000_000


def test_step_up_above_the_threshold_or_to_an_unknown_payee() -> None:
    known = {OWN, PAYEE}
    assert not needs_step_up(POLICY, [LEG], known)
    assert not needs_step_up(POLICY, [replace(LEG, amount_minor=500_000)], known)
    assert needs_step_up(POLICY, [replace(LEG, amount_minor=500_001)], known)
    assert needs_step_up(POLICY, [LEG], {OWN})  # a payee not saved
    # A batch counts its total.
    assert needs_step_up(POLICY, [replace(LEG, amount_minor=300_000)] * 2, known)


def test_the_digest_binds_every_field_of_every_leg() -> None:
    base = payment_digest([LEG])
    assert base == payment_digest([PaymentLeg(OWN, PAYEE, 120_050, "CNY")])
    for changed in (
        replace(LEG, debit_number="0100000000000037"),
        replace(LEG, credit_number="0100000000000037"),
        replace(LEG, amount_minor=120_051),
        replace(LEG, currency="USD"),
    ):
        assert payment_digest([changed]) != base
    assert payment_digest([LEG, LEG]) != base
    # Moving digits between fields is another payment too.
    assert payment_digest([PaymentLeg("1", "23", 4, "CNY")]) != payment_digest(
        [PaymentLeg("12", "3", 4, "CNY")]
    )
    with pytest.raises(InvalidInput):
        payment_digest([])


def test_the_summary_shows_the_amount_and_masked_accounts() -> None:
    assert summary_of([LEG]) == "Pay 1,200.50 CNY from ****0011 to ****0029"
    text = summary_of([LEG, replace(LEG, credit_number="0100000000000037")])
    assert text == "Pay 2,401.00 CNY in 2 transfers from ****0011 to 2 payee(s)"


def test_a_challenge_confirms_its_own_payment_once_before_it_expires() -> None:
    challenge = new_challenge(uuid.uuid4(), 7, [LEG], POLICY, NOW)
    digest = payment_digest([LEG])
    assert challenge.expires_at_us == NOW + 300_000_000
    assert check_challenge(challenge, 7, digest, NOW + 1) is challenge

    other_payment = payment_digest([replace(LEG, amount_minor=1)])
    refused = [
        (None, 7, digest, NOW),  # unknown
        (challenge, 8, digest, NOW),  # another user's
        (challenge, 7, other_payment, NOW),  # another payment
        (challenge, 7, digest, challenge.expires_at_us),  # expired
        (replace(challenge, used_at_us=NOW), 7, digest, NOW),  # used
    ]
    for found, user_id, wanted, at in refused:
        with pytest.raises(ChallengeInvalid):
            check_challenge(found, user_id, wanted, at)
