"""Every table of the product, imported once so the metadata (and Alembic) sees the whole model."""

from db import (
    accounts,
    contacts,
    descriptions,
    inventory,
    ledger,
    listings,
    places,
    reconciliation,
    reports,
    sales,
    shipping,
    system,
    workflow,
)
from db.base import metadata

__all__ = [
    'accounts',
    'contacts',
    'descriptions',
    'inventory',
    'ledger',
    'listings',
    'metadata',
    'places',
    'reconciliation',
    'reports',
    'sales',
    'shipping',
    'system',
    'workflow',
]

# Tables the database itself keeps append-only: UPDATE and DELETE are refused by triggers.
APPEND_ONLY = ('transactions', 'audit_log')
