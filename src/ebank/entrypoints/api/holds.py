"""The Bank API: holds."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["holds"])
