"""Corporate online banking in the browser: a maker uploads a payroll file (first with a
bad line, which the report shows, then a good one), cannot approve it themselves; an
approver approves it and the employees' accounts hold the money; the ledger verifies."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from e2e.api.support import add_user, fixed_clock
from e2e.web.conftest import shot, sign_in
from ebank.application import banking, corporate
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.accounts import Account
from factories import BRANCH, bank_with_branch, deposit, individual, savings
from factories import corporate as corporate_customer

CSV = "text/csv"


def _balance(bank: Bank, account: Account) -> int:
    with bank.ctx.read() as uow:
        return uow.accounts.balances(account.id).ledger_minor


def test_a_payroll_file_is_checked_entered_by_a_maker_and_approved_by_another_user(
    page: Page, web_bank: Bank
) -> None:
    ctx = web_bank.ctx
    bank_with_branch(ctx)
    company = corporate_customer(ctx, BRANCH, name="北京星河科技有限公司")
    account = banking.open_account(ctx, company.number, "CUR", "CNY", BRANCH)
    deposit(ctx, account, 50_000_000)
    staff = add_user(web_bank, role=Role.SUPERVISOR, branch_code=BRANCH)
    maker = add_user(web_bank, role=Role.MAKER, customer_id=company.id)
    approver = add_user(web_bank, role=Role.APPROVER, customer_id=company.id)
    staff_actor = _actor(web_bank, staff.user_id)
    corporate.set_user_limits(
        ctx, staff_actor, company.number, maker.user_id, "CNY", 5_000_000, 10_000_000
    )
    employees = [
        savings(ctx, individual(ctx, BRANCH, name=name)) for name in ("李雷", "韩梅梅", "王芳")
    ]

    sign_in(page, web_bank, maker)
    expect(page).to_have_url(re.compile(r"/corporate$"))
    expect(page.get_by_role("heading", name="北京星河科技有限公司")).to_be_visible()
    expect(page.get_by_role("cell", name=account.number)).to_be_visible()
    shot(page, "corporate-dashboard")

    page.get_by_role("navigation", name="企业网银菜单").get_by_role("link", name="代发工资").click()
    wrong_name = (
        "account_number,name,amount,reference\n"
        f"{employees[0].number},李雷,8000.00,11月工资\n"
        f"{employees[1].number},韩梅梅,9500.50,11月工资\n"
        f"{employees[2].number},张伟,7000.00,11月工资\n"
    )
    _upload(page, account.number, wrong_name, count="3", total="24500.50")
    report = page.locator("section.report")
    expect(report.get_by_role("row").nth(1)).to_contain_text("4")
    expect(report).to_contain_text("账号与户名不符")
    shot(page, "corporate-payroll-report")
    assert _balance(web_bank, employees[0]) == 0

    good = wrong_name.replace("张伟", "王芳")
    _upload(page, account.number, good, count="3", total="24500.50")
    expect(page).to_have_url(re.compile(r"/corporate/payments/\d+\?done=submitted$"))
    expect(page.get_by_role("status")).to_contain_text("等待审批")
    expect(page.get_by_role("button", name="审批并付款")).to_have_count(0)
    payment_path = page.url.split("?")[0].removeprefix(page.url.split("/corporate")[0])
    # the maker forcing an approval through the form's address is refused
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "ebank_csrf")
    forced = page.request.post(f"{payment_path}/approve", form={"csrf_token": csrf})
    assert forced.status in (403, 422)
    assert _balance(web_bank, employees[0]) == 0

    page.get_by_role("button", name="退出").click()
    sign_in(page, web_bank, approver)
    expect(page.get_by_role("link", name=re.compile(r"#\d+"))).to_have_count(1)
    page.goto(payment_path)
    expect(page.get_by_role("cell", name="韩梅梅")).to_be_visible()
    shot(page, "corporate-approval")
    page.get_by_role("button", name="审批并付款").click()
    expect(page.get_by_role("status")).to_contain_text("已审批并入账")
    expect(page.locator("dl.facts")).to_contain_text("已审批并付款")

    assert [_balance(web_bank, e) for e in employees] == [800_000, 950_050, 700_000]
    assert _balance(web_bank, account) == 50_000_000 - 2_450_050
    assert verify_ledger(ctx).ok


def _upload(page: Page, debit: str, content: str, *, count: str, total: str) -> None:
    page.locator("#debit").select_option(debit)
    page.locator("#payroll").set_input_files(
        files=[{"name": "payroll.csv", "mimeType": CSV, "buffer": content.encode()}]
    )
    page.locator("#stated_count").fill(count)
    page.locator("#stated_total").fill(total)
    page.get_by_role("button", name="检查并提交审批").click()


def _actor(bank: Bank, user_id: int) -> Actor:
    with bank.ctx.read() as uow:
        user = uow.users.get(user_id)
    assert user is not None
    return Actor(user.user_id, user.username, UserKind.STAFF, user.role, branch_code=BRANCH)


def test_a_disputed_balance_reaches_the_back_office_which_resolves_it(
    page: Page, web_bank: Bank
) -> None:
    ctx = web_bank.ctx
    bank_with_branch(ctx)
    company = corporate_customer(ctx, BRANCH, name="上海明月贸易有限公司")
    account = banking.open_account(ctx, company.number, "CUR", "CNY", BRANCH)
    deposit(ctx, account, 1_234_500)
    approver = add_user(web_bank, role=Role.APPROVER, customer_id=company.id)
    maker = add_user(web_bank, role=Role.MAKER, customer_id=company.id)
    staff = add_user(web_bank, role=Role.SUPERVISOR, branch_code=BRANCH)
    fixed_clock(web_bank).advance(31 * 86400)  # the month of the deposit has closed

    sign_in(page, web_bank, approver)
    page.goto("/corporate/reconciliation")
    card = page.locator("section.card", has_text=account.number)
    expect(card).to_contain_text("¥12,345.00")
    card.get_by_label("或说明不符之处").fill("我方记录为 12,000.00 元")
    card.get_by_role("button", name="提出异议").click()
    expect(page.get_by_role("status")).to_contain_text("异议已提交")
    shot(page, "corporate-reconciliation")
    page.get_by_role("button", name="退出").click()

    sign_in(page, web_bank, staff)
    page.goto("/office/reconciliations")
    dispute = page.locator("section.card", has_text=account.number)
    expect(dispute).to_contain_text("我方记录为 12,000.00 元")
    shot(page, "office-reconciliations")
    dispute.get_by_label("处理说明").fill("已核对：差额为 11 月手续费，已退还")
    dispute.get_by_role("button", name="处理完毕").click()
    expect(page.get_by_role("status")).to_contain_text("异议已处理")
    expect(page.locator("section.card", has_text=account.number)).to_have_count(0)

    page.goto(f"/office/corporate?customer={company.number}")
    row = page.get_by_role("row", name=re.compile(maker.username))
    row.get_by_label("单笔").fill("20000")
    row.get_by_label("每日").fill("50000.00")
    row.get_by_role("button", name="设置限额").click()
    expect(page.get_by_role("status")).to_contain_text("限额已保存")
    expect(page.get_by_role("row", name=re.compile(maker.username))).to_contain_text("¥50,000.00")
    shot(page, "office-corporate-limits")
