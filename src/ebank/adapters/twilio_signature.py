"""Twilio-style webhook signatures, for the voice (IVR) and SMS webhooks alike."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping


def twilio_signature(token: str, url: str, params: Mapping[str, str]) -> str:
    """The signature Twilio sends: base64 HMAC-SHA1 of the URL followed by each POST
    parameter's name and value, sorted by name."""
    payload = url + "".join(f"{name}{params[name]}" for name in sorted(params))
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_ok(token: str, url: str, params: Mapping[str, str], signature: str) -> bool:
    """Whether ``signature`` is right; never true without a token or a signature."""
    if not token or not signature:
        return False
    return hmac.compare_digest(twilio_signature(token, url, params), signature)
