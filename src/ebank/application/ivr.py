"""Telephone banking: one turn of a call.

``handle`` is called by the voice webhooks (TwiML, VoiceXML) with the call's id and the
keys the caller pressed. It loads the call's session (``ivr_sessions``), feeds the keys
to the state machine (``ebank.domain.ivr``), performs the actions the machine asks for
(``ivr_actions``) and saves the session; the entry point renders the returned
``IvrTurn`` in its markup. Key presses are never logged nor stored: the session keeps
only what the state machine needs.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields

from ebank.application.context import Context
from ebank.application.ivr_actions import perform
from ebank.application.ports_ivr import StoredCall
from ebank.domain.errors import InvalidInput
from ebank.domain.ivr import on_digits, on_outcome, start
from ebank.domain.ivr_model import Gather, Prompt, Session, State, Step
from ebank.domain.step_up import StepUpPolicy

MAX_CALL_ID_LENGTH = 64
MAX_CALLER_LENGTH = 32
MAX_DIGITS_LENGTH = 40
# One turn may chain a few actions (identity checked -> cards listed): never more.
MAX_ACTIONS_PER_TURN = 4
DEFAULT_STEP_UP = StepUpPolicy(threshold_minor=500_000, ttl_s=300)


@dataclass(frozen=True, slots=True)
class IvrTurn:
    """What to say, in which language, and what to collect next (None: nothing)."""

    call_id: str
    language: str
    say: tuple[Prompt, ...]
    gather: Gather | None
    end: bool
    agent: bool  # hand the call to an agent after saying ``say``


def _session_json(session: Session) -> str:
    return json.dumps(asdict(session), ensure_ascii=False, separators=(",", ":"))


def _session_from(call: StoredCall) -> Session:
    raw = json.loads(call.data)
    known = {f.name for f in fields(Session)}
    values = {k: v for k, v in raw.items() if k in known}
    values["state"] = State(values.get("state", State.LANGUAGE))
    values["choices"] = tuple((int(i), str(label)) for i, label in values.get("choices", ()))
    values["done"] = tuple(values.get("done", ()))
    return Session(**values)


def _check(call_id: str, caller: str, digits: str) -> None:
    if not call_id or len(call_id) > MAX_CALL_ID_LENGTH or not call_id.isprintable():
        raise InvalidInput("a call id is 1 to 64 printable characters")
    if len(caller) > MAX_CALLER_LENGTH:
        raise InvalidInput("the caller's number is too long")
    if len(digits) > MAX_DIGITS_LENGTH or any(c not in "0123456789*#" for c in digits):
        raise InvalidInput("key presses are 0-9, * and #")


def handle(
    ctx: Context,
    call_id: str,
    caller: str,
    digits: str,
    *,
    step_up: StepUpPolicy = DEFAULT_STEP_UP,
) -> IvrTurn:
    """One turn of the call ``call_id``: the keys pressed since the last prompt (the
    first turn of a call ignores them and greets the caller)."""
    _check(call_id, caller, digits)
    digits = digits.rstrip("#")
    with ctx.read() as uow:
        stored = uow.ivr.call(call_id)
    if stored is None:
        step = start()
    elif stored.ended_at_us is not None:
        ended = _session_from(stored)
        return IvrTurn(call_id, ended.language, (Prompt("goodbye"),), None, True, False)
    else:
        step = on_digits(_session_from(stored), digits)
    for _ in range(MAX_ACTIONS_PER_TURN):
        if step.action is None:
            break
        outcome = perform(ctx, step.session, step.action, call_id, step_up)
        said = step.say
        step = on_outcome(step.session, step.action.kind, outcome)
        step = Step(step.session, said + step.say, step.action, step.end, step.agent)
    assert step.action is None, "the state machine settles within a turn"
    _save(ctx, stored, call_id, caller, step)
    session = step.session
    return IvrTurn(call_id, session.language, step.say, step.gather, step.end, step.agent)


def _save(ctx: Context, stored: StoredCall | None, call_id: str, caller: str, step: Step) -> None:
    now = ctx.clock.now_us()
    session = step.session
    call = StoredCall(
        call_id=call_id,
        language=session.language,
        state=session.state.value,
        customer_id=session.customer_id or None,
        data=_session_json(session),
        caller=stored.caller if stored else caller,
        created_at_us=stored.created_at_us if stored else now,
        updated_at_us=now,
        ended_at_us=now if step.end else None,
    )
    with ctx.uow() as uow:
        uow.ivr.save_call(call)
        uow.commit()


def call_record(ctx: Context, call_id: str) -> StoredCall | None:
    """The stored call (for tests and the call centre)."""
    with ctx.read() as uow:
        return uow.ivr.call(call_id)
