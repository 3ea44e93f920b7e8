"""The telephone banking menu as one state machine (pure: no I/O, no clock).

A call is a ``Session``. Each key press (``on_digits``) gives a ``Step``: prompts to say,
the next state, and maybe an ``Action`` the use case must perform (look the caller up,
check a PIN, move money...). The use case reports how the action went with an
``Outcome`` (``on_outcome``), which gives the next ``Step``. Every prompt allows
``MAX_TRIES`` tries; after that a caller who is not yet identified hears a goodbye and
one who is goes to an agent.

The session keeps only what the next turn needs: never a PIN (a new PIN is remembered by
its verification value, to compare the repeated entry), never the digits of a card.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from itertools import pairwise

from ebank.domain.ivr_model import (
    ASKS,
    MAX_AMOUNT_DIGITS,
    MAX_NUMBER_LENGTH,
    MAX_TRIES,
    PIN_LENGTH,
    Action,
    ActionKind,
    Outcome,
    Prompt,
    Session,
    State,
    Step,
)
from ebank.domain.ivr_prompts import EN, ZH

_RELIST = {
    State.TRANSFER_TARGET: ActionKind.LIST_TARGETS,
    State.LOSS_CARD: ActionKind.LIST_CARDS,
}


def start() -> Step:
    session = Session()
    return Step(session, (Prompt("welcome"), Prompt("choose_language")))


def _ask(session: Session, state: State, *before: Prompt) -> Step:
    """Move to ``state`` (a fresh set of tries) and ask its question."""
    moved = replace(session, state=state, tries=0)
    return Step(moved, (*before, Prompt(ASKS[state])))


def _menu(session: Session, *before: Prompt) -> Step:
    cleared = replace(session, choices=(), chosen=0, chosen_label="", amount_minor=0, token="")
    return _ask(cleared, State.MENU, *before)


def _retry(session: Session, why: str = "invalid_choice", again: tuple[Prompt, ...] = ()) -> Step:
    """The same question again, or the end of the tries."""
    tries = session.tries + 1
    if tries >= MAX_TRIES:
        ended = replace(session, tries=tries)
        if session.authenticated:
            return Step(ended.did("too_many_tries"), (Prompt(why),), Action(ActionKind.AGENT))
        return _end(ended, Prompt(why), Prompt("too_many_tries"))
    asked = again or ((Prompt(ASKS[session.state]),) if session.state in ASKS else ())
    relist = _RELIST.get(session.state)  # a list is read out again from fresh data
    action = Action(relist) if relist is not None else None
    return Step(replace(session, tries=tries), (Prompt(why), *asked), action)


def _end(session: Session, *before: Prompt) -> Step:
    return Step(replace(session, state=State.ENDED), (*before, Prompt("goodbye")), end=True)


def _act(session: Session, kind: ActionKind, value: str = "") -> Step:
    return Step(session, action=Action(kind, value))


def on_digits(session: Session, digits: str) -> Step:
    """The caller pressed ``digits`` (empty: nothing before the time-out)."""
    handler = _ON_DIGITS.get(session.state)
    if handler is None:
        return _end(session)
    return handler(session, digits.strip())


def _language(session: Session, digits: str) -> Step:
    if digits not in ("1", "2"):
        return _retry(session)
    return _ask(replace(session, language=ZH if digits == "1" else EN), State.IDENTIFY)


def _identify(session: Session, digits: str) -> Step:
    if not (6 <= len(digits) <= MAX_NUMBER_LENGTH and digits.isdigit()):
        return _retry(session, "number_unknown")
    return _act(session, ActionKind.IDENTIFY, digits)


def _pin(session: Session, digits: str) -> Step:
    if digits == "*":
        return _ask(session, State.LOSS_IDENTITY)
    if len(digits) != PIN_LENGTH or not digits.isdigit():
        return _retry(session, "pin_wrong")
    return _act(session, ActionKind.VERIFY_PIN, digits)


def _loss_identity(session: Session, digits: str) -> Step:
    # The keypad has no X: star stands for it (the check digit of a resident ID).
    identity = digits.replace("*", "X")
    if not 6 <= len(identity) <= MAX_NUMBER_LENGTH or not identity.replace("X", "").isdigit():
        return _retry(session, "identity_wrong")
    return _act(session, ActionKind.VERIFY_IDENTITY, identity)


_MENU_ACTIONS = {
    "1": ActionKind.BALANCE,
    "2": ActionKind.HISTORY,
    "3": ActionKind.LIST_TARGETS,
    "4": ActionKind.LIST_CARDS,
    "0": ActionKind.AGENT,
}


def _menu_choice(session: Session, digits: str) -> Step:
    if digits in _MENU_ACTIONS:
        return _act(session, _MENU_ACTIONS[digits])
    if digits == "5":
        return _ask(session, State.PIN_NEW)
    if digits == "6":
        return _ask(session, State.STATEMENT_PERIOD)
    if digits == "9":
        return _end(session)
    return _retry(session)


def _pick(session: Session, digits: str) -> tuple[int, str] | None:
    if len(digits) == 1 and digits.isdigit() and 1 <= int(digits) <= len(session.choices):
        return session.choices[int(digits) - 1]
    return None


def _transfer_target(session: Session, digits: str) -> Step:
    chosen = _pick(session, digits)
    if chosen is None:
        return _retry(session)
    picked = replace(session, chosen=chosen[0], chosen_label=chosen[1])
    return _ask(picked, State.TRANSFER_AMOUNT)


def parse_amount(digits: str, exponent: int = 2) -> int | None:
    """Key presses as an amount in minor units: star is the decimal point ("12*5" is
    12.50); None when they are not an amount."""
    whole, _, fraction = digits.partition("*")
    if not whole.isdigit() or len(whole) > MAX_AMOUNT_DIGITS:
        return None
    if fraction and (not fraction.isdigit() or len(fraction) > exponent):
        return None
    minor = int(whole) * 10**exponent + int(fraction.ljust(exponent, "0") or "0")
    return minor if minor > 0 else None


def _transfer_amount(session: Session, digits: str) -> Step:
    amount = parse_amount(digits)
    if amount is None:
        return _retry(session)
    moved = replace(session, amount_minor=amount, state=State.TRANSFER_CONFIRM, tries=0)
    return Step(moved, (_confirm_transfer_prompt(moved),))


def _transfer_confirm(session: Session, digits: str) -> Step:
    if digits == "1":
        return _act(session, ActionKind.TRANSFER)
    if digits == "2":
        return _menu(session.did("transfer_cancelled"), Prompt("cancelled"))
    return _retry(session, again=(_confirm_transfer_prompt(session),))


def _confirm_transfer_prompt(session: Session) -> Prompt:
    return Prompt.of(
        "confirm_transfer",
        amount_minor=str(session.amount_minor),
        currency=session.currency,
        from_last4=session.account_label,
        to_last4=session.chosen_label,
    )


def _loss_card(session: Session, digits: str) -> Step:
    chosen = _pick(session, digits)
    if chosen is None:
        return _retry(session)
    moved = replace(
        session, chosen=chosen[0], chosen_label=chosen[1], state=State.LOSS_CONFIRM, tries=0
    )
    return Step(moved, (Prompt.of("confirm_loss", last4=chosen[1]),))


def _loss_confirm(session: Session, digits: str) -> Step:
    if digits == "1":
        return _act(session, ActionKind.REPORT_LOST)
    if digits == "2":
        if session.loss_only:
            return _end(session, Prompt("cancelled"))
        return _menu(session, Prompt("cancelled"))
    return _retry(session, again=(Prompt.of("confirm_loss", last4=session.chosen_label),))


def new_pin_acceptable(pin: str) -> bool:
    """Six digits, not all the same and not a run (123456, 654321)."""
    if len(pin) != PIN_LENGTH or not pin.isdigit() or len(set(pin)) == 1:
        return False
    steps = {int(b) - int(a) for a, b in pairwise(pin)}
    return steps not in ({1}, {-1})


def _pin_new(session: Session, digits: str) -> Step:
    if not new_pin_acceptable(digits):
        return _retry(session, "pin_too_simple")
    return _act(session, ActionKind.NEW_PIN, digits)


def _pin_repeat(session: Session, digits: str) -> Step:
    if len(digits) != PIN_LENGTH or not digits.isdigit():
        return _retry(session, "pin_mismatch")
    return _act(session, ActionKind.CHANGE_PIN, digits)


def _statement_period(session: Session, digits: str) -> Step:
    if digits not in ("1", "2"):
        return _retry(session)
    chosen = replace(session, period="this_month" if digits == "1" else "last_month")
    return _ask(chosen, State.STATEMENT_DELIVERY)


def _statement_delivery(session: Session, digits: str) -> Step:
    if digits == "1":
        return _act(session, ActionKind.QUEUE_STATEMENT, "")
    if digits == "2":
        return _ask(session, State.STATEMENT_FAX)
    return _retry(session)


def _statement_fax(session: Session, digits: str) -> Step:
    if not (5 <= len(digits) <= 20 and digits.isdigit()):
        return _retry(session)
    return _act(session, ActionKind.QUEUE_STATEMENT, digits)


def _statement_no_email(session: Session, digits: str) -> Step:
    if digits == "1":
        return _ask(session, State.STATEMENT_FAX)
    if digits == "2":
        return _menu(session)
    return _retry(session)


_ON_DIGITS = {
    State.LANGUAGE: _language,
    State.IDENTIFY: _identify,
    State.PIN: _pin,
    State.LOSS_IDENTITY: _loss_identity,
    State.MENU: _menu_choice,
    State.TRANSFER_TARGET: _transfer_target,
    State.TRANSFER_AMOUNT: _transfer_amount,
    State.TRANSFER_CONFIRM: _transfer_confirm,
    State.LOSS_CARD: _loss_card,
    State.LOSS_CONFIRM: _loss_confirm,
    State.PIN_NEW: _pin_new,
    State.PIN_REPEAT: _pin_repeat,
    State.STATEMENT_PERIOD: _statement_period,
    State.STATEMENT_DELIVERY: _statement_delivery,
    State.STATEMENT_FAX: _statement_fax,
    State.STATEMENT_NO_EMAIL: _statement_no_email,
}


def on_outcome(session: Session, kind: ActionKind, outcome: Outcome) -> Step:
    """How the action ``kind`` that the last step asked for went."""
    return _ON_OUTCOME[kind](session, outcome)


def _identified(session: Session, outcome: Outcome) -> Step:
    if not outcome.ok:
        return _retry(session, "number_unknown")
    found = replace(
        session,
        customer_id=outcome.customer_id,
        account_id=outcome.account_id,
        account_label=outcome.account_label,
        currency=outcome.currency,
    )
    return _ask(found, State.PIN)


def _pin_checked(session: Session, outcome: Outcome) -> Step:
    if outcome.ok:
        return _menu(replace(session, authenticated=True))
    if outcome.reason in ("locked", "not_set"):
        prompt = "pin_locked" if outcome.reason == "locked" else "pin_not_set"
        return _end(session.did(f"pin_{outcome.reason}"), Prompt(prompt))
    return _retry(session.did("wrong_pin"), "pin_wrong")


def _identity_checked(session: Session, outcome: Outcome) -> Step:
    if not outcome.ok:
        return _retry(session, "identity_wrong")
    return _act(replace(session, loss_only=True, tries=0), ActionKind.LIST_CARDS)


def _read_out(what: str) -> _OutcomeHandler:
    def handler(session: Session, outcome: Outcome) -> Step:
        return _menu(session.did(what), *outcome.say)

    return handler


def _listed(state: State, empty: str) -> _OutcomeHandler:
    def handler(session: Session, outcome: Outcome) -> Step:
        if not outcome.choices:
            if session.loss_only:
                return _end(session, Prompt(empty))
            return _menu(session, Prompt(empty))
        tries = session.tries if session.state is state else 0
        listed = replace(session, state=state, tries=tries, choices=outcome.choices)
        return Step(listed, outcome.say)

    return handler


def _done_or_refused(done: str, prompt: str) -> _OutcomeHandler:
    def handler(session: Session, outcome: Outcome) -> Step:
        if outcome.ok:
            finished = session.did(done)
            if session.loss_only:
                return _end(finished, Prompt(prompt))
            return _menu(finished, Prompt(prompt))
        refused = session.did(f"{done}_refused:{outcome.reason}")
        reason = Prompt.of("refused", code=outcome.reason)
        if session.loss_only:
            return _end(refused, reason)
        return _menu(refused, reason)

    return handler


def _new_pin_taken(session: Session, outcome: Outcome) -> Step:
    return _ask(replace(session, token=outcome.token), State.PIN_REPEAT)


def _pin_changed(session: Session, outcome: Outcome) -> Step:
    if outcome.ok:
        return _menu(session.did("pin_changed"), Prompt("pin_changed"))
    # Start over from the first entry, counting this as a try of the new PIN.
    again = replace(session, state=State.PIN_NEW, token="")
    return _retry(again, "pin_mismatch")


def _statement_queued(session: Session, outcome: Outcome) -> Step:
    if outcome.reason == "no_email":  # the bank holds no address: offer fax or the menu
        return _ask(session.did("statement_no_email"), State.STATEMENT_NO_EMAIL)
    return _done_or_refused("statement_queued", "statement_queued")(session, outcome)


def _agent(session: Session, outcome: Outcome) -> Step:
    ended = replace(session.did("agent"), state=State.ENDED)
    return Step(ended, (Prompt("agent"),), end=True, agent=True)


_OutcomeHandler = Callable[[Session, Outcome], Step]

_ON_OUTCOME: dict[ActionKind, _OutcomeHandler] = {
    ActionKind.IDENTIFY: _identified,
    ActionKind.VERIFY_PIN: _pin_checked,
    ActionKind.VERIFY_IDENTITY: _identity_checked,
    ActionKind.BALANCE: _read_out("balance"),
    ActionKind.HISTORY: _read_out("history"),
    ActionKind.LIST_TARGETS: _listed(State.TRANSFER_TARGET, "no_other_account"),
    ActionKind.TRANSFER: _done_or_refused("transfer", "transfer_done"),
    ActionKind.LIST_CARDS: _listed(State.LOSS_CARD, "no_cards"),
    ActionKind.REPORT_LOST: _done_or_refused("card_reported_lost", "card_reported_lost"),
    ActionKind.NEW_PIN: _new_pin_taken,
    ActionKind.CHANGE_PIN: _pin_changed,
    ActionKind.QUEUE_STATEMENT: _statement_queued,
    ActionKind.AGENT: _agent,
}
