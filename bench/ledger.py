"""Ledger throughput: how many transfers a second ``post_batch`` commits.

Prints figures; asserts nothing about time. For SQLite (a file in a temporary directory)
and PostgreSQL (a fresh database ``ebank_bench`` on the server of ``--pg-url``), each
migrated from scratch, it:

1. opens a head office and a branch (``add_branch``), bulk-inserts the customers and one
   savings account each, and funds every account from the head office's capital account;
2. posts transfers of random amounts between random pairs of those accounts through
   ``application.ledger.post_batch`` in batches of 1, 100 and 1,000, with time-ordered
   ids, and prints transfers/second. The transfer requests are built before the clock
   starts (and frozen out of the garbage collector's sight, ``gc.freeze``): the figure is
   the ledger's (load, apply, save, commit), not request parsing. On PostgreSQL each
   batch size also runs with several posters at once (``--pg-workers``), because
   PostgreSQL is built for many writers: threads of one process (the way the bank's
   servers post, sharing the process's balance cache, ADR 3), then separate processes.
   Batches of 1,000 random pairs of 10,000 accounts each touch a sixth of all accounts,
   so concurrent batches always share accounts and queue for their row locks; batches
   of 1,000 then run once more "sharded", each process posting random pairs within its
   own slice of the accounts, to show what the same processes do when their batches do
   not collide. Where the
   server runs with autovacuum off, the benchmark runs ``VACUUM ANALYZE`` after the
   set-up, as autovacuum would;
3. where ``pgbench`` is on PATH, runs its built-in TPC-B-like transaction against the
   same server (``pgbench -i -s 10`` in a database of its own, then
   ``pgbench -c 16 -j 2 -T 20 -n``), once before our PostgreSQL runs and once after, and
   prints the ratio of our batch-1,000 rate to the higher of its two TPS figures, and
   whether the targets (SQLite 50,000/s, PostgreSQL 10x pgbench) were met;
4. runs the reconciliation check (``verify_ledger``) on each database and prints whether
   it passed, and the benchmark's peak memory.

    .venv/bin/python bench/ledger.py                 # the full run (a few minutes)
    .venv/bin/python bench/ledger.py --quick         # a smoke run
    .venv/bin/python bench/ledger.py --sqlite-only --pg-url postgresql://u:p@host/db
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from multiprocessing.synchronize import Barrier
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from ebank.adapters.db.engine import make_engine, normalise_url, upgrade
from ebank.application.banking import (
    ACCOUNT_SERIAL,
    CUSTOMER_SERIAL,
    add_branch,
    new_customer_account,
)
from ebank.application.context import Context
from ebank.application.ledger import post_batch
from ebank.application.verify import verify_ledger
from ebank.bootstrap import Bank, build
from ebank.config import Settings
from ebank.domain.accounts import GlKind
from ebank.domain.branches import BranchKind
from ebank.domain.codes import TxCode
from ebank.domain.customers import Customer, CustomerKind, IdType, Tier, customer_number
from ebank.domain.transfers import Result, Transfer

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
BENCH_DB = "ebank_bench"
PGBENCH_DB = "ebank_bench_pgbench"
HEAD_OFFICE, BRANCH = "0001", "0101"
OPENING_BALANCE_MINOR = 10_000_000  # 100,000.00 CNY each: no random transfer is refused
MAX_AMOUNT_MINOR = 1_000
FUNDING_BATCH = 1_000
PG_WORKERS = 2  # one per CPU of the machines we measure on
SQLITE_TARGET = 50_000  # transfers/s at batch 1,000
PG_TARGET_RATIO = 10  # times pgbench's TPS
WORKER_MAX_RSS_KIB = 0  # the largest posting process's peak, as it reported it


@dataclass(frozen=True)
class Plan:
    accounts: int
    counts: dict[int, int]  # batch size -> transfers to post
    pg_workers: int
    pgbench_scale: int
    pgbench_clients: int
    pgbench_seconds: int


@dataclass(frozen=True)
class Run:
    database: str
    batch_size: int
    workers: int
    transfers: int
    ok: int
    seconds: float
    sharded: bool = False
    threads: bool = False  # workers are threads of this process, not processes

    @property
    def rate(self) -> float:
        return self.transfers / self.seconds if self.seconds else 0.0

    @property
    def who(self) -> str:
        if self.workers == 1:
            return "1 connection"
        if self.threads:
            return f"{self.workers} threads"
        return f"{self.workers} processes" + (", sharded" if self.sharded else "")


def make_plan(args: argparse.Namespace) -> Plan:
    if args.quick:
        return Plan(
            accounts=1_000,
            counts={1: 300, 100: 5_000, 1_000: 10_000},
            pg_workers=args.pg_workers,
            pgbench_scale=1,
            pgbench_clients=16,
            pgbench_seconds=5,
        )
    return Plan(
        accounts=10_000,
        counts={1: 5_000, 100: 100_000, 1_000: 100_000},
        pg_workers=args.pg_workers,
        pgbench_scale=10,
        pgbench_clients=16,
        pgbench_seconds=20,
    )


# -- the bank -------------------------------------------------------------------------
def open_bank(url: str) -> Bank:
    return build(Settings(database_url=url, environment="test"))


def populate(ctx: Context, n: int) -> list[int]:
    """A head office, a branch, ``n`` customers with a funded savings account each;
    returns the account ids."""
    add_branch(ctx, HEAD_OFFICE, "Head office", BranchKind.HEAD_OFFICE, None)
    add_branch(ctx, BRANCH, "Benchmark branch", BranchKind.BRANCH, HEAD_OFFICE)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        first_customer = uow.sequences.next_block(CUSTOMER_SERIAL, n)
        first_account = uow.sequences.next_block(ACCOUNT_SERIAL, n)
        customers = [
            Customer(
                id=first_customer + i,
                number=customer_number(first_customer + i),
                kind=CustomerKind.INDIVIDUAL,
                name=f"Bench customer {i:05d}",
                tier=Tier.STANDARD,
                id_type=IdType.RESIDENT_ID,
                id_number=f"BENCH{i:013d}",
                branch_code=BRANCH,
            )
            for i in range(n)
        ]
        uow.customers.add_many(customers, now)
        accounts = [
            new_customer_account(first_account + i, c, BRANCH, "SAV", "CNY", 0, now)
            for i, c in enumerate(customers)
        ]
        uow.accounts.add_many(accounts)
        capital = uow.accounts.gl_account(HEAD_OFFICE, GlKind.CAPITAL, "CNY")
        assert capital is not None
        uow.commit()
    ids = [a.id for a in accounts]
    for i in range(0, n, FUNDING_BATCH):
        outcome = post_batch(
            ctx,
            [
                Transfer(
                    id=ctx.ids.new_id(),
                    debit_account_id=capital.id,
                    credit_account_id=a,
                    amount_minor=OPENING_BALANCE_MINOR,
                    code=TxCode.OPENING_BALANCE,
                    channel="bench",
                    reference="opening balance",
                )
                for a in ids[i : i + FUNDING_BATCH]
            ],
        )
        if not outcome.all_ok:
            raise SystemExit(f"funding failed: {set(outcome.results)}")
    return ids


def make_transfers(
    ctx: Context, account_ids: Sequence[int], count: int, rng: random.Random
) -> list[Transfer]:
    out = []
    n = len(account_ids)
    for _ in range(count):
        i = rng.randrange(n)
        j = rng.randrange(n - 1)
        if j >= i:
            j += 1
        out.append(
            Transfer(
                id=ctx.ids.new_id(),
                debit_account_id=account_ids[i],
                credit_account_id=account_ids[j],
                amount_minor=rng.randint(1, MAX_AMOUNT_MINOR),
                code=TxCode.TRANSFER,
                channel="bench",
                reference="bench",
            )
        )
    return out


def post_all(ctx: Context, transfers: Sequence[Transfer], batch_size: int) -> int:
    """Post ``transfers`` in batches; returns how many were accepted."""
    ok = 0
    for i in range(0, len(transfers), batch_size):
        ok += post_batch(ctx, transfers[i : i + batch_size]).results.count(Result.OK)
    return ok


# -- one database -------------------------------------------------------------------
def freeze_heap() -> None:
    """Move everything alive now (the requests built for the run) out of the garbage
    collector's way, so that it only scans what the ledger itself allocates."""
    gc.collect()
    gc.freeze()


def bench_in_process(
    name: str, bank: Bank, account_ids: Sequence[int], plan: Plan, seed: int
) -> list[Run]:
    runs = []
    for batch_size, count in plan.counts.items():
        transfers = make_transfers(bank.ctx, account_ids, count, random.Random(seed + batch_size))
        freeze_heap()
        started = time.perf_counter()
        ok = post_all(bank.ctx, transfers, batch_size)
        run = Run(name, batch_size, 1, count, ok, time.perf_counter() - started)
        del transfers
        gc.unfreeze()
        report(run)
        runs.append(run)
    return runs


def bench_threads(
    name: str, bank: Bank, account_ids: Sequence[int], plan: Plan, seed: int
) -> list[Run]:
    """Batch sizes again, posted by ``plan.pg_workers`` threads of this process at once,
    each on a connection of its own, between random pairs of all the accounts: the way
    the bank's servers post, many requests at a time in one process. Their batches share
    the process's balance cache (ADR 3): one is computed on top of the last one while
    that one is still being written and committed."""
    runs = []
    workers = plan.pg_workers
    for batch_size, count in plan.counts.items():
        share = count // workers
        requests = [
            make_transfers(bank.ctx, account_ids, share, random.Random(seed + 7 * k + batch_size))
            for k in range(workers)
        ]
        accepted: list[int] = []

        def post(transfers: Sequence[Transfer], size: int, into: list[int]) -> None:
            into.append(post_all(bank.ctx, transfers, size))

        threads = [threading.Thread(target=post, args=(t, batch_size, accepted)) for t in requests]
        freeze_heap()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        del requests
        gc.unfreeze()
        if len(accepted) != workers:
            raise SystemExit("a posting thread failed")
        run = Run(name, batch_size, workers, share * workers, sum(accepted), elapsed, threads=True)
        report(run)
        runs.append(run)
    return runs


def _worker(
    url: str,
    account_ids: Sequence[int],
    batch_size: int,
    count: int,
    seed: int,
    barrier: Barrier,
    results: Any,
) -> None:
    bank = open_bank(url)
    try:
        transfers = make_transfers(bank.ctx, account_ids, count, random.Random(seed))
        with bank.engine.connect():  # open the connection before the clock starts
            pass
        freeze_heap()
        barrier.wait()
        ok = post_all(bank.ctx, transfers, batch_size)
        results.put((ok, peak_rss_kib()))
    finally:
        bank.close()


def bench_processes(
    name: str,
    url: str,
    account_ids: Sequence[int],
    plan: Plan,
    seed: int,
    sharded: bool = False,
    batch_sizes: Sequence[int] | None = None,
) -> list[Run]:
    """Batch sizes again, posted by ``plan.pg_workers`` processes at once: each posts
    between random pairs of all the accounts, or, ``sharded``, of its own slice of them
    (then no two processes' batches ever touch the same account)."""
    runs = []
    spawn = mp.get_context("spawn")
    workers = plan.pg_workers
    n = len(account_ids)
    slices = [
        list(account_ids[k * n // workers : (k + 1) * n // workers])
        if sharded
        else list(account_ids)
        for k in range(workers)
    ]
    for batch_size, count in plan.counts.items():
        if batch_sizes is not None and batch_size not in batch_sizes:
            continue
        share = count // workers
        barrier = spawn.Barrier(workers + 1)
        results = spawn.Queue()
        procs = [
            spawn.Process(
                target=_worker,
                args=(
                    url,
                    slices[k],
                    batch_size,
                    share,
                    seed + 1000 * (k + 1) + batch_size,
                    barrier,
                    results,
                ),
            )
            for k in range(workers)
        ]
        for p in procs:
            p.start()
        barrier.wait(timeout=300)
        started = time.perf_counter()
        done = [results.get(timeout=600) for _ in procs]
        elapsed = time.perf_counter() - started
        ok = sum(accepted for accepted, _ in done)
        global WORKER_MAX_RSS_KIB  # noqa: PLW0603 - a figure for the summary
        WORKER_MAX_RSS_KIB = max(WORKER_MAX_RSS_KIB, *(rss for _, rss in done))
        for p in procs:
            p.join()
            if p.exitcode:
                raise SystemExit(f"a posting process failed with exit code {p.exitcode}")
        run = Run(name, batch_size, workers, share * workers, ok, elapsed, sharded)
        report(run)
        runs.append(run)
    return runs


def report(run: Run) -> None:
    print(
        f"  {run.database:<10} batch {run.batch_size:>5}  {run.who:<22}"
        f" {run.transfers:>8,} transfers in {run.seconds:7.2f} s"
        f" = {run.rate:>9,.0f} transfers/s  ({run.ok:,} ok)",
        flush=True,
    )


def check(name: str, bank: Bank) -> bool:
    started = time.perf_counter()
    result = verify_ledger(bank.ctx)
    print(
        f"  {name:<10} verify_ledger: {'PASSED' if result.ok else 'FAILED'}"
        f" ({result.accounts:,} accounts, {result.transfers:,} transfers,"
        f" {time.perf_counter() - started:.1f} s)",
        flush=True,
    )
    if not result.ok:
        print(
            f"    mismatches={result.mismatch_count} breaches={result.limit_breaches[:5]}"
            f" orphans={result.orphans[:5]} broken chains={result.broken_chains[:5]}"
            f" totals={result.totals}"
        )
    return result.ok


def setup(name: str, url: str, plan: Plan) -> tuple[Bank, list[int]]:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    bank = open_bank(url)
    started = time.perf_counter()
    ids = populate(bank.ctx, plan.accounts)
    print(
        f"  {name:<10} set-up: {plan.accounts:,} funded accounts in"
        f" {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    if bank.engine.dialect.name == "postgresql":
        maintain(name, bank)
    return bank, ids


def maintain(name: str, bank: Bank) -> None:
    """``VACUUM ANALYZE`` when the server's autovacuum is off (it would do this itself):
    without statistics the planner guesses, and without vacuum the accounts table bloats."""
    with bank.engine.connect() as conn:
        autovacuum = conn.execute(text("SHOW autovacuum")).scalar_one()
    if autovacuum == "on":
        return
    with bank.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    print(
        f"  {name:<10} autovacuum is off on this server: ran VACUUM ANALYZE after set-up",
        flush=True,
    )


# -- PostgreSQL housekeeping ----------------------------------------------------------
def recreate_database(admin: URL, name: str) -> URL:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.set(database=name)


def drop_database(admin: URL, name: str) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def pgbench(admin: URL, plan: Plan) -> float | None:
    exe = shutil.which("pgbench")
    if exe is None:
        print("  pgbench not on PATH: no comparison")
        return None
    url = recreate_database(admin, PGBENCH_DB)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    conn = [
        f"--host={url.host or '127.0.0.1'}",
        f"--port={url.port or 5432}",
        f"--username={url.username or 'postgres'}",
    ]
    try:
        subprocess.run(
            [exe, *conn, "-i", "-q", "-s", str(plan.pgbench_scale), PGBENCH_DB],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        out = subprocess.run(
            [
                exe,
                *conn,
                "-c",
                str(plan.pgbench_clients),
                "-j",
                "2",
                "-T",
                str(plan.pgbench_seconds),
                "-n",
                PGBENCH_DB,
            ],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except subprocess.CalledProcessError as exc:
        print(f"  pgbench failed, no comparison: {exc.stderr.strip()[-500:]}")
        return None
    finally:
        drop_database(admin, PGBENCH_DB)
    found = re.search(r"tps = ([0-9.]+)", out)
    if found is None:
        print(f"  could not read pgbench's TPS from:\n{out}")
        return None
    tps = float(found.group(1))
    print(
        f"  pgbench (TPC-B-like, scale {plan.pgbench_scale}, {plan.pgbench_clients} clients,"
        f" {plan.pgbench_seconds} s): {tps:,.0f} TPS",
        flush=True,
    )
    return tps


# -- main -----------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small numbers: a smoke run")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("EBANK_BENCH_PG_URL", DEFAULT_PG_URL),
        help="a PostgreSQL server (any database on it: the benchmark creates"
        f" {BENCH_DB} and {PGBENCH_DB} there and drops them after)",
    )
    parser.add_argument(
        "--pg-workers",
        type=int,
        default=PG_WORKERS,
        help="posting processes for the concurrent PostgreSQL runs",
    )
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args(argv)
    plan = make_plan(args)
    counts = ", ".join(f"{n:,} in batches of {b:,}" for b, n in plan.counts.items())
    print(
        f"ebank ledger benchmark{' (quick)' if args.quick else ''}: {plan.accounts:,}"
        f" accounts; {counts}",
        flush=True,
    )
    print("  (fewer transfers in batches of 1: each is a commit of its own)")
    print(
        f"  machine: {os.cpu_count()} CPUs, load average {load_average()} at the start"
        " (anything else running shares them)",
        flush=True,
    )
    runs: list[Run] = []
    verified: dict[str, bool] = {}
    tps: float | None = None
    closers: list[Callable[[], None]] = []
    with tempfile.TemporaryDirectory(prefix="ebank-bench-") as tmp:
        try:
            print("SQLite (WAL, synchronous=FULL, one writer):", flush=True)
            sqlite_url = f"sqlite:///{Path(tmp) / 'bench.db'}"
            bank, ids = setup("sqlite", sqlite_url, plan)
            closers.append(bank.close)
            runs += bench_in_process("sqlite", bank, ids, plan, args.seed)
            verified["sqlite"] = check("sqlite", bank)
            if not args.sqlite_only:
                admin = make_url(normalise_url(args.pg_url))
                print(f"PostgreSQL ({admin.host}:{admin.port or 5432}):", flush=True)
                tps = pgbench(admin, plan)
                pg_url = recreate_database(admin, BENCH_DB).render_as_string(hide_password=False)
                closers.append(lambda: drop_database(admin, BENCH_DB))
                bank, ids = setup("postgresql", pg_url, plan)
                closers.insert(0, bank.close)
                runs += bench_in_process("postgresql", bank, ids, plan, args.seed)
                if plan.pg_workers > 1:
                    runs += bench_threads("postgresql", bank, ids, plan, args.seed)
                    runs += bench_processes("postgresql", pg_url, ids, plan, args.seed)
                    print(
                        "  (sharded: each process posts random pairs within its own"
                        f" 1/{plan.pg_workers} of the accounts, so concurrent batches never"
                        " wait for each other's row locks)",
                        flush=True,
                    )
                    runs += bench_processes(
                        "postgresql",
                        pg_url,
                        ids,
                        plan,
                        args.seed,
                        sharded=True,
                        batch_sizes=[1_000],
                    )
                verified["postgresql"] = check("postgresql", bank)
                again = pgbench(admin, plan)  # the server as it is after our runs, too
                if tps is not None and again is not None:
                    tps = max(tps, again)
        finally:
            for close in closers:
                close()
    summary(runs, tps, verified)
    print(f"  load average {load_average()} at the end")
    return 0 if all(verified.values()) else 1


def targets(runs: Sequence[Run], tps: float | None) -> None:
    """The issue's targets for batches of 1,000 between random pairs (sharded runs do
    not count): SQLite at least 50,000 transfers/s; PostgreSQL at least 10 times
    pgbench's TPS."""

    def best(database: str) -> float | None:
        rates = [
            r.rate
            for r in runs
            if r.database == database and r.batch_size == 1_000 and not r.sharded
        ]
        return max(rates) if rates else None

    sqlite = best("sqlite")
    if sqlite is not None:
        verdict = "met" if sqlite >= SQLITE_TARGET else "NOT met"
        print(f"  target SQLite >= {SQLITE_TARGET:,}/s at batch 1,000: {verdict} ({sqlite:,.0f}/s)")
    postgresql = best("postgresql")
    if postgresql is not None and tps:
        ratio = postgresql / tps
        verdict = "met" if ratio >= PG_TARGET_RATIO else "NOT met"
        print(
            f"  target PostgreSQL >= {PG_TARGET_RATIO}x pgbench at batch 1,000, random pairs:"
            f" {verdict} ({ratio:.1f}x)"
        )


def peak_rss_kib() -> int:
    """This process's peak resident memory. Linux keeps ``ru_maxrss`` across ``exec``, so
    a freshly spawned process would report its parent's; VmHWM is its own."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def summary(runs: Sequence[Run], tps: float | None, verified: dict[str, bool]) -> None:
    print("Summary (transfers/s):")
    for run in runs:
        print(f"  {run.database:<10} batch {run.batch_size:>5} {run.who:<22} {run.rate:>9,.0f}")
    if tps:
        for run in runs:
            if run.database == "postgresql" and run.batch_size == 1_000:
                print(
                    f"  ours/pgbench, postgresql batch 1,000, {run.who}: {run.rate / tps:.1f}x"
                    f" ({run.rate:,.0f} transfers/s vs {tps:,.0f} TPS, the higher of"
                    " pgbench's two runs)"
                )
    targets(runs, tps)
    me = peak_rss_kib()
    workers = (
        f"; largest posting process {WORKER_MAX_RSS_KIB / 1024:,.0f} MiB"
        if WORKER_MAX_RSS_KIB
        else ""
    )
    print(
        f"  peak memory (max RSS): benchmark process {me / 1024:,.0f} MiB (it holds each run's"
        f" transfer requests, built up front){workers}"
    )
    for name, ok in verified.items():
        print(f"  verify_ledger on {name}: {'passed' if ok else 'FAILED'}")


if __name__ == "__main__":
    sys.exit(main())
