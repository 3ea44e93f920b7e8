"""SMS banking through the SMPP simulator: every command in English and Chinese, a
malformed one, an unknown sender, a transfer confirmed and one whose code expired, a
card reported lost, HELP opening a ticket; transaction alerts sent once for a committed
posting (also across a relay restart) and never for one that rolled back."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from ebank.adapters.clock import FixedClock
from ebank.adapters.db.sms import ChannelCounter
from ebank.adapters.notify.console import ConsoleNotifier
from ebank.adapters.sms.smpp import SmppTransport
from ebank.application import cards, customer_services, ledger, sms_banking
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.money import Money
from ebank.domain.transfers import Result
from ebank.entrypoints.telephony.sms_webhook import explain_error
from factories import bank_with_branch, deposit, individual, savings
from support.smsc_simulator import SmscSimulator

PHONE_ZH = "+8613800000001"
PHONE_EN = "+8613800000002"


@pytest.fixture
def smsc() -> Iterator[SmscSimulator]:
    simulator = SmscSimulator()
    yield simulator
    simulator.close()


def transport(bank: Bank, smsc: SmscSimulator) -> SmppTransport:
    return SmppTransport(
        "127.0.0.1",
        smsc.port,
        "ebank",
        "secret",
        "95599",
        ChannelCounter(bank.engine, "smpp.sequence"),
        timeout_s=5,
    )


class Phone:
    """The customer's handset, talking to the bank through the simulated SMS centre."""

    def __init__(self, bank: Bank, smsc: SmscSimulator, link: SmppTransport) -> None:
        self.bank, self.smsc, self.link = bank, smsc, link
        self.inbox = sms_banking.SmsBanking(bank.ctx, "smpp", explain_error)
        link.poll(self.inbox)  # binds

    def say(self, number: str, words: str) -> str:
        """Send ``words`` from ``number``; returns the bank's reply as the SMSC got it."""
        before = len(self.smsc.submitted)
        self.smsc.deliver(number.lstrip("+"), words)
        for _ in range(100_000):  # until the SMSC got the reply (receipts come in between)
            self.link.poll(self.inbox)
            self.relay()
            replies = [s.text for s in self.smsc.submitted[before:] if s.destination in number]
            if replies:
                return replies[-1]
        raise AssertionError(f"no reply to {words!r}")

    def relay(self) -> int:
        return sms_banking.relay(self.bank.ctx, self.link, ConsoleNotifier())


def customer_with_money(bank: Bank) -> tuple[int, str, str, str]:
    ctx = bank.ctx
    bank_with_branch(ctx)
    me = individual(ctx)
    mine = savings(ctx, me)
    deposit(ctx, mine, 1_000_000)
    payee = savings(ctx)
    actor = Actor(1, "me", UserKind.CUSTOMER, Role.CUSTOMER, customer_id=me.id)
    customer_services.add_beneficiary(ctx, actor, "mum", payee.number, payee.name)
    return me.id, me.number, mine.number, payee.number


def test_every_command_through_the_smsc(bank: Bank, clock: FixedClock, smsc: SmscSimulator) -> None:
    _, customer, mine, payee = customer_with_money(bank)
    sms_banking.register(bank.ctx, PHONE_ZH, customer, language="zh_CN")
    sms_banking.register(bank.ctx, PHONE_EN, customer, language="en")
    link = transport(bank, smsc)
    phone = Phone(bank, smsc, link)
    try:
        assert "10,000.00 CNY" in phone.say(PHONE_EN, "bal")
        assert "余额10,000.00 CNY" in phone.say(PHONE_ZH, "余额")
        assert "+10,000.00" in phone.say(PHONE_EN, "MINI")
        assert "最近交易" in phone.say(PHONE_ZH, "明细")
        assert "not understood" in phone.say(PHONE_EN, "TRF lots")
        assert "未开通" in phone.say("+8613900000009", "BAL")

        # a transfer confirmed by the code sent back
        asked = phone.say(PHONE_EN, "TRF 100.50 mum")
        code = re.search(r"Code (\d{6})", asked)
        assert code is not None
        assert "done" in phone.say(PHONE_EN, code.group(1))
        assert "9,899.50 CNY" in phone.say(PHONE_EN, "BAL")
        assert "错误或已过期" in phone.say(PHONE_ZH, code.group(1))  # used up

        # one whose code expired: nothing moves
        asked = phone.say(PHONE_ZH, "转账 20 mum")
        late = re.search(r"验证码(\d{6})", asked)
        assert late is not None
        clock.advance(301)
        assert "错误或已过期" in phone.say(PHONE_ZH, late.group(1))
        assert "9,899.50 CNY" in phone.say(PHONE_EN, "BAL")

        # loss report, then help (a ticket)
        card = cards.issue_card(bank.ctx, None, customer, mine, policy=bank.card_policy)
        last4 = card.masked_pan[-4:]
        assert "blocked" in phone.say(PHONE_EN, f"LOST {last4}")
        with bank.ctx.read() as uow:
            assert uow.cards.get(card.id).status.value != "active"
        assert "未找到" in phone.say(PHONE_ZH, "挂失 0000")
        assert "工单" in phone.say(PHONE_ZH, "帮助")
        assert "ticket" in phone.say(PHONE_EN, "HELP")
        with bank.engine.connect() as conn:
            tickets = conn.execute(text("SELECT count(*) FROM tickets WHERE channel = 'sms'"))
            assert tickets.scalar_one() == 2
            stored = conn.execute(text("SELECT body FROM sms_messages")).scalars().all()
        assert code.group(1) not in " ".join(stored)  # codes never kept in clear
        # delivery receipts came back and marked the messages delivered
        link.poll(phone.inbox)
        with bank.engine.connect() as conn:
            delivered = conn.execute(
                text(
                    "SELECT count(*) FROM sms_messages"
                    " WHERE direction = 'out' AND status = 'delivered'"
                )
            ).scalar_one()
        assert delivered > 0
    finally:
        link.close()
    assert smsc.binds == ["ebank"]
    assert payee  # the payee's account is the beneficiary's


def test_alerts_once_for_committed_postings_never_for_rolled_back(
    bank: Bank, smsc: SmscSimulator
) -> None:
    ctx = bank.ctx
    bank_with_branch(ctx)
    me = individual(ctx)
    mine = savings(ctx, me)
    other = savings(ctx)
    deposit(ctx, other, 100_000_00)
    sms_banking.register(ctx, PHONE_ZH, me.number, language="zh_CN", alert_threshold_minor=500_00)

    small = ledger.transfer(ctx, other.number, mine.number, Money.parse("499.99"))
    big = ledger.transfer(ctx, other.number, mine.number, Money.parse("500.00"))
    with ctx.uow() as uow:  # a posting that rolls back
        outcome = ledger.post_within(uow, [_posting(ctx, other.id, mine.id, 900_00)], 1)
        assert outcome.results == [Result.OK]
        uow.rollback()

    first = transport(bank, smsc)
    try:
        assert sms_banking.relay(ctx, first, ConsoleNotifier()) == 1
    finally:
        first.close()
    second = transport(bank, smsc)  # the relay restarted
    try:
        assert sms_banking.relay(ctx, second, ConsoleNotifier()) == 0
    finally:
        second.close()
    alerts = [s for s in smsc.submitted if s.destination == PHONE_ZH.lstrip("+")]
    assert len(alerts) == 1
    assert "收入500.00 CNY" in alerts[0].text
    with bank.engine.connect() as conn:
        keys = conn.execute(text("SELECT dedupe_key FROM outbox")).scalars().all()
    assert keys == [f"alert:{big.entry.id}:{PHONE_ZH}"]
    assert small.entry.id != big.entry.id
    # the persistent sequence went on across the restart: no number used twice
    assert len(smsc.sequences) == len(set(smsc.sequences))


def _posting(ctx, debit: int, credit: int, minor: int):  # type: ignore[no-untyped-def]
    from ebank.domain.transfers import Transfer

    return Transfer(
        id=ctx.ids.new_id(),
        debit_account_id=debit,
        credit_account_id=credit,
        amount_minor=minor,
        currency="CNY",
    )
