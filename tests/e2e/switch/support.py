"""A small bank for the switch's end-to-end tests: a branch with cash in its vault, a
customer with a savings and a checking account and a card reaching both (PIN 1234), an
ATM with two cassettes and a POS terminal at a merchant, both signed on; and helpers to
build the messages a terminal sends."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy import insert

from ebank.adapters.db.tables_channels import card_accounts
from ebank.adapters.iso8583.client import SwitchClient
from ebank.application import banking, card_pins, cards, merchants, terminals
from ebank.application.ports_hsm import PinSecurity
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.accounts import Account, GlKind
from ebank.domain.terminals import Cassette
from factories import BRANCH, bank_with_branch, deposit, gl, individual, savings

ZPK = "ZPK-TEST-1"
PIN = "1234"
ATM = "ATM00001"
POS = "POS00001"
MERCHANT = "M00000000000001"
CNY = "156"
CASSETTES = (
    Cassette(1, "CNY", 10_000, 200, 20),  # 200 notes of 100 yuan
    Cassette(2, "CNY", 5_000, 100, 10),  # 100 notes of 50 yuan
)
_stan = count(1)


@dataclass
class World:
    bank: Bank
    pan: str
    expiry: str
    card_id: int
    saving: Account
    checking: Account
    atm_cash: Account
    clearing: Account
    customer_number: str

    @property
    def hsm(self) -> PinSecurity:
        assert self.bank.ctx.hsm is not None
        return self.bank.ctx.hsm

    def pin_block(self, pin: str = PIN, pan: str | None = None) -> str:
        return self.hsm.encrypt_pin_block(ZPK, pin, pan or self.pan).hex().upper()

    def available(self, account: Account) -> int:
        with self.bank.ctx.read() as uow:
            return uow.accounts.balances(account.id).available_minor

    def ledger(self, account: Account) -> int:
        with self.bank.ctx.read() as uow:
            return uow.accounts.balances(account.id).ledger_minor

    def verify(self) -> None:
        report = verify_ledger(self.bank.ctx)
        assert report.ok, report


def make_world(bank: Bank, *, saving_minor: int = 500_000) -> World:
    ctx = bank.ctx
    bank_with_branch(ctx)
    deposit(ctx, savings(ctx, branch_code=BRANCH), 10_000_000, BRANCH)  # cash for the ATM
    customer = individual(ctx, BRANCH)
    saving = savings(ctx, customer)
    deposit(ctx, saving, saving_minor)
    checking = banking.open_account(ctx, customer.number, "CUR", "CNY", BRANCH)
    card = cards.issue_card(ctx, None, customer.number, saving.number)
    # No use case links a second account to a card yet: the card reaches checking too.
    with bank.engine.begin() as conn:
        conn.execute(
            insert(card_accounts).values(
                card_id=card.id, account_type="checking", account_id=checking.id
            )
        )
    card_pins.set_pin(ctx, None, card.id, PIN)
    with ctx.read() as uow:
        record = uow.cards.get(card.id)
    assert record is not None and ctx.security is not None
    pan = ctx.security.secrets.open(record.pan_enc)
    atm = terminals.register_atm(ctx, None, ATM, BRANCH, ZPK, "Lobby", CASSETTES)
    shop_owner = individual(ctx, BRANCH, name="李四")
    settlement = savings(ctx, shop_owner)
    merchants.add_merchant(
        ctx, None, MERCHANT, "Corner Shop", "5411", BRANCH, settlement.number, Decimal("0.006")
    )
    terminals.register_pos(ctx, None, POS, MERCHANT, ZPK, "Corner Shop, till 1")
    assert atm.cash_account_id is not None
    with ctx.read() as uow:
        atm_cash = uow.accounts.get(atm.cash_account_id)
    assert atm_cash is not None
    return World(
        bank=bank,
        pan=pan,
        expiry=record.expiry,
        card_id=card.id,
        saving=saving,
        checking=checking,
        atm_cash=atm_cash,
        clearing=gl(ctx, GlKind.CLEARING, BRANCH),
        customer_number=customer.number,
    )


def stamp(fields: dict[str, str], terminal: str, stan: str | None = None) -> dict[str, str]:
    """What every request carries: times, trace number, terminal."""
    now = datetime(2026, 11, 7, 1, 0, tzinfo=UTC)  # the tests' fixed clock, 09:00 local
    local = now + timedelta(hours=8)
    stan = stan or f"{next(_stan):06d}"
    return {
        **fields,
        "7": now.strftime("%m%d%H%M%S"),
        "11": stan,
        "12": local.strftime("%H%M%S"),
        "13": local.strftime("%m%d"),
        "37": local.strftime("%y%j%H") + stan[-5:],
        "41": terminal,
    }


def network(code: str, terminal: str) -> dict[str, str]:
    return stamp({"t": "0800", "70": code}, terminal)


def card_message(
    world: World,
    processing_code: str,
    amount_minor: int,
    *,
    terminal: str = ATM,
    mti: str = "0200",
    pin: str = PIN,
    pan: str | None = None,
    **extra: str,
) -> dict[str, str]:
    pan = pan or world.pan
    fields = {
        "t": mti,
        "2": pan,
        "3": processing_code,
        "4": f"{amount_minor:012d}",
        "14": world.expiry,
        "22": "021",
        "35": f"{pan}={world.expiry}101",
        "49": CNY,
        "52": world.pin_block(pin, pan),
        **extra,
    }
    if terminal == POS:
        fields["42"] = MERCHANT
    return stamp(fields, terminal)


def reversal_of(
    original: dict[str, str], *, mti: str = "0400", kept_minor: int | None = None
) -> dict[str, str]:
    """What a terminal sends when the answer to ``original`` did not come (or when it
    could not do all of it: ``kept_minor`` is what it really did)."""
    fields = {
        k: v for k, v in original.items() if k not in {"52", "7", "11", "12", "13", "37", "14"}
    }
    fields["t"] = mti
    fields["90"] = original["t"] + original["11"] + original["7"] + "0" * 22
    if kept_minor is not None:
        fields["95"] = f"{kept_minor:012d}" + "0" * 30
    return stamp(fields, original["41"])


def signed_on(client: SwitchClient, *terminal_ids: str) -> None:
    for terminal_id in terminal_ids:
        answer = client.request(network("001", terminal_id))
        assert answer["t"] == "0810" and answer["39"] == "00", answer
