"""Anticipated business outcomes. Each has a stable ``code``; the entry points map the
codes to their own protocol (HTTP status, ISO 8583 field 39, IVR/SMS text) in one table.
Programmer errors are not here: they are assertions."""

from __future__ import annotations


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str = "") -> None:
        super().__init__(message or self.code)
        self.message = message or self.code


class InvalidInput(DomainError):
    code = "invalid_input"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class UnknownCurrency(InvalidInput):
    code = "unknown_currency"


class NotFound(DomainError):
    code = "not_found"


class BranchNotFound(NotFound):
    code = "branch_not_found"


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class AccountNotFound(NotFound):
    code = "account_not_found"


class TransferNotFound(NotFound):
    code = "transfer_not_found"


class AlreadyExists(DomainError):
    code = "already_exists"


class BranchExists(AlreadyExists):
    code = "branch_exists"


class AccountExists(AlreadyExists):
    code = "account_exists"


class CustomerExists(AlreadyExists):
    code = "customer_exists"


class InvalidBranchTree(InvalidInput):
    code = "invalid_branch_tree"


class AccountStatusConflict(DomainError):
    """A status change that the account's present status does not allow."""

    code = "account_status_conflict"


class AccountNotEmpty(DomainError):
    code = "account_not_empty"


class TransferRefused(DomainError):
    """A single transfer that the ledger refused; ``result`` is the named result."""

    code = "transfer_refused"

    def __init__(self, result: str, message: str = "") -> None:
        super().__init__(message or result)
        self.result = result
        self.code = result


# --- identity, access and controls (the channels' shared services) -------------------


class AuthenticationFailed(DomainError):
    """Wrong username, password or one-time code: the answer never says which."""

    code = "authentication_failed"


class UserLocked(DomainError):
    """Too many failures: locked until ``until_us``."""

    code = "user_locked"

    def __init__(self, until_us: int, message: str = "") -> None:
        super().__init__(message or "too many failed attempts: try again later")
        self.until_us = until_us


class OtpInvalid(DomainError):
    code = "otp_invalid"


class OtpReplayed(OtpInvalid):
    """A one-time code that was already used (or an older one)."""

    code = "otp_replayed"


class TotpNotEnrolled(DomainError):
    code = "totp_not_enrolled"


class TokenInvalid(DomainError):
    """A missing, unknown, expired or revoked token."""

    code = "token_invalid"


class TokenExpired(TokenInvalid):
    code = "token_expired"


class TokenRevoked(TokenInvalid):
    code = "token_revoked"


class Forbidden(DomainError):
    """The caller's role may not do this (never used to hide another customer's things:
    those answer as not found)."""

    code = "forbidden"


class OutsideBranch(Forbidden):
    code = "outside_branch"


class WeakPassword(InvalidInput):
    code = "weak_password"


class UserExists(AlreadyExists):
    code = "user_exists"


class UserNotFound(NotFound):
    code = "user_not_found"


class StepUpRequired(DomainError):
    """This payment needs a fresh one-time code bound to its amount and payee."""

    code = "step_up_required"


class ChallengeInvalid(DomainError):
    """A step-up challenge that is unknown, used, expired or for another payment."""

    code = "challenge_invalid"


class LimitExceeded(DomainError):
    """A transaction limit refused the payment; says which limit and what remains."""

    code = "limit_exceeded"

    def __init__(self, limit: str, remaining: int, currency: str, message: str = "") -> None:
        super().__init__(message or f"{limit} exceeded: {remaining} remains")
        self.limit = limit
        self.remaining = remaining
        self.currency = currency


class IdempotencyKeyMissing(InvalidInput):
    code = "idempotency_key_missing"


class IdempotencyKeyReused(DomainError):
    """The same key with a different request."""

    code = "idempotency_key_reused"


class ApprovalNotFound(NotFound):
    code = "approval_not_found"


class ApprovalNotPending(DomainError):
    code = "approval_not_pending"


class MakerCannotCheck(Forbidden):
    """Dual control: the maker of a request never approves or rejects it."""

    code = "maker_cannot_check"


class BeneficiaryExists(AlreadyExists):
    code = "beneficiary_exists"


class BeneficiaryNotFound(NotFound):
    code = "beneficiary_not_found"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, retry_after_s: int, message: str = "") -> None:
        super().__init__(message or "too many requests")
        self.retry_after_s = retry_after_s


# --- customer services (accounts and customers) ---------------------------------------


class BeneficiaryMismatch(InvalidInput):
    """A payee's account number and name do not match an open customer account (the
    answer never says which of the two is wrong)."""

    code = "beneficiary_mismatch"


# --- money movement and controls --------------------------------------------------------


class StepUpChallenge(StepUpRequired):
    """``step_up_required``, with a new challenge for this very payment: the client shows
    ``summary``, asks for a one-time code and sends the payment again with both."""

    def __init__(self, challenge_id: str, summary: str, expires_at_us: int) -> None:
        super().__init__("confirm this payment with a one-time code")
        self.challenge_id = challenge_id
        self.summary = summary
        self.expires_at_us = expires_at_us


class TotpAlreadyEnrolled(DomainError):
    """An authenticator app is already enrolled: a new one needs an administrator."""

    code = "totp_already_enrolled"


# --- cards -------------------------------------------------------------------------


class CardNotFound(NotFound):
    code = "card_not_found"


class CardStatusConflict(DomainError):
    """The card's present status forbids the action (lifting a report on an active card,
    anything on a permanently blocked one)."""

    code = "card_status_conflict"


class CardLimitAboveMaximum(InvalidInput):
    code = "card_limit_above_maximum"


class CardAccountNotAllowed(InvalidInput):
    """The account is not the customer's, not open, or not of a product a card reaches."""

    code = "card_account_not_allowed"


# --- back office: the teller's counter and onboarding ------------------------------


class ResidentIdInvalid(InvalidInput):
    """A Chinese resident identity number that is not well formed: ``reason`` says which
    part is wrong (``format``, ``checksum``, ``birth_date`` or ``region``)."""

    code = "resident_id_invalid"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the resident identity number is not valid: {reason}")
        self.reason = reason


class ShiftAlreadyOpen(DomainError):
    """The teller already has a shift open in this currency: close it first."""

    code = "shift_already_open"


class NoOpenShift(DomainError):
    """Cash at the counter needs an open shift (a cash box with its float)."""

    code = "no_open_shift"


class TellerCashShort(DomainError):
    """The teller's cash box holds less than the amount to pay out."""

    code = "teller_cash_short"


# --- corporate online banking --------------------------------------------------------


class CorporatePaymentNotFound(NotFound):
    code = "corporate_payment_not_found"


class CorporatePaymentNotPending(DomainError):
    """The payment was already approved, rejected or cancelled."""

    code = "corporate_payment_not_pending"


class BatchFileRejected(InvalidInput):
    """A batch payment file with bad lines: nothing was submitted. ``problems`` holds
    ``(line number, problem code, parameters)`` for each (line 0: the file as a whole)."""

    code = "batch_file_rejected"

    def __init__(self, problems: list[tuple[int, str, dict[str, str]]], message: str = "") -> None:
        super().__init__(message or f"{len(problems)} problems in the file: nothing submitted")
        self.problems = problems


class ConfirmationNotFound(NotFound):
    code = "balance_confirmation_not_found"


class ConfirmationNotPending(DomainError):
    """The balance confirmation was already answered (or the dispute already resolved)."""

    code = "balance_confirmation_not_pending"


# --- customer tickets ---------------------------------------------------------------


class TicketNotFound(NotFound):
    code = "ticket_not_found"


class TicketStatusConflict(DomainError):
    """A ticket status change that is not allowed (a closed ticket stays closed)."""

    code = "ticket_status_conflict"


# --- cards at ATMs and POS: PIN security ---------------------------------------------


class WrongPin(DomainError):
    """The PIN entered does not match the card's (a try is counted)."""

    code = "wrong_pin"


class PinTriesExceeded(DomainError):
    """Three wrong PINs in a row: the card is locked until staff reset its tries."""

    code = "pin_tries_exceeded"


class CardExpired(DomainError):
    code = "card_expired"


class CardReportedLost(DomainError):
    """The card is under a temporary loss report (挂失)."""

    code = "card_reported_lost"


class CardBlocked(DomainError):
    """The card is blocked for good."""

    code = "card_blocked"


class CardNotActive(DomainError):
    """The card was issued but not activated, or has no PIN yet."""

    code = "card_not_active"


class PinBlockInvalid(InvalidInput):
    """A PIN block that does not decipher to a well-formed block of its format (wrong
    key, corrupted, or a PIN of the wrong length)."""

    code = "pin_block_invalid"


# --- cards at ATMs and POS: terminals, merchants and monitoring ----------------------


class TerminalNotFound(NotFound):
    code = "terminal_not_found"


class TerminalExists(AlreadyExists):
    code = "terminal_exists"


class TerminalKindMismatch(InvalidInput):
    """An ATM-only action on a POS terminal, or the reverse."""

    code = "terminal_kind_mismatch"


class MerchantNotFound(NotFound):
    code = "merchant_not_found"


class MerchantExists(AlreadyExists):
    code = "merchant_exists"


class MerchantNotActive(DomainError):
    """A POS terminal needs an active merchant."""

    code = "merchant_not_active"


class AtmCashShort(DomainError):
    """An ATM unload of more notes than a cassette holds, or a load the branch vault
    cannot cover."""

    code = "atm_cash_short"


class AlarmNotFound(NotFound):
    code = "alarm_not_found"


class AlarmNotOpen(DomainError):
    """Only an open alarm can be acknowledged."""

    code = "alarm_not_open"


# --- cards at ATMs and POS: the switch -------------------------------------------------


class TerminalNotActive(DomainError):
    """The terminal is registered but the bank has taken it out of service."""

    code = "terminal_not_active"


class TerminalNotSignedOn(DomainError):
    """The terminal has not signed on (0800/001), or has signed off."""

    code = "terminal_not_signed_on"


class CardTransactionNotSupported(DomainError):
    """A processing code this kind of terminal or message does not take."""

    code = "card_transaction_not_supported"


class CardAccountMissing(DomainError):
    """The card reaches no account of the type the processing code names."""

    code = "card_account_missing"


class CardDailyAmountExceeded(DomainError):
    """Over the card's daily ATM withdrawal amount or POS amount."""

    code = "card_daily_amount_exceeded"


class CardDailyCountExceeded(DomainError):
    """Over the card's daily number of ATM withdrawals."""

    code = "card_daily_count_exceeded"


class DuplicateTransmission(DomainError):
    """A message key (terminal, STAN, local date) already used for a different message."""

    code = "duplicate_transmission"


class OriginalMismatch(DomainError):
    """A completion or reversal whose card, amount or processing code is not that of
    the message it names."""

    code = "original_mismatch"


class IdentityCheckFailed(DomainError):
    """A call-centre agent's identity check of a caller failed (the identity number the
    caller gave is not the customer's)."""

    code = "identity_check_failed"
