"""The audit chain: an intact chain verifies; any single edit, insertion, deletion or
truncation of a random chain is found."""

from __future__ import annotations

import dataclasses

from hypothesis import given
from hypothesis import strategies as st

from ebank.domain.audit import (
    GENESIS_HASH,
    AuditEntry,
    AuditHead,
    ProblemKind,
    canonical_details,
    chain_hash,
    verify_chain,
)

texts = st.text(max_size=12)
contents = st.fixed_dictionaries(
    {
        "at_us": st.integers(min_value=0, max_value=2**62),
        "actor_id": st.none() | st.integers(min_value=1, max_value=10**9),
        "actor": texts,
        "action": texts,
        "target": texts,
        "outcome": st.sampled_from(["ok", "failed", "locked"]),
        "details": st.dictionaries(texts, st.integers() | texts, max_size=3).map(canonical_details),
        "client_address": texts,
    }
)


def seal(seq: int, prev_hash: str, fields: dict[str, object]) -> AuditEntry:
    entry = AuditEntry(seq=seq, prev_hash=prev_hash, hash="", **fields)  # type: ignore[arg-type]
    return dataclasses.replace(entry, hash=chain_hash(prev_hash, entry))


def build_chain(all_fields: list[dict[str, object]]) -> tuple[list[AuditEntry], AuditHead]:
    entries: list[AuditEntry] = []
    prev = GENESIS_HASH
    for seq, fields in enumerate(all_fields, start=1):
        entries.append(seal(seq, prev, fields))
        prev = entries[-1].hash
    return entries, AuditHead(seq=len(entries), hash=prev)


chains = st.lists(contents, min_size=1, max_size=12).map(build_chain)


@given(chains)
def test_an_intact_chain_verifies(chain: tuple[list[AuditEntry], AuditHead]) -> None:
    entries, head = chain
    assert verify_chain(entries, head) == []


def test_an_empty_trail_verifies_against_the_genesis_head() -> None:
    assert verify_chain([], AuditHead(0, GENESIS_HASH)) == []
    problems = verify_chain([], AuditHead(3, "f" * 64))
    assert [p.kind for p in problems] == [ProblemKind.HEAD_MISMATCH]


EDITABLE = [
    "at_us",
    "actor_id",
    "actor",
    "action",
    "target",
    "outcome",
    "details",
    "client_address",
]


@given(chains, st.data())
def test_any_edit_is_found(chain: tuple[list[AuditEntry], AuditHead], data: st.DataObject) -> None:
    entries, head = chain
    i = data.draw(st.integers(0, len(entries) - 1))
    field = data.draw(st.sampled_from(EDITABLE))
    old = getattr(entries[i], field)
    if isinstance(old, str):
        new: object = data.draw(texts.filter(lambda s: s != old))
    elif field == "details":
        new = old + " "
    else:
        new = (old or 0) + data.draw(st.integers(1, 1000))
    tampered = list(entries)
    tampered[i] = dataclasses.replace(entries[i], **{field: new})
    kinds = {p.kind for p in verify_chain(tampered, head)}
    assert ProblemKind.EDITED in kinds


@given(chains, st.data())
def test_a_deleted_entry_is_found(
    chain: tuple[list[AuditEntry], AuditHead], data: st.DataObject
) -> None:
    entries, head = chain
    i = data.draw(st.integers(0, len(entries) - 1))
    assert verify_chain(entries[:i] + entries[i + 1 :], head) != []


@given(chains, st.data())
def test_a_cut_tail_is_found(
    chain: tuple[list[AuditEntry], AuditHead], data: st.DataObject
) -> None:
    entries, head = chain
    keep = data.draw(st.integers(0, len(entries) - 1))
    kinds = {p.kind for p in verify_chain(entries[:keep], head)}
    assert kinds == {ProblemKind.HEAD_MISMATCH}


@given(chains, contents, st.data())
def test_an_inserted_entry_is_found_even_when_well_sealed(
    chain: tuple[list[AuditEntry], AuditHead], fields: dict[str, object], data: st.DataObject
) -> None:
    """The forger seals the new entry properly, chained to the one before it; the entry
    after it (or the head) still names the old predecessor."""
    entries, head = chain
    at = data.draw(st.integers(0, len(entries)))
    before = entries[at - 1] if at else None
    forged = seal(before.seq + 1 if before else 1, before.hash if before else GENESIS_HASH, fields)
    renumber = data.draw(st.booleans())
    rest = (
        [dataclasses.replace(e, seq=e.seq + 1) for e in entries[at:]] if renumber else entries[at:]
    )
    assert verify_chain([*entries[:at], forged, *rest], head) != []


def test_problems_are_capped() -> None:
    entries, head = build_chain([{**_plain(), "at_us": i} for i in range(150)])
    broken = [dataclasses.replace(e, actor="mallory") for e in entries]
    assert len(verify_chain(broken, head)) == 100


def _plain() -> dict[str, object]:
    return {
        "at_us": 0,
        "actor_id": None,
        "actor": "system",
        "action": "user.create",
        "target": "user:x",
        "outcome": "ok",
        "details": "{}",
        "client_address": "",
    }


def test_the_hash_covers_the_previous_hash() -> None:
    entry = seal(1, GENESIS_HASH, _plain())
    assert chain_hash("1" * 64, entry) != entry.hash
    relinked = dataclasses.replace(entry, prev_hash="1" * 64)
    kinds = {p.kind for p in verify_chain([relinked], AuditHead(1, entry.hash))}
    assert {ProblemKind.BROKEN_LINK, ProblemKind.EDITED} <= kinds
