"""The controls' SQL stores and use cases on SQLite and PostgreSQL: idempotency keys,
limits and their usage, approvals with the database's four-eyes guard, step-up
challenges, and identical payments racing each other."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ebank.application import idempotency, identity, limits, payments
from ebank.application.idempotency import IdempotentRequest, Response
from ebank.application.ports import ConcurrencyConflict
from ebank.application.ports_controls import NewApproval, StoredResponse
from ebank.bootstrap import Bank
from ebank.domain.access import Actor, Role, UserKind
from ebank.domain.approvals import ApprovalStatus
from ebank.domain.customers import Tier
from ebank.domain.errors import IdempotencyKeyReused, LimitExceeded
from ebank.domain.limits import LimitUsage, TransactionLimit
from ebank.domain.step_up import PaymentLeg, StepUpPolicy, new_challenge
from factories import BRANCH, balances, bank_with_branch, deposit, individual, savings

TODAY = date(2026, 11, 2)
POLICY = StepUpPolicy(threshold_minor=500_000, ttl_s=300)


def staff_user(bank: Bank, name: str, role: Role = Role.TELLER) -> int:
    view = identity.create_user(
        bank.ctx,
        username=name,
        password="Tr0ub4dor&3-horse",
        kind=UserKind.STAFF,
        role=role,
        display_name=name,
        branch_code=BRANCH,
    )
    return view.user_id


def test_idempotency_keys_are_kept_once(bank: Bank) -> None:
    kept = StoredResponse("a" * 64, 201, '{"id": 1}', 5)
    with bank.ctx.uow() as uow:
        uow.idempotency.add("user:1", "k-1", kept)
        uow.commit()
    with bank.ctx.uow() as uow:
        assert uow.idempotency.get("user:1", "k-1") == kept
        assert uow.idempotency.get("user:2", "k-1") is None
        with pytest.raises(ConcurrencyConflict):
            uow.idempotency.add("user:1", "k-1", kept)


def test_limits_are_seeded_changed_and_usage_locked_per_day(bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, BRANCH)
    with bank.ctx.uow() as uow:
        seeded = uow.limits.all()
        assert len(seeded) == 7 * 4
        gold = uow.limits.get("api", Tier.GOLD, "CNY")
        assert gold is not None
        assert gold.per_transaction_minor == 5 * 5_000_000
        uow.limits.put(TransactionLimit("api", Tier.GOLD, "CNY", 1, 2, 3, 9, "ops1"))
        uow.limits.put(TransactionLimit("api", Tier.GOLD, "USD", 10, 20, 30, 9, "ops1"))
        assert uow.limits.usage_for_update(customer.id, "api", TODAY, "CNY") == LimitUsage()
        uow.limits.set_usage(customer.id, "api", TODAY, "CNY", LimitUsage(700, 2))
        uow.commit()
    with bank.ctx.uow() as uow:
        changed = uow.limits.get("api", Tier.GOLD, "CNY")
        assert changed is not None
        assert (changed.per_transaction_minor, changed.daily_count, changed.updated_by) == (
            1,
            3,
            "ops1",
        )
        assert len(uow.limits.all()) == 7 * 4 + 1
        assert uow.limits.usage_for_update(customer.id, "api", TODAY, "CNY") == LimitUsage(700, 2)
        tomorrow = date(2026, 11, 3)
        assert uow.limits.usage_for_update(customer.id, "api", tomorrow, "CNY") == LimitUsage()


def test_usage_counts_only_with_a_commit(bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, BRANCH)
    ctx = bank.ctx
    today = ctx.clock.today()
    with ctx.uow() as uow:
        limits.count_in(uow, today, customer, "sms", "CNY", [200_000, 200_000])
        uow.commit()
    assert limits.usage_today(ctx, customer.id, "sms", "CNY") == LimitUsage(400_000, 2)
    with ctx.uow() as uow, pytest.raises(LimitExceeded) as caught:
        limits.count_in(uow, today, customer, "sms", "CNY", [100_001])
    assert (caught.value.limit, caught.value.remaining) == ("daily_amount", 100_000)
    with ctx.uow() as uow:  # counted, then rolled back (the payment failed): nothing
        limits.count_in(uow, today, customer, "sms", "CNY", [100_000])
    assert limits.usage_today(ctx, customer.id, "sms", "CNY") == LimitUsage(400_000, 2)
    with ctx.uow() as uow, pytest.raises(LimitExceeded) as caught:
        limits.count_in(uow, today, customer, "api", "USD", [1])
    assert caught.value.limit == "not_configured"


def test_approvals_are_kept_decided_once_and_never_by_their_maker(bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    maker = staff_user(bank, "maker1")
    checker = staff_user(bank, "checker1", Role.SUPERVISOR)
    request = NewApproval("account_freeze", BRANCH, maker, "Freeze it", {"n": "1"}, None, None, 7)
    with bank.ctx.uow() as uow:
        rule = uow.approvals.rule("account_freeze")
        assert rule is not None
        assert rule.threshold_minor == 0
        assert rule.checker_roles == {Role.SUPERVISOR, Role.ADMIN}
        assert uow.approvals.rule("no_such_action") is None
        first = uow.approvals.add(request)
        second = uow.approvals.add(request)
        uow.commit()
    assert first.status is ApprovalStatus.PENDING
    assert first.payload == {"n": "1"}
    with bank.ctx.uow() as uow:
        assert [a.id for a in uow.approvals.pending(None, 10)] == [first.id, second.id]
        assert [a.id for a in uow.approvals.pending([BRANCH], 1)] == [first.id]
        assert uow.approvals.pending(["0001"], 10) == []
        uow.approvals.decide(first.id, ApprovalStatus.APPROVED, checker, "ok", {"r": 1}, 8)
        with pytest.raises(ConcurrencyConflict):
            uow.approvals.decide(first.id, ApprovalStatus.REJECTED, checker, "no", None, 9)
        uow.commit()
    with bank.ctx.uow() as uow:
        decided = uow.approvals.get(first.id, lock=True)
        assert decided is not None
        assert (decided.status, decided.checker_id, decided.result) == (
            ApprovalStatus.APPROVED,
            checker,
            {"r": 1},
        )
        assert [a.id for a in uow.approvals.pending(None, 10)] == [second.id]


def test_the_database_refuses_a_maker_checking_their_own_request(bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    maker = staff_user(bank, "maker2")
    with bank.ctx.uow() as uow:
        approval = uow.approvals.add(
            NewApproval("fee_waiver", BRANCH, maker, "Refund", {}, 100, "CNY", 1)
        )
        uow.commit()
    with bank.engine.connect() as conn, pytest.raises(IntegrityError):
        conn.execute(
            text("UPDATE approvals SET status = 'approved', checker_id = maker_id WHERE id = :i"),
            {"i": approval.id},
        )


def test_a_challenge_is_used_once(bank: Bank) -> None:
    bank_with_branch(bank.ctx)
    user = staff_user(bank, "stepper")
    leg = PaymentLeg("0100000000000011", "0100000000000029", 100, "CNY")
    challenge = new_challenge(uuid.uuid4(), user, [leg], POLICY, 1_000)
    with bank.ctx.uow() as uow:
        uow.challenges.add(challenge)
        uow.commit()
    with bank.ctx.uow() as uow:
        assert uow.challenges.get(challenge.id) == challenge
        assert uow.challenges.get(uuid.uuid4()) is None
        assert uow.challenges.use(challenge.id, 2_000)
        assert not uow.challenges.use(challenge.id, 3_000)
        uow.commit()
    with bank.ctx.uow() as uow:
        used = uow.challenges.get(challenge.id)
        assert used is not None
        assert used.used_at_us == 2_000


def _respond(result: payments.PaymentResult) -> Response:
    return Response(201, json.dumps({"ids": [str(e.id) for e in result.entries]}))


def test_identical_payments_racing_post_once_and_answer_alike(bank: Bank) -> None:
    """A retry sent while the first request still runs: the ledger posts once, both get
    the same response, the limit usage counts once; a different body is refused."""
    bank_with_branch(bank.ctx)
    customer = individual(bank.ctx, BRANCH)
    source = savings(bank.ctx, customer)
    target = savings(bank.ctx, customer)
    deposit(bank.ctx, source, 100_000)
    actor = Actor(999, "payer", UserKind.CUSTOMER, Role.CUSTOMER, customer_id=customer.id)
    order = payments.PaymentOrder(source.number, 30_000, "CNY", credit_number=target.number)
    request = IdempotentRequest("user:999", "race-1", "h" * 64)
    answers: list[Response] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def send() -> None:
        try:
            start.wait()
            done = payments.pay(bank.ctx, actor, [order], request, _respond, policy=POLICY)
            answers.append(done.response)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(answers) == 4
    assert len({a.body for a in answers}) == 1
    assert balances(bank.ctx, source)[1] == 30_000  # debits posted: once
    assert limits.usage_today(bank.ctx, customer.id, "api", "CNY") == LimitUsage(30_000, 1)
    posted_id = idempotency.transfer_id(999, "race-1", 0)
    assert str(posted_id) in answers[0].body

    changed = IdempotentRequest("user:999", "race-1", "x" * 64)
    with pytest.raises(IdempotencyKeyReused):
        payments.pay(bank.ctx, actor, [order], changed, _respond, policy=POLICY)
