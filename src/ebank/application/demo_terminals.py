"""The demo bank's terminals: a few ATMs at its first outlets, loaded with cash from
their vaults, and one POS merchant (a supermarket, with its own current account) with a
terminal. ``ATM00001`` is the ATM that ``ebank atm`` drives by default."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ebank.application import banking, merchants, terminals
from ebank.application.context import Context
from ebank.domain.branches import BranchKind
from ebank.domain.customers import CustomerKind, IdType
from ebank.domain.terminals import Cassette

DEMO_ZONE_KEY = "ZPK-TEST-1"
DEMO_ATMS = ("ATM00001", "ATM00002", "ATM00003")
DEMO_POS = "POS00001"
DEMO_MERCHANT = "104620000000001"
_CASSETTES = (
    Cassette(1, "CNY", 10_000, 2000, 200),  # 2,000 notes of 100 yuan
    Cassette(2, "CNY", 5_000, 1000, 100),  # 1,000 notes of 50 yuan
)


@dataclass(frozen=True, slots=True)
class DemoTerminal:
    terminal_id: str
    kind: str
    where: str


def add_demo_terminals(ctx: Context) -> list[DemoTerminal]:
    """Register the demo terminals on a freshly built demo bank (its vaults funded)."""
    with ctx.read() as uow:
        outlets = sorted(
            (b for b in uow.branches.all() if b.kind is BranchKind.OUTLET), key=lambda b: b.code
        )
    if not outlets:
        return []
    made = []
    for terminal_id, outlet in zip(DEMO_ATMS, outlets, strict=False):
        terminals.register_atm(
            ctx, None, terminal_id, outlet.code, DEMO_ZONE_KEY, f"{outlet.name} lobby", _CASSETTES
        )
        made.append(DemoTerminal(terminal_id, "atm", outlet.name))
    shop_branch = outlets[0]
    owner = banking.add_customer(
        ctx,
        CustomerKind.CORPORATE,
        "陇南城关超市有限公司 Chengguan Supermarket",
        IdType.BUSINESS_LICENCE,
        "916212000000000001",
        shop_branch.code,
    )
    account = banking.open_account(ctx, owner.number, "CUR", "CNY", shop_branch.code)
    merchants.add_merchant(
        ctx,
        None,
        DEMO_MERCHANT,
        "城关超市 Chengguan Supermarket",
        "5411",
        shop_branch.code,
        account.number,
        Decimal("0.006"),
    )
    terminals.register_pos(ctx, None, DEMO_POS, DEMO_MERCHANT, DEMO_ZONE_KEY, "checkout 1")
    made.append(DemoTerminal(DEMO_POS, "pos", "城关超市 Chengguan Supermarket"))
    return made


def demo_terminals(ctx: Context) -> list[DemoTerminal]:
    """The demo terminals that exist in this bank (for ``ebank serve``'s table)."""
    with ctx.read() as uow:
        found = [uow.terminals.get(t) for t in (*DEMO_ATMS, DEMO_POS)]
    return [DemoTerminal(t.terminal_id, t.kind.value, t.location) for t in found if t is not None]
