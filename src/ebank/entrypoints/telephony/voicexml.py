"""The telephone banking menu as VoiceXML 2.1, for PBXs that speak it.

The PBX fetches ``/telephony/vxml/voice`` with ``call_id`` (its call identifier),
``caller`` and, on later turns, ``digits`` (GET query or POST form). Each answer is one
VoiceXML document: a prompt and a DTMF field whose value is submitted back, or a goodbye
with <disconnect/> (or a <transfer> to the agent line). These routes are meant for the
bank's own network, where the PBX sits; they stay out of the OpenAPI document.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ebank.application import ivr
from ebank.application.ivr import IvrTurn
from ebank.bootstrap import Bank
from ebank.entrypoints.telephony.speech import speech, speech_language
from ebank.entrypoints.telephony.twiml import step_up_policy

router = APIRouter()
VOICE_PATH = "/telephony/vxml/voice"
MAX_FORM_FIELDS = 16
VXML_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<vxml version="2.1" xmlns="http://www.w3.org/2001/vxml" xml:lang={lang}>'
)


def _dtmf_grammar(max_digits: int) -> str:
    keys = "".join(f"<item>{k}</item>" for k in "0123456789*")
    return (
        '<grammar mode="dtmf" version="1.0" root="keys"'
        ' xmlns="http://www.w3.org/2001/06/grammar">'
        f'<rule id="keys"><item repeat="1-{max_digits}"><one-of>{keys}</one-of></item></rule>'
        "</grammar>"
    )


def _js_string(value: str) -> str:
    """A value as an ECMAScript string literal inside an attribute."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def render_vxml(turn: IvrTurn, action_url: str, agent_number: str) -> str:
    head = VXML_HEAD.format(lang=quoteattr(speech_language(turn)))
    prompt = f"<prompt>{escape(speech(turn))}</prompt>"
    if turn.end:
        if turn.agent and agent_number:
            tail = f'<transfer name="agent" dest={quoteattr("tel:" + agent_number)} bridge="true"/>'
            return f'{head}<form id="end"><block>{prompt}</block>{tail}</form></vxml>'
        return f'{head}<form id="end"><block>{prompt}<disconnect/></block></form></vxml>'
    gather = turn.gather
    assert gather is not None
    submit = f'<submit next={quoteattr(action_url)} method="post" namelist="call_id digits"/>'
    termchar = gather.finish_on_key or "#"
    return (
        f"{head}"
        f'<var name="call_id" expr={quoteattr(_js_string(turn.call_id))}/>'
        '<form id="turn"><var name="digits" expr="\'\'"/>'
        f'<property name="inputmodes" value="dtmf"/>'
        f'<property name="termchar" value={quoteattr(termchar)}/>'
        '<property name="interdigittimeout" value="5s"/>'
        f'<field name="entry">{_dtmf_grammar(gather.max_digits)}{prompt}'
        f"<noinput>{submit}</noinput><nomatch>{submit}</nomatch>"
        f'<filled><assign name="digits" expr="entry"/>{submit}</filled>'
        "</field></form></vxml>"
    )


@router.api_route(VOICE_PATH, methods=["GET", "POST"], include_in_schema=False)
async def vxml_voice(request: Request) -> Response:
    bank: Bank = request.app.state.bank
    params = dict(request.query_params)
    if request.method == "POST":
        form = await request.form(max_fields=MAX_FORM_FIELDS)
        params.update({key: str(value) for key, value in form.items()})
    # A DTMF grammar's result is the keys separated by spaces: join them.
    digits = params.get("digits", "").replace(" ", "")
    turn = await run_in_threadpool(
        ivr.handle,
        bank.ctx,
        params.get("call_id", ""),
        params.get("caller", ""),
        digits,
        step_up=step_up_policy(bank),
    )
    xml = render_vxml(turn, VOICE_PATH, bank.settings.ivr_agent_number)
    return Response(xml, media_type="application/voicexml+xml")
