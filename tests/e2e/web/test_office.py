"""The back office in the browser: a teller's shift at the counter (a cash deposit, then
the count at the end of the shift, balanced and then with a difference); onboarding a
customer whose identity number is checked, and a freeze the teller asks for and a
supervisor approves; the auditor's audit log."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.api.support import add_user
from e2e.web.conftest import shot, sign_in
from ebank.application import ledger
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.accounts import AccountStatus, GlKind
from factories import BRANCH, HEAD_OFFICE, bank_with_branch, gl, individual, posting, savings


def _balance(bank: Bank, number: str) -> tuple[int, AccountStatus]:
    with bank.ctx.read() as uow:
        account = uow.accounts.by_number(number)
        assert account is not None
        return uow.accounts.balances(account.id).ledger_minor, account.status


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="退出").click()
    expect(page.get_by_role("heading", name="登录网上银行")).to_be_visible()


def test_a_teller_takes_a_deposit_and_balances_the_box(page: Page, web_bank: Bank) -> None:
    ctx = web_bank.ctx
    bank_with_branch(ctx)
    ledger.post_one(
        ctx, posting(gl(ctx, GlKind.CASH, BRANCH), gl(ctx, GlKind.CAPITAL, HEAD_OFFICE), 10**8)
    )
    account = savings(ctx, individual(ctx, BRANCH), branch_code=BRANCH)
    teller = add_user(web_bank, role=Role.TELLER, branch_code=BRANCH)

    sign_in(page, web_bank, teller)
    expect(page.get_by_role("heading", name="网点概览")).to_be_visible()
    expect(page.get_by_role("link", name="审计")).to_have_count(0)  # not a teller's menu

    page.get_by_role("link", name="柜台").click()
    page.get_by_label("从金库领取的备用金（人民币）").fill("10000.00")
    page.get_by_role("button", name="开始营业").click()
    expect(page.get_by_role("status")).to_contain_text("已开始营业")
    page.locator("#deposit-account").fill(account.number)
    page.locator("#deposit-amount").fill("2000.00")
    page.get_by_role("button", name="收入现金").click()
    expect(page.get_by_role("status")).to_contain_text("现金存款已入账")
    expect(page.locator("#box-balance")).to_contain_text("12,000.00")
    assert _balance(web_bank, account.number)[0] == 200_000
    shot(page, "office-counter")

    page.get_by_label("尾箱清点金额（人民币）").fill("12000.00")
    page.get_by_role("button", name="清点并轧账").click()
    expect(page.locator(".shift-result")).to_contain_text("账实相符")

    page.get_by_label("从金库领取的备用金（人民币）").fill("1000.00")
    page.get_by_role("button", name="开始营业").click()
    page.get_by_label("尾箱清点金额（人民币）").fill("900.00")
    page.get_by_role("button", name="清点并轧账").click()
    expect(page.locator(".shift-result")).to_contain_text("已记录差额")
    expect(page.get_by_role("region", name="轧账结果")).to_contain_text("-¥100.00")
    shot(page, "office-counter-difference")

    page.get_by_role("link", name="概览").click()
    expect(page.get_by_text("客户交易 1 笔，其中柜台以外 0 笔").first).to_be_visible()
    shot(page, "office-dashboard")


def test_onboarding_a_freeze_approved_and_the_audit_log(page: Page, web_bank: Bank) -> None:
    bank_with_branch(web_bank.ctx)
    teller = add_user(web_bank, role=Role.TELLER, branch_code=BRANCH)
    supervisor = add_user(web_bank, role=Role.SUPERVISOR, branch_code=BRANCH)
    auditor = add_user(web_bank, role=Role.AUDITOR, branch_code=BRANCH)

    sign_in(page, web_bank, teller)
    page.get_by_role("link", name="客户").click()
    page.get_by_role("link", name="新客户开户").click()
    page.get_by_label("姓名").fill("李四")
    page.get_by_label("电子邮箱").fill("li.si@example.com")
    page.get_by_label("证件号码").fill("110105194912310021")  # one digit mistyped
    page.get_by_role("button", name="开立客户").click()
    expect(page.get_by_role("alert")).to_contain_text("校验位不正确")
    page.get_by_label("证件号码").fill("11010519491231002x")
    page.get_by_role("button", name="开立客户").click()
    expect(page.get_by_role("status")).to_contain_text("客户已开立")
    expect(page.get_by_text("110***********002X")).to_be_visible()  # masked
    expect(page.get_by_text("li.si@example.com")).to_be_visible()  # kept through the retry
    page.get_by_role("button", name="开立账户").click()
    expect(page.get_by_role("status")).to_contain_text("账户已开立")
    number = page.locator("#status-account option").first.get_attribute("value")
    assert number is not None
    page.get_by_label("原因").fill("法院冻结通知书")
    page.get_by_role("button", name="提交审批").click()
    expect(page.get_by_role("status")).to_contain_text("已提交主管审批")
    shot(page, "office-customer-360")
    assert _balance(web_bank, number)[1] is AccountStatus.ACTIVE
    _sign_out(page)

    sign_in(page, web_bank, supervisor)
    page.get_by_role("link", name="审批").click()
    expect(page.get_by_role("heading", name=f"Freeze {number}", exact=False)).to_be_visible()
    shot(page, "office-approvals")
    page.get_by_label("原因").fill("已核对法院文书")
    page.get_by_role("button", name="批准").click()
    expect(page.get_by_role("status")).to_contain_text("已批准")
    expect(page.get_by_text("没有待审批的事项。")).to_be_visible()
    assert _balance(web_bank, number)[1] is AccountStatus.FROZEN
    _sign_out(page)

    sign_in(page, web_bank, auditor)
    page.get_by_role("link", name="审计").click()
    expect(page.locator("#chain-status")).to_contain_text("审计链完整")
    expect(page.get_by_role("cell", name="approval.approve")).to_be_visible()
    shot(page, "office-audit")
