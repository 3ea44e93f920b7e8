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
    # identity, access and controls
    "authentication_failed": Answer(401, "55", "the login details are not right"),
    "user_locked": Answer(423, "75", "locked after too many failed attempts: try later"),
    "otp_invalid": Answer(401, "55", "the one-time code is not right"),
    "otp_replayed": Answer(401, "55", "that one-time code was already used: wait for the next"),
    "totp_not_enrolled": Answer(409, "57", "set up the authenticator app first"),
    "token_invalid": Answer(401, "05", "not signed in"),
    "token_expired": Answer(401, "05", "the session has expired: sign in again"),
    "token_revoked": Answer(401, "05", "the session was ended: sign in again"),
    "forbidden": Answer(403, "57", "not allowed for your role"),
    "outside_branch": Answer(403, "57", "outside your branch"),
    "weak_password": Answer(400, "30", "the password is too weak"),
    "user_exists": Answer(409, "94", "the user name is taken"),
    "user_not_found": Answer(404, "14", "no such user"),
    "step_up_required": Answer(401, "55", "confirm this payment with a one-time code"),
    "challenge_invalid": Answer(
        422, "55", "the confirmation is unknown, used, expired or for another payment"
    ),
    "limit_exceeded": Answer(422, "61", "over the limit"),
    "idempotency_key_missing": Answer(400, "30", "an Idempotency-Key header is required"),
    "idempotency_key_reused": Answer(
        422, "94", "this Idempotency-Key was used for a different request"
    ),
    "approval_not_found": Answer(404, "12", "no such approval request"),
    "approval_not_pending": Answer(409, "12", "the request was already decided"),
    "maker_cannot_check": Answer(403, "57", "the maker cannot approve their own request"),
    "beneficiary_exists": Answer(409, "94", "that payee is already saved"),
    "beneficiary_not_found": Answer(404, "14", "no such payee"),
    "rate_limited": Answer(429, "91", "too many requests: slow down"),
    "totp_already_enrolled": Answer(409, "94", "an authenticator app is already set up"),
    # customer services
    "beneficiary_mismatch": Answer(
        422, "14", "the account number and name do not match an open account"
    ),
    # cards
    "card_not_found": Answer(404, "14", "no such card"),
    "card_status_conflict": Answer(409, "62", "not allowed in the card's present status"),
    "card_limit_above_maximum": Answer(422, "61", "a card limit is above the bank's maximum"),
    "card_account_not_allowed": Answer(
        422, "12", "that account cannot be linked to a card of this customer"
    ),
    # back office
    "resident_id_invalid": Answer(
        422, "30", "the resident identity number is not valid: check it against the card"
    ),
    "shift_already_open": Answer(409, "94", "your shift is already open"),
    "no_open_shift": Answer(409, "57", "open your shift (cash box) first"),
    "teller_cash_short": Answer(422, "51", "your cash box does not hold that much"),
    # corporate online banking
    "corporate_payment_not_found": Answer(404, "12", "no such payment"),
    "corporate_payment_not_pending": Answer(409, "12", "the payment was already decided"),
    "batch_file_rejected": Answer(
        422, "30", "the file has errors: nothing was submitted (see the report)"
    ),
    "balance_confirmation_not_found": Answer(404, "12", "no such balance confirmation"),
    "balance_confirmation_not_pending": Answer(
        409, "12", "the balance confirmation was already answered"
    ),
    # customer tickets
    "ticket_not_found": Answer(404, "12", "no such message"),
    "ticket_status_conflict": Answer(409, "12", "this message cannot change that way"),
    # cards at ATMs and POS: PIN security. A PIN block that does not decipher to a
    # well-formed block answers 55 like a wrong PIN: a distinct code would be an oracle
    # on the block's format (the known format-oracle attacks on PIN blocks), and the
    # message itself was well formed (30 is for the message).
    "wrong_pin": Answer(422, "55", "wrong PIN"),
    "pin_tries_exceeded": Answer(
        423, "75", "too many wrong PINs: the card is locked until the bank resets it"
    ),
    "card_expired": Answer(422, "54", "the card has expired"),
    "card_reported_lost": Answer(409, "41", "the card is reported lost"),
    "card_blocked": Answer(409, "43", "the card is blocked"),
    "card_not_active": Answer(409, "62", "the card is not active yet"),
    "pin_block_invalid": Answer(422, "55", "the PIN could not be read: enter it again"),
    # cards at ATMs and POS: terminals, merchants and monitoring. An unknown
    # terminal answers 58 (transaction not permitted to terminal), as ISO 8583 does.
    "terminal_not_found": Answer(404, "58", "no such terminal"),
    "terminal_exists": Answer(409, "94", "a terminal with this id is already registered"),
    "terminal_kind_mismatch": Answer(422, "12", "this terminal is not of the right kind"),
    "merchant_not_found": Answer(404, "03", "no such merchant"),
    "merchant_exists": Answer(409, "94", "a merchant with this id is already registered"),
    "merchant_not_active": Answer(409, "03", "the merchant is not active"),
    "atm_cash_short": Answer(422, "51", "not enough cash for this load or unload"),
    "alarm_not_found": Answer(404, "12", "no such alarm"),
    "alarm_not_open": Answer(409, "12", "the alarm is no longer open"),
    # cards at ATMs and POS: the switch. A terminal the bank took out of service
    # answers 58 like an unknown one; a known terminal that has not signed on answers 91
    # (the issuer is not reachable from it until it signs on).
    "terminal_not_active": Answer(409, "58", "the terminal is out of service"),
    "terminal_not_signed_on": Answer(409, "91", "the terminal has not signed on"),
    "card_transaction_not_supported": Answer(
        422, "12", "this transaction is not available at this terminal"
    ),
    "card_account_missing": Answer(422, "57", "the card has no account of that type"),
    "card_daily_amount_exceeded": Answer(422, "61", "over the card's daily amount"),
    "card_daily_count_exceeded": Answer(422, "65", "over the card's daily number of withdrawals"),
    "duplicate_transmission": Answer(409, "94", "this message number was used for another"),
    "original_mismatch": Answer(422, "12", "not the transaction it refers to"),
    "identity_check_failed": Answer(422, "05", "the identity check failed"),
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
