"""Cards in the browser: a teller issues a card at /office/cards/issue; its holder sees it
at /my/cards (masked), reports it lost, is refused a wrong one-time code with a clear
message, lifts the report with the right one, and changes a limit within the bank's
maximum (and is refused above it)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.api.support import add_user, code_now, next_code
from e2e.web.conftest import shot, sign_in
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from factories import bank_with_branch, individual, savings


def test_issue_report_lost_and_lift_with_a_one_time_code(page: Page, web_bank: Bank) -> None:
    branch = bank_with_branch(web_bank.ctx)
    customer = individual(web_bank.ctx, branch.code, name="王小明")
    account = savings(web_bank.ctx, customer)
    teller = add_user(web_bank, role=Role.TELLER, branch_code=branch.code)
    holder = add_user(web_bank, role=Role.CUSTOMER, customer_id=customer.id)

    # The teller issues the card at the counter.
    sign_in(page, web_bank, teller)
    page.goto("/office/cards/issue")
    page.get_by_label("客户号").fill(customer.number)
    page.get_by_label("银行卡关联的账户（储蓄或结算账户）").fill(account.number)
    page.get_by_role("button", name="发卡").click()
    expect(page.get_by_role("status")).to_contain_text("已发卡：6217 **** **** ")
    shot(page, "office-card-issue")
    masked = page.get_by_role("status").inner_text().split("：")[1].strip()
    page.get_by_role("button", name="退出").click()

    # The holder sees it masked, and reports it lost.
    sign_in(page, web_bank, holder)
    page.goto("/my/cards")
    expect(page.get_by_role("heading", name="我的银行卡")).to_be_visible()
    expect(page.get_by_role("heading", name=masked)).to_be_visible()
    expect(page.locator(".card-status")).to_have_text("正常")
    page.get_by_role("button", name="挂失").click()
    expect(page.get_by_role("status")).to_contain_text("银行卡已挂失")
    expect(page.locator(".card-status")).to_have_text("已挂失")

    # A wrong one-time code is refused, clearly; the right one lifts the report.
    right = code_now(web_bank, holder)
    wrong = f"{(int(right) + 500_000) % 1_000_000:06d}"
    page.get_by_label("动态验证码").fill(wrong)
    page.get_by_role("button", name="解除挂失").click()
    expect(page.get_by_role("alert")).to_contain_text("动态验证码不正确")
    expect(page.locator(".card-status")).to_have_text("已挂失")
    page.get_by_label("动态验证码").fill(next_code(web_bank, holder))
    page.get_by_role("button", name="解除挂失").click()
    expect(page.get_by_role("status")).to_contain_text("已解除挂失")
    expect(page.locator(".card-status")).to_have_text("正常")

    # Limits: above the bank's maximum is refused; within it is saved.
    page.get_by_text("修改银行卡限额").click()
    page.get_by_label("每日取现金额").fill("999999")
    page.get_by_role("button", name="保存限额").click()
    expect(page.get_by_role("alert")).to_contain_text("超过银行规定的最高限额")
    page.get_by_text("修改银行卡限额").click()
    page.get_by_label("每日取现金额").fill("5000")
    page.get_by_label("每日取现次数").fill("3")
    page.get_by_role("button", name="保存限额").click()
    expect(page.get_by_role("status")).to_contain_text("银行卡限额已保存")
    expect(page.locator(".bank-card dl")).to_contain_text("¥5,000.00 · 3 次")
    shot(page, "personal-cards")
    assert len(masked) == 19 and "*" in masked  # never the full number on any page
