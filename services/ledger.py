"""The ledger's tamper evidence: each transaction's hash covers its content and the hash of the row before it.

Booking, reversing and reporting arrive with the finance work; what is here is what every writer of
ledger rows must share, so that one verification can walk the whole chain.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from decimal import Decimal
from typing import Any

GENESIS = '0' * 64
HASHED_FIELDS = (
    'type', 'value_date', 'amount', 'currency', 'fx_rate', 'base_amount', 'base_currency', 'watch_id', 'user_id',
    'contact_id', 'batch_id', 'reverses_id', 'reference', 'memo', 'created_by_id',
)  # fmt: skip


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical text of the row's booked content."""
    canonical = json.dumps({name: _canonical(row.get(name)) for name in HASHED_FIELDS}, sort_keys=True)
    return hashlib.sha256(f'{prev_hash}|{canonical}'.encode()).hexdigest()


def _canonical(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), 'f')
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, 'value'):
        return value.value
    return value
