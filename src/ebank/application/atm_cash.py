"""Cash in an ATM: loaded from the branch vault (a transfer vault -> the ATM's cash
account, the cassette counts raised by the notes put in) and unloaded back (some notes,
or everything the ATM's cash account holds, 清机). The counts are what the monitoring
reads for "cash low"; the cash account is what the ledger knows.

``record_dispense`` is for the switch: inside its unit of work, after a withdrawal
posted, it takes the notes paid out off the cassettes.
"""

from __future__ import annotations

from ebank.application.account_services import Audited
from ebank.application.context import Context
from ebank.application.ports import UnitOfWork
from ebank.application.ports_terminals import TerminalRecord
from ebank.application.terminals import (
    TerminalView,
    move_cash,
    run_as,
    terminal_or_refuse,
    view_of,
)
from ebank.domain.access import Actor
from ebank.domain.errors import AtmCashShort, InvalidInput, TerminalKindMismatch
from ebank.domain.terminals import (
    MAX_NOTES_PER_CASSETTE,
    TerminalKind,
    TerminalState,
    after_dispense,
    dispense_plan,
    with_counts,
)


def _atm(uow: UnitOfWork, terminal_id: str) -> TerminalRecord:
    record = terminal_or_refuse(uow, terminal_id, lock=True)
    if record.kind is not TerminalKind.ATM:
        raise TerminalKindMismatch(f"terminal {terminal_id} is not an ATM")
    return record


def _check_counts(counts: dict[int, int]) -> None:
    if not counts or any(not 0 < n <= MAX_NOTES_PER_CASSETTE for n in counts.values()):
        raise InvalidInput(f"name each cassette with 1 to {MAX_NOTES_PER_CASSETTE} notes")


def load_atm(
    ctx: Context, actor: Actor | None, terminal_id: str, notes_added: dict[int, int]
) -> TerminalView:
    """Put ``notes_added`` (cassette position -> notes) into the ATM from the branch
    vault. A low-cash state the ATM reported is over once it is loaded."""
    _check_counts(notes_added)

    def work(uow: UnitOfWork, now: int) -> Audited[TerminalView]:
        record = _atm(uow, terminal_id)
        before = uow.terminals.cassettes(terminal_id)
        by_position = {c.position: c for c in before}
        after = with_counts(
            before,
            {p: by_position[p].notes + n for p, n in notes_added.items() if p in by_position}
            | {p: n for p, n in notes_added.items() if p not in by_position},
        )
        amount = sum(by_position[p].denomination_minor * n for p, n in notes_added.items())
        move_cash(uow, ctx, record, amount, after[0].currency, into_atm=True, now=now)
        uow.terminals.set_notes(terminal_id, after)
        if record.state is TerminalState.CASH_LOW:
            uow.terminals.set_state(terminal_id, TerminalState.OK, now)
            record = terminal_or_refuse(uow, terminal_id)
        details = {"amount_minor": amount, "notes": {str(p): n for p, n in notes_added.items()}}
        return Audited(view_of(record, after), f"terminal:{terminal_id}", details)

    return run_as(ctx, actor, "atm.load", work, f"terminal:{terminal_id}")


def unload_atm(
    ctx: Context,
    actor: Actor | None,
    terminal_id: str,
    notes_removed: dict[int, int] | None = None,
) -> TerminalView:
    """Take ``notes_removed`` (cassette position -> notes) out of the ATM back to the
    branch vault; with ``None``, everything: the whole balance of the ATM's cash
    account goes back and every cassette is set empty."""
    if notes_removed is not None:
        _check_counts(notes_removed)

    def work(uow: UnitOfWork, now: int) -> Audited[TerminalView]:
        record = _atm(uow, terminal_id)
        before = uow.terminals.cassettes(terminal_id)
        if notes_removed is None:
            assert record.cash_account_id is not None
            amount = uow.accounts.balances(record.cash_account_id).ledger_minor
            after = with_counts(before, {c.position: 0 for c in before})
        else:
            by_position = {c.position: c for c in before}
            unknown = sorted(set(notes_removed) - set(by_position))
            if unknown:
                raise InvalidInput(f"the ATM has no cassette {unknown[0]}")
            if any(by_position[p].notes < n for p, n in notes_removed.items()):
                raise AtmCashShort(f"ATM {terminal_id}: a cassette holds fewer notes")
            after = after_dispense(before, notes_removed)
            amount = sum(by_position[p].denomination_minor * n for p, n in notes_removed.items())
        if amount:
            move_cash(uow, ctx, record, amount, before[0].currency, into_atm=False, now=now)
        uow.terminals.set_notes(terminal_id, after)
        details: dict[str, object] = {"amount_minor": amount}
        if notes_removed is not None:
            details["notes"] = {str(p): n for p, n in notes_removed.items()}
        return Audited(view_of(record, after), f"terminal:{terminal_id}", details)

    return run_as(ctx, actor, "atm.unload", work, f"terminal:{terminal_id}")


def can_dispense(uow: UnitOfWork, terminal_id: str, amount_minor: int) -> bool:
    """Whether the ATM's cassettes can pay out exactly ``amount_minor``."""
    return dispense_plan(uow.terminals.cassettes(terminal_id), amount_minor) is not None


def record_dispense(uow: UnitOfWork, terminal_id: str, amount_minor: int) -> dict[int, int]:
    """Take the notes for ``amount_minor`` off the ATM's cassettes in the caller's unit
    of work; returns them (position -> notes). ``AtmCashShort`` if they cannot make it."""
    cassettes = uow.terminals.cassettes(terminal_id)
    plan = dispense_plan(cassettes, amount_minor)
    if plan is None:
        raise AtmCashShort(f"ATM {terminal_id} cannot pay out {amount_minor}")
    uow.terminals.set_notes(terminal_id, after_dispense(cassettes, plan))
    return plan
