"""The demo bank: shaped like the seed's (陇南), a head office, 9 county sub-branches and
43 outlets, a few thousand customers and a few months of everyday banking.

Everything goes through the same use cases and the same ledger engine as real work;
the demo only chooses what happens, with a seeded random generator, on a simulated clock
that walks day by day through the months.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ebank.application import banking
from ebank.application.context import Context
from ebank.application.ledger import expire_due, post_batch
from ebank.application.ports import UnitOfWork
from ebank.domain.accounts import Account, GlKind
from ebank.domain.branches import BranchKind
from ebank.domain.codes import TxCode
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier, customer_number
from ebank.domain.transfers import Result, Transfer, TransferKind

HEAD_OFFICE = ("0001", "陇南分行 Longnan head office")
# County sub-branches (县支行) with their outlets (营业网点): 9 counties, 43 outlets.
COUNTIES: tuple[tuple[str, str, str, int], ...] = (
    ("0100", "武都", "621202", 8),
    ("0200", "成县", "621221", 5),
    ("0300", "文县", "621222", 5),
    ("0400", "宕昌", "621223", 4),
    ("0500", "康县", "621224", 4),
    ("0600", "西和", "621225", 5),
    ("0700", "礼县", "621226", 5),
    ("0800", "徽县", "621227", 4),
    ("0900", "两当", "621228", 3),
)
OUTLET_NAMES = ("城关", "东江", "汉王", "安化", "角弓", "马街", "石门", "琵琶", "洛塘", "鱼龙")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅建国志文斌"
TRADES = ("农业", "茶叶", "中药材", "建材", "商贸", "运输", "电信", "医药", "食品", "矿业")
DEMO_START = datetime(2026, 8, 1, 9, 0, tzinfo=UTC)
MAX_DAY_BATCH = 8000


@dataclass
class DemoSummary:
    branches: int = 0
    customers: int = 0
    accounts: int = 0
    transfers: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    days: int = 0


class _SimulatedClock:
    def __init__(self, start: datetime) -> None:
        self.at = start

    def now_us(self) -> int:
        delta = self.at - datetime(1970, 1, 1, tzinfo=UTC)
        return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds

    def today(self) -> date:
        return self.at.date()


def resident_id(rng: random.Random, region: str) -> str:
    """A well-formed 18-digit resident identity number (GB 11643, ISO 7064 MOD 11-2)."""
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))
    body = f"{region}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(int(d) * w for d, w in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


@dataclass
class _Population:
    individuals: list[Account] = field(default_factory=list)  # savings accounts
    corporates: list[Account] = field(default_factory=list)  # settlement accounts
    foreign: list[Account] = field(default_factory=list)  # USD settlement accounts
    employees: dict[int, list[Account]] = field(default_factory=dict)  # payroll lists
    cash: dict[str, Account] = field(default_factory=dict)  # per outlet
    fee_income: Account | None = None
    interest_expense: Account | None = None


def build_demo(
    ctx: Context,
    seed: int = 2026,
    customers: int = 3000,
    months: int = 3,
    progress: Callable[[str, int, int], None] | None = None,
) -> DemoSummary:
    rng = random.Random(seed)  # noqa: S311 - made-up customers, not security
    clock = _SimulatedClock(DEMO_START)
    ctx = replace(ctx, clock=clock)
    summary = DemoSummary()
    outlets = _branches(ctx, summary)
    people = _customers(ctx, rng, outlets, customers, summary)
    life = _Business(ctx, rng, people, summary)
    life.fund_vaults()
    life.opening_deposits()
    last_day = DEMO_START + timedelta(days=30 * months)
    day = DEMO_START
    total_days = (last_day - DEMO_START).days
    while day < last_day:
        clock.at = day + timedelta(hours=rng.randrange(0, 8))
        life.one_day(clock.at.date())
        summary.days += 1
        if progress is not None:
            progress("transactions", summary.days, total_days)
        day += timedelta(days=1)
    clock.at = last_day
    expire_due(ctx)  # card holds never completed are released after their time-out
    return summary


def _branches(ctx: Context, summary: DemoSummary) -> list[str]:
    banking.add_branch(
        ctx, HEAD_OFFICE[0], HEAD_OFFICE[1], BranchKind.HEAD_OFFICE, None, currencies=("CNY", "USD")
    )
    outlets: list[str] = []
    for code, county, _region, n in COUNTIES:
        banking.add_branch(ctx, code, f"{county}县支行", BranchKind.SUB_BRANCH, HEAD_OFFICE[0])
        for i in range(1, n + 1):
            outlet = f"{code[:2]}{i:02d}"
            banking.add_branch(
                ctx, outlet, f"{county}{OUTLET_NAMES[i - 1]}营业所", BranchKind.OUTLET, code
            )
            outlets.append(outlet)
    summary.branches = 1 + len(COUNTIES) + len(outlets)
    return outlets


def _customers(
    ctx: Context, rng: random.Random, outlets: list[str], count: int, summary: DemoSummary
) -> _Population:
    people = _Population()
    region = {code[:2]: reg for code, _c, reg, _n in COUNTIES}
    corporate_count = max(1, count // 10)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        first = uow.sequences.next_block(banking.CUSTOMER_SERIAL, count)
        made: list[Customer] = []
        for i in range(count):
            outlet = rng.choice(outlets)
            corporate = i < corporate_count
            serial = first + i
            if corporate:
                county = next(c for code, c, _r, _n in COUNTIES if code[:2] == outlet[:2])
                name = f"{county}{rng.choice(TRADES)}有限公司{serial}"
                kind, id_type = CustomerKind.CORPORATE, IdType.BUSINESS_LICENCE
                id_number = f"91{region[outlet[:2]]}MA{serial:08d}"
                tier = rng.choice((Tier.STANDARD, Tier.SILVER, Tier.GOLD))
            else:
                name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
                kind, id_type = CustomerKind.INDIVIDUAL, IdType.RESIDENT_ID
                id_number = resident_id(rng, region[outlet[:2]])
                tier = rng.choices(list(Tier), weights=(80, 12, 6, 2))[0]
            made.append(
                Customer(
                    id=serial,
                    number=customer_number(serial),
                    kind=kind,
                    name=name,
                    tier=tier,
                    id_type=id_type,
                    id_number=id_number,
                    branch_code=outlet,
                    phone=f"13{rng.randrange(10**9):09d}",
                )
            )
        made = list({(c.id_type, c.id_number): c for c in made}.values())
        uow.customers.add_many(made, now)
        accounts = _open_accounts(uow, rng, made, people, now)
        uow.accounts.add_many(accounts)
        for outlet in outlets:
            cash = uow.accounts.gl_account(outlet, GlKind.CASH, "CNY")
            assert cash is not None
            people.cash[outlet] = cash
        people.fee_income = uow.accounts.gl_account(HEAD_OFFICE[0], GlKind.FEE_INCOME, "CNY")
        people.interest_expense = uow.accounts.gl_account(
            HEAD_OFFICE[0], GlKind.INTEREST_EXPENSE, "CNY"
        )
        uow.commit()
    summary.customers = len(made)
    summary.accounts = len(accounts)
    corporates = people.corporates
    for account in people.individuals:
        if rng.random() < 0.6 and corporates:
            employer = rng.choice(corporates)
            people.employees.setdefault(employer.id, []).append(account)
    return people


def _open_accounts(
    uow: UnitOfWork, rng: random.Random, made: list[Customer], people: _Population, now: int
) -> list[Account]:
    plan: list[tuple[Customer, str, str, int]] = []
    for c in made:
        if c.kind is CustomerKind.CORPORATE:
            overdraft = rng.choice((0, 0, 5_000_000, 20_000_000))  # up to 200,000 CNY
            plan.append((c, "CUR", "CNY", overdraft))
            if rng.random() < 0.15:
                plan.append((c, "CUR", "USD", 0))
        else:
            plan.append((c, "SAV", "CNY", 0))
            if rng.random() < 0.25:
                plan.append((c, "CUR", "CNY", 0))
    first = uow.sequences.next_block(banking.ACCOUNT_SERIAL, len(plan))
    accounts: list[Account] = []
    for i, (c, product_code, currency, overdraft) in enumerate(plan):
        branch = c.branch_code if currency == "CNY" else HEAD_OFFICE[0]
        account = banking.new_customer_account(
            first + i, c, branch, product_code, currency, overdraft, now
        )
        accounts.append(account)
        if currency == "CNY" and product_code == "SAV":
            people.individuals.append(account)
        elif currency == "CNY" and c.kind is CustomerKind.CORPORATE:
            people.corporates.append(account)
        elif currency != "CNY":
            people.foreign.append(account)
    return accounts


def _amount(rng: random.Random, low_yuan: int, high_yuan: int) -> int:
    """A plausible amount in fen: a random order of magnitude between the bounds, then a
    value in it rounded to two significant digits, as people's amounts tend to be."""
    decade = rng.randrange(len(str(low_yuan)) - 1, len(str(high_yuan)))
    value = rng.randint(max(low_yuan, 10**decade), min(high_yuan, 10 ** (decade + 1) - 1))
    step: int = 10 ** max(0, decade - 1)
    return max(1, value // step * step) * 100


class _Business:
    """What happens in the bank each day: cash at the counters and ATMs, transfers online
    and by phone, payroll on the 10th, card payments at merchants (holds completed the
    next day), fees, and now and then a teller's mistake reversed."""

    HOLD_TIMEOUT_S = 7 * 86_400

    def __init__(
        self, ctx: Context, rng: random.Random, people: _Population, summary: DemoSummary
    ) -> None:
        self.ctx, self.rng, self.people, self.summary = ctx, rng, people, summary
        self.open_holds: list[Transfer] = []
        self.yesterdays_deposits: list[Transfer] = []

    def t(
        self,
        debit: Account,
        credit: Account,
        amount: int,
        code: int,
        channel: str,
        reference: str,
        **extra: Any,
    ) -> Transfer:
        return Transfer(
            id=self.ctx.ids.new_id(),
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount_minor=amount,
            currency=debit.currency,
            code=code,
            channel=channel,
            reference=reference,
            **extra,
        )

    def post(self, batch: list[Transfer]) -> list[Result]:
        results: list[Result] = []
        start = 0
        while start < len(batch):
            end = min(start + MAX_DAY_BATCH, len(batch))
            while end < len(batch) and batch[end - 1].linked:  # never split a linked chain
                end += 1
            results.extend(post_batch(self.ctx, batch[start:end]).results)
            start = end
        for r in results:
            if r is Result.OK:
                self.summary.transfers += 1
            else:
                self.summary.refused[r.value] = self.summary.refused.get(r.value, 0) + 1
        return results

    def fund_vaults(self) -> None:
        with self.ctx.read() as uow:
            capital = uow.accounts.gl_account(HEAD_OFFICE[0], GlKind.CAPITAL, "CNY")
            usd_capital = uow.accounts.gl_account(HEAD_OFFICE[0], GlKind.CAPITAL, "USD")
            usd_cash = uow.accounts.gl_account(HEAD_OFFICE[0], GlKind.CASH, "USD")
        assert capital and usd_capital and usd_cash
        self.usd_cash = usd_cash
        batch = [
            self.t(cash, capital, 300_000_000, TxCode.VAULT_FUNDING, "branch", "vault funding")
            for cash in self.people.cash.values()
        ]
        batch.append(
            self.t(
                usd_cash, usd_capital, 100_000_000, TxCode.VAULT_FUNDING, "branch", "vault funding"
            )
        )
        self.post(batch)

    def opening_deposits(self) -> None:
        rng, batch = self.rng, []
        for acc in self.people.individuals:
            batch.append(
                self.t(
                    self.people.cash[acc.branch_code],
                    acc,
                    _amount(rng, 200, 80_000),
                    TxCode.CASH_DEPOSIT,
                    "branch",
                    "account opening deposit",
                )
            )
        for acc in self.people.corporates:
            batch.append(
                self.t(
                    self.people.cash[acc.branch_code],
                    acc,
                    _amount(rng, 50_000, 2_000_000),
                    TxCode.CASH_DEPOSIT,
                    "branch",
                    "account opening deposit",
                )
            )
        for acc in self.people.foreign:
            batch.append(
                self.t(
                    self.usd_cash,
                    acc,
                    _amount(rng, 1_000, 50_000),
                    TxCode.CASH_DEPOSIT,
                    "branch",
                    "account opening deposit",
                )
            )
        self.post(batch)

    def one_day(self, today: date) -> None:
        p = self.people
        weekday = today.weekday() < 5
        batch: list[Transfer] = []
        batch += self.complete_holds()
        deposits = self.cash_deposits(int(len(p.individuals) * (0.03 if weekday else 0.01)))
        batch += deposits
        batch += self.cash_withdrawals(int(len(p.individuals) * (0.04 if weekday else 0.03)))
        batch += self.person_to_person(int(len(p.individuals) * 0.015))
        if weekday:
            batch += self.supplier_payments(int(len(p.corporates) * 0.2))
        holds = self.card_purchases(int(len(p.individuals) * 0.02))
        batch += holds
        if today.day == 10:
            batch += self.payroll()
        if today.day == 25:
            batch += self.sms_fees()
        batch += self.reverse_a_mistake()
        results = self.post(batch)
        ok = {t.id for t, r in zip(batch, results, strict=True) if r is Result.OK}
        self.open_holds += [h for h in holds if h.id in ok]
        self.yesterdays_deposits = [d for d in deposits if d.id in ok]

    def cash_deposits(self, n: int) -> list[Transfer]:
        p, rng = self.people, self.rng
        return [
            self.t(
                p.cash[a.branch_code],
                a,
                _amount(rng, 100, 20_000),
                TxCode.CASH_DEPOSIT,
                "branch",
                "cash deposit",
            )
            for a in rng.sample(p.individuals, min(n, len(p.individuals)))
        ]

    def cash_withdrawals(self, n: int) -> list[Transfer]:
        p, rng = self.people, self.rng
        out = []
        for a in rng.sample(p.individuals, min(n, len(p.individuals))):
            channel = rng.choices(("atm", "branch"), weights=(70, 30))[0]
            high = 3_000 if channel == "atm" else 10_000
            out.append(
                self.t(
                    a,
                    p.cash[a.branch_code],
                    _amount(rng, 100, high),
                    TxCode.CASH_WITHDRAWAL,
                    channel,
                    f"cash withdrawal ({channel})",
                )
            )
        return out

    def person_to_person(self, n: int) -> list[Transfer]:
        p, rng = self.people, self.rng
        out = []
        for _ in range(n):
            a, b = rng.sample(p.individuals, 2)
            channel = rng.choices(("mobile", "online", "phone", "branch"), weights=(45, 30, 5, 20))[
                0
            ]
            out.append(self.t(a, b, _amount(rng, 50, 5_000), TxCode.TRANSFER, channel, "转账"))
        return out

    def supplier_payments(self, n: int) -> list[Transfer]:
        p, rng = self.people, self.rng
        out = []
        for _ in range(n):
            a, b = rng.sample(p.corporates, 2)
            channel = rng.choices(("online", "host", "branch"), weights=(60, 20, 20))[0]
            out.append(
                self.t(
                    a,
                    b,
                    _amount(rng, 1_000, 200_000),
                    TxCode.TRANSFER,
                    channel,
                    "货款 supplier payment",
                )
            )
        return out

    def card_purchases(self, n: int) -> list[Transfer]:
        p, rng = self.people, self.rng
        return [
            self.t(
                a,
                rng.choice(p.corporates),
                _amount(rng, 10, 2_000),
                TxCode.HOLD,
                "pos",
                "card purchase",
                kind=TransferKind.PENDING,
                timeout_s=self.HOLD_TIMEOUT_S,
            )
            for a in rng.sample(p.individuals, min(n, len(p.individuals)))
        ]

    def complete_holds(self) -> list[Transfer]:
        """Most card holds are captured the next day; a few are voided or left to expire."""
        out = []
        for hold in self.open_holds:
            roll = self.rng.random()
            if roll < 0.04:
                continue  # never completed: it expires
            kind = TransferKind.VOID_PENDING if roll < 0.08 else TransferKind.POST_PENDING
            out.append(
                Transfer(
                    id=self.ctx.ids.new_id(),
                    kind=kind,
                    pending_id=hold.id,
                    currency=hold.currency,
                    code=TxCode.HOLD,
                    channel="pos",
                    reference="card completion"
                    if kind is TransferKind.POST_PENDING
                    else "card purchase cancelled",
                )
            )
        self.open_holds = []
        return out

    def payroll(self) -> list[Transfer]:
        """Each employer's payroll is one linked chain: paid to everyone or to no one."""
        p, rng = self.people, self.rng
        by_id = {a.id: a for a in p.corporates}
        out: list[Transfer] = []
        for employer_id, staff in p.employees.items():
            employer = by_id[employer_id]
            chain = [
                self.t(
                    employer,
                    e,
                    _amount(rng, 2_500, 9_000),
                    TxCode.BATCH_PAYMENT,
                    "host",
                    "工资 salary",
                    linked=True,
                )
                for e in staff
            ]
            chain[-1] = replace(chain[-1], linked=False)
            out += chain
        return out

    def sms_fees(self) -> list[Transfer]:
        p = self.people
        assert p.fee_income is not None
        return [
            self.t(a, p.fee_income, 200, TxCode.FEE, "branch", "短信通知费 SMS alert fee")
            for a in p.individuals[::4]
        ]

    def reverse_a_mistake(self) -> list[Transfer]:
        """A teller keyed yesterday's deposit twice: the duplicate is reversed today."""
        if not self.yesterdays_deposits or self.rng.random() > 0.3:
            return []
        original = self.rng.choice(self.yesterdays_deposits)
        return [
            Transfer(
                id=self.ctx.ids.new_id(),
                debit_account_id=original.credit_account_id,
                credit_account_id=original.debit_account_id,
                amount_minor=original.amount_minor,
                currency=original.currency,
                code=original.code,
                channel="branch",
                reference="冲正 reversal of a keying error",
                reversal_of=original.id,
            )
        ]
