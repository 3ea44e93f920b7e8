"""The Bank API: customers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["customers"])
