"""Verifying the ledger's hash chain: proof that no row was changed or removed behind the application's back.

The walk goes in id order, a chunk at a time (keyset paging, never the whole table in memory), and recomputes
each row's hash from its content and its predecessor's hash. A row changed in place no longer matches its own
hash; a row removed (or one whose hash was forged to match new content) breaks the link of the row after it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from db.engine import session_scope
from db.ledger import Transaction
from services import ledger
from services.permissions import Actor, Permission, require

CHUNK = 5_000
Progress = Callable[[int, int], None]  # (rows checked, rows in all)
_COLUMNS = [Transaction.__table__.c[name] for name in ('id', 'prev_hash', 'row_hash', *ledger.HASHED_FIELDS,
                                                        *ledger.LATER_FIELDS)]  # fmt: skip


@dataclass(frozen=True)
class Verification:
    """`ok`, or the first broken row and why; `rows` counts the rows found sound before it."""

    ok: bool
    rows: int
    broken_id: int | None = None
    reason: str | None = None

    @property
    def summary(self) -> str:
        if self.ok:
            return f'Ledger intact: {self.rows:,} rows.'
        return f'Ledger broken at row {self.broken_id}: {self.reason}.'


def verify(progress: Progress | None = None) -> Verification:
    """Walk the whole chain; `progress` hears (checked, total) after each chunk."""
    with session_scope() as session:
        total = session.scalar(sa.select(sa.func.count()).select_from(Transaction)) or 0
        previous_id: int | None = None
        previous_hash = ledger.GENESIS
        checked = 0
        while rows := session.execute(_chunk(previous_id)).mappings().all():
            for row in rows:
                if reason := _fault(row, previous_id, previous_hash):
                    return Verification(ok=False, rows=checked, broken_id=row['id'], reason=reason)
                previous_id, previous_hash = row['id'], row['row_hash']
                checked += 1
            if progress:
                progress(checked, max(total, checked))
        return Verification(ok=True, rows=checked)


def verify_as(actor: Actor, progress: Progress | None = None) -> Verification:
    """`verify` for a person on a screen: reading the chain whole is an auditor's right."""
    require(actor, Permission.AUDIT_VIEW)
    return verify(progress)


def _chunk(after: int | None) -> sa.Select:
    query = sa.select(*_COLUMNS).order_by(Transaction.id).limit(CHUNK)
    return query if after is None else query.where(Transaction.id > after)


def _fault(row: Any, previous_id: int | None, previous_hash: str) -> str | None:
    """Why this row breaks the chain, or None. The link is checked first: after a removed row, the next row's
    content is sound but it points at a hash that is no longer there."""
    if row['prev_hash'] != previous_hash:
        if previous_id is None:
            return 'it does not chain onto the start of the ledger'
        return f'it does not chain onto row {previous_id}'
    if ledger.row_hash(row['prev_hash'], dict(row)) != row['row_hash']:
        return 'its content does not match its hash'
    return None
