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
    # terminals: cash into and out of an ATM, and merchants paid for their POS sales
    ATM_CASH_LOAD = 1070
    ATM_CASH_UNLOAD = 1071
    POS_SETTLEMENT = 1072
    POS_MERCHANT_FEE = 1073
    # cards at ATMs and POS through the switch
    ATM_WITHDRAWAL = 1080
    ATM_DEPOSIT = 1081
    POS_PURCHASE = 1082
    CARD_TRANSFER = 1083

    @classmethod
    def label(cls, code: int) -> str:
        try:
            return cls(code).name.lower()
        except ValueError:
            return str(code)
