"""The call centre in the browser: an operations agent opens the call centre from the
back-office menu, sees the queue with the breached complaint first among the breached,
opens it, sees the caller seen whole (accounts, cards, past tickets), takes the ticket,
acknowledges it and blocks the caller's card after matching the identity number; a
teller has no such menu entry and is refused the page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.api.support import add_user, fixed_clock
from e2e.web.conftest import shot, sign_in
from ebank.application import callcentre, cards, tickets
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from factories import BRANCH, bank_with_branch, deposit, individual, savings


def test_an_agent_works_the_queue(page: Page, web_bank: Bank) -> None:
    ctx = web_bank.ctx
    bank_with_branch(ctx)
    person = individual(ctx, BRANCH, name="李四")
    account = savings(ctx, person, branch_code=BRANCH)
    deposit(ctx, account, 50_000, BRANCH)
    card = cards.issue_card(ctx, None, person.number, account.number)
    late = tickets.create_ticket_for_customer(
        ctx,
        person.id,
        kind="complaint",
        category="service",
        subject="柜台服务态度差",
        body="来电投诉柜台服务。",
        channel="ivr",
        context="客户已查询余额",
    )
    fixed_clock(web_bank).advance(25 * 3600)  # past the complaint's 24 hours
    callcentre.check_slas(ctx, ctx.clock.now_us())
    tickets.create_ticket_for_customer(
        ctx,
        person.id,
        kind="inquiry",
        category="cards",
        subject="卡片寄送进度",
        body="询问新卡何时寄到。",
        channel="sms",
    )
    agent = add_user(web_bank, role=Role.OPERATIONS, branch_code=BRANCH)

    sign_in(page, web_bank, agent)
    page.get_by_role("link", name="客户服务中心").click()
    expect(page.get_by_role("heading", name="客户服务中心", level=1)).to_be_visible()
    expect(page.locator("tr[data-ticket]")).to_have_count(2)
    row = page.locator(f"tr[data-ticket='{late.id}']")
    expect(row).to_contain_text("未按时受理")
    expect(row).to_contain_text("电话银行")
    shot(page, "office-callcentre")
    page.get_by_label("仅超时").check()
    page.get_by_role("button", name="显示").click()
    expect(page.locator("tr[data-ticket]")).to_have_count(1)

    row = page.locator(f"tr[data-ticket='{late.id}']")
    row.get_by_role("link", name="柜台服务态度差").click()
    expect(page.get_by_text("客户已查询余额")).to_be_visible()
    expect(page.get_by_role("heading", name="来电客户: 李四")).to_be_visible()
    expect(page.get_by_text("卡片寄送进度")).to_be_visible()  # a past ticket
    page.get_by_role("button", name="由我处理").click()
    expect(page.get_by_role("status")).to_contain_text("工单已分配")
    page.get_by_label("新状态").select_option("acknowledged")
    page.get_by_role("button", name="更改状态").click()
    expect(page.locator("dd[data-status]")).to_have_attribute("data-status", "acknowledged")

    page.get_by_label("客户报出的证件号码").fill(person.id_number)
    page.get_by_role("button", name="挂失该卡").click()
    expect(page.get_by_role("status")).to_contain_text("该卡已临时挂失")
    as_agent = Actor(agent.user_id, agent.username, UserKind.STAFF, Role.OPERATIONS, None, BRANCH)
    [seen] = cards.cards_of_customer(ctx, as_agent, person.id)
    assert (seen.id, seen.status) == (card.id, "temporarily_blocked")


def test_the_call_centre_is_for_agents(page: Page, web_bank: Bank) -> None:
    bank_with_branch(web_bank.ctx)
    teller = add_user(web_bank, role=Role.TELLER, branch_code=BRANCH)
    sign_in(page, web_bank, teller)
    expect(page.get_by_role("link", name="客户服务中心")).to_have_count(0)
    response = page.goto("/office/callcentre")  # refused as every page refuses: 422
    assert response is not None and response.status == 422
    expect(page.get_by_role("heading", name="工单队列")).to_have_count(0)
