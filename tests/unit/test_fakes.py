"""The in-memory unit of work keeps the promise of the real one: nothing leaves the block
without ``commit``."""

from __future__ import annotations

import pytest

from ebank.domain.branches import Branch, BranchKind

from .fakes import FakeStore, FakeUnitOfWork

HO = Branch("0001", "Head office", BranchKind.HEAD_OFFICE, None)


def test_leaving_without_commit_discards_the_changes() -> None:
    store = FakeStore()
    with FakeUnitOfWork(store) as uow:
        uow.branches.add(HO, 0)
        assert uow.sequences.next_block("account", 5) == 1
        assert uow.branches.get("0001") == HO
    assert store.state.branches == {}
    assert store.state.sequences["account"] == 0
    assert store.commits == 0


def test_an_exception_discards_the_changes() -> None:
    store = FakeStore()
    with pytest.raises(RuntimeError), FakeUnitOfWork(store) as uow:
        uow.branches.add(HO, 0)
        raise RuntimeError("boom")
    assert store.state.branches == {}


def test_commit_keeps_the_changes_and_later_ones_need_another_commit() -> None:
    store = FakeStore()
    with FakeUnitOfWork(store) as uow:
        uow.branches.add(HO, 0)
        assert uow.sequences.next_block("account", 5) == 1
        uow.commit()
        assert uow.sequences.next_block("account", 1) == 6
    assert store.state.branches == {"0001": HO}
    assert store.state.sequences["account"] == 5
    with FakeUnitOfWork(store) as uow:
        assert uow.branches.head_office() == HO
        assert uow.sequences.next_block("account", 1) == 6


def test_a_unit_of_work_works_on_a_copy() -> None:
    store = FakeStore()
    with FakeUnitOfWork(store) as first:
        first.branches.add(HO, 0)
        with FakeUnitOfWork(store) as second:
            assert second.branches.get("0001") is None
        first.commit()
    assert store.state.branches == {"0001": HO}
