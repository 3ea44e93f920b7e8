"""Signing in through the browser, in both languages; a wrong one-time code is refused
with a clear message."""

from __future__ import annotations

import re

import pyotp
from playwright.sync_api import Page, expect

from e2e.api.support import TEST_PASSWORD, add_user, code_now, fixed_clock
from e2e.web.conftest import shot
from ebank.application import identity
from ebank.bootstrap import Bank
from ebank.domain.access import Role, UserKind
from factories import bank_with_branch, individual


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


def test_first_sign_in_sets_up_the_authenticator_app(page: Page, web_bank: Bank) -> None:
    bank_with_branch(web_bank.ctx)
    customer = individual(web_bank.ctx, "0100")
    identity.create_user(
        web_bank.ctx,
        username="new.customer",
        password=TEST_PASSWORD,
        kind=UserKind.CUSTOMER,
        role=Role.CUSTOMER,
        display_name="New customer",
        customer_id=customer.id,
    )
    page.goto("/login")
    page.locator("#username").fill("new.customer")
    page.locator("#password").fill(TEST_PASSWORD)
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.get_by_role("heading", name="设置身份验证器应用")).to_be_visible()
    expect(page.locator(".qr svg")).to_be_visible()
    shot(page, "enrol-authenticator")
    secret = page.locator("code").inner_text().strip()
    clock = fixed_clock(web_bank)
    clock.advance(30)
    code = pyotp.TOTP(secret).at(clock.now_us() // 1_000_000)
    page.locator("#otp").fill(code)
    page.locator("form[action='/enrol'] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/my$"))
    # The enrolment-only session is gone: the pages now need the full session, which works.
    page.goto("/my")
    expect(page).to_have_url(re.compile(r"/my$"))
