"""Cards as people ask for them: issuing a card at the counter, a customer's cards, the
temporary loss report (挂失) and its lifting, the permanent block, and the card's own
limits within the bank's maximum. One unit of work each, audited like every change.

Who may do what: a personal customer acts on their own cards (lifting a loss report
needs a fresh one-time code, since whoever holds the session may not hold the card);
staff act on the cards of customers in their branch subtree. The full card number is
drawn here, sealed and hashed at once, and never leaves this module: what anyone sees
is ``6217 **** **** 1234``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from ebank.application import audit, identity
from ebank.application.account_services import Audited, run_audited
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_cards import CardAccountLink, CardRecord, NewCard
from ebank.application.visibility import check_branch, customer_for
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.accounts import AccountStatus
from ebank.domain.cards import (
    CARD_ACCOUNT_TYPES,
    CardLimits,
    CardPolicy,
    CardStatus,
    check_limits,
    expiry_for,
    expiry_label,
    is_expired,
    make_pan,
    mask_pan,
    next_status,
    serial_width,
)
from ebank.domain.errors import (
    CardAccountNotAllowed,
    CardNotFound,
    CardStatusConflict,
    CustomerNotFound,
    OtpInvalid,
)

DEFAULT_POLICY = CardPolicy()
# Staff who hand a card over at the counter, and who may act on one for a customer (the
# call centre of operations takes loss reports by phone).
ISSUING_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR})
SERVICING_ROLES = frozenset({Role.TELLER, Role.SUPERVISOR, Role.OPERATIONS})
HOLDER_ROLES = frozenset({Role.CUSTOMER})
# Random card serials: a clash with an existing number is drawn again, a few times.
_DRAWS = 8


@dataclass(frozen=True, slots=True)
class CardAccountView:
    account_type: str  # 'savings' or 'checking'
    account_number: str


@dataclass(frozen=True, slots=True)
class CardView:
    id: int
    masked_pan: str
    status: str
    expiry: str  # MM/YY
    limits: CardLimits
    currency: str
    accounts: tuple[CardAccountView, ...]


def effective_status(card: CardRecord, ctx: Context) -> CardStatus:
    """Past its expiry month a card is expired, whatever it was (unless blocked)."""
    if card.status is not CardStatus.BLOCKED and is_expired(card.expiry, ctx.clock.today()):
        return CardStatus.EXPIRED
    return card.status


def masked_pan(card: CardRecord, policy: CardPolicy = DEFAULT_POLICY) -> str:
    """``6217 **** **** 1234``: from the card's own prefix (a migrated card may be of
    another BIN), else the bank's BIN for cards issued before prefixes were kept."""
    return mask_pan((card.pan_prefix or policy.bin)[:4], card.pan_last4)


def card_view(uow: UnitOfWork, ctx: Context, card: CardRecord, policy: CardPolicy) -> CardView:
    accounts = []
    for link in card.accounts:
        account = uow.accounts.get(link.account_id)
        assert account is not None, "a card links to existing accounts (foreign key)"
        accounts.append(CardAccountView(link.account_type.value, account.number))
    return CardView(
        id=card.card_id,
        masked_pan=masked_pan(card, policy),
        status=effective_status(card, ctx).value,
        expiry=expiry_label(card.expiry),
        limits=card.limits,
        currency=card.currency,
        accounts=tuple(accounts),
    )


def card_for(uow: UnitOfWork, actor: Actor, card_id: int, *, lock: bool) -> CardRecord:
    """The card, if ``actor`` may act on it (another customer's card is not found)."""
    card = uow.cards.get(card_id, lock=lock)
    if actor.is_customer:
        if card is None or actor.customer_id is None or card.customer_id != actor.customer_id:
            raise CardNotFound(f"no card {card_id}")
        return card
    if card is None:
        raise CardNotFound(f"no card {card_id}")
    customer = uow.customers.get(card.customer_id)
    assert customer is not None, "a card belongs to an existing customer (foreign key)"
    check_branch(uow, actor, customer.branch_code)
    return card


def _draw_pan(uow: UnitOfWork, ctx: Context, policy: CardPolicy) -> tuple[str, str]:
    """A new card number of the bank not yet issued, and its keyed hash."""
    box = identity.services(ctx).secrets
    for _ in range(_DRAWS):
        pan = make_pan(policy, secrets.randbelow(10 ** serial_width(policy)))
        pan_hash = box.keyed_hash(pan)
        if uow.cards.by_pan_hash(pan_hash) is None:
            return pan, pan_hash
    raise AssertionError("the BIN range is too full to draw a new card number")


# -- use cases ---------------------------------------------------------------------------
def issue_card(
    ctx: Context,
    actor: Actor | None,
    customer_number: str,
    account_number: str,
    *,
    policy: CardPolicy = DEFAULT_POLICY,
) -> CardView:
    """Issue a card to a customer, reaching one of their accounts: staff at the counter
    (audited), or the system (``actor=None``: the CLI and the demo bank). The card is
    active at once: it is handed over in person."""

    def work(uow: UnitOfWork, now: int) -> Audited[CardView]:
        if actor is not None:
            require_role(actor, ISSUING_ROLES)
            customer = customer_for(uow, actor, customer_number)
        else:
            found = uow.customers.by_number(customer_number)
            if found is None:
                raise CustomerNotFound(f"no customer {customer_number}")
            customer = found
        account = uow.accounts.by_number(account_number)
        account_type = CARD_ACCOUNT_TYPES.get(account.product_code) if account else None
        if (
            account is None
            or account_type is None
            or account.customer_id != customer.id
            or account.status is AccountStatus.CLOSED
        ):
            raise CardAccountNotAllowed(f"account {account_number} cannot take a card")
        pan, pan_hash = _draw_pan(uow, ctx, policy)
        card_id = uow.cards.add(
            NewCard(
                pan_hash=pan_hash,
                pan_enc=identity.services(ctx).secrets.seal(pan),
                pan_last4=pan[-4:],
                customer_id=customer.id,
                expiry=expiry_for(ctx.clock.today(), policy),
                status=CardStatus.ACTIVE,
                limits=policy.default,
                currency=account.currency,
                accounts=(CardAccountLink(account_type, account.id),),
                created_at_us=now,
                pan_prefix=pan[:6],
            )
        )
        card = uow.cards.get(card_id)
        assert card is not None
        view = card_view(uow, ctx, card, policy)
        details = {"card": view.masked_pan, "customer": customer.number, "account": account_number}
        return Audited(view, f"card:{card_id}", details)

    if actor is None:
        return _as_system(ctx, "card.issue", work)
    return run_audited(ctx, actor, "card.issue", work, changes=True, refused_target=customer_number)


def _as_system(
    ctx: Context, action: str, work: Callable[[UnitOfWork, int], Audited[CardView]]
) -> CardView:
    """Run ``work`` for the system (no signed-in actor), audited as such."""
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        done = work(uow, now)
        audit.record(
            uow, actor=None, action=action, target=done.target, details=done.details, now_us=now
        )
        uow.commit()
    return done.value


def cards_of_customer(
    ctx: Context, actor: Actor, customer_id: int, *, policy: CardPolicy = DEFAULT_POLICY
) -> list[CardView]:
    """A customer's cards: their own for a customer, any in their branch for staff."""

    def work(uow: UnitOfWork, now: int) -> Audited[list[CardView]]:
        customer = uow.customers.get(customer_id)
        if actor.is_customer:
            if customer is None or actor.customer_id != customer_id:
                raise CustomerNotFound(f"no customer {customer_id}")
        else:
            if customer is None:
                raise CustomerNotFound(f"no customer {customer_id}")
            check_branch(uow, actor, customer.branch_code)
        views = [card_view(uow, ctx, card, policy) for card in uow.cards.for_customer(customer_id)]
        return Audited(views, f"customer:{customer.number}")

    return run_audited(ctx, actor, "card.list", work, changes=False)


def _change_status(
    ctx: Context,
    actor: Actor,
    card_id: int,
    action: str,
    *,
    reason: str | None = None,
    otp: str | None = None,
    policy: CardPolicy,
) -> CardView:
    def work(uow: UnitOfWork, now: int) -> Audited[CardView]:
        card = card_for(uow, actor, card_id, lock=True)
        after = next_status(effective_status(card, ctx), action)
        if otp is not None:
            identity.verify_fresh_otp(uow, actor.user_id, otp, now, security=ctx.security)
        uow.cards.set_status(card_id, after, reason, now)
        changed = uow.cards.get(card_id)
        assert changed is not None
        view = card_view(uow, ctx, changed, policy)
        details = {"card": view.masked_pan, "from": card.status.value, "to": after.value}
        return Audited(view, f"card:{card_id}", details)

    return run_audited(
        ctx, actor, f"card.{action}", work, changes=True, refused_target=f"card:{card_id}"
    )


def report_lost(
    ctx: Context, actor: Actor, card_id: int, *, policy: CardPolicy = DEFAULT_POLICY
) -> CardView:
    """The temporary loss report (挂失): the card stops working until it is lifted."""
    require_role(actor, HOLDER_ROLES | SERVICING_ROLES)
    return _change_status(ctx, actor, card_id, "report_lost", reason="lost", policy=policy)


def lift_loss_report(
    ctx: Context,
    actor: Actor,
    card_id: int,
    otp: str | None = None,
    *,
    policy: CardPolicy = DEFAULT_POLICY,
) -> CardView:
    """The card works again: the customer proves it is them with a fresh one-time code;
    staff at the counter have seen the customer's identity document."""
    if actor.is_customer:
        require_role(actor, HOLDER_ROLES)
        if not otp:
            raise OtpInvalid("a one-time code is required to unblock a card")
        return _change_status(ctx, actor, card_id, "lift_loss_report", otp=otp, policy=policy)
    require_role(actor, ISSUING_ROLES)
    return _change_status(ctx, actor, card_id, "lift_loss_report", policy=policy)


def activate_card(
    ctx: Context, actor: Actor, card_id: int, *, policy: CardPolicy = DEFAULT_POLICY
) -> CardView:
    """An issued card (a migrated one, or one sent by post) starts to work: staff, once
    they have seen the customer's identity document."""
    require_role(actor, ISSUING_ROLES)
    return _change_status(ctx, actor, card_id, "activate", policy=policy)


def block_card(
    ctx: Context,
    actor: Actor,
    card_id: int,
    reason: str = "blocked",
    *,
    policy: CardPolicy = DEFAULT_POLICY,
) -> CardView:
    """Block a card for good (stolen, damaged, replaced): staff only."""
    require_role(actor, SERVICING_ROLES)
    return _change_status(ctx, actor, card_id, "block", reason=reason[:32], policy=policy)


def set_limits(
    ctx: Context,
    actor: Actor,
    card_id: int,
    limits: CardLimits,
    *,
    policy: CardPolicy = DEFAULT_POLICY,
) -> CardView:
    """The card's own daily limits, each within the bank's maximum."""
    require_role(actor, HOLDER_ROLES | ISSUING_ROLES)

    def work(uow: UnitOfWork, now: int) -> Audited[CardView]:
        card = card_for(uow, actor, card_id, lock=True)
        status = effective_status(card, ctx)
        if status in (CardStatus.BLOCKED, CardStatus.EXPIRED):
            raise CardStatusConflict(f"a card that is {status.value} has no limits to set")
        uow.cards.set_limits(card_id, check_limits(limits, policy), now)
        changed = uow.cards.get(card_id)
        assert changed is not None
        view = card_view(uow, ctx, changed, policy)
        details = {
            "card": view.masked_pan,
            "atm_daily_minor": limits.atm_daily_minor,
            "atm_daily_count": limits.atm_daily_count,
            "pos_daily_minor": limits.pos_daily_minor,
        }
        return Audited(view, f"card:{card_id}", details)

    return run_audited(
        ctx, actor, "card.set_limits", work, changes=True, refused_target=f"card:{card_id}"
    )
