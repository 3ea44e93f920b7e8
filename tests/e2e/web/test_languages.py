"""No untranslated text: every message of the web pages has a Chinese translation, and
the pages a personal customer, a corporate user and a teller reach from their menus show
no English words in Chinese and no Chinese in English (data aside)."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from e2e.api.support import add_user
from e2e.web.conftest import sign_in
from ebank.application import account_services, banking, cards
from ebank.bootstrap import Bank
from ebank.domain.access import Role
from ebank.entrypoints.web.messages import missing_translations
from factories import bank_with_branch, corporate, individual, savings

# Words that are not language: the brand, the other language's name, currency codes.
_ALLOWED_WORDS = {"ebank", "English", "CNY", "USD", "EUR", "HKD", "JPY", "GBP", "US", "PDF", "CSV"}
_WORD = re.compile(r"[A-Za-z]{2,}")
# The browser's own user agent, shown (shortened) in a list of signed-in sessions.
_USER_AGENT = re.compile(r"Mozilla/\d\S*.*")
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Visible text nodes of the page (not scripts or styles, not hidden).
_VISIBLE_TEXTS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    const parent = node.parentElement;
    if (!text || !parent || ['SCRIPT', 'STYLE'].includes(parent.tagName)) continue;
    if (!parent.checkVisibility || parent.checkVisibility()) out.push(text);
  }
  out.push(document.title);
  return out;
}"""


def test_every_message_of_the_pages_has_a_chinese_translation() -> None:
    missing = missing_translations()
    assert not missing, "\n".join(f"{m.where}: {m.text!r}" for m in missing)


def _problems(texts: list[str], lang: str, data: set[str]) -> list[str]:
    found = []
    for text in texts:
        rest = _USER_AGENT.sub(" ", text)
        for item in sorted(data, key=len, reverse=True):
            rest = rest.replace(item, " ")
        if lang == "zh_CN":
            words = [w for w in _WORD.findall(rest) if w not in _ALLOWED_WORDS]
            if words:
                found.append(text)
        elif _HAN.search(rest.replace("中文", "")):
            found.append(text)
    return found


def _menu_links(page: Page) -> list[str]:
    hrefs = page.eval_on_selector_all(
        "header nav.main a", "links => links.map(a => a.getAttribute('href'))"
    )
    return [h for h in hrefs if h and h.startswith("/")]


def test_the_main_pages_of_each_user_speak_one_language(page: Page, web_bank: Bank) -> None:
    ctx = web_bank.ctx
    branch = bank_with_branch(ctx)
    person = individual(ctx, branch.code, name="李四")
    account = savings(ctx, person)
    cards.issue_card(ctx, None, person.number, account.number)
    company = corporate(ctx, branch.code, name="北京某某科技有限公司")
    banking.open_account(ctx, company.number, "CUR", "CNY", None)
    roles = ("customer", "approver", "teller")
    users = [
        (add_user(web_bank, role=Role.CUSTOMER, customer_id=person.id), ["/my/cards"]),
        (add_user(web_bank, role=Role.APPROVER, customer_id=company.id), []),
        (add_user(web_bank, role=Role.TELLER, branch_code=branch.code), ["/office/cards/issue"]),
    ]
    branches = {b.name for b in account_services.list_branches(ctx)}
    data = {person.name, company.name, *branches}
    # add_user's display names ("Test teller teller3").
    data |= {f"Test {r} {u.username}" for (u, _), r in zip(users, roles, strict=True)}
    data |= {u.username for u, _ in users}
    problems: list[str] = []
    for user, extra in users:
        page.context.clear_cookies()
        sign_in(page, web_bank, user)
        links = list(dict.fromkeys([*_menu_links(page), *extra]))
        if not links:
            problems.append(f"{user.username} ({page.url}): no menu to follow")
        for lang in ("zh_CN", "en"):
            page.goto(f"/lang/{lang}?back=/")
            for link in links:
                response = page.goto(link)
                status = response.status if response else 0
                if status >= 500:
                    problems.append(f"{lang} {link}: HTTP {status}")
                    continue
                for text in _problems(page.evaluate(_VISIBLE_TEXTS), lang, data):
                    problems.append(f"{lang} {link}: {text!r}")
    assert not problems, "\n".join(problems)
