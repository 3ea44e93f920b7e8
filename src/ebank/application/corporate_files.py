"""Batch payment files (payroll and other bulk payments) of corporate customers: reading
the CSV and checking it line by line before anything is submitted.

The format (documented for customers in ``docs/corporate.md``): UTF-8 text (a byte-order
mark is allowed), comma-separated, one payment a line: payee account number, payee name,
amount as a plain decimal in the paying account's currency (``1234.50``: no thousands
separators, at most the currency's decimals), and an optional reference. The first line
may be the header ``account_number,name,amount,reference``; blank lines are skipped.

Every bad line is reported with its line number and what is wrong, all at once; a file
with any bad line is refused as a whole (``BatchFileRejected``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ebank.application.ledger import MAX_BATCH_SIZE
from ebank.application.ports_corporate import PaymentLine
from ebank.domain.accounts import Account, AccountStatus, is_valid_account_number
from ebank.domain.errors import BatchFileRejected, InvalidAmount, UnknownCurrency
from ebank.domain.money import MAX_AMOUNT_MINOR, Currency, Money, format_minor
from ebank.domain.transfers import MAX_REFERENCE_LENGTH

MAX_FILE_BYTES = 2_000_000
MAX_LINES = MAX_BATCH_SIZE  # the ledger posts a batch of at most this many transfers
MAX_NAME_LENGTH = 200
HEADERS = frozenset({"account_number", "账号"})

# A problem: (line number, code, parameters). Line 0 is the file as a whole. The codes are
# the keys of the entry points' messages (see ``PROBLEM_TEXTS`` in the web pages).
Problem = tuple[int, str, dict[str, str]]


@dataclass(frozen=True, slots=True)
class FileLine:
    """A line as read: the fields, the amount when it parsed."""

    line: int
    account_number: str
    name: str
    amount_minor: int | None
    reference: str


@dataclass(frozen=True, slots=True)
class ControlTotals:
    """What the maker says the file holds: checked against what it does hold."""

    count: int | None = None
    total: str | None = None  # a decimal in the paying account's currency, as typed


def read_file(data: bytes, currency: str) -> tuple[list[FileLine], list[Problem]]:
    """The lines of the file, and the problems found in the file itself."""
    if len(data) > MAX_FILE_BYTES:
        return [], [(0, "file_too_large", {"max": str(MAX_FILE_BYTES // 1000)})]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [(0, "not_utf8", {})]
    cur = Currency.of(currency)
    lines: list[FileLine] = []
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""))
    first = True
    for fields in reader:
        number = reader.line_num
        cells = [f.strip() for f in fields]
        if not any(cells):
            continue
        if first and cells[0].lower() in HEADERS:
            first = False
            continue
        first = False
        if len(lines) + len(problems) >= MAX_LINES:
            return [], [(0, "too_many_lines", {"max": str(MAX_LINES)})]
        read, problem = _read_line(number, cells, cur)
        if read is not None:
            lines.append(read)
        problems += problem
    if not lines and not problems:
        problems.append((0, "empty_file", {}))
    return lines, problems


def _read_line(
    number: int, cells: list[str], currency: Currency
) -> tuple[FileLine | None, list[Problem]]:
    if len(cells) not in (3, 4):
        return None, [(number, "field_count", {"found": str(len(cells))})]
    account, name, amount_text = cells[0], cells[1], cells[2]
    reference = cells[3] if len(cells) == 4 else ""
    problems: list[Problem] = []
    if not is_valid_account_number(account):
        problems.append((number, "account_number_invalid", {}))
    if not name:
        problems.append((number, "name_missing", {}))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append((number, "name_too_long", {"max": str(MAX_NAME_LENGTH)}))
    amount = _amount(amount_text, currency)
    if amount is None:
        problems.append((number, "amount_invalid", {"places": str(currency.exponent)}))
    elif amount <= 0:
        problems.append((number, "amount_not_positive", {}))
    if len(reference) > MAX_REFERENCE_LENGTH:
        problems.append((number, "reference_too_long", {"max": str(MAX_REFERENCE_LENGTH)}))
    return FileLine(number, account, name, amount, reference), problems


def _amount(text: str, currency: Currency) -> int | None:
    try:
        return Money.parse(text, currency).minor
    except (InvalidAmount, UnknownCurrency):
        return None


def check_lines(
    lines: Sequence[FileLine],
    payees: Mapping[str, Account],
    debit: Account,
    totals: ControlTotals,
) -> tuple[list[PaymentLine], list[Problem]]:
    """The payment lines, with every problem of the payees (``payees``: the accounts of
    the file's numbers), of duplicates and of the control totals."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    good: list[PaymentLine] = []
    for ln in lines:
        if not is_valid_account_number(ln.account_number):
            continue  # already reported by ``read_file``
        if ln.account_number in seen:
            problems.append((ln.line, "duplicate", {"line": str(seen[ln.account_number])}))
            continue
        seen[ln.account_number] = ln.line
        payee = payees.get(ln.account_number)
        problem = _payee_problem(payee, ln, debit)
        if problem is not None:
            problems.append((ln.line, problem, {}))
        elif payee is not None and ln.amount_minor and ln.amount_minor > 0:
            good.append(
                PaymentLine(payee.id, payee.number, payee.name, ln.amount_minor, ln.reference)
            )
    problems += _check_totals(lines, totals, debit.currency)
    return good, problems


def _payee_problem(payee: Account | None, ln: FileLine, debit: Account) -> str | None:
    # Whether the number exists and whether the name is right are one answer, as when a
    # payee is saved: the file must not tell who holds which account.
    if (
        payee is None
        or payee.gl_kind is not None
        or payee.status is AccountStatus.CLOSED
        or comparable(payee.name) != comparable(ln.name)
    ):
        return "payee_mismatch" if ln.name else None
    if payee.id == debit.id:
        return "own_account"
    if payee.currency != debit.currency:
        return "currency_mismatch"
    return None


def _check_totals(lines: Sequence[FileLine], totals: ControlTotals, currency: str) -> list[Problem]:
    cur = Currency.of(currency)
    problems: list[Problem] = []
    count = len(lines)
    total = sum(ln.amount_minor or 0 for ln in lines)
    if total > MAX_AMOUNT_MINOR:
        problems.append((0, "total_too_large", {}))
    if totals.count is not None and totals.count != count:
        problems.append((0, "count_mismatch", {"found": str(count), "stated": str(totals.count)}))
    stated = _amount(totals.total, cur) if totals.total else None
    if totals.total and stated is None:
        problems.append((0, "stated_total_invalid", {"places": str(cur.exponent)}))
    elif stated is not None and stated != total:
        problems.append(
            (
                0,
                "total_mismatch",
                {"found": format_minor(total, cur), "stated": format_minor(stated, cur)},
            )
        )
    return problems


def refuse_if_any(problems: list[Problem]) -> None:
    if problems:
        raise BatchFileRejected(sorted(problems, key=lambda p: p[0]))


def comparable(name: str) -> str:
    """A name as compared: compatibility-normalised (full-width letters as half-width),
    case and runs of spaces ignored."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())
