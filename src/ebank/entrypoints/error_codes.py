"""THE table from a domain outcome to each protocol's answer.

Every named ledger result and every ``DomainError`` code maps here, once, to an HTTP
status, an ISO 8583 response code (field 39) and the short text a person reads (IVR,
SMS, CLI). Entry points look codes up here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from ebank.domain.errors import DomainError
from ebank.domain.transfers import Result


@dataclass(frozen=True, slots=True)
class Answer:
    http_status: int
    iso8583: str  # field 39
    text: str


_TABLE: dict[str, Answer] = {
    # ledger results
    Result.OK: Answer(200, "00", "done"),
    Result.LINKED_EVENT_FAILED: Answer(
        422, "05", "not done: another part of the same request failed"
    ),
    Result.LINKED_EVENT_CHAIN_OPEN: Answer(
        400, "30", "the last transfer of a batch cannot be linked"
    ),
    Result.DEBIT_ACCOUNT_NOT_FOUND: Answer(404, "14", "the account to pay from does not exist"),
    Result.CREDIT_ACCOUNT_NOT_FOUND: Answer(404, "12", "the account to pay to does not exist"),
    Result.CURRENCY_MISMATCH: Answer(422, "12", "the currency does not match the accounts"),
    Result.DEBIT_ACCOUNT_CLOSED: Answer(409, "57", "the account to pay from is closed"),
    Result.CREDIT_ACCOUNT_CLOSED: Answer(409, "57", "the account to pay to is closed"),
    Result.DEBIT_ACCOUNT_FROZEN: Answer(409, "62", "the account is frozen"),
    Result.DEBIT_ACCOUNT_DORMANT: Answer(
        409, "57", "the account is dormant: reactivate it at a branch"
    ),
    Result.EXCEEDS_CREDITS: Answer(422, "51", "insufficient funds"),
    Result.EXCEEDS_DEBITS: Answer(422, "05", "the receiving account cannot take this amount"),
    Result.OVERFLOWS_BALANCE: Answer(422, "13", "the amount is too large"),
    Result.EXISTS_WITH_DIFFERENT_KIND: Answer(
        409, "94", "this id was already used for a different transfer"
    ),
    Result.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT: Answer(
        409, "94", "this id was already used for a different transfer"
    ),
    Result.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT: Answer(
        409, "94", "this id was already used for a different transfer"
    ),
    Result.EXISTS_WITH_DIFFERENT_AMOUNT: Answer(
        409, "94", "this id was already used with a different amount"
    ),
    Result.EXISTS_WITH_DIFFERENT_CURRENCY: Answer(
        409, "94", "this id was already used for a different transfer"
    ),
    Result.EXISTS_WITH_DIFFERENT_PENDING_ID: Answer(
        409, "94", "this id was already used for a different transfer"
    ),
    Result.EXISTS_WITH_DIFFERENT_REVERSAL_OF: Answer(
        409, "94", "this id was already used for a different transfer"
    ),
    Result.EXISTS_WITH_DIFFERENT_FIELDS: Answer(
        409, "94", "this id was already used for a different transfer"
    ),
    Result.PENDING_TRANSFER_NOT_FOUND: Answer(404, "12", "no such hold"),
    Result.PENDING_TRANSFER_NOT_PENDING: Answer(422, "12", "that transfer is not a hold"),
    Result.PENDING_TRANSFER_ALREADY_POSTED: Answer(409, "94", "the hold was already completed"),
    Result.PENDING_TRANSFER_ALREADY_VOIDED: Answer(409, "12", "the hold was already cancelled"),
    Result.PENDING_TRANSFER_EXPIRED: Answer(409, "12", "the hold has expired"),
    Result.EXCEEDS_PENDING_TRANSFER_AMOUNT: Answer(422, "13", "more than the hold's amount"),
    Result.REVERSED_TRANSFER_NOT_FOUND: Answer(404, "12", "no such transfer to reverse"),
    Result.REVERSED_TRANSFER_NOT_POSTED: Answer(
        422, "12", "only a posted transfer can be reversed"
    ),
    Result.REVERSED_TRANSFER_ALREADY_REVERSED: Answer(
        409, "94", "the transfer was already reversed"
    ),
    Result.REVERSAL_ACCOUNTS_MISMATCH: Answer(
        422, "12", "a reversal must swap the original's accounts"
    ),
    Result.EXCEEDS_REVERSED_TRANSFER_AMOUNT: Answer(422, "13", "more than the original amount"),
    # other domain errors
    "invalid_input": Answer(400, "30", "invalid request"),
    "invalid_amount": Answer(400, "13", "invalid amount"),
    "unknown_currency": Answer(400, "30", "unknown currency"),
    "invalid_branch_tree": Answer(422, "12", "that unit cannot sit there in the branch tree"),
    "not_found": Answer(404, "12", "not found"),
    "branch_not_found": Answer(404, "12", "no such branch"),
    "customer_not_found": Answer(404, "14", "no such customer"),
    "account_not_found": Answer(404, "14", "no such account"),
    "transfer_not_found": Answer(404, "12", "no such transfer"),
    "already_exists": Answer(409, "94", "already exists"),
    "branch_exists": Answer(409, "94", "the branch already exists"),
    "account_exists": Answer(409, "94", "the account already exists"),
    "customer_exists": Answer(409, "94", "the customer already exists"),
    "account_status_conflict": Answer(409, "57", "not allowed in the account's present status"),
    "account_not_empty": Answer(409, "12", "the account must be empty to close"),
    "import_rejected": Answer(422, "30", "the import was refused; nothing was imported"),
}
SYSTEM_ERROR = Answer(500, "96", "system error")


def answer_for(code: str) -> Answer:
    """The answer for a result or error code; a code missing here is a programmer error
    that the tests catch, and in production answers as a system error."""
    return _TABLE.get(code, SYSTEM_ERROR)


def answer_for_error(error: DomainError) -> Answer:
    return answer_for(error.code)


def known_codes() -> frozenset[str]:
    return frozenset(_TABLE)
