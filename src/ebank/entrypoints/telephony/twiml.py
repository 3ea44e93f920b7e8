"""The telephone banking menu as TwiML, for Twilio-compatible voice webhooks.

The provider POSTs ``CallSid``, ``From`` and (after a <Gather>) ``Digits`` to
``/telephony/twilio/voice``; every request must carry a valid ``X-Twilio-Signature``
(HMAC-SHA1 over the URL and the sorted POST parameters, keyed with the account's auth
token, ``EBANK_TWILIO_AUTH_TOKEN``): a bad or missing one is refused with 403, and
without a configured token every request is. The routes stay out of the OpenAPI
document (they speak XML to a telephony platform, not JSON to API clients).
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ebank.adapters.twilio_signature import signature_ok
from ebank.application import ivr
from ebank.application.ivr import IvrTurn
from ebank.bootstrap import Bank
from ebank.domain.step_up import StepUpPolicy
from ebank.entrypoints.telephony.speech import speech, speech_language

router = APIRouter()
VOICE_PATH = "/telephony/twilio/voice"
GATHER_TIMEOUT_S = 8
MAX_FORM_FIELDS = 64


def public_url(bank: Bank, request: Request) -> str:
    """The URL as the provider called it (behind a proxy: the configured public base)."""
    base = bank.settings.telephony_public_url.rstrip("/")
    if not base:
        return str(request.url)
    query = f"?{request.url.query}" if request.url.query else ""
    return f"{base}{request.url.path}{query}"


def step_up_policy(bank: Bank) -> StepUpPolicy:
    return StepUpPolicy(bank.settings.step_up_threshold_minor, bank.settings.step_up_ttl_s)


def render_twiml(turn: IvrTurn, action_url: str, agent_number: str) -> str:
    say = f"<Say language={quoteattr(speech_language(turn))}>{escape(speech(turn))}</Say>"
    if turn.end:
        if turn.agent and agent_number:
            tail = f"<Dial>{escape(agent_number)}</Dial>"
        else:
            tail = "<Hangup/>"
        body = say + tail
    else:
        gather = turn.gather
        assert gather is not None
        attributes = (
            f'input="dtmf" numDigits="{gather.max_digits}" timeout="{GATHER_TIMEOUT_S}"'
            f" finishOnKey={quoteattr(gather.finish_on_key)}"
            f' action={quoteattr(action_url)} method="POST"'
        )
        # No key pressed before the time-out: the call comes back without Digits,
        # which the menu counts as a try.
        redirect = f'<Redirect method="POST">{escape(action_url)}</Redirect>'
        body = f"<Gather {attributes}>{say}</Gather>{redirect}"
    return f'<?xml version="1.0" encoding="UTF-8"?><Response>{body}</Response>'


@router.post(VOICE_PATH, include_in_schema=False)
async def twilio_voice(request: Request) -> Response:
    bank: Bank = request.app.state.bank
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    params = {key: str(value) for key, value in form.items()}
    token = bank.settings.twilio_auth_token.get_secret_value()
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature_ok(token, public_url(bank, request), params, signature):
        return Response("signature not valid", status_code=403, media_type="text/plain")
    turn = await run_in_threadpool(
        ivr.handle,
        bank.ctx,
        params.get("CallSid", ""),
        params.get("From", ""),
        params.get("Digits", ""),
        step_up=step_up_policy(bank),
    )
    xml = render_twiml(turn, VOICE_PATH, bank.settings.ivr_agent_number)
    return Response(xml, media_type="application/xml")
