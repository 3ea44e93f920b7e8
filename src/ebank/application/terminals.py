"""Terminals as the bank registers them: an ATM at a branch, with a cash GL account of
its own (product GL-CASH, gl_kind ``atm_cash``) and its cash cassettes; a POS terminal
at an active merchant. One unit of work each, audited like every change.

Who may: staff of operations or administration, within their branch subtree; or the
system (``actor=None``: the CLI, the demo bank, the switch's tests), audited as such.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ebank.application import audit
from ebank.application.account_services import Audited, run_audited
from ebank.application.banking import ACCOUNT_SERIAL
from ebank.application.context import Context
from ebank.application.ledger import post_within
from ebank.application.ports import UnitOfWork
from ebank.application.ports_terminals import TerminalRecord
from ebank.application.visibility import branches_in_scope, check_branch
from ebank.domain.access import Actor, Role, require_role
from ebank.domain.accounts import Account, AccountStatus, GlKind, account_number, product
from ebank.domain.codes import TxCode
from ebank.domain.errors import (
    AccountNotFound,
    AtmCashShort,
    BranchNotFound,
    MerchantNotActive,
    MerchantNotFound,
    TerminalNotFound,
    TransferRefused,
)
from ebank.domain.terminals import (
    MAX_LOCATION,
    Cassette,
    MerchantStatus,
    TerminalKind,
    TerminalState,
    TerminalStatus,
    cash_minor,
    check_cassettes,
    check_terminal_id,
    check_text,
    check_zone_key_ref,
)
from ebank.domain.transfers import Result, Transfer

T = TypeVar("T")
# Operations runs the terminal estate (and the monitoring centre); admins may too.
TERMINAL_ROLES = frozenset({Role.OPERATIONS, Role.ADMIN})
MAX_TERMINALS_LISTED = 2000
# Cash taken to and from an ATM is a back-office movement, posted as such.
CASH_CHANNEL = "branch"


@dataclass(frozen=True, slots=True)
class TerminalView:
    terminal_id: str
    kind: TerminalKind
    branch_code: str
    merchant_id: str | None
    zone_key_ref: str
    location: str
    cash_account_id: int | None
    status: TerminalStatus
    signed_on: bool
    state: TerminalState
    last_seen_at_us: int | None
    cassettes: tuple[Cassette, ...]

    @property
    def cash_minor(self) -> int:
        """What the cassettes hold, by their counts."""
        return cash_minor(self.cassettes)


def view_of(record: TerminalRecord, cassettes: tuple[Cassette, ...]) -> TerminalView:
    return TerminalView(
        terminal_id=record.terminal_id,
        kind=record.kind,
        branch_code=record.branch_code,
        merchant_id=record.merchant_id,
        zone_key_ref=record.zone_key_ref,
        location=record.location,
        cash_account_id=record.cash_account_id,
        status=record.status,
        signed_on=record.signed_on,
        state=record.state,
        last_seen_at_us=record.last_seen_at_us,
        cassettes=cassettes,
    )


def terminal(uow: UnitOfWork, terminal_id: str) -> TerminalView | None:
    """The terminal with its cassettes, read in the caller's unit of work."""
    record = uow.terminals.get(terminal_id)
    if record is None:
        return None
    return view_of(record, uow.terminals.cassettes(terminal_id))


def terminal_or_refuse(uow: UnitOfWork, terminal_id: str, *, lock: bool = False) -> TerminalRecord:
    record = uow.terminals.get(terminal_id, lock=lock)
    if record is None:
        raise TerminalNotFound(f"no terminal {terminal_id}")
    return record


def run_as(
    ctx: Context,
    actor: Actor | None,
    action: str,
    work: Callable[[UnitOfWork, int], Audited[T]],
    refused_target: str,
) -> T:
    """Run ``work`` in one unit of work, audited for ``actor`` (staff of ``TERMINAL_ROLES``)
    or for the system when ``actor`` is ``None``."""
    if actor is not None:
        require_role(actor, TERMINAL_ROLES)
        return run_audited(ctx, actor, action, work, changes=True, refused_target=refused_target)
    now = ctx.clock.now_us()
    with ctx.uow() as uow:
        done = work(uow, now)
        audit.record(
            uow, actor=None, action=action, target=done.target, details=done.details, now_us=now
        )
        uow.commit()
    return done.value


def _check_scope(uow: UnitOfWork, actor: Actor | None, branch_code: str) -> None:
    if uow.branches.get(branch_code) is None:
        raise BranchNotFound(f"no branch {branch_code}")
    if actor is not None:
        check_branch(uow, actor, branch_code)


def _open_cash_account(
    uow: UnitOfWork, branch_code: str, terminal_id: str, currency: str, now: int
) -> Account:
    """The ATM's own cash account: GL-CASH, kind atm_cash, in the ATM's branch."""
    cash = product("GL-CASH")
    serial = uow.sequences.next_block(ACCOUNT_SERIAL, 1)
    account = Account(
        id=serial,
        number=account_number(branch_code, serial),
        product_code=cash.code,
        currency=currency,
        branch_code=branch_code,
        customer_id=None,
        name=f"ATM cash {terminal_id} {currency}",
        status=AccountStatus.ACTIVE,
        overdraft_limit_minor=0,
        debits_must_not_exceed_credits=cash.debits_must_not_exceed_credits,
        credits_must_not_exceed_debits=cash.credits_must_not_exceed_debits,
        gl_kind=GlKind.ATM_CASH,
        opened_at_us=now,
    )
    uow.accounts.add(account)
    return account


def move_cash(
    uow: UnitOfWork,
    ctx: Context,
    record: TerminalRecord,
    amount_minor: int,
    currency: str,
    *,
    into_atm: bool,
    now: int,
) -> None:
    """Post cash from the branch vault into the ATM's cash account (a load), or back
    (an unload), in the caller's unit of work. ``AtmCashShort`` if the side paying out
    holds less than ``amount_minor``."""
    assert record.cash_account_id is not None, "an ATM has a cash account"
    vault = uow.accounts.gl_account(record.branch_code, GlKind.CASH, currency)
    if vault is None:
        raise AccountNotFound(f"branch {record.branch_code} has no {currency} vault")
    atm_id = record.cash_account_id
    debit, credit = (atm_id, vault.id) if into_atm else (vault.id, atm_id)
    what = "load" if into_atm else "unload"
    transfer = Transfer(
        id=ctx.ids.new_id(),
        debit_account_id=debit,
        credit_account_id=credit,
        amount_minor=amount_minor,
        currency=currency,
        code=TxCode.ATM_CASH_LOAD if into_atm else TxCode.ATM_CASH_UNLOAD,
        channel=CASH_CHANNEL,
        reference=f"ATM {record.terminal_id} {what}",
    )
    result = post_within(uow, [transfer], now).results[0]
    if result is Result.EXCEEDS_DEBITS:
        raise AtmCashShort(f"not enough cash to {what} ATM {record.terminal_id}")
    if result is not Result.OK:
        raise TransferRefused(result.value)


# -- use cases ---------------------------------------------------------------------------
def register_atm(
    ctx: Context,
    actor: Actor | None,
    terminal_id: str,
    branch_code: str,
    zone_key_ref: str,
    location: str,
    cassettes: Sequence[Cassette],
) -> TerminalView:
    """Register an ATM: its cash account is opened in ``branch_code`` and its cassettes
    recorded. Notes the cassettes carry are loaded from the branch vault in the same
    unit of work (``AtmCashShort`` if the vault holds less): the counts and the ATM's
    cash account agree from the start."""
    check_terminal_id(terminal_id)
    check_zone_key_ref(zone_key_ref)
    place = check_text(location, "location", MAX_LOCATION)
    loaded = check_cassettes(cassettes)

    def work(uow: UnitOfWork, now: int) -> Audited[TerminalView]:
        _check_scope(uow, actor, branch_code)
        currency = loaded[0].currency
        account = _open_cash_account(uow, branch_code, terminal_id, currency, now)
        record = TerminalRecord(
            terminal_id=terminal_id,
            kind=TerminalKind.ATM,
            branch_code=branch_code,
            merchant_id=None,
            zone_key_ref=zone_key_ref,
            location=place,
            cash_account_id=account.id,
            status=TerminalStatus.ACTIVE,
            signed_on=False,
            state=TerminalState.OK,
            last_seen_at_us=None,
            created_at_us=now,
        )
        uow.terminals.add_terminal(record)
        uow.terminals.add_cassettes(terminal_id, loaded)
        if cash_minor(loaded):
            move_cash(uow, ctx, record, cash_minor(loaded), currency, into_atm=True, now=now)
        details = {
            "branch": branch_code,
            "location": place,
            "zone_key_ref": zone_key_ref,
            "cash_account": account.number,
            "cassettes": len(loaded),
            "loaded_minor": cash_minor(loaded),
        }
        return Audited(view_of(record, loaded), f"terminal:{terminal_id}", details)

    return run_as(ctx, actor, "terminal.register_atm", work, f"terminal:{terminal_id}")


def register_pos(
    ctx: Context,
    actor: Actor | None,
    terminal_id: str,
    merchant_id: str,
    zone_key_ref: str,
    location: str,
) -> TerminalView:
    """Register a POS terminal at an active merchant (in the merchant's branch)."""
    check_terminal_id(terminal_id)
    check_zone_key_ref(zone_key_ref)
    place = check_text(location, "location", MAX_LOCATION)

    def work(uow: UnitOfWork, now: int) -> Audited[TerminalView]:
        merchant = uow.terminals.merchant(merchant_id)
        if merchant is None:
            raise MerchantNotFound(f"no merchant {merchant_id}")
        _check_scope(uow, actor, merchant.branch_code)
        if merchant.status is not MerchantStatus.ACTIVE:
            raise MerchantNotActive(f"merchant {merchant_id} is not active")
        record = TerminalRecord(
            terminal_id=terminal_id,
            kind=TerminalKind.POS,
            branch_code=merchant.branch_code,
            merchant_id=merchant_id,
            zone_key_ref=zone_key_ref,
            location=place,
            cash_account_id=None,
            status=TerminalStatus.ACTIVE,
            signed_on=False,
            state=TerminalState.OK,
            last_seen_at_us=None,
            created_at_us=now,
        )
        uow.terminals.add_terminal(record)
        details = {"merchant": merchant_id, "location": place, "zone_key_ref": zone_key_ref}
        return Audited(view_of(record, ()), f"terminal:{terminal_id}", details)

    return run_as(ctx, actor, "terminal.register_pos", work, f"terminal:{terminal_id}")


def list_terminals(ctx: Context, actor: Actor | None) -> list[TerminalView]:
    """Every terminal (staff: those of their branch subtree), by id, with cassettes."""
    if actor is not None:
        require_role(actor, TERMINAL_ROLES)
    with ctx.read() as uow:
        records = uow.terminals.all_terminals(MAX_TERMINALS_LISTED)
        if actor is not None:
            scope = branches_in_scope(uow, actor)
            if scope is not None:
                records = [r for r in records if r.branch_code in scope]
        cassettes = uow.terminals.cassettes_of(
            [r.terminal_id for r in records if r.kind is TerminalKind.ATM]
        )
    return [view_of(r, cassettes.get(r.terminal_id, ())) for r in records]


def get_terminal(ctx: Context, actor: Actor | None, terminal_id: str) -> TerminalView:
    if actor is not None:
        require_role(actor, TERMINAL_ROLES)
    with ctx.read() as uow:
        found = terminal(uow, terminal_id)
        if found is None:
            raise TerminalNotFound(f"no terminal {terminal_id}")
        if actor is not None:
            check_branch(uow, actor, found.branch_code)
    return found
