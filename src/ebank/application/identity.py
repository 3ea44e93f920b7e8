"""Use cases of identity: users, sign-in with a second factor, sessions and tokens."""

from __future__ import annotations

from ebank.application.context import Context
from ebank.domain.access import Actor
from ebank.domain.errors import TokenInvalid


def actor_for_token(ctx: Context, access_token: str, client_address: str) -> Actor:
    """The actor a valid access token speaks for; ``TokenInvalid`` (or its subclasses
    ``TokenExpired``, ``TokenRevoked``) otherwise."""
    raise TokenInvalid("not implemented yet")
