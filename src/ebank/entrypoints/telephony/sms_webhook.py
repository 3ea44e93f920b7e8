"""The SMS webhook (Twilio-style): inbound messages and delivery statuses, signed with
``X-Twilio-Signature`` (checked against ``EBANK_SMS_WEBHOOK_TOKEN``; without a token
the route refuses everything). Replies go out through the outbox relay."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from starlette.concurrency import run_in_threadpool

from ebank.adapters.twilio_signature import signature_ok
from ebank.application.sms_banking import SmsBanking
from ebank.domain.errors import DomainError
from ebank.entrypoints.error_codes import answer_for_error
from ebank.entrypoints.web.i18n import translations

router = APIRouter()
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
PATH = "/telephony/sms/twilio"


def explain_error(error: DomainError, language: str) -> str:
    """The one error table's text, in Chinese from the errors catalogue."""
    text = answer_for_error(error).text
    return translations(language).gettext(text) if language.startswith("zh") else text


@router.post(PATH, include_in_schema=False)
async def twilio_sms(request: Request) -> Response:
    bank = request.app.state.bank
    form = {key: str(value) for key, value in (await request.form()).items()}
    token = bank.settings.sms_webhook_token.get_secret_value()
    url = bank.settings.sms_webhook_public_url or str(request.url)
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature_ok(token, url, form, signature):
        return Response("signature not valid", status_code=403, media_type="text/plain")
    inbox = SmsBanking(bank.ctx, "webhook", explain_error)
    if "Body" in form and "From" in form:
        await run_in_threadpool(
            inbox.inbound, form["From"], form["Body"], form.get("MessageSid", "")
        )
    elif "MessageStatus" in form and "MessageSid" in form:
        delivered = form["MessageStatus"] == "delivered"
        if form["MessageStatus"] in ("delivered", "failed", "undelivered"):
            await run_in_threadpool(inbox.receipt, form["MessageSid"], delivered)
    return Response(EMPTY_TWIML, media_type="application/xml")
