"""The monitoring centre in the browser: an operator opens the terminals page from the
back-office menu, sees every terminal with its state and cash per cassette and the open
alarms (a fault at night, a silent ATM), and acknowledges one; a teller has no such
menu entry and is refused the page."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from e2e.api.support import add_user, fixed_clock
from e2e.web.conftest import shot, sign_in
from ebank.application import monitoring, terminals
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.domain.monitoring import AlarmStatus
from ebank.domain.terminals import Cassette
from factories import BRANCH, bank_with_branch, deposit, savings

NIGHT_OFFSET_S = 14 * 3600  # from 09:00 to 23:00 in Shanghai


def test_an_operator_acknowledges_an_alarm(page: Page, web_bank: Bank) -> None:
    ctx = web_bank.ctx
    bank_with_branch(ctx)
    deposit(ctx, savings(ctx, branch_code=BRANCH), 10_000_000, BRANCH)
    cassettes = (Cassette(1, "CNY", 10_000, 300, 50), Cassette(2, "CNY", 5_000, 40, 50))
    for terminal_id, where in (("ATM00001", "大堂"), ("ATM00002", "地铁站")):
        terminals.register_atm(ctx, None, terminal_id, BRANCH, "ZPK-TEST-1", where, cassettes)
    fixed_clock(web_bank).advance(NIGHT_OFFSET_S)
    monitoring.heartbeat(ctx, "ATM00001")
    [fault] = monitoring.report_status(ctx, "ATM00001", "fault", "吞卡 card jam")
    monitoring.check_alarms(ctx)  # ATM00002 never reported; both have cassette 2 low
    operator = add_user(web_bank, role=Role.OPERATIONS, branch_code=BRANCH)

    sign_in(page, web_bank, operator)
    page.get_by_role("link", name="终端监控").click()
    expect(page.get_by_role("heading", name="终端监控", level=1)).to_be_visible()
    row = page.locator("tr[data-terminal='ATM00001']")
    expect(row).to_contain_text("故障")
    expect(row).to_contain_text("钞箱 2")
    expect(row).to_contain_text("不足")
    expect(page.locator("tr[data-terminal='ATM00002']")).to_contain_text("从未")
    alarm = page.locator(f"tr[data-alarm='{fault.alarm_id}']")
    expect(alarm).to_contain_text("严重")  # a fault at night
    expect(alarm).to_contain_text("吞卡 card jam")
    expect(page.locator("tr[data-alarm]")).to_have_count(4)  # fault, silent, 2 x cash low
    shot(page, "office-terminals")

    alarm.get_by_role("button", name="确认告警").click()
    expect(page.get_by_role("status")).to_contain_text("告警已确认")
    alarm = page.locator(f"tr[data-alarm='{fault.alarm_id}']")
    expect(alarm).to_contain_text("已确认")
    expect(alarm.get_by_role("button", name="确认告警")).to_have_count(0)
    [taken] = [a for a in monitoring.list_alarms(ctx, None) if a.alarm_id == fault.alarm_id]
    assert taken.status is AlarmStatus.ACKNOWLEDGED and taken.acknowledged_by == operator.user_id


def test_the_page_is_for_operations(page: Page, web_bank: Bank) -> None:
    bank_with_branch(web_bank.ctx)
    teller = add_user(web_bank, role=Role.TELLER, branch_code=BRANCH)
    sign_in(page, web_bank, teller)
    expect(page.get_by_role("link", name="终端监控")).to_have_count(0)
    response = page.goto("/office/terminals")  # refused as every page refuses: 422
    assert response is not None and response.status == 422
    expect(page.get_by_role("heading", name="全部终端")).to_have_count(0)
