"""Cards on SQLite and PostgreSQL: the store, and the card use cases through it — a
card issued at the counter, found by its keyed hash, never stored in clear; the loss
report lifted with a fresh one-time code; the permanent block; limits within the
bank's maximum; who may reach which card."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from e2e.api.support import add_user, code_now, next_code
from ebank.application import audit, cards
from ebank.application.ports_identity import AuditQuery
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.cards import CardLimits, CardPolicy, is_bank_pan
from ebank.domain.errors import (
    CardAccountNotAllowed,
    CardLimitAboveMaximum,
    CardNotFound,
    CardStatusConflict,
    Forbidden,
    OtpInvalid,
    OtpReplayed,
    OutsideBranch,
)
from factories import HEAD_OFFICE, bank_with_branch, individual, savings


def _actor(user_id: int, username: str, role: Role, **kw: object) -> Actor:
    kind = UserKind.STAFF if "branch_code" in kw else UserKind.CUSTOMER
    return Actor(user_id, username, kind, role, **kw)  # type: ignore[arg-type]


def _wrong(code: str) -> str:
    """A code that is not ``code`` (nor, by any likelihood worth a thought, its
    neighbours)."""
    return f"{(int(code) + 500_000) % 1_000_000:06d}"


def test_a_card_from_issue_to_permanent_block(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, branch.code)
    account = savings(bank.ctx, customer)
    teller_user = add_user(bank, role=Role.TELLER, branch_code=branch.code)
    holder_user = add_user(bank, role=Role.CUSTOMER, customer_id=customer.id)
    teller = _actor(teller_user.user_id, teller_user.username, Role.TELLER, branch_code=branch.code)
    holder = _actor(
        holder_user.user_id, holder_user.username, Role.CUSTOMER, customer_id=customer.id
    )

    card = cards.issue_card(bank.ctx, teller, customer.number, account.number)
    assert card.status == "active" and card.masked_pan.startswith("6217 **** **** ")
    assert [(a.account_type, a.account_number) for a in card.accounts] == [
        ("savings", account.number)
    ]
    assert card.limits == CardPolicy().default

    # Stored sealed and hashed: the clear number is found by its keyed hash only.
    with bank.ctx.read() as uow:
        record = uow.cards.get(card.id)
        assert record is not None
        box = bank.ctx.security.secrets  # type: ignore[union-attr]
        pan = box.open(record.pan_enc)
        assert is_bank_pan(pan, CardPolicy()) and pan.endswith(record.pan_last4)
        assert record.pan_hash == box.keyed_hash(pan) and pan not in record.pan_hash
        assert uow.cards.by_pan_hash(box.keyed_hash(pan)) == record
    with bank.engine.connect() as conn:
        dumped = " ".join(str(v) for r in conn.execute(text("SELECT * FROM cards")) for v in r)
        trail = " ".join(str(v) for r in conn.execute(text("SELECT * FROM audit_log")) for v in r)
    assert pan not in dumped and pan not in trail

    assert cards.cards_of_customer(bank.ctx, holder, customer.id) == [card]
    lost = cards.report_lost(bank.ctx, holder, card.id)
    assert lost.status == "temporarily_blocked"
    with pytest.raises(CardStatusConflict):
        cards.report_lost(bank.ctx, holder, card.id)

    # Lifting needs a fresh one-time code of the holder: wrong, then right, then replayed.
    with pytest.raises(OtpInvalid):
        cards.lift_loss_report(bank.ctx, holder, card.id, _wrong(code_now(bank, holder_user)))
    code = next_code(bank, holder_user)
    assert cards.lift_loss_report(bank.ctx, holder, card.id, code).status == "active"
    cards.report_lost(bank.ctx, holder, card.id)
    with pytest.raises(OtpReplayed):
        cards.lift_loss_report(bank.ctx, holder, card.id, code)
    with pytest.raises(OtpInvalid):
        cards.lift_loss_report(bank.ctx, holder, card.id, None)
    # Staff lift it at the counter without a code, and block it for good.
    assert cards.lift_loss_report(bank.ctx, teller, card.id).status == "active"
    with pytest.raises(Forbidden):
        cards.block_card(bank.ctx, holder, card.id)
    assert cards.block_card(bank.ctx, teller, card.id, "stolen").status == "blocked"
    with pytest.raises(CardStatusConflict):
        cards.lift_loss_report(bank.ctx, teller, card.id)

    actions = [e.action for e in audit.search(bank.ctx, AuditQuery(limit=50)).entries]
    for action in ("card.issue", "card.report_lost", "card.lift_loss_report", "card.block"):
        assert action in actions
    assert audit.verify(bank.ctx).ok


def test_limits_and_who_reaches_a_card(bank: Bank) -> None:
    branch = bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, branch.code)
    other = individual(bank.ctx, branch.code)
    account = savings(bank.ctx, customer)
    far_customer = individual(bank.ctx, HEAD_OFFICE)
    far_account = savings(bank.ctx, far_customer)
    teller = _actor(1, "t", Role.TELLER, branch_code=branch.code)
    holder = _actor(2, "h", Role.CUSTOMER, customer_id=customer.id)
    stranger = _actor(3, "s", Role.CUSTOMER, customer_id=other.id)

    # Only the customer's own, open, savings or current accounts take a card.
    with pytest.raises(CardAccountNotAllowed):
        cards.issue_card(bank.ctx, teller, other.number, account.number)
    with pytest.raises(OutsideBranch):
        cards.issue_card(bank.ctx, teller, far_customer.number, far_account.number)
    with pytest.raises(Forbidden):
        cards.issue_card(bank.ctx, holder, customer.number, account.number)
    policy = CardPolicy(bin="62284800")
    card = cards.issue_card(bank.ctx, None, customer.number, account.number, policy=policy)
    assert card.masked_pan.startswith("6228 ")
    second = cards.issue_card(bank.ctx, None, customer.number, account.number, policy=policy)
    with bank.ctx.read() as uow:
        hashes = {c.pan_hash for c in uow.cards.for_customer(customer.id)}
    assert len(hashes) == 2  # two cards, two numbers

    within = CardLimits(500_000, 3, 1_000_000)
    assert cards.set_limits(bank.ctx, holder, card.id, within).limits == within
    with pytest.raises(CardLimitAboveMaximum):
        cards.set_limits(bank.ctx, holder, card.id, CardLimits(10**12, 3, 1))
    # Another customer's card answers as not found, whatever they try.
    with pytest.raises(CardNotFound):
        cards.report_lost(bank.ctx, stranger, card.id)
    with pytest.raises(CardNotFound):
        cards.set_limits(bank.ctx, stranger, card.id, within)
    assert [c.id for c in cards.cards_of_customer(bank.ctx, teller, customer.id)] == [
        card.id,
        second.id,
    ]
    assert cards.cards_of_customer(bank.ctx, holder, customer.id)[0].limits == within
