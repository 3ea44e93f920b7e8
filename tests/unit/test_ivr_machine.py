"""The telephone banking state machine (pure): transitions, retries, and amounts in
words for the speech engine."""

from __future__ import annotations

from dataclasses import replace

from ebank.domain.ivr import on_digits, on_outcome, parse_amount, start
from ebank.domain.ivr_model import ActionKind, Outcome, Session, State
from ebank.domain.ivr_prompts import EN, ZH, amount_words, zh_number


def _ids(step_say: tuple[object, ...]) -> list[str]:
    return [p.id for p in step_say]  # type: ignore[attr-defined]


def _menu(authenticated: bool = True) -> Session:
    return Session(state=State.MENU, language=EN, customer_id=7, authenticated=authenticated)


def test_a_call_starts_with_the_language_choice_then_asks_for_a_number() -> None:
    first = start()
    assert first.session.state is State.LANGUAGE and first.gather is not None
    step = on_digits(first.session, "2")
    assert step.session.language == EN and step.session.state is State.IDENTIFY
    assert _ids(step.say) == ["enter_number"]
    assert step.action is None and step.gather is not None and step.gather.finish_on_key == "#"


def test_three_invalid_tries_before_sign_in_end_the_call_politely() -> None:
    session = start().session
    first = on_digits(session, "7")
    second = on_digits(first.session, "")
    assert first.session.tries == 1 and second.session.tries == 2
    assert _ids(second.say) == ["invalid_choice", "choose_language"]
    third = on_digits(second.session, "#")
    assert third.end and not third.agent
    assert _ids(third.say)[-1] == "goodbye" and third.session.state is State.ENDED


def test_three_invalid_tries_after_sign_in_go_to_an_agent() -> None:
    session = replace(_menu(), tries=2)
    step = on_digits(session, "8")
    assert step.action is not None and step.action.kind is ActionKind.AGENT
    done = on_outcome(step.session, ActionKind.AGENT, Outcome(ok=True))
    assert done.end and done.agent and "too_many_tries" in done.session.done


def test_a_good_choice_resets_the_tries() -> None:
    step = on_digits(replace(_menu(), tries=2), "5")
    assert step.session.state is State.PIN_NEW and step.session.tries == 0


def test_the_pin_is_checked_by_the_use_case_and_never_kept() -> None:
    session = Session(state=State.PIN, language=ZH, customer_id=7)
    step = on_digits(session, "135790")
    assert step.action is not None and step.action.kind is ActionKind.VERIFY_PIN
    assert "135790" not in repr(step)
    wrong = on_outcome(step.session, ActionKind.VERIFY_PIN, Outcome(ok=False, reason="wrong"))
    assert wrong.session.state is State.PIN and wrong.session.tries == 1
    locked = on_outcome(step.session, ActionKind.VERIFY_PIN, Outcome(ok=False, reason="locked"))
    assert locked.end and _ids(locked.say) == ["pin_locked", "goodbye"]
    ok = on_outcome(step.session, ActionKind.VERIFY_PIN, Outcome(ok=True))
    assert ok.session.authenticated and ok.session.state is State.MENU


def test_star_at_the_pin_prompt_reports_a_card_lost_by_identity_number() -> None:
    session = Session(state=State.PIN, language=ZH, customer_id=7)
    step = on_digits(session, "*")
    assert step.session.state is State.LOSS_IDENTITY
    checked = on_digits(step.session, "11010119900101123*")
    assert checked.action is not None and checked.action.value.endswith("X")
    cards = on_outcome(checked.session, ActionKind.VERIFY_IDENTITY, Outcome(ok=True))
    assert cards.session.loss_only and cards.action is not None
    assert cards.action.kind is ActionKind.LIST_CARDS
    # Only loss reports: the menu is never offered on the identity number.
    listed = on_outcome(
        cards.session, ActionKind.LIST_CARDS, Outcome(ok=True, choices=((3, "1234"),))
    )
    chosen = on_digits(listed.session, "1")
    reported = on_outcome(
        on_digits(chosen.session, "1").session, ActionKind.REPORT_LOST, Outcome(ok=True)
    )
    assert reported.end and "menu" not in _ids(reported.say)


def test_a_transfer_is_read_back_and_done_only_on_confirmation() -> None:
    session = replace(_menu(), account_id=1, account_label="0001", currency="CNY")
    listed = on_outcome(
        on_digits(session, "3").session,
        ActionKind.LIST_TARGETS,
        Outcome(ok=True, choices=((2, "0002"),)),
    )
    assert listed.session.state is State.TRANSFER_TARGET
    bad_pick = on_digits(listed.session, "4")
    assert bad_pick.action is not None and bad_pick.action.kind is ActionKind.LIST_TARGETS
    amount = on_digits(on_digits(listed.session, "1").session, "12*5")
    assert amount.session.state is State.TRANSFER_CONFIRM
    assert dict(amount.say[0].args)["amount_minor"] == "1250"
    assert amount.action is None
    confirmed = on_digits(amount.session, "1")
    assert confirmed.action is not None and confirmed.action.kind is ActionKind.TRANSFER
    refused = on_outcome(
        confirmed.session, ActionKind.TRANSFER, Outcome(ok=False, reason="limit_exceeded")
    )
    assert _ids(refused.say) == ["refused", "menu"] and refused.session.amount_minor == 0


def test_no_email_on_file_offers_fax_or_the_menu() -> None:
    period = on_digits(on_digits(_menu(), "6").session, "2")
    asked = on_digits(period.session, "1")  # by e-mail
    assert asked.action is not None and asked.action.kind is ActionKind.QUEUE_STATEMENT
    assert asked.action.value == ""
    none = on_outcome(asked.session, ActionKind.QUEUE_STATEMENT, Outcome(False, "no_email"))
    assert none.session.state is State.STATEMENT_NO_EMAIL and none.gather is not None
    assert _ids(none.say) == ["no_email_on_file"]
    assert "statement_no_email" in none.session.done
    assert _ids(on_digits(none.session, "7").say) == ["invalid_choice", "no_email_on_file"]
    assert on_digits(none.session, "1").session.state is State.STATEMENT_FAX
    back = on_digits(none.session, "2")
    assert back.session.state is State.MENU and _ids(back.say) == ["menu"]
    queued = on_outcome(asked.session, ActionKind.QUEUE_STATEMENT, Outcome(ok=True))
    assert _ids(queued.say) == ["statement_queued", "menu"]


def test_amounts_from_key_presses() -> None:
    assert parse_amount("12*5") == 1250
    assert parse_amount("100") == 10_000
    assert parse_amount("0*07") == 7
    for bad in ("", "*5", "1*234", "0", "1**2", "9" * 13):
        assert parse_amount(bad) is None


def test_amounts_in_words() -> None:
    assert amount_words(123_450, "CNY", EN) == (
        "one thousand two hundred thirty-four yuan and fifty fen"
    )
    assert amount_words(123_450, "CNY", ZH) == "一千二百三十四元五角"
    assert amount_words(100_005, "CNY", ZH) == "一千元零五分"
    assert amount_words(50, "CNY", ZH) == "五角"
    assert amount_words(-1_000, "USD", EN) == "minus ten dollars"
    assert zh_number(10_0000_0001) == "十亿零一"
    assert zh_number(1_0010) == "一万零一十"
    assert zh_number(15) == "十五"
    assert zh_number(20_0300) == "二十万零三百"
