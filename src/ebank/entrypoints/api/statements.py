"""The Bank API: statements."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["statements"])
