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
