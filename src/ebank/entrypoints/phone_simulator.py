"""``ebank phone``: a caller in the terminal. It plays a call against the telephone
banking webhooks over HTTP, as the telephony platform would: TwiML by default (each
request signed like Twilio signs it, with ``EBANK_TWILIO_AUTH_TOKEN``) or VoiceXML with
``--vxml``. It shows what the IVR says and sends the keys the person types (what a
caller types is sent, never printed back)."""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ebank.adapters.twilio_signature import twilio_signature
from ebank.entrypoints.telephony.twiml import VOICE_PATH as TWIML_PATH
from ebank.entrypoints.telephony.voicexml import VOICE_PATH as VXML_PATH

VXML_NS = "{http://www.w3.org/2001/vxml}"
MAX_TURNS = 200


@dataclass(frozen=True, slots=True)
class Heard:
    """One answer of the IVR: what it said and whether it waits for keys."""

    text: str
    waiting: bool
    agent: bool
    max_digits: int = 0


def parse_twiml(xml: str) -> Heard:
    root = ET.fromstring(xml)  # noqa: S314 - our own server's answer
    text = " ".join((say.text or "") for say in root.iter("Say"))
    gather = root.find("Gather")
    return Heard(
        text=text,
        waiting=gather is not None,
        agent=root.find("Dial") is not None,
        max_digits=int(gather.get("numDigits", "0")) if gather is not None else 0,
    )


def parse_vxml(xml: str) -> Heard:
    root = ET.fromstring(xml)  # noqa: S314 - our own server's answer
    text = " ".join("".join(p.itertext()) for p in root.iter(f"{VXML_NS}prompt"))
    return Heard(
        text=text,
        waiting=root.find(f".//{VXML_NS}field") is not None,
        agent=root.find(f".//{VXML_NS}transfer") is not None,
    )


class PhoneCall:
    """One call to the IVR at ``base_url``; ``press`` sends keys and returns the answer."""

    def __init__(
        self,
        client: httpx.Client,
        *,
        vxml: bool = False,
        token: str = "",
        caller: str = "+8613800000000",
        call_id: str | None = None,
    ) -> None:
        self.client = client
        self.vxml = vxml
        self.token = token
        self.caller = caller
        self.call_id = call_id or f"CA{uuid.uuid4().hex}"

    def start(self) -> Heard:
        return self._post({})

    def press(self, keys: str) -> Heard:
        return self._post({"digits": keys})

    def _post(self, sent: dict[str, str]) -> Heard:
        if self.vxml:
            form = {"call_id": self.call_id, "caller": self.caller, **sent}
            answer = self.client.post(VXML_PATH, data=form)
            answer.raise_for_status()
            return parse_vxml(answer.text)
        form = {"CallSid": self.call_id, "From": self.caller, "AccountSid": "AC-ebank"}
        if "digits" in sent:
            form["Digits"] = sent["digits"]
        url = str(self.client.base_url).rstrip("/") + TWIML_PATH
        headers = {"X-Twilio-Signature": twilio_signature(self.token, url, form)}
        answer = self.client.post(TWIML_PATH, data=form, headers=headers)
        answer.raise_for_status()
        return parse_twiml(answer.text)


def play(call: PhoneCall, ask: Callable[[], str], show: Callable[[str], None]) -> None:
    """Play the call: show each answer, read keys until the IVR hangs up."""
    heard = call.start()
    for _ in range(MAX_TURNS):
        show(heard.text)
        if not heard.waiting:
            show("[transferred to an agent]" if heard.agent else "[call ended]")
            return
        heard = call.press(ask().strip())
