"""Account status rules, account numbers, balances as read, the branch tree, customers."""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from ebank.domain.accounts import (
    PRODUCTS,
    Account,
    AccountStatus,
    Balances,
    NormalSide,
    account_number,
    check_status_change,
    is_valid_account_number,
    luhn_check_digit,
    product,
)
from ebank.domain.branches import Branch, BranchKind, check_parent
from ebank.domain.customers import (
    Customer,
    CustomerKind,
    IdType,
    Tier,
    check_customer_fields,
    customer_number,
    masked_email,
)
from ebank.domain.errors import (
    AccountNotEmpty,
    AccountStatusConflict,
    DomainError,
    InvalidBranchTree,
    InvalidInput,
    TransferRefused,
)

A, F, D, C = (
    AccountStatus.ACTIVE,
    AccountStatus.FROZEN,
    AccountStatus.DORMANT,
    AccountStatus.CLOSED,
)
ALLOWED = {(A, F), (D, F), (F, A), (A, D), (D, A), (A, C), (D, C)}
ZERO = Balances(NormalSide.CREDIT, 0, 0, 0, 0)


def account(status: AccountStatus = A) -> Account:
    return Account(
        id=1,
        number=account_number("0001", 1),
        product_code="SAV",
        currency="CNY",
        branch_code="0001",
        customer_id=1,
        name="x",
        status=status,
        overdraft_limit_minor=0,
        debits_must_not_exceed_credits=True,
        credits_must_not_exceed_debits=False,
        gl_kind=None,
        opened_at_us=0,
    )


@pytest.mark.parametrize(("old", "new"), list(itertools.product(AccountStatus, repeat=2)))
def test_status_transitions(old: AccountStatus, new: AccountStatus) -> None:
    if (old, new) in ALLOWED:
        check_status_change(account(old), new, ZERO)
    else:
        with pytest.raises(AccountStatusConflict, match=f"is {old}; it cannot become {new}"):
            check_status_change(account(old), new, ZERO)


@pytest.mark.parametrize(
    "counters",
    [
        (0, 0, 0, 1),  # money left
        (0, 1, 0, 0),  # overdrawn
        (1, 5, 0, 5),  # a hold on it
        (0, 5, 1, 5),  # a pending credit
    ],
)
@pytest.mark.parametrize("old", [A, D])
def test_closing_needs_zero_and_no_holds(
    old: AccountStatus, counters: tuple[int, int, int, int]
) -> None:
    balances = Balances(NormalSide.CREDIT, *counters)
    with pytest.raises(AccountNotEmpty):
        check_status_change(account(old), C, balances)
    check_status_change(account(old), F, balances)  # other changes do not care


def test_closing_at_zero_with_history() -> None:
    check_status_change(account(), C, Balances(NormalSide.CREDIT, 0, 700, 0, 700))


def test_account_number_layout_and_check_digit() -> None:
    number = account_number("0100", 123)
    assert number == "0100" + "00000000000123" + str(luhn_check_digit("010000000000000123"))
    assert len(number) == 19
    assert is_valid_account_number(number)
    assert account_number("9999", 10**14 - 1).startswith("999999999999999999")


def test_luhn_known_values() -> None:
    assert luhn_check_digit("7992739871") == 3  # the textbook example, 79927398713
    assert luhn_check_digit("453201511283036") == 6  # a Visa test number
    assert luhn_check_digit("0") == 0


@pytest.mark.parametrize("serial", [1, 2, 99, 123_456, 98_765_432_101_234])
def test_every_single_digit_error_is_caught(serial: int) -> None:
    number = account_number("0421", serial)
    for i, ch in enumerate(number):
        for d in "0123456789":
            if d != ch:
                assert not is_valid_account_number(number[:i] + d + number[i + 1 :])


@pytest.mark.parametrize("serial", [1, 1234, 5_555_555])
def test_adjacent_transpositions_are_caught(serial: int) -> None:
    number = account_number("0421", serial)
    for i in range(len(number) - 1):
        a, b = number[i], number[i + 1]
        if a != b and {a, b} != {"0", "9"}:  # Luhn's one blind spot
            swapped = number[:i] + b + a + number[i + 2 :]
            assert not is_valid_account_number(swapped)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "123",
        "0001000000000000017x",
        "00010000000000000170",
        "000100000000000001",
        "0001000000000000171",
    ],
)
def test_malformed_account_numbers(bad: str) -> None:
    assert not is_valid_account_number(bad)


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) for c in text)


def _arabic_indic(text: str) -> str:
    return "".join(chr(ord(c) - ord("0") + 0x660) for c in text)


# BUG (src/ebank/domain/accounts.py): ``is_valid_account_number`` and ``account_number``
# test digits with ``str.isdigit()``, which is true for every Unicode digit: a number
# typed with full-width digits (as a Chinese IME produces) or Arabic-Indic digits passes
# the check, and superscript digits ("²") crash ``int()`` with a ValueError instead of
# being refused.
def test_only_ascii_digits_make_a_valid_account_number() -> None:
    number = account_number("0001", 17)
    assert is_valid_account_number(number)
    assert [
        is_valid_account_number(spelling)
        for spelling in (_fullwidth(number), _arabic_indic(number))
    ] == [False, False]
    assert not is_valid_account_number("²" * 19)  # today: ValueError from int("²")


def test_account_number_refuses_a_branch_code_of_non_ascii_digits() -> None:
    for branch in ("０００１", "٠٠٠١", "000²"):
        with pytest.raises(InvalidInput):
            account_number(branch, 1)


@pytest.mark.parametrize(
    ("branch", "serial"),
    [("001", 1), ("00011", 1), ("abcd", 1), ("0001", 0), ("0001", -1), ("0001", 10**14)],
)
def test_account_number_refusals(branch: str, serial: int) -> None:
    with pytest.raises(InvalidInput):
        account_number(branch, serial)


def test_products() -> None:
    assert product("SAV").debits_must_not_exceed_credits
    assert not product("SAV").overdraft_allowed
    assert product("CUR").overdraft_allowed
    assert product("LOAN").credits_must_not_exceed_debits
    assert product("LOAN").normal_side is NormalSide.DEBIT
    assert not any(p.for_customers for code, p in PRODUCTS.items() if code.startswith("GL-"))
    with pytest.raises(InvalidInput):
        product("sav")


def test_balances_of_a_deposit() -> None:
    b = Balances(
        NormalSide.CREDIT,
        debits_pending=300,
        debits_posted=2_000,
        credits_pending=50,
        credits_posted=10_000,
        overdraft_limit_minor=1_000,
    )
    assert b.ledger_minor == 8_000
    assert b.available_minor == 8_000 - 300 + 1_000  # pending credits are not yet money
    assert b.has_pending


def test_balances_of_a_debit_normal_account() -> None:
    b = Balances(
        NormalSide.DEBIT,
        debits_pending=0,
        debits_posted=10_000,
        credits_pending=400,
        credits_posted=3_000,
    )
    assert b.ledger_minor == 7_000
    assert b.available_minor == 6_600
    assert not Balances(NormalSide.DEBIT, 0, 5, 0, 5).has_pending


def test_account_normal_side_comes_from_its_product() -> None:
    assert account().normal_side is NormalSide.CREDIT
    loan = dataclasses.replace(account(), product_code="LOAN")
    assert loan.normal_side is NormalSide.DEBIT


# -- branches --------------------------------------------------------------------------------
HO = Branch("0001", "总行", BranchKind.HEAD_OFFICE, None)
BR = Branch("0100", "分行", BranchKind.BRANCH, "0001")
SUB = Branch("0110", "支行", BranchKind.SUB_BRANCH, "0100")
OUT = Branch("0111", "网点", BranchKind.OUTLET, "0110")
UNITS = {b.kind: b for b in (HO, BR, SUB, OUT)}
ALLOWED_PARENTS = {
    (BranchKind.BRANCH, BranchKind.HEAD_OFFICE),
    (BranchKind.SUB_BRANCH, BranchKind.HEAD_OFFICE),
    (BranchKind.SUB_BRANCH, BranchKind.BRANCH),
    (BranchKind.OUTLET, BranchKind.HEAD_OFFICE),
    (BranchKind.OUTLET, BranchKind.BRANCH),
    (BranchKind.OUTLET, BranchKind.SUB_BRANCH),
}


@pytest.mark.parametrize(("kind", "parent_kind"), list(itertools.product(BranchKind, repeat=2)))
def test_which_unit_may_sit_under_which(kind: BranchKind, parent_kind: BranchKind) -> None:
    parent = UNITS[parent_kind]
    if (kind, parent_kind) in ALLOWED_PARENTS:
        check_parent(kind, parent, head_office_exists=True)
    else:
        with pytest.raises(InvalidBranchTree):
            check_parent(kind, parent, head_office_exists=True)


def test_the_head_office_is_alone_at_the_top() -> None:
    check_parent(BranchKind.HEAD_OFFICE, None, head_office_exists=False)
    with pytest.raises(InvalidBranchTree, match="already has a head office"):
        check_parent(BranchKind.HEAD_OFFICE, None, head_office_exists=True)
    for kind in (BranchKind.BRANCH, BranchKind.SUB_BRANCH, BranchKind.OUTLET):
        with pytest.raises(InvalidBranchTree, match="needs a parent"):
            check_parent(kind, None, head_office_exists=True)


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("001", "x"),
        ("00001", "x"),
        ("00a1", "x"),
        ("0001", ""),
        ("0001", "   "),
        ("0001", "x" * 101),
    ],
)
def test_branch_fields(code: str, name: str) -> None:
    with pytest.raises(InvalidInput):
        Branch(code, name, BranchKind.OUTLET, "0001")


# BUG (src/ebank/domain/branches.py, Branch.__post_init__): the 4-digit check uses
# ``str.isdigit()``, so full-width, Arabic-Indic and even superscript "digits" are accepted;
# ``add_branch`` then fails later with a ValueError from ``luhn_check_digit``.
def test_a_branch_code_is_four_ascii_digits() -> None:
    for code in ("０００１", "٠٠٠١", "000²"):
        with pytest.raises(InvalidInput):
            Branch(code, "x", BranchKind.HEAD_OFFICE, None)


def test_a_branch_name_of_100_characters() -> None:
    assert len(Branch("0001", "行" * 100, BranchKind.HEAD_OFFICE, None).name) == 100


# -- customers --------------------------------------------------------------------------------
def test_customer_numbers() -> None:
    assert customer_number(1) == "C0000000001"
    assert customer_number(9_999_999_999) == "C9999999999"
    for bad in (0, -1, 10**10):
        with pytest.raises(InvalidInput):
            customer_number(bad)


def test_customer_identity_rules() -> None:
    check_customer_fields(CustomerKind.INDIVIDUAL, "张三", IdType.RESIDENT_ID, "1")
    check_customer_fields(CustomerKind.INDIVIDUAL, "Zhang", IdType.PASSPORT, "E1")
    check_customer_fields(CustomerKind.INDIVIDUAL, "Zhang", IdType.OTHER, "E1")
    check_customer_fields(CustomerKind.CORPORATE, "公司", IdType.BUSINESS_LICENCE, "9")
    check_customer_fields(CustomerKind.CORPORATE, "公司", IdType.OTHER, "9")
    with pytest.raises(InvalidInput):
        Customer(
            1,
            "C0000000001",
            CustomerKind.CORPORATE,
            "公司",
            Tier.GOLD,
            IdType.RESIDENT_ID,
            "1",
            "0001",
        )


def _with_email(email: str) -> Customer:
    return Customer(
        1,
        "C0000000001",
        CustomerKind.INDIVIDUAL,
        "王芳",
        Tier.STANDARD,
        IdType.PASSPORT,
        "E1",
        "0001",
        email=email,
    )


@pytest.mark.parametrize("email", ["", "wang.fang@example.com", "a@b", "x" * 64 + "@" + "d" * 189])
def test_an_email_address_may_be_empty_or_plausible(email: str) -> None:
    assert _with_email(email).email == email


@pytest.mark.parametrize(
    "email",
    [
        "wang.fang",  # no @
        "wang@fang@example.com",  # two
        "@example.com",  # no name
        "wang@",  # no domain
        "wang fang@example.com",  # a space
        "wang@example.com\n",  # a line break
        "x" * 64 + "@" + "d" * 190,  # 255 characters
    ],
)
def test_an_implausible_email_address_is_refused(email: str) -> None:
    with pytest.raises(InvalidInput):
        _with_email(email)
    with pytest.raises(InvalidInput):
        check_customer_fields(CustomerKind.INDIVIDUAL, "王芳", IdType.PASSPORT, "E1", "", email)


def test_email_addresses_are_masked_for_the_audit_trail() -> None:
    assert masked_email("wang.fang@example.com") == "w***@example.com"
    assert masked_email("") == ""


def test_domain_errors_carry_stable_codes() -> None:
    assert AccountNotEmpty().code == "account_not_empty"
    assert str(AccountNotEmpty()) == "account_not_empty"
    assert AccountNotEmpty("why").message == "why"
    refused = TransferRefused("exceeds_credits")
    assert (refused.code, refused.result, str(refused)) == (
        "exceeds_credits",
        "exceeds_credits",
        "exceeds_credits",
    )
    assert isinstance(refused, DomainError)
    assert issubclass(InvalidBranchTree, InvalidInput)
