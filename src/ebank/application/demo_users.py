"""Sign-ins for the demo bank: customers and staff of every role, with a published
password and second-factor secret so that a person can try the channels at once.

Development only: the secrets below are public. ``ebank serve`` prints them only when
the environment is ``dev``.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

from ebank.application import card_pins, cards, identity
from ebank.application.context import Context
from ebank.application.demo import COUNTIES, HEAD_OFFICE
from ebank.domain.access import Role, UserKind
from ebank.domain.accounts import AccountStatus
from ebank.domain.cards import CARD_ACCOUNT_TYPES
from ebank.domain.customers import CustomerKind

DEMO_PASSWORD = "ebank-demo-2026"  # noqa: S105 - the demo bank's published password
# The PIN of demo.customer's card (published like the password: development only).
DEMO_CARD_PIN = "1234"
# How far to look for the first individual and corporate customers of the demo.
_SEARCH_LIMIT = 10_000


@dataclass(frozen=True, slots=True)
class DemoLogin:
    username: str
    role: Role
    what: str  # who this is, for the printed table
    password: str
    totp_secret: str


def demo_totp_secret(username: str) -> str:
    """A fixed base32 TOTP secret per demo user (public, like the password)."""
    digest = hashlib.sha256(f"ebank-demo-totp:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode("ascii")


_FIRST_OUTLET = f"{COUNTIES[0][0][:2]}01"
_STAFF: tuple[tuple[str, Role, str, str], ...] = (
    ("demo.teller", Role.TELLER, _FIRST_OUTLET, f"teller at outlet {_FIRST_OUTLET}"),
    (
        "demo.supervisor",
        Role.SUPERVISOR,
        COUNTIES[0][0],
        f"supervisor, sub-branch {COUNTIES[0][0]}",
    ),
    ("demo.operations", Role.OPERATIONS, HEAD_OFFICE[0], "operations, head office"),
    ("demo.auditor", Role.AUDITOR, HEAD_OFFICE[0], "auditor, head office"),
    ("demo.admin", Role.ADMIN, HEAD_OFFICE[0], "administrator, head office"),
)


def add_demo_users(ctx: Context) -> list[DemoLogin]:
    """Create the demo sign-ins on a freshly built demo bank."""
    made: list[DemoLogin] = []
    person, company = _first_customers(ctx)
    for username, role, customer_id, what in (
        ("demo.customer", Role.CUSTOMER, person, "personal customer"),
        ("demo.company", Role.APPROVER, company, "corporate customer (approver)"),
    ):
        made.append(_add(ctx, username, role, what, customer_id=customer_id))
    for username, role, branch_code, what in _STAFF:
        made.append(_add(ctx, username, role, what, branch_code=branch_code))
    _add_demo_card(ctx, person)
    return made


def _add_demo_card(ctx: Context, customer_id: int) -> None:
    """One card for demo.customer, on their first savings or current account, with the
    PIN ``DEMO_CARD_PIN`` so that a person can try ``ebank atm``."""
    with ctx.read() as uow:
        customer = uow.customers.get(customer_id)
        accounts = uow.accounts.for_customer(customer_id)
    assert customer is not None
    for account in accounts:
        if account.product_code in CARD_ACCOUNT_TYPES and account.status is AccountStatus.ACTIVE:
            card = cards.issue_card(ctx, None, customer.number, account.number)
            card_pins.set_pin(ctx, None, card.id, DEMO_CARD_PIN)
            return


@dataclass(frozen=True, slots=True)
class DemoCard:
    """demo.customer's card in full: for the development demo's printout only."""

    card_id: int
    pan: str
    expiry: str  # MM/YY
    pin: str


def demo_card(ctx: Context) -> DemoCard | None:
    """The demo customer's first card with its full number and PIN (none in a real bank:
    only a bank with the demo sign-ins has one)."""
    if not identity.existing_usernames(ctx, ["demo.customer"]):
        return None
    person, _ = _first_customers(ctx)
    with ctx.read() as uow:
        found = uow.cards.for_customer(person)
    if not found:
        return None
    view = found[0]
    pan = identity.services(ctx).secrets.open(view.pan_enc)
    return DemoCard(view.card_id, pan, f"{view.expiry[2:]}/{view.expiry[:2]}", DEMO_CARD_PIN)


def demo_logins(ctx: Context) -> list[DemoLogin]:
    """The demo sign-ins present in this bank (none in a real one)."""
    wanted = ["demo.customer", "demo.company", *(s[0] for s in _STAFF)]
    present = identity.existing_usernames(ctx, wanted)
    roles = {"demo.customer": (Role.CUSTOMER, "personal customer")}
    roles["demo.company"] = (Role.APPROVER, "corporate customer (approver)")
    roles.update({s[0]: (s[1], s[3]) for s in _STAFF})
    return [
        DemoLogin(u, roles[u][0], roles[u][1], DEMO_PASSWORD, demo_totp_secret(u))
        for u in wanted
        if u in present
    ]


def _add(
    ctx: Context,
    username: str,
    role: Role,
    what: str,
    *,
    customer_id: int | None = None,
    branch_code: str | None = None,
) -> DemoLogin:
    secret = demo_totp_secret(username)
    identity.create_user(
        ctx,
        username=username,
        password=DEMO_PASSWORD,
        kind=UserKind.CUSTOMER if customer_id is not None else UserKind.STAFF,
        role=role,
        display_name=what,
        customer_id=customer_id,
        branch_code=branch_code,
        totp_secret=secret,
    )
    return DemoLogin(username, role, what, DEMO_PASSWORD, secret)


def _first_customers(ctx: Context) -> tuple[int, int]:
    """The first individual and the first corporate customer who hold an account."""
    person: int | None = None
    company: int | None = None
    with ctx.read() as uow:
        for customer_id in range(1, _SEARCH_LIMIT):
            customer = uow.customers.get(customer_id)
            if customer is None:
                break
            if not uow.accounts.for_customer(customer_id):
                continue
            if customer.kind is CustomerKind.INDIVIDUAL and person is None:
                person = customer_id
            elif customer.kind is CustomerKind.CORPORATE and company is None:
                company = customer_id
            if person is not None and company is not None:
                return person, company
    raise AssertionError("the demo bank has no individual and corporate customers")
