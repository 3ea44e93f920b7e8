"""Browser tests: Debian's Chromium driven by Playwright (never a downloaded browser),
against the bank served for real on a loopback port (SQLite; the API tests cover
PostgreSQL). Each test may save screenshots with ``shot(page, name)`` into
``var/test-report/screenshots/``.

Set ``EBANK_TEST_CHROMIUM`` to use another Chromium binary.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from e2e.api.support import TestUser, next_code
from ebank.adapters.clock import FixedClock
from ebank.adapters.db.engine import make_engine, upgrade
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.entrypoints.api.server import serving_in_thread

CHROMIUM = os.environ.get("EBANK_TEST_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[3] / "var" / "test-report" / "screenshots"
TEST_EPOCH_US = 1_794_013_200_000_000


# Per module, not per session: Playwright's synchronous API keeps an event loop running
# in the main thread while it is open, which would break later tests that start their
# own (asyncio.run).
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists() and shutil.which(CHROMIUM) is None:
        pytest.fail(f"Chromium is required for the browser tests: {CHROMIUM} is missing")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def web_bank(tmp_path: Path) -> Iterator[Bank]:
    """A bank on SQLite with a fixed clock, limits that let a test do its work."""
    url = f"sqlite:///{tmp_path / 'ebank.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    settings = Settings(
        database_url=url,
        environment="test",
        access_token_ttl_s=3600,
        rate_limit_per_address="100000/minute",
        rate_limit_per_user="100000/minute",
    )
    bank = build(settings, clock=FixedClock(TEST_EPOCH_US))
    yield bank
    bank.close()


@pytest.fixture
def web_url(web_bank: Bank) -> Iterator[str]:
    with serving_in_thread(web_bank) as url:
        yield url


@pytest.fixture
def page(browser: Browser, web_url: str) -> Iterator[Page]:
    """A fresh browser context (no cookies) on a phone-sized or desktop screen."""
    context = browser.new_context(
        base_url=web_url, viewport={"width": 1280, "height": 900}, locale="zh-CN"
    )
    page = context.new_page()
    yield page
    context.close()


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as a test artifact."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Page, bank: Bank, user: TestUser) -> None:
    """Sign in through the sign-in page with password and a fresh one-time code."""
    page.goto("/login")
    page.get_by_label("用户名").or_(page.get_by_label("User name")).fill(user.username)
    page.locator("#password").fill(user.password)
    page.locator("#otp").fill(next_code(bank, user))
    page.locator("form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
