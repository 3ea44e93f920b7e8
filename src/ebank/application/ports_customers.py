"""Ports of the customer-facing read side and services: beneficiaries, filtered
transaction history, statements and their documents."""

from __future__ import annotations

from typing import Protocol


class BeneficiaryStore(Protocol):
    """A customer's saved payees."""


class DocumentRenderer(Protocol):
    """Renders statements as documents (PDF)."""
