"""The switch's cost: card authorisations per second and their latency over real TCP, next
to the ledger's own batch throughput in the same run, so the switch's overhead is a ratio.

Prints figures; asserts nothing about time. For SQLite (a file in a temporary directory)
and PostgreSQL (a fresh database ``ebank_bench_switch`` on the server of ``--pg-url``):

1. migrates, opens a head office and a branch, a merchant with 64 POS terminals, and 64
   customers with a funded savings account and a card each (a PIN set at the counter;
   limits lifted for the run); the PIN blocks are made before the clock starts;
2. starts the switch (``serve_switch``) in a process of its own on a free loopback port;
3. with 1, 16 and 64 terminals at once (one TCP connection each, signed on first), each
   sends authorisations (0100, purchase, answered 0110) one after the other, and records
   every answer's latency; an answer other than approved (39 = 00) is counted and shown;
4. stops the switch and posts transfers between the same accounts straight through
   ``application.ledger.post_batch`` in batches of 1,000;
5. prints a table: authorisations/s, p50 and p99 latency per level, the direct batch rate,
   and each rate as a share of the direct one; whether ``verify_ledger`` passed.

    .venv/bin/python bench/switch.py                # the full run (a minute or two)
    .venv/bin/python bench/switch.py --quick        # a smoke run
    .venv/bin/python bench/switch.py --sqlite-only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ebank.adapters.clock import BANK_TIMEZONE
from ebank.adapters.crypto.keys import TEST_ZONE_KEY_REF
from ebank.adapters.db.engine import make_engine, normalise_url, upgrade
from ebank.adapters.iso8583.client import AsyncSwitchClient
from ebank.application import banking, card_pins, cards, identity, ledger, merchants, terminals
from ebank.application.context import Context
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank, build
from ebank.config import CardSettings, Settings
from ebank.domain.accounts import GlKind
from ebank.domain.branches import BranchKind
from ebank.domain.codes import TxCode
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier
from ebank.domain.money import Currency, Money
from ebank.domain.transfers import Result, Transfer

LEVELS = (1, 16, 64)
TERMINALS = max(LEVELS)
HEAD_OFFICE, BRANCH = "0001", "0100"
MERCHANT = "BENCHSHOP000001"
PIN = "2468"
CNY = Currency.of("CNY")
FUNDS_MINOR = 1_000_000_000  # 10 million yuan a card: no authorisation is refused for funds
AMOUNT_MINOR = 1_234
DIRECT_BATCH = 1_000
# The card limits a benchmark needs (the bank's defaults stop a card after a few payments).
CARD_ENV = {
    "EBANK_CARD_MAX_POS_DAILY_MINOR": str(10**14),
    "EBANK_CARD_POS_DAILY_MINOR": str(10**14),
    "EBANK_CARD_MAX_ATM_DAILY_MINOR": str(10**12),
    "EBANK_CARD_ATM_DAILY_MINOR": str(10**12),
    "EBANK_CARD_MAX_ATM_DAILY_COUNT": "1000000",
    "EBANK_CARD_ATM_DAILY_COUNT": "1000000",
}


@dataclass(frozen=True)
class Card:
    terminal_id: str
    pan: str
    expiry: str  # YYMM
    pin_block: str  # hex
    account_id: int


@dataclass
class Figures:
    label: str
    count: int
    seconds: float
    latencies_s: list[float]
    refused: dict[str, int]

    @property
    def rate(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile_ms(self, p: float) -> float | None:
        if not self.latencies_s:
            return None
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000


# -- the bank ---------------------------------------------------------------------------
def settings_for(url: str) -> Settings:
    cards_settings = CardSettings(
        max_pos_daily_minor=10**14,
        pos_daily_minor=10**14,
        max_atm_daily_minor=10**12,
        atm_daily_minor=10**12,
        max_atm_daily_count=1_000_000,
        atm_daily_count=1_000_000,
    )
    return Settings(database_url=url, environment="test", db_pool_size=16, cards=cards_settings)


def set_up(bank: Bank) -> list[Card]:
    """The merchant, its terminals, and a card for each terminal."""
    ctx = bank.ctx
    banking.add_branch(ctx, HEAD_OFFICE, "Head office", BranchKind.HEAD_OFFICE, None)
    banking.add_branch(ctx, BRANCH, "Bench branch", BranchKind.BRANCH, HEAD_OFFICE)
    with ctx.read() as uow:
        capital = uow.accounts.gl_account(HEAD_OFFICE, GlKind.CAPITAL, "CNY")
    assert capital is not None
    shop = _customer(ctx, "Bench shop", 0, CustomerKind.CORPORATE)
    settlement = banking.open_account(ctx, shop.number, "CUR")
    merchants.add_merchant(
        ctx, None, MERCHANT, "Bench shop", "5411", BRANCH, settlement.number, Decimal("0.006")
    )
    box = identity.services(ctx).secrets
    assert ctx.hsm is not None
    out = []
    for i in range(TERMINALS):
        terminal_id = f"BENCH{i:03d}"
        terminals.register_pos(ctx, None, terminal_id, MERCHANT, TEST_ZONE_KEY_REF, "bench")
        person = _customer(ctx, f"Bench card holder {i}", i + 1, CustomerKind.INDIVIDUAL)
        account = banking.open_account(ctx, person.number, "SAV")
        ledger.transfer(ctx, capital.number, account.number, Money(FUNDS_MINOR, CNY))
        view = cards.issue_card(ctx, None, person.number, account.number, policy=bank.card_policy)
        card_pins.set_pin(ctx, None, view.id, PIN)
        with ctx.read() as uow:
            record = uow.cards.get(view.id)
        assert record is not None
        pan = box.open(record.pan_enc)
        block = ctx.hsm.encrypt_pin_block(TEST_ZONE_KEY_REF, PIN, pan).hex().upper()
        out.append(Card(terminal_id, pan, record.expiry, block, account.id))
    return out


def _customer(ctx: Context, name: str, n: int, kind: CustomerKind) -> Customer:
    corporate = kind is CustomerKind.CORPORATE
    return banking.add_customer(
        ctx,
        kind,
        name,
        IdType.BUSINESS_LICENCE if corporate else IdType.PASSPORT,
        f"91110000{n:010d}" if corporate else f"BENCH{n:06d}",
        BRANCH,
        Tier.STANDARD,
    )


# -- the switch, in a process of its own --------------------------------------------------
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def serve(url: str, port: int) -> None:
    """The child process: the switch on ``port`` until it is terminated."""
    from ebank.entrypoints.switch.server import serve_switch

    bank = build(settings_for(url))
    asyncio.run(serve_switch(bank, "127.0.0.1", port))


def start_switch(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **CARD_ENV, "EBANK_ENVIRONMENT": "test"}
    switch = subprocess.Popen(
        [sys.executable, __file__, "--serve", url, "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if switch.poll() is not None:
            raise SystemExit("the switch did not start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return switch
        except OSError:
            time.sleep(0.1)
    switch.kill()
    raise SystemExit("the switch did not start in time")


# -- the terminals ------------------------------------------------------------------------
class Terminal:
    """One POS terminal: one connection, its own trace numbers."""

    def __init__(self, card: Card, port: int) -> None:
        self.card = card
        self.client = AsyncSwitchClient("127.0.0.1", port, timeout_s=60)
        self.stan = 0

    def fields(self, mti: str, extra: dict[str, str]) -> dict[str, str]:
        self.stan += 1
        now = datetime.now(UTC)
        local = now.astimezone(BANK_TIMEZONE)
        stan = f"{self.stan:06d}"
        return {
            "t": mti,
            "7": now.strftime("%m%d%H%M%S"),
            "11": stan,
            "12": local.strftime("%H%M%S"),
            "13": local.strftime("%m%d"),
            "37": local.strftime("%y%j%H") + stan[-5:],
            "41": self.card.terminal_id,
            **extra,
        }

    def authorisation(self) -> dict[str, str]:
        card = self.card
        return self.fields(
            "0100",
            {
                "2": card.pan,
                "3": "000000",
                "4": f"{AMOUNT_MINOR:012d}",
                "14": card.expiry,
                "22": "021",
                "35": f"{card.pan}={card.expiry}101",
                "42": MERCHANT,
                "49": "156",
                "52": card.pin_block,
            },
        )

    async def sign_on(self) -> None:
        answer = await self.client.request(self.fields("0800", {"70": "001"}))
        if answer.get("39") != "00":
            raise SystemExit(f"terminal {self.card.terminal_id} could not sign on: {answer}")

    async def run(self, count: int, latencies: list[float], refused: dict[str, int]) -> None:
        for _ in range(count):
            request = self.authorisation()
            started = time.perf_counter()
            answer = await self.client.request(request)
            latencies.append(time.perf_counter() - started)
            code = answer.get("39", "??")
            if answer.get("t") != "0110" or code != "00":
                refused[code] = refused.get(code, 0) + 1


async def authorise(terminals: list[Terminal], per_terminal: int) -> Figures:
    """``per_terminal`` authorisations from each terminal, all terminals at once."""
    for t in terminals:
        await t.client.connect()
        await t.sign_on()
    latencies: list[float] = []
    refused: dict[str, int] = {}
    started = time.perf_counter()
    await asyncio.gather(*(t.run(per_terminal, latencies, refused) for t in terminals))
    seconds = time.perf_counter() - started
    for t in terminals:
        await t.client.close()
    label = f"switch 0100, {len(terminals)} terminal{'s' if len(terminals) > 1 else ''}"
    return Figures(label, len(latencies), seconds, latencies, refused)


# -- the ledger alone ---------------------------------------------------------------------
def direct_batches(bank: Bank, cards_: list[Card], count: int) -> Figures:
    """``count`` transfers between the card holders' accounts through ``post_batch``."""
    rng = random.Random(20261127)
    ids = [c.account_id for c in cards_]
    transfers = []
    for _ in range(count):
        debit, credit = rng.sample(ids, 2)
        transfers.append(
            Transfer(
                id=bank.ctx.ids.new_id(),
                debit_account_id=debit,
                credit_account_id=credit,
                amount_minor=AMOUNT_MINOR,
                currency="CNY",
                code=TxCode.TRANSFER,
                channel="bench",
            )
        )
    refused: dict[str, int] = {}
    latencies = []
    started = time.perf_counter()
    for i in range(0, count, DIRECT_BATCH):
        batch_started = time.perf_counter()
        outcome = ledger.post_batch(bank.ctx, transfers[i : i + DIRECT_BATCH])
        latencies.append(time.perf_counter() - batch_started)
        for result in outcome.results:
            if result is not Result.OK:
                refused[result.value] = refused.get(result.value, 0) + 1
    seconds = time.perf_counter() - started
    return Figures(f"ledger post_batch of {DIRECT_BATCH:,}", count, seconds, latencies, refused)


# -- one database -------------------------------------------------------------------------
def bench_database(name: str, url: str, plan: dict[int, int], direct: int) -> bool:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    bank = build(settings_for(url))
    started = time.perf_counter()
    cards_ = set_up(bank)
    print(
        f"  {name}: set-up of {len(cards_)} terminals and cards in "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )
    port = free_port()
    switch = start_switch(url, port)
    try:
        runs = []
        for level, per_terminal in plan.items():
            terminals_ = [Terminal(card, port) for card in cards_[:level]]
            runs.append(asyncio.run(authorise(terminals_, per_terminal)))
            print(f"  {name}: {runs[-1].label} done", flush=True)
    finally:
        switch.terminate()
        switch.wait(timeout=30)
    batch = direct_batches(bank, cards_, direct)
    print_table(name, runs, batch)
    report = verify_ledger(bank.ctx)
    print(f"  verify_ledger on {name}: {'passed' if report.ok else 'FAILED'}")
    bank.close()
    return report.ok and not any(r.refused for r in runs)


def print_table(name: str, runs: list[Figures], direct: Figures) -> None:
    print(f"\n{name}")
    print(f"  {'':<34} {'per second':>12} {'p50 ms':>9} {'p99 ms':>9} {'of direct':>10}")
    for figures in [*runs, direct]:
        p50, p99 = figures.percentile_ms(0.50), figures.percentile_ms(0.99)
        latency = f"{p50:9.2f} {p99:9.2f}" if figures is not direct and p50 and p99 else f"{'':>19}"
        share = figures.rate / direct.rate if direct.rate else 0.0
        print(f"  {figures.label:<34} {figures.rate:>12,.0f} {latency} {share:>10.1%}")
        if figures.refused:
            print(f"    not approved: {figures.refused}")
    print(
        f"  ({direct.label}: {direct.count:,} transfers; p50 of a whole batch "
        f"{direct.percentile_ms(0.5) or 0:,.1f} ms)"
    )


def fresh_postgres(admin_url: str, name: str) -> str:
    admin = make_url(normalise_url(admin_url))
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--serve", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.port)
        return
    # Authorisations per terminal at each level, and transfers posted directly.
    if args.quick:
        plan, direct = {1: 50, 16: 10, 64: 3}, 2_000
    else:
        plan, direct = {1: 1_000, 16: 200, 64: 60}, 20_000
    levels = ", ".join(f"{n} x {k}" for n, k in plan.items())
    print(f"Switch benchmark: terminals x authorisations each: {levels}", flush=True)
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= bench_database("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", plan, direct)
    if not args.sqlite_only:
        url = fresh_postgres(args.pg_url, "ebank_bench_switch")
        ok &= bench_database("postgresql", url, plan, direct)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the benchmark process: {peak_mib:,.0f} MiB")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
