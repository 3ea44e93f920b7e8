"""Transaction type codes carried by every transfer (``Transfer.code``)."""

from __future__ import annotations

from enum import IntEnum


class TxCode(IntEnum):
    TRANSFER = 1000
    CASH_DEPOSIT = 1001
    CASH_WITHDRAWAL = 1002
    BATCH_PAYMENT = 1003  # payroll and other bulk files from corporates
    HOLD = 1004  # a reservation of funds (two-phase)
    OPENING_BALANCE = 1010  # data migration from another system
    VAULT_FUNDING = 1011  # cash sent to a branch vault
    FEE = 1020
    INTEREST = 1030
    LOAN_DISBURSEMENT = 1040
    LOAN_REPAYMENT = 1041

    @classmethod
    def label(cls, code: int) -> str:
        try:
            return cls(code).name.lower()
        except ValueError:
            return str(code)
