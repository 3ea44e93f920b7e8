"""Whole telephone banking calls through the real webhooks (uvicorn on loopback), in
both markups (TwiML and VoiceXML) and both languages, on SQLite and PostgreSQL."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from e2e.switch.support import ATM, World, card_message, signed_on
from e2e.telephony.support import PHONE_PIN, call, signed_in, with_phone_pin
from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.db.tables_channels import ticket_notes, tickets
from ebank.adapters.db.tables_phone import document_jobs, ivr_sessions
from ebank.adapters.iso8583.client import SwitchClient
from ebank.adapters.mailfax_console import ConsoleMailFax
from ebank.application import banking, phone_pins
from ebank.application import document_jobs as jobs
from ebank.application.ivr import call_record
from ebank.domain.customers import CustomerKind, IdType
from ebank.entrypoints.switch.server import switch_in_thread
from ebank.entrypoints.telephony.twiml import VOICE_PATH
from factories import BRANCH


def _ivr_entries(world: World) -> list[tuple[int, str]]:
    with world.bank.ctx.read() as uow:
        entries = uow.journal.history(world.checking.id, None, 10)
    return [(e.amount_minor, e.channel) for e in entries]


def test_english_twiml_call_balance_transfer_history_and_agent(
    world: World, http: httpx.Client
) -> None:
    with_phone_pin(world)
    phone = call(http)
    menu = signed_in(phone, world.pan, english=True)
    assert "For your balance, press 1" in menu.text

    heard = phone.press("1")
    assert "available balance five thousand yuan" in heard.text
    assert "For your balance, press 1" in heard.text  # back at the menu

    listed = phone.press("3")
    assert f"account ending {' '.join(world.checking.number[-4:])}, press 1" in listed.text
    phone.press("1")
    confirm = phone.press("1234*5#")
    assert (
        "You are transferring one thousand two hundred thirty-four yuan and fifty fen"
        in confirm.text
    )
    assert world.available(world.checking) == 0  # nothing moves before the caller confirms
    assert "The transfer is done." in phone.press("1").text
    assert world.available(world.checking) == 123_450
    assert world.available(world.saving) == 500_000 - 123_450
    assert _ivr_entries(world) == [(123_450, "ivr")]

    # Over the ivr channel's single-transaction limit (5,000 yuan): refused, nothing moves.
    phone.press("3")
    phone.press("1")
    phone.press("5000*01#")
    assert "over the limit" in phone.press("1").text
    assert world.available(world.checking) == 123_450

    heard = phone.press("2")
    assert "one thousand two hundred thirty-four yuan and fifty fen out" in heard.text

    agent = phone.press("0")
    assert "connecting you to an agent" in agent.text and not agent.waiting
    with world.bank.engine.connect() as conn:
        ticket = conn.execute(select(tickets)).one()
        notes = conn.execute(select(ticket_notes.c.text)).scalars().all()
        stored = conn.execute(select(ivr_sessions.c.data)).scalar_one()
    assert ticket.channel == "ivr" and ticket.customer_id is not None
    assert any("balance" in n and "transfer" in n and "history" in n for n in notes)
    assert PHONE_PIN not in stored and world.pan not in stored  # never keys, never a PIN
    record = call_record(world.bank.ctx, phone.call_id)
    assert record is not None and record.ended_at_us is not None


def test_chinese_voicexml_call_balance_and_confirmed_transfer(
    world: World, http: httpx.Client
) -> None:
    with_phone_pin(world)
    phone = call(http, vxml=True)
    menu = signed_in(phone, world.saving.number, english=False)
    assert "查询余额请按1" in menu.text
    assert "可用余额五千元" in phone.press("1").text
    phone.press("3")
    phone.press("1")
    confirm = phone.press("20*5#")
    assert "转账二十元五角" in confirm.text
    cancelled = phone.press("2")
    assert "已取消" in cancelled.text and world.available(world.checking) == 0
    phone.press("3")
    phone.press("1")
    phone.press("20*5#")
    assert "转账成功" in phone.press("1").text
    assert world.available(world.checking) == 2_050
    goodbye = phone.press("9")
    assert "再见" in goodbye.text and not goodbye.waiting


def test_wrong_pin_thrice_locks_telephone_banking(world: World, http: httpx.Client) -> None:
    with_phone_pin(world)
    phone = call(http)
    phone.start()
    phone.press("1")
    phone.press(world.pan + "#")
    assert "密码错误" in phone.press("111111#").text
    assert "密码错误" in phone.press("222222#").text
    locked = phone.press("333333#")
    assert "已暂时锁定" in locked.text and not locked.waiting
    # A new call with the right PIN is still refused while the lock lasts.
    again = call(http, vxml=True)
    again.start()
    again.press("2")
    again.press(world.pan + "#")
    refused = again.press(PHONE_PIN + "#")
    assert "locked" in refused.text and not refused.waiting
    # After the lock has passed, the right PIN opens the menu.
    world.bank.ctx.clock.advance(15 * 60 + 1)  # type: ignore[attr-defined]
    later = call(http)
    assert "press 1" in signed_in(later, world.pan, english=True).text


def test_loss_report_by_identity_number_then_the_atm_declines_the_card(
    world: World, http: httpx.Client
) -> None:
    # No telephone PIN at all: the identity number is enough to stop a lost card.
    with world.bank.ctx.read() as uow:
        customer = uow.customers.by_number(world.customer_number)
    assert customer is not None
    phone = call(http, vxml=True)
    phone.start()
    phone.press("1")
    phone.press(world.pan + "#")
    cards_listed = phone.press("*")
    assert "身份证号码" in cards_listed.text
    assert "identity" not in cards_listed.text
    wrong = phone.press("110101190001011234#")
    assert "身份证号码不符" in wrong.text
    listed = phone.press(customer.id_number.replace("X", "*") + "#")
    assert "挂失尾号" in listed.text
    phone.press("1")
    done = phone.press("1")
    assert "挂失成功" in done.text and not done.waiting

    with switch_in_thread(world.bank) as (host, port), SwitchClient(host, port, 30) as atm:
        signed_on(atm, ATM)
        answer = atm.request(card_message(world, "011000", 10_000))
    assert answer["39"] == "41"
    assert world.available(world.saving) == 500_000


def test_statement_by_fax_is_queued_then_sent(world: World, http: httpx.Client) -> None:
    with_phone_pin(world)
    phone = call(http)
    signed_in(phone, world.pan, english=True)
    phone.press("6")
    phone.press("2")  # last month
    phone.press("2")  # by fax
    assert "will be sent shortly" in phone.press("01088886666#").text
    gateway = ConsoleMailFax(echo=lambda _: None)
    report = jobs.run_pending(world.bank.ctx, gateway, tz=BANK_TIMEZONE)
    assert (report.sent, report.failed) == (1, 0)
    sent = gateway.sent[0]
    assert sent.delivery == "fax" and sent.destination == "01088886666"
    assert sent.pdf.startswith(b"%PDF") and "2026-10-01-2026-10-31" in sent.filename
    with world.bank.engine.connect() as conn:
        assert conn.execute(select(document_jobs.c.status)).scalar_one() == "done"


def test_statement_by_email_reaches_the_address_on_file(world: World, http: httpx.Client) -> None:
    ctx = world.bank.ctx
    customer = banking.add_customer(
        ctx,
        CustomerKind.INDIVIDUAL,
        "王芳",
        IdType.PASSPORT,
        "E12345678",
        BRANCH,
        email="wang.fang@example.com",
    )
    account = banking.open_account(ctx, customer.number, "SAV", "CNY", BRANCH)
    phone_pins.set_phone_pin(ctx, None, customer.number, PHONE_PIN)
    phone = call(http)
    signed_in(phone, account.number, english=True)
    phone.press("6")
    phone.press("1")  # this month
    assert "will be sent shortly" in phone.press("1").text  # by e-mail
    gateway = ConsoleMailFax(echo=lambda _: None)
    report = jobs.run_pending(ctx, gateway, tz=BANK_TIMEZONE)
    assert (report.sent, report.failed) == (1, 0)
    sent = gateway.sent[0]
    assert sent.delivery == "email" and sent.destination == "wang.fang@example.com"
    assert sent.pdf.startswith(b"%PDF") and account.number[-4:] in sent.filename


def test_no_email_on_file_offers_fax_or_the_menu(world: World, http: httpx.Client) -> None:
    with_phone_pin(world)
    phone = call(http, vxml=True)
    signed_in(phone, world.pan, english=False)
    phone.press("6")
    phone.press("2")  # last month
    none = phone.press("1")  # by e-mail: the bank holds no address
    assert "我们没有您预留的电子邮箱地址" in none.text and none.waiting
    assert "查询余额请按1" in phone.press("2").text  # back to the menu
    phone.press("6")
    phone.press("2")
    phone.press("1")
    assert "请输入传真号码" in phone.press("1").text  # fax instead
    assert "对账单已受理" in phone.press("01088886666#").text
    with world.bank.engine.connect() as conn:
        queued = conn.execute(select(document_jobs.c.delivery, document_jobs.c.destination)).all()
    assert [tuple(row) for row in queued] == [("fax", "01088886666")]


def test_a_bad_twilio_signature_is_refused(world: World, http: httpx.Client) -> None:
    form = {"CallSid": "CA-forged", "From": "+8613800000000"}
    forged = http.post(VOICE_PATH, data=form, headers={"X-Twilio-Signature": "AAAA"})
    assert forged.status_code == 403
    assert http.post(VOICE_PATH, data=form).status_code == 403
    with world.bank.engine.connect() as conn:
        assert conn.execute(select(ivr_sessions)).first() is None
