"""The Bank API: transfers."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["transfers"])
