"""The Bank API: account freeze and unfreeze (under dual control)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["accounts"])
