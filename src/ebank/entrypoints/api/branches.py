"""The Bank API: branches."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["branches"])
