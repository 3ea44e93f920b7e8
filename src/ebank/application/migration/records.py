"""What the data migration reads, reports and returns: the rows of the legacy files as
text, the problems found in them, the reconciliation report and the mapping from legacy
identifiers to the new numbers; and the limits it works within."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields

from ebank.domain.accounts import AccountStatus
from ebank.domain.errors import InvalidInput
from ebank.domain.transfers import MAX_REFERENCE_LENGTH

MIGRATION_CHANNEL = "migration"
POST_CHUNK = 5000  # opening-balance transfers per call of the ledger engine
MAX_ROWS = 1_000_000  # per file; a larger migration is split by branch
OPENING_REFERENCE = "opening balance "  # + the legacy account number
MAX_LEGACY_ID_LENGTH = MAX_REFERENCE_LENGTH - len(OPENING_REFERENCE)
IMPORT_PRODUCTS = ("SAV", "CUR", "LOAN")
IMPORT_STATUSES = (AccountStatus.ACTIVE, AccountStatus.FROZEN, AccountStatus.DORMANT)
READ_CHUNK = 1000  # keys per bulk read: customers, identities, balances
READ_BACK_TICK = READ_CHUNK  # customers read back (one chunk) between progress reports
# Told (stage, done, total) as a long import goes: "checking", "posting", "reading back".
Progress = Callable[[str, int, int], None]


def _quiet(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True, slots=True, order=True)
class Issue:
    """One problem, where it is: ``line`` 0 means the file as a whole."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    """A row of customers.csv as text (stripped); checked by ``import_legacy``."""

    file: str
    line: int
    legacy_id: str
    kind: str
    name: str
    tier: str
    id_type: str
    id_number: str
    branch_code: str
    phone: str


@dataclass(frozen=True, slots=True)
class AccountRecord:
    """A row of accounts.csv as text (stripped); checked by ``import_legacy``."""

    file: str
    line: int
    legacy_account_no: str
    customer_legacy_id: str
    branch_code: str
    product_code: str
    currency: str
    opening_balance: str
    overdraft_limit: str
    status: str


@dataclass(frozen=True, slots=True)
class CardRecord:
    """A row of cards.csv as text (stripped); checked by ``import_legacy``. ``pan`` and
    ``pin_block`` are secrets: never put them in a message (``masked`` instead)."""

    file: str
    line: int
    pan: str
    expiry: str  # YYMM
    status: str
    customer_legacy_id: str
    savings_account: str  # legacy account numbers (accounts.csv), either may be empty
    checking_account: str
    atm_daily_limit: str  # amounts in the card's currency; empty: the bank's default
    atm_daily_count: str
    pos_daily_limit: str
    pin_block: str  # 16 hex digits: ISO 9564 format 0 under the migration zone key

    @property
    def masked(self) -> str:
        return f"****{self.pan[-4:]}" if len(self.pan) >= 4 else "****"


@dataclass(slots=True)
class ImportBatch:
    """What the files held, and the problems found while reading them. A file that could
    not be read at all (``*_readable`` False) is not cross-checked against the other."""

    customers_file: str
    accounts_file: str
    customers: list[CustomerRecord] = field(default_factory=list)
    accounts: list[AccountRecord] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    customers_readable: bool = True
    cards_file: str = ""  # empty: no cards in this migration
    cards: list[CardRecord] = field(default_factory=list)
    accounts_readable: bool = True


class ImportRejected(InvalidInput):
    """The import found problems and imported nothing; ``issues`` lists every one."""

    code = "import_rejected"

    def __init__(self, issues: Sequence[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) found; nothing was imported")
        self.issues = list(issues)


@dataclass(slots=True)
class Totals:
    """Accounts and opening balances of one branch and currency, in minor units.
    Deposits are credit balances (an overdrawn current account counts negative), loans
    are amounts owed; suspense is the suspense account's credit-side movement."""

    accounts: int = 0
    frozen: int = 0
    dormant: int = 0
    deposits_minor: int = 0
    loans_minor: int = 0
    transfers: int = 0
    transfers_minor: int = 0
    suspense_minor: int = 0


@dataclass(frozen=True, slots=True)
class CustomerLine:
    branch_code: str
    read: int
    posted: int

    @property
    def matches(self) -> bool:
        return self.read == self.posted


@dataclass(frozen=True, slots=True)
class AccountLine:
    branch_code: str
    currency: str
    read: Totals
    posted: Totals

    @property
    def matches(self) -> bool:
        return self.read == self.posted


@dataclass(frozen=True, slots=True)
class CardLine:
    """Cards of one branch (their customer's) in one status: how many, and how many of
    them with a PIN, read from cards.csv and loaded into the bank."""

    branch_code: str
    status: str
    read: int
    posted: int
    read_with_pin: int
    posted_with_pin: int

    @property
    def matches(self) -> bool:
        return (self.read, self.read_with_pin) == (self.posted, self.posted_with_pin)


@dataclass(frozen=True, slots=True)
class ImportReport:
    customers: list[CustomerLine]
    accounts: list[AccountLine]
    cards: list[CardLine] = field(default_factory=list)

    @property
    def balanced(self) -> bool:
        return (
            all(c.matches for c in self.customers)
            and all(a.matches for a in self.accounts)
            and all(c.matches for c in self.cards)
        )

    def currency_totals(self) -> dict[str, tuple[Totals, Totals]]:
        """Per currency: (read, posted) summed over the branches."""
        out: dict[str, tuple[Totals, Totals]] = {}
        for line in self.accounts:
            read, posted = out.setdefault(line.currency, (Totals(), Totals()))
            _add(read, line.read)
            _add(posted, line.posted)
        return out


@dataclass(frozen=True, slots=True)
class MappingRow:
    """Legacy identifiers and the new numbers; a customer without accounts has a row with
    the account fields empty."""

    customer_legacy_id: str
    customer_number: str
    legacy_account_no: str = ""
    account_number: str = ""
    branch_code: str = ""
    product_code: str = ""
    currency: str = ""
    opening_balance: str = ""
    status: str = ""


@dataclass(frozen=True, slots=True)
class ImportResult:
    report: ImportReport
    mapping: list[MappingRow]
    dry_run: bool
    customers: int
    accounts: int
    transfers: int
    cards: int = 0


def _add(into: Totals, more: Totals) -> None:
    for f in fields(Totals):
        setattr(into, f.name, getattr(into, f.name) + getattr(more, f.name))
