"""Telephone banking and SMS entry points (webhooks of telephony providers)."""
