"""Signing in through the browser, in both languages; a wrong one-time code is refused
with a clear message."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.api.support import add_user, code_now
from e2e.web.conftest import shot
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from factories import bank_with_branch


def test_sign_in_page_in_both_languages_and_a_wrong_code(page: Page, web_bank: Bank) -> None:
    bank_with_branch(web_bank.ctx)
    teller = add_user(web_bank, role=Role.TELLER, branch_code="0100")
    page.goto("/login")
    expect(page.get_by_role("heading", name="登录网上银行")).to_be_visible()
    shot(page, "login-zh")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Sign in to online banking")).to_be_visible()
    shot(page, "login-en")
    page.get_by_label("User name").fill(teller.username)
    page.get_by_label("Password").fill(teller.password)
    wrong = "000000" if code_now(web_bank, teller) != "000000" else "111111"
    page.get_by_label("One-time code").fill(wrong)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not right")
    shot(page, "login-wrong-code")
