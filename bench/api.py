"""The Bank API's cost: transfers per second and latency through HTTP, next to the same
number of direct ledger calls in the same run, so the HTTP overhead is a ratio.

Prints figures; asserts nothing about time. For SQLite (a file in a temporary directory)
and PostgreSQL (a fresh database ``ebank_bench_api`` on the server of ``--pg-url``):

1. migrates, opens a head office and a branch, and gives each of 16 customers two funded
   savings accounts and a user with an enrolled authenticator;
2. starts ``ebank serve`` in a process of its own on a free loopback port (rate limits
   lifted for the run), signs every user in with password and one-time code;
3. with 1 and then 16 client threads (one customer each, an httpx connection each),
   posts transfers between each customer's own two accounts (no step-up needed) with a
   fresh ``Idempotency-Key`` each, and records every request's latency;
4. stops the server and makes the same number of direct engine calls
   (``application.ledger.post_batch`` with a batch of one) from 1 and 16 threads;
5. prints transfers/s, p50 and p99 latency for each, the ratio HTTP / direct, whether
   ``verify_ledger`` passed, and the benchmark's peak memory.

    .venv/bin/python bench/api.py               # the full run (a minute or two)
    .venv/bin/python bench/api.py --quick       # a smoke run
    .venv/bin/python bench/api.py --sqlite-only
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ebank.adapters.db.engine import make_engine, normalise_url, upgrade
from ebank.application import banking, identity, ledger
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.domain.access import Role, UserKind
from ebank.domain.accounts import GlKind
from ebank.domain.branches import BranchKind
from ebank.domain.codes import TxCode
from ebank.domain.customers import CustomerKind, IdType, Tier
from ebank.domain.money import Currency, Money
from ebank.domain.transfers import Transfer

CLIENTS = 16
PASSWORD = "bench-password-2026"
FUNDS_MINOR = 100_000_000
SERVER_ENV = {
    "EBANK_ENVIRONMENT": "test",
    "EBANK_RATE_LIMIT_PER_ADDRESS": "10000000/minute",
    "EBANK_RATE_LIMIT_PER_USER": "10000000/minute",
    "EBANK_ACCESS_TOKEN_TTL_S": "3600",
    "EBANK_DB_POOL_SIZE": str(CLIENTS + 4),
}


@dataclass
class Client:
    username: str
    secret: str
    accounts: tuple[str, str]
    ids: tuple[int, int]


@dataclass
class Figures:
    label: str
    count: int
    seconds: float
    latencies_s: list[float]

    @property
    def rate(self) -> float:
        return self.count / self.seconds

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    def line(self) -> str:
        return (
            f"{self.label:<34} {self.rate:>9,.0f} transfers/s   "
            f"p50 {self.percentile(0.50):7.2f} ms   p99 {self.percentile(0.99):7.2f} ms"
        )


def set_up(bank: Bank) -> list[Client]:
    ctx = bank.ctx
    # The bank's own limits would stop a benchmark after a few hundred payments a day:
    # lift them for the API channel of this throwaway bank (a real bank changes limits
    # through the API, under dual control).
    with bank.engine.begin() as conn:
        conn.execute(
            text(
                "UPDATE transaction_limits SET per_transaction_minor = 10000000000,"
                " daily_amount_minor = 1000000000000, daily_count = 1000000"
                " WHERE channel = 'api'"
            )
        )
    banking.add_branch(ctx, "0001", "Head office", BranchKind.HEAD_OFFICE, None)
    banking.add_branch(ctx, "0100", "Bench branch", BranchKind.BRANCH, "0001")
    with ctx.read() as uow:
        capital = uow.accounts.gl_account("0001", GlKind.CAPITAL, "CNY")
    assert capital is not None
    clients = []
    for i in range(CLIENTS):
        customer = banking.add_customer(
            ctx,
            name=f"Bench customer {i}",
            kind=CustomerKind.INDIVIDUAL,
            tier=Tier.PLATINUM,
            id_type=IdType.PASSPORT,
            id_number=f"BENCH{i:06d}",
            branch_code="0100",
        )
        a = banking.open_account(ctx, customer.number, "SAV")
        b = banking.open_account(ctx, customer.number, "SAV")
        for account in (a, b):
            ledger.transfer(
                ctx, capital.number, account.number, Money(FUNDS_MINOR, Currency.of("CNY"))
            )
        secret = pyotp.random_base32()
        identity.create_user(
            ctx,
            username=f"bench{i}",
            password=PASSWORD,
            kind=UserKind.CUSTOMER,
            role=Role.CUSTOMER,
            display_name=f"Bench customer {i}",
            customer_id=customer.id,
            totp_secret=secret,
        )
        clients.append(Client(f"bench{i}", secret, (a.number, b.number), (a.id, b.id)))
    return clients


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, **SERVER_ENV, "EBANK_DATABASE_URL": url}
    cmd = [sys.executable, "-c", "from ebank.entrypoints.cli import main; main()"]
    server = subprocess.Popen(
        [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                return server
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the API server did not start")


def sign_in(base: str, client: Client) -> dict[str, str]:
    r = httpx.post(
        f"{base}/api/v1/auth/login",
        json={
            "username": client.username,
            "password": PASSWORD,
            "otp": pyotp.TOTP(client.secret).now(),
        },
    )
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def run_threads(
    label: str, workers: int, per_worker: int, work: Callable[[int, int], float]
) -> Figures:
    latencies: list[list[float]] = [[] for _ in range(workers)]

    def loop(w: int) -> None:
        for n in range(per_worker):
            latencies[w].append(work(w, n))

    threads = [threading.Thread(target=loop, args=(w,)) for w in range(workers)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    flat = [x for row in latencies for x in row]
    return Figures(label, len(flat), seconds, flat)


def http_phase(
    base: str, clients: list[Client], auths: list[dict[str, str]], workers: int, per_worker: int
) -> Figures:
    sessions = [httpx.Client(base_url=base, headers=a, timeout=60) for a in auths[:workers]]

    def work(w: int, n: int) -> float:
        c = clients[w]
        body = {
            "debit_account": c.accounts[n % 2],
            "credit_account": c.accounts[1 - n % 2],
            "amount_minor": 100 + n,
            "currency": "CNY",
        }
        start = time.perf_counter()
        r = sessions[w].post(
            "/api/v1/transfers", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
        )
        took = time.perf_counter() - start
        if r.status_code != 201:
            raise SystemExit(f"transfer refused: {r.status_code} {r.text}")
        return took

    try:
        return run_threads(f"HTTP, {workers} client(s)", workers, per_worker, work)
    finally:
        for s in sessions:
            s.close()


def direct_phase(bank: Bank, clients: list[Client], workers: int, per_worker: int) -> Figures:
    ctx = bank.ctx

    def work(w: int, n: int) -> float:
        c = clients[w]
        transfer = Transfer(
            id=ctx.ids.new_id(),
            debit_account_id=c.ids[n % 2],
            credit_account_id=c.ids[1 - n % 2],
            amount_minor=100 + n,
            currency="CNY",
            code=TxCode.TRANSFER,
            channel="bench",
        )
        start = time.perf_counter()
        outcome = ledger.post_batch(ctx, [transfer])
        took = time.perf_counter() - start
        assert outcome.all_ok, outcome.results
        return took

    return run_threads(f"direct engine, {workers} thread(s)", workers, per_worker, work)


def bench_database(name: str, url: str, per_client: int, single: int) -> bool:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    bank = build(Settings(database_url=url, environment="test", db_pool_size=CLIENTS + 4))
    clients = set_up(bank)
    port = free_port()
    server = start_server(url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        # A one-time code is accepted once: every user signs in once, for both phases.
        auths = [sign_in(base, c) for c in clients]
        http_1 = http_phase(base, clients, auths, 1, single)
        http_16 = http_phase(base, clients, auths, CLIENTS, per_client)
    finally:
        server.terminate()
        server.wait(timeout=30)
    direct_1 = direct_phase(bank, clients, 1, single)
    direct_16 = direct_phase(bank, clients, CLIENTS, per_client)
    print(f"\n{name}")
    for figures in (http_1, direct_1, http_16, direct_16):
        print("  " + figures.line())
    for workers, h, d in ((1, http_1, direct_1), (CLIENTS, http_16, direct_16)):
        print(
            f"  {workers:>2} client(s): HTTP reaches {h.rate / d.rate:.0%} of direct throughput; "
            f"p50 latency x{h.percentile(0.5) / d.percentile(0.5):.1f}"
        )
    report = verify_ledger(bank.ctx)
    print(f"  verify_ledger on {name}: {'passed' if report.ok else 'FAILED'}")
    bank.close()
    return report.ok


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
    args = parser.parse_args()
    per_client, single = (10, 40) if args.quick else (150, 1000)
    print(
        f"Bank API benchmark: {CLIENTS} customers; 1 client x {single} and "
        f"{CLIENTS} clients x {per_client} transfers, then as many direct engine calls"
    )
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        ok &= bench_database("sqlite", f"sqlite:///{Path(tmp) / 'bench.db'}", per_client, single)
    if not args.sqlite_only:
        url = fresh_postgres(args.pg_url, "ebank_bench_api")
        ok &= bench_database("postgresql", url, per_client, single)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the benchmark process: {peak_mib:,.0f} MiB")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
