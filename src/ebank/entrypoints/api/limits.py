"""The Bank API: limits."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["limits"])
