"""Personal online banking in the browser: sign in with TOTP, the dashboard (also on a
phone), a transfer to a new payee confirmed with a one-time code (a wrong code first),
the transfer found in the history, the statement PDF; an over-limit transfer, a frozen
account and a locked user each get a clear message."""

from __future__ import annotations

from playwright.sync_api import Browser, Page, expect

from e2e.api.support import add_user, next_code
from e2e.web.conftest import shot, sign_in
from ebank.application import banking
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.accounts import AccountStatus
from ebank.domain.customers import Customer
from factories import bank_with_branch, deposit, funded_savings, individual, savings

BRANCH = "0100"


def _customer_with_money(bank: Bank, minor: int) -> tuple[Customer, str]:
    bank_with_branch(bank.ctx)
    person = individual(bank.ctx, BRANCH, name="王五")
    account = savings(bank.ctx, person)
    deposit(bank.ctx, account, minor)
    return person, account.number


def test_transfer_to_a_new_payee_with_a_one_time_code(page: Page, web_bank: Bank) -> None:
    person, number = _customer_with_money(web_bank, 2_000_000)
    payee = funded_savings(web_bank.ctx, 0, branch_code=BRANCH)
    user = add_user(web_bank, role=Role.CUSTOMER, customer_id=person.id)
    sign_in(page, web_bank, user)

    expect(page.get_by_role("heading", name="我的账户")).to_be_visible()
    expect(page.locator(".my-account .big")).to_contain_text("20,000.00")
    expect(page.locator("figure.chart svg[role=img] title")).to_contain_text(number)
    shot(page, "personal-dashboard")

    page.get_by_role("navigation", name="个人网银").get_by_role("link", name="转账").click()
    page.get_by_label("收款账号").fill(payee.number)
    page.get_by_label("金额", exact=True).fill("1234.56")
    page.get_by_label("给收款人的附言（可选）").fill("房租")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="确认转账")).to_be_visible()
    expect(page.locator(".my-summary")).to_contain_text("1,234.56")
    shot(page, "personal-transfer-confirm")

    page.get_by_label("动态验证码").fill(
        "000000" if next_code(web_bank, user) != "000000" else "111111"
    )
    page.get_by_role("button", name="确认并转出").click()
    expect(page.get_by_role("alert")).to_contain_text("验证码")
    page.get_by_label("动态验证码").fill(next_code(web_bank, user))
    page.get_by_role("button", name="确认并转出").click()
    expect(page.get_by_role("heading", name="转账成功")).to_be_visible()

    page.get_by_role("link", name="交易明细").last.click()
    page.get_by_label("收支").select_option("debit")
    page.get_by_role("button", name="查询").click()
    row = page.locator("tbody tr").filter(has_text="房租")
    expect(row).to_contain_text("1,234.56")
    expect(page.locator("tbody tr")).to_have_count(1)
    shot(page, "personal-history")

    page.get_by_role("navigation", name="个人网银").get_by_role("link", name="对账单").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="对账单（PDF）").first.click()
    path = download.value.path()
    assert path is not None
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/my")
    expect(page.locator(".my-account")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the dashboard scrolls sideways on a phone: {width}px"
    shot(page, "personal-dashboard-phone")


def test_over_limit_transfer_and_locked_user_are_explained(page: Page, web_bank: Bank) -> None:
    person, number = _customer_with_money(web_bank, 10_000_000)
    other = savings(web_bank.ctx, person)
    user = add_user(web_bank, role=Role.CUSTOMER, customer_id=person.id)
    sign_in(page, web_bank, user)
    page.goto("/my/transfers")
    page.get_by_label("收款方").select_option(f"acct:{other.number}")
    page.get_by_label("金额", exact=True).fill("60000")
    page.get_by_role("button", name="下一步").click()
    page.get_by_label("动态验证码").fill(next_code(web_bank, user))
    page.get_by_role("button", name="确认并转出").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("单笔限额")
    expect(alert).to_contain_text("50,000.00")

    # A frozen account (a court order, a dispute) refuses to pay, and says so.
    banking.change_status(web_bank.ctx, number, AccountStatus.FROZEN)
    page.goto("/my/transfers")
    page.get_by_label("付款账户").select_option(number)
    page.get_by_label("收款方").select_option(f"acct:{other.number}")
    page.get_by_label("金额", exact=True).fill("100")
    page.get_by_role("button", name="下一步").click()
    confirm = page.get_by_role("button", name="确认并转出")
    if confirm.count():
        confirm.click()
    expect(page.get_by_role("alert")).to_contain_text("冻结")
    shot(page, "personal-transfer-frozen")
    page.get_by_role("button", name="退出").click()

    for _ in range(5):
        page.goto("/login")
        page.locator("#username").fill(user.username)
        page.locator("#password").fill("not-the-password")
        page.locator("#otp").fill(next_code(web_bank, user))
        page.locator("form[action='/login'] button[type=submit]").click()
    page.goto("/login")
    page.locator("#username").fill(user.username)
    page.locator("#password").fill(user.password)
    page.locator("#otp").fill(next_code(web_bank, user))
    page.locator("form[action='/login'] button[type=submit]").click()
    expect(page.get_by_role("alert")).to_contain_text("锁定")


def test_a_message_to_the_bank_is_answered_by_the_branch(
    page: Page, browser: Browser, web_url: str, web_bank: Bank
) -> None:
    person, _ = _customer_with_money(web_bank, 100_000)
    user = add_user(web_bank, role=Role.CUSTOMER, customer_id=person.id)
    teller = add_user(web_bank, role=Role.TELLER, branch_code=BRANCH)
    sign_in(page, web_bank, user)
    for path, name in (
        ("/my/payees", "personal-payees"),
        ("/my/statements", "personal-statements"),
        ("/my/security", "personal-security"),
    ):
        page.goto(path)
        expect(page.locator("h1")).to_have_count(1)
        shot(page, name)
    page.goto("/my/messages")
    page.get_by_label("类型").select_option("complaint")
    page.get_by_label("事项").select_option("fees")
    page.get_by_label("主题").fill("短信费")
    page.get_by_label("留言内容").fill("为什么收短信费？")
    page.get_by_role("button", name="发送").click()
    expect(page.get_by_role("status")).to_contain_text("留言已发送")

    staff = browser.new_context(base_url=web_url, locale="zh-CN").new_page()
    sign_in(staff, web_bank, teller)
    staff.goto("/office/tickets")
    staff.get_by_role("link", name="短信费").click()
    shot(staff, "office-ticket")
    staff.get_by_label("答复客户").fill("这是短信通知服务费。")
    staff.get_by_role("button", name="发送答复").click()
    expect(staff.get_by_role("status")).to_contain_text("答复已发送")
    staff.context.close()

    page.reload()
    expect(page.locator(".my-note.answer")).to_contain_text("这是短信通知服务费。")
    expect(page.locator(".my-ticket")).to_contain_text("已答复")
    shot(page, "personal-messages")
