"""Onboarding an individual at the counter, with the identity document checked
(``identity_documents``)."""

from __future__ import annotations

from ebank.application import account_services
from ebank.application.context import Context
from ebank.domain.access import Actor
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier


def onboard_individual(
    ctx: Context,
    actor: Actor,
    name: str,
    id_type: IdType,
    id_number: str,
    phone: str = "",
    tier: Tier = Tier.STANDARD,
    email: str = "",
) -> Customer:
    """A new individual customer of the actor's branch; a resident identity number must
    be a valid one (checked by ``account_services.onboard_customer``; a refused attempt
    is audited like any refused staff request)."""
    return account_services.onboard_customer(
        ctx,
        actor,
        CustomerKind.INDIVIDUAL,
        name.strip(),
        id_type,
        id_number.strip(),
        tier=tier,
        phone=phone.strip(),
        email=email.strip(),
    )
