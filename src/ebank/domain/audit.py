"""The hash-chained audit trail as values and pure functions.

Every entry carries the hash of the entry before it; its own hash is
``SHA-256(previous hash, canonical form of the entry)``. ``audit_head`` remembers the last
sequence number and hash, so that any edited entry (its hash no longer matches), any
inserted or deleted entry (a gap in the sequence, or a link that no longer matches) and a
deleted tail (the head names an entry that is gone) is found by ``verify_chain``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

# The hash the first entry is chained to (also seeded into audit_head by migration 0002).
GENESIS_HASH = "0" * 64
# verify_chain stops listing problems after this many: one is enough to fail, and a
# wholesale rewrite must not flood the report.
MAX_PROBLEMS = 100


@dataclass(frozen=True, slots=True)
class AuditEntry:
    seq: int
    at_us: int
    actor_id: int | None
    actor: str
    action: str
    target: str
    outcome: str
    details: str  # canonical JSON of an object
    client_address: str
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The last entry's sequence number and hash (0 and GENESIS_HASH when empty)."""

    seq: int
    hash: str


class ProblemKind(StrEnum):
    EDITED = "edited"  # an entry's content no longer matches its hash
    BROKEN_LINK = "broken_link"  # an entry is not chained to the one before it
    GAP = "gap"  # sequence numbers missing or out of order: deleted or inserted entries
    HEAD_MISMATCH = "head_mismatch"  # the head does not name the last entry: a cut tail


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    kind: ProblemKind
    message: str


def canonical_details(details: object) -> str:
    """The one JSON text of a details object: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical(entry: AuditEntry) -> bytes:
    """What the hash covers: every field of the entry except the hashes themselves."""
    fields = [
        entry.seq,
        entry.at_us,
        entry.actor_id,
        entry.actor,
        entry.action,
        entry.target,
        entry.outcome,
        entry.details,
        entry.client_address,
    ]
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def chain_hash(prev_hash: str, entry: AuditEntry) -> str:
    digest = hashlib.sha256()
    digest.update(prev_hash.encode("ascii"))
    digest.update(b"\n")
    digest.update(canonical(entry))
    return digest.hexdigest()


def verify_chain(entries: Iterable[AuditEntry], head: AuditHead) -> list[ChainProblem]:
    """Every problem found walking ``entries`` (in ascending ``seq``) against ``head``;
    an empty list means the trail is intact."""
    problems: list[ChainProblem] = []
    prev_seq, prev_hash = 0, GENESIS_HASH
    for entry in entries:
        if len(problems) >= MAX_PROBLEMS:
            return problems
        if entry.seq != prev_seq + 1:
            problems.append(
                ChainProblem(
                    entry.seq,
                    ProblemKind.GAP,
                    f"entry {entry.seq} follows entry {prev_seq}: entries deleted or inserted",
                )
            )
        if entry.prev_hash != prev_hash:
            problems.append(
                ChainProblem(
                    entry.seq,
                    ProblemKind.BROKEN_LINK,
                    f"entry {entry.seq} is not chained to the entry before it",
                )
            )
        if chain_hash(entry.prev_hash, entry) != entry.hash:
            problems.append(
                ChainProblem(
                    entry.seq, ProblemKind.EDITED, f"entry {entry.seq} was changed after writing"
                )
            )
        prev_seq, prev_hash = entry.seq, entry.hash
    if (prev_seq, prev_hash) != (head.seq, head.hash) and len(problems) < MAX_PROBLEMS:
        problems.append(
            ChainProblem(
                prev_seq,
                ProblemKind.HEAD_MISMATCH,
                f"the trail ends at entry {prev_seq} but its head names entry {head.seq}",
            )
        )
    return problems
